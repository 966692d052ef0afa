import Crypto
import Foundation
import FrontKit
import HTTPTypes
import Synchronization

/// What a request body turned out to be once it was read to the end: filled just before the
/// body's sequence ends, read by the operation afterwards (thread-safe).
final class PayloadResult: Sendable {
    private struct State: Sendable {
        var complete = false
        var length: UInt64 = 0
        var md5: [UInt8]?
        var checksum: (algorithm: ChecksumAlgorithm, base64: String)?
    }

    private let state = Mutex(State())

    /// A result not filled yet.
    init() {}

    /// Whether the body was read to its end and passed every check.
    var isComplete: Bool { state.withLock { $0.complete } }
    /// The number of data bytes (decoded, for aws-chunked bodies).
    var length: UInt64 { state.withLock { $0.length } }
    /// The MD5 of the data, when asked for or when the request sent `Content-MD5`.
    var md5: [UInt8]? { state.withLock { $0.md5 } }
    /// The checksum of the data: the one the client sent (in a header or a trailer), verified,
    /// or the one computed for an algorithm the operation asked for.
    var checksum: (algorithm: ChecksumAlgorithm, base64: String)? { state.withLock { $0.checksum } }

    fileprivate func fill(length: UInt64, md5: [UInt8]?, checksum: (algorithm: ChecksumAlgorithm, base64: String)?) {
        state.withLock {
            $0 = State(complete: true, length: length, md5: md5, checksum: checksum)
        }
    }
}

/// The body of a write as S3 checks it.
enum S3Payload {
    /// Wraps `request.body` in a sequence that yields the object's bytes and checks them:
    /// aws-chunked framing (when `x-amz-content-sha256` names a streaming payload) with its
    /// chunk and trailer signatures, the decoded length (`x-amz-decoded-content-length`, or
    /// `Content-Length` for a plain body), `x-amz-content-sha256`, `Content-MD5` and one
    /// `x-amz-checksum-<algorithm>` given as a header (or, presigned, a query parameter) or as
    /// a trailer named by `x-amz-trailer`.
    ///
    /// Every failure of the bytes is thrown by the sequence's `next()` before it returns nil,
    /// so a consumer that commits at the end never commits a body that failed. Problems of the
    /// headers alone are thrown here. `computeMD5` asks for the MD5 in the result;
    /// `computeChecksum` names an algorithm to compute when the client sent no checksum.
    static func open(_ request: S3Request, auth: SigV4Auth, computeMD5: Bool,
                     computeChecksum: ChecksumAlgorithm? = nil,
                     checksumHeadersDescribeBody: Bool = true) throws -> (body: RequestBody, result: PayloadResult) {
        let plan = try PayloadPlan(request.head, query: request.target.query, auth: auth, computeMD5: computeMD5,
                                   computeChecksum: computeChecksum, checksumHeadersDescribeBody: checksumHeadersDescribeBody)
        let result = PayloadResult()
        let sequence = PayloadSequence(source: request.front.body, plan: plan, result: result)
        return (RequestBody(sequence) { $0 }, result)
    }

    /// The `Content-Encoding` to store for a request's header value: without `aws-chunked`,
    /// nil when nothing else is left.
    static func storedContentEncoding(_ value: String?) -> String? {
        guard let value else { return nil }
        let tokens = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard tokens.contains(where: { $0.lowercased() == "aws-chunked" }) else { return value }
        let rest = tokens.filter { !$0.isEmpty && $0.lowercased() != "aws-chunked" }
        return rest.isEmpty ? nil : rest.joined(separator: ",")
    }
}

/// What a body must satisfy, read from the request's headers.
private struct PayloadPlan: Sendable {
    var auth: SigV4Auth
    var contentLength: UInt64?
    var decodedLength: UInt64 = 0
    var contentMD5: (text: String, bytes: [UInt8])?
    var computeMD5: Bool
    var headerChecksum: (algorithm: ChecksumAlgorithm, value: String)?
    var trailerChecksum: ChecksumAlgorithm?
    var expectsTrailers = false
    var hashAlgorithm: ChecksumAlgorithm?

