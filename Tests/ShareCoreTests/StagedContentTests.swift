import Foundation
import Testing
@testable import ShareCore

/// The engine's staged content: bytes that belong to no file yet, held for a front's record,
/// committed into a file in one transaction or discarded with the record or its share.
@Suite("Staged content")
struct StagedContentTests {
    static let table = RecordTable("test.staging")

    /// A store with share "stg" and a record "r" of it.
    func setup() async throws -> (TempStore, Share) {
        let t = try await TempStore.make(extentSize: 64 * 1024)
        try await t.store.createShare("stg")
        try await t.store.writeRecords { w in try w.put(Self.table, Array("r".utf8), [1], owner: "stg") }
        return (t, t.store.share("stg"))
    }

    func chunkCount(_ store: ShareStore) throws -> Int { try rowCount(store, .chunks) }

    @Test("staged content is listed, committed as a file without copying, and consumed")
    func stageAndCommit() async throws {
        let (t, s) = try await setup()
        let a = pattern(150_000, seed: 1)
        let b = pattern(5, seed: 2)
        let first = try await t.store.stage(Self.table, record: Array("r".utf8), key: [1], from: ByteChunks(chunks: [a]),
                                            payload: { Array("sum".utf8) })
        #expect(first.size == 150_000 && first.md5 == MD5.digest(a) && first.payload == Array("sum".utf8))
        _ = try await t.store.stage(Self.table, record: Array("r".utf8), key: [2], from: ByteChunks(chunks: [b]))
        _ = try await t.store.stage(Self.table, record: Array("r".utf8), key: [3], from: ByteChunks(chunks: [pattern(50_000, seed: 3)]))
        let listed: [[UInt8]] = try t.store.readRecords { r in
            var keys: [[UInt8]] = []
            try r.scanStaged(Self.table, Array("r".utf8)) { keys.append($0.key); return true }
            return keys
        }
        #expect(listed == [[1], [2], [3]])
        let after: [[UInt8]] = try t.store.readRecords { r in
            var keys: [[UInt8]] = []
            try r.scanStaged(Self.table, Array("r".utf8), after: [1]) { keys.append($0.key); return true }
            return keys
        }
        #expect(after == [[2], [3]])
        // Invisible in the share and outside its quota until committed.
        #expect(try await t.store.shareStats("stg").usedBytes == 0)
        #expect(try await s.list("").entries.isEmpty)
        #expect(try await t.store.check().problems == [])
        let chunksBefore = try chunkCount(t.store)
        let info = try await s.commitStaged(Self.table, record: Array("r".utf8), keys: [[1], [2]], to: "d/f",
                                            properties: NodeProperties(contentHeaders: ContentHeaders(contentType: "x/y")),
                                            objectETag: "tag", createParents: true) { w, contents in
            #expect(contents.map(\.key) == [[1], [2]])
            try w.delete(Self.table, Array("r".utf8))
        }
        #expect(info.size == 150_005 && info.objectETag == "tag" && info.objectParts == [150_000, 5])
        #expect(try await s.read("d/f") == a + b)
        // Content 3 was not named: consumed all the same, its chunk released; nothing was copied.
        #expect(try chunkCount(t.store) == chunksBefore - 1)
        #expect(try t.store.readRecords { try $0.get(Self.table, Array("r".utf8)) } == nil)
        try await t.finish()
    }

