import Foundation
import Testing
@testable import ShareCore

/// File annotations: named opaque values fronts keep in an item's own record.
@Suite("File annotations")
struct AnnotationsTests {
    static let table = RecordTable("test.annotations")

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func changes(_ pairs: [String: String]) -> AnnotationChanges {
        AnnotationChanges(setting: pairs.mapValues { Array($0.utf8) })
    }

    func setup() async throws -> (TempStore, Share) {
        let t = try await TempStore.make()
        try await t.store.createShare("ann")
        return (t, t.store.share("ann"))
    }

    @Test("annotate sets and removes values without touching the ETag, times or metadata")
    func annotateExisting() async throws {
        let (t, s) = try await setup()
        let created = try await s.upload("f", from: ByteChunks(chunks: [bytes("hello")]),
                                         properties: NodeProperties(metadata: ["m": "1"]))
        #expect(created.annotations.isEmpty)
        var set = AnnotationChanges()
        set.set("a.tags", [0, 1, 2])
        set.set("a.acl", bytes("private"))
        let after = try await s.annotate("f", set)
        #expect(after.annotations["a.tags"] == [0, 1, 2] && after.annotations["a.acl"] == bytes("private"))
        #expect(after.etag == created.etag && after.lastModified == created.lastModified)
        #expect(after.smb.changeTime == created.smb.changeTime && after.metadata == ["m": "1"])
        var remove = AnnotationChanges()
        remove.remove("a.tags")
        remove.remove("never.set")
        let info = try await s.annotate("f", remove)
        #expect(info.annotations.names == ["a.acl"])
        #expect(try await s.info("f").annotations.names == ["a.acl"])
        // Directories (and the root) carry them too.
        try await s.createDirectory("d")
        #expect(try await s.annotate("d", changes(["x": "dir"]), kind: .directory).annotations["x"] == bytes("dir"))
        #expect(try await s.annotate("", changes(["x": "root"])).annotations["x"] == bytes("root"))
        try await t.finish()
    }

    @Test("bad names, sizes, kinds and conditions are refused and change nothing")
    func errors() async throws {
        let (t, s) = try await setup()
        try await s.upload("f", from: ByteChunks(chunks: [bytes("x")]))
        let etag = try await s.info("f").etag
        await expectError(.invalidArgument) { try await s.annotate("f", changes(["": "v"])) }
        await expectError(.invalidArgument) { try await s.annotate("f", changes([String(repeating: "n", count: 129): "v"])) }
        await expectError(.invalidArgument) { try await s.annotate("f", changes(["a\nb": "v"])) }
        await expectError(.invalidArgument) {
            try await s.annotate("f", AnnotationChanges(setting: ["big": [UInt8](repeating: 1, count: FileAnnotations.maxValueBytes + 1)]))
        }
        // Five values within the per-value limit but over the per-item total.
        let near = [UInt8](repeating: 2, count: FileAnnotations.maxValueBytes)
        await expectError(.invalidArgument) {
            try await s.annotate("f", AnnotationChanges(setting: ["1": near, "2": near, "3": near, "4": near, "5": near]))
        }
        await expectError(.resourceNotFound) { try await s.annotate("missing", changes(["a": "b"])) }
        await expectError(.resourceNotFound) { try await s.annotate("f", changes(["a": "b"]), kind: .directory) }
        await expectError(.conditionNotMet) { try await s.annotate("f", changes(["a": "b"]), ifETag: "0x1") }
        #expect(try await s.info("f").annotations.isEmpty)
        #expect(try await s.annotate("f", changes(["a": "b"]), ifETag: etag).annotations["a"] == bytes("b"))
        let snap = try await t.store.createSnapshot(of: "ann")
        await expectError(.snapshotReadOnly) { try await t.store.share("ann", snapshot: snap.name).annotate("f", changes(["a": "c"])) }
        await expectError(.invalidArgument) {
            try await s.upload("g", from: ByteChunks(chunks: [bytes("x")]), properties: NodeProperties(annotations: changes(["": "v"])))
        }
        #expect(try await s.exists("g") == false)
        try await t.finish()
    }

