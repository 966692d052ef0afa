import Foundation
import Testing
@testable import ShareCore

/// The resident size of the memory mapping of `file` in this process (its `Rss:` line in
/// /proc/self/smaps), in bytes; nil where /proc is not available.
private func mappedResidentBytes(of file: String) -> Int? {
    guard let smaps = try? String(contentsOfFile: "/proc/self/smaps", encoding: .utf8) else { return nil }
    var inMapping = false
    var total = 0
    for line in smaps.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if let first = fields.first, first.contains("-"), fields.count >= 5 {
            inMapping = fields.count >= 6 && fields[5...].joined(separator: " ") == file
        } else if inMapping, fields.first == "Rss:", fields.count >= 2, let kib = Int(fields[1]) {
            total += kib * 1024
        }
    }
    return total
}

@Suite struct ResidentMemoryTests {
    /// A large read copies the chunks' bytes out of the memory map and gives the map pages
    /// back, so streaming a file much larger than memory keeps the process's RSS flat (the
    /// pages stay in the kernel's page cache). Small reads keep theirs.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/smaps")))
    func largeReadsDoNotKeepTheMapResident() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("big")
        let share = t.store.share("big")
        let piece = 4 << 20
        let pieces = (0..<12).map { [UInt8](repeating: UInt8($0 + 1), count: piece) }
        let total = pieces.count * piece
        try await share.createFile("f", length: UInt64(total))
        for (i, bytes) in pieces.enumerated() {
            try await share.write("f", at: UInt64(i * piece), bytes)
        }
        let dataFile = (t.path as NSString).standardizingPath + "/data.mdb"
        let before = try #require(mappedResidentBytes(of: dataFile))
        for (i, bytes) in pieces.enumerated() {
            #expect(try await share.read("f", range: UInt64(i * piece)..<UInt64((i + 1) * piece)) == bytes)
        }
        let after = try #require(mappedResidentBytes(of: dataFile))
        // 48 MiB were read; had the pages stayed mapped, the mapping would have grown by that much.
        #expect(after - before < 8 << 20, "the map grew by \(after - before) bytes while reading \(total) bytes")

        // So do the 128 KiB pieces the servers stream downloads in, in any order (downloads run
        // side by side): here from the last piece to the first, where the pages the kernel maps
        // around each fault include pages of pieces already read and given back.
        let streamed = 128 << 10
        for at in stride(from: 0, to: total, by: streamed).reversed() {
            let bytes = try await share.read("f", range: UInt64(at)..<UInt64(at + streamed))
            #expect(bytes.first == UInt8(at / piece + 1) && bytes.last == bytes.first)
        }
        let afterPieces = try #require(mappedResidentBytes(of: dataFile))
        #expect(afterPieces - before < 8 << 20, "the map grew by \(afterPieces - before) bytes while reading \(total) bytes in 128 KiB pieces")

        // Reading again works (the pages come back from the page cache).
        #expect(try await share.read("f", range: 0..<UInt64(piece)) == pieces[0])
        #expect(try await share.read("f", range: 100..<200) == Array(pieces[0][100..<200]))
        try await t.finish()
    }

    /// A large read inside a write transaction (compaction reading a chunk that the same
    /// write just stored, which LMDB still holds in its own heap memory rather than in the
    /// map) keeps those bytes: only pages of the read-only map are ever given back.
    @Test func compactingChunksStoredByTheSameWriteKeepsTheirBytes() async throws {
        let t = try await TempStore.make(maxRuns: 2)
        try await t.store.createShare("compact")
        let share = t.store.share("compact")
        let piece = 1 << 20
        try await share.createFile("f", length: UInt64(4 * piece))
        var expected: [UInt8] = []
        for i in 0..<4 {
            let bytes = pattern(piece, seed: UInt64(i + 1))
            try await share.write("f", at: UInt64(i * piece), bytes)
            expected += bytes
            #expect(try await share.read("f", range: 0..<UInt64((i + 1) * piece)) == expected, "after write \(i)")
        }
        try await t.finish()
    }
}
