import Foundation
import Testing
@testable import ShareCore

/// The listing's lighter decoding (issue #14): a listed entry carries the same properties as
/// `info` of the same path, and the hand-written ETag form matches the radix form it replaced.
@Suite struct ListingDecodeTests {
    @Test func etagMatchesRadixForm() {
        var values: [Int64] = [0, 1, 15, 16, 255, 256, Int64.max - FileTime.fileTimeOffset, FileTime.now().ticks]
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<1_000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            values.append(Int64(bitPattern: x >> 1) - FileTime.fileTimeOffset)
        }
        for ticks in values {
            let expected = "0x" + String(UInt64(bitPattern: ticks + FileTime.fileTimeOffset), radix: 16, uppercase: true)
            #expect(ETag.string(ticks: ticks) == expected)
        }
    }

    @Test func propertiesOnlyDecodingSkipsOnlyTheMD5State() throws {
        var info = NodeInfo(kind: .file, id: 7, parentId: 1, name: "a.txt", size: 5,
                            contentHeaders: ContentHeaders(contentType: "text/plain", cacheControl: "no-cache"),
                            smb: SMBProperties(attributes: [], creationTime: FileTime(ticks: 1),
                                               lastWriteTime: FileTime(ticks: 2), changeTime: FileTime(ticks: 3)),
                            nfs: NFSProperties(mode: 0o644), metadata: Metadata(),
                            etag: "", lastModified: FileTime(ticks: 4))
        info.objectETag = "\"abc\""
        var record = NodeRecord(info: info)
        var md5 = MD5()
        md5.update([1, 2, 3, 4, 5])
        record.md5 = md5
        let raw = record.encode()
        let full = try raw.withUnsafeBytes { try NodeRecord($0) }
        let light = try raw.withUnsafeBytes { try NodeRecord.info($0) }
        #expect(full.md5 != nil)
        #expect(light == full.info)
        #expect(light.etag == ETag.string(ticks: 4))
    }

    @Test func listedEntriesCarryTheSameProperties() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createDirectory("sub", properties: NodeProperties(metadata: ["k": "v"]))
        for i in 0..<12 {
            let name = "f\(i)"
            try await docs.createFile(name, length: UInt64(100 + i), properties: NodeProperties(
                contentHeaders: ContentHeaders(contentType: "type/\(i)"), metadata: try Metadata([("n", "\(i)")])))
            try await docs.write(name, at: 0, Array(repeating: UInt8(i), count: 100 + i))
        }
        var listed: [DirectoryEntry] = []
        var marker: String?
        repeat {
            let page = try await docs.list(marker: marker, maxResults: 5)
            listed += page.entries
            marker = page.nextMarker
        } while marker != nil
        #expect(listed.count == 13)
        #expect(Set(listed.map(\.name)).count == 13)
        for entry in listed {
            #expect(entry.info == (try await docs.info(entry.name)))
        }
        // listNames: the same names, kinds and pages, and its markers work for list too.
        var names: [DirectoryName] = []
        marker = nil
        var pages = 0
        repeat {
            let page = try await docs.listNames(marker: marker, maxResults: 5)
            names += page.entries
            if let next = page.nextMarker {
                let other = try await docs.list(marker: next, maxResults: 5)
                #expect(other.entries.first?.name == listed[(pages + 1) * 5].name)
            }
            marker = page.nextMarker
            pages += 1
        } while marker != nil
        #expect(names == listed.map { DirectoryName(name: $0.name, kind: $0.kind) })
        #expect(try await docs.listNames(prefix: "F1").entries.map(\.name) == ["f1", "f10", "f11"])
        await expectError(.invalidArgument) { try await docs.listNames(maxResults: 0) }
        await expectError(.invalidArgument) { try await docs.listNames(marker: "nonsense") }
        await expectError(.notADirectory) { try await docs.listNames("f1") }
        try await t.finish()
    }

    /// `infos`, which an S3 listing page reads its objects with: the same properties as `info`,
    /// nil where nothing is (a missing name, a missing directory, a file on the way), MD5s only
    /// where known, each directory resolved once however many paths it holds.
    @Test func infosReadManyPathsInOneTransaction() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createDirectory("a")
        try await docs.createDirectory("a/b")
        try await docs.upload("a/one", from: ByteChunks(chunks: [Array("hello".utf8)]))
        try await docs.upload("a/b/two", from: ByteChunks(chunks: [Array("world".utf8)]))
        try await docs.setProperties("a/b/two", NodeProperties(objectChecksum: "CRC32:OjlS8g=="))
        try await docs.createFile("a/sparse", length: 10)
        try await docs.createFile("top", length: 0)
        let paths = ["a/one", "a/b/two", "a/missing", "a/b", "nowhere/x", "top/x", "a/sparse", "top", "", "a/b/two", "a/one/x"]
        let infos = try await docs.infos(paths)
        #expect(infos.count == paths.count)
        for (path, found) in zip(paths, infos) {
            switch path {
            case "a/missing", "nowhere/x", "top/x", "a/one/x":
                #expect(found == nil, "\(path)")
            default:
                let info = try await docs.info(path)
                #expect(try found?.info == info, "\(path)")
                // The fields read when listed are the full properties' own.
                #expect(found?.kind == info.kind && found?.size == info.size && found?.lastModified == info.lastModified,
                        "\(path)")
                #expect(found?.objectETag == info.objectETag && found?.objectChecksum == info.objectChecksum, "\(path)")
            }
        }
        #expect(infos[0]?.md5 == MD5.digest(Array("hello".utf8)))
        #expect(infos[1]?.md5 == MD5.digest(Array("world".utf8)))
        #expect(infos[1]?.objectChecksum == "CRC32:OjlS8g==")
        #expect(infos[0]?.size == 5 && infos[0]?.kind == .file)
        #expect(infos[6]?.md5 == nil)  // zeros nobody wrote: not known without reading
        #expect(infos[7]?.md5 == MD5().finalize())  // empty
        #expect(infos[3]?.isDirectory == true)
        #expect(try infos[3]?.info.isDirectory == true)
        await expectError(.invalidName) { try await docs.infos(["a//b"]) }
        // A parent parsed once, then only each last name checked: bad names still refused.
        await expectError(.invalidName) { try await docs.infos(["a/one", "a/bad|name"]) }
        await expectError(.invalidName) { try await docs.infos(["a/one", "a/.."]) }
        await expectError(.invalidName) { try await docs.infos(["a/one", "a/" + String(repeating: "x", count: 2_100)]) }
        let deep = (0..<249).map { "d\($0)" }.joined(separator: "/")
        #expect(try await docs.infos([deep + "/x"]).map { $0 == nil } == [true])
        await expectError(.invalidName) { try await docs.infos([deep + "/x", deep + "/x/y"]) }
        await expectError(.invalidName) { try await docs.infos([deep + "/x/y"]) }
        #expect(try await docs.infos(["/a/one", "a/one/", "a/b/two"]).map { try $0?.info.name } == ["one", "one", "two"])
        try await t.finish()
    }

    /// The in-place reader that directory entries are decoded with reads the same fields as the
    /// copying reader, and refuses the same malformed records (every truncation of a record, a
    /// length past the end, an overlong number, an unknown format version).
    @Test func inPlaceReaderMatchesTheCopyingReader() throws {
        func copying(_ bytes: [UInt8]) -> [(UInt8, [UInt8])]? {
            guard var reader = try? FieldReader(record: bytes) else { return nil }
            var out: [(UInt8, [UInt8])] = []
            do {
                while let (tag, value) = try reader.next() { out.append((tag, Array(value))) }
            } catch { return nil }
            return out
        }
        func inPlace(_ bytes: [UInt8]) -> [(UInt8, [UInt8])]? {
            bytes.withUnsafeBytes { raw in
                guard var reader = try? InPlaceFieldReader(raw) else { return nil }
                var out: [(UInt8, [UInt8])] = []
                do {
                    while let (tag, value) = try reader.next() { out.append((tag, Array(value))) }
                } catch { return nil }
                return out
            }
        }
        func same(_ a: [(UInt8, [UInt8])]?, _ b: [(UInt8, [UInt8])]?) -> Bool {
            guard let a, let b else { return a == nil && b == nil }
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        }
        let entry = DirentRecord(nodeId: 123_456_789, kind: .directory, name: "naïve name").encode()
        var long = FieldWriter()
        long.field(1, UInt64.max)
        long.field(9, [UInt8](repeating: 7, count: 300))  // a two-byte length
        long.field(3, "x")
        for record in [entry, long.bytes] {
            #expect(inPlace(record) != nil)
            for end in 0...record.count {
                let cut = Array(record[..<end])
                #expect(same(copying(cut), inPlace(cut)), "cut at \(end)")
            }
        }
        #expect(inPlace(entry)?.count == 3)
        #expect(inPlace(long.bytes)?.count == 3)
        #expect(inPlace([2, 1, 1, 0]) == nil)  // unknown version
        #expect(inPlace([1, 3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]) == nil)  // overlong length
        #expect(inPlace([1, 3, 5, 1, 2]) == nil)  // a length past the end
        let decoded = try entry.withUnsafeBytes { try DirentRecord($0) }
        #expect(decoded == DirentRecord(nodeId: 123_456_789, kind: .directory, name: "naïve name"))
    }

    /// A node whose running MD5 covers the file keeps its digest (tag 30) beside the state, and a
    /// listing returns it without finalizing the state; a record without the digest (written
    /// before it existed) gives the same MD5; a digest beside a state that does not cover the
    /// file is not used; `check` finds a digest that is not the state's.
    @Test func listedMD5ComesFromTheStoredDigest() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.upload("f", from: ByteChunks(chunks: [Array("hello ".utf8), Array("world".utf8)]))
        let info = try await docs.info("f")
        var state = MD5()
        state.update(Array("hello world".utf8))
        var record = NodeRecord(info: info)
        record.md5 = state
        func fields(_ bytes: [UInt8]) throws -> [(UInt8, [UInt8])] {
            var reader = try FieldReader(record: bytes)
            var out: [(UInt8, [UInt8])] = []
            while let (tag, value) = try reader.next() { out.append((tag, Array(value))) }
            return out
        }
        func written(_ fields: [(UInt8, [UInt8])]) -> [UInt8] {
            var writer = FieldWriter()
            for (tag, value) in fields { writer.field(tag, value) }
            return writer.bytes
        }
        func listedMD5(_ bytes: [UInt8]) throws -> [UInt8]? {
            try bytes.withUnsafeBytes { raw in try NodeRecord.listed(raw) }.md5
        }
        let stored = try fields(record.encode())
        #expect(stored.first { $0.0 == 30 }?.1 == state.finalize())
        #expect(try listedMD5(written(stored)) == MD5.digest(Array("hello world".utf8)))
        // Written before the digest existed: the state is finalized.
        #expect(try listedMD5(written(stored.filter { $0.0 != 30 })) == MD5.digest(Array("hello world".utf8)))
        // A digest beside a state that covers only part of the file is not used.
        var partial = MD5()
        partial.update(Array("hello".utf8))
        record.md5 = partial
        let partialFields = try fields(record.encode())
        #expect(!partialFields.contains { $0.0 == 30 })
        #expect(try listedMD5(written(partialFields + [(30, state.finalize())])) == nil)
        // A malformed saved state is damage, whether a digest stands beside it (the state is
        // then only checked, not restored) or not.
        func malformedState(words: Bool, pending: Int) -> [UInt8] {
            var writer = FieldWriter()
            if words { writer.field(1, [UInt8](repeating: 0, count: 16)) }
            writer.field(2, UInt64(11))
            writer.field(3, [UInt8](repeating: 0, count: pending))
            return writer.bytes
        }
        for malformed in [malformedState(words: false, pending: 11), malformedState(words: true, pending: 3)] {
            let damaged = stored.map { $0.0 == 24 ? (24, malformed) : $0 }
            #expect(damaged.contains { $0.0 == 30 })
            await expectError(.dataCorrupted) { try listedMD5(written(damaged)) }
            await expectError(.dataCorrupted) { try listedMD5(written(damaged.filter { $0.0 != 30 })) }
        }
        // The store writes the digest, and its listings and `check` agree with the content.
        #expect(try await docs.infos(["f"]).first??.md5 == MD5.digest(Array("hello world".utf8)))
        #expect(try await t.store.check().problems.isEmpty)
        // A wrong digest is a problem `check` reports.
        let wrong = written(stored.map { $0.0 == 30 ? (30, [UInt8](repeating: 0, count: 16)) : $0 })
        try await t.store.write { txn in
            for key in try txn.keys(.nodes, prefix: Keys.node(1, info.id)) { try txn.put(.nodes, key, wrong) }
        }
        #expect(try await docs.infos(["f"]).first??.md5 == [UInt8](repeating: 0, count: 16))
        let report = try await t.store.check()
        #expect(report.problems.contains { $0.contains("file 'f': its stored MD5 digest is not its running MD5's") },
                "\(report.problems)")
        await t.store.close()
    }

    /// `listNames(withProperties:)`, which an S3 page of a case-sensitive directory reads its
    /// objects with: per entry the same properties and known MD5 as `infos` gives for its path,
    /// in the same order and pages as without them; nothing read without the flag.
    @Test func listNamesWithPropertiesMatchInfos() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs", options: ShareOptions(caseSensitive: true))
        let docs = t.store.share("docs")
        try await docs.createDirectory("d")
        try await docs.createDirectory("d/sub")
        try await docs.upload("d/hello", from: ByteChunks(chunks: [Array("hello".utf8)]))
        try await docs.upload("d/Hello", from: ByteChunks(chunks: [Array("other".utf8)]))
        try await docs.createFile("d/sparse", length: 10)  // zeros nobody wrote: MD5 not known
        try await docs.createFile("d/empty", length: 0)
        let blue: Metadata = ["colour": "blue"]
        try await docs.setMetadata("d/hello", blue)
        var listed: [DirectoryName] = []
        var marker: String?
        repeat {
            let page = try await docs.listNames("d", marker: marker, maxResults: 2, withProperties: true)
            listed += page.entries
            marker = page.nextMarker
        } while marker != nil
        #expect(listed.map(\.name) == ["Hello", "empty", "hello", "sparse", "sub"])
        let expected = try await docs.infos(listed.map { "d/" + $0.name })
        #expect(listed.map(\.properties) == expected)
        #expect(listed[0].properties?.md5 == MD5.digest(Array("other".utf8)))
        #expect(listed[1].properties?.md5 == MD5().finalize())
        #expect(try listed[2].properties?.info.metadata == blue)
        #expect(listed[3].properties?.md5 == nil)
        #expect(try listed[4].properties?.info.isDirectory == true)
        #expect(listed[4].properties?.isDirectory == true)
        let seeked = try await docs.listNames("d", from: "h", maxResults: 1, withProperties: true)
        #expect(seeked.entries.map(\.name) == ["hello"])
        #expect(seeked.entries.first?.properties == expected[2])
        let plain = try await docs.listNames("d")
        #expect(plain.entries.map(\.name) == listed.map(\.name))
        #expect(plain.entries.allSatisfy { $0.properties == nil })
        try await t.finish()
    }

    /// The in-place ISO 8601 form (a listing formats one per entry): known values, and every
    /// random time of years 1601 to 9839 reads back as itself.
    @Test func iso8601MatchesPaddedForm() throws {
        var values: [Int64] = [0, 1, 9_999_999, 10_000_000, -1, -10_000_000, FileTime.now().ticks]
        var x: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<2_000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            values.append(Int64(x >> 2) % 2_600_000_000_000_000_000 - 116_444_736_000_000_000)  // 1601 to 9839
        }
        for ticks in values {
            let text = FileTime(ticks: ticks).iso8601
            let round = try #require(FileTime(iso8601: text), "\(text)")
            #expect(round.ticks == ticks, "\(text)")
        }
        #expect(FileTime(ticks: 0).iso8601 == "1970-01-01T00:00:00.0000000Z")
        #expect(FileTime(ticks: -116_444_736_000_000_000).iso8601 == "1601-01-01T00:00:00.0000000Z")
        #expect(FileTime.padded(12_345, 1, 2, secondOfDay: 3_661, fraction: 5) == "12345-01-02T01:01:01.0000005Z")
        #expect(FileTime(ticks: 17_649_386_291_234_567).iso8601 == "2025-12-05T12:43:49.1234567Z")
        // Fewer fractional digits (S3 writes 3) cut the full form's fraction, also for years
        // beyond 9999, and append to what the buffer holds.
        for ticks in values + [Int64.max] {
            let full = FileTime(ticks: ticks).iso8601
            for digits in [0, 3, 7] {
                let fraction = String(full.dropLast().split(separator: ".").last ?? "")
                let point = digits == 0 ? "" : "." + String(fraction.prefix(digits))
                let expected = String(full.dropLast(9)) + point + "Z"
                var bytes = Array("<".utf8)
                FileTime(ticks: ticks).appendISO8601UTF8(to: &bytes, fractionDigits: digits)
                #expect(String(decoding: bytes, as: UTF8.self) == "<" + expected, "\(full) with \(digits) digits")
            }
        }
        var s3Form: [UInt8] = []
        FileTime(ticks: 17_649_386_291_234_567).appendISO8601UTF8(to: &s3Form, fractionDigits: 3)
        #expect(String(decoding: s3Form, as: UTF8.self) == "2025-12-05T12:43:49.123Z")
    }
}
