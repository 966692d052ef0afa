import Crypto
import Foundation
import Testing
@testable import ShareCore

private let MiB = 1024 * 1024

private func reference(_ bytes: [UInt8]) -> [UInt8] { Array(Insecure.MD5.hash(data: bytes)) }

private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

private func stream(_ buffers: [[UInt8]]) -> AsyncStream<[UInt8]> {
    AsyncStream { continuation in
        for b in buffers { continuation.yield(b) }
        continuation.finish()
    }
}

@Suite struct ContentMD5Tests {
    // MARK: The hash itself

    @Test func rfc1321TestSuite() {
        let suite: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (input, expected) in suite {
            #expect(hex(MD5.digest(Array(input.utf8))) == expected, "MD5(\"\(input)\")")
        }
    }

    @Test func matchesSwiftCryptoOnRandomDataInAnyPieces() throws {
        var rng = SystemRandomNumberGenerator()
        var lengths = Array(0...200) + [447, 448, 511, 512, 513, 4096, 65_535, 65_536, 65_537]
        lengths += (0..<8).map { _ in Int.random(in: 0...MiB, using: &rng) }
        for length in lengths {
            let data = pattern(length, seed: UInt64.random(in: 1...UInt64.max, using: &rng))
            let expected = reference(data)
            #expect(MD5.digest(data) == expected, "length \(length) in one piece")
            // Random pieces, saving and restoring the state between some of them.
            var h = MD5()
            var at = 0
            while at < data.count {
                let take = min(data.count - at, Int.random(in: 1...(length > 1000 ? 70_000 : 70), using: &rng))
                data[at..<(at + take)].withUnsafeBytes { h.update($0) }
                at += take
                if Bool.random(using: &rng) {
                    let saved = h.encodeState()
                    h = try MD5.decodeState(saved[...])
                }
                #expect(h.count == UInt64(at))
            }
            #expect(h.finalize() == expected, "length \(length) in pieces")
            #expect(h.finalize() == expected, "finalize leaves the state as it was")
        }
    }

    @Test func zerosExtendTheHashLikeWrittenZeros() {
        for (prefix, zeros) in [(0, 0), (0, 1), (3, 61), (63, 1), (100, 65_536 + 7), (5, 200_000)] {
            var h = MD5()
            h.update(pattern(prefix, seed: 9))
            h.updateZeros(UInt64(zeros))
            #expect(h.finalize() == reference(pattern(prefix, seed: 9) + [UInt8](repeating: 0, count: zeros)))
        }
    }

    @Test func malformedSavedStateIsCorruptData() throws {
        var h = MD5()
        h.update(pattern(70, seed: 1))
        var w = RecordWriter()
        w.field(1, [UInt8](repeating: 0, count: 16))
        w.field(2, UInt64(70))
        w.field(3, [UInt8](repeating: 0, count: 5))  // should be 6 pending bytes
        #expect(throws: ShareCoreError.self) { try MD5.decodeState(w.bytes[...]) }
        #expect(try MD5.decodeState(h.encodeState()[...]) == h)
    }

    // MARK: Kept with the file

    @Test func inOrderWritesNeedNoFullRead() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        let size = 9 * MiB + 123
        let content = pattern(size, seed: 3)
        try await s.createFile("f", length: UInt64(size))
        #expect(try s.runningMD5("f")?.count == 0)
        #expect(try await s.contentMD5("f") == reference([UInt8](repeating: 0, count: size)))
        var at = 0
        for piece in [1, 63, 64, 1 * MiB + 7, 4 * MiB, 3 * MiB] {
            let end = min(size, at + piece)
            try await s.write("f", at: UInt64(at), Array(content[at..<end]))
            at = end
            #expect(try s.runningMD5("f")?.count == UInt64(at), "running MD5 covers the bytes written in order")
            let expected = reference(Array(content[0..<at]) + [UInt8](repeating: 0, count: size - at))
            #expect(try await s.contentMD5("f") == expected, "written \(at) of \(size)")
        }
        #expect(at < size)
        try await s.write("f", at: UInt64(at), Array(content[at...]))
        #expect(try s.runningMD5("f")?.count == UInt64(size))
        #expect(try await s.contentMD5("f") == reference(content))

