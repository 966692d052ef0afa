import Foundation
import Synchronization

/// The bytes of one chunk gathered from a stream before they are stored (see ``StreamedChunks``):
/// at most `capacity` bytes in a mapping of its own.
///
/// A chunk is 4 MiB, above the heap's mmap threshold (which keeps large buffers out of glibc's
/// arenas, so that they go back to the system at once: the memory bound of issue #10), so a
/// heap array of that size was a fresh mapping per body, faulted in a 4 KiB page at a time
/// (filling it was 15% of the samples of a 4 MiB S3 PUT load, most of it those faults). This
/// mapping is aligned to 2 MiB and asks for transparent huge pages (`MADV_HUGEPAGE`), so it is
/// faulted in a few huge pages where the kernel allows, and it is reused for every chunk of a
/// body (4 MiB S3 PUTs: +12%).
///
/// When a buffer goes, its mapping is kept in its ``ChunkBufferPool`` for the next body: a fresh
/// mapping's pages are zeroed by the kernel as they are faulted in (5% to 6% of the samples of
/// 4 MiB S3 PUTs at 8 connections; keeping the mappings, 147 → 158 PUTs a second).
final class ChunkBuffer: @unchecked Sendable {
    /// Huge-page size and alignment.
    static let alignment = 2 << 20

    private let mapping: ChunkBufferPool.Mapping
    private let pool: ChunkBufferPool
    private var base: UnsafeMutableRawPointer { mapping.base }
    var capacity: Int { mapping.capacity }
    /// Bytes held.
    private(set) var count = 0

    /// A buffer of `capacity` bytes, reusing a mapping `pool` kept if it has one; nil when the
    /// system refuses the mapping.
    init?(capacity: Int, pool: ChunkBufferPool = .shared) {
        guard let mapping = pool.take(capacity: capacity) ?? ChunkBufferPool.Mapping(capacity: capacity) else { return nil }
        self.mapping = mapping
        self.pool = pool
    }

    deinit { pool.keep(mapping) }

    var isEmpty: Bool { count == 0 }
    var isFull: Bool { count == capacity }

    /// Appends `bytes`, which must fit.
    func append(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= capacity - count, "a chunk buffer overflowed")
        if let source = bytes.baseAddress { (base + count).copyMemory(from: source, byteCount: bytes.count) }
        count += bytes.count
    }

    /// Forgets the bytes held (the mapping stays for the next chunk).
    func removeAll() { count = 0 }

    /// Calls `body` with the bytes held.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }
}

/// Mappings of chunk buffers that went, kept for the next buffers: at most ``limit``, so what
/// stays mapped is bounded whatever the load was (32 MiB for the shared pool of 4 MiB chunks),
/// and none after ``releaseAll()``, which a server calls when it trims its heap
/// (``ShareStore/releaseIdleMemory()``).
final class ChunkBufferPool: Sendable {
    /// One mapping: where it starts, its length, and the aligned start of its usable bytes.
    struct Mapping: @unchecked Sendable {
        let raw: UnsafeMutableRawPointer
        let length: Int
        let base: UnsafeMutableRawPointer
        let capacity: Int

        /// A new mapping for `capacity` bytes aligned to huge pages, or nil.
        init?(capacity: Int) {
            let alignment = ChunkBuffer.alignment
            let length = capacity + alignment
            guard let raw = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  raw != MAP_FAILED
            else { return nil }
            let aligned = (Int(bitPattern: raw) + alignment - 1) / alignment * alignment
            guard let start = UnsafeMutableRawPointer(bitPattern: aligned) else {
                munmap(raw, length)
                return nil
            }
            // Advice only: without huge pages the buffer works as well, a page at a time.
            _ = madvise(start, (capacity + alignment - 1) / alignment * alignment, Int32(MADV_HUGEPAGE))
            self.raw = raw
            self.length = length
            self.base = start
            self.capacity = capacity
        }

        func unmap() { munmap(raw, length) }
    }

    /// The pool every store's buffers use.
    static let shared = ChunkBufferPool(limit: 8)

    /// How many mappings are kept at most.
    let limit: Int
    private let idle = Mutex<[Mapping]>([])

    init(limit: Int) { self.limit = limit }

    /// How many mappings are kept now.
    var count: Int { idle.withLock { $0.count } }

    /// A kept mapping of `capacity` bytes, taken out of the pool, or nil.
    func take(capacity: Int) -> Mapping? {
        idle.withLock { idle in
            guard let index = idle.firstIndex(where: { $0.capacity == capacity }) else { return nil }
            return idle.remove(at: index)
        }
    }

    /// Keeps `mapping` if the pool has room; unmaps it otherwise.
    func keep(_ mapping: Mapping) {
        let kept = idle.withLock { idle -> Bool in
            guard idle.count < limit else { return false }
            idle.append(mapping)
            return true
        }
        if !kept { mapping.unmap() }
    }

    /// Unmaps every mapping kept.
    func releaseAll() {
        let released = idle.withLock { idle -> [Mapping] in
            defer { idle.removeAll() }
            return idle
        }
        for mapping in released { mapping.unmap() }
    }
}
