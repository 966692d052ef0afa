import Foundation
import Testing
@testable import ShareCore

/// A damaged data file is refused with an error naming it, by the engine and by `sharecore
/// check` (issue #10, item 6: `truncate -s -65536 data.mdb` killed both with SIGBUS, since LMDB
/// maps the file and reads the missing pages in place).
@Suite struct DamagedStoreTests {
    func truncatedStore() async throws -> String {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        for i in 0..<8 {
            let bytes = pattern(100_000, seed: UInt64(i))
            try await docs.createFile("f\(i)", length: UInt64(bytes.count))
            try await docs.write("f\(i)", at: 0, bytes)
        }
        await t.store.close()
        let file = t.path + "/data.mdb"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        #expect(truncate(file, off_t(size - 65536)) == 0)
        return t.path
    }

    @Test func openingATruncatedStoreIsAClearError() async throws {
        let path = try await truncatedStore()
        defer { try? FileManager.default.removeItem(atPath: path) }
        await expectError(.dataCorrupted) {
            try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
        }
        do {
            _ = try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
        } catch let error as ShareCoreError {
            #expect(error.message.contains(path + "/data.mdb is damaged"), "\(error)")
            #expect(error.message.contains("truncated"), "\(error)")
        }
        // The refusal left the store as it was: opening again gives the same answer, no crash.
        await expectError(.dataCorrupted) {
            try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
        }
    }

    @Test func checkCommandRefusesATruncatedStoreNamingTheFile() async throws {
        let path = try await truncatedStore()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (status, output) = try runCheckCommand(path)
        #expect(status == 1, "\(output)")
        #expect(output.contains("data.mdb is damaged"), "\(output)")
    }
}
