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

    @Test("escape on its own")
    func escape() {
        #expect(XMLWriter.escape("a<b & 'c'", attribute: false) == "a&lt;b &amp; 'c'")
        #expect(XMLWriter.escape("a<b & 'c'", attribute: true) == "a&lt;b &amp; &apos;c&apos;")
        #expect(XMLWriter.escape("", attribute: true) == "")
        #expect(XMLWriter.escape("ünïcödé", attribute: false) == "ünïcödé")
    }
}
