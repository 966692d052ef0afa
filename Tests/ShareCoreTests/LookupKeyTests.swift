import Foundation
import Testing
@testable import ShareCore

/// Lookups by keys LMDB cannot hold find nothing instead of failing with an LMDB error
/// (issue #10, item 9: `GET //` asked for the bucket "" and leaked MDB_BAD_VALSIZE).
@Suite struct LookupKeyTests {
    @Test func emptyAndOverlongKeysFindNothing() async throws {
        let t = try await TempStore.make()
        for table in [Table.shares, .buckets, .records] {
            #expect(try t.store.env.read { txn in try txn.get(table, []) } == nil)
            #expect(try t.store.env.read { txn in try txn.get(table, Array(repeating: 0x62, count: 600)) } == nil)
        }
        do {
            _ = try await t.store.shareInfo(String(repeating: "s", count: 600))
            Issue.record("a share with a 600-character name was found")
        } catch let error as ShareCoreError {
            #expect([.shareNotFound, .invalidShareName].contains(error.code), "\(error)")
        }
        try await t.finish()
    }
}
