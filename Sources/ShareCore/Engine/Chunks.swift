import Crypto
import Foundation

/// Immutable chunks of file content (table `chunks`) and their reference counts (table `refs`).
///
/// A chunk is stored in pieces of at most 64 KiB (``pieceSize``), piece `p` under the 12-byte key
/// `id ‖ p`, each laid out as a chunk value of its own. Stores written before 2026-12-06 hold a
/// chunk as one value under its 8-byte id, which still reads; both kinds live side by side.
/// Pieces keep LMDB's page allocator off long runs: a 4 MiB value needs 1,026 contiguous free
/// pages, and once a store's free list is fragmented LMDB searched and merged it for every such
/// value (30% of a 4 MiB PUT's time); a 64 KiB piece needs 17.
///
/// A plain value is a 12-byte header, one xxh3-64 per block, then the bytes: version 3 (what the
/// store writes) has 16 KiB blocks, version 1 (written before 2026-12-04, still read) 64 KiB
/// blocks. A sealed value (version 2, content under ``ContentEncryption``) has a 48-byte header
/// that also names its key and holds its salt, then per 64 KiB block the xxh3-64 of the
/// ciphertext and the AES-GCM tag, then the ciphertext; a block's nonce is its index in the
/// chunk, so a piece moved to another place fails to open. Reads verify only the blocks they
/// touch, so a 4 KiB read checks 16 KiB, not the whole chunk; `check` verifies all (over the
/// ciphertext, without needing any key).
enum Chunks {
    /// The block size of version 1 and sealed (version 2) chunks.
    static let blockSize = 64 * 1024
    /// The block size of plain chunks of version 3: a quarter of version 1's, so that a random
    /// 4 KiB read hashes (and pulls from memory) 16 KiB instead of 64 KiB, while sequential
    /// reads, which hash every block anyway, hash as fast as with 64 KiB blocks.
    static let plainBlockSize = 16 * 1024
    static let headerBytes = 12
    static let sealedHeaderBytes = 48
    /// The most bytes one stored value of a chunk holds (a whole number of blocks of every
    /// version).
    static let pieceSize = 64 * 1024

    /// The key of a chunk's reference count, and of the whole value of a chunk stored before pieces.
    static func key(_ id: UInt64) -> [UInt8] { Key.u64(id) }

