import Foundation
import Testing
@testable import S3
import ShareCore

@Suite struct BucketListingTests {
    // MARK: Helpers

    /// A real store in a temporary directory with one share, `bkt`.
    private struct Fixture {
        let path: String
        let store: ShareStore
        let share: Share

        static func make(caseSensitive: Bool = false) async throws -> Fixture {
            let path = NSTemporaryDirectory() + "s3-listing-" + UUID().uuidString
            let store = try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
            try await store.createShare("bkt", options: ShareOptions(caseSensitive: caseSensitive))
            return Fixture(path: path, store: store, share: store.share("bkt"))
        }

        func finish() async {
            await store.close()
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Creates every key below `base`: a file of `key.utf8.count` bytes (missing parent
    /// directories are created), or, for a key ending in `/`, an empty directory.
    private func populate(_ share: Share, base: String = "", _ keys: [String]) async throws {
        for key in keys {
            let isDirectory = key.hasSuffix("/")
            let parts = (isDirectory ? String(key.dropLast()) : key).split(separator: "/").map(String.init)
            var path = base
            for (i, part) in parts.enumerated() {
                path = path.isEmpty ? part : path + "/" + part
                if i < parts.count - 1 || isDirectory {
                    if !(try await share.exists(path)) { try await share.createDirectory(path) }
                } else {
                    try await share.createFile(path, length: UInt64(key.utf8.count))
                }
            }
        }
    }

    /// `keys` in S3 order: UTF-8 binary order of the whole key.
    private func binarySorted(_ keys: [String]) -> [String] {
        keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// What S3 lists for the flat key set `keys` (files and `dir/` empty directories): a
    /// straightforward model over the whole set, independent of the tree walk. Common
    /// prefixes are marked with a leading "P:", keys with "K:".
    private func reference(_ keys: [String], prefix: String = "", delimiter: String? = nil,
                           after: String? = nil) -> [String] {
        let p = Array(prefix.utf8)
        var out: [[UInt8]: String] = [:]
        for key in keys {
            let k = Array(key.utf8)
            guard k.starts(with: p) else { continue }
            var entry = k
            var isPrefix = false
            if let delimiter, !delimiter.isEmpty {
                let d = Array(delimiter.utf8)
                var i = p.count
                while i + d.count <= k.count {
                    if Array(k[i..<(i + d.count)]) == d {
                        entry = Array(k[..<(i + d.count)])
                        isPrefix = true
                        break
                    }
                    i += 1
                }
            }
            if let after, !Array(after.utf8).lexicographicallyPrecedes(entry) { continue }
            out[entry] = (isPrefix ? "P:" : "K:") + String(decoding: entry, as: UTF8.self)
        }
        return out.keys.sorted { $0.lexicographicallyPrecedes($1) }.compactMap { out[$0] }
    }

    /// The entries of one page in S3 order, marked as ``reference(_:prefix:delimiter:after:)`` does.
    private func entries(_ page: ListingPage) -> [String] {
        let all = page.objects.map { (Array($0.key.utf8), "K:" + $0.key) } + page.commonPrefixes.map { (Array($0.utf8), "P:" + $0) }
        return all.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
    }

    /// Every entry of the listing, read page by page with `pageSize`, checking each page's
    /// size, truncation flag and marker.
    private func listAll(_ share: Share, base: String = "", prefix: String = "", delimiter: String? = nil,
                         pageSize: Int, after start: String? = nil, maxPages: Int = 100_000,
                         sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        var all: [String] = []
        var after = start
        var pages = 0
        while pages < maxPages {
            let page = try await BucketListing.page(share, base: base, prefix: prefix, delimiter: delimiter,
                                                    after: after, maxKeys: pageSize)
            pages += 1
            let got = entries(page)
            if let after, let first = got.first,
               !Array(after.utf8).lexicographicallyPrecedes(Array(first.dropFirst(2).utf8)) {
                Issue.record("page after '\(after)' starts with '\(first)'", sourceLocation: sourceLocation)
                break
            }
            #expect(got.count <= pageSize, sourceLocation: sourceLocation)
            #expect(page.nextMarker == got.last.map { String($0.dropFirst(2)) }, sourceLocation: sourceLocation)
            all += got
            if !page.isTruncated { break }
            #expect(got.count == pageSize, "a truncated page must be full", sourceLocation: sourceLocation)
            guard let next = page.nextMarker else {
                Issue.record("truncated page without a marker", sourceLocation: sourceLocation)
                break
            }
            after = next
        }
        return all
    }

    /// The keys of a one-page listing (objects only).
    private func keys(_ share: Share, base: String = "", prefix: String = "", delimiter: String? = nil,
                      after: String? = nil) async throws -> (objects: [String], prefixes: [String]) {
        let page = try await BucketListing.page(share, base: base, prefix: prefix, delimiter: delimiter,
                                                after: after, maxKeys: 1000)
        #expect(!page.isTruncated)
        return (page.objects.map(\.key), page.commonPrefixes)
    }

    private func keyed(_ keys: [String]) -> [String] { keys.map { "K:" + $0 } }

    // MARK: Order

    @Test func binaryOrderOfWholeKeys() async throws {
        let f = try await Fixture.make(caseSensitive: true)
        let keys = ["a/x", "a.b/x", "a-c", "a b", "ab", "B", "b", "Zed/y", "é.txt", "e\u{301}x", "z", "日本/語",
                    "~tilde", "A/inner/deep.txt", "a/y/z", "a/y.txt", "a/y-1"]
        try await populate(f.share, keys)
        let page = try await BucketListing.page(f.share, base: "", prefix: "", delimiter: nil, after: nil, maxKeys: 1000)
        let listed = page.objects.map(\.key)
        #expect(listed == binarySorted(keys))
        #expect(!page.isTruncated)
        #expect(page.commonPrefixes.isEmpty)
        #expect(page.nextMarker == listed.last)
        // The cases that a per-directory name order gets wrong.
        func position(_ key: String) -> Int { listed.firstIndex(of: key) ?? -1 }
        #expect(position("a.b/x") < position("a/x"))    // '.' < '/'
        #expect(position("a-c") < position("a/x"))      // '-' < '/'
        #expect(position("a/x") < position("ab"))       // '/' < 'b'
        #expect(position("a/y-1") < position("a/y.txt"))
        #expect(position("a/y.txt") < position("a/y/z"))
        #expect(position("B") < position("a b"))        // uppercase before lowercase
        #expect(position("Zed/y") < position("a b"))
        #expect(position("e\u{301}x") < position("é.txt")) // 'e' (0x65) < 0xC3
        #expect(position("~tilde") < position("é.txt"))   // '~' (0x7E) < 0xC3
        #expect(listed.last == "日本/語")
        // Every object carries its file's properties.
        for object in page.objects {
            #expect(!object.isDirectory)
            #expect(object.properties.size == UInt64(object.key.utf8.count))
            #expect(try object.properties.info.id == (try await f.share.info(object.key)).id)
        }
        await f.finish()
    }

    @Test func caseInsensitiveShareListsStoredCaseInBinaryOrder() async throws {
        let f = try await Fixture.make(caseSensitive: false)
        try await populate(f.share, ["Readme.TXT", "b", "C", "Docs/Guide.md", "docs2/x", "émile", "Émile2"])
        #expect(try await keys(f.share).objects == ["C", "Docs/Guide.md", "Readme.TXT", "b", "docs2/x", "Émile2", "émile"])
        // The engine finds "readme.txt" whatever its case, the S3 prefix is bytewise.
        #expect(try await f.share.exists("README.txt"))
        #expect(try await keys(f.share, prefix: "readme").objects == [])
        #expect(try await keys(f.share, prefix: "Read").objects == ["Readme.TXT"])
        #expect(try await keys(f.share, prefix: "docs/").objects == [])
        #expect(try await keys(f.share, prefix: "Docs/").objects == ["Docs/Guide.md"])
        #expect(try await keys(f.share, prefix: "d").objects == ["docs2/x"])
        #expect(try await keys(f.share, prefix: "É").objects == ["Émile2"])
        let rolled = try await keys(f.share, delimiter: "/")
        #expect(rolled.objects == ["C", "Readme.TXT", "b", "Émile2", "émile"])
        #expect(rolled.prefixes == ["Docs/", "docs2/"])
        #expect(try await keys(f.share, after: "Docs/Guide.md").objects == ["Readme.TXT", "b", "docs2/x", "Émile2", "émile"])
        await f.finish()
    }

    // MARK: Directories

    @Test func emptyDirectoriesAreObjectsEndingInSlash() async throws {
        let f = try await Fixture.make()
        try await populate(f.share, ["d/", "e/f/", "g/h", "g/i/", "j"])
        let page = try await BucketListing.page(f.share, base: "", prefix: "", delimiter: nil, after: nil, maxKeys: 1000)
        #expect(page.objects.map(\.key) == ["d/", "e/f/", "g/h", "g/i/", "j"])
        #expect(page.objects.map(\.isDirectory) == [true, true, false, true, false])
        for object in page.objects where object.isDirectory {
            #expect(object.properties.kind == .directory)
            #expect(object.properties.size == 0)
            #expect(try object.properties.info.id == (try await f.share.info(String(object.key.dropLast()))).id)
        }
        // A directory that gains a child stops being an object; one that loses its last child
        // becomes one.
        try await f.share.createFile("d/new")
        try await f.share.deleteFile("g/h")
        #expect(try await keys(f.share).objects == ["d/new", "e/f/", "g/i/", "j"])
        try await f.share.deleteDirectory("g/i")
        #expect(try await keys(f.share).objects == ["d/new", "e/f/", "g/", "j"])

        // Under "/", an empty directory rolls up like any key below it.
        let rolled = try await keys(f.share, delimiter: "/")
        #expect(rolled.objects == ["j"])
        #expect(rolled.prefixes == ["d/", "e/", "g/"])
        #expect(try await keys(f.share, prefix: "e/", delimiter: "/").prefixes == ["e/f/"])
        let exact = try await keys(f.share, prefix: "e/f/", delimiter: "/")
        #expect(exact.objects == ["e/f/"])
        #expect(exact.prefixes == [])
        #expect(try await keys(f.share, prefix: "g", delimiter: "/").prefixes == ["g/"])
        #expect(try await keys(f.share, prefix: "g/").objects == ["g/"])
        await f.finish()
    }

    // MARK: Delimiters

    @Test func slashDelimiterRollsUpDirectories() async throws {
        let f = try await Fixture.make()
        let all = ["foo/bar", "foo/baz/xyzzy", "quux/thud", "asdf"]
        try await populate(f.share, all)
        let top = try await keys(f.share, delimiter: "/")
        #expect(top.objects == ["asdf"])
        #expect(top.prefixes == ["foo/", "quux/"])
        let foo = try await keys(f.share, prefix: "foo/", delimiter: "/")
        #expect(foo.objects == ["foo/bar"])
        #expect(foo.prefixes == ["foo/baz/"])
        #expect(try await listAll(f.share, delimiter: "/", pageSize: 1) == reference(all, delimiter: "/"))
        await f.finish()
    }

    @Test func commonPrefixesCountTowardMaxKeys() async throws {
        // As ceph s3-tests' test_bucket_list_delimiter_prefix_underscore expects.
        let f = try await Fixture.make()
        try await populate(f.share, ["_obj1_", "_under1/bar", "_under1/baz/xyzzy", "_under2/thud", "_under2/bla"])
        func page(_ prefix: String, _ after: String?, _ max: Int) async throws -> ListingPage {
            try await BucketListing.page(f.share, base: "", prefix: prefix, delimiter: "/", after: after, maxKeys: max)
        }
        var p = try await page("", nil, 1)
        #expect(p.objects.map(\.key) == ["_obj1_"] && p.commonPrefixes == [] && p.isTruncated && p.nextMarker == "_obj1_")
        p = try await page("", p.nextMarker, 1)
        #expect(p.objects.isEmpty && p.commonPrefixes == ["_under1/"] && p.isTruncated && p.nextMarker == "_under1/")
        p = try await page("", p.nextMarker, 1)
        #expect(p.objects.isEmpty && p.commonPrefixes == ["_under2/"] && !p.isTruncated && p.nextMarker == "_under2/")
        p = try await page("", nil, 2)
        #expect(p.objects.map(\.key) == ["_obj1_"] && p.commonPrefixes == ["_under1/"] && p.isTruncated)
        p = try await page("", p.nextMarker, 2)
        #expect(p.objects.isEmpty && p.commonPrefixes == ["_under2/"] && !p.isTruncated)
        p = try await page("_under1/", nil, 1)
        #expect(p.objects.map(\.key) == ["_under1/bar"] && p.commonPrefixes == [] && p.isTruncated)
        p = try await page("_under1/", p.nextMarker, 1)
        #expect(p.objects.isEmpty && p.commonPrefixes == ["_under1/baz/"] && !p.isTruncated)
        p = try await page("_under1/", nil, 2)
        #expect(p.objects.map(\.key) == ["_under1/bar"] && p.commonPrefixes == ["_under1/baz/"] && !p.isTruncated)
        await f.finish()
    }

    @Test func otherDelimiters() async throws {
        let f = try await Fixture.make(caseSensitive: true)
        let all = ["b%ar", "b%az", "c%ab", "foo", "x/ya/1", "x/yb", "xa", "p/a", "p/b1", "p/b2/c", "aq/bx", "aq/c", "m-n/o-p/"]
        try await populate(f.share, all)
        let percent = try await keys(f.share, delimiter: "%")
        #expect(percent.prefixes == ["b%", "c%"])
        #expect(percent.objects == ["aq/bx", "aq/c", "foo", "m-n/o-p/", "p/a", "p/b1", "p/b2/c", "x/ya/1", "x/yb", "xa"])
        // A one-letter delimiter inside and across directory names.
        let a = try await keys(f.share, delimiter: "a")
        #expect(a.prefixes == ["a", "b%a", "c%a", "p/a", "x/ya", "xa"])
        #expect(a.objects == ["foo", "m-n/o-p/", "p/b1", "p/b2/c", "x/yb"])
        // A delimiter of several bytes, also spanning a "/".
        let slashB = try await keys(f.share, delimiter: "/b")
        #expect(slashB.prefixes == ["aq/b", "p/b"])
        let spanning = try await keys(f.share, delimiter: "q/b")
        #expect(spanning.prefixes == ["aq/b"])
        #expect(spanning.objects.contains("aq/c"))
        // "-" rolls up a directory whose name holds it, and the empty directory inside.
        let dash = try await keys(f.share, delimiter: "-")
        #expect(dash.prefixes == ["m-"])
        #expect(try await keys(f.share, prefix: "m-", delimiter: "-").prefixes == ["m-n/o-"])
        // A delimiter that never occurs, and the empty delimiter, list every key.
        #expect(try await keys(f.share, delimiter: "\n").objects == binarySorted(all))
        #expect(try await keys(f.share, delimiter: "").objects == binarySorted(all))
        for delimiter in ["%", "a", "/b", "q/b", "-", "/", "y"] {
            for prefix in ["", "x", "x/", "p/b", "aq"] {
                for pageSize in [1, 3, 1000] {
                    #expect(try await listAll(f.share, prefix: prefix, delimiter: delimiter, pageSize: pageSize)
                            == reference(all, prefix: prefix, delimiter: delimiter),
                            "delimiter '\(delimiter)' prefix '\(prefix)' page size \(pageSize)")
                }
            }
        }
        await f.finish()
    }

    // MARK: Prefix

    @Test func prefixesEndingMidNameAndMidPath() async throws {
        let f = try await Fixture.make(caseSensitive: true)
        let all = ["foo/bar", "foo/baz/xyzzy", "foo.txt", "fox", "quux/thud", "asdf", "Foo/upper", "foo/baz2/", "fo"]
        try await populate(f.share, all)
        #expect(try await keys(f.share, prefix: "fo").objects == ["fo", "foo.txt", "foo/bar", "foo/baz/xyzzy", "foo/baz2/", "fox"])
        #expect(try await keys(f.share, prefix: "foo/ba").objects == ["foo/bar", "foo/baz/xyzzy", "foo/baz2/"])
        #expect(try await keys(f.share, prefix: "foo/baz").objects == ["foo/baz/xyzzy", "foo/baz2/"])
        #expect(try await keys(f.share, prefix: "foo/baz/").objects == ["foo/baz/xyzzy"])
        #expect(try await keys(f.share, prefix: "foo/baz/xyzzy").objects == ["foo/baz/xyzzy"])
        #expect(try await keys(f.share, prefix: "foo/baz/xyzzy/").objects == [])
        #expect(try await keys(f.share, prefix: "foo/baz/xyzzy/deeper").objects == [])
        #expect(try await keys(f.share, prefix: "d").objects == [])
        #expect(try await keys(f.share, prefix: "F").objects == ["Foo/upper"])
        #expect(try await keys(f.share, prefix: "foo//").objects == [])
        #expect(try await keys(f.share, prefix: "\n").objects == [])
        let rolled = try await keys(f.share, prefix: "fo", delimiter: "/")
        #expect(rolled.objects == ["fo", "foo.txt", "fox"])
        #expect(rolled.prefixes == ["foo/"])
        let mid = try await keys(f.share, prefix: "foo/ba", delimiter: "/")
        #expect(mid.objects == ["foo/bar"])
        #expect(mid.prefixes == ["foo/baz/", "foo/baz2/"])
        for prefix in ["", "f", "fo", "foo", "foo/", "foo/b", "foo/baz", "foo/baz2/", "q", "zzz"] {
            for delimiter in [nil, "/"] as [String?] {
                #expect(try await listAll(f.share, prefix: prefix, delimiter: delimiter, pageSize: 2)
                        == reference(all, prefix: prefix, delimiter: delimiter), "prefix '\(prefix)'")
            }
        }
        await f.finish()
    }

    // MARK: Marker

    @Test func afterMarker() async throws {
        let f = try await Fixture.make()
        let all = ["a/1", "a/2", "b/c/1", "b/c/2", "b/d", "c"]
        try await populate(f.share, all)
        // Inside a subtree: resumes within it.
        #expect(try await keys(f.share, after: "b/c/1").objects == ["b/c/2", "b/d", "c"])
        // A directory's path without its slash, and with it: everything below still follows.
        #expect(try await keys(f.share, after: "b/c").objects == ["b/c/1", "b/c/2", "b/d", "c"])
        #expect(try await keys(f.share, after: "b/c/").objects == ["b/c/1", "b/c/2", "b/d", "c"])
        // A key that does not exist, between two.
        #expect(try await keys(f.share, after: "b/c/15").objects == ["b/c/2", "b/d", "c"])
        #expect(try await keys(f.share, after: "a").objects == all)
        #expect(try await keys(f.share, after: "").objects == all)
        // Equal to a common prefix: the whole prefix is skipped.
        let skipB = try await keys(f.share, delimiter: "/", after: "b/")
        #expect(skipB.objects == ["c"])
        #expect(skipB.prefixes == [])
        // Inside a common prefix: the prefix sorts before the marker, so it is not listed again.
        let insideA = try await keys(f.share, delimiter: "/", after: "a/1")
        #expect(insideA.prefixes == ["b/"])
        #expect(insideA.objects == ["c"])
        // Before a common prefix.
        #expect(try await keys(f.share, delimiter: "/", after: "a").prefixes == ["a/", "b/"])
        // Past the end.
        for after in ["c", "zzz", "\u{10FFFF}"] {
            let page = try await BucketListing.page(f.share, base: "", prefix: "", delimiter: nil, after: after, maxKeys: 1000)
            #expect(page.objects.isEmpty && page.commonPrefixes.isEmpty && !page.isTruncated && page.nextMarker == nil)
        }
        for after in ["", "a", "a/", "a/1", "a/15", "b", "b/c", "b/c/", "b/c/1", "b/d", "b0", "c", "d"] {
            for delimiter in [nil, "/"] as [String?] {
                let page = try await BucketListing.page(f.share, base: "", prefix: "", delimiter: delimiter,
                                                        after: after, maxKeys: 1000)
                #expect(entries(page) == reference(all, delimiter: delimiter, after: after), "after '\(after)'")
            }
        }
        await f.finish()
    }

    @Test func maxKeysAndTruncation() async throws {
        let f = try await Fixture.make()
        try await populate(f.share, ["bar", "baz", "foo", "quxx"])
        func page(_ max: Int, after: String? = nil) async throws -> ListingPage {
            try await BucketListing.page(f.share, base: "", prefix: "", delimiter: nil, after: after, maxKeys: max)
        }
        // As ceph s3-tests' test_bucket_list_maxkeys_zero expects: empty and not truncated.
        let zero = try await page(0)
        #expect(zero.objects.isEmpty && zero.commonPrefixes.isEmpty && !zero.isTruncated && zero.nextMarker == nil)
        let one = try await page(1)
        #expect(one.objects.map(\.key) == ["bar"] && one.isTruncated && one.nextMarker == "bar")
        let rest = try await page(1000, after: "bar")
        #expect(rest.objects.map(\.key) == ["baz", "foo", "quxx"] && !rest.isTruncated && rest.nextMarker == "quxx")
        let three = try await page(3)
        #expect(three.objects.map(\.key) == ["bar", "baz", "foo"] && three.isTruncated && three.nextMarker == "foo")
        let four = try await page(4)
        #expect(four.objects.count == 4 && !four.isTruncated && four.nextMarker == "quxx")
        let last = try await page(1, after: "foo")
        #expect(last.objects.map(\.key) == ["quxx"] && !last.isTruncated)
        await f.finish()
    }

    // MARK: Pagination

    @Test func paginationOf2500KeysInOneDirectory() async throws {
        let f = try await Fixture.make() // case-insensitive, as shares are by default
        let stems = ["a", "A-", "a.b", "a-b", "é", "Z", "z ", "日"]
        let all = (0..<2500).map { i in stems[i % stems.count] + String(i * 7919 % 10007) }
        #expect(Set(all.map { $0.uppercased() }).count == 2500)
        try await populate(f.share, all)
        let expected = binarySorted(all).map { "K:" + $0 }
        for pageSize in [1000, 97] {
            #expect(try await listAll(f.share, pageSize: pageSize) == expected, "page size \(pageSize)")
        }
        // Each page reads the whole directory (see BucketListing), which takes a debug build
        // about 0.15 s for 2,500 entries: pages of 1 and 7 are checked in windows of 10
        // consecutive pages at the start, in the middle and at the end.
        for pageSize in [1, 7] {
            for start in [nil, 1249, 2480] as [Int?] {
                let after = start.map { String(expected[$0].dropFirst(2)) }
                let from = start.map { $0 + 1 } ?? 0
                let want = Array(expected[from..<min(expected.count, from + 10 * pageSize)])
                #expect(try await listAll(f.share, pageSize: pageSize, after: after, maxPages: 10) == want,
                        "page size \(pageSize) after \(after ?? "nil")")
            }
        }
        // With a prefix and a delimiter that rolls up part of the names.
        #expect(try await listAll(f.share, prefix: "a", delimiter: "-", pageSize: 250)
                == reference(all, prefix: "a", delimiter: "-"))
        #expect(try await listAll(f.share, delimiter: ".", pageSize: 1000) == reference(all, delimiter: "."))
        await f.finish()
    }

