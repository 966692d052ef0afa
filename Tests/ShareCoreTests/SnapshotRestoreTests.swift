import Foundation
import Testing
@testable import ShareCore

/// Files of a share below the root, path → bytes (directories map to nil).
private func contents(_ share: Share) async throws -> [String: [UInt8]?] {
    var out: [String: [UInt8]?] = [:]
    var queue = [""]
    while let dir = queue.popLast() {
        let page = try await share.list(dir, marker: nil)
        for entry in page.entries {
            let p = dir.isEmpty ? entry.name : dir + "/" + entry.name
            if entry.kind == .directory {
                out[p] = .some(nil)
                queue.append(p)
            } else {
                out[p] = .some(try await share.read(p))
            }
        }
    }
    return out
}

private func put(_ share: Share, _ path: String, _ text: String) async throws {
    let bytes = Array(text.utf8)
    try await share.createFile(path, length: UInt64(bytes.count), overwrite: true)
    if !bytes.isEmpty { try await share.write(path, at: 0, bytes) }
}

@Suite struct SnapshotRestoreTests {
    /// A share `src` with a/x.txt, a/b/y.txt and top.txt, and a snapshot of it.
    func fixture() async throws -> (TempStore, Share, String) {
        let t = try await TempStore.make()
        try await t.store.createShare("src")
        let s = t.store.share("src")
        try await s.createDirectory("a", properties: NodeProperties(metadata: ["dir": "a"]))
        try await s.createDirectory("a/b")
        try await put(s, "a/x.txt", "x-old")
        try await put(s, "a/b/y.txt", "y-old")
        try await put(s, "top.txt", "top")
        let snap = try await t.store.createSnapshot(of: "src")
        return (t, s, snap.name)
    }

    @Test func fullShareRestoreBringsBackDeletedFilesAndKeepsNewOnes() async throws {
        let (t, s, snap) = try await fixture()
        let expected = try await contents(t.store.share("src", snapshot: snap))
        try await s.deleteFile("a/b/y.txt")
        try await s.deleteDirectory("a/b")
        try await put(s, "a/x.txt", "x-new")
        try await put(s, "new.txt", "created after")
        let storedBefore = t.store.storedBytes

        let result = try await t.store.restoreSnapshot(SnapshotRestore(share: "src", snapshot: snap))
        #expect(result.restoredFiles == 3 && result.skippedFiles == 0 && result.failedFiles == 0)
        #expect(result.restoredBytes == 13)
        var now = try await contents(s)
        #expect(now.removeValue(forKey: "new.txt") == .some(Array("created after".utf8)))
        #expect(now == expected)
        #expect(try await s.info("a").metadata == ["dir": "a"])
        #expect(t.store.storedBytes - storedBefore < 1 << 20, "restored files share the snapshot's chunks")
        try await t.finish()
    }

    @Test func skipLeavesExistingFiles() async throws {
        let (t, s, snap) = try await fixture()
        try await put(s, "a/x.txt", "x-new")
        try await s.deleteFile("top.txt")
        let result = try await t.store.restoreSnapshot(SnapshotRestore(share: "src", snapshot: snap, copyOption: .skip))
        #expect(result.restoredFiles == 1 && result.skippedFiles == 2)
        #expect(try await s.read("a/x.txt") == Array("x-new".utf8))
        #expect(try await s.read("top.txt") == Array("top".utf8))
        try await t.finish()
    }

    @Test func failOnConflictChangesNothing() async throws {
        let (t, s, snap) = try await fixture()
        try await s.deleteFile("top.txt")
        try await put(s, "a/b/y.txt", "y-new")
        let before = try await contents(s)
        let result = try await t.store.restoreSnapshot(SnapshotRestore(share: "src", snapshot: snap, copyOption: .failOnConflict))
        #expect(result.conflict == "a/b/y.txt")
        #expect(result.restoredFiles == 0)
        #expect(try await contents(s) == before, "top.txt must not come back when a conflict was found")

        // Without a conflict it restores.
        try await s.deleteFile("a/b/y.txt")
        try await s.deleteFile("a/x.txt")
        let second = try await t.store.restoreSnapshot(SnapshotRestore(share: "src", snapshot: snap, copyOption: .failOnConflict))
        #expect(second.conflict == nil && second.restoredFiles == 3)
        #expect(try await s.read("top.txt") == Array("top".utf8))
        try await t.finish()
    }

