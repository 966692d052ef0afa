import Foundation
import Testing
@testable import ShareCore

/// The engine support behind FileREST's Copy File, Put Range and List Ranges: copy records,
/// preserved last-write times, read-only destinations and cleared ranges in diffs.
@Suite struct CopyRecordTests {
    @Test func copyRecordsItsIdUntilTheContentChanges() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let share = t.store.share("docs")
        try await share.createFile("a", length: 10)
        try await share.write("a", at: 0, Array("0123456789".utf8))
        let copied = try await share.copy(from: share, "a", to: "b",
                                          options: CopyOptions(copyId: "id-1", copySource: "http://h/acct/docs/a"))
        #expect(copied.copy?.id == "id-1")
        #expect(copied.copy?.source == "http://h/acct/docs/a")
        #expect(copied.copy?.status == "success")
        #expect(copied.copy?.bytesCopied == 10 && copied.copy?.totalBytes == 10)
        // Kept across a reopen (stored with the node).
        let store = try await t.reopen()
        let again = store.share("docs")
        #expect(try await again.info("b").copy?.id == "id-1")
        // A plain copy records nothing; writing content forgets the record.
        #expect(try await again.copy(from: again, "a", to: "c").copy == nil)
        try await again.write("b", at: 0, [1])
        #expect(try await again.info("b").copy == nil)
        try await t.finish(store)
    }

    @Test func writesAndClearsCanPreserveTheLastWriteTime() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let share = t.store.share("docs")
        let created = try await share.createFile("f", length: 100)
        let kept = try await share.write("f", at: 0, [1, 2, 3], preserveLastWriteTime: true)
        #expect(kept.smb.lastWriteTime == created.smb.lastWriteTime)
        #expect(kept.etag != created.etag)
        let cleared = try await share.clear("f", range: 0..<2, preserveLastWriteTime: true)
        #expect(cleared.smb.lastWriteTime == created.smb.lastWriteTime)
        let touched = try await share.write("f", at: 0, [9])
        #expect(touched.smb.lastWriteTime > created.smb.lastWriteTime)
        try await t.finish()
    }

    @Test func aReadOnlyDestinationIsReplacedOnlyWhenAllowed() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let share = t.store.share("docs")
        try await share.createFile("src", length: 3)
        try await share.createFile("dst", length: 1, properties: NodeProperties(attributes: [.readOnly]))
        var options = CopyOptions()
        options.ignoreReadOnly = false
        await expectError(.readOnly) { try await share.copy(from: share, "src", to: "dst", options: options) }
        #expect(try await share.info("dst").size == 1)
        options.ignoreReadOnly = true
        #expect(try await share.copy(from: share, "src", to: "dst", options: options).size == 3)
        try await t.finish()
    }

    @Test func rangesWrittenAfterASnapshotThenClearedAreReportedCleared() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let share = t.store.share("docs")
        try await share.createFile("f", length: 2048)
        let first = try await t.store.createSnapshot(of: "docs").name
        try await share.write("f", at: 0, pattern(1536, seed: 1))
        let second = try await t.store.createSnapshot(of: "docs").name
        try await share.clear("f", range: 512..<1024)
        let sinceFirst = try await share.changedRanges("f", since: first)
        #expect(sinceFirst.changed == [0..<512, 1024..<1536])
        #expect(sinceFirst.cleared == [512..<1024])
        let sinceSecond = try await share.changedRanges("f", since: second)
        #expect(sinceSecond.changed == [])
        #expect(sinceSecond.cleared == [512..<1024])
        // A hole nothing was ever written to is not reported.
        let within = try await share.changedRanges("f", since: first, within: 1536..<2048)
        #expect(within == RangeDiff(changed: [], cleared: []))
        try await t.finish()
    }

    @Test func renamedFilesAreComparedWithThemselvesOnlyWhenAsked() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let share = t.store.share("docs")
        try await share.createFile("a", length: 100)
        try await share.write("a", at: 0, pattern(50, seed: 2))
        let snapshot = try await t.store.createSnapshot(of: "docs").name
        try await share.rename("a", to: "b")
        try await share.write("b", at: 60, [1, 2])
        let followed = try await share.changedRanges("b", since: snapshot, followRenames: true)
        #expect(followed.changed == [60..<62])
        // Not asked: the renamed file is refused, as Azure answers List Ranges without
        // x-ms-file-support-rename.
        do {
            _ = try await share.changedRanges("b", since: snapshot)
            Issue.record("a renamed file was compared without followRenames")
        } catch let error as ShareCoreError {
            #expect(error.code == .movedSinceSnapshot)
        }
        // A file new since the snapshot has everything changed.
        try await share.createFile("new", length: 10)
        try await share.write("new", at: 0, [1])
        #expect(try await share.changedRanges("new", since: snapshot).changed == [0..<1])
        try await t.finish()
    }
}
