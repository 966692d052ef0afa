import Crypto
import Foundation

/// The additional checksums S3 accepts and reports (`x-amz-checksum-<name>` headers, trailers
/// and `ChecksumCRC32`-style XML elements). Values travel as base64 of the big-endian digest.
enum ChecksumAlgorithm: String, CaseIterable, Sendable {
    /// CRC-32 as zlib computes it (reflected polynomial 0xEDB88320).
    case crc32 = "CRC32"
    /// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
    case crc32c = "CRC32C"
    /// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5).
    case crc64nvme = "CRC64NVME"
    /// SHA-1.
    case sha1 = "SHA1"
    /// SHA-256.
    case sha256 = "SHA256"

    /// The header (and trailer) that carries a value: `x-amz-checksum-crc32` and so on.
    var headerName: String { "x-amz-checksum-" + rawValue.lowercased() }

    /// The number of bytes of a digest.
    var digestLength: Int {
        switch self {
        case .crc32, .crc32c: 4
        case .crc64nvme: 8
        case .sha1: 20
        case .sha256: 32
        }
    }

    /// The algorithm S3 names `text` (any letter case), as in `x-amz-sdk-checksum-algorithm`.
    init?(named text: String) {
        self.init(rawValue: text.uppercased())
    }

    /// The algorithm whose header is `name` (lowercase `x-amz-checksum-...`).
    init?(headerName name: String) {
        let prefix = "x-amz-checksum-"
        guard name.hasPrefix(prefix) else { return nil }
        self.init(named: String(name.dropFirst(prefix.count)))
    }

    /// Whether `value` is what S3 accepts for this algorithm: canonical, padded base64 of a
    /// digest of the right length.
    func isValidValue(_ value: String) -> Bool {
        guard let data = Data(base64Encoded: value), data.count == digestLength else { return false }
        return data.base64EncodedString() == value
    }
}

/// Computes a checksum a piece at a time.
///
/// `@unchecked Sendable`: the swift-crypto digests it may hold are copy-on-write values
/// without a `Sendable` conformance; a hasher is never shared, only moved.
struct ChecksumHasher: @unchecked Sendable {
    private enum State {
        case crc32(UInt32)
        case crc32c(UInt32)
        case crc64(UInt64)
        case sha1(Insecure.SHA1)
        case sha256(SHA256)
    }

    /// The algorithm.
    let algorithm: ChecksumAlgorithm
    private var state: State

    /// A hasher for `algorithm`, with nothing hashed yet.
    init(_ algorithm: ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .crc32: state = .crc32(0)
        case .crc32c: state = .crc32c(0)
        case .crc64nvme: state = .crc64(0)
        case .sha1: state = .sha1(Insecure.SHA1())
        case .sha256: state = .sha256(SHA256())
        }
    }

    /// Adds `bytes`.
    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds `bytes`.
    mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds the bytes of `buffer`.
    mutating func update(_ buffer: UnsafeRawBufferPointer) {
        switch state {
        case .crc32(let crc): state = .crc32(CRC.crc32(crc, buffer, CRC.crc32Tables))
        case .crc32c(let crc): state = .crc32c(CRC.crc32(crc, buffer, CRC.crc32cTables))
        case .crc64(let crc): state = .crc64(CRC.crc64(crc, buffer))
        case .sha1(var hash):
            state = .crc32(0)  // drop the reference so the digest stays uniquely owned
            hash.update(bufferPointer: buffer)
            state = .sha1(hash)
        case .sha256(var hash):
            state = .crc32(0)
            hash.update(bufferPointer: buffer)
            state = .sha256(hash)
        }
    }

    /// The digest of everything added, big-endian for the CRCs.
    func finalize() -> [UInt8] {
        switch state {
        case .crc32(let crc), .crc32c(let crc):
            return withUnsafeBytes(of: crc.bigEndian) { Array($0) }
        case .crc64(let crc):
            return withUnsafeBytes(of: crc.bigEndian) { Array($0) }
        case .sha1(let hash):
            return Array(hash.finalize())
        case .sha256(let hash):
            return Array(hash.finalize())
        }
    }

    /// The base64 of ``finalize()``, as S3 sends and expects it.
    var base64: String { Data(finalize()).base64EncodedString() }

    /// The checksum of `bytes` in one call.
    static func checksum(_ algorithm: ChecksumAlgorithm, of bytes: [UInt8]) -> [UInt8] {
        var hasher = ChecksumHasher(algorithm)
        hasher.update(bytes)
        return hasher.finalize()
    }
}

/// Table-driven CRCs, eight bytes per step ("slicing by 8"): table `k` holds the CRC of a
/// byte followed by `k` zero bytes, so eight lookups advance the register by eight bytes.
enum CRC {
    /// CRC-32 (zlib) tables: 8 × 256 entries.
    static let crc32Tables: [UInt32] = tables(polynomial: 0xEDB8_8320)
    /// CRC-32C tables.
    static let crc32cTables: [UInt32] = tables(polynomial: 0x82F6_3B78)
    /// CRC-64/NVME tables.
    static let crc64Tables: [UInt64] = tables(polynomial: 0x9A6C_9329_AC4B_C9B5)

    /// Slicing-by-8 tables of a reflected CRC of width `T` with (reflected) `polynomial`.
    private static func tables<T: FixedWidthInteger & UnsignedInteger>(polynomial: T) -> [T] {
        var t = [T](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var crc = T(i)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            t[i] = crc
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let previous = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }

    /// Continues a reflected 32-bit CRC (`crc` is a finished value, 0 for none yet) over `data`.
    static func crc32(_ crc: UInt32, _ data: UnsafeRawBufferPointer, _ tables: [UInt32]) -> UInt32 {
        var c = ~crc
        tables.withUnsafeBufferPointer { t in
            guard let base = t.baseAddress else { return }
            var i = 0
            let n = data.count
            while i + 8 <= n {
                let lo = UInt32(littleEndian: data.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ c
                let hi = UInt32(littleEndian: data.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                c = base[7 * 256 + Int(lo & 0xFF)] ^ base[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ base[5 * 256 + Int((lo >> 16) & 0xFF)] ^ base[4 * 256 + Int(lo >> 24)]
                    ^ base[3 * 256 + Int(hi & 0xFF)] ^ base[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ base[1 * 256 + Int((hi >> 16) & 0xFF)] ^ base[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = base[Int((c ^ UInt32(data[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }

    /// Continues CRC-64/NVME (`crc` is a finished value, 0 for none yet) over `data`.
    static func crc64(_ crc: UInt64, _ data: UnsafeRawBufferPointer) -> UInt64 {
        var c = ~crc
        crc64Tables.withUnsafeBufferPointer { t in
            guard let base = t.baseAddress else { return }
            var i = 0
            let n = data.count
            while i + 8 <= n {
                let v = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ c
                c = base[7 * 256 + Int(v & 0xFF)] ^ base[6 * 256 + Int((v >> 8) & 0xFF)]
                    ^ base[5 * 256 + Int((v >> 16) & 0xFF)] ^ base[4 * 256 + Int((v >> 24) & 0xFF)]
                    ^ base[3 * 256 + Int((v >> 32) & 0xFF)] ^ base[2 * 256 + Int((v >> 40) & 0xFF)]
                    ^ base[1 * 256 + Int((v >> 48) & 0xFF)] ^ base[Int(v >> 56)]
                i += 8
            }
            while i < n {
                c = base[Int((c ^ UInt64(data[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }
}
