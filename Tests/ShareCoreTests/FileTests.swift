import Testing
@testable import ShareCore

private let KiB = 1024
private let MiB = 1024 * 1024

/// Everything a user can observe about one file and its share.
private struct Observed: Equatable {
    var bytes: [UInt8]
    var ranges: [Range<UInt64>]
    var info: NodeInfo
    var stats: ShareStats
}

private func observe(_ share: Share, _ path: String) async throws -> Observed {
    Observed(bytes: try await share.read(path), ranges: try await share.ranges(path),
             info: try await share.info(path), stats: try await share.store.shareStats(share.name))
}

private func makeShare(extentSize: Int = ShareStore.maxRangeBytes, maxRuns: Int = 64,
                       name: String = "files") async throws -> (TempStore, Share) {
    let t = try await TempStore.make(extentSize: extentSize, maxRuns: maxRuns)
    try await t.store.createShare(name)
    return (t, t.store.share(name))
}

private func zeros(_ n: Int) -> [UInt8] { [UInt8](repeating: 0, count: n) }

/// Allocates and frees a few non-zero buffers of `n` bytes, so that the next allocation of
/// that size is likely to get dirty memory back.
@inline(never)
private func scribble(_ n: Int) {
    var keep: [[UInt8]] = []
    for value in [UInt8(0xA5), 0x5A, 0xFF] { keep.append([UInt8](repeating: value, count: n)) }
    keep.removeAll()
}

@Suite struct FileTests {
    // MARK: Create

    @Test func createSparseFileReadsZerosAndHasNoRanges() async throws {
        let (t, s) = try await makeShare()
        let info = try await s.createFile("sparse.bin", length: 1000)
        #expect(info.size == 1000)
        #expect(info.kind == .file)
        #expect(try await s.read("sparse.bin") == zeros(1000))
        #expect(try await s.ranges("sparse.bin") == [])
        #expect(try await s.read("sparse.bin", range: 990..<1000) == zeros(10))
        #expect(try await t.store.shareStats("files") == ShareStats(usedBytes: 0, nodeCount: 1))

        // An empty file.
        try await s.createFile("empty")
        #expect(try await s.info("empty").size == 0)
        #expect(try await s.read("empty") == [])
        #expect(try await s.ranges("empty") == [])

        // The largest file: 4 TiB, all holes, costs nothing.
        try await s.createFile("huge", length: ShareStore.maxFileSize)
        #expect(try await s.info("huge").size == ShareStore.maxFileSize)
        #expect(try await s.read("huge", range: (ShareStore.maxFileSize - 16)..<ShareStore.maxFileSize) == zeros(16))
        #expect(try await s.ranges("huge") == [])
        #expect(try await t.store.shareStats("files").usedBytes == 0)
        try await t.finish()
    }

    @Test func createFileOverwrite() async throws {
        let (t, s) = try await makeShare()
        try await s.createFile("f", length: 100, properties: NodeProperties(metadata: ["old": "1"]))
        try await s.write("f", at: 10, pattern(50, seed: 1))
        let before = try await observe(s, "f")

        await expectError(.resourceAlreadyExists) { try await s.createFile("f", length: 5) }
        await expectError(.resourceAlreadyExists) { try await s.createFile("F", length: 5) }  // case-insensitive
        #expect(try await observe(s, "f") == before)

        let replaced = try await s.createFile("f", length: 20, overwrite: true)
        #expect(replaced.size == 20)
        #expect(replaced.metadata == Metadata())
        #expect(replaced.id != before.info.id)
        #expect(try await s.read("f") == zeros(20))
        #expect(try await s.ranges("f") == [])
        #expect(try await t.store.shareStats("files") == ShareStats(usedBytes: 0, nodeCount: 1))

        // A directory is never replaced by a file.
        try await s.createDirectory("d")
        await expectError(.resourceAlreadyExists) { try await s.createFile("d", length: 1, overwrite: true) }
        #expect(try await s.info("d").kind == .directory)
        // The parent must exist; the root is not a file.
        await expectError(.parentNotFound) { try await s.createFile("missing/f", length: 1) }
        await expectError(.notAFile) { try await s.createFile("", length: 1) }
        await expectError(.shareNotFound) { try await t.store.share("nosuch").createFile("f") }
        try await t.finish()
    }

    @Test func fileSizeLimit() async throws {
        let (t, s) = try await makeShare()
        await expectError(.fileTooLarge) { try await s.createFile("big", length: ShareStore.maxFileSize + 1) }
        #expect(try await s.exists("big") == false)
        try await s.createFile("f", length: 10)
        await expectError(.fileTooLarge) { try await s.resize("f", to: ShareStore.maxFileSize + 1) }
        await expectError(.fileTooLarge) { try await s.createFile("f", length: .max, overwrite: true) }
        #expect(try await s.info("f").size == 10)
        try await s.resize("f", to: ShareStore.maxFileSize)
        #expect(try await s.info("f").size == ShareStore.maxFileSize)
        // The very last byte of a 4 TiB file can be written.
        try await s.write("f", at: ShareStore.maxFileSize - 1, [7])
        #expect(try await s.read("f", range: (ShareStore.maxFileSize - 2)..<ShareStore.maxFileSize) == [0, 7])
        #expect(try await s.ranges("f") == [(ShareStore.maxFileSize - 1)..<ShareStore.maxFileSize])
        try await t.finish()
    }

