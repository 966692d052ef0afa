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
/// Between trims the heap is tuned for the writer thread, which all writes go through
/// (``HeapTuning``, which the server applies at start, before opening the store):
/// - The mmap threshold is 5 MiB, so the writer's large blocks are reused from its arena
///   instead of being a fresh mapping each time, faulted in a page at a time and unmapped with a
///   TLB shootdown (a fifth of the samples of 4 MiB S3 PUTs when chunks were stored whole). So
///   are the 2 MiB dirty-page list and the 1 MiB free-page list of every nested write
///   transaction (it was 256 KiB before issue #14, then 3 MiB: 4 KiB PUTs at 8 connections
///   1,824 → 2,532 per second).
/// - The trim threshold is 8 MiB (glibc's default is 128 KiB): freeing a chunk's dirty pages at
///   the top of the arena no longer gives them back at once, only to fault them in again for the
///   next chunk. Both together: 4 MiB S3 PUTs at 8 connections 130 → 147 per second, and the
///   2 GiB streaming rows did not grow. What they cost: between trims the arenas keep more (the
///   heap after 64 clients is about 113 MiB above idle until the next trim, with the pooled body
///   buffers), and after a trim each secondary arena may keep a free top below 8 MiB, which
///   `malloc_trim` does not shrink (35 MiB above idle after the trim, 27 before).
enum MemoryPolicy {
    /// Fixes the mmap and trim thresholds; call once at start.
    static func apply() { HeapTuning.apply() }

    /// Gives the heap's free memory back to the system.
    static func trim() { HeapTuning.trim() }
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
