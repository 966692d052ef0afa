import Foundation

/// The bytes of one chunk gathered from a stream before they are stored (see ``StreamedChunks``):
/// at most `capacity` bytes in a mapping of its own, unmapped when the buffer goes.
///
/// A chunk is 4 MiB, above the heap's mmap threshold (which keeps large buffers out of glibc's
/// arenas, so that they go back to the system at once: the memory bound of issue #10), so a
/// heap array of that size was a fresh mapping per body, faulted in a 4 KiB page at a time
/// (filling it was 15% of the samples of a 4 MiB S3 PUT load, most of it those faults). This
/// mapping is aligned to 2 MiB and asks for transparent huge pages (`MADV_HUGEPAGE`), so it is
/// faulted in a few huge pages where the kernel allows, and it is reused for every chunk of a
/// body (4 MiB S3 PUTs: +12%).
final class ChunkBuffer: @unchecked Sendable {
    /// Huge-page size and alignment.
    private static let alignment = 2 << 20
    /// The mapping (start and length), the bytes' start inside it, and its usable length.
    private let mapping: UnsafeMutableRawPointer
    private let mappedBytes: Int
    private let base: UnsafeMutableRawPointer
    let capacity: Int
    /// Bytes held.
    private(set) var count = 0

    /// A buffer of `capacity` bytes; nil when the system refuses the mapping.
    init?(capacity: Int) {
        let length = capacity + Self.alignment
        guard let raw = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED
        else { return nil }
        let aligned = (Int(bitPattern: raw) + Self.alignment - 1) / Self.alignment * Self.alignment
        guard let start = UnsafeMutableRawPointer(bitPattern: aligned) else {
            munmap(raw, length)
            return nil
        }
        // Advice only: without huge pages the buffer works as well, a page at a time.
        _ = madvise(start, (capacity + Self.alignment - 1) / Self.alignment * Self.alignment, Int32(MADV_HUGEPAGE))
        mapping = raw
        mappedBytes = length
        base = start
        self.capacity = capacity
    }

    deinit { munmap(mapping, mappedBytes) }

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
