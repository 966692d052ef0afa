import Foundation
import Testing
@testable import ShareCore

/// A file's directory entry carries its size (issue #14), so that a listing of names, ids and
/// sizes (`listSummaries`) reads the directory alone: every change of size keeps the entry equal
/// to the node, snapshots keep the sizes of their time, entries written before sizes were kept
/// are read through their node, and `check` finds an entry whose size is wrong.
@Suite struct DirentSizeTests {
    /// `listSummaries` and `list` of `path` in `share` agree entry by entry (name, kind, id,
    /// size), over pages of `pageSize`.
    func expectSummariesMatchList(_ share: Share, _ path: String = "", pageSize: Int = 5000,
                                  sourceLocation: SourceLocation = #_sourceLocation) async throws -> [DirectorySummary] {
        var summaries: [DirectorySummary] = []
        var full: [DirectoryEntry] = []
        var marker: String?
        repeat {
            let page = try await share.listSummaries(path, marker: marker, maxResults: pageSize)
            summaries += page.entries
            marker = page.nextMarker
        } while marker != nil
        repeat {
            let page = try await share.list(path, marker: marker, maxResults: pageSize)
            full += page.entries
            marker = page.nextMarker
        } while marker != nil
        let expected = full.map(DirectorySummary.init(fromNode:))
        #expect(summaries == expected, sourceLocation: sourceLocation)
        return summaries
    }

    func size(_ name: String, in summaries: [DirectorySummary]) -> UInt64? {
        summaries.first { $0.name == name }?.size
    }

    /// The stored entry of `name` in the root of share 1, as the store holds it now.
    func storedEntry(_ t: TempStore, _ name: String, caseSensitive: Bool = false) async throws -> DirentRecord? {
        let key = Keys.dirent(1, Node.rootId, NameFolding.key(name, caseSensitive: caseSensitive))
        return try await t.store.write { txn in
            guard let full = try txn.keys(.dirents, prefix: key).first,
                  let value = try txn.get(.dirents, full) else { return nil }
            return try value.withUnsafeBytes { try DirentRecord($0) }
        }
    }

    @Test func everyChangeOfSizeReachesTheEntry() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("a", length: 10)
        try await docs.createDirectory("d")
        try await docs.upload("u", from: ByteChunks(chunks: [Array("hello ".utf8), Array("world".utf8)]))
        var listed = try await expectSummariesMatchList(docs)
        #expect(size("a", in: listed) == 10 && size("u", in: listed) == 11 && size("d", in: listed) == 0)
        #expect(try await storedEntry(t, "a")?.size == 10)
        #expect(try await storedEntry(t, "d")?.size == nil)

        // A snapshot keeps the sizes of its time while the live share changes.
        let snapshot = try await t.store.createSnapshot(of: "docs")
        try await docs.resize("a", to: 5_000)
        #expect(size("a", in: try await expectSummariesMatchList(docs)) == 5_000)
        try await docs.write("a", at: 4_000, Array(repeating: 7, count: 1_000))
        try await docs.setProperties("u", NodeProperties(), length: 3)
        #expect(size("u", in: try await expectSummariesMatchList(docs)) == 3)
        #expect(try await storedEntry(t, "u")?.size == 3)
        try await docs.createFile("u", length: 42, overwrite: true)
        try await docs.copy(from: docs, "a", to: "c")
        try await docs.rename("c", to: "moved")
        try await docs.upload("a", from: ByteChunks(chunks: [Array(repeating: 1, count: 70_000)]))
        listed = try await expectSummariesMatchList(docs)
        #expect(size("a", in: listed) == 70_000 && size("u", in: listed) == 42 && size("moved", in: listed) == 5_000)
        #expect(size("c", in: listed) == nil)
        let old = try await expectSummariesMatchList(t.store.share("docs", snapshot: snapshot.name))
        #expect(size("a", in: old) == 10 && size("u", in: old) == 11 && size("moved", in: old) == nil)

        // Restoring the snapshot brings its sizes back to the live entries.
        _ = try await t.store.restoreSnapshot(SnapshotRestore(share: "docs", snapshot: snapshot.name))
        listed = try await expectSummariesMatchList(docs)
        #expect(size("a", in: listed) == 10 && size("u", in: listed) == 11)
        #expect(try await t.store.check().problems.isEmpty)

        // Pages and markers are those of `list`, and a marker of one works for the other.
        for i in 0..<25 { try await docs.createFile("p\(i)", length: UInt64(i)) }
        _ = try await expectSummariesMatchList(docs, pageSize: 7)
        let first = try await docs.listSummaries(maxResults: 7)
        let next = try await docs.list(marker: first.nextMarker, maxResults: 7)
        let again = try await docs.listSummaries(marker: first.nextMarker, maxResults: 7)
        #expect(next.entries.map(\.name) == again.entries.map(\.name) && next.nextMarker == again.nextMarker)
        let prefixed = try await docs.listSummaries(prefix: "p1")
        #expect(prefixed.entries.map(\.name) == ["p1"] + (10...19).map { "p\($0)" })
        await expectError(.invalidArgument) { try await docs.listSummaries(marker: "not a marker") }
        await expectError(.invalidArgument) { try await docs.listSummaries(maxResults: 0) }
        await expectError(.resourceNotFound) { try await docs.listSummaries("missing") }
        await t.store.close()
    }

    /// Entries written before entries carried sizes: listed through their node, fixed by the next
    /// change of the file, and never a problem for `check`; an entry with a wrong size is one.
    @Test func entriesWithoutOrWithWrongSizes() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("f", length: 123)
        let stored = try #require(try await storedEntry(t, "f"))
        func rewrite(_ entry: DirentRecord) async throws {
            let key = Keys.dirent(1, Node.rootId, NameFolding.key("f", caseSensitive: false))
            try await t.store.write { txn in
                for full in try txn.keys(.dirents, prefix: key) { try txn.put(.dirents, full, entry.encode()) }
            }
        }
        var legacy = stored
        legacy.size = nil
        try await rewrite(legacy)
        #expect(try await storedEntry(t, "f")?.size == nil)
        #expect(try await expectSummariesMatchList(docs).map(\.size) == [123])
        #expect(try await t.store.check().problems.isEmpty)
        // A change that keeps the size still gives the entry its size.
        try await docs.write("f", at: 0, [1, 2, 3])
        #expect(try await storedEntry(t, "f")?.size == 123)

        var wrong = stored
        wrong.size = 99
        try await rewrite(wrong)
        let report = try await t.store.check()
        #expect(report.problems.contains { $0.contains("entry 'f' records size 99") }, "\(report.problems)")
        await t.store.close()
    }
}

extension DirectorySummary {
    /// What `listSummaries` should give for `entry`, a whole entry of `list` read from its node.
    init(fromNode entry: DirectoryEntry) {
        self.init(name: entry.name, kind: entry.kind, id: entry.info.id, size: entry.kind == .file ? entry.info.size : 0)
    }
}
