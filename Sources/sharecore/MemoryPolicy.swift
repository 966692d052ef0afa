#if canImport(Glibc)
import Glibc
#endif
import ServiceLifecycle

/// Keeps the server's memory bounded after load (issue #10, item 12).
///
/// Under 64 clients the resident size climbed to about 210 MB and stayed near 200 MB: the
/// 4 MiB buffers of streamed bodies were freed into glibc's per-thread arenas, which keep
/// freed memory, and glibc's dynamic mmap threshold had risen past 4 MiB so they no longer
/// came from `mmap`. Fixing the threshold at 256 KiB makes every large buffer an `mmap` that
/// `free` returns at once, and trimming the arenas every few seconds returns what small
/// allocations leave behind. Both are glibc calls looked up at run time (the Swift Glibc
/// module does not export `malloc.h`); elsewhere this does nothing.
enum MemoryPolicy {
    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    /// `M_MMAP_THRESHOLD` of glibc's `malloc.h`.
    private static let mmapThresholdParameter: Int32 = -3
    /// Allocations at least this large are mapped and unmapped on their own.
    static let mmapThreshold: Int32 = 256 << 10

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
