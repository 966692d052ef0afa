import Foundation
import Testing
@testable import ShareCore

/// Faults injected below the API: a flipped byte in a chunk on disk, and broken references,
/// entries and extent maps written straight into the tables. Each must be refused on read
/// (never wrong bytes) and named by `check`, both the API and the `sharecore check` command.
@Suite struct CorruptionTests {
    @Test func aCorruptedChunkFailsTheReadAndCheckNamesIt() async throws {
        let t = try await TempStore.make()
        let data = pattern(200_000, seed: 42)
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("victim.bin", length: UInt64(data.count))
        try await docs.write("victim.bin", at: 0, data)
        try await docs.createFile("bystander.bin", length: 4)
        try await docs.write("bystander.bin", at: 0, [9, 8, 7, 6])
        await t.store.close()

        // Flip one byte of the chunk inside the data file.
        let file = t.path + "/data.mdb"
        var raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        let needle = Array(data[100_000..<100_064])
        let at = try #require(firstIndex(of: needle, in: raw))
        raw[at + 10] ^= 0xFF
        try Data(raw).write(to: URL(fileURLWithPath: file))

        let store = try await ShareStore.open(at: t.path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
        let reopened = store.share("docs")
        await expectError(.dataCorrupted) { try await reopened.read("victim.bin") }
        // A read that avoids the damaged 4 KiB block (98,304..<102,400) still succeeds, with the
        // right bytes, even right next to it; one that touches it fails.
        #expect(try await reopened.read("victim.bin", range: 0..<1000) == Array(data[0..<1000]))
        #expect(try await reopened.read("victim.bin", range: 81_920..<98_304) == Array(data[81_920..<98_304]))
        #expect(try await reopened.read("victim.bin", range: 102_400..<120_000) == Array(data[102_400..<120_000]))
        await expectError(.dataCorrupted) { try await reopened.read("victim.bin", range: 98_304..<98_305) }
        await expectError(.dataCorrupted) { try await reopened.read("victim.bin", range: 102_399..<102_400) }
        // Opening for a download reads the first bytes: the damage is named with the share, file and bytes.
        do {
            _ = try await reopened.open("victim.bin", firstBytes: 128 << 10) { _ in 0..<200_000 }
            Issue.record("open read a damaged block")
        } catch let error as ShareCoreError {
            #expect(error.code == .dataCorrupted)
            #expect(error.message.contains("share 'docs', file '") && error.message.contains("victim.bin"), "\(error.message)")
            #expect(error.message.contains("reading bytes 0..<131072"), "\(error.message)")
        }
        #expect(try await reopened.open("victim.bin", firstBytes: 1000) { _ in 0..<200_000 }.first == Array(data[0..<1000]))
        // Other files and the metadata are untouched.
        #expect(try await reopened.read("bystander.bin") == [9, 8, 7, 6])
        #expect(try await reopened.ranges("victim.bin") == [0..<200_000])
        let report = try await store.check()
        #expect(report.problems.count == 2)
        #expect(report.problems.first?.contains("checksum mismatch") == true)
        // The file that uses the damaged block is named, with the bytes of it that are lost
        // (the flipped byte is at 100,010: the chunk's 25th 4 KiB block).
        #expect(report.problems.last?.hasPrefix("share 'docs': file 'victim.bin' uses corrupt chunk ") == true,
                "\(report.problems)")
        #expect(report.problems.last?.hasSuffix(": its bytes 98304..<102400 fail their checksum") == true, "\(report.problems)")
        await store.close()

        let (status, output) = try runCheckCommand(t.path)
        #expect(status == 1)
        #expect(output.contains("checksum mismatch"))
        #expect(output.contains("file 'victim.bin' uses corrupt chunk"))
        #expect(output.contains("2 problem(s)"))
        try? FileManager.default.removeItem(atPath: t.path)
    }

