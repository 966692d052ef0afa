import Foundation
import Testing
@testable import ShareCore

@Suite struct NamesTests {
    /// Asserts that `body` throws a ShareCoreError with `code` (synchronous form).
    private func expectSyncError(_ code: ShareCoreError.Code, _ what: String,
                                 sourceLocation: SourceLocation = #_sourceLocation,
                                 _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(code) for \(what), but it was accepted", sourceLocation: sourceLocation)
        } catch let error as ShareCoreError {
            #expect(error.code == code, "\(what): \(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected \(code) for \(what), got \(error)", sourceLocation: sourceLocation)
        }
    }

    static let badCharacters: [String] = ["\"", "\\", ":", "|", "<", ">", "*", "?"]
    static let controlCharacters: [String] = ["\u{0}", "\u{1}", "\t", "\n", "\r", "\u{1B}", "\u{1F}", "\u{7F}"]
    static let reservedNames = ["CON", "con", "prn", "PRN", "aux", "Aux", "NUL", "nul", "COM1", "com5", "COM9",
                                "LPT1", "lpt9", "LPT9", "clock$", "CLOCK$"]

    // MARK: Share names

    @Test func validShareNames() throws {
        for name in ["abc", "a-b", "a-b-c", "share1", "123", "1-2-3", "x0x", String(repeating: "a", count: 63),
                     "a" + String(repeating: "-b", count: 31)] {
            #expect(throws: Never.self, "\(name)") { try Names.validateShare(name) }
        }
    }

    @Test func invalidShareNames() {
        let bad = ["", "a", "ab", String(repeating: "a", count: 64), "-abc", "abc-", "-", "---", "a--b", "ab--",
                   "Abc", "abC", "ABC", "ab_c", "ab.c", "ab c", "ab/c", "äbc", "ab\u{0}c", " abc", "abc ",
                   "ab+c", "a" + String(repeating: "-b", count: 31) + "c"]
        for name in bad {
            expectSyncError(.invalidShareName, "share name '\(name)'") { try Names.validateShare(name) }
        }
    }

    @Test func operationsRefuseInvalidShareNames() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("good")
        let state = try await ShareCoreObservableState.capture(t.store)
        for name in ["ab", "Good", "GOOD", "go--od", "-good", "good-", "go_od", String(repeating: "g", count: 64)] {
            await expectError(.invalidShareName) { try await t.store.createShare(name) }
            await expectError(.invalidShareName) { try await t.store.shareInfo(name) }
            await expectError(.invalidShareName) { try await t.store.deleteShare(name) }
            await expectError(.invalidShareName) { try await t.store.createSnapshot(of: name) }
            await expectError(.invalidShareName) { try await t.store.setShareMetadata(name, ["a": "b"]) }
            await expectError(.invalidShareName) { try await t.store.share(name).createFile("f") }
            await expectError(.invalidShareName) { try await t.store.share(name).list() }
        }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)
        try await t.finish()
    }

    // MARK: Path components

    @Test func validComponents() throws {
        let ok = ["a", "A.txt", "file name with spaces.txt", ".hidden", "a.b.c", "COM10", "CONSOLE",
                  "clock", "NULL", "中文名", "emoji😀", "-", "#", "%20", "a'b", "a;b", "a=b", "[x]", "{y}",
                  String(repeating: "x", count: 255), String(repeating: "é", count: 255),
                  String(repeating: "😀", count: 127) + "x"]
        for name in ok {
            #expect(throws: Never.self, "\(name)") { try Names.validateComponent(name) }
        }
    }

    @Test func invalidComponents() {
        expectSyncError(.invalidName, "empty") { try Names.validateComponent("") }
        expectSyncError(.invalidName, "256 characters") { try Names.validateComponent(String(repeating: "x", count: 256)) }
        expectSyncError(.invalidName, "256 UTF-16 units") {
            try Names.validateComponent(String(repeating: "😀", count: 128))
        }
        expectSyncError(.invalidName, ".") { try Names.validateComponent(".") }
        expectSyncError(.invalidName, "..") { try Names.validateComponent("..") }
        expectSyncError(.invalidName, "/") { try Names.validateComponent("a/b") }
        for c in Self.badCharacters + Self.controlCharacters {
            for name in [c, "a" + c, c + "a", "a" + c + "b", "中文" + c, c + "😀", "é" + c + "é"] {
                expectSyncError(.invalidName, "name with U+\(String(c.unicodeScalars.first!.value, radix: 16))") {
                    try Names.validateComponent(name)
                }
            }
        }
        for name in Self.reservedNames {
            expectSyncError(.invalidName, name) { try Names.validateComponent(name) }
        }
        for i in 1...9 {
            expectSyncError(.invalidName, "COM\(i)") { try Names.validateComponent("COM\(i)") }
            expectSyncError(.invalidName, "lpt\(i)") { try Names.validateComponent("lpt\(i)") }
        }
    }

    /// Parses a path (every path is validated; there is no unchecked literal form).
    private func parse(_ text: String) throws(ShareCoreError) -> SharePath {
        try SharePath(text)
    }

    @Test func sharePaths() throws {
        #expect(try parse("").isRoot)
        #expect(try parse("/").isRoot)
        #expect(try parse("//").isRoot)
        #expect(try parse("a/b/c.txt").components == ["a", "b", "c.txt"])
        #expect(try parse("/a/b/").components == ["a", "b"])
        #expect(try parse("///a///").components == ["a"])
        // A slash that shares its Character with a mark (a combining acute after it, an Arabic
        // number sign before it) is not trimmed as a leading or trailing slash: the path keeps
        // an empty component, as it always did.
        expectSyncError(.invalidName, "combining mark after a leading slash") { _ = try parse("/\u{301}b") }
        expectSyncError(.invalidName, "prepended mark before a trailing slash") { _ = try parse("a\u{600}/") }
        #expect(try parse("a/b").name == "b")
        #expect(try parse("a/b").parent == parse("a"))
        #expect(try parse("a/b").description == "a/b")
        #expect(try SharePath(components: ["x", "y"]).components == ["x", "y"])
        expectSyncError(.invalidName, "empty component") { _ = try parse("a//b") }
        expectSyncError(.invalidName, "dot component") { _ = try parse("a/./b") }
        expectSyncError(.invalidName, "dot-dot component") { _ = try parse("a/../b") }
        expectSyncError(.invalidName, "bad character in the middle") { _ = try parse("a/b:c/d") }
        expectSyncError(.invalidName, "reserved name in the middle") { _ = try parse("a/aux/d") }
        expectSyncError(.invalidName, "component with a slash") { _ = try SharePath(components: ["a/b"]) }
        expectSyncError(.invalidName, "empty component") { _ = try SharePath(components: ["a", ""]) }
        // Whole paths are limited to 2,048 characters and 250 levels.
        let long = Array(repeating: String(repeating: "p", count: 200), count: 10).joined(separator: "/")
        #expect(try parse(long).components.count == 10)
        expectSyncError(.invalidName, "path over 2048") {
            _ = try parse(long + "/" + String(repeating: "q", count: 50))
        }
        let deep = Array(repeating: "d", count: 250).joined(separator: "/")
        #expect(try parse(deep).components.count == 250)
        expectSyncError(.invalidName, "251 levels") { _ = try parse(deep + "/d") }
    }

    @Test func operationsRefuseInvalidNamesAndChangeNothing() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createDirectory("dir")
        try await docs.createFile("dir/ok.txt", length: 1)
        let state = try await ShareCoreObservableState.capture(t.store)

        var names = Self.badCharacters.map { "bad\($0)name" } + Self.controlCharacters.map { "bad\($0)name" }
        names += Self.reservedNames + [".", "..", String(repeating: "x", count: 256), String(repeating: "😀", count: 128)]
        for name in names {
            await expectError(.invalidName) { try await docs.createFile(name, length: 1) }
            await expectError(.invalidName) { try await docs.createFile("dir/" + name, length: 1) }
            await expectError(.invalidName) { try await docs.createDirectory(name) }
            await expectError(.invalidName) { try await docs.createDirectory("dir/" + name) }
            await expectError(.invalidName) { try await docs.rename("dir/ok.txt", to: "dir/" + name) }
            await expectError(.invalidName) { try await docs.info(name) }
            await expectError(.invalidName) { try await docs.list(name) }
            await expectError(.invalidName) { try await docs.upload(name, from: ByteChunks(chunks: [[1]])) }
            await expectError(.invalidName) { try await docs.copy(from: docs, "dir/ok.txt", to: name) }
        }
        await expectError(.invalidName) { try await docs.createFile("dir//x", length: 1) }
        await expectError(.invalidName) { try await docs.createDirectory("a/../dir") }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)

        // The longest names work, in listings too.
        let longest = String(repeating: "L", count: 255)
        let wide = String(repeating: "😀", count: 127) + "x"
        try await docs.createFile(longest, length: 0)
        try await docs.createDirectory(wide)
        try await docs.createFile(wide + "/" + longest, length: 2)
        #expect(try await docs.info(longest.lowercased()).name == longest)
        #expect(try await docs.info(wide + "/" + longest).size == 2)
        #expect(Set(try await docs.list().entries.map(\.name)) == ["dir", longest, wide])
        try await t.finish()
    }

    // MARK: Metadata

    @Test func validMetadata() throws {
        let metadata = try Metadata([("a", "1"), ("_x", ""), ("Camel_Case9", "v"), ("B", "tab\there"), ("z_", "ünïcödé")])
        #expect(metadata.count == 5)
        #expect(metadata.pairs.map(\.name) == ["a", "_x", "Camel_Case9", "B", "z_"])
        #expect(metadata["A"] == "1")
        #expect(metadata["camel_case9"] == "v")
        #expect(metadata["CAMEL_CASE9"] == "v")
        #expect(metadata["_X"] == "")
        #expect(metadata["b"] == "tab\there")
        #expect(metadata["missing"] == nil)
        #expect(!metadata.isEmpty)
        #expect(Metadata().isEmpty)
        let literal: Metadata = ["Key": "Value"]
        #expect(literal["key"] == "Value")
        // Equality keeps case and order.
        #expect(try Metadata([("a", "1"), ("b", "2")]) != Metadata([("b", "2"), ("a", "1")]))
        #expect(try Metadata([("a", "1")]) != Metadata([("A", "1")]))
    }

    @Test func metadataNamesAreHeaderTokens() throws {
        // S3 writes names such as `s3cmd-attrs` and `original-filename`: the engine keeps them.
        for name in ["1a", "9", "a-b", "a.b", "a$", "-a", "s3cmd-attrs", "original_filename", "x~y|z"] {
            #expect(try Metadata([(name, "v")])[name] == "v")
        }
    }

    @Test func invalidMetadata() {
        // Names are HTTP header tokens (a front may ask more, as FileREST asks identifiers).
        let badNames = ["", "a b", "ä", "aä", " a", "a\u{0}", "a:b", "a/b", "a\"b", "(a)"]
        for name in badNames {
            expectSyncError(.invalidMetadata, "metadata name '\(name)'") { _ = try Metadata([(name, "v")]) }
        }
        expectSyncError(.invalidMetadata, "duplicate differing by case") { _ = try Metadata([("Key", "1"), ("key", "2")]) }
        expectSyncError(.invalidMetadata, "exact duplicate") { _ = try Metadata([("k", "1"), ("k", "1")]) }
        expectSyncError(.invalidMetadata, "control character in value") { _ = try Metadata([("k", "a\nb")]) }
        expectSyncError(.invalidMetadata, "DEL in value") { _ = try Metadata([("k", "a\u{7F}")]) }
        // Validation also refuses metadata assembled without checks (as a front might).
        expectSyncError(.invalidMetadata, "unchecked pairs") { try Metadata(trusted: [("1 bad", "x")]).validate() }
    }

    @Test func metadataSizeLimit() throws {
        // Names and values together: exactly 8 KiB is allowed.
        let exact = try Metadata([("name", String(repeating: "v", count: 8192 - 4))])
        #expect(exact.count == 1)
        let spread = try Metadata((0..<8).map { ("k\($0)", String(repeating: "v", count: 1024 - 2)) })
        #expect(spread.count == 8)
        expectSyncError(.invalidMetadata, "8 KiB + 1") {
            _ = try Metadata([("name", String(repeating: "v", count: 8192 - 3))])
        }
        expectSyncError(.invalidMetadata, "many pairs over 8 KiB") {
            _ = try Metadata((0..<9).map { ("k\($0)", String(repeating: "v", count: 1000)) })
        }
        // The limit counts UTF-8 bytes.
        expectSyncError(.invalidMetadata, "multi-byte values over 8 KiB") {
            _ = try Metadata([("n", String(repeating: "é", count: 4096))])
        }
    }

    @Test func operationsRefuseInvalidMetadataAndChangeNothing() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs", options: ShareOptions(metadata: ["keep": "1"]))
        let docs = t.store.share("docs")
        try await docs.createDirectory("d")
        try await docs.createFile("f", length: 0)
        let state = try await ShareCoreObservableState.capture(t.store)

        let bad: [Metadata] = [
            Metadata(trusted: [("1 x", "v")]),
            Metadata(trusted: [("Dup", "1"), ("dUP", "2")]),
            Metadata(trusted: [("big", String(repeating: "v", count: 8192))]),
            Metadata(trusted: [("ctl", "a\u{1}b")]),
        ]
        for metadata in bad {
            await expectError(.invalidMetadata) { try await t.store.createShare("other", options: ShareOptions(metadata: metadata)) }
            await expectError(.invalidMetadata) { try await t.store.setShareMetadata("docs", metadata) }
            await expectError(.invalidMetadata) { try await t.store.createSnapshot(of: "docs", metadata: metadata) }
            await expectError(.invalidMetadata) { try await docs.createDirectory("x", properties: NodeProperties(metadata: metadata)) }
            await expectError(.invalidMetadata) { try await docs.createFile("x", properties: NodeProperties(metadata: metadata)) }
            await expectError(.invalidMetadata) { try await docs.setMetadata("d", metadata) }
            await expectError(.invalidMetadata) { try await docs.setMetadata("f", metadata) }
            await expectError(.invalidMetadata) { try await docs.setProperties("f", NodeProperties(metadata: metadata)) }
            await expectError(.invalidMetadata) { try await docs.copy(from: docs, "f", to: "g", options: CopyOptions(metadata: metadata)) }
        }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)

        // Metadata round-trips with its case and order, and looks up ignoring case.
        let stored = try await docs.setMetadata("f", try Metadata([("Zeta", "1"), ("alpha", "2")]))
        #expect(stored.metadata.pairs.map(\.name) == ["Zeta", "alpha"])
        let read = try await docs.info("f").metadata
        #expect(read == stored.metadata)
        #expect(read["ZETA"] == "1")
        #expect(read["Alpha"] == "2")
        try await t.finish()
    }

    // MARK: FileTime

    @Test func fileTimeFormatsSevenDigits() {
        #expect(FileTime(ticks: 0).iso8601 == "1970-01-01T00:00:00.0000000Z")
        #expect(FileTime(ticks: 1).iso8601 == "1970-01-01T00:00:00.0000001Z")
        #expect(FileTime(ticks: 10_000_000).iso8601 == "1970-01-01T00:00:01.0000000Z")
        #expect(FileTime(ticks: -1).iso8601 == "1969-12-31T23:59:59.9999999Z")
        // 2024-02-29T12:34:56.789Z
        let leap = FileTime(ticks: 1_709_210_096_789_000_0)
        #expect(leap.iso8601 == "2024-02-29T12:34:56.7890000Z")
        #expect(FileTime(ticks: -FileTime.fileTimeOffset).iso8601 == "1601-01-01T00:00:00.0000000Z")
        #expect(FileTime(ticks: -FileTime.fileTimeOffset).fileTime == 0)
        #expect(FileTime(ticks: 0).fileTime == 116_444_736_000_000_000)
        #expect(FileTime(ticks: 253_402_300_799_999_999_9).iso8601 == "9999-12-31T23:59:59.9999999Z")
        #expect(FileTime(ticks: 0).description == "1970-01-01T00:00:00.0000000Z")
    }

    @Test func fileTimeRoundTrips() throws {
        var samples: [Int64] = [0, 1, -1, 9_999_999, 10_000_000, -10_000_000, 1_709_210_096_789_123_4,
                                -FileTime.fileTimeOffset, 253_402_300_799_999_999_9, 951_782_400_000_000_0]
        var x: UInt64 = 0x1234_5678_9ABC_DEF0
        for _ in 0..<500 {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            // Anywhere from 1601 to 9999.
            let span = UInt64(253_402_300_799_999_999_9 + FileTime.fileTimeOffset)
            samples.append(Int64(x % span) - FileTime.fileTimeOffset)
        }
        for ticks in samples {
            let time = FileTime(ticks: ticks)
            let text = time.iso8601
            #expect(text.count == 28, "\(text)")
            #expect(FileTime(iso8601: text) == time, "\(ticks) -> \(text)")
        }
        // A Date round trip keeps the time to within float precision.
        let now = FileTime.now()
        #expect(abs(FileTime(now.date).ticks - now.ticks) <= 10)
        // Text order is time order.
        let sorted = samples.sorted()
        #expect(sorted.map { FileTime(ticks: $0).iso8601 } == sorted.map { FileTime(ticks: $0).iso8601 }.sorted())
    }

    @Test func fileTimeParsesOneToSevenFractionDigits() throws {
        let base = try #require(FileTime(iso8601: "2023-06-15T08:09:10Z"))
        #expect(base.iso8601 == "2023-06-15T08:09:10.0000000Z")
        let cases: [(String, Int64)] = [
            ("1", 1_000_000), ("12", 1_200_000), ("123", 1_230_000), ("1234", 1_234_000),
            ("12345", 1_234_500), ("123456", 1_234_560), ("1234567", 1_234_567),
            ("0", 0), ("0000001", 1), ("9999999", 9_999_999), ("05", 500_000),
        ]
        for (digits, fraction) in cases {
            let parsed = try #require(FileTime(iso8601: "2023-06-15T08:09:10.\(digits)Z"), "\(digits)")
            #expect(parsed.ticks - base.ticks == fraction, "\(digits)")
        }
        #expect(FileTime(iso8601: "2000-02-29T00:00:00Z")?.iso8601 == "2000-02-29T00:00:00.0000000Z")
        #expect(FileTime(iso8601: "1970-01-01T00:00:00.0000000Z") == FileTime(ticks: 0))
    }

    @Test func fileTimeRejectsMalformedText() {
        let bad = [
            "", "2023", "2023-06-15", "2023-06-15T08:09:10", "2023-06-15T08:09:10.Z", "2023-06-15T08:09:10.12345678Z",
            "2023-06-15 08:09:10Z", "2023-06-15t08:09:10Z", "2023-06-15T08:09:10z", "2023/06/15T08:09:10Z",
            "2023-13-15T08:09:10Z", "2023-00-15T08:09:10Z", "2023-06-00T08:09:10Z", "2023-06-32T08:09:10Z",
            "2023-06-15T24:00:00Z", "2023-06-15T08:60:00Z", "2023-06-15T08:09:61Z", "2023-06-15T08:09:10,5Z",
            "2023-06-15T08:09:10.5+00:00", "2023-06-15T08:09:1aZ", "+023-06-15T08:09:10Z", "2023-06-15T08:09:10.1a3Z",
            "2023-06-15T08:09:10.5ZZ", "20230-06-15T08:09:10Z",
        ]
        for text in bad {
            #expect(FileTime(iso8601: text) == nil, "\(text)")
        }
    }
}
