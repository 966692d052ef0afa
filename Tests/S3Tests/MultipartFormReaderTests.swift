import Foundation
import FrontKit
import Testing
@testable import S3

/// The streaming `multipart/form-data` reader of POST Object: every split of the body into
/// buffers gives the same parts, content that resembles a boundary stays content, and broken
/// framing is an error.
struct MultipartFormReaderTests {
    static let boundary = "----WebKitFormBoundaryX3abc"

    /// A form body: fields, then a file part, then a field after it.
    static func body(file: [UInt8], filename: String = "a b.txt") -> [UInt8] {
        var text = "--\(boundary)\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nuploads/${filename}\r\n"
        text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"Content-Type\"\r\n\r\ntext/plain\r\n"
        text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: text/plain\r\n\r\n"
        var bytes = Array(text.utf8) + file
        bytes += Array("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"submit\"\r\n\r\nUpload\r\n--\(boundary)--\r\n".utf8)
        return bytes
    }

    /// A body delivered in buffers of the given sizes (cycled).
    static func chunked(_ bytes: [UInt8], sizes: [Int]) -> RequestBody {
        var pieces: [[UInt8]] = []
        var index = 0
        var turn = 0
        while index < bytes.count {
            let size = max(1, sizes[turn % sizes.count])
            pieces.append(Array(bytes[index..<min(bytes.count, index + size)]))
            index += size
            turn += 1
        }
        return RequestBody(Pieces(pieces: pieces)) { $0 }
    }

    struct Pieces: AsyncSequence, Sendable {
        typealias Element = [UInt8]
        let pieces: [[UInt8]]
        struct AsyncIterator: AsyncIteratorProtocol {
            let pieces: [[UInt8]]
            var index = 0
            mutating func next() async -> [UInt8]? {
                guard index < pieces.count else { return nil }
                index += 1
                return pieces[index - 1]
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pieces: pieces) }
    }

    /// Reads every part: (name, filename, content).
    static func readAll(_ body: RequestBody) async throws -> [(String?, String?, [UInt8])] {
        let reader = MultipartFormReader(body: body, boundary: boundary)
        var parts: [(String?, String?, [UInt8])] = []
        while let head = try await reader.nextPart() {
            var content: [UInt8] = []
            while let piece = try await reader.readChunk() { content += piece }
            parts.append((head.name, head.filename, content))
        }
        return parts
    }

    @Test("every split of the body into buffers, down to one byte, gives the same parts")
    func splitsAnywhere() async throws {
        // Content that holds a CR LF and most of a delimiter, so a split inside it is tested too.
        let file = Array("line one\r\n--\(Self.boundary.dropLast())not the end\r\n\r\n--".utf8) + Array(repeating: 0x2D, count: 40)
        let body = Self.body(file: file)
        for sizes in [[1], [2], [3], [7], [1, 50], [13, 1, 2], [4096], [body.count]] {
            let parts = try await Self.readAll(Self.chunked(body, sizes: sizes))
            #expect(parts.map { $0.0 } == ["key", "Content-Type", "file", "submit"], "sizes \(sizes)")
            #expect(parts[0].2 == Array("uploads/${filename}".utf8))
            #expect(parts[2].1 == "a b.txt")
            #expect(parts[2].2 == file, "sizes \(sizes)")
            #expect(parts[3].2 == Array("Upload".utf8))
        }
    }

    @Test("a large part streams in pieces no bigger than the buffers that carry it")
    func streamsLargeContent() async throws {
        let file = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let reader = MultipartFormReader(body: Self.chunked(Self.body(file: file), sizes: [65_536]), boundary: Self.boundary)
        var seen = 0
        var largest = 0
        var hasher = 0
        while let head = try await reader.nextPart() {
            guard head.name == "file" else { continue }
            while let piece = try await reader.readChunk() {
                largest = max(largest, piece.count)
                for byte in piece { hasher = hasher &* 33 &+ Int(byte) }
                seen += piece.count
            }
        }
        #expect(seen == file.count)
        #expect(hasher == file.reduce(0) { $0 &* 33 &+ Int($1) })
        #expect(largest <= 65_536 + 128)
    }

    @Test("a preamble, transport padding and a quoted boundary parameter are accepted")
    func tolerated() async throws {
        let text = "preamble text\r\n--\(Self.boundary)  \r\ncontent-disposition: form-data; name=\"a\\\"b\"\r\n\r\nv\r\n--\(Self.boundary)--"
        let parts = try await Self.readAll(RequestBody(bytes: Array(text.utf8)))
        #expect(parts.count == 1)
        #expect(parts[0].0 == "a\"b")
        #expect(parts[0].2 == Array("v".utf8))
        #expect(MultipartFormReader.boundary(ofContentType: "multipart/form-data; boundary=\"\(Self.boundary)\"") == Self.boundary)
        #expect(MultipartFormReader.boundary(ofContentType: "Multipart/Form-Data;boundary=abc") == "abc")
        #expect(MultipartFormReader.boundary(ofContentType: "text/plain; boundary=abc") == nil)
        #expect(MultipartFormReader.boundary(ofContentType: "multipart/form-data") == nil)
    }

    @Test("a body that stops before the closing boundary, or with a header line too long, is an error")
    func brokenFraming() async throws {
        let truncated = Array(Self.body(file: Array("abc".utf8)).prefix(200))
        await #expect(throws: MultipartFormError.self) { _ = try await Self.readAll(RequestBody(bytes: truncated)) }
        let longHeader = "--\(Self.boundary)\r\nX-Long: \(String(repeating: "a", count: 20_000))\r\n\r\nv\r\n--\(Self.boundary)--"
        await #expect(throws: MultipartFormError.self) { _ = try await Self.readAll(RequestBody(bytes: Array(longHeader.utf8))) }
        let noColon = "--\(Self.boundary)\r\nnot a header\r\n\r\nv\r\n--\(Self.boundary)--"
        await #expect(throws: MultipartFormError.self) { _ = try await Self.readAll(RequestBody(bytes: Array(noColon.utf8))) }
    }

    @Test("Content-Disposition parameters: quoted, unquoted, escaped, case of names")
    func disposition() {
        let (type, parameters) = MultipartFormReader.disposition("form-data; NAME=key; filename=\"C:\\\\dir\\\\x;y.txt\"")
        #expect(type == "form-data")
        #expect(parameters["name"] == "key")
        #expect(parameters["filename"] == "C:\\dir\\x;y.txt")
    }
}
