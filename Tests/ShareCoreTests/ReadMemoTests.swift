import Foundation
import Testing
@testable import ShareCore

/// The read memo: reads of one committed state share what they decoded, and nothing a read
/// remembered survives a write (every change below is seen by the very next read).
@Suite struct ReadMemoTests {
    @Test func everyKindOfChangeIsSeenByTheNextRead() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("a", length: 4)
        try await docs.write("a", at: 0, [1, 2, 3, 4])
        #expect(try await docs.read("a", range: 0..<4) == [1, 2, 3, 4])
        #expect(try await docs.read("a", range: 0..<4) == [1, 2, 3, 4])  // from the memo

        // New content.
        try await docs.write("a", at: 1, [9])
        #expect(try await docs.read("a", range: 0..<4) == [1, 9, 3, 4])
        // A smaller size: the old range is past the end now.
        _ = try await docs.resize("a", to: 2)
        await expectError(.invalidRange) { try await docs.read("a", range: 0..<4) }
        #expect(try await docs.read("a", range: 0..<2) == [1, 9])
        // Renamed away, another file put at its path.
        try await docs.rename("a", to: "b")
        await expectError(.resourceNotFound) { try await docs.read("a", range: 0..<1) }
        try await docs.createFile("a", length: 1)
        try await docs.write("a", at: 0, [7])
        #expect(try await docs.read("a", range: 0..<1) == [7])
        #expect(try await docs.read("b", range: 0..<2) == [1, 9])
        // Deleted.
        try await docs.deleteFile("a")
        await expectError(.resourceNotFound) { try await docs.read("a", range: 0..<1) }
        // Leased after it was read: a read with another lease id is refused at once.
        _ = try await docs.read("b", range: 0..<1)
        _ = try await docs.lease("b", .acquire(proposedId: "lease-1", duration: nil))
        await expectError(.leaseIdMismatch) { try await docs.withLease("lease-2").read("b", range: 0..<1) }
        #expect(try await docs.withLease("lease-1").read("b", range: 0..<1) == [1])
        // The share deleted and made again under the same name.
        try await t.store.deleteShare("docs")
        await expectError(.shareNotFound) { try await docs.read("b", range: 0..<1) }
        try await t.store.createShare("docs")
        await expectError(.resourceNotFound) { try await docs.read("b", range: 0..<1) }
        try await t.finish()
    }

    @Test func aPathIsRememberedAsGivenOnlyOnceItResolvedToAFile() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createDirectory("d")
        try await docs.createFile("d/f", length: 2)
        try await docs.write("d/f", at: 0, [5, 6])
        let memo = t.store.readMemo
        func resolution(_ path: String) throws -> ReadMemo.PathResolution? {
            try t.store.env.read { memo.resolution(.init(share: "docs", snapshot: nil, path: path), in: $0) }
        }
        #expect(try await docs.read("d/f", range: 0..<2) == [5, 6])
        #expect(try resolution("d/f")?.path == SharePath("d/f"))
        #expect(try await docs.read("d/f", range: 1..<2) == [6])  // from the memo
        await expectError(.invalidRange) { try await docs.read("d/f", range: 1..<3) }
        // What does not resolve to a file is not remembered, and fails the same way every time.
        for _ in 0..<2 {
            await expectError(.resourceNotFound) { try await docs.read("d/g", range: 0..<1) }
            await expectError(.notAFile) { try await docs.read("d", range: 0..<1) }
            await expectError(.invalidName) { try await docs.read("d//f", range: 0..<1) }
        }
        #expect(try resolution("d/g") == nil && resolution("d") == nil && resolution("d//f") == nil)
        // A malformed path is reported before a range over the limit, as it always was.
        await expectError(.invalidName) { try await docs.read("d//f", range: 0..<UInt64(Share.maxReadBytes + 1)) }
        await expectError(.invalidRange) { try await docs.read("d/f", range: 0..<UInt64(Share.maxReadBytes + 1)) }
        // Another share handle's path of the same spelling is another key.
        try await t.store.createShare("other")
        await expectError(.parentNotFound) { try await t.store.share("other").read("d/f", range: 0..<1) }
        try await t.finish()
    }

    @Test func aSnapshotViewAndTheLiveViewAreRememberedApart() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("f", length: 2)
        try await docs.write("f", at: 0, [1, 1])
        let snapshot = try await t.store.createSnapshot(of: "docs")
        try await docs.write("f", at: 0, [2, 2])
        let old = t.store.share("docs", snapshot: snapshot.name)
        for _ in 0..<2 {
            #expect(try await old.read("f", range: 0..<2) == [1, 1])
            #expect(try await docs.read("f", range: 0..<2) == [2, 2])
        }
        try await t.finish()
    }

    @Test func aReadOfAnOlderStateIsNotAnsweredFromTheMemo() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("f", length: 1)
        try await docs.write("f", at: 0, [1])
        // A read transaction that began before a write keeps reading the older state, even after
        // a later read filled the memo from the newer one.
        let memo = t.store.readMemo
        try t.store.env.read { older in
            let key = ReadMemo.ViewKey(share: "docs", snapshot: nil)
            let before = older.snapshotId
            let done = Task { try await docs.write("f", at: 0, [2]) }
            while true {
                let newer = try t.store.env.read { $0.snapshotId }
                if newer > before { break }
                Thread.sleep(forTimeInterval: 0.001)
            }
            _ = done
            try t.store.env.read { newer in
                _ = try t.store.view(newer, share: "docs", snapshot: nil)
                #expect(memo.view(key, in: newer) != nil)
            }
            #expect(memo.view(key, in: older) == nil)
            let view = try t.store.view(older, share: "docs", snapshot: nil)
            #expect(try view.readBytes(node: try view.resolveFileInfo(SharePath("f")).id, 0..<1) == [1])
        }
        #expect(try await docs.read("f", range: 0..<1) == [2])
        try await t.finish()
    }
}
