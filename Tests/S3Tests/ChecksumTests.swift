import Crypto
import Foundation
import FrontKit
import Testing
@testable import S3

/// The additional checksums of S3: the standard check values, values computed by other
/// implementations, and incremental hashing in arbitrary pieces.
@Suite struct ChecksumTests {
    /// The bytes `(i * 31 + 7) % 256` for `i` in `0..<count`.
    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) } }

    /// A bit-at-a-time reflected CRC: the textbook definition, independent of the tables.
    static func referenceCRC(_ bytes: [UInt8], polynomial: UInt64, width: Int) -> UInt64 {
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
        var crc = mask
        for b in bytes {
            crc ^= UInt64(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
        }
        return crc ^ mask
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("the check value of each algorithm for \"123456789\"", arguments: [
        (ChecksumAlgorithm.crc32, "cbf43926"),
        (.crc32c, "e3069283"),
        (.crc64nvme, "ae8b14860a799888"),
        (.sha1, "f7c3bc1d808e04732adf679965ccc34ca7ae3441"),
        (.sha256, "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"),
    ])
    func checkValue(algorithm: ChecksumAlgorithm, expected: String) {
        let digest = ChecksumHasher.checksum(algorithm, of: Array("123456789".utf8))
        #expect(Self.hex(digest) == expected)
        #expect(digest.count == algorithm.digestLength)
    }

    /// Values printed by zlib and awscrt (`from awscrt import checksums`) and hashlib for the
    /// 100,000 bytes of `pattern`:
    /// ```python
    /// data = bytes((i*31+7) % 256 for i in range(100000))
    /// b64(zlib.crc32(data)), b64(checksums.crc32c(data)), b64(checksums.crc64nvme(data)), ...
    /// ```
    @Test("values computed by zlib, awscrt and hashlib", arguments: [
        (ChecksumAlgorithm.crc32, "koWIAA=="),
        (.crc32c, "88shCw=="),
        (.crc64nvme, "DnZczS/QZoI="),
        (.sha1, "NasAyW9Hwmiwh9QNDc1yRYCfDVw="),
        (.sha256, "cxYgFhFV9o4SCfIrw0pya/Wlg/QKzyOuVWhLZ0/b6/I="),
    ])
    func otherImplementations(algorithm: ChecksumAlgorithm, expected: String) {
        var hasher = ChecksumHasher(algorithm)
        hasher.update(Self.pattern(100_000))
        #expect(hasher.base64 == expected)
    }

    @Test("the checksum of no bytes")
    func empty() {
        #expect(ChecksumHasher(.crc32).base64 == "AAAAAA==")
        #expect(ChecksumHasher(.crc32c).base64 == "AAAAAA==")
        #expect(ChecksumHasher(.crc64nvme).base64 == "AAAAAAAAAAA=")
        #expect(ChecksumHasher(.sha256).base64 == Data(SHA256.hash(data: [UInt8]())).base64EncodedString())
    }

    @Test("the CRCs equal a bit-by-bit CRC over random data fed in random pieces", arguments: [
        (ChecksumAlgorithm.crc32, UInt64(0xEDB8_8320), 32),
        (.crc32c, UInt64(0x82F6_3B78), 32),
        (.crc64nvme, UInt64(0x9A6C_9329_AC4B_C9B5), 64),
    ])
    func randomPieces(algorithm: ChecksumAlgorithm, polynomial: UInt64, width: Int) {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let count = Int.random(in: 0...5000, using: &generator)
            let data = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let reference = Self.referenceCRC(data, polynomial: polynomial, width: width)
            var expected = [UInt8](repeating: 0, count: width / 8)
            for i in 0..<(width / 8) { expected[i] = UInt8(truncatingIfNeeded: reference >> UInt64(width - 8 - 8 * i)) }
            #expect(ChecksumHasher.checksum(algorithm, of: data) == expected)
            var hasher = ChecksumHasher(algorithm)
            var offset = 0
            while offset < count {
                let piece = Int.random(in: 0...min(40, count - offset), using: &generator)
                hasher.update(data[offset..<(offset + piece)])
                offset += piece
            }
            #expect(hasher.finalize() == expected, "\(algorithm) of \(count) bytes in pieces")
        }
    }

    @Test("the SHA digests in pieces equal the digest in one piece", arguments: [ChecksumAlgorithm.sha1, .sha256])
    func shaPieces(algorithm: ChecksumAlgorithm) {
        let data = Self.pattern(10_000)
        var hasher = ChecksumHasher(algorithm)
        var copy = hasher
        for start in stride(from: 0, to: data.count, by: 777) { hasher.update(data[start..<min(start + 777, data.count)]) }
        copy.update(data)
        #expect(hasher.finalize() == copy.finalize())
        let expected = algorithm == .sha1 ? Array(Insecure.SHA1.hash(data: data)) : Array(SHA256.hash(data: data))
        #expect(hasher.finalize() == expected)
    }

    @Test("a copy of a hasher goes on independently")
    func copies() {
        var a = ChecksumHasher(.sha256)
        a.update(Array("1234".utf8))
        var b = a
        b.update(Array("56789".utf8))
        a.update(Array("5678".utf8))
        #expect(ChecksumHasher.checksum(.sha256, of: Array("123456789".utf8)) == b.finalize())
        #expect(ChecksumHasher.checksum(.sha256, of: Array("12345678".utf8)) == a.finalize())
    }

    @Test("header names and the values S3 accepts")
    func namesAndValues() {
        #expect(ChecksumAlgorithm.crc64nvme.headerName == "x-amz-checksum-crc64nvme")
        #expect(ChecksumAlgorithm(headerName: "x-amz-checksum-crc32c") == .crc32c)
        #expect(ChecksumAlgorithm(headerName: "x-amz-checksum-md5") == nil)
        #expect(ChecksumAlgorithm(named: "sha256") == .sha256)
        #expect(ChecksumAlgorithm.crc32.isValidValue("y/Q5Jg=="))
        #expect(!ChecksumAlgorithm.crc32.isValidValue("y/Q5Jg"))  // padding left out
        #expect(!ChecksumAlgorithm.crc32.isValidValue("cbf43926"))  // hex
        #expect(!ChecksumAlgorithm.crc32c.isValidValue("DnZczS/QZoI="))  // 8 bytes
        #expect(!ChecksumAlgorithm.crc32.isValidValue(""))
    }

    @Test("a large body hashes at a usable speed")
    func throughput() {
        let data = [UInt8](repeating: 0x5A, count: 4 << 20)
        for algorithm in [ChecksumAlgorithm.crc32, .crc32c, .crc64nvme] {
            var hasher = ChecksumHasher(algorithm)
            let clock = ContinuousClock()
            let elapsed = clock.measure { for _ in 0..<4 { hasher.update(data) } }
            // 16 MiB take about 0.2 s in a debug build (several GB/s in release): the limit
            // only catches a CRC that went an order of magnitude slower.
            #expect(elapsed < .seconds(3), "\(algorithm) took \(elapsed) for 16 MiB")
        }
    }
}

