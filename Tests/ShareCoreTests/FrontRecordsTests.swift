import Foundation
import Testing
@testable import ShareCore

@Suite("Front records")
struct FrontRecordsTests {
    private let jobs = RecordTable("test.jobs")
    private let other = RecordTable("test.other")

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("put, get, scan in key order by prefix, delete; tables are apart")
    func basics() async throws {
        let t = try await TempStore.make()
        try await t.store.writeRecords { [jobs, other] w in
            for key in ["b/2", "a/1", "b/1", "c"] { try w.put(jobs, Array(key.utf8), Array("v-\(key)".utf8)) }
            try w.put(other, Array("b/1".utf8), [0, 1, 2])
        }
        #expect(try t.store.readRecords { try $0.get(jobs, bytes("a/1")) } == bytes("v-a/1"))
        #expect(try t.store.readRecords { try $0.get(jobs, bytes("nothing")) } == nil)
        var seen: [String] = []
        try t.store.readRecords { r in
            try r.scan(jobs, prefix: bytes("b/")) { key, value in
                seen.append(String(decoding: key, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
                return true
            }
        }
        #expect(seen == ["b/1=v-b/1", "b/2=v-b/2"])
        var from: [String] = []
        try t.store.readRecords { r in
            try r.scan(jobs, from: bytes("b/2")) { key, _ in
                from.append(String(decoding: key, as: UTF8.self))
                return true
            }
        }
        #expect(from == ["b/2", "c"])
        #expect(try t.store.readRecords { try $0.get(other, bytes("b/1")) } == [0, 1, 2])
        let deleted = try await t.store.writeRecords { [jobs] w in try w.delete(jobs, Array("a/1".utf8)) }
        #expect(deleted)
        let again = try await t.store.writeRecords { [jobs] w in try w.delete(jobs, Array("a/1".utf8)) }
        #expect(!again)
        try await t.finish()
    }

    @Test("a derived value is made once per committed state, and again after any write")
    func derivedOncePerState() async throws {
        let t = try await TempStore.make()
        let made = Counter()
        let derive = { [jobs] (r: RecordReader) throws -> Int in
            made.add()
            var count = 0
            try r.scan(jobs) { _, _ in count += 1; return true }
            return count
        }
        #expect(try t.store.readRecords(derived: "jobs", derive) == 0)
        #expect(try t.store.readRecords(derived: "jobs", derive) == 0)
        #expect(made.value == 1)
        // Another key is another value.
        #expect(try t.store.readRecords(derived: "jobs again", derive) == 0)
        #expect(made.value == 2)
        // A commit of records makes the next call derive again, and see it.
        try await t.store.writeRecords { [jobs] w in try w.put(jobs, Array("a".utf8), [1]) }
        #expect(try t.store.readRecords(derived: "jobs", derive) == 1)
        #expect(made.value == 3)
        // So does a commit of anything else (a share created): the value is tied to the state.
        try await t.store.createShare("docs")
        #expect(try t.store.readRecords(derived: "jobs", derive) == 1)
        #expect(made.value == 4)
        #expect(try t.store.readRecords(derived: "jobs", derive) == 1)
        #expect(made.value == 4)
        try await t.finish()
    }

    /// Counts calls from a non-escaping closure.
    private final class Counter: @unchecked Sendable {
        private(set) var value = 0
        func add() { value += 1 }
    }

    @Test("a failed write keeps nothing it wrote")
    func atomic() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        await expectError(.invalidArgument) {
            try await t.store.writeRecords { [jobs] w in
                try w.put(jobs, Array("kept?".utf8), [1])
                throw ShareCoreError(.invalidArgument, "the front changed its mind")
            }
        }
        #expect(try t.store.readRecords { try $0.get(jobs, bytes("kept?")) } == nil)
        // A record change that fails undoes the share change it came with, and the reverse.
        await expectError(.invalidArgument) {
            try await t.store.createSnapshot(of: "docs", records: { [jobs] w in
                try w.put(jobs, Array("snap".utf8), [1])
                throw ShareCoreError(.invalidArgument, "refused")
            })
        }
        #expect(try await t.store.listSnapshots(of: "docs").isEmpty)
        #expect(try t.store.readRecords { try $0.get(jobs, bytes("snap")) } == nil)
        let snapshot = try await t.store.createSnapshot(of: "docs", records: { [jobs] w in
            try w.put(jobs, Array("snap".utf8), Array("taken".utf8), owner: "docs")
        })
        #expect(try t.store.readRecords { try $0.get(jobs, bytes("snap")) } == bytes("taken"))
        try await t.store.deleteSnapshot(of: "docs", snapshot.name, records: { [jobs] w in
            try w.delete(jobs, Array("snap".utf8))
        })
        #expect(try t.store.readRecords { try $0.get(jobs, bytes("snap")) } == nil)
        try await t.finish()
    }

    @Test("records owned by a share go with it; others stay")
    func owners() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs", records: { [jobs] w in
            try w.put(jobs, Array("made-with-docs".utf8), [1], owner: "docs")
        })
        try await t.store.createShare("keep")
        try await t.store.writeRecords { [jobs] w in
            try w.put(jobs, Array("of-docs".utf8), [2], owner: "docs")
            try w.put(jobs, Array("of-keep".utf8), [3], owner: "keep")
            try w.put(jobs, Array("of-none".utf8), [4])
        }
        await expectError(.shareNotFound) {
            try await t.store.writeRecords { [jobs] w in try w.put(jobs, Array("x".utf8), [5], owner: "nope") }
        }
        try await t.store.deleteShare("docs")
        var keys: [String] = []
        try t.store.readRecords { r in
            try r.scan(jobs) { key, _ in
                keys.append(String(decoding: key, as: UTF8.self))
                return true
            }
        }
        #expect(keys == ["of-keep", "of-none"])
        // A new share of the same name does not inherit the old one's records.
        try await t.store.createShare("docs")
        #expect(try t.store.readRecords { try $0.get(jobs, bytes("of-docs")) } == nil)
        try await t.finish()
    }

    @Test("a claimed name cannot become a share, and a share's name cannot be claimed")
    func claims() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        try await t.store.writeRecords { [jobs] w in
            try w.put(jobs, Array("a".utf8), [1], claimingShareName: "taken")
        }
        await expectError(.shareAlreadyExists) { try await t.store.createShare("taken") }
        await expectError(.shareAlreadyExists) {
            try await t.store.writeRecords { [jobs] w in try w.put(jobs, Array("b".utf8), [1], claimingShareName: "docs") }
        }
        await expectError(.resourceAlreadyExists) {
            try await t.store.writeRecords { [jobs] w in try w.put(jobs, Array("c".utf8), [1], claimingShareName: "taken") }
        }
        // Rewriting the claiming record keeps its claim; deleting it frees the name.
        try await t.store.writeRecords { [jobs] w in try w.put(jobs, Array("a".utf8), [2], claimingShareName: "taken") }
        try await t.store.writeRecords { [jobs] w in _ = try w.delete(jobs, Array("a".utf8)) }
        try await t.store.createShare("taken")
        try await t.finish()
    }

    @Test("bad table names and long keys are refused")
    func limits() async throws {
        let t = try await TempStore.make()
        await expectError(.invalidArgument) {
            try await t.store.writeRecords { w in try w.put(RecordTable("bad name"), [1], [1]) }
        }
        await expectError(.invalidArgument) {
            try await t.store.writeRecords { w in try w.put(RecordTable(""), [1], [1]) }
        }
        await expectError(.invalidArgument) {
            try await t.store.writeRecords { [jobs] w in try w.put(jobs, [UInt8](repeating: 7, count: 401), [1]) }
        }
        try await t.finish()
    }

    @Test("check runs the front's verifier and finds a broken owner index")
    func check() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        try await t.store.writeRecords { [jobs] w in
            try w.put(jobs, Array("good".utf8), [1], owner: "docs")
            try w.put(jobs, Array("bad".utf8), [0])
        }
        let verifier: RecordVerifier = { _, value in
            if value != [1] { throw ShareCoreError(.dataCorrupted, "value \(value) is not [1]") }
        }
        let report = try await t.store.check(verifiers: [jobs: verifier])
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.contains("record test.jobs 'bad'") == true)
        // Damage the owner index behind the facility's back: check names it.
        try await t.store.write { txn in
            for key in try txn.keys(.recordOwners, prefix: []) { try txn.delete(.recordOwners, key) }
        }
        let damaged = try await t.store.check()
        #expect(damaged.problems.contains { $0.contains("owner index") })
        await t.store.close()
        try? FileManager.default.removeItem(atPath: t.path)
    }

    @Test("bucket mappings of earlier versions move to the S3 front's records when the store opens")
    func legacyBuckets() async throws {
        let t = try await TempStore.make()
        let share = try await t.store.createShare("docs")
        _ = share
        let created = FileTime(ticks: 0x0102_0304_0506_0708)
        try await t.store.write { txn in
            let id = try ShareRecord(try #require(try txn.get(.shares, Keys.share("docs")))).id
            try txn.put(.buckets, Array("old-bucket".utf8),
                        BucketRecord(share: "docs", shareId: id, path: "a/b", created: created).encode())
            try txn.put(.buckets, Array("orphan".utf8),
                        BucketRecord(share: "gone", shareId: 999, path: "", created: created).encode())
        }
        let store = try await t.reopen()
        let migrated = try store.readRecords { try $0.get(RecordTable("s3.buckets"), Array("old-bucket".utf8)) }
        #expect(migrated == [2, 0, 4] + Array("docs".utf8) + [0, 3] + Array("a/b".utf8) + [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try store.readRecords { try $0.get(RecordTable("s3.buckets"), Array("orphan".utf8)) } == nil)
        #expect(try store.env.read { try $0.get(.buckets, Array("old-bucket".utf8)) } == nil)
        await expectError(.shareAlreadyExists) { try await store.createShare("old-bucket") }
        try await store.deleteShare("docs")
        #expect(try store.readRecords { try $0.get(RecordTable("s3.buckets"), Array("old-bucket".utf8)) } == nil)
        try await t.finish(store)
    }
}
