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
                if let p = block.baseAddress { compress(p) }
            }
            pending.removeAll(keepingCapacity: true)
        }
        while bytes.count - offset >= 64 {
            compress(base + offset)
            offset += 64
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
                copy.compress(UnsafeRawPointer(base))
                if blocks == 2 { copy.compress(UnsafeRawPointer(base + 64)) }
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

    // The four rounds' step functions, each `a = b + ((a + F(b,c,d) + x + t) <<< s)`. The sum
    // `a + x + t` does not depend on `b` (the word the previous step produced), so it is added
    // first and only `F` and the last additions wait for `b`; F and G are written in the forms
    // with the fewest operations after `b` is known (RFC 1321's, rearranged).
    @inline(__always) private static func rotl(_ v: UInt32, _ s: UInt32) -> UInt32 { (v << s) | (v >> (32 - s)) }
    @inline(__always) private static func f(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ s: UInt32, _ t: UInt32) -> UInt32 {
        b &+ rotl((a &+ x &+ t) &+ (((c ^ d) & b) ^ d), s)
    }
    @inline(__always) private static func g(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ s: UInt32, _ t: UInt32) -> UInt32 {
        // (b & d) | (c & ~d): the two halves never share a bit, so they can be added.
        b &+ rotl((a &+ x &+ t &+ (c & ~d)) &+ (b & d), s)
    }
    @inline(__always) private static func h(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ s: UInt32, _ t: UInt32) -> UInt32 {
        b &+ rotl((a &+ x &+ t) &+ (b ^ (c ^ d)), s)
    }
    @inline(__always) private static func i(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ s: UInt32, _ t: UInt32) -> UInt32 {
        b &+ rotl((a &+ x &+ t) &+ (c ^ (b | ~d)), s)
    }

    /// Processes one 64-byte block at `p` (RFC 1321 section 3.4).
    private mutating func compress(_ p: UnsafeRawPointer) {
        @inline(__always) func word(_ i: Int) -> UInt32 { UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        let x0 = word(0), x1 = word(1), x2 = word(2), x3 = word(3)
        let x4 = word(4), x5 = word(5), x6 = word(6), x7 = word(7)
        let x8 = word(8), x9 = word(9), x10 = word(10), x11 = word(11)
        let x12 = word(12), x13 = word(13), x14 = word(14), x15 = word(15)
        var a = self.a, b = self.b, c = self.c, d = self.d
        a = MD5.f(a, b, c, d, x0, 7, 0xd76aa478)
        d = MD5.f(d, a, b, c, x1, 12, 0xe8c7b756)
        c = MD5.f(c, d, a, b, x2, 17, 0x242070db)
        b = MD5.f(b, c, d, a, x3, 22, 0xc1bdceee)
        a = MD5.f(a, b, c, d, x4, 7, 0xf57c0faf)
        d = MD5.f(d, a, b, c, x5, 12, 0x4787c62a)
        c = MD5.f(c, d, a, b, x6, 17, 0xa8304613)
        b = MD5.f(b, c, d, a, x7, 22, 0xfd469501)
        a = MD5.f(a, b, c, d, x8, 7, 0x698098d8)
        d = MD5.f(d, a, b, c, x9, 12, 0x8b44f7af)
        c = MD5.f(c, d, a, b, x10, 17, 0xffff5bb1)
        b = MD5.f(b, c, d, a, x11, 22, 0x895cd7be)
        a = MD5.f(a, b, c, d, x12, 7, 0x6b901122)
        d = MD5.f(d, a, b, c, x13, 12, 0xfd987193)
        c = MD5.f(c, d, a, b, x14, 17, 0xa679438e)
        b = MD5.f(b, c, d, a, x15, 22, 0x49b40821)
        a = MD5.g(a, b, c, d, x1, 5, 0xf61e2562)
        d = MD5.g(d, a, b, c, x6, 9, 0xc040b340)
        c = MD5.g(c, d, a, b, x11, 14, 0x265e5a51)
        b = MD5.g(b, c, d, a, x0, 20, 0xe9b6c7aa)
        a = MD5.g(a, b, c, d, x5, 5, 0xd62f105d)
        d = MD5.g(d, a, b, c, x10, 9, 0x02441453)
        c = MD5.g(c, d, a, b, x15, 14, 0xd8a1e681)
        b = MD5.g(b, c, d, a, x4, 20, 0xe7d3fbc8)
        a = MD5.g(a, b, c, d, x9, 5, 0x21e1cde6)
        d = MD5.g(d, a, b, c, x14, 9, 0xc33707d6)
        c = MD5.g(c, d, a, b, x3, 14, 0xf4d50d87)
        b = MD5.g(b, c, d, a, x8, 20, 0x455a14ed)
        a = MD5.g(a, b, c, d, x13, 5, 0xa9e3e905)
        d = MD5.g(d, a, b, c, x2, 9, 0xfcefa3f8)
        c = MD5.g(c, d, a, b, x7, 14, 0x676f02d9)
        b = MD5.g(b, c, d, a, x12, 20, 0x8d2a4c8a)
        a = MD5.h(a, b, c, d, x5, 4, 0xfffa3942)
        d = MD5.h(d, a, b, c, x8, 11, 0x8771f681)
        c = MD5.h(c, d, a, b, x11, 16, 0x6d9d6122)
        b = MD5.h(b, c, d, a, x14, 23, 0xfde5380c)
        a = MD5.h(a, b, c, d, x1, 4, 0xa4beea44)
        d = MD5.h(d, a, b, c, x4, 11, 0x4bdecfa9)
        c = MD5.h(c, d, a, b, x7, 16, 0xf6bb4b60)
        b = MD5.h(b, c, d, a, x10, 23, 0xbebfbc70)
        a = MD5.h(a, b, c, d, x13, 4, 0x289b7ec6)
        d = MD5.h(d, a, b, c, x0, 11, 0xeaa127fa)
        c = MD5.h(c, d, a, b, x3, 16, 0xd4ef3085)
        b = MD5.h(b, c, d, a, x6, 23, 0x04881d05)
        a = MD5.h(a, b, c, d, x9, 4, 0xd9d4d039)
        d = MD5.h(d, a, b, c, x12, 11, 0xe6db99e5)
        c = MD5.h(c, d, a, b, x15, 16, 0x1fa27cf8)
        b = MD5.h(b, c, d, a, x2, 23, 0xc4ac5665)
        a = MD5.i(a, b, c, d, x0, 6, 0xf4292244)
        d = MD5.i(d, a, b, c, x7, 10, 0x432aff97)
        c = MD5.i(c, d, a, b, x14, 15, 0xab9423a7)
        b = MD5.i(b, c, d, a, x5, 21, 0xfc93a039)
        a = MD5.i(a, b, c, d, x12, 6, 0x655b59c3)
        d = MD5.i(d, a, b, c, x3, 10, 0x8f0ccc92)
        c = MD5.i(c, d, a, b, x10, 15, 0xffeff47d)
        b = MD5.i(b, c, d, a, x1, 21, 0x85845dd1)
        a = MD5.i(a, b, c, d, x8, 6, 0x6fa87e4f)
        d = MD5.i(d, a, b, c, x15, 10, 0xfe2ce6e0)
        c = MD5.i(c, d, a, b, x6, 15, 0xa3014314)
        b = MD5.i(b, c, d, a, x13, 21, 0x4e0811a1)
        a = MD5.i(a, b, c, d, x4, 6, 0xf7537e82)
        d = MD5.i(d, a, b, c, x11, 10, 0xbd3af235)
        c = MD5.i(c, d, a, b, x2, 15, 0x2ad7d2bb)
        b = MD5.i(b, c, d, a, x9, 21, 0xeb86d391)

        self.a &+= a
        self.b &+= b
        self.c &+= c
        self.d &+= d
    }
}
