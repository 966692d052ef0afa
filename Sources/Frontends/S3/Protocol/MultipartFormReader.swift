import Foundation
import FrontKit

/// Reads a `multipart/form-data` body (RFC 7578 over RFC 2046) part by part as it streams in,
/// holding at most one upstream buffer plus a boundary's length: a part's content is handed
/// out in pieces as it arrives, never collected.
///
/// Use: ``nextPart()`` positions at the next part and returns its headers (nil after the close
/// delimiter); ``readChunk()`` returns the current part's content a piece at a time (nil at its
/// end). Calling ``nextPart()`` skips what is left of the current part. Every fault of the
/// framing (a body that ends before the close delimiter, a malformed delimiter line, a part
/// header that is too long or not `name: value`) is ``MultipartFormError``.
///
/// `@unchecked Sendable`: one reader is used by one task at a time (the request's), in order.
final class MultipartFormReader: @unchecked Sendable {
    /// The headers of one part.
    struct PartHead: Sendable, Equatable {
        /// `name` of `Content-Disposition: form-data` (nil when absent).
        var name: String?
        /// `filename` of `Content-Disposition`, when given (possibly empty).
        var filename: String?
        /// The part's `Content-Type`, when given.
        var contentType: String?
    }

    private enum State { case preamble, content, afterDelimiter, done }

    private var source: RequestBody.Iterator
    private var sourceEnded = false
    private var buffer: [UInt8]
    private var position = 0
    private let delimiter: [UInt8]
    private var state = State.preamble
    /// The most bytes of part headers (all lines of one part together).
    let headerLimit: Int

    /// A reader of `body` whose parts are separated by `boundary` (the Content-Type's
    /// `boundary` parameter, without the leading dashes).
    init(body: RequestBody, boundary: String, headerLimit: Int = 16 * 1024) {
        source = body.makeAsyncIterator()
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The first delimiter may open the body without a preceding line break: reading the
        // body as if it had one finds it like every other (the CRLF belongs to the delimiter).
        buffer = [0x0D, 0x0A]
        self.headerLimit = headerLimit
    }

    /// The `boundary` parameter of a `multipart/form-data` Content-Type, or nil when the type
    /// is another one or has no usable boundary (1 to 70 characters).
    static func boundary(ofContentType value: String) -> String? {
        let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = parts.first, type.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parts.dropFirst() {
            guard let eq = parameter.firstIndex(of: "=") else { continue }
            guard parameter[..<eq].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var boundary = parameter[parameter.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if boundary.count >= 2, boundary.hasPrefix("\""), boundary.hasSuffix("\"") {
                boundary = String(boundary.dropFirst().dropLast())
            }
            return (1...70).contains(boundary.utf8.count) ? boundary : nil
        }
        return nil
    }

    /// Moves to the next part and returns its headers; nil when the close delimiter has been read.
    func nextPart() async throws -> PartHead? {
        while state == .preamble || state == .content {
            while try await readChunk() != nil {}
        }
        guard state == .afterDelimiter else { return nil }
        // After the boundary: "--" closes the body; else optional padding, then CRLF.
        try await need(2)
        if buffer[position] == 0x2D, buffer[position + 1] == 0x2D {
            state = .done
            return nil
        }
        let rest = try await readLine(limit: 256)
        guard rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else {
            throw MultipartFormError("a boundary line is followed by other characters")
        }
        var head = PartHead()
        var used = 0
        while true {
            let line = try await readLine(limit: headerLimit - used)
            used += line.count + 2
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: 0x3A) else { throw MultipartFormError("a part header has no ':'") }
            let name = String(decoding: line[..<colon], as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-disposition":
                let (type, parameters) = Self.disposition(value)
                guard type == "form-data" else { throw MultipartFormError("a part's Content-Disposition is not form-data") }
                head.name = parameters["name"]
                head.filename = parameters["filename"]
            case "content-type":
                head.contentType = value
            default:
                break
            }
        }
        state = .content
        return head
    }

    /// The next piece of the current part's content; nil at its end.
    func readChunk() async throws -> [UInt8]? {
        guard state == .content || state == .preamble else { return nil }
        if pendingEnd {
            pendingEnd = false
            state = .afterDelimiter
            return nil
        }
        while true {
            if let found = find(delimiter, in: buffer, from: position) {
                let piece = Array(buffer[position..<found])
                position = found + delimiter.count
                if piece.isEmpty {
                    state = .afterDelimiter
                    return nil
                }
                pendingEnd = true  // the end is known: the next call answers nil
                return piece
            }
            // Everything but a possible start of the delimiter can go.
            let safe = buffer.count - (delimiter.count - 1)
            if safe > position {
                let piece = Array(buffer[position..<safe])
                position = safe
                return piece
            }
            guard try await fill() else { throw MultipartFormError("the body ended before the closing boundary") }
        }
    }