    /// `checksumHeadersDescribeBody` false: the `x-amz-checksum-*` headers describe something
    /// else (CompleteMultipartUpload's, the whole object) and are left to the operation.
    /// `query`: the request's query parameters, decoded, as `S3Request` parsed them.
    init(_ head: HTTPRequest, query: [(name: String, value: String)], auth: SigV4Auth, computeMD5: Bool,
         computeChecksum: ChecksumAlgorithm?, checksumHeadersDescribeBody: Bool = true) throws {
        self.auth = auth
        self.computeMD5 = computeMD5
        // A presigned URL may carry these headers as query parameters: names lower-cased, the
        // first of a name kept.
        var parameters: [String: String] = [:]
        if auth.presigned {
            for (name, value) in query {
                let key = RequestTarget.lowercasedName(name)
                if parameters[key] == nil { parameters[key] = value }
            }
        }
        /// A header, or for a presigned URL the query parameter of that name (ignoring case).
        func value(_ name: String) -> String? {
            head.headerFields[values: SigV4.fieldName(name)].first ?? parameters[name]
        }
        func single() -> S3Error {
            S3Error.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        }

        if let md5 = head.headerFields[values: SigV4.fieldName("content-md5")].first {
            guard let data = Data(base64Encoded: md5), data.count == 16 else {
                throw S3Error(.badRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.", details: [("Content-MD5", md5)])
            }
            contentMD5 = (md5, Array(data))
        }

        var sdkAlgorithm: ChecksumAlgorithm?
        if let name = value("x-amz-sdk-checksum-algorithm") {
            guard let algorithm = ChecksumAlgorithm(named: name) else {
                throw S3Error.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid "
                    + "types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            sdkAlgorithm = algorithm
        }
        for algorithm in ChecksumAlgorithm.allCases where checksumHeadersDescribeBody {
            guard let v = value(algorithm.headerName) else { continue }
            guard headerChecksum == nil else { throw single() }
            guard algorithm.isValidValue(v) else { throw S3Error.invalidRequest("Value for \(algorithm.headerName) header is invalid.") }
            headerChecksum = (algorithm, v)
        }

        if let declared = value("x-amz-trailer") {
            let names = declared.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            for name in names {
                guard let algorithm = ChecksumAlgorithm(headerName: name) else {
                    throw S3Error.invalidRequest("The value specified in the x-amz-trailer header is not supported")
                }
                guard trailerChecksum == nil, headerChecksum == nil else { throw single() }
                trailerChecksum = algorithm
            }
            expectsTrailers = !names.isEmpty
            if expectsTrailers && !auth.payload.hasTrailer { throw S3Error.malformedTrailer() }
        }

        if let sdkAlgorithm {
            guard let sent = headerChecksum?.algorithm ?? trailerChecksum else {
                throw S3Error.invalidRequest("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* "
                    + "or x-amz-trailer headers were found.")
            }
            guard sent == sdkAlgorithm else { throw S3Error.checksumMismatch(sdkAlgorithm) }
        }
        hashAlgorithm = headerChecksum?.algorithm ?? trailerChecksum ?? computeChecksum

        if auth.payload.isStreaming {
            guard let text = head.headerFields[values: SigV4.fieldName("x-amz-decoded-content-length")].first,
                  let length = UInt64(text)
            else { throw S3Error.missingContentLength() }
            decodedLength = length
        } else if let text = head.headerFields[values: .contentLength].first {
            contentLength = UInt64(text)
        }
    }
}

/// The checked body: an async sequence over the request's buffers.
private struct PayloadSequence: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let source: RequestBody
    let plan: PayloadPlan
    let result: PayloadResult

    func makeAsyncIterator() -> PayloadIterator {
        PayloadIterator(source: source.makeAsyncIterator(), plan: plan, result: result)
    }
}

private struct PayloadIterator: AsyncIteratorProtocol {
    var source: RequestBody.Iterator
    let plan: PayloadPlan
    let result: PayloadResult
    var decoder: AWSChunkedDecoder?
    var length: UInt64 = 0
    var sha256: SHA256?
    var md5: Insecure.MD5?
    var checksum: ChecksumHasher?
    var failure: (any Error)?
    var finished = false