        // A file created empty, then grown and written in order.
        try await s.createFile("g")
        #expect(try await s.contentMD5("g") == reference([]))
        try await s.resize("g", to: 1000)
        try await s.write("g", at: 0, Array(content[0..<600]))
        try await s.setProperties("g", NodeProperties(), length: 5000)
        try await s.write("g", at: 600, Array(content[600..<1700]))
        #expect(try s.runningMD5("g")?.count == 1700)
        #expect(try await s.contentMD5("g") == reference(Array(content[0..<1700]) + [UInt8](repeating: 0, count: 3300)))
        try await t.finish()
    }

    @Test func outOfOrderWritesFallBackToReadingAndCacheTheResult() async throws {
        let t = try await TempStore.make(extentSize: 64 * 1024)
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        var model = [UInt8](repeating: 0, count: 300_000)
        try await s.createFile("f", length: UInt64(model.count))
        let piece = pattern(70_000, seed: 4)
        try await s.write("f", at: 100_000, piece)
        model.replaceSubrange(100_000..<170_000, with: piece)
        #expect(try s.runningMD5("f") == nil, "a write past the covered bytes forgets the running MD5")
        let before = try await s.info("f")
        #expect(try await s.contentMD5("f") == reference(model))
        // The result was kept with the file without changing its ETag or times.
        let after = try await s.info("f")
        #expect(after == before)
        #expect(try s.runningMD5("f")?.count == UInt64(model.count))
        #expect(try await s.contentMD5("f") == reference(model))

        try await t.finish()
    }

    @Test func writesBehindTheCoveredBytesForgetTheRunningState() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        var model = pattern(5000, seed: 5)
        try await s.createFile("f", length: 8000)
        try await s.write("f", at: 0, model)
        model += [UInt8](repeating: 0, count: 3000)
        let patch = pattern(10, seed: 6)
        try await s.write("f", at: 20, patch)
        model.replaceSubrange(20..<30, with: patch)
        #expect(try s.runningMD5("f") == nil)
        #expect(try await s.contentMD5("f") == reference(model))
        // Now cached over the whole size; growing keeps it, writing on at the old end extends it.
        try await s.resize("f", to: 9000)
        model += [UInt8](repeating: 0, count: 1000)
        #expect(try s.runningMD5("f")?.count == 8000)
        try await s.write("f", at: 8000, pattern(500, seed: 7))
        model.replaceSubrange(8000..<8500, with: pattern(500, seed: 7))
        #expect(try s.runningMD5("f")?.count == 8500)
        #expect(try await s.contentMD5("f") == reference(model))
        try await t.finish()
    }

    @Test func clearsForgetTheStateUnlessOnlyTheUnwrittenTailIsCleared() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        var model = pattern(4000, seed: 8) + [UInt8](repeating: 0, count: 6000)
        try await s.createFile("f", length: 10_000)
        try await s.write("f", at: 0, Array(model[0..<4000]))
        try await s.clear("f", range: 4000..<10_000)
        #expect(try s.runningMD5("f")?.count == 4000, "clearing holes changes no content")
        try await s.clear("f", range: 1000..<1500)
        model.replaceSubrange(1000..<1500, with: [UInt8](repeating: 0, count: 500))
        #expect(try s.runningMD5("f") == nil)
        #expect(try await s.contentMD5("f") == reference(model))
        try await t.finish()
    }

    @Test func truncationAndRegrowth() async throws {
        let t = try await TempStore.make(extentSize: 4096)
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        var model = pattern(10_000, seed: 10)
        try await s.createFile("f", length: 10_000)
        try await s.write("f", at: 0, model)
        try await s.resize("f", to: 12_000)
        model += [UInt8](repeating: 0, count: 2000)
        #expect(try s.runningMD5("f")?.count == 10_000)
        #expect(try await s.contentMD5("f") == reference(model))
        try await s.resize("f", to: 10_000)  // cuts only zeros
        model.removeLast(2000)
        #expect(try s.runningMD5("f")?.count == 10_000)
        try await s.resize("f", to: 5000)
        model.removeLast(5000)
        #expect(try s.runningMD5("f") == nil, "truncating written bytes forgets the running MD5")
        try await s.resize("f", to: 7000)
        model += [UInt8](repeating: 0, count: 2000)
        #expect(try s.runningMD5("f") == nil)
        #expect(try await s.contentMD5("f") == reference(model))
        try await s.setProperties("f", NodeProperties(), length: 3000)
        model.removeLast(4000)
        #expect(try s.runningMD5("f") == nil)
        try await s.setProperties("f", NodeProperties(), length: 9000)
        model += [UInt8](repeating: 0, count: 6000)
        #expect(try await s.contentMD5("f") == reference(model))
        #expect(try await s.read("f") == model)
        try await t.finish()
    }

    @Test func copiesAndRestoresCarryTheState() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        try await t.store.createShare("other")
        let s = t.store.share("docs")
        let o = t.store.share("other")
        let content = pattern(70_000, seed: 11)
        try await s.createFile("src", length: 100_000)
        try await s.write("src", at: 0, content)
        let expected = reference(content + [UInt8](repeating: 0, count: 30_000))
        try await s.copy(from: s, "src", to: "copy")
        try await o.copy(from: s, "src", to: "copy", options: CopyOptions(copyId: "c1"))
        for (share, path) in [(s, "copy"), (o, "copy")] {
            #expect(try share.runningMD5(path) == s.runningMD5("src"))
            #expect(try await share.contentMD5(path) == expected)
        }
        // A copy onto an existing file replaces its state with the source's.
        try await s.createFile("target", length: 10)
        try await s.write("target", at: 5, [1, 2, 3])
        try await s.copy(from: s, "src", to: "target")
        #expect(try s.runningMD5("target")?.count == 70_000)
        #expect(try await s.contentMD5("target") == expected)
        // A source without a valid state gives a copy without one, and the same MD5.
        try await s.write("src", at: 10, [9])
        var changed = content + [UInt8](repeating: 0, count: 30_000)
        changed[10] = 9
        try await s.copy(from: s, "src", to: "copy2")
        #expect(try s.runningMD5("copy2") == nil)
        #expect(try await s.contentMD5("copy2") == reference(changed))
        // Restore from a snapshot brings the state at the snapshot.
        let snap = try await t.store.createSnapshot(of: "docs")
        try await s.write("copy", at: 0, [7, 7, 7])
        #expect(try s.runningMD5("copy") == nil)
        _ = try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, items: ["copy"],
                                                     targetFolder: "restored"))
        #expect(try s.runningMD5("restored/copy")?.count == 70_000)
        #expect(try await s.contentMD5("restored/copy") == expected)
        try await t.finish()
    }

    @Test func uploadsStoreTheMD5OfWhatTheyStreamed() async throws {
        let t = try await TempStore.make(extentSize: 64 * 1024)
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        let data = pattern(300_001, seed: 12)
        var pieces: [[UInt8]] = []
        var at = 0
        for size in [1, 7, 65_537, 3, 100_000, 65_535] {
            pieces.append(Array(data[at..<(at + size)]))
            at += size
        }
        pieces.append(Array(data[at...]))
        try await s.upload("u", from: stream(pieces))
        #expect(try s.runningMD5("u")?.count == UInt64(data.count))
        #expect(try await s.contentMD5("u") == reference(data))
        try await s.upload("empty", from: stream([]))
        #expect(try s.runningMD5("empty")?.count == 0)
        #expect(try await s.contentMD5("empty") == reference([]))
        // Replacing a file by upload replaces its state.
        try await s.upload("u", from: stream([[1, 2, 3]]))
        #expect(try await s.contentMD5("u") == reference([1, 2, 3]))
        try await t.finish()
    }

    @Test func snapshotsGiveTheMD5OfTheContentAtTheTime() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        let first = pattern(3000, seed: 13)
        try await s.createFile("a", length: 5000)
        try await s.write("a", at: 0, first)
        try await s.createFile("b", length: 5000)
        try await s.write("b", at: 1000, first)  // no valid running state
        let snap = try await t.store.createSnapshot(of: "docs")
        let old = t.store.share("docs", snapshot: snap.name)
        let zeros = [UInt8](repeating: 0, count: 5000)
        let aThen = first + zeros[0..<2000]
        var bThen = zeros
        bThen.replaceSubrange(1000..<4000, with: first)

        try await s.write("a", at: 3000, pattern(2000, seed: 14))
        try await s.write("a", at: 0, [0xff])
        try await s.clear("b", range: 0..<5000)
        #expect(try await old.contentMD5("a") == reference(aThen))
        #expect(try await old.contentMD5("b") == reference(bThen))
        #expect(try old.runningMD5("b") == nil, "a snapshot is never written to")
        var aNow = aThen
        aNow.replaceSubrange(3000..<5000, with: pattern(2000, seed: 14))
        aNow[0] = 0xff
        #expect(try await s.contentMD5("a") == reference(aNow))
        #expect(try await s.contentMD5("b") == reference(zeros))
        // Caching on the live file leaves the snapshot's view as it was.
        #expect(try await old.contentMD5("a") == reference(aThen))
        #expect(try await old.read("a") == aThen)
        try await t.finish()
    }

    @Test func badInputChangesNothing() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        try await s.createDirectory("dir")
        try await s.createFile("f", length: 10)
        let before = try await s.info("f")
        await expectError(.notAFile) { try await s.contentMD5("dir") }
        await expectError(.notAFile) { try await s.contentMD5("") }
        await expectError(.resourceNotFound) { try await s.contentMD5("missing") }
        await expectError(.invalidName) { try await s.contentMD5("a//b") }
        await expectError(.shareNotFound) { try await t.store.share("nosuch").contentMD5("f") }
        #expect(try await s.info("f") == before)
        try await t.finish()
    }
}
