import Crypto
import Foundation
import FrontKit
import HTTPTypes
import Testing
@testable import S3

/// A body that arrives as the given buffers.
struct TestBuffers: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let parts: [[UInt8]]

    struct Iterator: AsyncIteratorProtocol {
        var rest: ArraySlice<[UInt8]>
        mutating func next() async throws -> [UInt8]? { rest.popFirst() }
    }

    func makeAsyncIterator() -> Iterator { Iterator(rest: parts[...]) }

    /// `bytes` cut at `offsets` (sorted).
    static func body(_ bytes: [UInt8], cutAt offsets: [Int] = []) -> RequestBody {
        var parts: [[UInt8]] = []
        var start = 0
        for offset in offsets.sorted() where offset > start && offset < bytes.count {
            parts.append(Array(bytes[start..<offset]))
            start = offset
        }
        parts.append(Array(bytes[start...]))
        return RequestBody(TestBuffers(parts: parts)) { $0 }
    }
}

extension AuthTestSupport {
    /// Reads a checked body the way a storing consumer does: every buffer until nil. Returns
    /// the bytes, or the error thrown before the end (nil never comes after an error).
    static func drain(_ body: RequestBody) async -> (bytes: [UInt8], error: S3Error?) {
        var bytes: [UInt8] = []
        var iterator = body.makeAsyncIterator()
        do {
            while let buffer = try await iterator.next() { bytes += buffer }
            return (bytes, nil)
        } catch let error as S3Error {
            // A consumer that asks again keeps getting the failure, never a clean end.
            do {
                _ = try await iterator.next()
                Issue.record("the body ended cleanly after failing")
            } catch {}
            return (bytes, error)
        } catch {
            Issue.record("unexpected error \(error)")
            return (bytes, nil)
        }
    }
}

@Suite struct ChunkedBodyTests {
    typealias T = AuthTestSupport

    static let a = [UInt8](repeating: UInt8(ascii: "a"), count: 66_560)

    /// The body of the AWS examples: 64 KiB and 1 KiB of "a" then the final chunk, each with
    /// the given signature, then `trailer` lines.
    static func exampleBody(_ signatures: [String], trailer: [String] = []) -> [UInt8] {
        var out = Array("10000;chunk-signature=\(signatures[0])\r\n".utf8) + a[..<65_536] + Array("\r\n".utf8)
        out += Array("400;chunk-signature=\(signatures[1])\r\n".utf8) + a[..<1024] + Array("\r\n".utf8)
        out += Array("0;chunk-signature=\(signatures[2])\r\n".utf8)
        for line in trailer { out += Array((line + "\r\n").utf8) }
        return out + Array("\r\n".utf8)
    }

    static let exampleHeaders: [(String, String)] = [
        ("Content-Encoding", "aws-chunked"), ("Content-Length", "66824"), ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"), ("x-amz-decoded-content-length", "66560"),
    ]

    /// The example of sigv4-streaming.html: the seed signature of its headers, then its body.
    @Test("the AWS chunked upload example: seed signature, chunk signatures, data")
    func awsStreamingExample() async throws {
        let head = T.head(.put, "/examplebucket/chunkObject.txt", authority: "s3.amazonaws.com", Self.exampleHeaders + [
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"),
        ])
        let auth = try SigV4.verify(head, secrets: T.exampleSecrets, now: T.exampleDate)
        #expect(auth.payload == .streamingSigned)
        #expect(auth.seedSignature == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
        // The first chunk's string to sign and signature, as the page shows them.
        let first = SigV4.chunkStringToSign(timestamp: auth.timestamp, scope: auth.scope, previousSignature: auth.seedSignature,
                                            chunkHash: SigV4.hexSHA256(Array(Self.a[..<65_536])))
        #expect(first == "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            + "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9\n"
            + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            + "bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a")
        #expect(SigV4.signature(key: auth.signingKey, first) == "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648")

