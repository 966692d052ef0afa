import CLMDB
import Foundation
import Testing
@testable import ShareCore

/// What each durability mode asks LMDB for (issue #10, item 4: `fast` used `MDB_NOSYNC`, with
/// which a power cut may leave a meta page pointing at pages never written).
@Suite struct DurabilityTests {
    func flags(_ durability: Durability) async throws -> UInt32 {
        let path = NSTemporaryDirectory() + "sharecore-durability-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try await ShareStore.open(at: path, options: StoreOptions(durability: durability, mapSize: 1 << 30))
        var flags: UInt32 = 0
        let rc = mdb_env_get_flags(store.env.env, &flags)
        await store.close()
        #expect(rc == MDB_SUCCESS)
        return flags
    }

    @Test func fastSyncsDataPagesAndDefersOnlyTheMetaPage() async throws {
        let flags = try await flags(.fast)
        #expect(flags & UInt32(MDB_NOSYNC) == 0, "fast must sync each commit's data pages")
        #expect(flags & UInt32(MDB_NOMETASYNC) != 0)
    }

    @Test func fullSyncsEverything() async throws {
        let flags = try await flags(.full)
        #expect(flags & UInt32(MDB_NOSYNC | MDB_NOMETASYNC) == 0)
    }
}
