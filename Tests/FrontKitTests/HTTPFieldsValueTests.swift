import HTTPTypes
import Testing
@testable import FrontKit

/// `HTTPFields.value(_:)` gives what the subscript gives, for one field, none, or several.
@Suite struct HTTPFieldsValueTests {
    @Test func sameAsTheSubscript() throws {
        let range = try #require(HTTPField.Name("x-ms-range"))
        let version = try #require(HTTPField.Name("X-Ms-Version"))
        var fields = HTTPFields()
        fields.append(HTTPField(name: range, value: "bytes=0-4095"))
        fields.append(HTTPField(name: .accept, value: "a"))
        fields.append(HTTPField(name: .accept, value: "b"))
        fields.append(HTTPField(name: .cookie, value: "x=1"))
        fields.append(HTTPField(name: .cookie, value: "y=2"))
        #expect(fields.value(range) == "bytes=0-4095")
        #expect(fields.value(HTTPField.Name("X-MS-RANGE")!) == "bytes=0-4095")
        #expect(fields.value(version) == nil)
        #expect(fields.value(.accept) == "a, b")
        #expect(fields.value(.cookie) == "x=1; y=2")
        for name in [range, version, .accept, .cookie, .contentLength] {
            #expect(fields.value(name) == fields[name])
        }
    }

    /// `add` appends in order without looking for the name; `set` replaces.
    @Test func addAppendsAndSetReplaces() throws {
        let version = try #require(HTTPField.Name("x-ms-version"))
        var fields = HTTPFields()
        fields.add(.contentType, "text/plain")
        fields.add(version, "2025-05-05")
        fields.add(.contentLength, "3")
        #expect(fields.map(\.name) == [.contentType, version, .contentLength])
        #expect(fields.map(\.value) == ["text/plain", "2025-05-05", "3"])
        fields.set(version, "2026-02-06")
        #expect(fields.map(\.value) == ["text/plain", "2026-02-06", "3"])
        fields.add(.contentLength, "4")
        #expect(fields[values: .contentLength] == ["3", "4"])
    }
}
