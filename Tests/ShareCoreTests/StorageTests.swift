import Foundation
import Testing
@testable import ShareCore

private let MiB = 1024 * 1024

private func tempPath() -> String {
    NSTemporaryDirectory() + "sharecore-storage-test-" + UUID().uuidString
}

@Suite struct StorageTests {
    @Test(arguments: Durability.allCases)
    func durabilityModesOpenAndWork(durability: Durability) async throws {
        let path = tempPath()
        let options = StoreOptions(durability: durability, mapSize: 1 << 30, extentSize: 65536)
        var store = try await ShareStore.open(at: path, options: options)
        try await store.createShare("docs")
        let docs = store.share("docs")
        try await docs.createDirectory("d")
        try await docs.createFile("d/f", length: 200_000)
        try await docs.write("d/f", at: 60_000, pattern(100_000, seed: 1))
        #expect(try await docs.read("d/f", range: 60_000..<160_000) == pattern(100_000, seed: 1))
        await store.close()

        store = try await ShareStore.open(at: path, options: options)
        let again = store.share("docs")
        #expect(try await again.read("d/f", range: 60_000..<160_000) == pattern(100_000, seed: 1))
        #expect(try await again.ranges("d/f") == [60_000..<160_000])
        try await TempStore(path: path, store: store).finish()
    }

    @Test func xxh3GivesLibxxhashsValuesOnEveryPath() {
        // Chunk checksums are stored: the AVX2 build (when the CPU has it) must give exactly
        // libxxhash's values, for every length class (short, mid-size, long, unaligned).
        let data = pattern(300_000, seed: 77)
        data.withUnsafeBytes { all in
            var lengths = Array(0...1_100) + [2_047, 2_048, 4_095, 4_096, 65_535, 65_536, 65_537, 131_072, 299_990]
            lengths += (0..<50).map { 1_100 + $0 * 5_003 }
            for length in lengths {
                for start in [0, 1, 7, 32, 63] where start + length <= all.count {
                    let bytes = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    #expect(XXH3.hash(bytes) == XXH3.libraryHash(bytes), "length \(length) at \(start)")
                }
            }
        }
        #expect(XXH3.hash([UInt8]()) == 0x2D06_8005_38D3_94C2, "xxh3-64 of nothing (seed 0)")
    }