        let body = Self.exampleBody(["ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                                     "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                                     "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"])
        #expect(body.count == 66_824)
        let (decoded, result) = try S3Payload.open(FrontRequest(head: head, body: TestBuffers.body(body, cutAt: [5, 70, 65_600])),
                                                   auth: auth, computeMD5: true)
        let outcome = await T.drain(decoded)
        #expect(outcome.error == nil)
        let same = outcome.bytes == Self.a
        #expect(same)
        #expect(result.isComplete)
        #expect(result.length == 66_560)
        #expect(result.md5 == Array(Insecure.MD5.hash(data: Self.a)))

        // The same body with one byte of data changed fails on that chunk's signature.
        var tampered = body
        tampered[30_000] = UInt8(ascii: "b")
        let (bad, badResult) = try S3Payload.open(FrontRequest(head: head, body: TestBuffers.body(tampered)), auth: auth, computeMD5: false)
        let failed = await T.drain(bad)
        #expect(failed.error?.code == "SignatureDoesNotMatch")
        #expect(T.details(failed.error)["StringToSign"]?.hasPrefix("AWS4-HMAC-SHA256-PAYLOAD\n") == true)
        #expect(!badResult.isComplete)
    }

    /// The example of sigv4-streaming-trailers.html.
    @Test("the AWS chunked upload example with a signed trailing CRC32C")
    func awsTrailerExample() async throws {
        let head = T.head(.put, "/examplebucket/chunkObject.txt", authority: "s3.amazonaws.com", [
            ("Content-Encoding", "aws-chunked"), ("x-amz-date", "20130524T000000Z"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-decoded-content-length", "66560"), ("x-amz-trailer", "x-amz-checksum-crc32c"),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"),
        ])
        let auth = try SigV4.verify(head, secrets: T.exampleSecrets, now: T.exampleDate)
        #expect(auth.payload == .streamingSignedTrailer)
        let signatures = ["b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
                          "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
                          "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"]
        let body = Self.exampleBody(signatures, trailer: [
            "x-amz-checksum-crc32c:sOO8/Q==",
            "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435",
        ])
        let (decoded, result) = try S3Payload.open(FrontRequest(head: head, body: TestBuffers.body(body, cutAt: [66_700])),
                                                   auth: auth, computeMD5: false)
        let outcome = await T.drain(decoded)
        #expect(outcome.error == nil)
        let same = outcome.bytes == Self.a
        #expect(same)
        #expect(result.checksum?.algorithm == .crc32c)
        #expect(result.checksum?.base64 == "sOO8/Q==")

        // A trailer signature that does not cover the trailer.
        let forged = Self.exampleBody(signatures, trailer: [
            "x-amz-checksum-crc32c:sOO8/Q==",
            "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e436",
        ])
        let (bad, _) = try S3Payload.open(FrontRequest(head: head, body: TestBuffers.body(forged)), auth: auth, computeMD5: false)
        let failed = await T.drain(bad)
        #expect(failed.error?.code == "SignatureDoesNotMatch")
        #expect(T.details(failed.error)["StringToSign"]?.hasPrefix("AWS4-HMAC-SHA256-TRAILER\n") == true)
    }

    /// aws-c-auth's test of trailing headers (the chunks of the example, then three headers).
    @Test("the trailer signature of the common runtime's test")
    func crtTrailerVector() {
        let key = SigV4.signingKey(secret: T.exampleSecret, date: "20130524", region: "us-east-1")
        let signature = SigV4.trailerSignature(key: key, timestamp: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request",
                                               previousSignature: "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
                                               trailers: [("first", "1st"), ("second", "2nd"), ("third", "3rd")])
        #expect(signature == "df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c")
    }

    /// What botocore 1.43.11 sent for `put_object(Bucket="bucket", Key="trailer.txt", Body=data)`
    /// over https: STREAMING-UNSIGNED-PAYLOAD-TRAILER with its default CRC32.
    @Test("botocore's unsigned-trailer PutObject")
    func botocoreUnsignedTrailer() async throws {
        let data = (0..<300).map { UInt8((($0 * 7 + 65) % 26) + 97) }
        let body = Array("12c\r\n".utf8) + data + Array("\r\n0\r\nx-amz-checksum-crc32:huYKvw==\r\n\r\n".utf8)
        let head = T.head(.put, "/bucket/trailer.txt", authority: "s3.example.test", [
            ("User-Agent", "Botocore/1.43.11"), ("Expect", "100-continue"), ("Transfer-Encoding", "chunked"),
            ("Content-Encoding", "aws-chunked"), ("X-Amz-Trailer", "x-amz-checksum-crc32"), ("X-Amz-Decoded-Content-Length", "300"),
            ("x-amz-sdk-checksum-algorithm", "CRC32"), ("X-Amz-Date", "20261121T160724Z"),
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=devstoreaccount1/20261121/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-sdk-checksum-algorithm;x-amz-trailer, Signature=470f3e23b821feaa822b64c7b352b73ffc362f95ee17e4e712f998032c0b7aac"),
        ])
        let now = try #require(SigV4.parseBasicTimestamp("20261121T160724Z"))
        let auth = try SigV4.verify(head, secrets: T.devSecrets, now: now)
        #expect(auth.payload == .streamingUnsignedTrailer)
        for cut in [[], [3], [5, 6, 305, 306, 310], Array(stride(from: 1, to: body.count, by: 1))] {
            let (decoded, result) = try S3Payload.open(FrontRequest(head: head, body: TestBuffers.body(body, cutAt: cut)),
                                                       auth: auth, computeMD5: false)
            let outcome = await T.drain(decoded)
            #expect(outcome.error == nil)
            #expect(outcome.bytes == data)
            #expect(result.checksum?.base64 == "huYKvw==")
        }
        #expect(S3Payload.storedContentEncoding("aws-chunked") == nil)
        #expect(S3Payload.storedContentEncoding("aws-chunked,gzip") == "gzip")
        #expect(S3Payload.storedContentEncoding("gzip, aws-chunked") == "gzip")
        #expect(S3Payload.storedContentEncoding("deflate, gzip") == "deflate, gzip")
    }

    // MARK: Bodies made here, in every mode, cut anywhere

    static let data = ChecksumTests.pattern(2 * 8192 + 100)
    static let crc = ChecksumHasher.checksum(.crc32c, of: data)

    struct Upload {
        var head: HTTPRequest
        var auth: SigV4Auth
        var body: [UInt8]

        func open(cut: [Int] = [], body other: [UInt8]? = nil) throws -> (RequestBody, PayloadResult) {
            try S3Payload.open(FrontRequest(head: head, body: TestBuffers.body(other ?? body, cutAt: cut)), auth: auth, computeMD5: false)
        }
    }

    static let modes: [(PayloadMode, String)] = [
        (.streamingSigned, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        (.streamingSignedTrailer, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
        (.streamingUnsignedTrailer, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
    ]

    /// A signed upload of `data` as a client makes it: headers signed with sign(), the body
    /// with the encoder.
    static func upload(_ mode: PayloadMode, data: [UInt8] = data, chunkSize: Int = 8192,
                       trailers: [(name: String, value: String)]? = nil, headers: [(String, String)]? = nil) throws -> Upload {
        let hash = try #require(modes.first { $0.0 == mode }).1
        let sendTrailers = mode.hasTrailer ? trailers ?? [("x-amz-checksum-crc32c", Data(ChecksumHasher.checksum(.crc32c, of: data)).base64EncodedString())] : []
        var fields: [(String, String)] = headers ?? [("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", String(data.count))]
        if mode.hasTrailer && headers == nil { fields.append(("x-amz-trailer", "x-amz-checksum-crc32c")) }
        var head = T.head(.put, "/bucket/object", authority: "localhost:10000", fields)
        let signer = SigV4.sign(&head, accessKey: T.devKey, secret: T.devSecret, date: SigV4Tests.now, payloadHash: hash)
        let auth = try SigV4.verify(head, secrets: T.devSecrets, now: SigV4Tests.now)
        #expect(auth.seedSignature == signer.seedSignature)
        let body = AWSChunkedEncoder.encode(data, chunkSize: chunkSize, mode: mode, signer: signer, trailers: sendTrailers)
        return Upload(head: head, auth: auth, body: body)
    }

    @Test("each mode decodes whatever the buffers' boundaries", arguments: [PayloadMode.streamingSigned, .streamingSignedTrailer,
                                                                             .streamingUnsignedTrailer])
    func anySplit(mode: PayloadMode) async throws {
        let upload = try Self.upload(mode)
        // Every cut in two near the framing (where a line or a signature can be split), a
        // byte at a time, and random cuts in three to nine pieces.
        var framing: [Int] = []
        var i = 0
        while i < upload.body.count {
            framing += Array(max(0, i - 3)..<min(upload.body.count, i + 100))
            i += 8192 + 100
        }
        framing += Array(max(0, upload.body.count - 200)..<upload.body.count)
        var cuts = Set(framing).map { [$0] }
        cuts.append(Array(1..<upload.body.count))
        for _ in 0..<50 { cuts.append((0..<Int.random(in: 2...8)).map { _ in Int.random(in: 1..<upload.body.count) }) }
        for cut in cuts {
            let (body, result) = try upload.open(cut: cut)
            let outcome = await T.drain(body)
            #expect(outcome.error == nil, "cut at \(cut.prefix(5))")
            let same = outcome.bytes == Self.data
            #expect(same, "cut at \(cut.prefix(5))")
            if mode.hasTrailer { #expect(result.checksum?.base64 == Data(Self.crc).base64EncodedString()) }
        }
    }

    @Test("an empty object in each mode", arguments: [PayloadMode.streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer])
    func emptyObject(mode: PayloadMode) async throws {
        let upload = try Self.upload(mode, data: [])
        let (body, result) = try upload.open()
        let outcome = await T.drain(body)
        #expect(outcome.error == nil)
        #expect(outcome.bytes.isEmpty)
        #expect(result.isComplete)
    }

    /// Where `text` occurs in `body` first (from `start` on).
    static func find(_ text: String, in body: [UInt8], from start: Int = 0) -> Int? {
        let needle = Array(text.utf8)
        guard body.count >= needle.count, start <= body.count - needle.count else { return nil }
        return (start...(body.count - needle.count)).first { body[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// `body` with every occurrence of `text` replaced (the data is binary: no String round trip).
    static func replacing(_ text: String, with replacement: String, in body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var start = 0
        while let at = find(text, in: body, from: start) {
            out += body[start..<at] + Array(replacement.utf8)
            start = at + text.utf8.count
        }
        return out + body[start...]
    }

    /// Changes the byte after the `index`-th occurrence of `text`.
    static func corrupt(_ body: [UInt8], after text: String, index: Int = 0) -> [UInt8] {
        var found = -1
        var start = 0
        for _ in 0...index {
            guard let at = find(text, in: body, from: start) else { return body }
            found = at
            start = at + 1
        }
        var out = body
        let position = found + text.utf8.count
        out[position] = out[position] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        return out
    }

    static func failure(_ upload: Upload, _ body: [UInt8]? = nil, cut: [Int] = []) async throws -> S3Error? {
        let (decoded, result) = try upload.open(cut: cut, body: body)
        let outcome = await T.drain(decoded)
        #expect(!result.isComplete)
        return outcome.error
    }

    @Test("a wrong chunk signature, first, later or final")
    func wrongChunkSignature() async throws {
        let upload = try Self.upload(.streamingSigned)
        for index in 0..<4 {
            let error = try await Self.failure(upload, Self.corrupt(upload.body, after: "chunk-signature=", index: index))
            #expect(error?.code == "SignatureDoesNotMatch", "chunk \(index)")
        }
    }

    @Test("changed data in a signed chunk")
    func tamperedChunk() async throws {
        for mode in [PayloadMode.streamingSigned, .streamingSignedTrailer] {
            let upload = try Self.upload(mode)
            var body = upload.body
            body[9000] ^= 1
            #expect(try await Self.failure(upload, body)?.code == "SignatureDoesNotMatch")
        }
    }

    @Test("a wrong trailing checksum is BadDigest, signed or not")
    func wrongTrailerChecksum() async throws {
        let wrong = [("x-amz-checksum-crc32c", "AAAAAA==")]
        for mode in [PayloadMode.streamingSignedTrailer, .streamingUnsignedTrailer] {
            let error = try await Self.failure(try Self.upload(mode, trailers: wrong))
            #expect(error?.code == "BadDigest")
            #expect(error?.message == "The CRC32C you specified did not match the calculated checksum.")
        }
        // A changed checksum under a valid signature is a signature failure first.
        let upload = try Self.upload(.streamingSignedTrailer)
        let changed = Self.corrupt(upload.body, after: "x-amz-checksum-crc32c:")
        #expect(try await Self.failure(upload, changed)?.code == "SignatureDoesNotMatch")
    }

    @Test("trailers that are missing, not announced or not valid")
    func trailerProblems() async throws {
        let missing = try await Self.failure(try Self.upload(.streamingUnsignedTrailer, trailers: []))
        #expect(missing?.code == "MalformedTrailerError")
        let other = try await Self.failure(try Self.upload(.streamingUnsignedTrailer, trailers: [("x-amz-checksum-crc32", "AAAAAA==")]))
        #expect(other?.code == "MalformedTrailerError")
        let invalid = try await Self.failure(try Self.upload(.streamingUnsignedTrailer, trailers: [("x-amz-checksum-crc32c", "AAAA")]))
        #expect(invalid?.code == "InvalidRequest")
        #expect(invalid?.message == "Value for x-amz-checksum-crc32c trailing header is invalid.")
        // Signed trailers without their signature.
        let signed = try Self.upload(.streamingSignedTrailer)
        let cut = try #require(Self.find("x-amz-trailer-signature:", in: signed.body))
        let unsigned = Array(signed.body[..<cut]) + Array("\r\n".utf8)
        #expect(try await Self.failure(signed, unsigned)?.code == "MalformedTrailerError")
    }

    @Test("a body cut short is IncompleteBody")
    func truncated() async throws {
        for mode in [PayloadMode.streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer] {
            let upload = try Self.upload(mode)
            let final = try #require(Self.find(mode.signsChunks ? "\r\n0;chunk-signature=" : "\r\n0\r\n", in: upload.body))
            let beforeFinal = Array(upload.body[..<final]) + Array("\r\n".utf8)
            for body in [beforeFinal, Array(upload.body.prefix(10_000)), Array(upload.body.prefix(5))] {
                let error = try await Self.failure(upload, body)
                #expect(error?.code == "IncompleteBody", "\(mode) cut at \(body.count)")
                #expect(error?.message == "The request body terminated unexpectedly")
            }
        }
    }

    @Test("a size that is not hexadecimal, a missing chunk signature")
    func badFraming() async throws {
        let upload = try Self.upload(.streamingSigned)
        var body = upload.body
        body[0] = UInt8(ascii: "z")  // "2000;..." becomes "z000;..."
        #expect(try await Self.failure(upload, body)?.code == "IncompleteBody")
        let noSignature = Self.replacing(";chunk-signature=", with: ";chunk-signatur=", in: upload.body)
        #expect(try await Self.failure(upload, noSignature)?.code == "IncompleteBody")
        var noLineEnd = upload.body
        noLineEnd[noLineEnd.firstIndex(of: 13).map { $0 + 2 + 8192 } ?? 0] = UInt8(ascii: "x")  // the CRLF after the data
        #expect(try await Self.failure(upload, noLineEnd)?.code == "IncompleteBody")
        var trailing = upload.body
        trailing += Array("garbage".utf8)
        #expect(try await Self.failure(upload, trailing)?.code == "IncompleteBody")
    }

    @Test("a decoded length other than the data's is IncompleteBody", arguments: [-1, 1, -8192])
    func decodedLengthMismatch(delta: Int) async throws {
        let fields = [("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", String(Self.data.count + delta))]
        for mode in [PayloadMode.streamingSigned, .streamingUnsignedTrailer] {
            let upload = try Self.upload(mode, headers: fields + (mode.hasTrailer ? [("x-amz-trailer", "x-amz-checksum-crc32c")] : []))
            let error = try await Self.failure(upload)
            #expect(error?.code == "IncompleteBody", "\(mode) \(delta)")
        }
    }

    @Test("a chunk under 8192 bytes that is not the last is InvalidChunkSizeError")
    func smallChunk() async throws {
        for mode in [PayloadMode.streamingSigned, .streamingUnsignedTrailer] {
            let error = try await Self.failure(try Self.upload(mode, chunkSize: 8191))
            #expect(error?.code == "InvalidChunkSizeError")
            #expect(error?.status == .forbidden)
            #expect(T.details(error) == ["Chunk": "1", "BadChunkSize": "8191"])
        }
        // The last chunk with data may be small (the example's 100 bytes at the end), and so
        // may a single one.
        let small = try Self.upload(.streamingSigned, data: Array(Self.data.prefix(10)))
        #expect(await T.drain(try small.open().0).error == nil)
    }

    @Test("header problems are thrown by open()")
    func openErrors() throws {
        let upload = try Self.upload(.streamingSigned)
        let noLength = T.setting(upload.head, "x-amz-decoded-content-length", nil)
        let error = T.s3Error { _ = try S3Payload.open(FrontRequest(head: noLength), auth: upload.auth, computeMD5: false) }
        #expect(error?.code == "MissingContentLength")
        #expect(error?.status.code == 411)
        let trailer = T.setting(upload.head, "x-amz-trailer", "x-amz-checksum-crc32")
        #expect(T.s3Error { _ = try S3Payload.open(FrontRequest(head: trailer), auth: upload.auth, computeMD5: false) }?.code
            == "MalformedTrailerError")
        let unknown = T.setting(upload.head, "x-amz-trailer", "x-amz-meta-a")
        #expect(T.s3Error { _ = try S3Payload.open(FrontRequest(head: unknown), auth: upload.auth, computeMD5: false) }?.code
            == "InvalidRequest")
    }

    @Test("some clients put an empty line before the trailers or before the trailer signature")
    func trailerLeniency() async throws {
        let upload = try Self.upload(.streamingSignedTrailer)
        let blankBefore = Self.replacing("\r\nx-amz-checksum-crc32c:", with: "\r\n\r\nx-amz-checksum-crc32c:", in: upload.body)
        let lfAndBlank = Self.replacing("\r\nx-amz-trailer-signature:", with: "\n\r\nx-amz-trailer-signature:", in: upload.body)
        let noFinalLine = Array(upload.body.dropLast(2))
        for variant in [blankBefore, lfAndBlank, noFinalLine] {
            #expect(variant != upload.body)
            let outcome = await T.drain(try upload.open(body: variant).0)
            #expect(outcome.error == nil)
            let same = outcome.bytes == Self.data
            #expect(same)
        }
    }

    @Test("the decoder's memory stays within a line: a long line is refused")
    func longLine() async throws {
        let upload = try Self.upload(.streamingUnsignedTrailer)
        let long = Array(String(repeating: "0", count: 5000).utf8) + Array("\r\n".utf8)
        #expect(try await Self.failure(upload, long)?.code == "IncompleteBody")
    }
}
