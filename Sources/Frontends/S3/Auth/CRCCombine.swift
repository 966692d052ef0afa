/// Combining CRCs: the CRC of `A` followed by `B` from `crc(A)`, `crc(B)` and the length of
/// `B` alone, without reading either again (zlib's `crc32_combine`, generalised to any
/// reflected CRC whose initial value and final XOR are all ones: CRC-32, CRC-32C,
/// CRC-64/NVME). This is how a multipart upload's full-object checksum follows from its
/// parts' checksums.
enum CRCCombine {
    /// `crc(A ∥ B)` for a reflected CRC of width `T` with (reflected) `polynomial`.
    static func combine<T: FixedWidthInteger & UnsignedInteger>(_ first: T, _ second: T, secondLength: UInt64,
                                                                 polynomial: T) -> T {
        guard secondLength > 0 else { return first }
        return multiply(power(of: 8 * secondLength, polynomial: polynomial), first, polynomial: polynomial) ^ second
    }

    /// The CRC of the concatenation of pieces given as (crc, length), in order.
    static func combine<T: FixedWidthInteger & UnsignedInteger>(_ pieces: [(crc: T, length: UInt64)], polynomial: T) -> T {
        guard let head = pieces.first else { return 0 }
        return pieces.dropFirst().reduce(head.crc) { combine($0, $1.crc, secondLength: $1.length, polynomial: polynomial) }
    }

    /// `a · b mod P` in the reflected bit order (the top bit is x⁰).
    static func multiply<T: FixedWidthInteger & UnsignedInteger>(_ a: T, _ b: T, polynomial: T) -> T {
        var m = T(1) << (T.bitWidth - 1)
        var b = b
        var product: T = 0
        while m != 0 {
            if a & m != 0 {
                product ^= b
                if a & (m - 1) == 0 { break }
            }
            m >>= 1
            b = b & 1 != 0 ? (b >> 1) ^ polynomial : b >> 1
        }
        return product
    }

    /// `x^exponent mod P`, by squaring.
    static func power<T: FixedWidthInteger & UnsignedInteger>(of exponent: UInt64, polynomial: T) -> T {
        var result = T(1) << (T.bitWidth - 1)  // x⁰
        var base = T(1) << (T.bitWidth - 2)    // x¹
        var e = exponent
        while e > 0 {
            if e & 1 != 0 { result = multiply(result, base, polynomial: polynomial) }
            base = multiply(base, base, polynomial: polynomial)
            e >>= 1
        }
        return result
    }

    /// The full-object checksum (big-endian digest) of parts with the given digests and sizes,
    /// for the algorithms that combine; nil for SHA-1 and SHA-256.
    static func fullObject(_ algorithm: ChecksumAlgorithm, parts: [(digest: [UInt8], size: UInt64)]) -> [UInt8]? {
        func value<T: FixedWidthInteger & UnsignedInteger>(_ digest: [UInt8], as _: T.Type) -> T {
            digest.reduce(T(0)) { $0 << 8 | T($1) }
        }
        func bytes<T: FixedWidthInteger>(_ crc: T) -> [UInt8] { withUnsafeBytes(of: crc.bigEndian) { Array($0) } }
        switch algorithm {
        case .crc32, .crc32c:
            let polynomial: UInt32 = algorithm == .crc32 ? 0xEDB8_8320 : 0x82F6_3B78
            return bytes(combine(parts.map { (value($0.digest, as: UInt32.self), $0.size) }, polynomial: polynomial))
        case .crc64nvme:
            return bytes(combine(parts.map { (value($0.digest, as: UInt64.self), $0.size) }, polynomial: UInt64(0x9A6C_9329_AC4B_C9B5)))
        case .sha1, .sha256:
            return nil
        }
    }
}
