import Crypto
import Foundation

/// Decodes an aws-chunked body as its buffers arrive, whatever their boundaries:
///
/// ```
/// <hex size>;chunk-signature=<64 hex>\r\n<data>\r\n ... 0;chunk-signature=<64 hex>\r\n
/// [x-amz-checksum-crc32:<base64>\r\n [x-amz-trailer-signature:<64 hex>\r\n]] \r\n
/// ```
///
/// (`STREAMING-UNSIGNED-PAYLOAD-TRAILER` bodies have no `;chunk-signature=`.) It verifies each
/// chunk signature, chained from the request's seed signature, and the trailer signature,
/// checks the decoded length, and keeps at most one line of framing besides the data it hands
/// on: memory does not grow with the chunk size.
struct AWSChunkedDecoder {
    /// The smallest size of a chunk that is not the last one with data.
    static let minimumChunkSize: UInt64 = 8192
    /// The longest chunk header or trailer line accepted.
    static let maximumLineLength = 4096
    /// The most bytes of trailing headers accepted.
    static let maximumTrailerBytes = 16 * 1024

    private enum State {
        case chunkHeader
        case data(remaining: UInt64)
        case afterData
        case afterFinalChunk
        case trailer
        case done
    }

    private let mode: PayloadMode
    private let auth: SigV4Auth
    private let decodedLength: UInt64
    private let expectsTrailers: Bool
    private var state = State.chunkHeader
    private var line: [UInt8] = []
    private var chunkHash = SHA256()
    private var chunkSignature = ""
    private var previousSignature: String
    private var chunkCount = 0
    private var previousChunkSize: UInt64?
    private var trailerBytes = 0
    private var trailerSigned = false

    /// The data bytes decoded so far.
    private(set) var decoded: UInt64 = 0
    /// The trailing headers received (names lowercase, values trimmed), signature excluded.
    private(set) var trailers: [(name: String, value: String)] = []

    /// A decoder for a body of `mode` (a streaming one) whose data is `decodedLength` bytes
    /// (`x-amz-decoded-content-length`); `expectsTrailers` when `x-amz-trailer` names some.
    init(mode: PayloadMode, auth: SigV4Auth, decodedLength: UInt64, expectsTrailers: Bool) {
        self.mode = mode
        self.auth = auth
        self.decodedLength = decodedLength
        self.expectsTrailers = expectsTrailers
        previousSignature = auth.seedSignature
    }

    /// Consumes the next buffer of the encoded body; returns the data bytes it held.
    mutating func feed(_ input: [UInt8]) throws -> [UInt8] {
        if case .data(let remaining) = state, UInt64(input.count) < remaining {
            // Inside a chunk (the usual case for large chunks): the buffer is all data.
            if mode.signsChunks { input.withUnsafeBytes { chunkHash.update(bufferPointer: $0) } }
            decoded += UInt64(input.count)
            state = .data(remaining: remaining - UInt64(input.count))
            return input
        }
        var out: [UInt8] = []
        var i = input.startIndex
        let end = input.endIndex
        while i < end {
            switch state {
            case .data(let remaining):
                let take = Int(min(remaining, UInt64(end - i)))
                let slice = input[i..<(i + take)]
                out.append(contentsOf: slice)
                if mode.signsChunks { slice.withUnsafeBytes { chunkHash.update(bufferPointer: $0) } }
                decoded += UInt64(take)
                i += take
                if remaining == UInt64(take) {
                    try endChunk()
                    state = .afterData
                } else {
                    state = .data(remaining: remaining - UInt64(take))
                }
            case .done:
                // Tolerate stray line ends after the end; anything else is not a body S3 accepts.
                if input[i...].contains(where: { $0 != 13 && $0 != 10 }) { throw S3Error.incompleteChunkedBody() }
                i = end
            case .chunkHeader, .afterData, .afterFinalChunk, .trailer:
                let rest = input[i...]
                if let newline = rest.firstIndex(of: 10) {
                    try appendToLine(input[i..<newline])
                    i = newline + 1
                    if line.last == 13 { line.removeLast() }
                    let text = line
                    line.removeAll(keepingCapacity: true)
                    try endLine(text)
                } else {
                    try appendToLine(rest)
                    i = end
                }
            }
        }
        return out
    }

