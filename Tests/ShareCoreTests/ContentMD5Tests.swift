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
        var w = FieldWriter()
        w.field(1, [UInt8](repeating: 0, count: 16))
        w.field(2, UInt64(70))
        w.field(3, [UInt8](repeating: 0, count: 5))  // should be 6 pending bytes
        #expect(throws: ShareCoreError.self) { try MD5.decodeState(w.bytes[...]) }
        #expect(try MD5.decodeState(h.encodeState()[...]) == h)
    }

    // MARK: Kept with the file

    @Test func writesDoNotHashAndTheFirstContentMD5HashesTheRestOnce() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        let size = 9 * MiB + 123
        let content = pattern(size, seed: 3)
        try await s.createFile("f", length: UInt64(size))
        #expect(try s.runningMD5("f")?.count == 0)
        var at = 0
        for piece in [1, 63, 64, 1 * MiB + 7, 4 * MiB, 3 * MiB] {
            let end = min(size, at + piece)
            try await s.write("f", at: UInt64(at), Array(content[at..<end]))
            at = end
            #expect(try s.runningMD5("f")?.count == 0, "a write after the hashed prefix keeps it as it is, unhashed")
        }
        try await s.write("f", at: UInt64(at), Array(content[at...]))
        #expect(try s.runningMD5("f")?.count == 0)
        let before = try await s.info("f")
        #expect(try await s.contentMD5("f") == reference(content))
        // The first call hashed the whole file and kept the state, without changing the file.
        #expect(try s.runningMD5("f")?.count == UInt64(size))
        #expect(try await s.info("f") == before)
        #expect(try await s.contentMD5("f") == reference(content))
        #expect(try s.runningMD5("f")?.count == UInt64(size))

        // Grown and written on after the hashed prefix: the state is kept, and only the new
        // bytes are hashed by the next call.
        let more = pattern(5000, seed: 30)
        try await s.resize("f", to: UInt64(size + 8000))
        try await s.write("f", at: UInt64(size + 1000), more)
        #expect(try s.runningMD5("f")?.count == UInt64(size))
        let grown = content + [UInt8](repeating: 0, count: 1000) + more + [UInt8](repeating: 0, count: 2000)
        #expect(try await s.contentMD5("f") == reference(grown))
        #expect(try s.runningMD5("f")?.count == UInt64(size + 8000))

        // A file created empty, grown and written in order.
        try await s.createFile("g")
        #expect(try await s.contentMD5("g") == reference([]))
        try await s.resize("g", to: 1000)
        try await s.write("g", at: 0, Array(content[0..<600]))
        try await s.setProperties("g", NodeProperties(), length: 5000)
        try await s.write("g", at: 600, Array(content[600..<1700]))
        #expect(try s.runningMD5("g")?.count == 0)
        #expect(try await s.contentMD5("g") == reference(Array(content[0..<1700]) + [UInt8](repeating: 0, count: 3300)))
        #expect(try s.runningMD5("g")?.count == 5000)
        try await t.finish()
    }

    @Test func contentMD5ReadsOnlyTheBytesItHasNotHashed() async throws {
        // Shown with a damaged chunk: hashing bytes verifies them (`dataCorrupted`), and bytes
        // already hashed are not read again.
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        let data = pattern(200_000, seed: 31)
        try await s.createFile("kept", length: UInt64(data.count))
        try await s.write("kept", at: 0, data)
        #expect(try await s.contentMD5("kept") == reference(data))
        let other = pattern(200_000, seed: 32)
        try await s.createFile("unhashed", length: UInt64(other.count))
        try await s.write("unhashed", at: 0, other)
        await t.store.close()

        let file = t.path + "/data.mdb"
        var raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        for bytes in [data, other] {
            let at = try #require(firstIndex(of: Array(bytes[100_000..<100_064]), in: raw))
            raw[at + 10] ^= 0xFF
        }
        try Data(raw).write(to: URL(fileURLWithPath: file))

        let store = try await ShareStore.open(at: t.path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
        let reopened = store.share("docs")
        await expectError(.dataCorrupted) { try await reopened.read("kept") }
        #expect(try await reopened.contentMD5("kept") == reference(data), "hashed before the damage: nothing to read")
        await expectError(.dataCorrupted) { try await reopened.contentMD5("unhashed") }
        #expect(try reopened.runningMD5("unhashed")?.count == 0, "a failed hash keeps nothing")
        await store.close()
        try? FileManager.default.removeItem(atPath: t.path)
    }

    @Test func holesAreHashedAsZerosAcrossPiecesAndExtents() async throws {
        let t = try await TempStore.make(extentSize: 64 * 1024)
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        let size = 13 * MiB + 17
        var model = [UInt8](repeating: 0, count: size)
        try await s.createFile("sparse", length: UInt64(size))
        #expect(try await s.contentMD5("sparse") == reference(model), "all holes")
        try await s.resize("sparse", to: UInt64(size - 1))  // cuts hashed bytes: dropped
        try await s.resize("sparse", to: UInt64(size))
        #expect(try s.runningMD5("sparse") == nil)
        // Runs straddling extents and 4 MiB pieces, with holes between them.
        for (offset, length, seed) in [(5, 10, 40), (4 * MiB - 3, 70_000, 41), (8 * MiB + 65_530, 12, 42),
                                       (12 * MiB, MiB + 17, 43), (1_000_000, 64 * 1024, 44)] {
            let bytes = pattern(length, seed: UInt64(seed))
            try await s.write("sparse", at: UInt64(offset), bytes)
            model.replaceSubrange(offset..<(offset + length), with: bytes)
        }
        #expect(try await s.contentMD5("sparse") == reference(model))
        #expect(try s.runningMD5("sparse")?.count == UInt64(size))
        try await t.finish()
    }

    @Test func randomChangesKeepTheMD5Right() async throws {
        let t = try await TempStore.make(extentSize: 4096, maxRuns: 8)
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        var rng = SeededRandom(state: 0x5EED_0005)
        func below(_ n: Int) -> Int { Int.random(in: 0..<max(n, 1), using: &rng) }
        var models: [String: [UInt8]] = ["a": [], "b": []]
        try await s.createFile("a")
        try await s.createFile("b")
        var snapshots: [(String, [String: [UInt8]])] = []
        for step in 0..<300 {
            let path = below(2) == 0 ? "a" : "b"
            var model = models[path] ?? []
            switch below(8) {
            case 0, 1, 2:  // write: anywhere, or near the end of the data
                guard !model.isEmpty else { break }
                let offset = below(3) == 0 ? below(model.count) : model.count - 1 - below(min(model.count, 3000))
                let length = min(model.count - offset, 1 + below(9000))
                let bytes = pattern(length, seed: UInt64(step) + 100)
                try await s.write(path, at: UInt64(offset), bytes)
                model.replaceSubrange(offset..<(offset + length), with: bytes)
            case 3:  // grow or cut
                let length = below(3) == 0 ? below(model.count + 1) : model.count + below(20_000)
                try await s.resize(path, to: UInt64(length))
                if length < model.count { model.removeLast(model.count - length) } else { model += [UInt8](repeating: 0, count: length - model.count) }
            case 4:  // clear
                guard !model.isEmpty else { break }
                let offset = below(model.count)
                let length = 1 + below(model.count - offset)
                try await s.clear(path, range: UInt64(offset)..<UInt64(offset + length))
                model.replaceSubrange(offset..<(offset + length), with: [UInt8](repeating: 0, count: length))
            case 5:  // copy the other file over this one
                let other = path == "a" ? "b" : "a"
                try await s.copy(from: s, other, to: path)
                model = models[other] ?? []
            case 6:
                if snapshots.count < 5 { snapshots.append((try await t.store.createSnapshot(of: "docs").name, models)) }
            default:
                break
            }
            models[path] = model
            if let kept = try s.runningMD5(path) { #expect(kept.count <= UInt64(model.count), "step \(step)") }
            if below(3) == 0 {
                #expect(try await s.contentMD5(path) == reference(model), "step \(step) '\(path)'")
            }
        }
        for (name, then) in snapshots {
            let old = t.store.share("docs", snapshot: name)
            for (path, model) in then { #expect(try await old.contentMD5(path) == reference(model), "\(name) '\(path)'") }
        }
        for (path, model) in models { #expect(try await s.contentMD5(path) == reference(model)) }
        try await t.finish()
    }

    @Test func outOfOrderWritesAreHashedByReadingAndTheResultIsKept() async throws {
        let t = try await TempStore.make(extentSize: 64 * 1024)
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        var model = [UInt8](repeating: 0, count: 300_000)
        try await s.createFile("f", length: UInt64(model.count))
        let piece = pattern(70_000, seed: 4)
        try await s.write("f", at: 100_000, piece)
        model.replaceSubrange(100_000..<170_000, with: piece)
        #expect(try s.runningMD5("f")?.count == 0, "a write after the hashed prefix keeps the state as it is")
        let before = try await s.info("f")
        #expect(try await s.contentMD5("f") == reference(model))
        // The result was kept with the file without changing its ETag or times.
        let after = try await s.info("f")
        #expect(after == before)
        #expect(try s.runningMD5("f")?.count == UInt64(model.count))
        #expect(try await s.contentMD5("f") == reference(model))

        try await t.finish()
    }

    @Test func writesIntoTheHashedBytesForgetTheRunningState() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        var model = pattern(5000, seed: 5)
        try await s.createFile("f", length: 8000)
        try await s.write("f", at: 0, model)
        model += [UInt8](repeating: 0, count: 3000)
        #expect(try await s.contentMD5("f") == reference(model))
        #expect(try s.runningMD5("f")?.count == 8000)
        let patch = pattern(10, seed: 6)
        try await s.write("f", at: 20, patch)
        model.replaceSubrange(20..<30, with: patch)
        #expect(try s.runningMD5("f") == nil)
        #expect(try await s.contentMD5("f") == reference(model))
        // Kept over the whole size again; growing keeps it, writing on at the old end too.
        try await s.resize("f", to: 9000)
        model += [UInt8](repeating: 0, count: 1000)
        #expect(try s.runningMD5("f")?.count == 8000)
        try await s.write("f", at: 8000, pattern(500, seed: 7))
        model.replaceSubrange(8000..<8500, with: pattern(500, seed: 7))
        #expect(try s.runningMD5("f")?.count == 8000)
        #expect(try await s.contentMD5("f") == reference(model))
        #expect(try s.runningMD5("f")?.count == 9000)
        // A write ending inside the hashed bytes forgets them too.
        try await s.write("f", at: 8990, [1, 2, 3])
        #expect(try s.runningMD5("f") == nil)
        model.replaceSubrange(8990..<8993, with: [1, 2, 3])
        #expect(try await s.contentMD5("f") == reference(model))
        try await t.finish()
    }

    @Test func clearsForgetTheStateUnlessOnlyBytesAfterItAreCleared() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        var model = pattern(4000, seed: 8)
        try await s.createFile("f", length: 4000)
        try await s.write("f", at: 0, model)
        #expect(try await s.contentMD5("f") == reference(model))
        try await s.resize("f", to: 10_000)
        try await s.write("f", at: 6000, pattern(100, seed: 9))
        model += [UInt8](repeating: 0, count: 6000)
        try await s.clear("f", range: 4000..<10_000)
        #expect(try s.runningMD5("f")?.count == 4000, "clearing after the hashed bytes keeps them")
        #expect(try await s.contentMD5("f") == reference(model))
        #expect(try s.runningMD5("f")?.count == 10_000)
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
        #expect(try await s.contentMD5("f") == reference(model))
        try await s.resize("f", to: 12_000)
        model += [UInt8](repeating: 0, count: 2000)
        #expect(try s.runningMD5("f")?.count == 10_000)
        try await s.resize("f", to: 10_000)  // cuts only bytes after the hashed prefix
        model.removeLast(2000)
        #expect(try s.runningMD5("f")?.count == 10_000)
        #expect(try await s.contentMD5("f") == reference(model))
        try await s.resize("f", to: 5000)
        model.removeLast(5000)
        #expect(try s.runningMD5("f") == nil, "truncating hashed bytes forgets the running MD5")
        try await s.resize("f", to: 7000)
        model += [UInt8](repeating: 0, count: 2000)
        #expect(try s.runningMD5("f") == nil)
        #expect(try await s.contentMD5("f") == reference(model))
        #expect(try s.runningMD5("f")?.count == 7000)
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
        #expect(try await s.contentMD5("src") == expected)
        try await s.copy(from: s, "src", to: "copy")
        try await o.copy(from: s, "src", to: "copy", options: CopyOptions(copyId: "c1"))
        for (share, path) in [(s, "copy"), (o, "copy")] {
            #expect(try share.runningMD5(path) == s.runningMD5("src"))
            #expect(try share.runningMD5(path)?.count == 100_000)
            #expect(try await share.contentMD5(path) == expected)
        }
        // A copy onto an existing file replaces its state with the source's.
        try await s.createFile("target", length: 10)
        try await s.write("target", at: 5, [1, 2, 3])
        try await s.copy(from: s, "src", to: "target")
        #expect(try s.runningMD5("target")?.count == 100_000)
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
        #expect(try s.runningMD5("restored/copy")?.count == 100_000)
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

    @Test func uploadReturnsTheMD5ItHashed() async throws {
        // Several chunks (extents of 64 KiB), and an empty file: the MD5 returned is the content's,
        // the one contentMD5 then gives without reading, and the file's properties are upload()'s.
        let t = try await TempStore.make(extentSize: 64 * 1024)
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        let data = pattern(200_003, seed: 31)
        let pieces = stride(from: 0, to: data.count, by: 30_000).map { Array(data[$0..<min(data.count, $0 + 30_000)]) }
        let (info, md5) = try await s.uploadReturningMD5("dir/u", from: stream(pieces), createParents: true)
        #expect(md5 == reference(data))
        #expect(info.size == UInt64(data.count))
        #expect(try await s.info("dir/u") == info)
        #expect(try await s.contentMD5("dir/u") == md5)
        let (_, empty) = try await s.uploadReturningMD5("empty", from: stream([]))
        #expect(empty == reference([]))
        try await t.finish()
    }

    @Test func downloadsAskingForTheMD5SeeEveryChange() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        func opened(_ path: String = "f") async throws -> [UInt8]? {
            try await s.open(path, contentMD5: true, firstBytes: 0) { _ in nil }.contentMD5
        }
        // Each answer twice: the second comes from the read memo, which a write empties.
        try await s.upload("f", from: stream([[1, 2, 3]]))
        for _ in 0..<2 { #expect(try await opened() == reference([1, 2, 3])) }
        try await s.upload("f", from: stream([[4, 5]]))
        for _ in 0..<2 { #expect(try await opened() == reference([4, 5])) }
        // A write into the hashed bytes forgets the state: no MD5 without reading the content.
        try await s.write("f", at: 0, [9])
        for _ in 0..<2 { #expect(try await opened() == nil) }
        #expect(try await s.contentMD5("f") == reference([9, 5]))
        for _ in 0..<2 { #expect(try await opened() == reference([9, 5])) }
        // A directory has none; a file deleted is not found.
        try await s.createDirectory("d")
        for _ in 0..<2 { #expect(try await opened("d") == nil) }
        try await s.deleteFile("f")
        await expectError(.resourceNotFound) { _ = try await opened() }
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
        #expect(try old.runningMD5("b")?.count == 0, "a snapshot is never written to: its state is not extended")
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
