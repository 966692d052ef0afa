import COpenSSLCrypto

/// MD5 (RFC 1321) with a running state that can be saved and restored: the four state words,
/// the pending partial block (fewer than 64 bytes) and the number of bytes hashed so far.
/// ShareCore keeps one with each file (`NodeRecord.md5`) so that the MD5 of content written
/// in order from offset 0 never needs a full read. Not for security: MD5 is broken as a
/// cryptographic hash; it is used here because protocols (S3 ETags, Content-MD5) ask for it.
struct MD5: Sendable, Hashable {
    /// The state words A, B, C, D.
    private(set) var a: UInt32 = 0x6745_2301
    private(set) var b: UInt32 = 0xefcd_ab89
    private(set) var c: UInt32 = 0x98ba_dcfe
    private(set) var d: UInt32 = 0x1032_5476
    /// Bytes of the current block not yet processed (always `count % 64` of them).
    private(set) var pending: [UInt8] = []
    /// Bytes hashed so far (processed plus pending).
    private(set) var count: UInt64 = 0

    /// A fresh state (the MD5 of nothing so far).
    init() {}

    /// Restores a saved state; nil unless `pending` holds exactly `count % 64` bytes.
    init?(words: (UInt32, UInt32, UInt32, UInt32), pending: [UInt8], count: UInt64) {
        guard pending.count == Int(count % 64) else { return nil }
        (a, b, c, d) = words
        self.pending = pending
        self.count = count
    }

    var words: (UInt32, UInt32, UInt32, UInt32) { (a, b, c, d) }

    /// Adds `bytes` to the hash.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, let base = bytes.baseAddress else { return }
        count &+= UInt64(bytes.count)
        var offset = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            offset = take
            guard pending.count == 64 else { return }
            pending.withUnsafeBytes { block in
                if let p = block.baseAddress { compress(p, blocks: 1) }
            }
            pending.removeAll(keepingCapacity: true)
        }
        let whole = (bytes.count - offset) / 64
        if whole > 0 {
            compress(base + offset, blocks: whole)
            offset += whole * 64
        }
        if offset < bytes.count {
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base + offset, count: bytes.count - offset))
        }
    }

    /// Adds `bytes` to the hash.
    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds `n` zero bytes (a file's unwritten tail) without allocating them.
    mutating func updateZeros(_ n: UInt64) {
        var left = n
        while left > 0 {
            let step = Int(min(left, UInt64(MD5.zeros.count)))
            MD5.zeros.withUnsafeBytes { update(UnsafeRawBufferPointer(rebasing: $0[0..<step])) }
            left -= UInt64(step)
        }
    }

    private static let zeros = [UInt8](repeating: 0, count: 64 * 1024)

    /// The 16-byte digest of everything added so far (the state itself is unchanged).
    func finalize() -> [UInt8] {
        // The padding (0x80, zeros, the length in bits) is written after the pending bytes in
        // one or two blocks on the stack and compressed in place: an ETag per listed object
        // finalizes a saved state, and building the tail as arrays was most of its cost.
        var copy = self
        let used = pending.count  // count % 64
        let blocks = used < 56 ? 1 : 2
        let bits = count &* 8
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { tail in
            tail.initialize(repeating: 0)
            for (i, byte) in pending.enumerated() { tail[i] = byte }
            tail[used] = 0x80
            let end = blocks * 64
            for i in 0..<8 { tail[end - 8 + i] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i))) }
            if let base = tail.baseAddress {
                copy.compress(UnsafeRawPointer(base), blocks: blocks)
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        func append(_ word: UInt32) {
            for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: word >> (8 * UInt32(i)))) }
        }
        append(copy.a)
        append(copy.b)
        append(copy.c)
        append(copy.d)
        return out
    }

    /// The MD5 of `bytes`.
    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var h = MD5()
        h.update(bytes)
        return h.finalize()
    }

    /// Processes `blocks` whole 64-byte blocks at `p` (RFC 1321 section 3.4) with libcrypto's
    /// block function, hand-written assembly: about 770 MB/s on this project's machine, where
    /// the Swift rounds this replaced ran at 650 (issue #14: a 4 MiB S3 PUT spends a third or
    /// more of its CPU here).
    private mutating func compress(_ p: UnsafeRawPointer, blocks: Int) {
        var state: (UInt32, UInt32, UInt32, UInt32) = (a, b, c, d)
        withUnsafeMutableBytes(of: &state) { words in
            guard let base = words.baseAddress else { return }
            sharecore_md5_blocks(base.assumingMemoryBound(to: UInt32.self), p, blocks)
        }
        (a, b, c, d) = state
    }
}
