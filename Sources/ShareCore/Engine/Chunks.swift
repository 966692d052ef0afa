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
            guard let dest = out.baseAddress else { return }
            // Each block is hashed and copied in one pass over it.
            for b in 0..<blocks {
                let start = b * blockSize
                let end = min(bytes.count, start + blockSize)
                let hash = XXH3.hashCopying(UnsafeRawBufferPointer(rebasing: bytes[start..<end]),
                                            to: dest + headerBytes + blocks * 8 + start)
                out.storeBytes(of: hash.bigEndian, toByteOffset: headerBytes + b * 8, as: UInt64.self)
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

    /// Copies `count` bytes at `offset` of chunk `id` to `dest`, verifying their blocks: a
    /// whole block is hashed while it is copied (one pass over it), a block the range covers
    /// only in part is hashed, then its part copied. On `dataCorrupted`, `dest` may hold bytes
    /// that failed their checksum: callers drop it.
    static func read(_ txn: ReadTxn, id: UInt64, offset: Int, count: Int,
                     into dest: UnsafeMutableRawBufferPointer) throws {
        guard count <= dest.count else {
            throw ShareCoreError(.dataCorrupted, "a run of chunk \(id) does not fit where it is read to")
        }
        let (layout, src) = try locate(txn, id: id, offset: offset, count: count)
        guard count > 0, let src, let d = dest.baseAddress else { return }
        defer { release(txn, src + offset, count) }
        let end = offset + count
        var position = offset
        while position < end {
            let block = position / blockSize
            let blockStart = block * blockSize
            let blockEnd = min(layout.length, blockStart + blockSize)
            let pieceEnd = min(end, blockEnd)
            let whole = UnsafeRawBufferPointer(start: src + blockStart, count: blockEnd - blockStart)
            let out = d + (position - offset)
            let hash: UInt64
            if position == blockStart && pieceEnd == blockEnd {
                hash = XXH3.hashCopying(whole, to: out)
            } else {
                hash = XXH3.hash(whole)
                if hash == layout.storedHash(block) { out.copyMemory(from: src + position, byteCount: pieceEnd - position) }
            }
            guard hash == layout.storedHash(block) else {
                throw ShareCoreError(.dataCorrupted, "chunk \(id) failed its checksum in block \(block)")
            }
            position = pieceEnd
        }
    }

    /// Calls `body` with the bytes `[offset, offset + count)` of chunk `id` as they lie in the
    /// store, in pieces of at most one 64 KiB block, each right after verifying its block (so
    /// that `body` finds it in the CPU cache), with the piece's position from `offset`. Bytes
    /// of a block that fails its checksum never reach `body` (`dataCorrupted`); earlier pieces
    /// have. The buffers are valid only during the call.
    static func visit(_ txn: ReadTxn, id: UInt64, offset: Int, count: Int,
                      _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        let (layout, src) = try locate(txn, id: id, offset: offset, count: count)
        guard count > 0, let src else { return }
        defer { release(txn, src + offset, count) }
        let end = offset + count
        var position = offset
        while position < end {
            let block = position / blockSize
            let blockStart = block * blockSize
            let blockEnd = min(layout.length, blockStart + blockSize)
            if XXH3.hash(UnsafeRawBufferPointer(start: src + blockStart, count: blockEnd - blockStart)) != layout.storedHash(block) {
                throw ShareCoreError(.dataCorrupted, "chunk \(id) failed its checksum in block \(block)")
            }
            let pieceEnd = min(end, blockEnd)
            try body(position - offset, UnsafeRawBufferPointer(start: src + position, count: pieceEnd - position))
            position = pieceEnd
        }
    }

    /// Chunk `id`'s layout and the address of its data, after checking that
    /// `[offset, offset + count)` lies inside it.
    private static func locate(_ txn: ReadTxn, id: UInt64, offset: Int, count: Int) throws -> (Layout, UnsafeRawPointer?) {
        guard let raw = try txn.get(.chunks, key(id)) else {
            throw ShareCoreError(.dataCorrupted, "chunk \(id) is missing")
        }
        let layout = try Layout(raw, id: id)
        guard offset >= 0, count >= 0, offset + count <= layout.length else {
            throw ShareCoreError(.dataCorrupted, "a run points past the end of chunk \(id)")
        }
        return (layout, layout.data.baseAddress)
    }

    /// After a large read from the map, gives its pages back (see `releaseMappedPages`). Only
    /// a read-only transaction reads from the map; in a write transaction a chunk stored by the
    /// same transaction lies in LMDB's heap memory, which must not be touched.
    private static func release(_ txn: ReadTxn, _ start: UnsafeRawPointer, _ count: Int) {
        if count >= releaseThreshold, txn.isReadOnly { releaseMappedPages(start, count) }
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
