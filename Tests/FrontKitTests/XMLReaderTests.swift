import Testing
@testable import FrontKit

/// The strict XML reader of request bodies (issue #10, item 1: FoundationXML crashed the
/// process on an invalid UTF-8 byte in a name and overflowed its stack on deep nesting).
@Suite struct XMLReaderTests {
    func parse(_ text: String) throws -> FrontKit.XMLElement { try XMLReader.parse(Array(text.utf8)) }

    func refuses(_ bytes: [UInt8], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do throws(XMLSyntaxError) {
            let root = try XMLReader.parse(bytes)
            Issue.record("accepted, root <\(root.name)>", sourceLocation: sourceLocation)
        } catch {
            #expect(error.message.contains(message), "\(error)", sourceLocation: sourceLocation)
        }
        #expect(FrontKit.XMLElement.parse(bytes) == nil, sourceLocation: sourceLocation)
    }

    @Test func readsARequestDocument() throws {
        let root = try parse("""
            \u{FEFF}<?xml version="1.0" encoding="UTF-8"?>
            <!-- parts -->
            <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag></Part>
              <Part><PartNumber>2</PartNumber><ETag><![CDATA["d<e>f"]]></ETag></Part>
              <s3:Part xmlns:s3="x" n='&#65;&#x42;'/>
            </CompleteMultipartUpload>
            """)
        #expect(root.name == "CompleteMultipartUpload")
        #expect(root.attributes["xmlns"] == "http://s3.amazonaws.com/doc/2006-03-01/")
        let parts = root.children("Part")
        #expect(parts.count == 3)
        #expect(parts[0].value("PartNumber") == "1" && parts[0].value("ETag") == "\"abc\"")
        #expect(parts[1].value("ETag") == "\"d<e>f\"")
        #expect(parts[2].attributes["n"] == "AB")
    }

    @Test func keepsTextVerbatimAcrossLines() throws {
        let root = try parse("<Delete><Object><Key> a\r\nb &amp; c </Key></Object></Delete>")
        #expect(root.child("Object")?.child("Key")?.text == " a\nb & c ")
    }

    @Test func refusesInvalidUTF8InNamesAndText() {
        refuses(Array("<X><A".utf8) + [0xEC] + Array("B/></X>".utf8), "not valid UTF-8")
        refuses(Array("<X><A b".utf8) + [0xEC] + Array("='1'/></X>".utf8), "not valid UTF-8")
        refuses(Array("<X>".utf8) + [0xFF, 0xFE] + Array("</X>".utf8), "not valid UTF-8")
        refuses(Array("<X>".utf8) + [0xED, 0xA0, 0x80] + Array("</X>".utf8), "not valid UTF-8")  // a surrogate
        refuses(Array("<X>".utf8) + [0xC0, 0x80] + Array("</X>".utf8), "not valid UTF-8")  // overlong NUL
    }

    @Test func boundsNestingWithoutRecursing() {
        let deep = String(repeating: "<A>", count: 37_000) + String(repeating: "</A>", count: 37_000)
        refuses(Array(deep.utf8), "nested deeper than 32")
        let limit = String(repeating: "<A>", count: 32) + String(repeating: "</A>", count: 32)
        #expect(FrontKit.XMLElement.parse(Array(limit.utf8)) != nil)
    }

    @Test func boundsSizeAndElementCount() {
        refuses(Array(repeating: UInt8(ascii: " "), count: (8 << 20) + 1), "larger than")
        let many = "<X>" + String(repeating: "<a/>", count: 100_001) + "</X>"
        refuses(Array(many.utf8), "more than 100000 elements")
    }

    @Test func refusesDocumentTypesAndUnknownEntities() {
        refuses(Array("<!DOCTYPE X [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><X>&e;</X>".utf8), "Document type")
        refuses(Array("<X>&e;</X>".utf8), "not defined")
        refuses(Array("<X>&#0;</X>".utf8), "character reference")
        refuses(Array("<X>a & b</X>".utf8), "'&'")
    }

    @Test func refusesMalformedStructure() {
        refuses(Array("".utf8), "no root element")
        refuses(Array("<X><A>".utf8), "not closed")
        refuses(Array("<X></Y>".utf8), "does not close")
        refuses(Array("<X/><Y/>".utf8), "follows the root")
        refuses(Array("<X a='1' a='2'/>".utf8), "twice")
        refuses(Array("<X a=1/>".utf8), "quoted")
        refuses(Array("<X>\u{0}</X>".utf8), "control character")
        refuses(Array("<X><!-- open".utf8), "comment is not closed")
        refuses(Array("<1X/>".utf8), "Expected a name")
    }
}