    @Test func kindClashIsNeverReplaced() async throws {
        let (t, s, snap) = try await fixture()
        try await s.deleteFile("top.txt")
        try await s.createDirectory("top.txt")
        try await s.deleteFile("a/b/y.txt")
        try await s.deleteDirectory("a/b")
        try await put(s, "a/b", "a file where a directory was")
        let result = try await t.store.restoreSnapshot(SnapshotRestore(share: "src", snapshot: snap))
        #expect(result.restoredFiles == 1 && result.failedFiles == 2 && result.failures.count == 2)
        #expect(try await s.info("top.txt").kind == .directory)
        #expect(try await s.read("a/b") == Array("a file where a directory was".utf8))
        let skipped = try await t.store.restoreSnapshot(SnapshotRestore(share: "src", snapshot: snap, copyOption: .skip))
        #expect(skipped.skippedFiles == 3 && skipped.failedFiles == 0)
        try await t.finish()
    }

    @Test func leasedFileFailsUnderOverwrite() async throws {
        let (t, s, snap) = try await fixture()
        try await put(s, "top.txt", "changed")
        _ = try await s.lease("top.txt", .acquire(proposedId: nil, duration: nil))
        let result = try await t.store.restoreSnapshot(SnapshotRestore(share: "src", snapshot: snap))
        #expect(result.failedFiles == 1 && result.restoredFiles == 2)
        #expect(try await s.read("top.txt") == Array("changed".utf8))
        try await t.finish()
    }

    @Test func itemLevelToAnotherShareAndFolder() async throws {
        let (t, s, snap) = try await fixture()
        try await t.store.createShare("dst")
        let d = t.store.share("dst")
        let result = try await t.store.restoreSnapshot(SnapshotRestore(
            share: "src", snapshot: snap,
            selections: [RestoreSelection(path: "a/b", kind: .directory), RestoreSelection(path: "top.txt", kind: .file)],
            targetShare: "dst", targetFolder: "restored/here"))
        #expect(result.restoredFiles == 2)
        #expect(try await d.read("restored/here/a/b/y.txt") == Array("y-old".utf8))
        #expect(try await d.read("restored/here/top.txt") == Array("top".utf8))
        #expect(try await d.info("restored/here/a").metadata == ["dir": "a"], "parents take the snapshot's properties")
        #expect(try await contents(d)["restored/here/a/x.txt"] == nil, "only the selected items")
        _ = s
        try await t.finish()
    }

    @Test func badRequestsChangeNothing() async throws {
        let (t, s, snap) = try await fixture()
        try await t.store.createShare("dst")
        try await put(t.store.share("dst"), "file", "f")
        await expectError(.resourceNotFound) {
            try await t.store.restoreSnapshot(SnapshotRestore(share: "src", snapshot: snap,
                selections: [RestoreSelection(path: "top.txt", kind: .file), RestoreSelection(path: "nope", kind: .file)],
                targetShare: "dst"))
        }
        await expectError(.notAFile) {
            try await t.store.restoreSnapshot(SnapshotRestore(share: "src", snapshot: snap,
                selections: [RestoreSelection(path: "a", kind: .file)], targetShare: "dst"))
        }
        await expectError(.notADirectory) {
            try await t.store.restoreSnapshot(SnapshotRestore(share: "src", snapshot: snap, targetShare: "dst", targetFolder: "file/sub"))
        }
        await expectError(.snapshotNotFound) {
            try await t.store.restoreSnapshot(SnapshotRestore(share: "src", snapshot: "2001-01-01T00:00:00.0000000Z"))
        }
        await expectError(.shareNotFound) {
            try await t.store.restoreSnapshot(SnapshotRestore(share: "src", snapshot: snap, targetShare: "nosuch"))
        }
        #expect(try await contents(t.store.share("dst")) == ["file": .some(Array("f".utf8))])
        _ = s
        try await t.finish()
    }
}