    // MARK: Resize

    @Test func resizeGrowAddsAHole() async throws {
        let (t, s) = try await makeShare()
        try await s.createFile("f", length: 10)
        try await s.write("f", at: 0, Array("0123456789".utf8))
        let grown = try await s.resize("f", to: 5 * MiB.u64)
        #expect(grown.size == 5 * MiB.u64)
        #expect(try await s.info("f").size == 5 * MiB.u64)
        #expect(try await s.ranges("f") == [0..<10])
        #expect(try await s.read("f", range: 0..<20) == Array("0123456789".utf8) + zeros(10))
        #expect(try await s.read("f", range: (5 * MiB.u64 - 8)..<(5 * MiB.u64)) == zeros(8))
        #expect(try await t.store.shareStats("files").usedBytes == 10)
        try await t.finish()
    }

    @Test(arguments: [ShareStore.maxRangeBytes, 65536])
    func truncateDropsDataBeyondTheEnd(extentSize: Int) async throws {
        let (t, s) = try await makeShare(extentSize: extentSize)
        let size = 300_000
        var model = SparseFileModel(size: size)
        try await s.createFile("f", length: UInt64(size))
        for (offset, count, seed) in [(0, 70_000, 1), (100_000, 100_000, 2), (250_000, 50_000, 3)] {
            let data = pattern(count, seed: UInt64(seed))
            try await s.write("f", at: UInt64(offset), data)
            model.write(offset, data)
        }
        #expect(try await s.ranges("f") == model.ranges)

        // Cut in the middle of a written range (and, with small extents, mid-extent).
        for newSize in [150_000, 131_072, 65_537, 65_536, 1, 0] {
            let info = try await s.resize("f", to: UInt64(newSize))
            model.resize(newSize)
            #expect(info.size == UInt64(newSize))
            #expect(try await s.read("f") == model.bytes, "size \(newSize)")
            #expect(try await s.ranges("f") == model.ranges, "size \(newSize)")
            #expect(try await t.store.shareStats("files").usedBytes == model.usedBytes)
            #expect(try await t.store.check().problems == [])
            if newSize == 150_000 {
                // Growing again reads zeros where data was.
                try await s.resize("f", to: UInt64(size))
                model.resize(size)
                #expect(try await s.read("f") == model.bytes)
                #expect(try await s.read("f", range: 150_000..<200_000) == zeros(50_000))
                #expect(try await s.ranges("f") == model.ranges)
                #expect(try await s.ranges("f") == [0..<70_000, 100_000..<150_000])
                try await s.resize("f", to: 150_000)
                model.resize(150_000)
            }
        }
        try await s.resize("f", to: 1000)
        #expect(try await s.read("f") == zeros(1000))
        #expect(try await s.ranges("f") == [])
        #expect(try await t.store.shareStats("files").usedBytes == 0)
        // Errors change nothing.
        await expectError(.resourceNotFound) { try await s.resize("nosuch", to: 1) }
        try await s.createDirectory("d")
        await expectError(.notAFile) { try await s.resize("d", to: 1) }
        try await t.finish()
    }

    // MARK: Write

    @Test func writeAtAnyOffset() async throws {
        let (t, s) = try await makeShare()
        let size = 10_000
        var model = SparseFileModel(size: size)
        try await s.createFile("f", length: UInt64(size))
        for (i, offset) in [0, 1, 4095, 4096, 5000, 9_990, 9_999].enumerated() {
            let data = pattern(min(10, size - offset), seed: UInt64(i + 10))
            try await s.write("f", at: UInt64(offset), data)
            model.write(offset, data)
            #expect(try await s.read("f", range: UInt64(offset)..<UInt64(offset + data.count)) == data)
        }
        #expect(try await s.read("f") == model.bytes)
        #expect(try await s.ranges("f") == model.ranges)
        #expect(try await t.store.shareStats("files").usedBytes == model.usedBytes)
        try await t.finish()
    }

    @Test func writeSizeLimits() async throws {
        let (t, s) = try await makeShare()
        try await s.createFile("f", length: 8 * MiB.u64)
        let full = pattern(4 * MiB, seed: 42)
        try await s.write("f", at: 0, full)
        #expect(try await s.read("f", range: 0..<(4 * MiB.u64)) == full)
        #expect(try await s.ranges("f") == [0..<(4 * MiB.u64)])
        let before = try await observe(s, "f")

        await expectError(.invalidRange) { try await s.write("f", at: 0, zeros(4 * MiB + 1)) }
        await expectError(.invalidRange) { try await s.write("f", at: 0, []) }
        await expectError(.invalidRange) { try await s.write("f", at: 8 * MiB.u64 - 1, [1, 2]) }
        await expectError(.invalidRange) { try await s.write("f", at: 8 * MiB.u64, [1]) }
        await expectError(.invalidRange) { try await s.write("f", at: 100 * MiB.u64, [1]) }
        await expectError(.invalidRange) { try await s.write("f", at: .max - 1, [1]) }
        #expect(try await observe(s, "f") == before)

        await expectError(.resourceNotFound) { try await s.write("nosuch", at: 0, [1]) }
        await expectError(.parentNotFound) { try await s.write("no/such", at: 0, [1]) }
        #expect(try await observe(s, "f") == before)
        try await s.createDirectory("d")
        await expectError(.notAFile) { try await s.write("d", at: 0, [1]) }
        await expectError(.snapshotReadOnly) {
            let snap = try await t.store.createSnapshot(of: "files")
            try await t.store.share("files", snapshot: snap.name).write("f", at: 0, [1])
        }
        #expect(try await s.read("f", range: 0..<(4 * MiB.u64)) == full)
        try await t.finish()
    }

