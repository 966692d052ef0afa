#if canImport(Glibc)
import Glibc
#endif
import ServiceLifecycle

/// Keeps the server's memory bounded after load (issue #10, item 12).
///
/// Under 64 clients the resident size climbed to about 210 MB and stayed near 200 MB: the
/// 4 MiB buffers of streamed bodies were freed into glibc's per-thread arenas, which keep
/// freed memory, and glibc's dynamic mmap threshold had risen past 4 MiB so they no longer
/// came from `mmap`. Fixing the threshold below 4 MiB makes every such buffer an `mmap` that
/// `free` returns at once, and trimming the arenas every few seconds returns what smaller
/// allocations leave behind.
///
/// The threshold is 3 MiB (it was 256 KiB): every write operation runs in a nested LMDB
/// transaction, which allocates a 2 MiB dirty-page list and a 1 MiB free-page list and frees
/// them when it ends. Past the threshold each was a fresh `mmap`, then an `munmap` whose TLB
/// shootdown interrupted every core: a fifth of the samples of a 4 KiB S3 PUT load, most of
/// them on the writer thread that all writes go through. Below it, the writer thread's arena
/// reuses the same two blocks (4 KiB PUTs at 8 connections: 1,824 → 2,532 per second; the heap
/// left after 64 clients stream 4 MiB bodies is the same, 37 to 47 MiB above idle). Both are glibc calls looked up at run time (the Swift Glibc
/// module does not export `malloc.h`); elsewhere this does nothing.
enum MemoryPolicy {
    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    /// `M_MMAP_THRESHOLD` of glibc's `malloc.h`.
    private static let mmapThresholdParameter: Int32 = -3
    /// Allocations at least this large are mapped and unmapped on their own.
    static let mmapThreshold: Int32 = 3 << 20

    /// Fixes the mmap threshold; call once at start.
    static func apply() {
        #if canImport(Glibc)
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThresholdParameter, mmapThreshold)
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
            MemoryPolicy.trim()
        }
    }
}
