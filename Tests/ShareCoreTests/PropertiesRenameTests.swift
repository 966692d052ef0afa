import Foundation
import Testing
@testable import ShareCore

/// `setProperties` with a length or a required kind, and `rename` with properties, a
/// required kind and read-only destinations.
@Suite struct PropertiesRenameTests {
    private func makeShare() async throws -> (TempStore, Share) {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        return (t, t.store.share("docs"))
    }

    @Test func setPropertiesResizesInTheSameChange() async throws {
        let (t, docs) = try await makeShare()
        try await docs.createFile("f", length: 10)
        try await docs.write("f", at: 0, Array(repeating: 7, count: 10))
        let explicit = FileTime(ticks: 1_000_000_000)
        let shrunk = try await docs.setProperties("f", NodeProperties(contentHeaders: ContentHeaders(contentType: "a/b")),
                                                  length: 4)
        #expect(shrunk.size == 4)
        #expect(shrunk.contentHeaders.contentType == "a/b")
        #expect(try await docs.read("f") == [7, 7, 7, 7])
        let grown = try await docs.setProperties("f", NodeProperties(lastWriteTime: explicit), length: 8)
        #expect(grown.size == 8)
        #expect(grown.smb.lastWriteTime == explicit)
        #expect(try await docs.read("f") == [7, 7, 7, 7, 0, 0, 0, 0])
        try await t.finish()
    }

    @Test func setPropertiesRefusesTheOtherKindAndBadLengths() async throws {
        let (t, docs) = try await makeShare()
        try await docs.createDirectory("d")
        try await docs.createFile("f", length: 3)
        await expectError(.resourceNotFound) { try await docs.setProperties("d", NodeProperties(), kind: .file) }
        await expectError(.resourceNotFound) { try await docs.setProperties("f", NodeProperties(), kind: .directory) }
        await expectError(.notAFile) { try await docs.setProperties("d", NodeProperties(), length: 1) }
        await expectError(.fileTooLarge) { try await docs.setProperties("f", NodeProperties(), length: ShareStore.maxFileSize + 1) }
        #expect(try await docs.info("f").size == 3)
        try await t.finish()
    }

    @Test func renameAppliesPropertiesAtomically() async throws {
        let (t, docs) = try await makeShare()
        try await docs.createFile("a", length: 1, properties: NodeProperties(metadata: ["x": "1"]))
        let moved = try await docs.rename("a", to: "b", kind: .file,
                                          properties: NodeProperties(attributes: .hidden, metadata: ["y": "2"]))
        #expect(moved.name == "b")
        #expect(moved.smb.attributes == .hidden)
        #expect(moved.metadata == ["y": "2"])
        #expect(try await docs.exists("a") == false)
        await expectError(.resourceNotFound) { try await docs.rename("b", to: "c", kind: .directory) }
        try await docs.createDirectory("d")
        await expectError(.notAFile) {
            try await docs.rename("d", to: "e", properties: NodeProperties(contentHeaders: ContentHeaders(contentType: "x")))
        }
        #expect(try await docs.exists("b"))
        #expect(try await docs.exists("d"))
        try await t.finish()
    }

    @Test func renameRespectsReadOnlyDestinationsUnlessIgnored() async throws {
        let (t, docs) = try await makeShare()
        try await docs.createFile("src", length: 1)
        try await docs.createFile("dst", length: 2, properties: NodeProperties(attributes: .readOnly))
        await expectError(.readOnly) {
            try await docs.rename("src", to: "dst", replaceIfExists: true, ignoreReadOnly: false)
        }
        #expect(try await docs.info("dst").size == 2)
        let replaced = try await docs.rename("src", to: "dst", replaceIfExists: true, ignoreReadOnly: true)
        #expect(replaced.size == 1)
        try await t.finish()
    }
}