    @Test func writeSpanningManySmallExtents() async throws {
        let (t, s) = try await makeShare(extentSize: 65536)
        let size = 400_000
        var model = SparseFileModel(size: size)
        try await s.createFile("f", length: UInt64(size))
        // From just before the end of extent 0 across extents 1 to 3 into extent 4.
        let a = pattern(200_000, seed: 7)
        try await s.write("f", at: 65_436, a)
        model.write(65_436, a)
        // Exactly one extent, aligned.
        let b = pattern(65_536, seed: 8)
        try await s.write("f", at: 327_680, b)
        model.write(327_680, b)
        // Two bytes across a boundary.
        try await s.write("f", at: 65_535 * 6 + 5, [9, 9])  // 393_215..393_217 crosses 393_216
        model.write(65_535 * 6 + 5, [9, 9])
        #expect(try await s.read("f") == model.bytes)
        #expect(try await s.ranges("f") == model.ranges)
        #expect(try await s.ranges("f") == [65_436..<265_436, 327_680..<393_217])
        // Reads that start and end inside different extents.
        #expect(try await s.read("f", range: 65_000..<140_000) == Array(model.bytes[65_000..<140_000]))
        #expect(try await t.store.shareStats("files").usedBytes == model.usedBytes)
        try await t.finish()
    }

    @Test func writeStraddlingA4MiBExtentBoundary() async throws {
        let (t, s) = try await makeShare()
        let size = 12 * MiB
        var model = SparseFileModel(size: size)
        try await s.createFile("f", length: UInt64(size))
        let a = pattern(4 * MiB, seed: 1)
        try await s.write("f", at: UInt64(2 * MiB), a)
        model.write(2 * MiB, a)
        let b = pattern(1 * MiB, seed: 2)
        try await s.write("f", at: UInt64(8 * MiB - 10), b)
        model.write(8 * MiB - 10, b)
        #expect(try await s.ranges("f") == [UInt64(2 * MiB)..<UInt64(6 * MiB), UInt64(8 * MiB - 10)..<UInt64(9 * MiB - 10)])
        #expect(try await s.read("f", range: 0..<UInt64(size)) == model.bytes)
        #expect(try await s.read("f", range: UInt64(4 * MiB - 3)..<UInt64(4 * MiB + 3)) == Array(a[(2 * MiB - 3)..<(2 * MiB + 3)]))
        #expect(try await t.store.shareStats("files").usedBytes == UInt64(5 * MiB))
        try await t.finish()
    }

    @Test func overlappingWritesReplaceOlderBytes() async throws {
        let (t, s) = try await makeShare(extentSize: 65536)
        let size = 200_000
        var model = SparseFileModel(size: size)
        try await s.createFile("f", length: UInt64(size))
        let writes: [(Int, Int)] = [
            (1000, 100_000),   // base
            (500, 1000),       // overlaps the start
            (100_500, 1000),   // overlaps the end
            (20_000, 10),      // inside
            (60_000, 10_000),  // inside, across an extent boundary
            (0, 200_000),      // covers everything
            (199_999, 1),
            (65_530, 12),
        ]
        for (i, (offset, count)) in writes.enumerated() {
            let data = pattern(count, seed: UInt64(100 + i))
            try await s.write("f", at: UInt64(offset), data)
            model.write(offset, data)
            #expect(try await s.read("f") == model.bytes, "after write \(i)")
            #expect(try await s.ranges("f") == model.ranges, "after write \(i)")
            #expect(try await t.store.shareStats("files").usedBytes == model.usedBytes)
        }
        #expect(try await s.ranges("f") == [0..<200_000])
        try await t.finish()
    }

    // MARK: Clear

