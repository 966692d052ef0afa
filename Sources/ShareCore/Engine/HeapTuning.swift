#if canImport(Glibc)
import Glibc
#endif

/// glibc's heap settings for a process that writes file content through ShareCore, applied by
/// ``ShareStore/open(at:options:)`` unless ``StoreOptions/tunesHeap`` is false.
///
/// LMDB keeps each dirty page of a write transaction in memory it allocates with `malloc`
/// until the commit, then frees it. A 4 MiB chunk is 64 pieces of 17 pages (69.6 KB) each.
/// With glibc's default thresholds, freeing them at the top of the writer thread's arena gives
/// that memory back to the system at every commit (the trim threshold is 128 KiB), and the
/// next write faults it in again, a page at a time: sequential 4 MiB writes ran at half their
/// speed. So:
/// - The trim threshold is 8 MiB: an arena keeps up to 8 MiB free at its top.
/// - The mmap threshold is 5 MiB, so that the writer's larger blocks (the 2 MiB dirty-page
///   list and the 1 MiB free-page list of each nested write transaction) are reused from its
///   arena instead of being a fresh mapping each time. Setting either threshold fixes both:
///   glibc's dynamic thresholds stop adjusting.
///
/// What it costs: each arena may keep up to 8 MiB free at its top, which `malloc_trim` does not
/// give back for secondary arenas. A long-running process may call ``trim()`` from time to time
/// (`sharecore serve` does every 10 s). The settings are process-wide; a process that tunes
/// its heap itself opens stores with `tunesHeap: false`. Elsewhere than glibc this does nothing.
public enum HeapTuning {
    /// Allocations at least this large are mapped and unmapped on their own.
    public static let mmapThreshold: Int32 = 5 << 20
    /// Free memory at the top of a heap is kept up to this size when a block is freed.
    public static let trimThreshold: Int32 = 8 << 20

    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    private typealias MallocTrim = @convention(c) (Int) -> Int32
    /// `M_TRIM_THRESHOLD` and `M_MMAP_THRESHOLD` of glibc's `malloc.h` (which the Swift Glibc
    /// module does not export, so the functions are looked up at run time).
    private static let trimThresholdParameter: Int32 = -1
    private static let mmapThresholdParameter: Int32 = -3

    /// Sets the mmap and trim thresholds for the process (once: later calls do nothing).
    public static func apply() {
        _ = applied
    }

    private static let applied: Bool = {
        #if canImport(Glibc)
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(mmapThresholdParameter, mmapThreshold)
        _ = mallopt(trimThresholdParameter, trimThreshold)
        return true
        #else
        return false
        #endif
    }()

    /// Gives the heap's free memory back to the system (`malloc_trim(0)`).
    public static func trim() {
        #if canImport(Glibc)
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}