    /// Transactions carry the tables' handles inline, one byte each.
    @Test func tableHandlesKeepEveryTablesHandle() throws {
        let opened = Table.allCases.map { UInt32(2 + $0.rawValue * 3) }
        let handles = try TableHandles(opened)
        for table in Table.allCases { #expect(handles[table] == opened[table.rawValue]) }
        #expect(Table.allCases.count <= TableHandles.capacity)
        #expect(throws: ShareCoreError.self) { try TableHandles([2, 300]) }
        #expect(throws: ShareCoreError.self) { try TableHandles(Array(repeating: 2, count: TableHandles.capacity + 1)) }
    }

    @Test func mapGrowsWhenFull() async throws {
        let t = try await TempStore.make(mapSize: 1 << 20)
        try await t.store.createShare("big")
        let s = t.store.share("big")
        try await s.createFile("f", length: UInt64(20 * MiB))
        let base = pattern(4 * MiB, seed: 2)
        func block(_ i: Int) -> [UInt8] {
            var b = base
            b[0] = UInt8(i)
            b[b.count - 1] = UInt8(i)
            return b
        }
        // Readers keep reading while the writer grows the map under them.
        let reader = Task {
            var reads = 0
            while !Task.isCancelled {
                _ = try await s.ranges("f")
                _ = try await s.read("f", range: 0..<4096)
                reads += 1
                await Task.yield()
            }
            return reads
        }
        for i in 0..<5 {
            try await s.write("f", at: UInt64(i * 4 * MiB), block(i))
        }
        reader.cancel()
        #expect(try await reader.value > 0)
        #expect(t.store.env.mapSize > 20 * MiB)
        #expect(try await s.ranges("f") == [0..<UInt64(20 * MiB)])
        for i in 0..<5 {
            #expect(try await s.read("f", range: UInt64(i * 4 * MiB)..<UInt64((i + 1) * 4 * MiB)) == block(i))
        }
        // An upload and a batch of concurrent writes also make it through a growing map.
        try await s.upload("up", from: AsyncStream<[UInt8]> { c in
            c.yield(pattern(6 * MiB, seed: 3))
            c.finish()
        })
        #expect(try await s.read("up") == pattern(6 * MiB, seed: 3))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask {
                    try await s.createFile("c\(i)", length: UInt64(MiB))
                    try await s.write("c\(i)", at: 0, pattern(MiB, seed: UInt64(100 + i)))
                }
            }
            try await group.waitForAll()
        }
        for i in 0..<8 {
            #expect(try await s.read("c\(i)") == pattern(MiB, seed: UInt64(100 + i)))
        }
        #expect(try await t.store.check().problems == [])

        // Everything is still there after reopening, even with a map smaller than the data,
        // and the map grows again from there.
        await t.store.close()
        let reopened = try await ShareStore.open(at: t.path, options: StoreOptions(durability: .fast, mapSize: 1 << 20))
        let r = reopened.share("big")
        #expect(try await r.read("f", range: UInt64(16 * MiB)..<UInt64(20 * MiB)) == block(4))
        #expect(try await r.read("up") == pattern(6 * MiB, seed: 3))
        try await r.createFile("more", length: UInt64(8 * MiB))
        try await r.write("more", at: 0, block(7))
        try await r.write("more", at: UInt64(4 * MiB), block(8))
        #expect(try await r.read("more") == block(7) + block(8))
        try await t.finish(reopened)
    }

    @Test func dataSurvivesCloseAndReopen() async throws {
        let t = try await TempStore.make(extentSize: 65536)
        let store = t.store
        try await store.createShare("keep", options: ShareOptions(quotaGiB: 7, metadata: ["team": "a"]))
        let s = store.share("keep")
        try await s.createDirectory("dir", properties: NodeProperties(metadata: ["k": "v"]))
        try await s.createFile("dir/f", length: 300_000, properties: NodeProperties(
            contentHeaders: ContentHeaders(contentType: "text/csv"), nfs: NFSProperties(mode: 0o600)))
        try await s.write("dir/f", at: 1000, pattern(150_000, seed: 4))
        let snap = try await store.createSnapshot(of: "keep")
        try await s.clear("dir/f", range: 1000..<2000)
        let info = try await s.info("dir/f")
        let stats = try await store.shareStats("keep")

        let reopened = try await t.reopen()
        let r = reopened.share("keep")
        #expect(try await r.info("dir/f") == info)
        #expect(try await r.info("dir").metadata == ["k": "v"])
        #expect(try await r.read("dir/f") == [UInt8](repeating: 0, count: 2000) + Array(pattern(150_000, seed: 4)[1000...])
            + [UInt8](repeating: 0, count: 300_000 - 151_000))
        #expect(try await r.ranges("dir/f") == [2000..<151_000])
        #expect(try await reopened.shareStats("keep") == stats)
        let shareInfo = try await reopened.shareInfo("keep")
        #expect(shareInfo.quotaGiB == 7)
        #expect(shareInfo.metadata == ["team": "a"])
        #expect(shareInfo.snapshots == [snap.name])
        #expect(try await reopened.share("keep", snapshot: snap.name).ranges("dir/f") == [1000..<151_000])
        #expect(try await r.changedRanges("dir/f", since: snap.name).cleared == [1000..<2000])
        // New writes after reopening do not collide with stored chunks.
        try await r.write("dir/f", at: 200_000, pattern(70_000, seed: 5))
        try await r.createFile("g", length: 10)
        try await r.write("g", at: 0, pattern(10, seed: 6))
        #expect(try await r.read("dir/f", range: 1000..<151_000) == Array(pattern(150_000, seed: 4)[0..<150_000]).enumerated().map { $0.offset < 1000 ? 0 : $0.element })
        #expect(try await r.read("dir/f", range: 200_000..<270_000) == pattern(70_000, seed: 5))
        #expect(try await reopened.share("keep", snapshot: snap.name).read("dir/f", range: 1000..<151_000) == pattern(150_000, seed: 4))
        try await t.finish(reopened)
    }

    @Test func reopeningWithAnotherExtentSizeIsRefused() async throws {
        let t = try await TempStore.make(extentSize: 65536)
        try await t.store.createShare("docs")
        try await t.store.share("docs").createFile("f", length: 100_000)
        try await t.store.share("docs").write("f", at: 70_000, [1, 2, 3])
        await t.store.close()
        for size in [ShareStore.maxRangeBytes, 4096, 131_072] {
            await expectError(.invalidArgument) {
                try await ShareStore.open(at: t.path, options: StoreOptions(durability: .fast, extentSize: size))
            }
        }
        // Sizes that are no power of two from 4 KiB to 4 MiB are refused before anything opens.
        for size in [0, 2048, 65_535, 100_000, 8 * MiB] {
            await expectError(.invalidArgument) {
                try await ShareStore.open(at: t.path, options: StoreOptions(durability: .fast, extentSize: size))
            }
        }
        let store = try await ShareStore.open(at: t.path, options: StoreOptions(durability: .fast, mapSize: 1 << 30, extentSize: 65536))
        #expect(try await store.share("docs").read("f", range: 69_999..<70_004) == [0, 1, 2, 3, 0])
        try await t.finish(store)
    }

    @Test func aStoreOpensInOneProcessAtATime() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        // A second open (as another process's would) is refused while the first holds the store,
        // and changes nothing.
        await expectError(.storeInUse) { try await ShareStore.open(at: t.path) }
        #expect(try await t.store.shareInfo("docs").name == "docs")
        let reopened = try await t.reopen()
        #expect(try await reopened.shareInfo("docs").name == "docs")
        try await t.finish(reopened)
    }

    @Test func openingWhereNoStoreCanBeIsRefused() async throws {
        let path = tempPath()
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
        defer { try? FileManager.default.removeItem(atPath: path) }
        await expectError(.storageError) { try await ShareStore.open(at: path) }
        await expectError(.storageError) { try await ShareStore.open(at: path + "/below") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([1, 2, 3]))
    }

    @Test func operationsAfterCloseFail() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        try await s.createFile("f", length: 10)
        await t.store.close()
        await t.store.close()  // closing twice is harmless
        await expectError(.closed) { try await s.read("f") }
        await expectError(.closed) { try await s.info("f") }
        await expectError(.closed) { try await s.ranges("f") }
        await expectError(.closed) { try await s.list() }
        await expectError(.closed) { try await s.write("f", at: 0, [1]) }
        await expectError(.closed) { try await s.createFile("g") }
        await expectError(.closed) { try await s.deleteFile("f") }
        await expectError(.closed) { try await s.upload("u", from: AsyncStream<[UInt8]> { $0.finish() }) }
        await expectError(.closed) { try await t.store.createShare("other") }
        await expectError(.closed) { try await t.store.listShares() }
        await expectError(.closed) { try await t.store.shareInfo("docs") }
        await expectError(.closed) { try await t.store.createSnapshot(of: "docs") }
        await expectError(.closed) { try await t.store.check() }
        #expect(t.store.storedBytes == 0)
        // Nothing was written: the file still reads as before.
        let store = try await ShareStore.open(at: t.path, options: StoreOptions(durability: .fast, mapSize: 1 << 30))
        #expect(try await store.share("docs").read("f") == [UInt8](repeating: 0, count: 10))
        #expect(try await store.listShares().shares.map(\.name) == ["docs"])
        try await t.finish(store)
    }

    @Test func groupCommitOf64ConcurrentWrites() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        try await s.createFile("shared", length: 64 * 4096)
        let infos = try await withThrowingTaskGroup(of: (Int, NodeInfo).self) { group in
            for i in 0..<64 {
                group.addTask { (i, try await s.write("shared", at: UInt64(i * 4096), pattern(4096, seed: UInt64(i)))) }
            }
            var out: [Int: NodeInfo] = [:]
            for try await (i, info) in group { out[i] = info }
            return out
        }
        #expect(infos.count == 64)
        #expect(Set(infos.values.map(\.etag)).count == 64, "each write gets its own ETag")
        for i in 0..<64 {
            #expect(try await s.read("shared", range: UInt64(i * 4096)..<UInt64((i + 1) * 4096)) == pattern(4096, seed: UInt64(i)))
        }
        #expect(try await s.ranges("shared") == [0..<UInt64(64 * 4096)])

        // 64 concurrent creations of separate files, each with its own content.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<64 {
                group.addTask {
                    try await s.createFile("f\(i)", length: 1000)
                    try await s.write("f\(i)", at: UInt64(i), pattern(100, seed: UInt64(1000 + i)))
                }
            }
            try await group.waitForAll()
        }
        for i in 0..<64 {
            #expect(try await s.read("f\(i)", range: UInt64(i)..<UInt64(i + 100)) == pattern(100, seed: UInt64(1000 + i)))
            #expect(try await s.ranges("f\(i)") == [UInt64(i)..<UInt64(i + 100)])
        }
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: 64 * 4096 + 64 * 100, nodeCount: 65))
        try await t.finish()
    }

    @Test func oneFailingOperationDoesNotAffectItsBatch() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("free")
        try await t.store.createShare("full", options: ShareOptions(quotaGiB: 1))
        let free = t.store.share("free")
        let full = t.store.share("full")
        // Fill "full" to exactly its quota (copies share chunks but count against it).
        try await full.createFile("f0", length: UInt64(4 * MiB))
        try await full.write("f0", at: 0, pattern(4 * MiB, seed: 1))
        for i in 1..<256 { try await full.copy(from: full, "f0", to: "f\(i)") }
        try await full.createFile("target", length: 100_000)
        try await free.createFile("f", length: 64 * 1000)
        let chunksBefore = try await t.store.check().chunks
        let fullBefore = try await t.store.shareStats("full")

        enum Outcome: Sendable { case ok(Int), failed(Int, ShareCoreError.Code) }
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for i in 0..<64 {
                group.addTask {
                    do {
                        switch i % 4 {
                        case 0, 1:  // valid
                            try await free.write("f", at: UInt64(i * 1000), pattern(1000, seed: UInt64(i)))
                        case 2:  // stores a chunk, then is refused by the quota
                            try await full.write("target", at: UInt64(i * 1000), pattern(1000, seed: UInt64(i)))
                        default:  // beyond the end, or a missing file
                            if i % 8 == 3 {
                                try await free.write("f", at: 64 * 1000, [1])
                            } else {
                                try await free.write("missing", at: 0, [1])
                            }
                        }
                        return .ok(i)
                    } catch let error as ShareCoreError {
                        return .failed(i, error.code)
                    }
                }
            }
            var out: [Outcome] = []
            for try await o in group { out.append(o) }
            return out
        }
        var model = [UInt8](repeating: 0, count: 64 * 1000)
        for outcome in outcomes {
            switch outcome {
            case .ok(let i):
                #expect(i % 4 < 2, "operation \(i) should have failed")
                model.replaceSubrange((i * 1000)..<((i + 1) * 1000), with: pattern(1000, seed: UInt64(i)))
            case .failed(let i, let code):
                switch i % 4 {
                case 0, 1: Issue.record("valid write \(i) failed with \(code)")
                case 2: #expect(code == .shareQuotaExceeded)
                default: #expect(code == (i % 8 == 3 ? .invalidRange : .resourceNotFound))
                }
            }
        }
        #expect(outcomes.count == 64)
        #expect(try await free.read("f") == model)
        #expect(try await t.store.shareStats("free").usedBytes == 32 * 1000)
        #expect(try await full.ranges("target") == [])
        #expect(try await t.store.shareStats("full") == fullBefore)
        #expect(try await free.exists("missing") == false)
        // The failed writes' chunks vanished with them.
        #expect(try await t.store.check().chunks == chunksBefore + 32)
        try await t.finish()
    }
}