    @Test func clearRangeMakesHoles() async throws {
        let (t, s) = try await makeShare(extentSize: 65536)
        let size = 300_000
        var model = SparseFileModel(size: size)
        try await s.createFile("f", length: UInt64(size))
        let data = pattern(250_000, seed: 3)
        try await s.write("f", at: 10_000, data)
        model.write(10_000, data)

        // Split a range in the middle.
        try await s.clear("f", range: 50_000..<60_000)
        model.clear(50_000..<60_000)
        #expect(try await s.ranges("f") == [10_000..<50_000, 60_000..<260_000])
        #expect(try await s.read("f", range: 49_990..<60_010) == Array(model.bytes[49_990..<60_010]))
        #expect(try await s.read("f", range: 50_000..<60_000) == zeros(10_000))
        // Across extent boundaries.
        try await s.clear("f", range: 100_000..<200_000)
        model.clear(100_000..<200_000)
        // Trim the start and the end; clear over holes and past the data.
        try await s.clear("f", range: 0..<20_000)
        model.clear(0..<20_000)
        try await s.clear("f", range: 255_000..<300_000)
        model.clear(255_000..<300_000)
        #expect(try await s.ranges("f") == [20_000..<50_000, 60_000..<100_000, 200_000..<255_000])
        #expect(try await s.read("f") == model.bytes)
        #expect(try await t.store.shareStats("files").usedBytes == model.usedBytes)

        // Writing into holes merges ranges again.
        let fill = pattern(10_000, seed: 4)
        try await s.write("f", at: 50_000, fill)
        model.write(50_000, fill)
        #expect(try await s.ranges("f") == [20_000..<100_000, 200_000..<255_000])
        #expect(try await s.read("f") == model.bytes)

        // Clearing a hole changes no bytes.
        try await s.clear("f", range: 120_000..<130_000)
        #expect(try await s.read("f") == model.bytes)

        // Errors change nothing.
        try await s.createDirectory("d")
        let before = try await observe(s, "f")
        await expectError(.invalidRange) { try await s.clear("f", range: 299_999..<300_001) }
        await expectError(.invalidRange) { try await s.clear("f", range: 400_000..<400_010) }
        await expectError(.invalidRange) { try await s.clear("f", range: 10..<10) }
        await expectError(.resourceNotFound) { try await s.clear("nosuch", range: 0..<1) }
        await expectError(.notAFile) { try await s.clear("d", range: 0..<1) }
        #expect(try await observe(s, "f") == before)

        // Clearing everything leaves no ranges and no used bytes.
        try await s.clear("f", range: 0..<UInt64(size))
        #expect(try await s.ranges("f") == [])
        #expect(try await s.read("f") == zeros(size))
        #expect(try await t.store.shareStats("files").usedBytes == 0)
        try await t.finish()
    }

    // MARK: Read and ranges

    @Test func readHolesAndErrors() async throws {
        let (t, s) = try await makeShare()
        try await s.createFile("f", length: 100)
        try await s.write("f", at: 40, [1, 2, 3])
        #expect(try await s.read("f") == zeros(40) + [1, 2, 3] + zeros(57))
        #expect(try await s.read("f", range: 39..<44) == [0, 1, 2, 3, 0])
        #expect(try await s.read("f", range: 100..<100) == [])
        await expectError(.invalidRange) { try await s.read("f", range: 90..<101) }
        await expectError(.invalidRange) { try await s.read("f", range: 200..<300) }
        await expectError(.invalidRange) { try await s.read("f", range: 0..<UInt64(Share.maxReadBytes + 1)) }
        try await s.createDirectory("d")
        await expectError(.notAFile) { try await s.read("d") }
        await expectError(.notAFile) { try await s.read("d", range: 0..<1) }
        await expectError(.notAFile) { try await s.ranges("d") }
        await expectError(.resourceNotFound) { try await s.read("nosuch") }
        await expectError(.resourceNotFound) { try await s.ranges("nosuch") }
        await expectError(.notADirectory) { try await s.read("f/x") }
        try await t.finish()
    }