    /// Set when a piece ending at the delimiter was handed out: the part is over.
    private var pendingEnd = false

    /// Discards what is left of the body, reading at most `limit` more bytes (fields after the
    /// file are ignored, as S3 does; after an error the client can then read the answer).
    func discardRest(limit: Int = 256 << 20) async {
        state = .done
        buffer = []
        position = 0
        var read = 0
        while !sourceEnded, read <= limit {
            do {
                guard let next = try await source.next() else {
                    sourceEnded = true
                    break
                }
                read += next.count
            } catch {
                sourceEnded = true
            }
        }
    }

    // MARK: Buffer

    /// Reads more bytes from the body; false at its end. Consumed bytes are dropped first.
    private func fill() async throws -> Bool {
        if sourceEnded { return false }
        while true {
            guard let next = try await source.next() else {
                sourceEnded = true
                return false
            }
            if next.isEmpty { continue }
            if position > 0 {
                buffer.removeFirst(position)
                position = 0
            }
            buffer.append(contentsOf: next)
            return true
        }
    }

    /// Makes sure `count` unread bytes are buffered (the body must not end first).
    private func need(_ count: Int) async throws {
        while buffer.count - position < count {
            guard try await fill() else { throw MultipartFormError("the body ended before the closing boundary") }
        }
    }

    /// The bytes up to the next CRLF (which is consumed), at most `limit` of them.
    private func readLine(limit: Int) async throws -> ArraySlice<UInt8> {
        let crlf: [UInt8] = [0x0D, 0x0A]
        while true {
            if let end = find(crlf, in: buffer, from: position) {
                guard end - position <= limit else { throw MultipartFormError("a part's headers are too long") }
                let line = buffer[position..<end]
                position = end + 2
                return line
            }
            guard buffer.count - position <= limit else { throw MultipartFormError("a part's headers are too long") }
            guard try await fill() else { throw MultipartFormError("the body ended inside a part's headers") }
        }
    }

    /// The first index at or after `start` where `needle` occurs in `haystack`.
    private func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count - start >= needle.count else { return nil }
        return haystack.withUnsafeBufferPointer { hay -> Int? in
            needle.withUnsafeBufferPointer { pin -> Int? in
                guard let base = hay.baseAddress, let pinBase = pin.baseAddress else { return nil }
                var index = start
                let last = hay.count - pin.count
                while index <= last {
                    guard let hit = memchr(base + index, Int32(first), last - index + 1) else { return nil }
                    let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + at, pinBase, pin.count) == 0 { return at }
                    index = at + 1
                }
                return nil
            }
        }
    }

    // MARK: Headers

    /// The type and parameters of a `Content-Disposition` value (`form-data; name="a"`);
    /// parameter names lower-cased, quoted values unquoted (`\"` and `\\` unescaped).
    static func disposition(_ value: String) -> (type: String, parameters: [String: String]) {
        let bytes = Array(value.utf8)
        var index = 0
        func skipSpace() { while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 } }
        func token(until stops: Set<UInt8>) -> String {
            let start = index
            while index < bytes.count, !stops.contains(bytes[index]) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        let type = token(until: [0x3B]).lowercased()
        var parameters: [String: String] = [:]
        while index < bytes.count {
            index += 1  // ';'
            skipSpace()
            let name = token(until: [0x3D, 0x3B]).lowercased()
            guard index < bytes.count, bytes[index] == 0x3D else { continue }
            index += 1
            skipSpace()
            var value: [UInt8] = []
            if index < bytes.count, bytes[index] == 0x22 {
                index += 1
                while index < bytes.count, bytes[index] != 0x22 {
                    if bytes[index] == 0x5C, index + 1 < bytes.count, bytes[index + 1] == 0x22 || bytes[index + 1] == 0x5C {
                        index += 1
                    }
                    value.append(bytes[index])
                    index += 1
                }
                index += 1  // closing quote
                while index < bytes.count, bytes[index] != 0x3B { index += 1 }
            } else {
                value = Array(token(until: [0x3B]).utf8)
            }
            if !name.isEmpty, parameters[name] == nil { parameters[name] = String(decoding: value, as: UTF8.self) }
        }
        return (type, parameters)
    }
}

/// A `multipart/form-data` body that is not well-formed.
struct MultipartFormError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    let description: String
    init(_ description: String) { self.description = description }
}
