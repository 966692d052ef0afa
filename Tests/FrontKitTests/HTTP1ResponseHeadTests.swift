import HTTPTypes
import Testing
@testable import FrontKit

/// `HTTP1ResponseHead` writes the head a client reads, with the body framed as RFC 9112 asks.
@Suite struct HTTP1ResponseHeadTests {
    /// The head's bytes as text, checking that `byteCount` is exactly what is written.
    private func text(_ head: HTTP1ResponseHead) -> String {
        let count = head.byteCount
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count + 16, alignment: 1)
        defer { buffer.deallocate() }
        let written = head.write(into: buffer)
        #expect(written == count)
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[..<written]), as: UTF8.self)
    }

    @Test func fieldsAreWrittenInOrderWithTheirSpelling() throws {
        let version = try #require(HTTPField.Name("x-ms-version"))
        let response = HTTPResponse(status: .partialContent, headerFields: [
            .contentType: "application/octet-stream", .contentLength: "4096",
            version: "2025-05-05", .contentRange: "bytes 0-4095/1073741824",
        ])
        let head = HTTP1ResponseHead(response, requestMethod: .get)
        #expect(text(head) == "HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 4096\r\nx-ms-version: 2025-05-05\r\nContent-Range: bytes 0-4095/1073741824\r\n\r\n")
        #expect(!head.chunked)
        #expect(!head.bodySuppressed)
        #expect(head.isFinal)
    }

    @Test func aCustomReasonPhraseIsKept() {
        let response = HTTPResponse(status: HTTPResponse.Status(code: 209, reasonPhrase: "Contents of Related"),
                                    headerFields: [.contentLength: "0"])
        #expect(text(HTTP1ResponseHead(response, requestMethod: .post)) == "HTTP/1.1 209 Contents of Related\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func aBodyWithoutALengthIsChunked() {
        let response = HTTPResponse(status: .ok, headerFields: [.contentType: "application/xml", .transferEncoding: "gzip"])
        let head = HTTP1ResponseHead(response, requestMethod: .get)
        #expect(head.chunked)
        #expect(text(head) == "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\ntransfer-encoding: chunked\r\n\r\n")
        #expect(HTTP1ResponseHead.chunkHeader(size: 4096) == "1000\r\n")
        #expect(HTTP1ResponseHead.lastChunk(trailers: nil) == "0\r\n\r\n")
        #expect(HTTP1ResponseHead.lastChunk(trailers: [HTTPField.Name("x-checksum")!: "abc"]) == "0\r\nx-checksum: abc\r\n\r\n")
    }

    @Test func aLengthWinsOverATransferEncoding() {
        let response = HTTPResponse(status: .ok, headerFields: [.transferEncoding: "chunked", .contentLength: "3"])
        let head = HTTP1ResponseHead(response, requestMethod: .get)
        #expect(!head.chunked)
        #expect(text(head) == "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")
    }

    @Test func statusesWithoutABodyLoseTheirFramingFields() {
        for status in [HTTPResponse.Status.noContent, .notModified, .continue] {
            let response = HTTPResponse(status: status, headerFields: [.contentLength: "10", .transferEncoding: "chunked", .eTag: "\"x\""])
            let head = HTTP1ResponseHead(response, requestMethod: .get)
            #expect(!head.chunked)
            #expect(text(head) == "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\nETag: \"x\"\r\n\r\n")
        }
        #expect(!HTTP1ResponseHead(HTTPResponse(status: .continue), requestMethod: nil).isFinal)
        #expect(HTTP1ResponseHead(HTTPResponse(status: .switchingProtocols), requestMethod: nil).isFinal)
    }

    @Test func theAnswerToHeadKeepsItsFramingButSendsNoBody() {
        let sized = HTTP1ResponseHead(HTTPResponse(status: .ok, headerFields: [.contentLength: "11"]), requestMethod: .head)
        #expect(sized.bodySuppressed)
        #expect(text(sized) == "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n")
        let unsized = HTTP1ResponseHead(HTTPResponse(status: .ok), requestMethod: .head)
        #expect(unsized.bodySuppressed)
        #expect(!unsized.chunked)
        #expect(text(unsized) == "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
    }

    @Test func theAnswerToConnectHasNoBody() {
        let head = HTTP1ResponseHead(HTTPResponse(status: .ok, headerFields: [.contentLength: "5"]), requestMethod: .connect)
        #expect(head.bodySuppressed)
        #expect(text(head) == "HTTP/1.1 200 OK\r\n\r\n")
    }

    @Test func nonASCIIValuesAreCountedInBytes() throws {
        let name = try #require(HTTPField.Name("x-ms-meta-name"))
        let response = HTTPResponse(status: .ok, headerFields: [name: "caf\u{E9}", .contentLength: "0"])
        #expect(text(HTTP1ResponseHead(response, requestMethod: .get)) == "HTTP/1.1 200 OK\r\nx-ms-meta-name: caf\u{E9}\r\nContent-Length: 0\r\n\r\n")
    }
}
