import HTTPTypes

/// A response head as HTTP/1.1 sends it, written straight from swift-http-types' fields, with
/// the body framed as RFC 9112 §6 asks: the rules of SwiftNIO's `HTTPResponseEncoder`, without
/// converting every field into NIO's header list first (that conversion and NIO's encoding were
/// 8% of a small GET, issue #14).
///
/// - A response that cannot have a body (1xx, `204`, `304`, or the answer to `CONNECT`) is sent
///   without `Content-Length` and `Transfer-Encoding`.
/// - Otherwise a `Content-Length` frames the body (any `Transfer-Encoding` is dropped), and a
///   response without one is sent `Transfer-Encoding: chunked`.
/// - The answer to `HEAD` keeps its framing fields (they tell what a `GET` would get) but sends
///   no body bytes.
public struct HTTP1ResponseHead: Sendable {
    /// The response, as the front made it.
    public let response: HTTPResponse
    /// Whether the body's pieces are sent as chunks (and its end as the last chunk).
    public let chunked: Bool
    /// Whether no body bytes may follow the head (the answer to `HEAD` or `CONNECT`).
    public let bodySuppressed: Bool
    /// Whether the head answers the request, so the next head answers the next request; an
    /// interim 1xx response (other than `101`) is followed by the final one.
    public let isFinal: Bool

    /// What the fields need on the wire.
    private let dropsLengthFields: Bool
    private let dropsTransferEncoding: Bool
    private let addsChunked: Bool

    /// The head of `response`, the answer to a request made with `requestMethod` (nil when
    /// not known: framing then follows the status alone).
    public init(_ response: HTTPResponse, requestMethod: HTTPRequest.Method?) {
        self.response = response
        let code = response.status.code
        isFinal = !(100..<200).contains(code) || code == 101
        let connect = requestMethod == .connect
        bodySuppressed = requestMethod == .head || connect
        let mayHaveBody = !connect && code >= 200 && code != 204 && code != 304
        var hasLength = false
        var hasTransferEncoding = false
        for field in response.headerFields {
            if field.name == .contentLength {
                hasLength = true
            } else if field.name == .transferEncoding {
                hasTransferEncoding = true
            }
        }
        if !mayHaveBody {
            dropsLengthFields = hasLength
            dropsTransferEncoding = hasTransferEncoding
            addsChunked = false
            chunked = false
        } else if hasLength {
            dropsLengthFields = false
            dropsTransferEncoding = hasTransferEncoding
            addsChunked = false
            chunked = false
        } else {
            // Any `Transfer-Encoding` the front set is replaced by the one that frames the body.
            dropsLengthFields = false
            dropsTransferEncoding = hasTransferEncoding
            addsChunked = true
            chunked = !bodySuppressed
        }
    }

    private static let chunkedField = "transfer-encoding: chunked\r\n"

    /// The number of bytes ``write(into:)`` writes.
    public var byteCount: Int {
        // "HTTP/1.1 " + three digits + " " + reason + CRLF, the fields, the blank line.
        var count = 9 + 3 + 1 + response.status.reasonPhrase.utf8.count + 2 + 2
        for field in response.headerFields where keeps(field) {
            count += field.name.rawName.utf8.count + 2 + field.value.utf8.count + 2
        }
        if addsChunked { count += Self.chunkedField.utf8.count }
        return count
    }

    /// Writes the head into `buffer`, which holds at least ``byteCount`` bytes; returns the
    /// number of bytes written.
    public func write(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var writer = RawWriter(buffer: buffer)
        writer.append("HTTP/1.1 ")
        let code = response.status.code
        writer.append(UInt8(ascii: "0") + UInt8(code / 100 % 10))
        writer.append(UInt8(ascii: "0") + UInt8(code / 10 % 10))
        writer.append(UInt8(ascii: "0") + UInt8(code % 10))
        writer.append(UInt8(ascii: " "))
        writer.append(response.status.reasonPhrase)
        writer.append("\r\n")
        for field in response.headerFields where keeps(field) {
            writer.append(field.name.rawName)
            writer.append(": ")
            writer.append(field.value)
            writer.append("\r\n")
        }
        if addsChunked { writer.append(Self.chunkedField) }
        writer.append("\r\n")
        return writer.count
    }

    /// Whether `field` goes on the wire.
    private func keeps(_ field: HTTPField) -> Bool {
        if dropsLengthFields && field.name == .contentLength { return false }
        if dropsTransferEncoding && field.name == .transferEncoding { return false }
        return true
    }

    /// The start of a body chunk of `size` bytes: its size in hexadecimal and CRLF.
    public static func chunkHeader(size: Int) -> String {
        String(size, radix: 16) + "\r\n"
    }

    /// The last chunk, with `trailers` if any, ending the body of a chunked response.
    public static func lastChunk(trailers: HTTPFields?) -> String {
        guard let trailers, !trailers.isEmpty else { return "0\r\n\r\n" }
        var text = "0\r\n"
        for field in trailers { text += "\(field.name.rawName): \(field.value)\r\n" }
        return text + "\r\n"
    }
}

/// Appends bytes to a raw buffer known to be large enough.
private struct RawWriter {
    let buffer: UnsafeMutableRawBufferPointer
    var count = 0

    mutating func append(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            precondition(count + bytes.count <= buffer.count, "HTTP1ResponseHead: buffer smaller than byteCount")
            (buffer.baseAddress! + count).copyMemory(from: base, byteCount: bytes.count)
            count += bytes.count
        }
    }
}