    @Test func checkCommandSucceedsOnASoundStoreAndRefusesAMissingOne() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        try await t.store.share("docs").createFile("a", length: 3)
        try await t.store.share("docs").write("a", at: 0, [1, 2, 3])
        _ = try await t.store.createSnapshot(of: "docs")
        await t.store.close()
        let (status, output) = try runCheckCommand(t.path)
        #expect(status == 0)
        #expect(output.contains("sound"))
        let (missing, _) = try runCheckCommand(t.path + "-does-not-exist")
        #expect(missing == 2)
        try? FileManager.default.removeItem(atPath: t.path)
    }

    @Test func checkFindsAWrongReferenceCount() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        try await t.store.share("docs").createFile("a", length: 3)
        try await t.store.share("docs").write("a", at: 0, [1, 2, 3])
        try await t.store.write { txn in
            var chunk: [UInt8] = []
            try txn.scan(.refs, prefix: []) { k, _ in
                chunk = Array(k)
                return false
            }
            try txn.put(.refs, chunk, Key.u64(5))
        }
        let report = try await t.store.check()
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.contains("reference count is 5 but 1 references exist") == true)
        await t.store.close()
    }

    @Test func checkFindsAnEntryWhoseNodeIsMissing() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let node = try await t.store.share("docs").createDirectory("lost")
        try await t.store.write { txn in
            for key in try txn.keys(.nodes, prefix: Keys.node(1, node.id)) { try txn.delete(.nodes, key) }
        }
        let report = try await t.store.check()
        #expect(report.problems.contains { $0.contains("entry 'lost' names node \(node.id), which is missing") })
        await t.store.close()
    }

    @Test func checkFindsARunningMD5LongerThanItsFile() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        let file = try await docs.createFile("f", length: 100)
        try await docs.write("f", at: 0, [UInt8](repeating: 1, count: 100))
        _ = try await docs.contentMD5("f")
        #expect(try await t.store.check().problems == [])
        try await t.store.write { txn in
            let keys = try txn.keys(.nodes, prefix: Keys.node(1, file.id))
            let key = try #require(keys.first)
            var node = try #require(try txn.get(.nodes, key).map { try NodeRecord($0) })
            node.info.size = 50  // as if a truncation had kept the state
            try txn.put(.nodes, key, node.encode())
            // Keep the extent map within the file, so that only the state is wrong.
            for extent in try txn.keys(.extents, prefix: Keys.extents(1, file.id)) {
                var map = try #require(try txn.get(.extents, extent).map { try ExtentMap($0) })
                map.remove(50, 100)
                try txn.put(.extents, extent, map.encode())
            }
        }
        let report = try await t.store.check()
        #expect(report.problems.contains { $0.contains("file 'f': its running MD5 covers 100 bytes, more than its 50") })
        await t.store.close()
    }

    @Test func checkFindsOverlappingRuns() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let file = try await t.store.share("docs").createFile("f", length: 100)
        try await t.store.share("docs").write("f", at: 0, [UInt8](repeating: 1, count: 50))
        try await t.store.write { txn in
            let keys = try txn.keys(.extents, prefix: Keys.extents(1, file.id))
            let key = try #require(keys.first)
            let map = try #require(try txn.get(.extents, key).map { try ExtentMap($0) })
            let run = try #require(map.runs.first)
            let broken = ExtentMap(runs: [run, Run(offset: 10, length: 5, chunk: run.chunk, chunkOffset: 0)])
            try txn.put(.extents, key, broken.encode())
            try txn.put(.refs, Chunks.key(run.chunk), Key.u64(2))
        }
        let report = try await t.store.check()
        #expect(report.problems.contains { $0.contains("overlaps or is out of order") })
        await t.store.close()
    }
}

func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard let first = needle.first, haystack.count >= needle.count else { return nil }
    var i = 0
    while i <= haystack.count - needle.count {
        if haystack[i] == first && Array(haystack[i..<(i + needle.count)]) == needle { return i }
        i += 1
    }
    return nil
}

/// Runs the built `sharecore check --data DIR`; returns its exit status and output.
func runCheckCommand(_ dir: String) throws -> (Int32, String) {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let binary = root.appendingPathComponent(".build/debug/sharecore")
    let process = Process()
    process.executableURL = binary
    process.arguments = ["check", "--data", dir]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}
