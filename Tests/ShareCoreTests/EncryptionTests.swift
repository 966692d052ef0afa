import Foundation
import Testing
@testable import ShareCore

/// Content encryption at rest (issue #13): files sealed with the store's key or a customer key,
/// read back whole and by range, written into by range, copied, snapshotted and checked, with
/// the wrong or a missing key refused.
@Suite struct EncryptionTests {
    private static let size = 300_000  // several 64 KiB blocks, the last one partial

    private func dataFile(_ temp: TempStore) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: temp.path + "/data.mdb"))
    }

    @Test func storeKeyContentIsSealedAndReadsBack() async throws {
        let temp = try await TempStore.make()
        try await temp.store.createShare("sse")
        let share = temp.store.share("sse")
        let marker = Array("sealed-marker-0123456789".utf8)
        let content = (0..<(Self.size / marker.count + 1)).flatMap { _ in marker }.prefix(Self.size).map { $0 }
        let info = try await share.upload("f", from: ByteChunks(chunks: [content]), encryption: .storeKey)
        #expect(info.encryption == .storeKey)
        #expect(try await share.read("f") == content)
        #expect(try await share.read("f", range: 65_530..<131_080) == Array(content[65_530..<131_080]))
        #expect(try dataFile(temp).range(of: Data(marker + marker)) == nil)
        // A range write into the file is sealed as well, and reads back.
        let patch = Array(repeating: UInt8(0x41), count: 5000) + marker + marker
        try await share.write("f", at: 100_000, patch)
        var expected = content
        expected.replaceSubrange(100_000..<(100_000 + patch.count), with: patch)
        #expect(try await share.read("f") == expected)
        #expect(try dataFile(temp).range(of: Data(marker + marker)) == nil)
        // A plain file with the same bytes is found in the data file: the search works.
        try await share.upload("plain", from: ByteChunks(chunks: [content]))
        #expect(try dataFile(temp).range(of: Data(marker + marker)) != nil)
        try await temp.finish()
    }

    @Test func customerKeyContentNeedsItsKey() async throws {
        let temp = try await TempStore.make()
        try await temp.store.createShare("sse")
        let key = try CustomerKey(pattern(32, seed: 1))
        let other = try CustomerKey(pattern(32, seed: 2))
        let content = pattern(Self.size, seed: 3)
        let keyed = temp.store.share("sse").withCustomerKey(key)
        let info = try await keyed.upload("c", from: ByteChunks(chunks: [content]), encryption: .customerKey(keyMD5: key.md5))
        #expect(info.encryption == .customerKey(keyMD5: key.md5))
        #expect(try await keyed.read("c") == content)
        #expect(try await keyed.read("c", range: 70_000..<70_010) == Array(content[70_000..<70_010]))
        await expectError(.encryptionKeyRequired) { try await temp.store.share("sse").read("c") }
        await expectError(.encryptionKeyMismatch) { try await temp.store.share("sse").withCustomerKey(other).read("c") }
        await expectError(.encryptionKeyRequired) { try await temp.store.share("sse").write("c", at: 0, [1, 2, 3]) }
        // Writing under a customer key needs that key on the handle.
        await expectError(.encryptionKeyRequired) {
            try await temp.store.share("sse").upload("d", from: ByteChunks(chunks: [[1]]), encryption: .customerKey(keyMD5: key.md5))
        }
        #expect(try await temp.store.share("sse").exists("d") == false)
        try await keyed.write("c", at: 10, [9, 9, 9])
        var expected = content
        expected.replaceSubrange(10..<13, with: [9, 9, 9])
        #expect(try await keyed.read("c") == expected)
        // Copies share the sealed chunks and keep the encryption; snapshots keep them too.
        let copy = try await keyed.copy(from: keyed, "c", to: "copy")
        #expect(copy.encryption == .customerKey(keyMD5: key.md5))
        #expect(try await keyed.read("copy") == expected)
        await expectError(.encryptionKeyRequired) { try await temp.store.share("sse").read("copy") }
        let snapshot = try await temp.store.createSnapshot(of: "sse")
        let old = temp.store.share("sse", snapshot: snapshot.name).withCustomerKey(key)
        #expect(try await old.read("c") == expected)
        try await temp.finish()
    }

    @Test func checkVerifiesSealedChunksWithoutKeys() async throws {
        let temp = try await TempStore.make()
        try await temp.store.createShare("sse")
        let key = try CustomerKey(pattern(32, seed: 4))
        try await temp.store.share("sse").withCustomerKey(key)
            .upload("c", from: ByteChunks(chunks: [pattern(Self.size, seed: 5)]), encryption: .customerKey(keyMD5: key.md5))
        try await temp.store.share("sse").upload("s3", from: ByteChunks(chunks: [pattern(1000, seed: 6)]), encryption: .storeKey)
        #expect(try await temp.store.check().problems == [])
        try await temp.finish()
    }

    @Test func theStoreKeyPersistsAcrossReopening() async throws {
        let temp = try await TempStore.make()
        try await temp.store.createShare("sse")
        let content = pattern(Self.size, seed: 7)
        try await temp.store.share("sse").upload("f", from: ByteChunks(chunks: [content]), encryption: .storeKey)
        let reopened = try await temp.reopen()
        #expect(try await reopened.share("sse").read("f") == content)
        let attributes = try FileManager.default.attributesOfItem(atPath: temp.path + "/content.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)
        try await temp.finish(reopened)
    }

    @Test func aCustomerKeyHasThirtyTwoBytes() {
        #expect(throws: ShareCoreError.self) { try CustomerKey([1, 2, 3]) }
    }
}