    /// The key of piece `piece` of chunk `id`.
    static func pieceKey(_ id: UInt64, _ piece: Int) -> [UInt8] {
        var key = Key(capacity: 12)
        key.append(id)
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: piece).bigEndian) { key.append($0) }
        return key.bytes
    }

    /// The number of pieces a chunk of `length` bytes is stored in (one even when empty).
    static func pieceCount(_ length: Int) -> Int { max(1, (length + pieceSize - 1) / pieceSize) }

    static func blockCount(_ length: Int, blockSize: Int = Chunks.blockSize) -> Int { (length + blockSize - 1) / blockSize }

    /// Stores `bytes` as chunk `id` (reference count starts at 0; runs add references),
    /// sealed with `sealing` when given.
    static func put(_ txn: WriteTxn, id: UInt64, bytes: UnsafeRawBufferPointer, sealing: ChunkSealing? = nil) throws {
        for piece in 0..<pieceCount(bytes.count) {
            let start = piece * pieceSize
            let part = UnsafeRawBufferPointer(rebasing: bytes[start..<min(bytes.count, start + pieceSize)])
            if let sealing {
                try putSealed(txn, key: pieceKey(id, piece), id: id, bytes: part, firstBlock: start / blockSize, sealing: sealing)
            } else {
                try putPlain(txn, key: pieceKey(id, piece), bytes: part)
            }
        }
    }

    /// Stores `bytes` under `key` as a sealed value whose first block is block `firstBlock` of chunk `id`.
    private static func putSealed(_ txn: WriteTxn, key: [UInt8], id: UInt64, bytes: UnsafeRawBufferPointer,
                                  firstBlock: Int, sealing: ChunkSealing) throws {
        let blocks = blockCount(bytes.count)
        let entry = 8 + BlockCipher.tagBytes
        let dataStart = sealedHeaderBytes + blocks * entry
        var salt = [UInt8](repeating: 0, count: BlockCipher.saltBytes)
        SymmetricKey(size: .bits128).withUnsafeBytes { salt = Array($0) }
        let blockKey = salt.withUnsafeBytes { BlockCipher.chunkKey(sealing.root, salt: $0) }
        var failure: ShareCoreError?
        try txn.putReserved(.chunks, key, count: dataStart + bytes.count) { out in
            out.initializeMemory(as: UInt8.self, repeating: 0)
            out.storeBytes(of: UInt32(2).bigEndian, toByteOffset: 0, as: UInt32.self)
            out.storeBytes(of: UInt32(bytes.count).bigEndian, toByteOffset: 4, as: UInt32.self)
            out.storeBytes(of: UInt32(blocks).bigEndian, toByteOffset: 8, as: UInt32.self)
            out[12] = sealing.kind
            for i in 0..<16 { out[13 + i] = sealing.keyId[i] }
            for i in 0..<16 { out[29 + i] = salt[i] }
            guard let dest = out.baseAddress else { return }
            for b in 0..<blocks {
                let start = b * blockSize
                let end = min(bytes.count, start + blockSize)
                let cipher = dest + dataStart + start
                do {
                    try BlockCipher.seal(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), block: firstBlock + b, key: blockKey,
                                         to: cipher, tag: dest + sealedHeaderBytes + b * entry + 8)
                } catch let error as ShareCoreError {
                    failure = error
                    return
                } catch {
                    failure = ShareCoreError(.storageError, "encrypting chunk \(id) failed: \(error)")
                    return
                }
                let hash = XXH3.hash(UnsafeRawBufferPointer(start: cipher, count: end - start))
                out.storeBytes(of: hash.bigEndian, toByteOffset: sealedHeaderBytes + b * entry, as: UInt64.self)
            }
        }
        if let failure { throw failure }
    }

    /// Stores `bytes` under `key` as a plain value (version 3).
    private static func putPlain(_ txn: WriteTxn, key: [UInt8], bytes: UnsafeRawBufferPointer) throws {
        let blockSize = plainBlockSize
        let blocks = blockCount(bytes.count, blockSize: blockSize)
        let total = headerBytes + blocks * 8 + bytes.count
        try txn.putReserved(.chunks, key, count: total) { out in
            out.storeBytes(of: UInt32(3).bigEndian, toByteOffset: 0, as: UInt32.self)
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

    /// The layout of a stored value: a piece of a chunk, or a whole chunk stored before pieces.
    struct Layout {
        let raw: UnsafeRawBufferPointer
        /// The bytes the value holds.
        let length: Int
        let blocks: Int
        /// The bytes per block (the last block may be shorter).
        let blockSize: Int
        /// Whether the chunk is sealed (version 2).
        let sealed: Bool
        /// Where the value's bytes start in the chunk (0 for a whole chunk).
        let start: Int
        private let header: Int
        private let entry: Int

        /// The layout of `raw`, holding the bytes of chunk `id` from `start`.
        init(_ raw: UnsafeRawBufferPointer, id: UInt64, start: Int = 0) throws(ShareCoreError) {
            guard raw.count >= Chunks.headerBytes else {
                throw ShareCoreError(.dataCorrupted, "chunk \(id) is truncated")
            }
            self.start = start
            let version = raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self).bigEndian
            length = Int(raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self).bigEndian)
            blocks = Int(raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self).bigEndian)
            sealed = version == 2
            blockSize = version == 3 ? Chunks.plainBlockSize : Chunks.blockSize
            header = sealed ? Chunks.sealedHeaderBytes : Chunks.headerBytes
            entry = sealed ? 8 + BlockCipher.tagBytes : 8
            guard (1...3).contains(version), blocks == Chunks.blockCount(length, blockSize: blockSize),
                  raw.count == header + blocks * entry + length
            else { throw ShareCoreError(.dataCorrupted, "chunk \(id) has a malformed header") }
            self.raw = raw
        }

        /// The stored bytes (for a sealed chunk, the ciphertext).
        var data: UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: raw[(header + blocks * entry)...])
        }

        /// The xxh3-64 of block `block` as stored (sealed chunks: of its ciphertext).
        func storedHash(_ block: Int) -> UInt64 {
            raw.loadUnaligned(fromByteOffset: header + block * entry, as: UInt64.self).bigEndian
        }

        /// A sealed chunk's key kind, key identifier and salt.
        var keyKind: UInt8 { raw[12] }
        var keyId: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: raw[13..<29]) }
        var salt: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: raw[29..<45]) }

        func tag(_ block: Int) -> UnsafeRawBufferPointer {
            let at = header + block * entry + 8
            return UnsafeRawBufferPointer(rebasing: raw[at..<(at + BlockCipher.tagBytes)])
        }

        /// The index in the chunk of this value's block `block` (its number in messages, and
        /// a sealed block's nonce).
        func chunkBlock(_ block: Int) -> Int { start / blockSize + block }

        /// Verifies the blocks overlapping [start, end) of this value's bytes; returns the
        /// first bad block (of this value), if any.
        func firstBadBlock(_ start: Int, _ end: Int) -> Int? {
            guard end > start else { return nil }
            let d = data
            for b in (start / blockSize)...((end - 1) / blockSize) {
                let s = b * blockSize
                let e = min(length, s + blockSize)
                if XXH3.hash(UnsafeRawBufferPointer(rebasing: d[s..<e])) != storedHash(b) { return b }
            }
            return nil
        }

        /// The key that opens this sealed chunk's blocks.
        func blockKey(_ keys: ContentKeys, id: UInt64) throws(ShareCoreError) -> SymmetricKey {
            BlockCipher.chunkKey(try keys.root(kind: keyKind, keyId: keyId, chunk: id), salt: salt)
        }

        /// Block `block` of a sealed chunk, checked and decrypted.
        func openBlock(_ block: Int, key: SymmetricKey, id: UInt64) throws(ShareCoreError) -> [UInt8] {
            let s = block * blockSize
            let cipher = UnsafeRawBufferPointer(rebasing: data[s..<min(length, s + blockSize)])
            guard XXH3.hash(cipher) == storedHash(block) else {
                throw ShareCoreError(.dataCorrupted, "chunk \(id) failed its checksum in block \(chunkBlock(block))")
            }
            return try BlockCipher.open(cipher, tag: tag(block), block: chunkBlock(block), key: key, chunk: id)
        }
    }

    /// The length in bytes of chunk `id`.
    static func length(_ txn: ReadTxn, id: UInt64) throws -> Int {
        if let whole = try txn.get(.chunks, key(id)) { return try Layout(whole, id: id).length }
        return try txn.withCursor(.chunks) { cursor in
            // The chunk's last piece: the entry before the first key after all of its pieces.
            let past = try cursor.seek(pieceKey(id, Int(UInt32.max)))
            let entry = past == nil ? try cursor.last() : try cursor.prev()
            guard let (k, v) = entry, k.count == 12, k.beUInt64(at: 0) == id else {
                throw ShareCoreError(.dataCorrupted, "chunk \(id) is missing")
            }
            let piece = Int(k.beUInt32(at: 8))
            return piece * pieceSize + (try Layout(v, id: id, start: piece * pieceSize).length)
        }
    }

    /// Calls `body` for each stored value holding bytes of `[offset, offset + count)` of chunk
    /// `id`, in order, with its layout, the part of its bytes in the range and that part's
    /// position from `offset`. Throws `dataCorrupted` when the chunk is missing or the range
    /// runs past its end (after calling `body` for the values before).
    private static func forEachValue(_ txn: ReadTxn, id: UInt64, offset: Int, count: Int,
                                     _ body: (Layout, Range<Int>, Int) throws -> Void) throws {
        guard offset >= 0, count >= 0 else {
            throw ShareCoreError(.dataCorrupted, "a run points outside chunk \(id)")
        }
        guard count > 0 else { return }
        let end = offset + count
        var piece = offset / pieceSize
        guard var raw = try txn.get(.chunks, pieceKey(id, piece)) else {
            // A chunk stored before pieces: one value under the chunk's id.
            guard let whole = try txn.get(.chunks, key(id)) else {
                throw ShareCoreError(.dataCorrupted, "chunk \(id) is missing (no value holds its byte \(offset))")
            }
            let layout = try Layout(whole, id: id)
            guard end <= layout.length else {
                throw ShareCoreError(.dataCorrupted, "a run points past the end of chunk \(id)")
            }
            return try body(layout, offset..<end, 0)
        }
        while true {
            let start = piece * pieceSize
            let layout = try Layout(raw, id: id, start: start)
            let from = max(offset, start) - start
            let to = min(end, start + layout.length) - start
            if to > from { try body(layout, from..<to, start + from - offset) }
            if end <= start + layout.length { return }
            guard layout.length == pieceSize else {
                throw ShareCoreError(.dataCorrupted, "a run points past the end of chunk \(id)")
            }
            piece += 1
            guard let next = try txn.get(.chunks, pieceKey(id, piece)) else {
                throw ShareCoreError(.dataCorrupted, "chunk \(id) is missing its piece \(piece)")
            }
            raw = next
        }
    }

    /// Copies `count` bytes at `offset` of chunk `id` to `dest`, verifying their blocks: a
    /// whole block is hashed while it is copied (one pass over it), a block the range covers
    /// only in part is hashed, then its part copied. A sealed chunk's blocks are decrypted
    /// with `keys`. On `dataCorrupted`, `dest` may hold bytes that failed their checksum:
    /// callers drop it.
    static func read(_ txn: ReadTxn, id: UInt64, offset: Int, count: Int,
                     into dest: UnsafeMutableRawBufferPointer, keys: ContentKeys) throws {
        guard count <= dest.count else {
            throw ShareCoreError(.dataCorrupted, "a run of chunk \(id) does not fit where it is read to")
        }
        guard let d = dest.baseAddress else { return try forEachValue(txn, id: id, offset: offset, count: count) { _, _, _ in } }
        var released = MappedPages(txn, read: count)
        defer { released.flush() }
        try forEachValue(txn, id: id, offset: offset, count: count) { layout, part, at in
            if layout.sealed {
                return try visitSealed(layout, id: id, part: part, keys: keys) { position, piece in
                    if let p = piece.baseAddress { (d + at + position).copyMemory(from: p, byteCount: piece.count) }
                }
            }
            guard let src = layout.data.baseAddress else { return }
            released.add(layout)
            let blockSize = layout.blockSize
            var position = part.lowerBound
            while position < part.upperBound {
                let block = position / blockSize
                let blockStart = block * blockSize
                let blockEnd = min(layout.length, blockStart + blockSize)
                let pieceEnd = min(part.upperBound, blockEnd)
                let whole = UnsafeRawBufferPointer(start: src + blockStart, count: blockEnd - blockStart)
                let out = d + at + (position - part.lowerBound)
                let hash: UInt64
                if position == blockStart && pieceEnd == blockEnd {
                    hash = XXH3.hashCopying(whole, to: out)
                } else {
                    hash = XXH3.hash(whole)
                    if hash == layout.storedHash(block) { out.copyMemory(from: src + position, byteCount: pieceEnd - position) }
                }
                guard hash == layout.storedHash(block) else {
                    throw ShareCoreError(.dataCorrupted, "chunk \(id) failed its checksum in block \(layout.chunkBlock(block))")
                }
                position = pieceEnd
            }
        }
    }

    /// Calls `body` with the bytes `[offset, offset + count)` of chunk `id`, in pieces of at
    /// most one block, each right after verifying its block (so that `body` finds it
    /// in the CPU cache), with the piece's position from `offset`. A plain chunk's pieces are
    /// the bytes as they lie in the store; a sealed chunk's are decrypted with `keys`. Bytes
    /// of a block that fails its checksum never reach `body` (`dataCorrupted`); earlier pieces
    /// have. The buffers are valid only during the call.
    static func visit(_ txn: ReadTxn, id: UInt64, offset: Int, count: Int, keys: ContentKeys,
                      _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        var released = MappedPages(txn, read: count)
        defer { released.flush() }
        try forEachValue(txn, id: id, offset: offset, count: count) { layout, part, at in
            if layout.sealed {
                return try visitSealed(layout, id: id, part: part, keys: keys) { position, piece in
                    try body(at + position, piece)
                }
            }
            guard let src = layout.data.baseAddress else { return }
            released.add(layout)
            let blockSize = layout.blockSize
            var position = part.lowerBound
            while position < part.upperBound {
                let block = position / blockSize
                let blockStart = block * blockSize
                let blockEnd = min(layout.length, blockStart + blockSize)
                if XXH3.hash(UnsafeRawBufferPointer(start: src + blockStart, count: blockEnd - blockStart)) != layout.storedHash(block) {
                    throw ShareCoreError(.dataCorrupted, "chunk \(id) failed its checksum in block \(layout.chunkBlock(block))")
                }
                let pieceEnd = min(part.upperBound, blockEnd)
                try body(at + position - part.lowerBound, UnsafeRawBufferPointer(start: src + position, count: pieceEnd - position))
                position = pieceEnd
            }
        }
    }

    /// `visit` for the bytes `part` of a sealed value: each block they touch is checked,
    /// decrypted and its part handed to `body`, with its position from the start of `part`.
    private static func visitSealed(_ layout: Layout, id: UInt64, part: Range<Int>, keys: ContentKeys,
                                    _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        let key = try layout.blockKey(keys, id: id)
        let blockSize = layout.blockSize
        var position = part.lowerBound
        while position < part.upperBound {
            let block = position / blockSize
            let blockStart = block * blockSize
            let pieceEnd = min(part.upperBound, min(layout.length, blockStart + blockSize))
            let plain = try layout.openBlock(block, key: key, id: id)
            try plain.withUnsafeBytes { all in
                try body(position - part.lowerBound, UnsafeRawBufferPointer(rebasing: all[(position - blockStart)..<(pieceEnd - blockStart)]))
            }
            position = pieceEnd
        }
    }

    /// Deletes chunk `id`: its pieces, or its whole value if it was stored before pieces.
    static func delete(_ txn: WriteTxn, id: UInt64) throws {
        try txn.delete(.chunks, key(id))
        let first = pieceKey(id, 0)
        try txn.withCursor(.chunks) { cursor in
            while let (k, _) = try cursor.seek(first), k.count == 12, k.beUInt64(at: 0) == id {
                try cursor.deleteCurrent()
            }
        }
    }

    /// The mapped pages a large read touched, given back to the kernel once it is done (see
    /// `releaseMappedPages`). Only a read-only transaction reads from the map; in a write
    /// transaction a chunk stored by the same transaction lies in LMDB's heap memory, which must
    /// not be touched.
    ///
    /// It gives back each value read, widened to the aligned 2 MiB blocks around it, inside the
    /// map: a fault maps more than the faulting page (``mappingGranule``), so a read also maps
    /// pages of the values before and after it, which earlier reads may have given back
    /// already. Giving back only the pages read, a server streaming downloads in 128 KiB pieces
    /// kept most of each chunk mapped (886 MiB resident after streaming 2 GiB), and random 1 MiB
    /// reads of 64 KiB pieces with a 64 KiB margin kept 54 KiB each. Overlapping ranges are
    /// given back in one call.
    private struct MappedPages {
        private let map: Range<Int>?
        private let enabled: Bool
        private var pending: Range<Int>?

        init(_ txn: ReadTxn, read count: Int) {
            enabled = count >= Chunks.releaseThreshold && txn.isReadOnly
            map = txn.mapBounds
        }

        mutating func add(_ layout: Layout) {
            guard enabled, let start = layout.raw.baseAddress else { return }
            let low = Int(bitPattern: start)
            var range = low..<(low + layout.raw.count)
            if let map {
                let granule = Chunks.mappingGranule
                let low = range.lowerBound / granule * granule
                let high = (range.upperBound + granule - 1) / granule * granule
                range = max(map.lowerBound, low)..<min(map.upperBound, high)
            }
            if let current = pending, range.lowerBound <= current.upperBound, current.lowerBound <= range.upperBound {
                pending = min(current.lowerBound, range.lowerBound)..<max(current.upperBound, range.upperBound)
            } else {
                flush()
                pending = range
            }
        }

        mutating func flush() {
            guard let range = pending, let start = UnsafeRawPointer(bitPattern: range.lowerBound) else { return }
            pending = nil
            Chunks.releaseMappedPages(start, range.count)
        }
    }

    /// The alignment of the largest block of the map a fault may map at once: the kernel maps
    /// the pages around a faulting one (fault-around, a 64 KiB window by default), and a whole
    /// large folio of the page cache (up to 2 MiB).
    static let mappingGranule = 2 << 20

    /// Reads at least this large drop the mapped pages they touched afterwards: 64 KiB, so that
    /// the servers' streamed downloads, read 128 KiB at a time, drop theirs too (a run of a
    /// fragmented file may give a piece in two parts).
    static let releaseThreshold = 64 << 10
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
                try Chunks.delete(txn, id: chunk)
            } else if delta != 0 {
                try txn.put(.refs, key, Key.u64(UInt64(updated)))
            }
        }
        deltas = [:]
    }
}
