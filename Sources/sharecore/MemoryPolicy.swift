#if canImport(Glibc)
import Glibc
#endif
import ServiceLifecycle
import ShareCore

/// Keeps the server's memory bounded after load (issue #10, item 12) without paying for it on
/// every large write.
///
/// Under 64 clients the resident size climbed to about 210 MB and stayed near 200 MB: freed
/// 4 MiB body buffers stayed in glibc's per-thread arenas, and nothing gave them back. Two
/// things bound it now: the buffers of streamed bodies are mappings of their own
/// (`ChunkBuffer`, not the heap), and the server trims its arenas every 10 s
/// (``HeapTrimService``), which also unmaps the body buffers kept for reuse
/// (``ShareStore/releaseIdleMemory()``).
///
/// Between trims the heap is tuned for the writer thread, which all writes go through:
/// - The mmap threshold is 5 MiB. LMDB allocates the dirty pages of a 4 MiB chunk as one
///   block of 1,026 pages (4.2 MB); below the threshold it is reused from the writer's arena
///   instead of being a fresh mapping per chunk, faulted in a page at a time and unmapped with
///   a TLB shootdown (a fifth of the samples of 4 MiB S3 PUTs). So are the 2 MiB dirty-page
///   list and the 1 MiB free-page list of every nested write transaction (it was 256 KiB
///   before issue #14, then 3 MiB: 4 KiB PUTs at 8 connections 1,824 → 2,532 per second).
/// - The trim threshold is 8 MiB (glibc's default is 128 KiB): freeing the chunk's block at
///   the top of the arena no longer gives it back at once, only to fault it in again for the
///   next chunk. Both together: 4 MiB S3 PUTs at 8 connections 130 → 147 per second, and the
///   2 GiB streaming rows did not grow. What they cost: between trims the arenas keep more (the
///   heap after 64 clients is about 113 MiB above idle until the next trim, with the pooled body
///   buffers), and after a trim each secondary arena may keep a free top below 8 MiB, which
///   `malloc_trim` does not shrink (35 MiB above idle after the trim, 27 before).
///
/// Both are glibc calls looked up at run time (the Swift Glibc module does not export
/// `malloc.h`); elsewhere this does nothing.
enum MemoryPolicy {
    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    /// `M_TRIM_THRESHOLD` and `M_MMAP_THRESHOLD` of glibc's `malloc.h`.
    private static let trimThresholdParameter: Int32 = -1
    private static let mmapThresholdParameter: Int32 = -3
    /// Allocations at least this large are mapped and unmapped on their own.
    static let mmapThreshold: Int32 = 5 << 20
    /// Free memory at the top of a heap is kept up to this size when a block is freed.
    static let trimThreshold: Int32 = 8 << 20

    /// Fixes the mmap and trim thresholds; call once at start.
    static func apply() {
        #if canImport(Glibc)
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(mmapThresholdParameter, mmapThreshold)
        _ = mallopt(trimThresholdParameter, trimThreshold)
        #endif
    }

    /// Gives the heap's free memory back to the system.
    static func trim() {
        #if canImport(Glibc)
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}

/// Trims the heap every `interval` until the server shuts down.
struct HeapTrimService: Service {
    var interval: Duration = .seconds(10)

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // Ends at once on SIGTERM, so shutdown never waits for the next trim.
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            ShareStore.releaseIdleMemory()
            MemoryPolicy.trim()
        }
    }
}
