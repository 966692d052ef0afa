import CXXH3
import Crypto
import Foundation

/// Immutable chunks of file content (table `chunks`) and their reference counts (table `refs`).
///
/// A plain chunk value is a 12-byte header, one xxh3-64 per block, then the bytes: version 4
/// (what the store writes) has 4 KiB blocks; version 3 (written 2026-12-04 to 2026-12-06) 16 KiB
/// blocks and version 1 (written before) 64 KiB blocks, both still read. A sealed chunk
/// (version 2, content under ``ContentEncryption``) has a 48-byte header that also names its key
/// and holds its salt, then per 64 KiB block the xxh3-64 of the ciphertext and the AES-GCM tag,
/// then the ciphertext. Reads verify only the blocks they touch, so a 4 KiB read checks 4 KiB,
/// not the whole chunk; `check` verifies all (over the ciphertext, without needing any key).
enum Chunks {
    /// The block size of version 1 and sealed (version 2) chunks.
    static let blockSize = 64 * 1024
    /// The block size of plain chunks of version 4, what the store writes: a random 4 KiB read
    /// hashes (and pulls from memory) only the 4 KiB it returns, as a read without checksums
    /// would touch. Sequential reads, which hash every block anyway, and writes, which hash
    /// while they copy, run as fast as with 16 KiB blocks (`docs/PERFORMANCE.md`).
    static let plainBlockSize = 4 * 1024
    /// The block size of plain chunks of version 3 (still read).
    static let version3BlockSize = 16 * 1024
    /// The version of the plain chunks the store writes.
    static let plainVersion: UInt32 = 4
    static let headerBytes = 12
    static let sealedHeaderBytes = 48

    static func key(_ id: UInt64) -> [UInt8] { Key.u64(id) }

    /// The stored value of chunk `id`, looked up with its key built on the stack (a read of a
    /// small range makes no array for it).
    static func value(_ txn: ReadTxn, id: UInt64) throws(ShareCoreError) -> UnsafeRawBufferPointer? {
        try withUnsafeBytes(of: id.bigEndian) { key throws(ShareCoreError) in try txn.get(.chunks, raw: key) }
    }

    static func blockCount(_ length: Int, blockSize: Int = Chunks.blockSize) -> Int { (length + blockSize - 1) / blockSize }

    /// Stores `bytes` as chunk `id` (reference count starts at 0; runs add references),
    /// sealed with `sealing` when given.
    static func put(_ txn: WriteTxn, id: UInt64, bytes: UnsafeRawBufferPointer, sealing: ChunkSealing? = nil) throws {
        guard let sealing else { return try putPlain(txn, id: id, bytes: bytes) }
        let blocks = blockCount(bytes.count)
        let entry = 8 + BlockCipher.tagBytes
        let dataStart = sealedHeaderBytes + blocks * entry
        var salt = [UInt8](repeating: 0, count: BlockCipher.saltBytes)
        SymmetricKey(size: .bits128).withUnsafeBytes { salt = Array($0) }
        let blockKey = salt.withUnsafeBytes { BlockCipher.chunkKey(sealing.root, salt: $0) }
        var failure: ShareCoreError?
        try txn.putReserved(.chunks, key(id), count: dataStart + bytes.count) { out in
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
                    try BlockCipher.seal(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), block: b, key: blockKey,
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

    private static func putPlain(_ txn: WriteTxn, id: UInt64, bytes: UnsafeRawBufferPointer) throws {
        let blockSize = plainBlockSize
        let blocks = blockCount(bytes.count, blockSize: blockSize)
        let total = headerBytes + blocks * 8 + bytes.count
        try txn.putReserved(.chunks, key(id), count: total) { out in
            out.storeBytes(of: plainVersion.bigEndian, toByteOffset: 0, as: UInt32.self)
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
        /// The bytes per block (the last block may be shorter).
        let blockSize: Int
        /// Whether the chunk is sealed (version 2).
        let sealed: Bool
        private let header: Int
        private let entry: Int

        init(_ raw: UnsafeRawBufferPointer, id: UInt64) throws(ShareCoreError) {
            guard raw.count >= Chunks.headerBytes else {
                throw ShareCoreError(.dataCorrupted, "chunk \(id) is truncated")
            }
            let version = raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self).bigEndian
            length = Int(raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self).bigEndian)
            blocks = Int(raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self).bigEndian)
            sealed = version == 2
            switch version {
            case Chunks.plainVersion: blockSize = Chunks.plainBlockSize
            case 3: blockSize = Chunks.version3BlockSize
            default: blockSize = Chunks.blockSize
            }
            header = sealed ? Chunks.sealedHeaderBytes : Chunks.headerBytes
            entry = sealed ? 8 + BlockCipher.tagBytes : 8
            guard (1...4).contains(version), blocks == Chunks.blockCount(length, blockSize: blockSize),
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

        /// One block a range touches: its index, the bytes of the chunk's data it holds, and the
        /// part of those the range covers.
        struct BlockPiece {
            let block: Int
            let bytes: Range<Int>
            let piece: Range<Int>
        }

        /// Calls `body` with each block `[offset, offset + count)` touches, in order: what every
        /// read of a range walks, whatever it then does with each block.
        func forEachBlock(offset: Int, count: Int, _ body: (BlockPiece) throws -> Void) rethrows {
            try Pieces.forEach(offset..<(offset + count), size: blockSize) { block, start, piece in
                try body(BlockPiece(block: block, bytes: start..<min(length, start + blockSize), piece: piece))
            }
        }

        /// The error for block `block` of chunk `id` failing its checksum.
        static func badBlock(_ block: Int, id: UInt64) -> ShareCoreError {
            ShareCoreError(.dataCorrupted, "chunk \(id) failed its checksum in block \(block)")
        }

        /// Verifies the blocks overlapping [start, end); returns the first bad block, if any.
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
            guard XXH3.hash(cipher) == storedHash(block) else { throw Layout.badBlock(block, id: id) }
            return try BlockCipher.open(cipher, tag: tag(block), block: block, key: key, chunk: id)
        }
    }

