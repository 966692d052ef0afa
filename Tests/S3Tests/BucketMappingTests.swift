import Foundation
import Testing
import S3
import ShareCore

@Suite("Bucket mappings")
struct BucketMappingTests {
    /// A store with share `docs` holding directories `a/b` and file `a/f`.
    private func populated() async throws -> TempStore {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createDirectory("a")
        try await docs.createDirectory("a/b")
        try await docs.createFile("a/f", length: 1)
        return t
    }

    @Test("add, look up, list by name, remove")
    func lifecycle() async throws {
        let t = try await populated()
        let added = try await t.store.addBucket("my.bucket", share: "docs", path: "/a/b/")
        #expect(added.name == "my.bucket" && added.share == "docs" && added.path == "a/b")
        #expect(try await t.store.bucketMapping("my.bucket") == added)
        let root = try await t.store.addBucket("zeta-1", share: "docs", path: "")
        #expect(root.path == "")
        let first = try await t.store.addBucket("alpha--x", share: "docs", path: "a")
        #expect(try await t.store.bucketMappings().map(\.name) == ["alpha--x", "my.bucket", "zeta-1"])
        #expect(try await t.store.bucketMapping("docs") == nil, "a share is not a mapping")
        #expect(try await t.store.bucketMapping("nothing") == nil)
        try await t.store.removeBucket("my.bucket")
        #expect(try await t.store.bucketMapping("my.bucket") == nil)
        await expectError(.resourceNotFound) { try await t.store.removeBucket("my.bucket") }
        #expect(try await t.store.bucketMappings() == [first, root])
        // The directory stays.
        #expect(try await t.store.share("docs").info("a/b").isDirectory)
        try await t.finish()
    }

    @Test("mappings persist across reopening")
    func persists() async throws {
        let t = try await populated()
        let added = try await t.store.addBucket("kept", share: "docs", path: "a/b")
        let store = try await t.reopen()
        #expect(try await store.bucketMappings() == [added])
        #expect(try await store.bucketMapping("kept")?.created == added.created)
        try await t.finish(store)
    }

    @Test("names follow S3's bucket naming rules")
    func names() async throws {
        let bad = ["ab", String(repeating: "a", count: 64), "My-bucket", "-abc", "abc-", ".abc", "abc.",
                   "a..b", "192.168.5.4", "ab_c", "ab c", "xn--abc", "sthree-abc", "amzn-s3-demo-x",
                   "abc-s3alias", "abc--ol-s3", "abc.mrap", "abc--x-s3", "abcé"]
        for name in bad {
            #expect(throws: ShareCoreError.self, "\(name)") { try ShareStore.validateBucketName(name) }
        }
        let good = ["abc", String(repeating: "a", count: 63), "a.b-c", "123", "1.2.3", "1.2.3.4.5", "a-.b", "192.168.5.x", "xn-abc"]
        for name in good {
            #expect(throws: Never.self, "\(name)") { try ShareStore.validateBucketName(name) }
        }
        let t = try await populated()
        await expectError(.invalidArgument) { try await t.store.addBucket("a..b", share: "docs", path: "a") }
        await expectError(.invalidArgument) { try await t.store.addBucket("10.0.0.1", share: "docs", path: "a") }
        #expect(try await t.store.bucketMappings().isEmpty)
        try await t.finish()
    }

    @Test("refused mappings change nothing")
    func errors() async throws {
        let t = try await populated()
        try await t.store.createShare("other")
        let existing = try await t.store.addBucket("taken", share: "docs", path: "a")
        await expectError(.shareAlreadyExists) { try await t.store.addBucket("other", share: "docs", path: "a") }
        await expectError(.resourceAlreadyExists) { try await t.store.addBucket("taken", share: "docs", path: "a/b") }
        await expectError(.shareNotFound) { try await t.store.addBucket("fresh", share: "nope", path: "") }
        await expectError(.resourceNotFound) { try await t.store.addBucket("fresh", share: "docs", path: "missing") }
        await expectError(.resourceNotFound) { try await t.store.addBucket("fresh", share: "docs", path: "x/y/z") }
        await expectError(.notADirectory) { try await t.store.addBucket("fresh", share: "docs", path: "a/f") }
        await expectError(.notADirectory) { try await t.store.addBucket("fresh", share: "docs", path: "a/f/g") }
        await expectError(.invalidName) { try await t.store.addBucket("fresh", share: "docs", path: "a/../b") }
        #expect(try await t.store.bucketMappings() == [existing])
        // A name never means two things: a mapped name cannot become a share.
        await expectError(.shareAlreadyExists) { try await t.store.createShare("taken") }
        await expectError(.shareNotFound) { try await t.store.shareInfo("taken") }
        try await t.finish()
    }

    @Test("deleting a share removes its mappings only")
    func deleteShare() async throws {
        let t = try await populated()
        try await t.store.createShare("other")
        try await t.store.share("other").createDirectory("d")
        try await t.store.addBucket("one", share: "docs", path: "a")
        try await t.store.addBucket("two", share: "docs", path: "a/b")
        let kept = try await t.store.addBucket("three", share: "other", path: "d")
        try await t.store.deleteShare("docs")
        #expect(try await t.store.bucketMappings() == [kept])
        // The names are free again, and re-creating the share does not bring the mappings back.
        try await t.store.createShare("docs")
        #expect(try await t.store.bucketMapping("one") == nil)
        try await t.store.createShare("one")
        try await t.finish()
    }

    @Test("a mapping outlives its directory's rename, then resolves nowhere")
    func danglingMapping() async throws {
        let t = try await populated()
        let added = try await t.store.addBucket("moving", share: "docs", path: "a/b")
        try await t.store.share("docs").rename("a/b", to: "a/c")
        #expect(try await t.store.bucketMapping("moving") == added)
        await expectError(.resourceNotFound) { try await t.store.share("docs").info(added.path) }
        try await t.finish()
    }
}

/// A store in a fresh temporary directory for the bucket tests; `finish` checks it
/// with the S3 front's record verifier, then deletes it.
struct TempStore {
    let path: String
    let store: ShareStore

    static func make() async throws -> TempStore {
        let path = NSTemporaryDirectory() + "sharecore-s3-test-" + UUID().uuidString
        return TempStore(path: path, store: try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 1 << 30)))
    }

    func reopen() async throws -> ShareStore {
        await store.close()
        return try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 1 << 30))
    }

    func finish(_ other: ShareStore? = nil) async throws {
        let s = other ?? store
        #expect(try await s.check(verifiers: [BucketMapping.table: BucketMapping.verifier]).problems == [])
        await s.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Asserts that `body` fails with the engine error `code`.
private func expectError<T>(_ code: ShareCoreError.Code, _ body: () async throws -> T) async {
    do {
        _ = try await body()
        Issue.record("expected \(code), but the call succeeded")
    } catch let error as ShareCoreError {
        #expect(error.code == code, "\(error)")
    } catch {
        Issue.record("expected \(code), got \(error)")
    }
}