    init(source: RequestBody.Iterator, plan: PayloadPlan, result: PayloadResult) {
        self.source = source
        self.plan = plan
        self.result = result
        if plan.auth.payload.isStreaming {
            decoder = AWSChunkedDecoder(mode: plan.auth.payload, auth: plan.auth, decodedLength: plan.decodedLength,
                                        expectsTrailers: plan.expectsTrailers)
        }
        if case .sha256 = plan.auth.payload { sha256 = SHA256() }
        if plan.computeMD5 || plan.contentMD5 != nil { md5 = Insecure.MD5() }
        checksum = plan.hashAlgorithm.map { ChecksumHasher($0) }
    }

    mutating func next() async throws -> [UInt8]? {
        if let failure { throw failure }
        if finished { return nil }
        do {
            while true {
                guard let buffer = try await source.next() else {
                    try finish()
                    finished = true
                    return nil
                }
                let data: [UInt8]
                if let decoded = try decoder?.feed(buffer) {
                    data = decoded
                } else {
                    if let expected = plan.contentLength, UInt64(buffer.count) > expected - length { throw S3Error.incompleteBody() }
                    data = buffer
                }
                guard !data.isEmpty else { continue }
                length += UInt64(data.count)
                data.withUnsafeBytes { bytes in
                    sha256?.update(bufferPointer: bytes)
                    md5?.update(bufferPointer: bytes)
                    checksum?.update(bytes)
                }
                return data
            }
        } catch {
            failure = error
            throw error
        }
    }

    /// The checks that need the whole body, in the order S3 reports them.
    private mutating func finish() throws {
        var trailers: [(name: String, value: String)] = []
        if decoder != nil {
            try decoder?.finish()
            trailers = decoder?.trailers ?? []
        } else if let expected = plan.contentLength, length != expected {
            throw S3Error.incompleteBody()
        }
        if case .sha256(let client) = plan.auth.payload, let sha256 {
            let computed = SigV4.hex(sha256.finalize())
            guard computed == client else { throw S3Error.contentSHA256Mismatch(client: client, server: computed) }
        }

        var expectedChecksum = plan.headerChecksum
        if plan.auth.payload.hasTrailer {
            if trailers.contains(where: { $0.name != plan.trailerChecksum?.headerName }) { throw S3Error.malformedTrailer() }
            if let algorithm = plan.trailerChecksum {
                guard let value = trailers.first(where: { $0.name == algorithm.headerName })?.value else {
                    throw S3Error.malformedTrailer()
                }
                guard algorithm.isValidValue(value) else {
                    throw S3Error.invalidRequest("Value for \(algorithm.headerName) trailing header is invalid.")
                }
                expectedChecksum = (algorithm, value)
            }
        }

        let md5Digest = md5.map { Array($0.finalize()) }
        if let sent = plan.contentMD5, let md5Digest, md5Digest != sent.bytes {
            throw S3Error(.badRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.",
                          details: [("ExpectedDigest", sent.text), ("CalculatedDigest", Data(md5Digest).base64EncodedString())])
        }
        var reported: (algorithm: ChecksumAlgorithm, base64: String)?
        if let checksum {
            let computed = checksum.base64
            if let expectedChecksum {
                guard expectedChecksum.value == computed else { throw S3Error.checksumMismatch(expectedChecksum.algorithm) }
            }
            reported = (checksum.algorithm, computed)
        }
        result.fill(length: length, md5: md5Digest, checksum: reported)
    }
}

extension S3Error {
    /// `BadDigest` for an `x-amz-checksum-*` value that is not the data's.
    static func checksumMismatch(_ algorithm: ChecksumAlgorithm) -> S3Error {
        S3Error(.badRequest, "BadDigest", "The \(algorithm.rawValue) you specified did not match the calculated checksum.")
    }
}
