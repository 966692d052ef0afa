import Foundation
import Testing
@testable import S3
import ShareCore

/// A bucket's records (mapping, access settings, lifecycle), read together and kept per
/// committed state of the store: every change is seen by the next read, and a record that does
/// not decode fails only what needs it.
@Suite("Bucket records")
struct BucketRecordsTests {
    @Test("each commit is seen by the next read")
    func changesAreSeen() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        try await t.store.share("docs").createDirectory("a")
        let plain = try t.store.bucketRecords("docs")
        #expect(try plain.mapping.get() == nil)
        #expect(try plain.access.get() == BucketAccessSettings())
        #expect(try plain.lifecycle.get() == nil)
        #expect(try t.store.bucketRecords("mapped").mapping.get() == nil)

        let added = try await t.store.addBucket("mapped", share: "docs", path: "a")
        #expect(try t.store.bucketRecords("mapped").mapping.get() == added)
        try await t.store.updateBucketAccess("docs", share: "docs") { $0.objectOwnership = "BucketOwnerEnforced" }
        #expect(try t.store.bucketRecords("docs").access.get().aclsDisabled)
        #expect(try t.store.bucketAccess("docs").aclsDisabled)
        try await t.store.removeBucket("mapped")
        #expect(try t.store.bucketRecords("mapped").mapping.get() == nil)
        try await t.finish()
    }

    @Test("a damaged lifecycle record fails only the lifecycle")
    func damagedRecordStaysApart() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        try await t.store.writeRecords { records in
            try records.put(LifecycleRecord.table, LifecycleRecord.key("docs"), Array("not json".utf8), owner: "docs")
        }
        let records = try t.store.bucketRecords("docs")
        #expect(throws: (any Error).self) { try records.lifecycle.get() }
        #expect(try records.access.get() == BucketAccessSettings())
        #expect(try records.mapping.get() == nil)
        try await t.finish()
    }
}
