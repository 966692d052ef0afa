import Foundation
import Testing
@testable import ShareCore

/// The chunk value formats: what the store writes (pieces of at most 64 KiB under `id ‖ piece`,
/// each version 3, a checksum per 16 KiB block), and what stores written before it hold (a whole
/// chunk under its id: version 3, or version 1 with a checksum per 64 KiB block), which must
/// keep reading, verifying and passing `check` exactly as before.
@Suite struct ChunkFormatTests {
    /// Every chunk value in the store, by key.
    private func chunkValues(_ store: ShareStore) async throws -> [([UInt8], [UInt8])] {
        try await store.write { txn in
            var values: [([UInt8], [UInt8])] = []
            try txn.scan(.chunks, prefix: []) { k, v in
                values.append((Array(k), Array(v)))
                return true
            }
            return values
        }
    }

    /// A fresh store whose share `docs` holds file `f` of `data`.
    private func storeWithFile(_ data: [UInt8]) async throws -> (TempStore, Share) {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("f", length: UInt64(data.count))
        try await docs.write("f", at: 0, data)
        return (t, docs)
    }

    private func u32(_ bytes: [UInt8], _ at: Int) -> Int {
        Int(bytes[at..<(at + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    private func u64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        bytes[at..<(at + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    @Test func theStoreWritesPiecesOf64KiBEachVersion3WithAChecksumPer16KiB() async throws {
        let data = pattern(200_000, seed: 7)
        let (t, docs) = try await storeWithFile(data)
        let values = try await chunkValues(t.store)
        #expect(values.count == 4)
        let id = try #require(values.first.map { u64($0.0, 0) })
        #expect(values.map(\.0) == (0..<4).map { Chunks.pieceKey(id, $0) })
        #expect(values.map { u32($0.1, 0) } == [3, 3, 3, 3])
        #expect(values.map { u32($0.1, 4) } == [65_536, 65_536, 65_536, 3_392])
        #expect(values.map { u32($0.1, 8) } == [4, 4, 4, 1])  // blocks of 16 KiB
        #expect(values.map(\.1.count) == [12 + 32 + 65_536, 12 + 32 + 65_536, 12 + 32 + 65_536, 12 + 8 + 3_392])
        // The last piece's one block (bytes 196,608..<200,000) is short; its checksum is of those bytes.
        let last = try #require(values.last?.1)
        #expect(u64(last, 12) == XXH3.hash(Array(data[196_608...])))
        #expect(try await docs.read("f") == data)
        #expect(try await docs.read("f", range: 65_000..<140_000) == Array(data[65_000..<140_000]))
        #expect(try await t.store.write { txn in try Chunks.length(txn.read, id: id) } == 200_000)
        #expect(try await t.store.check().problems == [])
        #expect(try await t.store.check().chunks == 1)

        // Deleting the file deletes every piece.
        try await docs.deleteFile("f")
        #expect(try await chunkValues(t.store).isEmpty)
        try await t.finish()
    }

    @Test func aChunkOfWholePiecesEndsAtItsLastPiece() async throws {
        let data = pattern(131_072, seed: 17)
        let (t, docs) = try await storeWithFile(data)
        let values = try await chunkValues(t.store)
        #expect(values.map { u32($0.1, 4) } == [65_536, 65_536])
        let id = try #require(values.first.map { u64($0.0, 0) })
        #expect(try await t.store.write { txn in try Chunks.length(txn.read, id: id) } == 131_072)
        #expect(try await docs.read("f", range: 131_000..<131_072) == Array(data[131_000...]))
        // A run reaching past the chunk's end is refused, not read from whatever follows it.
        await expectError(.dataCorrupted) {
            _ = try await t.store.write { txn in
                var out = [UInt8](repeating: 0, count: 200)
                try out.withUnsafeMutableBytes {
                    try Chunks.read(txn.read, id: id, offset: 131_000, count: 200, into: $0, keys: .none)
                }
            }
        }
        try await t.finish()
    }

    @Test func aDamagedOrMissingPieceIsFoundByReadsAndCheck() async throws {
        let data = pattern(300_000, seed: 11)
        let (t, docs) = try await storeWithFile(data)
        let values = try await chunkValues(t.store)
        #expect(values.count == 5)
        // A damaged byte in piece 1 (chunk byte 70,000, in its 16 KiB block 4).
        var damaged = values[1].1
        damaged[12 + 4 * 8 + (70_000 - 65_536)] ^= 0xFF
        let damagedValue = damaged
        try await t.store.write { txn in try txn.put(.chunks, values[1].0, damagedValue) }
        await expectError(.dataCorrupted) { try await docs.read("f", range: 70_000..<70_001) }
        #expect(try await docs.read("f", range: 0..<65_536) == Array(data[0..<65_536]))
        #expect(try await docs.read("f", range: 81_920..<140_000) == Array(data[81_920..<140_000]))
        var problems = try await t.store.check().problems
        #expect(problems.contains { $0.contains("checksum mismatch in block 4 (bytes 65536...)") }, "\(problems)")
        #expect(problems.contains { $0.hasSuffix("its bytes 65536..<81920 fail their checksum") }, "\(problems)")

        // A missing piece: reads that need it fail, the others still read, and check names it.
        try await t.store.write { txn in _ = try txn.delete(.chunks, values[3].0) }
        await expectError(.dataCorrupted) { try await docs.read("f", range: 200_000..<200_010) }
        await expectError(.dataCorrupted) { try await docs.read("f", range: 190_000..<270_000) }
        #expect(try await docs.read("f", range: 262_144..<300_000) == Array(data[262_144...]))
        problems = try await t.store.check().problems
        #expect(problems.contains { $0.contains("pieces 3..<4 are missing") }, "\(problems)")
        #expect(problems.contains { $0.hasSuffix("its bytes 196608..<262144 fail their checksum") }, "\(problems)")
        await t.store.close()
        try? FileManager.default.removeItem(atPath: t.path)
    }

    @Test func sealedPiecesCannotBeMovedToAnotherPlace() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("sse")
        let share = t.store.share("sse")
        let content = pattern(200_000, seed: 12)
        try await share.upload("f", from: ByteChunks(chunks: [content]), encryption: .storeKey)
        let values = try await chunkValues(t.store)
        #expect(values.count == 4)
        #expect(values.allSatisfy { u32($0.1, 0) == 2 })
        #expect(try await share.read("f") == content)
        // Each piece opens only where it was sealed: swapped, both fail.
        try await t.store.write { txn in
            try txn.put(.chunks, values[0].0, values[1].1)
            try txn.put(.chunks, values[1].0, values[0].1)
        }
        await expectError(.encryptionKeyMismatch) { try await share.read("f", range: 0..<10) }
        await expectError(.encryptionKeyMismatch) { try await share.read("f", range: 70_000..<70_010) }
        #expect(try await share.read("f", range: 131_072..<200_000) == Array(content[131_072...]))
        await t.store.close()
        try? FileManager.default.removeItem(atPath: t.path)
    }

    /// Rewrites every chunk of the store as one whole value under its id, as a store written
    /// before pieces holds it: version 3 (16 KiB blocks) or version 1 (64 KiB blocks).
    private func rewriteWhole(_ store: ShareStore, version: UInt32) async throws {
        var chunks: [UInt64: [UInt8]] = [:]
        for (key, value) in try await chunkValues(store) {
            chunks[u64(key, 0), default: []] += value[(value.count - u32(value, 4))...]
        }
        let blockSize = version == 1 ? 65_536 : 16_384
        let whole = chunks
        try await store.write { txn in
            for (id, data) in whole {
                try Chunks.delete(txn, id: id)
                let blocks = (data.count + blockSize - 1) / blockSize
                var old: [UInt8] = []
                for field in [version, UInt32(data.count), UInt32(blocks)] { withUnsafeBytes(of: field.bigEndian) { old += $0 } }
                for b in 0..<blocks {
                    let hash = XXH3.hash(Array(data[(b * blockSize)..<min(data.count, (b + 1) * blockSize)]))
                    withUnsafeBytes(of: hash.bigEndian) { old += $0 }
                }
                try txn.put(.chunks, Chunks.key(id), old + data)
            }
        }
    }

    @Test func aWholeVersion3ChunkReadsAndChecksAsBefore() async throws {
        let data = pattern(200_000, seed: 13)
        let (t, _) = try await storeWithFile(data)
        try await rewriteWhole(t.store, version: 3)
        let (key, value) = try #require(try await chunkValues(t.store).first)
        #expect(key.count == 8 && u32(value, 0) == 3 && u32(value, 8) == 13)

        let store = try await t.reopen()
        let reopened = store.share("docs")
        #expect(try await reopened.read("f") == data)
        #expect(try await reopened.read("f", range: 65_000..<140_000) == Array(data[65_000..<140_000]))
        #expect(try await store.write { txn in try Chunks.length(txn.read, id: key.beUInt64(at: 0)) } == 200_000)
        #expect(try await store.check().problems == [])
        // A write over part of it stores a pieced chunk beside it; deleting the file deletes both.
        try await reopened.write("f", at: 10_000, pattern(100_000, seed: 14))
        #expect(try await store.check().chunks == 2)
        #expect(try await store.check().problems == [])
        try await reopened.deleteFile("f")
        #expect(try await chunkValues(store).isEmpty)
        try await t.finish(store)
    }

    @Test func aVersion1ChunkReadsAndChecksAsBefore() async throws {
        let data = pattern(200_000, seed: 8)
        let (t, _) = try await storeWithFile(data)
        try await rewriteWhole(t.store, version: 1)
        let (key, value) = try #require(try await chunkValues(t.store).first)
        #expect(key.count == 8 && u32(value, 0) == 1 && u32(value, 8) == 4)

        let store = try await t.reopen()
        let reopened = store.share("docs")
        #expect(try await reopened.read("f") == data)
        #expect(try await reopened.read("f", range: 65_000..<70_000) == Array(data[65_000..<70_000]))
        #expect(try await store.check().problems == [])
        // A later write next to it stores a new chunk (in pieces) beside the old one; both read.
        let more = pattern(5_000, seed: 9)
        try await reopened.write("f", at: 100_000, more)
        var expected = data
        expected.replaceSubrange(100_000..<105_000, with: more)
        #expect(try await reopened.read("f") == expected)
        #expect(try await store.check().problems == [])

        // A damaged byte in a version 1 chunk is found at its 64 KiB block, by reads and check.
        try await store.write { txn in
            var key: [UInt8] = []
            var old: [UInt8] = []
            try txn.scan(.chunks, prefix: []) { k, v in
                guard v.count > 4, v[3] == 1 else { return true }
                key = Array(k)
                old = Array(v)
                return false
            }
            #expect(!old.isEmpty)
            old[12 + 4 * 8 + 70_000] ^= 0xFF  // data byte 70,000: the second 64 KiB block
            try txn.put(.chunks, key, old)
        }
        await expectError(.dataCorrupted) { try await reopened.read("f", range: 130_000..<130_001) }
        #expect(try await reopened.read("f", range: 0..<65_536) == Array(data[0..<65_536]))
        #expect(try await reopened.read("f", range: 131_072..<140_000) == Array(data[131_072..<140_000]))
        let problems = try await store.check().problems
        #expect(problems.contains { $0.contains("checksum mismatch in block 1 (bytes 65536...)") }, "\(problems)")
        // The file uses the damaged block around the bytes written later.
        #expect(problems.contains { $0.hasSuffix("its bytes 65536..<100000 fail their checksum") }, "\(problems)")
        #expect(problems.contains { $0.hasSuffix("its bytes 105000..<131072 fail their checksum") }, "\(problems)")
        await store.close()
        try? FileManager.default.removeItem(atPath: t.path)
    }

    @Test func aMalformedHeaderIsRefused() async throws {
        let (t, docs) = try await storeWithFile(pattern(40_000, seed: 10))
        let (key, value) = try #require(try await chunkValues(t.store).first)
        // Version 3 with version 1's block count (1 block of 64 KiB, not 3 of 16 KiB).
        var wrong = value
        wrong[11] = 1
        wrong.removeSubrange(20..<36)
        let malformed = wrong
        try await t.store.write { txn in try txn.put(.chunks, key, malformed) }
        await expectError(.dataCorrupted) { try await docs.read("f") }
        #expect(try await t.store.check().problems.contains { $0.contains("malformed header") })
        // An unknown version.
        var unknown = value
        unknown[3] = 4
        let unknownVersion = unknown
        try await t.store.write { txn in try txn.put(.chunks, key, unknownVersion) }
        await expectError(.dataCorrupted) { try await docs.read("f") }
        await t.store.close()
        try? FileManager.default.removeItem(atPath: t.path)
    }
}
