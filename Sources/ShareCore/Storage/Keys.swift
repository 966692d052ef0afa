import CXXH3
import CXXHash
import Foundation

/// Big-endian tuple keys: LMDB compares keys bytewise, so big-endian integers sort numerically
/// and every table iterates in the order we list in.
struct Key {
    private(set) var bytes: [UInt8]

    init(capacity: Int = 32) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    static func u64(_ values: UInt64...) -> [UInt8] {
        var key = Key(capacity: values.count * 8)
        for value in values { key.append(value) }
        return key.bytes
    }

    mutating func append(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ raw: some Sequence<UInt8>) {
        bytes.append(contentsOf: raw)
    }
}

extension UnsafeRawBufferPointer {
    /// Reads a big-endian UInt64 at `offset`.
    func beUInt64(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(self[offset + i]) }
        return value
    }
}

extension Array where Element == UInt8 {
    func beUInt64(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(self[offset + i]) }
        return value
    }
}

/// Versioned keys end in the inverted epoch, so that the newest version of a key sorts first.
enum Epoch {
    static func inverted(_ epoch: UInt64) -> UInt64 { UInt64.max - epoch }

    /// The epoch stored in the last 8 bytes of a versioned key.
    static func of(key: UnsafeRawBufferPointer) -> UInt64 {
        UInt64.max - key.beUInt64(at: key.count - 8)
    }
}

/// xxh3-64 over raw bytes (AVX2 when the CPU has it, else libxxhash; the same values).
enum XXH3 {
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        sharecore_xxh3_64bits(bytes.baseAddress, bytes.count)
    }

    /// Copies `bytes` to `dest` (at least as large, not overlapping) and returns their hash,
    /// in one pass over `bytes` (see `sharecore_xxh3_64bits_copy`).
    static func hashCopying(_ bytes: UnsafeRawBufferPointer, to dest: UnsafeMutableRawPointer) -> UInt64 {
        sharecore_xxh3_64bits_copy(dest, bytes.baseAddress, bytes.count)
    }

    /// libxxhash's own computation, whatever the CPU (tests compare it with `hash`).
    static func libraryHash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        XXH3_64bits(bytes.baseAddress, bytes.count)
    }

    static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { hash($0) }
    }
}

/// Byte-wise (LMDB) order of keys.
enum KeyOrder {
    static func max(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        a.lexicographicallyPrecedes(b) ? b : a
    }

    /// Whether key `a`, where it lies in the map, is `b`: compared with `memcmp`, not byte by
    /// byte through the generic `elementsEqual` (a listing compares every entry's key with
    /// its marker).
    static func equal(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return b.withUnsafeBytes { b in
            guard let left = a.baseAddress, let right = b.baseAddress else { return true }
            return memcmp(left, right, b.count) == 0
        }
    }
}