    /// Called at the end of the encoded body: throws unless the body was complete.
    mutating func finish() throws {
        if case .trailer = state, !line.isEmpty {
            let text = line.last == 13 ? Array(line.dropLast()) : line
            line.removeAll()
            try endLine(text)
        }
        switch state {
        case .done:
            return
        case .afterFinalChunk where line.isEmpty:
            state = .done  // the final CRLF is missing: the data and its signatures are all there
        case .trailer:
            try endTrailers()
        default:
            throw S3Error.incompleteChunkedBody()
        }
    }

    // MARK: Steps

    private mutating func appendToLine(_ bytes: ArraySlice<UInt8>) throws {
        line.append(contentsOf: bytes)
        if case .trailer = state {
            trailerBytes += bytes.count
            if trailerBytes > Self.maximumTrailerBytes || line.count > Self.maximumLineLength { throw S3Error.malformedTrailer() }
        } else if line.count > Self.maximumLineLength {
            throw S3Error.incompleteChunkedBody()
        }
    }

    private mutating func endLine(_ text: [UInt8]) throws {
        switch state {
        case .chunkHeader: try startChunk(text)
        case .afterData:
            guard text.isEmpty else { throw S3Error.incompleteChunkedBody() }
            state = .chunkHeader
        case .afterFinalChunk:
            guard text.isEmpty else { throw S3Error.incompleteChunkedBody() }
            state = .done
        case .trailer: try trailerLine(text)
        case .data, .done: break
        }
    }

    /// Parses `<hex size>[;chunk-signature=<sig>]`.
    private mutating func startChunk(_ text: [UInt8]) throws {
        let semicolon = text.firstIndex(of: UInt8(ascii: ";")) ?? text.endIndex
        let digits = text[..<semicolon]
        guard !digits.isEmpty, digits.count <= 16 else { throw S3Error.incompleteChunkedBody() }
        var size: UInt64 = 0
        for d in digits {
            guard let v = SigV4.hexValue(d) else { throw S3Error.incompleteChunkedBody() }
            size = size << 4 | UInt64(v)
        }
        if mode.signsChunks {
            let prefix = Array(";chunk-signature=".utf8)
            let ext = Array(text[semicolon...])
            guard ext.count == prefix.count + 64, Array(ext.prefix(prefix.count)) == prefix,
                  ext.dropFirst(prefix.count).allSatisfy({ SigV4.hexValue($0) != nil })
            else { throw S3Error.incompleteChunkedBody() }
            chunkSignature = String(decoding: ext.dropFirst(prefix.count), as: UTF8.self).lowercased()
        }
        chunkCount += 1
        if size > 0, let previous = previousChunkSize, previous < Self.minimumChunkSize {
            throw S3Error.invalidChunkSize(chunk: chunkCount - 1, size: previous)
        }
        guard size <= decodedLength - decoded else { throw S3Error.incompleteChunkedBody() }
        chunkHash = SHA256()
        if size == 0 {
            try endChunk()
            guard decoded == decodedLength else { throw S3Error.incompleteChunkedBody() }
            state = mode.hasTrailer ? .trailer : .afterFinalChunk
        } else {
            previousChunkSize = size
            state = .data(remaining: size)
        }
    }

    /// Verifies the signature of the chunk that just ended.
    private mutating func endChunk() throws {
        guard mode.signsChunks else { return }
        let hash = SigV4.hex(chunkHash.finalize())
        let toSign = SigV4.chunkStringToSign(timestamp: auth.timestamp, scope: auth.scope,
                                             previousSignature: previousSignature, chunkHash: hash)
        guard SigV4.signaturesEqual(SigV4.signature(key: auth.signingKey, toSign), chunkSignature) else {
            throw S3Error.sigV4Mismatch(accessKey: auth.accessKey, stringToSign: toSign, provided: chunkSignature,
                                        canonicalRequest: auth.canonicalRequest)
        }
        previousSignature = chunkSignature
    }

