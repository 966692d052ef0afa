import Foundation
import Testing
@testable import ShareCore

/// The chunk value formats: what the store writes (version 4, a checksum per 4 KiB block), and
/// what stores written before it hold (version 3, per 16 KiB block; version 1, per 64 KiB
/// block), which must keep reading, verifying and passing `check` exactly as before.
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

    @Test func theStoreWritesVersion4WithAChecksumPer4KiB() async throws {
        let data = pattern(200_000, seed: 7)
        let (t, docs) = try await storeWithFile(data)
        let values = try await chunkValues(t.store)
        #expect(values.count == 1)
        let value = try #require(values.first?.1)
        #expect(u32(value, 0) == 4)
        #expect(u32(value, 4) == 200_000)
        #expect(u32(value, 8) == 49)  // ceil(200,000 / 4,096)
        let expectedCount = 12 + 49 * 8 + 200_000
        #expect(value.count == expectedCount)
        // Each block's checksum is of its 4 KiB; the last (bytes 196,608..<200,000) is short.
        func stored(_ block: Int) -> UInt64 {
            Array(value[(12 + block * 8)..<(12 + (block + 1) * 8)]).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        #expect(stored(0) == XXH3.hash(Array(data[0..<4_096])))
        #expect(stored(17) == XXH3.hash(Array(data[69_632..<73_728])))
        #expect(stored(48) == XXH3.hash(Array(data[196_608...])))
        #expect(try await docs.read("f") == data)
        try await t.finish()
    }

    /// A damaged byte in a version 4 chunk fails only the reads of its 4 KiB block.
    @Test func aDamagedByteFailsOnlyItsOwn4KiBBlock() async throws {
        let data = pattern(200_000, seed: 11)
        let (t, docs) = try await storeWithFile(data)
        try await damage(t.store, version: 4, at: 12 + 49 * 8 + 70_000)  // data byte 70,000: block 17
        await expectError(.dataCorrupted) { try await docs.read("f", range: 69_632..<69_633) }
        await expectError(.dataCorrupted) { try await docs.read("f", range: 73_000..<74_000) }
        #expect(try await docs.read("f", range: 65_536..<69_632) == Array(data[65_536..<69_632]))
        #expect(try await docs.read("f", range: 73_728..<80_000) == Array(data[73_728..<80_000]))
        let problems = try await t.store.check().problems
        #expect(problems.contains { $0.contains("checksum mismatch in block 17 (bytes 69632...)") }, "\(problems)")
        await t.store.close()
        try? FileManager.default.removeItem(atPath: t.path)
    }

    /// Flips the byte at `offset` of the first chunk value of format `version`.
    private func damage(_ store: ShareStore, version: UInt8, at offset: Int) async throws {
        try await store.write { txn in
            var key: [UInt8] = []
            var old: [UInt8] = []
            try txn.scan(.chunks, prefix: []) { k, v in
                guard v.count > 4, v[3] == version else { return true }
                key = Array(k)
                old = Array(v)
                return false
            }
            #expect(!old.isEmpty)
            old[offset] ^= 0xFF
            try txn.put(.chunks, key, old)
        }
    }

    /// Rewrites every chunk of the store as a value of an older format: `version` with a
    /// checksum per `blockSize` bytes (version 1: 64 KiB; version 3: 16 KiB), as a store written
    /// before version 4 holds it.
    private func rewrite(_ store: ShareStore, asVersion version: UInt32, blockSize: Int) async throws {
        for (key, value) in try await chunkValues(store) {
            let length = u32(value, 4)
            let data = Array(value[(value.count - length)...])
            let blocks = (length + blockSize - 1) / blockSize
            var old: [UInt8] = []
            for field in [version, UInt32(length), UInt32(blocks)] { withUnsafeBytes(of: field.bigEndian) { old += $0 } }
            for b in 0..<blocks {
                let hash = XXH3.hash(Array(data[(b * blockSize)..<min(length, (b + 1) * blockSize)]))
                withUnsafeBytes(of: hash.bigEndian) { old += $0 }
            }
            old += data
            let rewritten = old
            try await store.write { txn in try txn.put(.chunks, key, rewritten) }
        }
    }

    /// A store whose file `f` (200,000 bytes of `data`) is held in a chunk of the older format
    /// `version` (a checksum per `blockSize` bytes), reopened: the file reads whole and in a
    /// range across a block boundary, `check` is clean, and a later write next to it stores a
    /// version 4 chunk beside the old one, both read and check. Returns the reopened store, the
    /// share and the store's directory.
    private func olderFormatStore(_ data: [UInt8], version: UInt32, blockSize: Int, boundary: Int,
                                  sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> (ShareStore, Share, String)
    {
        let (t, _) = try await storeWithFile(data)
        try await rewrite(t.store, asVersion: version, blockSize: blockSize)
        let value = try #require(try await chunkValues(t.store).first?.1, sourceLocation: sourceLocation)
        #expect(u32(value, 0) == Int(version) && u32(value, 8) == (data.count + blockSize - 1) / blockSize,
                sourceLocation: sourceLocation)

        let store = try await t.reopen()
        let reopened = store.share("docs")
        let around = (boundary - 1_000)..<(boundary + 1_000)
        #expect(try await reopened.read("f") == data, sourceLocation: sourceLocation)
        #expect(try await reopened.read("f", range: UInt64(around.lowerBound)..<UInt64(around.upperBound)) == Array(data[around]),
                sourceLocation: sourceLocation)
        #expect(try await store.check().problems == [], sourceLocation: sourceLocation)
        let more = pattern(5_000, seed: 9)
        try await reopened.write("f", at: 100_000, more)
        var expected = data
        expected.replaceSubrange(100_000..<105_000, with: more)
        #expect(try await reopened.read("f") == expected, sourceLocation: sourceLocation)
        #expect(try await store.check().problems == [], sourceLocation: sourceLocation)
        let versions = try await chunkValues(store).map { u32($0.1, 0) }.sorted()
        #expect(versions == [Int(version), 4], sourceLocation: sourceLocation)
        return (store, reopened, t.path)
    }

    @Test func aVersion1ChunkReadsAndChecksAsBefore() async throws {
        let data = pattern(200_000, seed: 8)
        let (store, reopened, path) = try await olderFormatStore(data, version: 1, blockSize: 65_536, boundary: 65_536)

        // A damaged byte in a version 1 chunk is found at its 64 KiB block, by reads and check.
        try await damage(store, version: 1, at: 12 + 4 * 8 + 70_000)  // data byte 70,000: the second 64 KiB block
        await expectError(.dataCorrupted) { try await reopened.read("f", range: 130_000..<130_001) }
        #expect(try await reopened.read("f", range: 0..<65_536) == Array(data[0..<65_536]))
        #expect(try await reopened.read("f", range: 131_072..<140_000) == Array(data[131_072..<140_000]))
        let problems = try await store.check().problems
        #expect(problems.contains { $0.contains("checksum mismatch in block 1 (bytes 65536...)") }, "\(problems)")
        // The file uses the damaged block around the bytes written later.
        #expect(problems.contains { $0.hasSuffix("its bytes 65536..<100000 fail their checksum") }, "\(problems)")
        #expect(problems.contains { $0.hasSuffix("its bytes 105000..<131072 fail their checksum") }, "\(problems)")
        await store.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    @Test func aVersion3ChunkReadsAndChecksAsBefore() async throws {
        let data = pattern(200_000, seed: 12)
        let (store, reopened, path) = try await olderFormatStore(data, version: 3, blockSize: 16_384, boundary: 16_384)

        // A damaged byte in a version 3 chunk is found at its 16 KiB block, by reads and check.
        try await damage(store, version: 3, at: 12 + 13 * 8 + 70_000)  // data byte 70,000: block 4 (65,536..<81,920)
        await expectError(.dataCorrupted) { try await reopened.read("f", range: 81_919..<81_920) }
        #expect(try await reopened.read("f", range: 49_152..<65_536) == Array(data[49_152..<65_536]))
        #expect(try await reopened.read("f", range: 81_920..<90_000) == Array(data[81_920..<90_000]))
        let problems = try await store.check().problems
        #expect(problems.contains { $0.contains("checksum mismatch in block 4 (bytes 65536...)") }, "\(problems)")
        await store.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A small read prefetches a version 4 chunk's hash and block from addresses it computes
    /// from the value's size alone (`Chunks.plainOffsets`): they must be the layout's own.
    @Test func theReadAheadAddressesAreTheLayoutsOwn() {
        let block = Chunks.plainBlockSize
        for length in [1, 2, 100, block - 1, block, block + 1, 2 * block, 3 * block + 5, 1 << 20, 4 << 20] {
            let blocks = (length + block - 1) / block
            let count = Chunks.headerBytes + 8 * blocks + length
            for offset in Set([0, 1, block - 1, block, length / 2, length - 1]) where offset < length {
                let at = Chunks.plainOffsets(valueBytes: count, offset: offset)
                #expect(at?.hash == Chunks.headerBytes + 8 * (offset / block), "length \(length), offset \(offset)")
                #expect(at?.data == Chunks.headerBytes + 8 * blocks + offset / block * block, "length \(length), offset \(offset)")
            }
            #expect(Chunks.plainOffsets(valueBytes: count, offset: blocks * block) == nil, "length \(length): past the last block")
        }
        #expect(Chunks.plainOffsets(valueBytes: Chunks.headerBytes, offset: 0) == nil)
    }

    @Test func aMalformedHeaderIsRefused() async throws {
        let (t, docs) = try await storeWithFile(pattern(40_000, seed: 10))
        let (key, value) = try #require(try await chunkValues(t.store).first)
        // Version 4 with version 1's block count (1 block of 64 KiB, not 10 of 4 KiB).
        var wrong = value
        wrong[11] = 1
        wrong.removeSubrange(20..<92)
        let malformed = wrong
        try await t.store.write { txn in try txn.put(.chunks, key, malformed) }
        await expectError(.dataCorrupted) { try await docs.read("f") }
        #expect(try await t.store.check().problems.contains { $0.contains("malformed header") })
        // An unknown version.
        var unknown = value
        unknown[3] = 5
        let unknownVersion = unknown
        try await t.store.write { txn in try txn.put(.chunks, key, unknownVersion) }
        await expectError(.dataCorrupted) { try await docs.read("f") }
        await t.store.close()
        try? FileManager.default.removeItem(atPath: t.path)
    }
}
