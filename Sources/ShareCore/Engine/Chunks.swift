import Foundation

/// Immutable chunks of file content (table `chunks`) and their reference counts (table `refs`).
///
/// A chunk value is a header, one xxh3-64 per 64 KiB block, then the bytes. Reads verify only
/// the blocks they touch, so a 4 KiB read checks 64 KiB, not the whole chunk; `check` verifies all.
enum Chunks {
    static let blockSize = 64 * 1024
    static let headerBytes = 12

    static func key(_ id: UInt64) -> [UInt8] { Key.u64(id) }

    static func blockCount(_ length: Int) -> Int { (length + blockSize - 1) / blockSize }

    /// Stores `bytes` as chunk `id` (reference count starts at 0; runs add references).
    static func put(_ txn: WriteTxn, id: UInt64, bytes: UnsafeRawBufferPointer) throws {
        let blocks = blockCount(bytes.count)
        let total = headerBytes + blocks * 8 + bytes.count
        try txn.putReserved(.chunks, key(id), count: total) { out in
            out.storeBytes(of: UInt32(1).bigEndian, toByteOffset: 0, as: UInt32.self)
            out.storeBytes(of: UInt32(bytes.count).bigEndian, toByteOffset: 4, as: UInt32.self)
            out.storeBytes(of: UInt32(blocks).bigEndian, toByteOffset: 8, as: UInt32.self)
            for b in 0..<blocks {
                let start = b * blockSize
                let end = min(bytes.count, start + blockSize)
                let hash = XXH3.hash(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                out.storeBytes(of: hash.bigEndian, toByteOffset: headerBytes + b * 8, as: UInt64.self)
            }
            if let base = bytes.baseAddress, let dest = out.baseAddress {
                (dest + headerBytes + blocks * 8).copyMemory(from: base, byteCount: bytes.count)
            }
        }
    }

    /// The layout of a stored chunk value.
    struct Layout {
        let raw: UnsafeRawBufferPointer
        let length: Int
        let blocks: Int

        init(_ raw: UnsafeRawBufferPointer, id: UInt64) throws(ShareCoreError) {
            guard raw.count >= Chunks.headerBytes else {
                throw ShareCoreError(.dataCorrupted, "chunk \(id) is truncated")
            }
            let version = raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self).bigEndian
            length = Int(raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self).bigEndian)
            blocks = Int(raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self).bigEndian)
            guard version == 1, blocks == Chunks.blockCount(length),
                  raw.count == Chunks.headerBytes + blocks * 8 + length
            else { throw ShareCoreError(.dataCorrupted, "chunk \(id) has a malformed header") }
            self.raw = raw
        }

        var data: UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: raw[(Chunks.headerBytes + blocks * 8)...])
        }

        func storedHash(_ block: Int) -> UInt64 {
            raw.loadUnaligned(fromByteOffset: Chunks.headerBytes + block * 8, as: UInt64.self).bigEndian
        }

        /// Verifies the blocks overlapping [start, end); returns the first bad block, if any.
        func firstBadBlock(_ start: Int, _ end: Int) -> Int? {
            guard end > start else { return nil }
            let d = data
            for b in (start / Chunks.blockSize)...((end - 1) / Chunks.blockSize) {
                let s = b * Chunks.blockSize
                let e = min(length, s + Chunks.blockSize)
                if XXH3.hash(UnsafeRawBufferPointer(rebasing: d[s..<e])) != storedHash(b) { return b }
            }
            return nil
        }
    }

    /// The length in bytes of chunk `id`.
    static func length(_ txn: ReadTxn, id: UInt64) throws -> Int {
        guard let raw = try txn.get(.chunks, key(id)) else {
            throw ShareCoreError(.dataCorrupted, "chunk \(id) is missing")
        }
        return try Layout(raw, id: id).length
    }

    /// Copies `count` bytes at `offset` of chunk `id` to `dest`, verifying their blocks first.
    static func read(_ txn: ReadTxn, id: UInt64, offset: Int, count: Int,
                     into dest: UnsafeMutableRawBufferPointer) throws {
        guard let raw = try txn.get(.chunks, key(id)) else {
            throw ShareCoreError(.dataCorrupted, "chunk \(id) is missing")
        }
        let layout = try Layout(raw, id: id)
        guard offset >= 0, count >= 0, offset + count <= layout.length, count <= dest.count else {
            throw ShareCoreError(.dataCorrupted, "a run points past the end of chunk \(id)")
        }
        if let bad = layout.firstBadBlock(offset, offset + count) {
            throw ShareCoreError(.dataCorrupted, "chunk \(id) failed its checksum in block \(bad)")
        }
        if count > 0, let src = layout.data.baseAddress, let d = dest.baseAddress {
            d.copyMemory(from: src + offset, byteCount: count)
            // Only a read-only transaction reads from the map; in a write transaction a chunk
            // stored by the same transaction lies in LMDB's heap memory, which must not be touched.
            if count >= releaseThreshold, txn.isReadOnly { releaseMappedPages(src + offset, count) }
        }
    }

    /// Reads at least this large drop the mapped pages they touched afterwards.
    static let releaseThreshold = 1 << 20
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Tells the kernel this process no longer needs the mapped pages of `[start, start+count)`.
    /// The map is a read-only shared file mapping, so this only drops them from the process's
    /// resident set: the data stays in the page cache and a later access faults it back in.
    /// Without it, streaming a large file would leave every page it touched resident.
    static func releaseMappedPages(_ start: UnsafeRawPointer, _ count: Int) {
        let first = Int(bitPattern: start) / pageSize * pageSize
        let end = Int(bitPattern: start) + count
        guard let base = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(base, end - first, Int32(MADV_DONTNEED))
    }
}

/// Reference count changes gathered during one operation and applied once at its end. A chunk
/// whose count reaches zero is deleted with its count.
struct RefDelta {
    private(set) var deltas: [UInt64: Int64] = [:]

    mutating func add(_ map: ExtentMap, _ sign: Int64) {
        for run in map.runs { deltas[run.chunk, default: 0] += sign }
    }

    mutating func add(chunk: UInt64, _ delta: Int64) {
        deltas[chunk, default: 0] += delta
    }

    mutating func apply(_ txn: WriteTxn) throws {
        for (chunk, delta) in deltas.sorted(by: { $0.key < $1.key }) {
            let key = Chunks.key(chunk)
            let current: Int64 = try txn.get(.refs, key).map { Int64(bitPattern: $0.beUInt64(at: 0)) } ?? 0
            let updated = current + delta
            if updated <= 0 {
                try txn.delete(.refs, key)
                try txn.delete(.chunks, key)
            } else if delta != 0 {
                try txn.put(.refs, key, Key.u64(UInt64(updated)))
            }
        }
        deltas = [:]
    }
}