    /// One line of the trailing headers.
    private mutating func trailerLine(_ text: [UInt8]) throws {
        if text.isEmpty {
            // The section ends with an empty line once it has something (some clients put an
            // empty line before the trailers, or between a checksum and its signature).
            let ends = mode == .streamingSignedTrailer ? trailerSigned || (trailers.isEmpty && !expectsTrailers)
                : !trailers.isEmpty || !expectsTrailers
            if ends { try endTrailers() }
            return
        }
        guard !trailerSigned, let colon = text.firstIndex(of: UInt8(ascii: ":")) else { throw S3Error.malformedTrailer() }
        let name = String(decoding: text[..<colon], as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
        let value = String(decoding: text[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw S3Error.malformedTrailer() }
        if name == "x-amz-trailer-signature" {
            guard mode == .streamingSignedTrailer else { return }
            let toSign = SigV4.trailerStringToSign(timestamp: auth.timestamp, scope: auth.scope,
                                                   previousSignature: previousSignature, trailers: trailers)
            guard SigV4.signaturesEqual(SigV4.signature(key: auth.signingKey, toSign), value) else {
                throw S3Error.sigV4Mismatch(accessKey: auth.accessKey, stringToSign: toSign, provided: value,
                                            canonicalRequest: auth.canonicalRequest)
            }
            trailerSigned = true
            return
        }
        guard trailers.count < 16 else { throw S3Error.malformedTrailer() }
        trailers.append((name, value))
    }

    private mutating func endTrailers() throws {
        if mode == .streamingSignedTrailer, !trailers.isEmpty, !trailerSigned { throw S3Error.malformedTrailer() }
        state = .done
    }
}

/// Builds aws-chunked bodies as SDKs send them (for tests and clients of the front).
enum AWSChunkedEncoder {
    /// `data` framed in chunks of `chunkSize` bytes for `mode` (a streaming one), then the
    /// `trailers` for the trailer modes. Signed modes sign with `signer` (what
    /// ``SigV4/sign(_:accessKey:secret:region:date:payloadHash:)`` returned).
    static func encode(_ data: [UInt8], chunkSize: Int, mode: PayloadMode, signer: SigV4Auth?,
                       trailers: [(name: String, value: String)] = []) -> [UInt8] {
        var out: [UInt8] = []
        var previous = signer?.seedSignature ?? ""
        func header(_ size: Int, _ chunk: ArraySlice<UInt8>) {
            out += Array(String(size, radix: 16).utf8)
            if mode.signsChunks, let signer {
                var hasher = SHA256()
                chunk.withUnsafeBytes { hasher.update(bufferPointer: $0) }
                let hash = SigV4.hex(hasher.finalize())
                previous = SigV4.chunkSignature(key: signer.signingKey, timestamp: signer.timestamp, scope: signer.scope,
                                                previousSignature: previous, chunkHash: hash)
                out += Array(";chunk-signature=\(previous)".utf8)
            }
            out += [13, 10]
        }
        var offset = 0
        let step = max(chunkSize, 1)
        while offset < data.count {
            let chunk = data[offset..<min(offset + step, data.count)]
            header(chunk.count, chunk)
            out += chunk
            out += [13, 10]
            offset += chunk.count
        }
        header(0, [])
        if mode.hasTrailer {
            for (name, value) in trailers { out += Array("\(name):\(value)\r\n".utf8) }
            if mode == .streamingSignedTrailer, let signer {
                let sig = SigV4.trailerSignature(key: signer.signingKey, timestamp: signer.timestamp, scope: signer.scope,
                                                 previousSignature: previous, trailers: trailers)
                out += Array("x-amz-trailer-signature:\(sig)\r\n".utf8)
            }
        }
        out += [13, 10]
        return out
    }
}

extension S3Error {
    /// `IncompleteBody` for aws-chunked framing that breaks off or is not well formed.
    static func incompleteChunkedBody() -> S3Error {
        S3Error(.badRequest, "IncompleteBody", "The request body terminated unexpectedly")
    }

    /// `InvalidChunkSizeError`: chunk `chunk` (from 1) had `size` bytes and was not the last.
    static func invalidChunkSize(chunk: Int, size: UInt64) -> S3Error {
        S3Error(.forbidden, "InvalidChunkSizeError", "Only the last chunk is allowed to have a size less than 8192 bytes",
                details: [("Chunk", String(chunk)), ("BadChunkSize", String(size))])
    }

    /// `MalformedTrailerError`: trailing headers missing, unannounced or not well formed.
    static func malformedTrailer() -> S3Error {
        S3Error(.badRequest, "MalformedTrailerError",
                "The request contained trailing data that was not well-formed or did not conform to our published schema.")
    }
}
