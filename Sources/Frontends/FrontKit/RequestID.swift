import Synchronization

/// Request ids as the fronts answer them.
public enum RequestID {
    /// 128 random bits drawn once per process.
    private static let salt: (high: UInt64, low: UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()
    /// Ids handed out so far by this process.
    private static let issued = Atomic<UInt64>(0)

    /// Sixteen upper-case hex digits, as S3 writes its request ids: the process's random salt
    /// mixed with a per-process sequence number (scrambled by a bijection of 64 bits), so two
    /// ids of one process never repeat, without a system call per request.
    public static func hex16() -> String {
        var value = issued.wrappingAdd(1, ordering: .relaxed).newValue
        value = value &* 0x9E37_79B9_7F4A_7C15  // odd multiplier: a bijection mod 2^64
        value ^= value >> 29
        value ^= salt.low
        return String(unsafeUninitializedCapacity: 16) { text in
            let digits: StaticString = "0123456789ABCDEF"
            for index in 0..<16 {
                text[index] = digits.utf8Start[Int((value >> (60 - 4 * UInt64(index))) & 0x0F)]
            }
            return 16
        }
    }

    /// A UUID in lower case, `8-4-4-4-12` hex digits, as Azure's request ids are written, and
    /// with the version 4 and RFC 4122 variant bits: the process's random salt with its last 48
    /// bits mixed with a per-process sequence number (scrambled by a bijection), so two ids of
    /// one process never repeat and ids of two processes collide no more often than random ones.
    /// Drawing 16 bytes from the system's generator for every request was a system call each
    /// (1.5% of a small FileREST GET, issue #14); formatted in place for the same reason.
    public static func uuid() -> String {
        let mask: UInt64 = (1 << 48) - 1
        var sequence = issued.wrappingAdd(1, ordering: .relaxed).newValue & mask
        sequence = (sequence &* 0x9E37_79B9_7F4A_7C15) & mask  // odd multiplier: a bijection mod 2^48
        sequence ^= sequence >> 24
        let high = salt.high & ~0xF000 | 0x4000  // version 4
        let low = (salt.low & ~mask ^ (salt.low ^ sequence) & mask) & ~(UInt64(0xC0) << 56) | UInt64(0x80) << 56  // variant
        return String(unsafeUninitializedCapacity: 36) { text in
            let digits: StaticString = "0123456789abcdef"
            var out = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    text[out] = UInt8(ascii: "-")
                    out += 1
                }
                let byte = UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (56 - 8 * (index % 8)))
                text[out] = digits.utf8Start[Int(byte >> 4)]
                text[out + 1] = digits.utf8Start[Int(byte & 0x0F)]
                out += 2
            }
            return out
        }
    }
}
