import FrontKit
import HTTPTypes

/// A fuzz input read as an HTTP/1.1 request in wire format: a request line, header lines, an
/// empty line and the body. The corpus holds real requests in this form, so libFuzzer mutates
/// what a client could send.
///
/// Header names starting with `x-fuzz-` are instructions to the harness (for example
/// `x-fuzz-sign: 1`: sign the request validly after the mutation) and are removed.
public struct WireRequest {
    /// Method, path, authority (from `Host`) and headers.
    public var head: HTTPRequest
    /// The body bytes as sent (at most `Content-Length` of them).
    public var body: [UInt8]
    /// `Content-Length` when it was given and is a number.
    public var contentLength: Int?
    /// The `x-fuzz-*` instructions, by name without the prefix.
    public var instructions: [String: String]

    /// Parses `data`; nil when the request line is not `METHOD /target ...`.
    public static func parse(_ data: [UInt8], scheme: String = "http", defaultAuthority: String = "127.0.0.1") -> WireRequest? {
        var headEnd = data.count
        var bodyStart = data.count
        if let end = find(data, [13, 10, 13, 10]) {
            headEnd = end
            bodyStart = end + 4
        } else if let end = find(data, [10, 10]) {
            headEnd = end
            bodyStart = end + 2
        }
        let headText = String(decoding: data[..<headEnd], as: UTF8.self)
        var lines = headText.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: true)
        guard requestLine.count >= 2, let method = HTTPRequest.Method(String(requestLine[0])),
              requestLine[1].hasPrefix("/") else { return nil }
        var fields = HTTPFields()
        var authority = defaultAuthority
        var instructions: [String: String] = [:]
        var contentLength: Int?
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingSpaces()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            let lower = name.lowercased()
            if lower.hasPrefix("x-fuzz-") {
                instructions[String(lower.dropFirst(7))] = value
                continue
            }
            if lower == "host" {
                authority = value
                continue
            }
            if lower == "content-length" { contentLength = Int(value) }
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        var body = Array(data[bodyStart...])
        if let length = contentLength, length >= 0, length < body.count { body = Array(body[..<length]) }
        let head = HTTPRequest(method: method, scheme: scheme, authority: authority, path: String(requestLine[1]),
                               headerFields: fields)
        return WireRequest(head: head, body: body, contentLength: contentLength, instructions: instructions)
    }

    /// The request as a front receives it. As the HTTP server does, a body shorter than its
    /// `Content-Length` ends with ``IncompleteBody``; a body without a length is taken whole.
    /// The body arrives in pieces of at most `pieceSize` bytes.
    public func frontRequest(pieceSize: Int = 1000) -> FrontRequest {
        var head = self.head
        if contentLength == nil, !body.isEmpty {
            head.headerFields.append(HTTPField(name: .contentLength, value: String(body.count)))
        }
        let pieces = Pieces(bytes: body, size: max(1, pieceSize), expected: contentLength)
        return FrontRequest(head: head, body: RequestBody(pieces, bytes: { $0 }))
    }

    static func find(_ data: [UInt8], _ needle: [UInt8]) -> Int? {
        guard data.count >= needle.count else { return nil }
        for start in 0...(data.count - needle.count) where data[start] == needle[0] {
            if Array(data[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}

/// A body delivered in fixed-size pieces, failing as an aborted upload when short.
struct Pieces: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let bytes: [UInt8]
    let size: Int
    let expected: Int?

    func makeAsyncIterator() -> Iterator { Iterator(pieces: self) }

    struct Iterator: AsyncIteratorProtocol {
        let pieces: Pieces
        var offset = 0

        mutating func next() async throws -> [UInt8]? {
            if offset >= pieces.bytes.count {
                if let expected = pieces.expected, expected > pieces.bytes.count {
                    throw IncompleteBody(expected: expected, received: pieces.bytes.count, reason: "fuzz input ended")
                }
                return nil
            }
            let end = Swift.min(pieces.bytes.count, offset + pieces.size)
            defer { offset = end }
            return Array(pieces.bytes[offset..<end])
        }
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
