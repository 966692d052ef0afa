import ShareCore
import Testing
@testable import FrontKit

/// `XMLWriter`: the documents every XML response is built with.
@Suite struct XMLWriterTests {
    @Test("a document with elements, attributes and escaping")
    func document() {
        var writer = XMLWriter()
        writer.open("ListBucketResult", ["xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"])
        writer.element("Key", "a&b<c>d\"e'f/é ☃")
        writer.element("Name", "plain", ["kind": "x\"<&'>y"])
        writer.open("Item", attributeList: [("id", "1"), ("name", "a'b")])
        writer.empty("Marker")
        writer.element("Size", ifPresent: nil)
        writer.element("Size", ifPresent: "7")
        writer.close("Item")
        writer.close("ListBucketResult")
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text == #"<?xml version="1.0" encoding="utf-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#
            + #"<Key>a&amp;b&lt;c&gt;d"e'f/é ☃</Key><Name kind="x&quot;&lt;&amp;&apos;&gt;y">plain</Name>"#
            + #"<Item id="1" name="a&apos;b"><Marker /><Size>7</Size></Item></ListBucketResult>"#)
    }

    @Test("the byte order mark Azure Storage puts first")
    func byteOrderMark() {
        let bytes = XMLWriter(byteOrderMark: true).bytes
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: bytes.dropFirst(3), as: UTF8.self) == #"<?xml version="1.0" encoding="utf-8"?>"#)
    }

    @Test("raw text and decimal elements")
    func rawElements() {
        var writer = XMLWriter()
        writer.element("Size", decimal: 0)
        writer.element("Size", decimal: UInt64.max)
        writer.element("ETag", text: Array("\"abc\"".utf8))
        writer.element("Empty", text: [UInt8]())
        writer.markup("<Contents><Key>")
        writer.text("a<b&c")
        writer.markup("</Key><Size>")
        writer.text(decimal: 42)
        writer.markup("</Size><Time>")
        writer.text(raw: Array("2026-12-04T21:00:00.000Z".utf8))
        writer.markup("</Time><ETag>\"")
        writer.text(hex: [0x00, 0x0F, 0xA5, 0xFF])
        writer.text(hex: [])
        writer.markup("\"</ETag><Time>")
        writer.text(time: FileTime(ticks: 17_649_386_291_234_567), fractionDigits: 3)
        writer.markup("</Time><Key>")
        writer.text("plain/key")
        writer.markup("</Key></Contents>")
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text == #"<?xml version="1.0" encoding="utf-8"?><Size>0</Size><Size>18446744073709551615</Size>"#
            + #"<ETag>"abc"</ETag><Empty />"#
            + #"<Contents><Key>a&lt;b&amp;c</Key><Size>42</Size><Time>2026-12-04T21:00:00.000Z</Time>"#
            + #"<ETag>"000fa5ff"</ETag><Time>2025-12-05T12:43:49.123Z</Time><Key>plain/key</Key></Contents>"#)
    }

    @Test("a long document is kept and sent in pieces, the same bytes")
    func pieces() async throws {
        var writer = XMLWriter()
        var expected = Array(#"<?xml version="1.0" encoding="utf-8"?><List>"#.utf8)
        writer.open("List")
        for index in 0..<20_000 {
            writer.element("Key", "key-\(index)&")
            expected += Array("<Key>key-\(index)&amp;</Key>".utf8)
        }
        writer.close("List")
        expected += Array("</List>".utf8)
        #expect(writer.bytes == expected)
        #expect(writer.count == expected.count)
        guard case .stream(let length, let chunks) = writer.body else {
            Issue.record("a \(expected.count)-byte document should be sent in pieces")
            return
        }
        #expect(length == expected.count)
        var iterator = chunks.makeIterator()
        var sent: [UInt8] = []
        var pieces = 0
        while let piece = try await iterator.next() {
            // Each piece stays small (about pieceBytes), whatever the document's length.
            #expect(!piece.isEmpty && piece.count <= XMLWriter.pieceBytes + 1024)
            sent += piece
            pieces += 1
        }
        #expect(sent == expected)
        #expect(pieces >= expected.count / (XMLWriter.pieceBytes + 1024))
        // A short document is one buffer.
        var short = XMLWriter()
        short.element("Key", "k")
        guard case .bytes(let bytes) = short.body else {
            Issue.record("a short document should be one buffer")
            return
        }
        #expect(bytes == short.bytes)
    }

    @Test("escape on its own")
    func escape() {
        #expect(XMLWriter.escape("a<b & 'c'", attribute: false) == "a&lt;b &amp; 'c'")
        #expect(XMLWriter.escape("a<b & 'c'", attribute: true) == "a&lt;b &amp; &apos;c&apos;")
        #expect(XMLWriter.escape("", attribute: true) == "")
        #expect(XMLWriter.escape("ünïcödé", attribute: false) == "ünïcödé")
    }
}