    @Test("uploads, staged commits and creates land with their annotations in one commit")
    func createWithAnnotations() async throws {
        let (t, s) = try await setup()
        let up = try await s.upload("a/b", from: ByteChunks(chunks: [bytes("body")]),
                                    properties: NodeProperties(annotations: changes(["t": "1"])), createParents: true)
        #expect(up.annotations["t"] == bytes("1"))
        // The parents created on the way have none.
        #expect(try await s.info("a").annotations.isEmpty)
        // Replacing a file by an upload replaces its annotations with the new ones.
        let again = try await s.upload("a/b", from: ByteChunks(chunks: [bytes("new")]),
                                       properties: NodeProperties(annotations: changes(["u": "2"])))
        #expect(again.annotations.names == ["u"])
        let plain = try await s.upload("a/b", from: ByteChunks(chunks: [bytes("plain")]))
        #expect(plain.annotations.isEmpty)

        try await t.store.writeRecords { w in try w.put(Self.table, self.bytes("r"), [1], owner: "ann") }
        _ = try await t.store.stage(Self.table, record: bytes("r"), key: [1], from: ByteChunks(chunks: [bytes("part")]))
        // Properties kept in a front's record in their stored form keep the changes.
        let kept = try NodeProperties(storedForm: NodeProperties(annotations: {
            var c = changes(["t": "staged"])
            c.remove("gone")
            return c
        }()).storedForm)
        #expect(kept.annotations == {
            var c = changes(["t": "staged"])
            c.remove("gone")
            return c
        }())
        let committed = try await s.commitStaged(Self.table, record: bytes("r"), keys: [[1]], to: "m", properties: kept) { w, _ in
            try w.delete(Self.table, self.bytes("r"))
        }
        #expect(committed.annotations.names == ["t"] && committed.annotations["t"] == bytes("staged"))
        #expect(try await s.createFile("c", properties: NodeProperties(annotations: changes(["k": "v"]))).annotations["k"] == bytes("v"))
        try await t.finish()
    }

    @Test("annotations follow renames, survive content and property changes, and vanish with the item")
    func renameAndChanges() async throws {
        let (t, s) = try await setup()
        try await s.createDirectory("d")
        try await s.upload("d/f", from: ByteChunks(chunks: [bytes("hello")]))
        try await s.annotate("d/f", changes(["t": "file"]))
        try await s.annotate("d", changes(["t": "dir"]))
        try await s.rename("d/f", to: "d/g")
        try await s.rename("d", to: "e")
        #expect(try await s.info("e/g").annotations["t"] == bytes("file"))
        #expect(try await s.info("e").annotations["t"] == bytes("dir"))
        // Writes, resizes, property and metadata changes keep them.
        try await s.write("e/g", at: 0, bytes("HE"))
        try await s.resize("e/g", to: 3)
        try await s.setProperties("e/g", NodeProperties(contentHeaders: ContentHeaders(contentType: "a/b")))
        try await s.setMetadata("e/g", ["k": "v"])
        #expect(try await s.info("e/g").annotations["t"] == bytes("file"))
        // Deleted and created again: a new item without them.
        try await s.deleteFile("e/g")
        try await s.createFile("e/g")
        #expect(try await s.info("e/g").annotations.isEmpty)
        try await t.finish()
    }

    @Test("copies carry annotations and may change them in the same call")
    func copies() async throws {
        let (t, s) = try await setup()
        try await t.store.createShare("other")
        try await s.upload("src", from: ByteChunks(chunks: [bytes("content")]))
        try await s.annotate("src", changes(["keep": "1", "swap": "old"]))
        let plain = try await s.copy(from: s, "src", to: "dst")
        #expect(plain.annotations == (try await s.info("src")).annotations)
        var replace = changes(["swap": "new"])
        replace.remove("keep")
        let changed = try await t.store.share("other").copy(from: s, "src", to: "x", options: CopyOptions(properties: NodeProperties(annotations: replace)))
        #expect(changed.annotations.names == ["swap"] && changed.annotations["swap"] == bytes("new"))
        // A copy onto itself changes only what it is asked to.
        let same = try await s.copy(from: s, "src", to: "src", options: CopyOptions(properties: NodeProperties(annotations: changes(["more": "m"]))))
        #expect(same.annotations.names == ["keep", "more", "swap"])
        // The source is untouched.
        #expect(try await s.info("dst").annotations.names == ["keep", "swap"])
        try await t.finish()
    }

    @Test("snapshots capture annotations and restores bring them back")
    func snapshotsAndRestores() async throws {
        let (t, s) = try await setup()
        try await s.createDirectory("d")
        try await s.upload("d/f", from: ByteChunks(chunks: [bytes("hello")]))
        try await s.annotate("d/f", changes(["t": "v1"]))
        try await s.annotate("d", changes(["t": "dir"]))
        let snap = try await t.store.createSnapshot(of: "ann")
        try await s.annotate("d/f", changes(["t": "v2", "extra": "x"]))
        #expect(try await t.store.share("ann", snapshot: snap.name).info("d/f").annotations.names == ["t"])
        #expect(try await t.store.share("ann", snapshot: snap.name).info("d/f").annotations["t"] == bytes("v1"))
        // A whole-share restore over the existing items puts back exactly the snapshot's.
        _ = try await t.store.restoreSnapshot(SnapshotRestore(share: "ann", snapshot: snap.name))
        #expect(try await s.info("d/f").annotations.names == ["t"])
        #expect(try await s.info("d/f").annotations["t"] == bytes("v1"))
        try await s.annotate("d", changes(["extra": "x"]))
        _ = try await t.store.restoreSnapshot(SnapshotRestore(share: "ann", snapshot: snap.name))
        #expect(try await s.info("d").annotations.names == ["t"])
        // Deleted items come back with theirs, through either restore.
        try await s.deleteFile("d/f")
        try await s.deleteDirectory("d")
        _ = try await t.store.restoreSnapshot(SnapshotRestore(share: "ann", snapshot: snap.name))
        #expect(try await s.info("d/f").annotations["t"] == bytes("v1"))
        #expect(try await s.info("d").annotations["t"] == bytes("dir"))
        try await t.store.createShare("target")
        _ = try await t.store.restore(RestoreRequest(share: "ann", snapshot: snap.name, items: ["d"], targetShare: "target"))
        #expect(try await t.store.share("target").info("d/f").annotations["t"] == bytes("v1"))
        #expect(try await t.store.share("target").info("d").annotations["t"] == bytes("dir"))
        try await t.finish()
    }

    @Test("records without annotations keep their old bytes, and annotations survive a reopen")
    func storedForm() async throws {
        let (t, s) = try await setup()
        let info = try await s.upload("f", from: ByteChunks(chunks: [bytes("x")]))
        // A record with no annotations is written exactly as before they existed (no tag 28),
        // so old stores and new records without them are the same bytes.
        let encoded = NodeRecord(info: info).encode()
        var reader = try FieldReader(bytes: encoded)
        while let (tag, _) = try reader.next() { #expect(tag != 28) }
        #expect(try NodeProperties(storedForm: NodeProperties(metadata: ["a": "b"]).storedForm).annotations == nil)
        try await s.annotate("f", changes(["t": "kept"]))
        let reopened = try await t.reopen()
        #expect(try await reopened.share("ann").info("f").annotations["t"] == bytes("kept"))
        try await t.finish(reopened)
    }
}