    /// A deterministic tree of files and empty directories with names that sort differently
    /// bytewise than by folded name.
    private func generatedTree(seed: UInt64) -> [String] {
        var x = seed | 1
        func next(_ n: Int) -> Int {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            return Int(x % UInt64(n))
        }
        let stems = ["a", "A", "a.b", "a-b", "ab", "b", "é", "e\u{301}", "日", "z", "Z_", "x y", "~"]
        var counter = 0
        var keys: [String] = []
        func fill(_ dir: String, depth: Int) {
            let count = depth == 0 ? 14 : 1 + next(6)
            for _ in 0..<count {
                counter += 1
                let name = stems[next(stems.count)] + String(counter)
                let path = dir + name
                switch depth >= 4 ? 0 : next(10) {
                case 0..<5: keys.append(path)
                case 5: keys.append(path + "/")
                default: fill(path + "/", depth: depth + 1)
                }
            }
        }
        fill("", depth: 0)
        return keys
    }

    @Test func paginationOfANestedTree() async throws {
        let f = try await Fixture.make(caseSensitive: true)
        let all = generatedTree(seed: 42)
        #expect(all.count > 100)
        #expect(all.contains { $0.hasSuffix("/") })
        #expect(all.contains { $0.split(separator: "/").count >= 4 })
        try await populate(f.share, all)
        let expected = binarySorted(all).map { "K:" + $0 }
        for pageSize in [1, 7, 1000] {
            #expect(try await listAll(f.share, pageSize: pageSize) == expected, "page size \(pageSize)")
        }
        // Under "/" and with prefixes taken from the tree (a directory, and one cut mid-name).
        let deepKey = try #require(all.first { $0.split(separator: "/").count >= 3 })
        let someDir = try #require(deepKey.firstIndex(of: "/").map { String(deepKey[...$0]) })
        let midName = String(someDir.dropLast().dropLast())
        for prefix in ["", someDir, midName, "a"] {
            for pageSize in [1, 7, 1000] {
                #expect(try await listAll(f.share, prefix: prefix, delimiter: "/", pageSize: pageSize)
                        == reference(all, prefix: prefix, delimiter: "/"), "prefix '\(prefix)' page size \(pageSize)")
            }
            #expect(try await listAll(f.share, prefix: prefix, pageSize: 7) == reference(all, prefix: prefix))
        }
        await f.finish()
    }

    /// The objects of a page carry their properties and known MD5 exactly as the engine reads
    /// them (a streamed directory reads them with its names, a sorted one after the walk), on
    /// every page, and an empty directory's too.
    @Test func pagesCarryEachObjectsProperties() async throws {
        for caseSensitive in [true, false] {
            let f = try await Fixture.make(caseSensitive: caseSensitive)
            try await f.share.createDirectory("d")
            try await f.share.createDirectory("d/empty")
            for index in 0..<30 {
                try await f.share.upload("d/f\(index)", from: ByteChunks(chunks: [Array("content \(index)".utf8)]))
            }
            try await f.share.createFile("d/sparse", length: 100)
            var after: String?
            var seen: [String] = []
            repeat {
                let page = try await BucketListing.page(f.share, base: "", prefix: "d/", delimiter: nil, after: after, maxKeys: 7)
                for object in page.objects {
                    let path = object.isDirectory ? String(object.key.dropLast()) : object.key
                    let expected = try #require(try await f.share.infos([path]).first ?? nil)
                    #expect(object.properties == expected, "\(object.key)")
                    #expect(try object.properties.info == expected.info, "\(object.key)")
                    #expect(object.md5 == expected.md5, "\(object.key)")
                }
                seen += page.objects.map(\.key)
                after = page.isTruncated ? page.nextMarker : nil
            } while after != nil
            #expect(seen.count == 32, "case-sensitive: \(caseSensitive)")
            #expect(seen.contains("d/empty/"))
            await f.finish()
        }
    }

    /// In a case-sensitive share directories are streamed in name order: a directory `d` must
    /// still come after the names between `d` and `d/` (`d!`, `d-1`, `d.txt`), on every page
    /// and after every marker, and long names sharing their first 240 bytes (stored in hash
    /// order) in byte order.
    @Test func streamedDirectoriesSortAfterNamesBelowSlash() async throws {
        let f = try await Fixture.make(caseSensitive: true)
        let long = String(repeating: "L", count: 240)
        let all = ["d/inner", "d/z/deep", "d!", "d-1", "d-1/x", "d.txt", "d0", "d", "e/", "c-/", "c-1",
                   "a/b-", "a/b/c", "a/b.c", "a-", long + "c", long + "a", long + "b/x", long + "bb", "top"]
            .filter { $0 != "d" && $0 != "d-1" }
        try await populate(f.share, all)
        let expected = binarySorted(all).map { "K:" + $0 }
        for pageSize in [1, 2, 3, 5, 1000] {
            #expect(try await listAll(f.share, pageSize: pageSize) == expected, "page size \(pageSize)")
        }
        for after in ["d", "d-", "d-1", "d-1/", "d-1/x", "d.", "d/", "d/inner", "d/z", "a/b", "a/b-", "c-", long, long + "b"] {
            let rest = expected.filter { Array($0.dropFirst(2).utf8).lexicographicallyPrecedes(Array(after.utf8)) == false
                && $0.dropFirst(2) != after }
            #expect(try await listAll(f.share, pageSize: 2, after: after) == rest, "after '\(after)'")
        }
        for prefix in ["d", "d-", "d/", "a/b", long] {
            for delimiter in [nil, "/", "-"] as [String?] {
                #expect(try await listAll(f.share, prefix: prefix, delimiter: delimiter, pageSize: 2)
                        == reference(all, prefix: prefix, delimiter: delimiter), "prefix '\(prefix)' delimiter \(delimiter ?? "none")")
            }
        }
        await f.finish()
    }

    // MARK: Buckets on directories, snapshots, errors

    @Test func directoryBucketListsRelativeKeys() async throws {
        let f = try await Fixture.make()
        try await f.share.createDirectory("data")
        try await f.share.createDirectory("data/photos")
        try await populate(f.share, ["outside.txt", "data/sibling.txt"])
        // An empty base lists nothing: the base itself is never an object.
        let empty = try await BucketListing.page(f.share, base: "data/photos", prefix: "", delimiter: nil, after: nil, maxKeys: 1000)
        #expect(empty.objects.isEmpty && empty.commonPrefixes.isEmpty && !empty.isTruncated)
        try await populate(f.share, base: "data/photos", ["2024/a.jpg", "2024/b.jpg", "album/", "cover.png"])
        #expect(try await keys(f.share, base: "data/photos").objects == ["2024/a.jpg", "2024/b.jpg", "album/", "cover.png"])
        #expect(try await keys(f.share, base: "/data/photos/").objects == ["2024/a.jpg", "2024/b.jpg", "album/", "cover.png"])
        let rolled = try await keys(f.share, base: "data/photos", delimiter: "/")
        #expect(rolled.prefixes == ["2024/", "album/"])
        #expect(rolled.objects == ["cover.png"])
        #expect(try await keys(f.share, base: "data/photos", prefix: "2024/b").objects == ["2024/b.jpg"])
        let object = try #require(try await BucketListing.page(f.share, base: "data/photos", prefix: "cover", delimiter: nil,
                                                               after: nil, maxKeys: 1).objects.first)
        #expect(try object.properties.info.id == (try await f.share.info("data/photos/cover.png")).id)
        await f.finish()
    }

    @Test func missingBaseShareOrFileBaseThrowsTheEngineError() async throws {
        let f = try await Fixture.make()
        try await populate(f.share, ["file.txt"])
        func code(_ share: Share, base: String, maxKeys: Int) async -> ShareCoreError.Code? {
            do {
                _ = try await BucketListing.page(share, base: base, prefix: "", delimiter: "/", after: nil, maxKeys: maxKeys)
                return nil
            } catch let error as ShareCoreError {
                return error.code
            } catch {
                Issue.record("unexpected error \(error)")
                return nil
            }
        }
        for maxKeys in [0, 1, 1000] {
            #expect(await code(f.share, base: "missing", maxKeys: maxKeys) == .resourceNotFound)
            #expect(await code(f.share, base: "missing/deeper", maxKeys: maxKeys) != nil)
            #expect(await code(f.share, base: "file.txt", maxKeys: maxKeys) == .notADirectory)
            #expect(await code(f.store.share("nosuchshare"), base: "", maxKeys: maxKeys) == .shareNotFound)
        }
        await f.finish()
    }

    @Test func snapshotsListTheirOwnTree() async throws {
        let f = try await Fixture.make()
        let before = ["keep/a", "keep/b", "gone.txt", "empty/"]
        try await populate(f.share, before)
        let snapshot = try await f.store.createSnapshot(of: "bkt")
        try await f.share.deleteFile("gone.txt")
        try await f.share.deleteFile("keep/a")
        try await populate(f.share, ["new.txt", "empty/now-full"])
        let old = f.store.share("bkt", snapshot: snapshot.name)
        #expect(try await listAll(old, pageSize: 1) == reference(before))
        #expect(try await keys(old, delimiter: "/").prefixes == ["empty/", "keep/"])
        #expect(try await listAll(f.share, pageSize: 1) == reference(["keep/b", "new.txt", "empty/now-full"]))
        await f.finish()
    }
}