/// The checks of a plain (not aws-chunked) body: its length, `x-amz-content-sha256`,
/// `Content-MD5` and `x-amz-checksum-*`.
@Suite struct PayloadTests {
    typealias T = AuthTestSupport
    static let content = Array("123456789".utf8)
    static let md5 = "JfnnlDI7RTiF9RgfG2JNCw=="

    static func auth(_ payload: PayloadMode = .unsigned, presigned: Bool = false) -> SigV4Auth {
        SigV4Auth(accessKey: T.devKey, requestDate: SigV4Tests.now, timestamp: SigV4.basicTimestamp(SigV4Tests.now),
                  scope: "20231114/us-east-1/s3/aws4_request", signingKey: [], seedSignature: "", canonicalRequest: "",
                  payload: payload, presigned: presigned)
    }

    /// Opens `body` sent with `headers` (and a matching Content-Length unless given).
    static func open(_ headers: [(String, String)], body: [UInt8] = content, payload: PayloadMode = .unsigned,
                     path: String = "/bucket/key", presigned: Bool = false, computeMD5: Bool = false,
                     computeChecksum: ChecksumAlgorithm? = nil) throws -> (RequestBody, PayloadResult) {
        var fields = headers
        if !fields.contains(where: { $0.0 == "Content-Length" }) { fields.append(("Content-Length", String(body.count))) }
        let head = T.head(.put, path, authority: "localhost", fields)
        return try S3Payload.open(FrontRequest(head: head, body: TestBuffers.body(body, cutAt: [3, 4])),
                                  auth: auth(payload, presigned: presigned), computeMD5: computeMD5, computeChecksum: computeChecksum)
    }