    /// The length in bytes of chunk `id`.
    static func length(_ txn: ReadTxn, id: UInt64) throws -> Int {
        guard let raw = try value(txn, id: id) else {
            throw ShareCoreError(.dataCorrupted, "chunk \(id) is missing")
        }
        return try Layout(raw, id: id).length
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
        let (layout, src) = try locate(txn, id: id, offset: offset, count: count)
        guard count > 0, let src, let d = dest.baseAddress else { return }
        if layout.sealed {
            try visitSealed(layout, id: id, offset: offset, count: count, keys: keys) { at, piece in
                if let p = piece.baseAddress { (d + at).copyMemory(from: p, byteCount: piece.count) }
            }
            return
        }
        defer { release(txn, layout, read: count) }
        try layout.forEachBlock(offset: offset, count: count) { at in
            let whole = UnsafeRawBufferPointer(start: src + at.bytes.lowerBound, count: at.bytes.count)
            let out = d + (at.piece.lowerBound - offset)
            let stored = layout.storedHash(at.block)
            let hash: UInt64
            if at.piece == at.bytes {
                hash = XXH3.hashCopying(whole, to: out)
            } else {
                hash = XXH3.hash(whole)
                if hash == stored { out.copyMemory(from: src + at.piece.lowerBound, byteCount: at.piece.count) }
            }
            guard hash == stored else { throw Layout.badBlock(at.block, id: id) }
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
        let (layout, src) = try locate(txn, id: id, offset: offset, count: count)
        guard count > 0, let src else { return }
        if layout.sealed { return try visitSealed(layout, id: id, offset: offset, count: count, keys: keys, body) }
        defer { release(txn, layout, read: count) }
        try layout.forEachBlock(offset: offset, count: count) { at in
            let whole = UnsafeRawBufferPointer(start: src + at.bytes.lowerBound, count: at.bytes.count)
            guard XXH3.hash(whole) == layout.storedHash(at.block) else { throw Layout.badBlock(at.block, id: id) }
            try body(at.piece.lowerBound - offset, UnsafeRawBufferPointer(start: src + at.piece.lowerBound, count: at.piece.count))
        }
    }

    /// `visit` for a sealed chunk: each block the range touches is checked, decrypted and its
    /// part handed to `body`.
    private static func visitSealed(_ layout: Layout, id: UInt64, offset: Int, count: Int, keys: ContentKeys,
                                    _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        let key = try layout.blockKey(keys, id: id)
        try layout.forEachBlock(offset: offset, count: count) { at in
            let plain = try layout.openBlock(at.block, key: key, id: id)
            let within = (at.piece.lowerBound - at.bytes.lowerBound)..<(at.piece.upperBound - at.bytes.lowerBound)
            try plain.withUnsafeBytes { all in try body(at.piece.lowerBound - offset, UnsafeRawBufferPointer(rebasing: all[within])) }
        }
    }

    /// Chunk `id`'s layout and the address of its data, after checking that
    /// `[offset, offset + count)` lies inside it.
    private static func locate(_ txn: ReadTxn, id: UInt64, offset: Int, count: Int) throws -> (Layout, UnsafeRawPointer?) {
        guard let raw = try value(txn, id: id) else {
            throw ShareCoreError(.dataCorrupted, "chunk \(id) is missing")
        }
        prefetchPlain(raw, offset: offset)
        let layout = try Layout(raw, id: id)
        guard offset >= 0, count >= 0, offset + count <= layout.length else {
            throw ShareCoreError(.dataCorrupted, "a run points past the end of chunk \(id)")
        }
        return (layout, layout.data.baseAddress)
    }

    /// Starts loading what a read at `offset` of the plain chunk `raw` waits on: the header,
    /// the block's stored hash and the block's first bytes, on both pages the block spans.
    /// They lie on different pages of the value, and each step of the read needs the one before
    /// (the header says where the hashes and the data are), so a small read from memory not in
    /// the CPU's caches paid for three misses one after the other: the hash's load alone was
    /// 7% of a random 4 KiB read's samples (issue #14). The addresses assume what the store
    /// writes (version 4), computed from the value's size alone; for an older or sealed chunk
    /// they are only wrong guesses, which cost nothing but the loads: a prefetch never faults.
    private static func prefetchPlain(_ raw: UnsafeRawBufferPointer, offset: Int) {
        guard let base = raw.baseAddress, let at = plainOffsets(valueBytes: raw.count, offset: offset) else { return }
        sharecore_prefetch(base)
        sharecore_prefetch(base + at.hash)
        sharecore_prefetch(base + at.data)
        sharecore_prefetch(base + min(raw.count - 1, at.data + plainBlockSize - 1))
    }

    /// Where the stored hash and the first byte of the block holding data byte `offset` lie in
    /// a version 4 chunk value of `count` bytes, computed from the value's size alone; nil when
    /// no such block fits. Such a value holds `blocks` hashes of 8 bytes and `length` bytes,
    /// with `blocks` = ceil(length / 4096), so `blocks` = ceil((count - header) / 4104).
    static func plainOffsets(valueBytes count: Int, offset: Int) -> (hash: Int, data: Int)? {
        guard count > headerBytes, offset >= 0 else { return nil }
        let entry = 8
        let blocks = (count - headerBytes + plainBlockSize + entry - 1) / (plainBlockSize + entry)
        let block = offset / plainBlockSize
        let data = headerBytes + blocks * entry + block * plainBlockSize
        guard block < blocks, data < count else { return nil }
        return (headerBytes + block * entry, data)
    }

    /// After a large read from the map, gives its pages back (see `releaseMappedPages`). Only
    /// a read-only transaction reads from the map; in a write transaction a chunk stored by the
    /// same transaction lies in LMDB's heap memory, which must not be touched.
    ///
    /// It gives back all the pages of the chunk's value, not only those read: the kernel maps the
    /// pages around a faulting one (fault-around, a 64 KiB window by default), so a read also maps
    /// pages of the chunk before and after it, some of which earlier reads had given back; giving
    /// back only the pages read, a server streaming downloads in 128 KiB pieces kept most of each
    /// chunk mapped (886 MiB resident after streaming 2 GiB).
    private static func release(_ txn: ReadTxn, _ layout: Layout, read count: Int) {
        guard count >= releaseThreshold, txn.isReadOnly, let start = layout.raw.baseAddress else { return }
        releaseMappedPages(start, layout.raw.count)
    }

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
                try txn.delete(.chunks, key)
            } else if delta != 0 {
                try txn.put(.refs, key, Key.u64(UInt64(updated)))
            }
        }
        deltas = [:]
    }
}