    @Test func holesReadAsZerosWhateverMemoryTheResultReuses() async throws {
        // A read's result is allocated uninitialised and only its holes are zeroed: fill the
        // allocator with non-zero garbage of the same sizes first, so that a hole left unset
        // would show.
        let (t, s) = try await makeShare(extentSize: 4096)
        let size = 100_000
        var model = zeros(size)
        try await s.createFile("f", length: UInt64(size))
        for (offset, length, seed) in [(0, 10, 1), (4090, 20, 2), (9000, 3000, 3), (40_000, 1, 4), (99_990, 10, 5)] {
            let bytes = pattern(length, seed: UInt64(seed))
            try await s.write("f", at: UInt64(offset), bytes)
            model.replaceSubrange(offset..<(offset + length), with: bytes)
        }
        try await s.clear("f", range: 9500..<9600)
        model.replaceSubrange(9500..<9600, with: zeros(100))
        try await s.createFile("empty", length: UInt64(size))
        for range in [0..<size, 1..<size, 5..<4095, 4095..<12_100, 12_000..<99_995, 40_000..<40_001, 50_000..<60_000] {
            scribble(range.count)
            #expect(try await s.read("f", range: UInt64(range.lowerBound)..<UInt64(range.upperBound)) == Array(model[range]),
                    "range \(range)")
            scribble(range.count)
            #expect(try await s.read("empty", range: UInt64(range.lowerBound)..<UInt64(range.upperBound)) == zeros(range.count))
        }
        try await t.finish()
    }

    @Test func rangesAreMergedAndAscending() async throws {
        let (t, s) = try await makeShare(extentSize: 65536)
        try await s.createFile("f", length: 1_000_000)
        // Written out of order, touching, overlapping and across extents.
        for (offset, count) in [(900_000, 10), (100, 100), (0, 100), (500, 50), (550, 50),
                                (65_000, 2_000), (131_072, 65_536), (196_608, 1), (999_990, 10)] {
            try await s.write("f", at: UInt64(offset), pattern(count, seed: UInt64(offset)))
        }
        let all: [Range<UInt64>] = [0..<200, 500..<600, 65_000..<67_000, 131_072..<196_609, 900_000..<900_010, 999_990..<1_000_000]
        #expect(try await s.ranges("f") == all)
        #expect(try await s.ranges("f", within: 0..<1_000_000) == all)
        #expect(try await s.ranges("f", within: 150..<520) == [150..<200, 500..<520])
        #expect(try await s.ranges("f", within: 66_000..<150_000) == [66_000..<67_000, 131_072..<150_000])
        #expect(try await s.ranges("f", within: 200..<500) == [])
        #expect(try await s.ranges("f", within: 196_608..<196_609) == [196_608..<196_609])
        #expect(try await s.ranges("f", within: 5..<5) == [])
        try await t.finish()
    }

    @Test func randomSmallWritesForcingCompactionKeepContents() async throws {
        let (t, s) = try await makeShare(extentSize: 65536, maxRuns: 4)
        let size = 262_144
        var model = SparseFileModel(size: size)
        try await s.createFile("f", length: UInt64(size))
        var rng = SeededRandom(state: 99)
        for step in 0..<400 {
            let offset = Int(rng.next() % UInt64(size))
            let count = min(size - offset, 1 + Int(rng.next() % 3000))
            if step % 10 == 9 {
                try await s.clear("f", range: UInt64(offset)..<UInt64(offset + count))
                model.clear(offset..<(offset + count))
            } else {
                let data = pattern(count, seed: UInt64(step))
                try await s.write("f", at: UInt64(offset), data)
                model.write(offset, data)
            }
            if step % 50 == 49 {
                #expect(try await s.read("f") == model.bytes, "step \(step)")
                #expect(try await s.ranges("f") == model.ranges, "step \(step)")
            }
        }
        #expect(try await s.read("f") == model.bytes)
        #expect(try await s.ranges("f") == model.ranges)
        #expect(try await t.store.shareStats("files").usedBytes == model.usedBytes)
        // Bytes written back to back in one extent collapse into few runs.
        try await s.createFile("seq", length: 65_536)
        for i in 0..<64 {
            try await s.write("seq", at: UInt64(i * 1024), pattern(1024, seed: UInt64(1000 + i)))
        }
        let runs = try t.store.env.read { txn in
            let view = try t.store.view(txn, share: "files", snapshot: nil)
            return try view.extent(node: try view.resolveFile(SharePath("seq")).info.id, index: 0)?.runs.count ?? 0
        }
        #expect(runs <= 4)
        #expect(try await s.ranges("seq") == [0..<65_536])
        #expect(try await s.read("seq", range: 63 * 1024..<64 * 1024) == pattern(1024, seed: 1063))
        #expect(try await s.read("seq", range: 0..<1024) == pattern(1024, seed: 1000))
        try await t.finish()
    }

    @Test func randomChangesUnderSnapshotsKeepEverySnapshotIntact() async throws {
        let (t, s) = try await makeShare(extentSize: 65536, maxRuns: 4)
        let size = 200_000
        var model = SparseFileModel(size: size)
        try await s.createFile("f", length: UInt64(size))
        var rng = SeededRandom(state: 7)
        var snapshots: [(String, SparseFileModel)] = []
        for step in 0..<240 {
            let offset = Int(rng.next() % UInt64(size))
            let count = min(size - offset, 1 + Int(rng.next() % 5000))
            switch step % 12 {
            case 5:
                try await s.clear("f", range: UInt64(offset)..<UInt64(offset + count))
                model.clear(offset..<(offset + count))
            case 11:
                let newSize = size - Int(rng.next() % 50_000)
                try await s.resize("f", to: UInt64(newSize))
                model.resize(newSize)
                try await s.resize("f", to: UInt64(size))
                model.resize(size)
            default:
                let data = pattern(count, seed: UInt64(5000 + step))
                try await s.write("f", at: UInt64(offset), data)
                model.write(offset, data)
            }
            if step % 40 == 39 {
                snapshots.append((try await t.store.createSnapshot(of: "files").name, model))
            }
        }
        #expect(try await s.read("f") == model.bytes)
        #expect(try await s.ranges("f") == model.ranges)
        for (name, expected) in snapshots {
            let snap = t.store.share("files", snapshot: name)
            #expect(try await snap.read("f") == expected.bytes)
            #expect(try await snap.ranges("f") == expected.ranges)
        }
        // Deleting snapshots (oldest, newest, then the rest) reclaims only what no one sees.
        let order = [0, snapshots.count - 1] + Array(1..<(snapshots.count - 1))
        for (i, index) in order.enumerated() {
            try await t.store.deleteSnapshot(of: "files", snapshots[index].0)
            #expect(try await t.store.check().problems == [])
            for later in order[(i + 1)...] {
                let (name, expected) = snapshots[later]
                #expect(try await t.store.share("files", snapshot: name).read("f") == expected.bytes)
            }
        }
        #expect(try await s.read("f") == model.bytes)
        #expect(try await t.store.shareStats("files").usedBytes == model.usedBytes)
        try await t.finish()
    }

    // MARK: Changed ranges

    @Test func changedRangesSinceASnapshot() async throws {
        let (t, s) = try await makeShare()
        try await s.createFile("f", length: 10_000)
        try await s.write("f", at: 0, pattern(100, seed: 1))
        try await s.write("f", at: 1000, pattern(1000, seed: 2))
        try await s.createFile("same", length: 100)
        try await s.write("same", at: 0, pattern(100, seed: 3))
        let snap = try await t.store.createSnapshot(of: "files")

        #expect(try await s.changedRanges("f", since: snap.name) == RangeDiff(changed: [], cleared: []))
        try await s.write("f", at: 50, pattern(100, seed: 4))
        try await s.clear("f", range: 1500..<1600)
        try await s.clear("f", range: 3000..<4000)  // a hole then and now
        try await s.write("f", at: 5000, pattern(10, seed: 5))
        try await s.write("f", at: 5010, pattern(10, seed: 6))
        let diff = try await s.changedRanges("f", since: snap.name)
        #expect(diff.changed == [50..<150, 5000..<5020])
        #expect(diff.cleared == [1500..<1600])
        // Only within a window.
        let window = try await s.changedRanges("f", since: snap.name, within: 100..<1550)
        #expect(window.changed == [100..<150])
        #expect(window.cleared == [1500..<1550])
        // An untouched file has no changes.
        #expect(try await s.changedRanges("same", since: snap.name) == RangeDiff(changed: [], cleared: []))
        // The snapshot still reads the old bytes.
        let old = t.store.share("files", snapshot: snap.name)
        #expect(try await old.read("f", range: 0..<100) == pattern(100, seed: 1))
        #expect(try await old.ranges("f") == [0..<100, 1000..<2000])

        await expectError(.snapshotNotFound) { try await s.changedRanges("f", since: "2001-01-01T00:00:00.0000000Z") }
        await expectError(.resourceNotFound) { try await s.changedRanges("nosuch", since: snap.name) }
        try await s.createDirectory("d")
        await expectError(.notAFile) { try await s.changedRanges("d", since: snap.name) }
        try await t.finish()
    }

    @Test func changedRangesBetweenTwoSnapshots() async throws {
        let (t, s) = try await makeShare(extentSize: 65536)
        try await s.createFile("f", length: 300_000)
        try await s.write("f", at: 0, pattern(200_000, seed: 1))
        let first = try await t.store.createSnapshot(of: "files")
        try await s.write("f", at: 60_000, pattern(10_000, seed: 2))  // across an extent boundary
        try await s.clear("f", range: 150_000..<160_000)
        let second = try await t.store.createSnapshot(of: "files")
        try await s.write("f", at: 250_000, pattern(10, seed: 3))
        try await s.clear("f", range: 0..<10)

        let between = try await t.store.share("files", snapshot: second.name).changedRanges("f", since: first.name)
        #expect(between.changed == [60_000..<70_000])
        #expect(between.cleared == [150_000..<160_000])
        let sinceSecond = try await s.changedRanges("f", since: second.name)
        #expect(sinceSecond.changed == [250_000..<250_010])
        #expect(sinceSecond.cleared == [0..<10])
        let sinceFirst = try await s.changedRanges("f", since: first.name)
        #expect(sinceFirst.changed == [60_000..<70_000, 250_000..<250_010])
        #expect(sinceFirst.cleared == [0..<10, 150_000..<160_000])
        try await t.finish()
    }

    @Test func changedRangesOfARecreatedOrNewFile() async throws {
        let (t, s) = try await makeShare()
        try await s.createFile("f", length: 1000)
        try await s.write("f", at: 0, pattern(1000, seed: 1))
        let snap = try await t.store.createSnapshot(of: "files")
        try await s.deleteFile("f")
        try await s.createFile("f", length: 1000)
        try await s.write("f", at: 0, pattern(10, seed: 1))
        try await s.write("f", at: 500, pattern(10, seed: 1))
        let diff = try await s.changedRanges("f", since: snap.name)
        #expect(diff.changed == [0..<10, 500..<510])
        #expect(diff.cleared == [])
        // A file that did not exist at the snapshot: all its ranges changed.
        try await s.createFile("new", length: 100)
        try await s.write("new", at: 20, [1, 2, 3])
        #expect(try await s.changedRanges("new", since: snap.name) == RangeDiff(changed: [20..<23], cleared: []))
        try await t.finish()
    }

    @Test(arguments: [ShareStore.maxRangeBytes, 65536])
    func changedRangesAfterTruncation(extentSize: Int) async throws {
        let (t, s) = try await makeShare(extentSize: extentSize)
        try await s.createFile("f", length: 200_000)
        try await s.write("f", at: 0, pattern(200_000, seed: 1))
        let snap = try await t.store.createSnapshot(of: "files")
        try await s.resize("f", to: 100_000)
        // Within the file's new length nothing changed.
        #expect(try await s.changedRanges("f", since: snap.name) == RangeDiff(changed: [], cleared: []))
        try await s.resize("f", to: 200_000)
        let diff = try await s.changedRanges("f", since: snap.name)
        #expect(diff.changed == [])
        #expect(diff.cleared == [100_000..<200_000])
        #expect(try await s.read("f", range: 99_999..<100_001) == [pattern(100_000, seed: 1)[99_999], 0])
        #expect(try await t.store.share("files", snapshot: snap.name).read("f") == pattern(200_000, seed: 1))
        try await t.finish()
    }

    // MARK: Properties

    @Test func contentHeadersSMBAndNFSPropertiesAndMetadata() async throws {
        let (t, s) = try await makeShare()
        let created = FileTime(ticks: 16_000_000_000_000_000)
        let written = FileTime(ticks: 16_100_000_000_000_000)
        let headers = ContentHeaders(contentType: "text/plain", contentEncoding: "gzip", contentLanguage: "en",
                                     contentDisposition: "attachment", cacheControl: "no-cache",
                                     contentMD5: Array(0..<16))
        let info = try await s.createFile("f", length: 10, properties: NodeProperties(
            contentHeaders: headers, attributes: [.readOnly, .hidden, .directory], creationTime: created,
            lastWriteTime: written, permissionKey: "key-1", nfs: NFSProperties(mode: 0o640, owner: 1000, group: 100),
            metadata: ["Color": "blue", "size": "L"]))
        #expect(info.contentHeaders == headers)
        #expect(info.smb.attributes == [.readOnly, .hidden])  // a file never carries the directory bit
        #expect(info.smb.creationTime == created)
        #expect(info.smb.lastWriteTime == written)
        #expect(info.smb.permissionKey == "key-1")
        #expect(info.nfs == NFSProperties(mode: 0o640, owner: 1000, group: 100))
        #expect(info.metadata == ["Color": "blue", "size": "L"])
        #expect(info.metadata["COLOR"] == "blue")
        #expect(try await s.info("f") == info)

        // Defaults.
        let plain = try await s.createFile("plain", length: 1)
        #expect(plain.smb.attributes == .archive)
        #expect(plain.contentHeaders == ContentHeaders())
        #expect(plain.metadata.isEmpty)
        #expect(plain.nfs == NFSProperties())

        // setProperties changes only what it is given.
        let updated = try await s.setProperties("f", NodeProperties(
            contentHeaders: ContentHeaders(contentType: "application/json"), nfs: NFSProperties(mode: 0o600)))
        #expect(updated.contentHeaders == ContentHeaders(contentType: "application/json"))
        #expect(updated.nfs == NFSProperties(mode: 0o600, owner: 1000, group: 100))
        #expect(updated.smb.creationTime == created)
        #expect(updated.smb.attributes == [.readOnly, .hidden])
        #expect(updated.metadata == ["Color": "blue", "size": "L"])
        #expect(updated.etag != info.etag)
        #expect(try await s.info("f") == updated)

        // Writing keeps headers and metadata; it moves the last write time.
        let afterWrite = try await s.write("f", at: 0, [1])
        #expect(afterWrite.contentHeaders == updated.contentHeaders)
        #expect(afterWrite.metadata == updated.metadata)
        #expect(afterWrite.smb.creationTime == created)
        #expect(afterWrite.smb.lastWriteTime > written)

        // Metadata is replaced whole.
        let meta = try await s.setMetadata("f", ["only": "one"])
        #expect(meta.metadata == ["only": "one"])
        #expect(try await s.info("f").metadata == ["only": "one"])
        #expect(try await s.info("f").contentHeaders == updated.contentHeaders)

        // Bad input changes nothing.
        let before = try await s.info("f")
        let bad = try? Metadata([("1 bad", "x")])
        #expect(bad == nil)
        await expectError(.invalidMetadata) {
            try await s.setProperties("f", NodeProperties(metadata: Metadata(trusted: [("bad name", "x")])))
        }
        await expectError(.invalidMetadata) {
            try await s.createFile("g", length: 1, properties: NodeProperties(metadata: Metadata(trusted: [("a", "1"), ("A", "2")])))
        }
        #expect(try await s.exists("g") == false)
        try await s.createDirectory("d")
        await expectError(.notAFile) {
            try await s.setProperties("d", NodeProperties(contentHeaders: ContentHeaders(contentType: "x")))
        }
        await expectError(.resourceNotFound) { try await s.setProperties("nosuch", NodeProperties()) }
        #expect(try await s.info("f") == before)
        try await t.finish()
    }

    @Test func etagAndLastModifiedChangeOnEveryWrite() async throws {
        let (t, s) = try await makeShare()
        var info = try await s.createFile("f", length: 100)
        var etags: Set<String> = [info.etag]
        var last = info.lastModified
        func changed(_ next: NodeInfo) {
            #expect(!etags.contains(next.etag), "the ETag must change")
            #expect(next.lastModified > last)
            etags.insert(next.etag)
            last = next.lastModified
            info = next
        }
        changed(try await s.write("f", at: 0, [1]))
        #expect(try await s.info("f").etag == info.etag)
        changed(try await s.write("f", at: 0, [1]))  // even the same bytes
        changed(try await s.clear("f", range: 0..<10))
        changed(try await s.resize("f", to: 50))
        changed(try await s.resize("f", to: 200))
        changed(try await s.setMetadata("f", ["a": "b"]))
        #expect(try await s.info("f").etag == info.etag)
        #expect(try await s.info("f").lastModified == info.lastModified)
        #expect(info.smb.lastWriteTime >= info.smb.creationTime)
        // Reads and failed writes change nothing.
        _ = try await s.read("f")
        _ = try await s.ranges("f")
        await expectError(.invalidRange) { try await s.write("f", at: 500, [1]) }
        #expect(try await s.info("f") == info)
        try await t.finish()
    }

    // MARK: Usage and quota

    @Test func usedBytesFollowWritesClearsTruncatesAndDeletes() async throws {
        let (t, s) = try await makeShare(extentSize: 65536)
        func used() async throws -> UInt64 { try await t.store.shareStats("files").usedBytes }
        try await s.createFile("a", length: 500_000)
        try await s.createFile("b", length: 500_000)
        #expect(try await used() == 0)
        try await s.write("a", at: 0, pattern(100_000, seed: 1))
        #expect(try await used() == 100_000)
        try await s.write("a", at: 50_000, pattern(100_000, seed: 2))  // 50,000 of it new
        #expect(try await used() == 150_000)
        try await s.write("a", at: 0, pattern(150_000, seed: 3))  // all rewritten
        #expect(try await used() == 150_000)
        try await s.write("b", at: 400_000, pattern(100_000, seed: 4))
        #expect(try await used() == 250_000)
        try await s.clear("a", range: 10_000..<20_000)
        #expect(try await used() == 240_000)
        try await s.clear("a", range: 300_000..<400_000)  // a hole
        #expect(try await used() == 240_000)
        try await s.resize("b", to: 450_000)
        #expect(try await used() == 190_000)
        try await s.resize("b", to: 500_000)
        #expect(try await used() == 190_000)
        try await s.deleteFile("a")
        #expect(try await used() == 50_000)
        try await s.createFile("b", length: 10, overwrite: true)
        #expect(try await used() == 0)
        #expect(try await t.store.shareStats("files").nodeCount == 1)
        try await t.finish()
    }

    @Test func quotaRefusesWritesBeyondIt() async throws {
        let (t, s) = try await makeShare()
        let info = try await t.store.setShareProperties("files", ShareUpdate(quotaGiB: 1))
        #expect(info.quotaGiB == 1)
        // Fill exactly 1 GiB cheaply: one 4 MiB file and 255 copies (copies share chunks but count).
        try await s.createFile("f0", length: 4 * MiB.u64)
        try await s.write("f0", at: 0, pattern(4 * MiB, seed: 1))
        for i in 1..<256 {
            try await s.copy(from: s, "f0", to: "f\(i)")
        }
        #expect(try await t.store.shareStats("files").usedBytes == 1 << 30)

        // One more byte is refused, and changes nothing.
        try await s.createFile("extra", length: 10)
        let before = try await observe(s, "extra")
        await expectError(.shareQuotaExceeded) { try await s.write("extra", at: 0, [1]) }
        await expectError(.shareQuotaExceeded) { try await s.copy(from: s, "f0", to: "f256") }
        #expect(try await s.exists("f256") == false)
        #expect(try await observe(s, "extra") == before)
        #expect(try await t.store.shareStats("files").usedBytes == 1 << 30)

        // Rewriting stored bytes does not grow usage, so it is allowed.
        try await s.write("f7", at: 0, pattern(4 * MiB, seed: 2))
        #expect(try await s.read("f7", range: 0..<16) == Array(pattern(4 * MiB, seed: 2)[0..<16]))
        #expect(try await s.read("f8", range: 0..<16) == Array(pattern(4 * MiB, seed: 1)[0..<16]))
        // Freeing space lets writes in again.
        try await s.clear("f3", range: 0..<4096)
        try await s.write("extra", at: 0, pattern(10, seed: 3))
        #expect(try await s.read("extra") == pattern(10, seed: 3))
        // Raising the quota lifts the limit.
        try await t.store.setShareProperties("files", ShareUpdate(quotaGiB: 2))
        try await s.copy(from: s, "f0", to: "f256")
        #expect(try await t.store.shareStats("files").usedBytes == (1 << 30) - 4096 + 10 + 4 * (1 << 20))
        await expectError(.invalidArgument) { try await t.store.setShareProperties("files", ShareUpdate(quotaGiB: 0)) }
        #expect(try await t.store.shareInfo("files").quotaGiB == 2)
        try await t.finish()
    }

    // MARK: Delete

    @Test func deleteFile() async throws {
        let (t, s) = try await makeShare()
        try await s.createFile("f", length: 100_000)
        try await s.write("f", at: 0, pattern(100_000, seed: 1))
        try await s.createDirectory("d")
        try await s.deleteFile("f")
        #expect(try await s.exists("f") == false)
        await expectError(.resourceNotFound) { try await s.read("f") }
        await expectError(.resourceNotFound) { try await s.info("f") }
        await expectError(.resourceNotFound) { try await s.deleteFile("f") }
        await expectError(.notAFile) { try await s.deleteFile("d") }
        await expectError(.parentNotFound) { try await s.deleteFile("x/y") }
        #expect(try await s.exists("d"))
        #expect(try await t.store.shareStats("files") == ShareStats(usedBytes: 0, nodeCount: 1))
        #expect(try await t.store.check().chunks == 0)

        // A snapshot keeps what the live share deleted.
        try await s.createFile("g", length: 10)
        try await s.write("g", at: 0, pattern(10, seed: 2))
        let snap = try await t.store.createSnapshot(of: "files")
        try await s.deleteFile("g")
        await expectError(.resourceNotFound) { try await s.read("g") }
        #expect(try await t.store.share("files", snapshot: snap.name).read("g") == pattern(10, seed: 2))
        await expectError(.snapshotReadOnly) { try await t.store.share("files", snapshot: snap.name).deleteFile("g") }
        try await t.finish()
    }
}

/// xorshift64*: a small deterministic generator for these tests.
private extension Int {
    var u64: UInt64 { UInt64(self) }
}