    static func outcome(_ headers: [(String, String)], body: [UInt8] = content, payload: PayloadMode = .unsigned) async throws
        -> (bytes: [UInt8], error: S3Error?, result: PayloadResult) {
        let (decoded, result) = try open(headers, body: body, payload: payload)
        let drained = await T.drain(decoded)
        if drained.error != nil { #expect(!result.isComplete) }
        return (drained.bytes, drained.error, result)
    }

    @Test("x-amz-content-sha256 of the body, of another body, UNSIGNED-PAYLOAD")
    func contentSHA256() async throws {
        let hash = SigV4.hexSHA256(Self.content)
        #expect(try await Self.outcome([], payload: .sha256(hash)).error == nil)
        let other = try await Self.outcome([], body: Array("987654321".utf8), payload: .sha256(hash))
        #expect(other.error?.code == "XAmzContentSHA256Mismatch")
        #expect(T.details(other.error) == ["ClientComputedContentSHA256": hash,
                                           "S3ComputedContentSHA256": SigV4.hexSHA256(Array("987654321".utf8))])
        #expect(try await Self.outcome([], body: Array("987654321".utf8)).error == nil)
    }

    @Test("Content-MD5 of the body, of another body")
    func contentMD5() async throws {
        let good = try await Self.outcome([("Content-MD5", Self.md5)])
        #expect(good.error == nil)
        #expect(good.bytes == Self.content)
        #expect(good.result.md5.map { Data($0).base64EncodedString() } == Self.md5)
        let bad = try await Self.outcome([("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")])
        #expect(bad.error?.code == "BadDigest")
        #expect(bad.error?.message == "The Content-MD5 you specified did not match what we received.")
        #expect(T.details(bad.error) == ["ExpectedDigest": "1B2M2Y8AsgTpgAmY7PhCfg==", "CalculatedDigest": Self.md5])
    }

    @Test("a Content-MD5 that is not the base64 of 16 bytes is InvalidDigest", arguments: [
        "not base64!", "YWJyYWNhZGFicmE=", "25f9e794323b453885f5181f1b624d0b", "",
    ])
    func malformedMD5(value: String) {
        let error = T.s3Error { _ = try Self.open([("Content-MD5", value)]) }
        #expect(error?.code == "InvalidDigest")
        #expect(error?.message == "The Content-MD5 you specified was invalid.")
        #expect(T.details(error) == ["Content-MD5": value])
    }

    @Test("the MD5 on request, and a checksum to compute")
    func computed() async throws {
        let (body, result) = try Self.open([], computeMD5: true, computeChecksum: .crc64nvme)
        #expect(await T.drain(body).error == nil)
        #expect(result.md5.map { Data($0).base64EncodedString() } == Self.md5)
        #expect(result.checksum?.algorithm == .crc64nvme)
        #expect(result.checksum?.base64 == Data(ChecksumHasher.checksum(.crc64nvme, of: Self.content)).base64EncodedString())
        #expect(result.length == 9)
    }

    @Test("a checksum header that matches, and one that does not", arguments: ChecksumAlgorithm.allCases)
    func checksumHeader(algorithm: ChecksumAlgorithm) async throws {
        let value = Data(ChecksumHasher.checksum(algorithm, of: Self.content)).base64EncodedString()
        let good = try await Self.outcome([(algorithm.headerName, value), ("x-amz-sdk-checksum-algorithm", algorithm.rawValue)])
        #expect(good.error == nil)
        #expect(good.result.checksum?.algorithm == algorithm)
        #expect(good.result.checksum?.base64 == value)
        let wrong = Data(repeating: 1, count: algorithm.digestLength).base64EncodedString()
        let bad = try await Self.outcome([(algorithm.headerName, wrong)])
        #expect(bad.error?.code == "BadDigest")
        #expect(bad.error?.message == "The \(algorithm.rawValue) you specified did not match the calculated checksum.")
        let invalid = T.s3Error { _ = try Self.open([(algorithm.headerName, String(value.dropLast()))]) }
        #expect(invalid?.message == "Value for \(algorithm.headerName) header is invalid.")
    }

    @Test("checksum headers S3 refuses before reading the body")
    func checksumHeaderErrors() {
        let crc32 = ("x-amz-checksum-crc32", "y/Q5Jg==")
        let two = T.s3Error { _ = try Self.open([crc32, ("x-amz-checksum-crc32c", "4waSgw==")]) }
        #expect(two?.code == "InvalidRequest")
        #expect(two?.message == "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        let alone = T.s3Error { _ = try Self.open([("x-amz-sdk-checksum-algorithm", "CRC32")]) }
        #expect(alone?.message == "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
        let other = T.s3Error { _ = try Self.open([crc32, ("x-amz-sdk-checksum-algorithm", "SHA256")]) }
        #expect(other?.code == "BadDigest")
        #expect(other?.message == "The SHA256 you specified did not match the calculated checksum.")
        let unknown = T.s3Error { _ = try Self.open([crc32, ("x-amz-sdk-checksum-algorithm", "MD4")]) }
        #expect(unknown?.code == "InvalidRequest")
        #expect(unknown?.message.hasPrefix("Checksum algorithm provided is unsupported.") == true)
        let trailer = T.s3Error { _ = try Self.open([("x-amz-trailer", "x-amz-checksum-crc32")]) }
        #expect(trailer?.code == "MalformedTrailerError")
    }

    @Test("a presigned URL carries its checksum in the query")
    func presignedChecksum() async throws {
        let (body, result) = try Self.open([], path: "/bucket/key?x-amz-checksum-crc32=y%2FQ5Jg%3D%3D&x-amz-sdk-checksum-algorithm=CRC32",
                                           presigned: true)
        #expect(await T.drain(body).error == nil)
        #expect(result.checksum?.base64 == "y/Q5Jg==")
        let (bad, _) = try Self.open([], path: "/bucket/key?x-amz-checksum-crc32=AAAAAA%3D%3D", presigned: true)
        #expect(await T.drain(bad).error?.code == "BadDigest")
    }

    @Test("fewer or more bytes than Content-Length is IncompleteBody")
    func contentLength() async throws {
        let short = try await Self.outcome([("Content-Length", "10")])
        #expect(short.error?.code == "IncompleteBody")
        let long = try await Self.outcome([("Content-Length", "8")])
        #expect(long.error?.code == "IncompleteBody")
        #expect(long.bytes.count <= 8)
        let none = try Self.open([("Content-Length", "x")])
        #expect(await T.drain(none.0).error == nil)
    }
}