    @Test("bad requests and failed commits change nothing")
    func errors() async throws {
        let (t, s) = try await setup()
        try await t.store.createShare("other")
        try await t.store.writeRecords { w in try w.put(Self.table, Array("free".utf8), [1]) }
        let r = Array("r".utf8)
        _ = try await t.store.stage(Self.table, record: r, key: [1], from: ByteChunks(chunks: [[1, 2, 3]]))
        await expectError(.recordNotFound) {
            try await t.store.stage(Self.table, record: Array("nope".utf8), key: [1], from: ByteChunks(chunks: [[1]]))
        }
        await expectError(.invalidArgument) {
            try await t.store.stage(Self.table, record: Array("free".utf8), key: [1], from: ByteChunks(chunks: [[1]]))
        }
        await expectError(.invalidArgument) {
            try await t.store.stage(Self.table, record: r, key: [UInt8](repeating: 1, count: 33), from: ByteChunks(chunks: [[1]]))
        }
        await expectError(.fileTooLarge) {
            try await t.store.stage(Self.table, record: r, key: [2], from: ByteChunks(chunks: [[1, 2, 3]]), maxSize: 2)
        }
        await expectError(.stagedContentNotFound) {
            try await s.commitStaged(Self.table, record: r, keys: [[1], [9]], to: "f")
        }
        await expectError(.recordNotFound) {
            try await t.store.share("other").commitStaged(Self.table, record: r, keys: [[1]], to: "f")
        }
        struct Refused: Error {}
        do {
            try await s.commitStaged(Self.table, record: r, keys: [[1]], to: "f") { _, _ in throw Refused() }
            Issue.record("a refused commit succeeded")
        } catch is Refused {}
        await expectError(.snapshotReadOnly) {
            let snap = try await t.store.createSnapshot(of: "stg")
            return try await t.store.share("stg", snapshot: snap.name).commitStaged(Self.table, record: r, keys: [[1]], to: "f")
        }
        await expectError(.resourceNotFound) { try await s.info("f") }
        #expect(try t.store.readRecords { try $0.staged(Self.table, r, [1])?.size } == 3)
        #expect(try t.store.readRecords { try $0.staged(Self.table, r, [2]) } == nil)
        // A record holding staged content cannot change owner.
        await expectError(.invalidArgument) {
            try await t.store.writeRecords { w in try w.put(Self.table, r, [2], owner: "other") }
        }
        try await t.store.writeRecords { w in try w.put(Self.table, r, [2], owner: "stg") }
        #expect(try t.store.readRecords { try $0.staged(Self.table, r, [1])?.size } == 3)
        try await t.finish()
    }

    @Test("a copy shares chunks; deleting the content, its record or its share releases them")
    func copyAndDiscard() async throws {
        let (t, s) = try await setup()
        let data = pattern(200_000, seed: 4)
        try await s.upload("src", from: ByteChunks(chunks: [data]))
        let chunks = try chunkCount(t.store)
        let r = Array("r".utf8)
        let copied = try await t.store.stageCopy(Self.table, record: r, key: [1], from: s, "src", range: 10..<150_010)
        #expect(copied.size == 150_000 && copied.md5 == MD5.digest(Array(data[10..<150_010])))
        #expect(try chunkCount(t.store) == chunks, "a staged copy stores no data")
        try await s.deleteFile("src")
        #expect(try chunkCount(t.store) == 3, "the staged copy holds the chunks it shares")
        #expect(try await t.store.check().problems == [])
        #expect(try await t.store.writeRecords { w in try w.deleteStaged(Self.table, r, [1]) })
        #expect(try chunkCount(t.store) == 0)
        _ = try await t.store.stage(Self.table, record: r, key: [1], from: ByteChunks(chunks: [data]))
        try await t.store.writeRecords { w in _ = try w.delete(Self.table, r) }
        #expect(try chunkCount(t.store) == 0)
        // Content of a deleted share goes with the share's purge.
        try await t.store.writeRecords { w in try w.put(Self.table, r, [1], owner: "stg") }
        _ = try await t.store.stage(Self.table, record: r, key: [1], from: ByteChunks(chunks: [data]))
        let store = try await t.reopen()
        #expect(try store.readRecords { try $0.staged(Self.table, r, [1])?.md5 } == MD5.digest(data))
        try await store.deleteShare("stg")
        #expect(try chunkCount(store) == 0)
        #expect(try rowCount(store, .staged) == 0)
        try await t.finish(store)
    }

    @Test("check counts staged references and reports content without its record")
    func checked() async throws {
        let (t, _) = try await setup()
        let r = Array("r".utf8)
        _ = try await t.store.stage(Self.table, record: r, key: [1], from: ByteChunks(chunks: [pattern(1000, seed: 5)]))
        #expect(try await t.store.check().problems == [])
        try await t.store.write { txn in _ = try txn.delete(.records, RecordKeys.key(Self.table, r)) }
        let problems = try await t.store.check().problems
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.contains { $0.contains("its record does not exist") })
        #expect(problems.contains { $0.contains("owned record(s) missing") || $0.contains("names no record") })
        await t.store.close()
        try? FileManager.default.removeItem(atPath: t.path)
    }
}
