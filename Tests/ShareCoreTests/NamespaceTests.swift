import Foundation
import Testing
@testable import ShareCore

@Suite struct NamespaceTests {
    /// A store with one share, `docs` (case-insensitive unless asked).
    private func makeShare(caseSensitive: Bool = false) async throws -> (TempStore, Share) {
        let t = try await TempStore.make()
        try await t.store.createShare("docs", options: ShareOptions(caseSensitive: caseSensitive))
        return (t, t.store.share("docs"))
    }

    /// All names of directory `path`, read page by page with `maxResults`.
    private func allNames(_ share: Share, _ path: String = "", prefix: String = "", maxResults: Int) async throws -> [String] {
        var names: [String] = []
        var marker: String?
        repeat {
            let page = try await share.list(path, prefix: prefix, marker: marker, maxResults: maxResults)
            #expect(page.entries.count <= maxResults)
            names += page.entries.map(\.name)
            marker = page.nextMarker
        } while marker != nil
        return names
    }

    // MARK: Create directory and info

    @Test func createDirectory() async throws {
        let (t, docs) = try await makeShare()
        let before = FileTime.now()
        let a = try await docs.createDirectory("a")
        #expect(a.kind == .directory)
        #expect(a.isDirectory)
        #expect(a.name == "a")
        #expect(a.parentId == 1)
        #expect(a.id >= 2)
        #expect(a.size == 0)
        #expect(a.smb.attributes.contains(.directory))
        #expect(a.metadata.isEmpty)
        #expect(a.lastModified >= before)
        #expect(a.smb.creationTime == a.lastModified)
        #expect(a.smb.lastWriteTime == a.lastModified)
        #expect(a.smb.changeTime == a.lastModified)
        #expect(a.etag.hasPrefix("0x"))
        #expect(try await docs.info("a") == a)
        #expect(try await docs.info("/a/") == a)

        let b = try await docs.createDirectory("a/b")
        #expect(b.parentId == a.id)
        #expect(b.id != a.id)
        let c = try await docs.createDirectory("a/b/c")
        #expect(c.parentId == b.id)
        #expect(try await docs.info("a/b/c") == c)
        #expect(try await docs.exists("a/b/c"))
        #expect(try await docs.exists("a/b/x") == false)
        #expect(try await docs.exists("a/x/y") == false)
        #expect(try await t.store.shareStats("docs").nodeCount == 3)
        #expect(try await docs.list("a").entries.map(\.name) == ["b"])
        try await t.finish()
    }

    @Test func createDirectoryWithProperties() async throws {
        let (t, docs) = try await makeShare()
        let created = FileTime(ticks: 1_000_000_000_000_000)
        let written = FileTime(ticks: 1_100_000_000_000_000)
        let changed = FileTime(ticks: 1_200_000_000_000_000)
        let dir = try await docs.createDirectory("d", properties: NodeProperties(
            attributes: [.hidden, .system], creationTime: created, lastWriteTime: written, changeTime: changed,
            permissionKey: "perm-123", nfs: NFSProperties(mode: 0o750, owner: 1000, group: 100),
            metadata: ["Purpose": "test"]))
        #expect(dir.smb.attributes == [.hidden, .system, .directory])
        #expect(dir.smb.creationTime == created)
        #expect(dir.smb.lastWriteTime == written)
        #expect(dir.smb.changeTime == changed)
        #expect(dir.smb.permissionKey == "perm-123")
        #expect(dir.nfs == NFSProperties(mode: 0o750, owner: 1000, group: 100))
        #expect(dir.metadata["purpose"] == "test")
        #expect(try await docs.info("d") == dir)
        try await t.finish()
    }

    @Test func createDirectoryErrorsChangeNothing() async throws {
        let (t, docs) = try await makeShare()
        try await docs.createDirectory("dir")
        try await docs.createFile("file.txt", length: 1)
        try await docs.createFile("dir/inner.txt", length: 1)
        let state = try await ShareCoreObservableState.capture(t.store)

        await expectError(.parentNotFound) { try await docs.createDirectory("missing/child") }
        await expectError(.parentNotFound) { try await docs.createDirectory("missing/deeper/child") }
        await expectError(.parentNotFound) { try await docs.createDirectory("dir/missing/child") }
        await expectError(.resourceAlreadyExists) { try await docs.createDirectory("dir") }
        await expectError(.resourceAlreadyExists) { try await docs.createDirectory("DIR") }
        await expectError(.resourceAlreadyExists) { try await docs.createDirectory("file.txt") }
        await expectError(.resourceAlreadyExists) { try await docs.createDirectory("dir/inner.txt") }
        await expectError(.resourceAlreadyExists) { try await docs.createDirectory("") }
        await expectError(.resourceAlreadyExists) { try await docs.createDirectory("/") }
        await expectError(.notADirectory) { try await docs.createDirectory("file.txt/sub") }
        await expectError(.notADirectory) { try await docs.createDirectory("file.txt/sub/deeper") }
        await expectError(.notADirectory) { try await docs.createDirectory("dir/inner.txt/sub") }
        await expectError(.invalidMetadata) {
            try await docs.createDirectory("meta", properties: NodeProperties(metadata: Metadata(trusted: [("9 x", "x")])))
        }
        await expectError(.shareNotFound) { try await t.store.share("other").createDirectory("x") }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)
        try await t.finish()
    }

    @Test func infoErrors() async throws {
        let (t, docs) = try await makeShare()
        try await docs.createDirectory("dir")
        try await docs.createFile("dir/f", length: 1)
        await expectError(.resourceNotFound) { try await docs.info("nope") }
        await expectError(.resourceNotFound) { try await docs.info("dir/nope") }
        await expectError(.parentNotFound) { try await docs.info("nope/x") }
        await expectError(.parentNotFound) { try await docs.info("dir/nope/x") }
        await expectError(.notADirectory) { try await docs.info("dir/f/x") }
        await expectError(.notADirectory) { try await docs.list("dir/f") }
        await expectError(.resourceNotFound) { try await docs.list("nope") }
        await expectError(.parentNotFound) { try await docs.list("nope/x") }
        #expect(try await docs.exists("dir/f/x") == false)
        try await t.finish()
    }

    // MARK: Properties and metadata

    @Test func setDirectoryProperties() async throws {
        let (t, docs) = try await makeShare()
        let created = try await docs.createDirectory("d", properties: NodeProperties(permissionKey: "k1"))

        let hidden = try await docs.setProperties("d", NodeProperties(attributes: .hidden))
        #expect(hidden.smb.attributes == [.hidden, .directory])
        #expect(hidden.smb.permissionKey == "k1")
        #expect(hidden.smb.creationTime == created.smb.creationTime)
        #expect(hidden.smb.lastWriteTime == created.smb.lastWriteTime)
        #expect(hidden.smb.changeTime == hidden.lastModified)
        #expect(hidden.lastModified > created.lastModified)
        #expect(hidden.etag != created.etag)
        #expect(hidden.id == created.id)
        #expect(try await docs.info("d") == hidden)

        let t1 = FileTime(iso8601: "2020-05-06T07:08:09.1234567Z")!
        let t2 = FileTime(iso8601: "2021-05-06T07:08:09.7654321Z")!
        let t3 = FileTime(iso8601: "2022-05-06T07:08:09.5Z")!
        let times = try await docs.setProperties("d", NodeProperties(creationTime: t1, lastWriteTime: t2, changeTime: t3,
                                                                      permissionKey: "k2"))
        #expect(times.smb.creationTime == t1)
        #expect(times.smb.lastWriteTime == t2)
        #expect(times.smb.changeTime == t3)
        #expect(times.smb.permissionKey == "k2")
        #expect(times.smb.attributes == [.hidden, .directory])
        #expect(times.etag != hidden.etag)
        #expect(try await docs.info("d") == times)

        // NFS properties change field by field.
        let mode = try await docs.setProperties("d", NodeProperties(nfs: NFSProperties(mode: 0o700)))
        #expect(mode.nfs == NFSProperties(mode: 0o700))
        let owner = try await docs.setProperties("d", NFSPropertiesUpdate.owner(42, group: 7))
        #expect(owner.nfs == NFSProperties(mode: 0o700, owner: 42, group: 7))
        #expect(owner.smb.creationTime == t1)
        #expect(try await docs.info("d") == owner)

        // Setting directory as an attribute of a directory keeps it; clearing all keeps it too.
        let none = try await docs.setProperties("d", NodeProperties(attributes: []))
        #expect(none.smb.attributes == .directory)

        let meta = try await docs.setMetadata("d", try Metadata([("Alpha", "1"), ("beta", "2")]))
        #expect(meta.metadata["ALPHA"] == "1")
        #expect(meta.metadata.pairs.map(\.name) == ["Alpha", "beta"])
        #expect(meta.smb.permissionKey == "k2")
        #expect(meta.nfs == owner.nfs)
        #expect(meta.etag != none.etag)
        let replaced = try await docs.setMetadata("d", ["gamma": "3"])
        #expect(replaced.metadata == ["gamma": "3"])
        #expect(try await docs.info("d").metadata == ["gamma": "3"])
        // Properties without metadata leave metadata alone.
        let kept = try await docs.setProperties("d", NodeProperties(attributes: .readOnly))
        #expect(kept.metadata == ["gamma": "3"])
        try await t.finish()
    }

    @Test func setPropertiesOnRootAndFiles() async throws {
        let (t, docs) = try await makeShare()
        let root = try await docs.setMetadata("", ["top": "yes"])
        #expect(root.id == 1)
        #expect(root.metadata == ["top": "yes"])
        #expect(try await docs.info("").metadata == ["top": "yes"])

        try await docs.createFile("f", length: 1)
        // A file never carries the directory attribute.
        let f = try await docs.setProperties("f", NodeProperties(
            contentHeaders: ContentHeaders(contentType: "text/plain"), attributes: [.directory, .readOnly]))
        #expect(f.smb.attributes == .readOnly)
        #expect(f.contentHeaders.contentType == "text/plain")
        #expect(try await docs.info("f") == f)
        try await t.finish()
    }

    @Test func setPropertiesErrorsChangeNothing() async throws {
        let (t, docs) = try await makeShare()
        try await docs.createDirectory("d")
        try await docs.createFile("f", length: 1)
        let state = try await ShareCoreObservableState.capture(t.store)
        await expectError(.notAFile) {
            try await docs.setProperties("d", NodeProperties(contentHeaders: ContentHeaders(contentType: "text/plain")))
        }
        await expectError(.notAFile) {
            try await docs.setProperties("", NodeProperties(contentHeaders: ContentHeaders(cacheControl: "no-cache")))
        }
        await expectError(.resourceNotFound) { try await docs.setProperties("nope", NodeProperties(attributes: .hidden)) }
        await expectError(.parentNotFound) { try await docs.setMetadata("nope/x", ["a": "1"]) }
        await expectError(.notADirectory) { try await docs.setMetadata("f/x", ["a": "1"]) }
        await expectError(.invalidMetadata) { try await docs.setMetadata("d", Metadata(trusted: [("a", "1"), ("A", "2")])) }
        await expectError(.invalidMetadata) {
            try await docs.setProperties("d", NodeProperties(attributes: .hidden, metadata: Metadata(trusted: [("-:", "1")])))
        }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)
        try await t.finish()
    }

    // MARK: Listing

    @Test func listIsSortedByName() async throws {
        let (t, docs) = try await makeShare()
        for name in ["pear", "Apple", "banana", "cherry.txt", "apricot"] {
            try await docs.createFile(name, length: 1)
        }
        for name in ["zdir", "Bdir"] { try await docs.createDirectory(name) }
        let page = try await docs.list()
        #expect(page.entries.map(\.name) == ["Apple", "apricot", "banana", "Bdir", "cherry.txt", "pear", "zdir"])
        #expect(page.nextMarker == nil)
        #expect(page.entries.map(\.kind) == [.file, .file, .file, .directory, .file, .file, .directory])
        for entry in page.entries {
            #expect(entry.info == (try await docs.info(entry.name)))
            #expect(entry.info.name == entry.name)
            #expect(entry.info.parentId == 1)
        }
        // Names that are prefixes of others sort first.
        try await docs.createDirectory("zdir/ab")
        try await docs.createDirectory("zdir/a")
        try await docs.createDirectory("zdir/abc")
        try await docs.createDirectory("zdir/b")
        #expect(try await docs.list("zdir").entries.map(\.name) == ["a", "ab", "abc", "b"])
        #expect(try await docs.list("Bdir").entries.isEmpty)
        try await t.finish()
    }

    @Test func listWithPrefix() async throws {
        let (t, docs) = try await makeShare()
        for name in ["log-1", "Log-2", "LOG-3", "lo", "other", "logs"] {
            try await docs.createFile(name, length: 0)
        }
        #expect(try await docs.list(prefix: "log-").entries.map(\.name) == ["log-1", "Log-2", "LOG-3"])
        #expect(try await docs.list(prefix: "LOG").entries.map(\.name) == ["log-1", "Log-2", "LOG-3", "logs"])
        #expect(try await docs.list(prefix: "lo").entries.map(\.name) == ["lo", "log-1", "Log-2", "LOG-3", "logs"])
        #expect(try await docs.list(prefix: "x").entries.isEmpty)
        #expect(try await docs.list(prefix: "other1").entries.isEmpty)
        #expect(try await allNames(docs, prefix: "log", maxResults: 1) == ["log-1", "Log-2", "LOG-3", "logs"])

        let (t2, cs) = try await makeShare(caseSensitive: true)
        for name in ["log-1", "Log-2", "LOG-3", "logs"] {
            try await cs.createFile(name, length: 0)
        }
        #expect(try await cs.list(prefix: "log").entries.map(\.name) == ["log-1", "logs"])
        #expect(try await cs.list(prefix: "LOG").entries.map(\.name) == ["LOG-3"])
        try await t2.finish()
        try await t.finish()
    }

    @Test func listWithLongPrefixBeyondKeyBytes() async throws {
        let (t, docs) = try await makeShare()
        let stem = String(repeating: "n", count: 245)
        let names = ["a", "b", "c"].map { stem + $0 + "-tail" }
        for name in names { try await docs.createFile(name, length: 0) }
        for name in names {
            let prefix = String(name.prefix(246))
            #expect(try await docs.list(prefix: prefix).entries.map(\.name) == [name])
            #expect(try await docs.list(prefix: prefix.uppercased()).entries.map(\.name) == [name])
        }
        #expect(Set(try await docs.list(prefix: stem).entries.map(\.name)) == Set(names))
        #expect(try await docs.list(prefix: stem + "x").entries.isEmpty)
        #expect(Set(try await allNames(docs, prefix: stem, maxResults: 1)) == Set(names))
        #expect(try await allNames(docs, prefix: stem + "b", maxResults: 1) == [names[1]])
        try await t.finish()
    }

    @Test func listPagesWithMarkers() async throws {
        let (t, docs) = try await makeShare()
        let names = (0..<23).map { String(format: "item%02d", $0) }
        for name in names.shuffled() { try await docs.createFile(name, length: 0) }
        for size in [1, 2, 5, 7, 22, 23, 24, 5000] {
            #expect(try await allNames(docs, maxResults: size) == names, "maxResults \(size)")
        }
        var pages: [Int] = []
        var marker: String?
        repeat {
            let page = try await docs.list(marker: marker, maxResults: 10)
            pages.append(page.entries.count)
            marker = page.nextMarker
        } while marker != nil
        #expect(pages == [10, 10, 3])
        // The same marker gives the same page again.
        let first = try await docs.list(maxResults: 4)
        let again1 = try await docs.list(marker: first.nextMarker, maxResults: 4)
        let again2 = try await docs.list(marker: first.nextMarker, maxResults: 4)
        #expect(again1.entries.map(\.name) == ["item04", "item05", "item06", "item07"])
        #expect(again2.entries.map(\.name) == again1.entries.map(\.name))
        try await t.finish()
    }

    @Test func listMarkerIsStableUnderConcurrentChanges() async throws {
        let (t, docs) = try await makeShare()
        let original = ["b", "d", "f", "h", "j", "l", "n"]
        for name in original { try await docs.createFile(name, length: 0) }

        let page1 = try await docs.list(maxResults: 2)
        #expect(page1.entries.map(\.name) == ["b", "d"])
        // Entries inserted before the position already listed must not shift the listing.
        for name in ["a", "c", "A0", "C1"] { try await docs.createFile(name, length: 0) }
        // An entry inserted after the listing position must appear later.
        try await docs.createFile("k", length: 0)
        try await docs.createDirectory("m")

        let page2 = try await docs.list(marker: page1.nextMarker, maxResults: 2)
        #expect(page2.entries.map(\.name) == ["f", "h"])
        // Deleting the entry the listing would resume at does not break the marker.
        try await docs.deleteFile("j")
        let page3 = try await docs.list(marker: page2.nextMarker, maxResults: 2)
        #expect(page3.entries.map(\.name) == ["k", "l"])
        let page4 = try await docs.list(marker: page3.nextMarker, maxResults: 2)
        #expect(page4.entries.map(\.name) == ["m", "n"])
        #expect(page4.nextMarker == nil)

        let listed = [page1, page2, page3, page4].flatMap { $0.entries.map(\.name) }
        #expect(Set(listed).count == listed.count)
        #expect(listed == listed.sorted { $0.uppercased() < $1.uppercased() })
        try await t.finish()
    }

    @Test func listPagingWhileOtherTasksInsert() async throws {
        let (t, docs) = try await makeShare()
        let original = (0..<60).map { String(format: "orig%03d", $0 * 2) }
        for name in original { try await docs.createFile(name, length: 0) }
        let listed = try await withThrowingTaskGroup(of: [String].self) { group in
            group.addTask {
                for i in 0..<60 {
                    try await docs.createFile(String(format: "orig%03d", i * 2 + 1), length: 0)
                    try await docs.createDirectory("new\(i)")
                }
                return []
            }
            group.addTask {
                var names: [String] = []
                var marker: String?
                repeat {
                    let page = try await docs.list(marker: marker, maxResults: 7)
                    names += page.entries.map(\.name)
                    marker = page.nextMarker
                    await Task.yield()
                } while marker != nil
                return names
            }
            var all: [String] = []
            for try await names in group { all += names }
            return all
        }
        // Every entry that existed throughout appears exactly once, in order, with no repeats.
        #expect(Set(listed).count == listed.count)
        #expect(listed.filter { original.contains($0) } == original)
        #expect(listed == listed.sorted { $0.uppercased() < $1.uppercased() })
        #expect(try await docs.list().entries.count == 180)
        try await t.finish()
    }

    @Test func listSnapshotPagesWhileLiveChanges() async throws {
        let (t, docs) = try await makeShare()
        let names = (0..<12).map { "n\(String(format: "%02d", $0))" }
        for name in names { try await docs.createFile(name, length: 0) }
        let snap = try await t.store.createSnapshot(of: "docs")
        let ro = t.store.share("docs", snapshot: snap.name)
        let page1 = try await ro.list(maxResults: 5)
        for name in names.prefix(6) { try await docs.deleteFile(name) }
        try await docs.createFile("n05a", length: 0)
        let page2 = try await ro.list(marker: page1.nextMarker, maxResults: 5)
        let page3 = try await ro.list(marker: page2.nextMarker, maxResults: 5)
        #expect(page3.nextMarker == nil)
        #expect((page1.entries + page2.entries + page3.entries).map(\.name) == names)
        #expect(try await allNames(docs, maxResults: 4) == ["n05a"] + names.dropFirst(6))
        try await t.finish()
    }

    @Test func listRefusesBadArguments() async throws {
        let (t, docs) = try await makeShare()
        for name in ["a", "b", "c"] { try await docs.createFile(name, length: 0) }
        try await t.store.createShare("zzz")
        await expectError(.invalidArgument) { try await docs.list(maxResults: 0) }
        await expectError(.invalidArgument) { try await docs.list(maxResults: -3) }
        await expectError(.invalidArgument) { try await docs.list(maxResults: 5001) }
        await expectError(.invalidArgument) { try await docs.list(marker: "%%%") }
        await expectError(.invalidArgument) { try await docs.list(marker: "") }
        let shareMarker = try #require(try await t.store.listShares(maxResults: 1).nextMarker)
        await expectError(.invalidArgument) { try await docs.list(marker: shareMarker) }
        #expect(try await docs.list(maxResults: 5000).entries.count == 3)
        try await t.finish()
    }

    // MARK: Delete directory

    @Test func deleteDirectory() async throws {
        let (t, docs) = try await makeShare()
        let a = try await docs.createDirectory("a")
        try await docs.createDirectory("a/b")
        try await docs.createFile("a/f", length: 0)
        try await docs.createFile("file", length: 0)
        try await docs.createDirectory("empty")
        let state = try await ShareCoreObservableState.capture(t.store)

        await expectError(.directoryNotEmpty) { try await docs.deleteDirectory("a") }
        await expectError(.invalidMove) { try await docs.deleteDirectory("") }
        await expectError(.invalidMove) { try await docs.deleteDirectory("/") }
        await expectError(.notADirectory) { try await docs.deleteDirectory("file") }
        await expectError(.notADirectory) { try await docs.deleteDirectory("a/f") }
        await expectError(.resourceNotFound) { try await docs.deleteDirectory("nope") }
        await expectError(.parentNotFound) { try await docs.deleteDirectory("nope/x") }
        await expectError(.notAFile) { try await docs.deleteFile("a/b") }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)

        try await docs.deleteDirectory("EMPTY")
        #expect(try await docs.exists("empty") == false)
        try await docs.deleteFile("a/f")
        await expectError(.directoryNotEmpty) { try await docs.deleteDirectory("a") }
        try await docs.deleteDirectory("a/b")
        try await docs.deleteDirectory("a")
        await expectError(.resourceNotFound) { try await docs.info("a") }
        #expect(try await docs.list().entries.map(\.name) == ["file"])
        #expect(try await t.store.shareStats("docs").nodeCount == 1)
        // A new directory with the old name gets a new id.
        let again = try await docs.createDirectory("a")
        #expect(again.id != a.id)
        try await t.finish()
    }

    // MARK: Rename

    @Test func renameFileInPlaceAndAcrossDirectories() async throws {
        let (t, docs) = try await makeShare()
        let src = try await docs.createDirectory("src")
        let dst = try await docs.createDirectory("dst")
        let f = try await docs.createFile("src/a.txt", length: 5, properties: NodeProperties(metadata: ["k": "v"]))
        try await docs.write("src/a.txt", at: 0, Array("hello".utf8))
        let written = try await docs.info("src/a.txt")

        let renamed = try await docs.rename("src/a.txt", to: "src/b.txt")
        #expect(renamed.id == f.id)
        #expect(renamed.name == "b.txt")
        #expect(renamed.parentId == src.id)
        #expect(renamed.metadata == ["k": "v"])
        #expect(renamed.size == 5)
        #expect(renamed.smb.creationTime == written.smb.creationTime)
        #expect(renamed.smb.lastWriteTime == written.smb.lastWriteTime)
        #expect(renamed.smb.changeTime > written.smb.changeTime)
        #expect(try await docs.info("src/b.txt") == renamed)
        #expect(try await docs.exists("src/a.txt") == false)
        #expect(try await docs.read("src/b.txt") == Array("hello".utf8))

        let moved = try await docs.rename("src/b.txt", to: "dst/c.txt")
        #expect(moved.id == f.id)
        #expect(moved.parentId == dst.id)
        #expect(moved.name == "c.txt")
        #expect(try await docs.info("dst/c.txt") == moved)
        #expect(try await docs.list("src").entries.isEmpty)
        #expect(try await docs.list("dst").entries.map(\.name) == ["c.txt"])
        #expect(try await docs.read("dst/c.txt") == Array("hello".utf8))

        // To the root, with leading slashes.
        let top = try await docs.rename("/dst/c.txt", to: "/top.txt")
        #expect(top.parentId == 1)
        #expect(try await docs.list().entries.map(\.name) == ["dst", "src", "top.txt"])
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: 5, nodeCount: 3))
        try await t.finish()
    }

    @Test func renameDirectoryMovesSubtree() async throws {
        let (t, docs) = try await makeShare()
        let a = try await docs.createDirectory("a")
        let b = try await docs.createDirectory("a/b")
        let f = try await docs.createFile("a/b/f", length: 3)
        try await docs.write("a/b/f", at: 0, [1, 2, 3])
        let other = try await docs.createDirectory("other")

        let moved = try await docs.rename("a", to: "other/z")
        #expect(moved.id == a.id)
        #expect(moved.parentId == other.id)
        #expect(moved.name == "z")
        #expect(moved.kind == .directory)
        #expect(try await docs.info("other/z/b").id == b.id)
        #expect(try await docs.info("other/z/b").parentId == a.id)
        #expect(try await docs.info("other/z/b/f").id == f.id)
        #expect(try await docs.read("other/z/b/f") == [1, 2, 3])
        #expect(try await docs.exists("a") == false)
        await expectError(.parentNotFound) { try await docs.info("a/b/f") }
        #expect(try await docs.list().entries.map(\.name) == ["other"])

        // A directory may move up out of its parent.
        let up = try await docs.rename("other/z/b", to: "b")
        #expect(up.id == b.id)
        #expect(up.parentId == 1)
        #expect(try await docs.read("b/f") == [1, 2, 3])
        #expect(try await t.store.shareStats("docs").nodeCount == 4)
        try await t.finish()
    }

    @Test func renameOverExistingFile() async throws {
        let (t, docs) = try await makeShare()
        let a = try await docs.createFile("a", length: 3)
        try await docs.write("a", at: 0, [1, 2, 3])
        let b = try await docs.createFile("b", length: 4)
        try await docs.write("b", at: 0, [9, 9, 9, 9])
        let state = try await ShareCoreObservableState.capture(t.store)

        await expectError(.resourceAlreadyExists) { try await docs.rename("a", to: "b") }
        await expectError(.resourceAlreadyExists) { try await docs.rename("a", to: "B", replaceIfExists: false) }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)

        let replaced = try await docs.rename("a", to: "B", replaceIfExists: true)
        #expect(replaced.id == a.id)
        #expect(replaced.name == "B")
        #expect(try await docs.read("b") == [1, 2, 3])
        #expect(try await docs.info("b").id == a.id)
        #expect(try await docs.info("b").id != b.id)
        #expect(try await docs.list().entries.map(\.name) == ["B"])
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: 3, nodeCount: 1))
        // The replaced file's data is released.
        #expect(try await t.store.check().chunks == 1)
        try await t.finish()
    }

    @Test func renameNeverReplacesDirectories() async throws {
        let (t, docs) = try await makeShare()
        try await docs.createDirectory("d1")
        try await docs.createDirectory("d2")
        try await docs.createDirectory("d3")
        try await docs.createFile("d3/x", length: 0)
        try await docs.createFile("f", length: 0)
        let state = try await ShareCoreObservableState.capture(t.store)

        await expectError(.resourceAlreadyExists) { try await docs.rename("d1", to: "d2") }
        await expectError(.resourceAlreadyExists) { try await docs.rename("d1", to: "d2", replaceIfExists: true) }
        await expectError(.resourceAlreadyExists) { try await docs.rename("d1", to: "d3", replaceIfExists: true) }
        await expectError(.resourceAlreadyExists) { try await docs.rename("f", to: "d2", replaceIfExists: true) }
        await expectError(.resourceAlreadyExists) { try await docs.rename("d1", to: "f") }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)
        // A directory replaces a file when asked to, as Azure Files does.
        try await docs.createFile("d1/inside", length: 0)
        let moved = try await docs.rename("d1", to: "f", replaceIfExists: true)
        #expect(moved.isDirectory)
        #expect(try await docs.info("f/inside").kind == .file)
        #expect(try await docs.exists("d1") == false)
        try await t.finish()
    }

    @Test func renameRefusesInvalidMoves() async throws {
        let (t, docs) = try await makeShare()
        try await docs.createDirectory("a")
        try await docs.createDirectory("a/b")
        try await docs.createDirectory("a/b/c")
        try await docs.createFile("f", length: 0)
        let state = try await ShareCoreObservableState.capture(t.store)

        await expectError(.invalidMove) { try await docs.rename("a", to: "a/x") }
        await expectError(.invalidMove) { try await docs.rename("a", to: "a/b/c/x") }
        await expectError(.invalidMove) { try await docs.rename("A", to: "a/B/x") }
        await expectError(.invalidMove) { try await docs.rename("a/b", to: "a/b/c/b") }
        await expectError(.invalidMove) { try await docs.rename("", to: "x") }
        await expectError(.invalidMove) { try await docs.rename("a", to: "") }
        await expectError(.invalidMove) { try await docs.rename("/", to: "a/x") }
        await expectError(.resourceNotFound) { try await docs.rename("nope", to: "x") }
        await expectError(.parentNotFound) { try await docs.rename("nope/x", to: "x") }
        await expectError(.parentNotFound) { try await docs.rename("f", to: "nope/f") }
        await expectError(.parentNotFound) { try await docs.rename("f", to: "nope/deeper/f") }
        await expectError(.notADirectory) { try await docs.rename("a", to: "f/a") }
        await expectError(.invalidName) { try await docs.rename("f", to: "bad:name") }
        await expectError(.invalidName) { try await docs.rename("f", to: "a/CON") }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)
        try await t.finish()
    }

    @Test func renameOntoItselfChangesNothingVisible() async throws {
        let (t, docs) = try await makeShare()
        let f = try await docs.createFile("f", length: 0)
        let same = try await docs.rename("f", to: "f")
        #expect(same.id == f.id)
        #expect(same.name == "f")
        #expect(try await docs.list().entries.map(\.name) == ["f"])
        let d = try await docs.createDirectory("d")
        let sameDir = try await docs.rename("d", to: "d", replaceIfExists: true)
        #expect(sameDir.id == d.id)
        #expect(try await docs.list().entries.map(\.name) == ["d", "f"])
        try await t.finish()
    }

    @Test func caseOnlyRenameInCaseInsensitiveShare() async throws {
        let (t, docs) = try await makeShare()
        let f = try await docs.createFile("readme.txt", length: 2)
        try await docs.write("readme.txt", at: 0, [1, 2])
        let d = try await docs.createDirectory("folder")
        try await docs.createFile("folder/x", length: 0)

        let upper = try await docs.rename("readme.txt", to: "README.TXT")
        #expect(upper.id == f.id)
        #expect(upper.name == "README.TXT")
        #expect(try await docs.info("readme.txt").name == "README.TXT")
        #expect(try await docs.read("ReadMe.txt") == [1, 2])

        let dir = try await docs.rename("folder", to: "Folder")
        #expect(dir.id == d.id)
        #expect(try await docs.list().entries.map(\.name) == ["Folder", "README.TXT"])
        #expect(try await docs.list("FOLDER").entries.map(\.name) == ["x"])
        #expect(try await t.store.shareStats("docs").nodeCount == 3)
        try await t.finish()
    }

    @Test func renamesAfterASnapshotLeaveTheSnapshotAlone() async throws {
        let (t, docs) = try await makeShare()
        let f = try await docs.createFile("readme.txt", length: 3)
        try await docs.write("readme.txt", at: 0, [1, 2, 3])
        let victim = try await docs.createFile("victim", length: 2)
        try await docs.write("victim", at: 0, [8, 8])
        try await docs.createDirectory("dir")
        let snap = try await t.store.createSnapshot(of: "docs")
        let ro = t.store.share("docs", snapshot: snap.name)

        try await docs.rename("readme.txt", to: "README.txt")
        try await docs.rename("dir", to: "DIR")
        #expect(try await docs.list().entries.map(\.name) == ["DIR", "README.txt", "victim"])
        #expect(try await ro.list().entries.map(\.name) == ["dir", "readme.txt", "victim"])

        try await docs.rename("README.txt", to: "victim", replaceIfExists: true)
        #expect(try await docs.read("victim") == [1, 2, 3])
        #expect(try await docs.info("victim").id == f.id)
        #expect(try await ro.read("victim") == [8, 8])
        #expect(try await ro.info("victim").id == victim.id)
        #expect(try await ro.read("readme.txt") == [1, 2, 3])
        #expect(try await t.store.check().chunks == 2)

        // Renaming back and forth returns to the snapshot's names.
        try await docs.rename("DIR", to: "dir")
        #expect(try await docs.list().entries.map(\.name) == ["dir", "victim"])
        try await t.store.deleteSnapshot(of: "docs", snap.name)
        #expect(try await t.store.check().chunks == 1)
        #expect(try await docs.list().entries.map(\.name) == ["dir", "victim"])
        try await t.finish()
    }

    // MARK: Case sensitivity

    @Test func caseInsensitiveShareTreatsCaseVariantsAsOneName() async throws {
        let (t, docs) = try await makeShare()
        let f = try await docs.createFile("A.txt", length: 1)
        await expectError(.resourceAlreadyExists) { try await docs.createFile("a.txt", length: 2) }
        await expectError(.resourceAlreadyExists) { try await docs.createDirectory("a.TXT") }
        #expect(try await docs.info("a.txt") == f)
        #expect(try await docs.info("a.txt").name == "A.txt")
        #expect(try await docs.list().entries.map(\.name) == ["A.txt"])

        let dir = try await docs.createDirectory("Docs")
        let inner = try await docs.createFile("DOCS/inner.txt", length: 0)
        #expect(inner.parentId == dir.id)
        #expect(try await docs.list("docs").entries.map(\.name) == ["inner.txt"])
        #expect(try await docs.exists("dOcS/INNER.TXT"))

        // Case folding covers letters beyond ASCII.
        try await docs.createFile("Äpfel", length: 0)
        await expectError(.resourceAlreadyExists) { try await docs.createFile("äpfel", length: 0) }
        #expect(try await docs.info("äPFEL").name == "Äpfel")

        // overwrite replaces the file but the new name's case is what is listed.
        let replaced = try await docs.createFile("a.TXT", length: 3, overwrite: true)
        #expect(replaced.name == "a.TXT")
        #expect(try await docs.info("A.txt").size == 3)
        #expect(try await docs.list().entries.map(\.name) == ["a.TXT", "Docs", "Äpfel"])

        try await docs.deleteFile("A.TXT")
        #expect(try await docs.exists("a.txt") == false)
        #expect(try await t.store.shareStats("docs").nodeCount == 3)
        try await t.finish()
    }

    @Test func caseSensitiveShareKeepsCaseVariantsApart() async throws {
        let (t, docs) = try await makeShare(caseSensitive: true)
        let upper = try await docs.createFile("A.txt", length: 1)
        let lower = try await docs.createFile("a.txt", length: 2)
        #expect(upper.id != lower.id)
        #expect(try await docs.info("A.txt").size == 1)
        #expect(try await docs.info("a.txt").size == 2)
        await expectError(.resourceNotFound) { try await docs.info("a.TXT") }
        #expect(Set(try await docs.list().entries.map(\.name)) == ["A.txt", "a.txt"])
        #expect(try await docs.list().entries.map(\.name) == ["A.txt", "a.txt"])

        try await docs.createDirectory("Dir")
        try await docs.createDirectory("dir")
        try await docs.createFile("Dir/x", length: 0)
        #expect(try await docs.list("dir").entries.isEmpty)
        #expect(try await docs.list("Dir").entries.map(\.name) == ["x"])
        await expectError(.resourceNotFound) { try await docs.list("DIR") }

        // A case-only rename is a move to a different name; onto an existing variant it conflicts.
        await expectError(.resourceAlreadyExists) { try await docs.rename("A.txt", to: "a.txt") }
        let moved = try await docs.rename("A.txt", to: "B.txt")
        #expect(moved.id == upper.id)
        try await docs.deleteFile("a.txt")
        #expect(try await docs.list().entries.map(\.name) == ["B.txt", "Dir", "dir"])
        #expect(try await t.store.shareInfo("docs").caseSensitive)
        // Snapshots keep the share's case sensitivity.
        let snap = try await t.store.createSnapshot(of: "docs")
        let ro = t.store.share("docs", snapshot: snap.name)
        #expect(try await ro.list("Dir").entries.map(\.name) == ["x"])
        #expect(try await ro.list("dir").entries.isEmpty)
        try await t.finish()
    }

    // MARK: Ids

    @Test func idsAreStable() async throws {
        let (t, docs) = try await makeShare()
        let root = try await docs.info("")
        #expect(root.id == 1)
        #expect(root.parentId == 0)
        #expect(root.kind == .directory)
        #expect(root.name == "")

        var ids: [UInt64] = []
        ids.append(try await docs.createDirectory("a").id)
        ids.append(try await docs.createFile("a/f", length: 0).id)
        ids.append(try await docs.createDirectory("a/b").id)
        ids.append(try await docs.createFile("g", length: 0).id)
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0 >= 2 })
        #expect(ids == ids.sorted())
        #expect(try await docs.info("a/f").parentId == ids[0])
        #expect(try await docs.info("a/b").parentId == ids[0])
        #expect(try await docs.info("g").parentId == 1)

        try await docs.rename("a/f", to: "a/b/f2")
        #expect(try await docs.info("a/b/f2").id == ids[1])
        #expect(try await docs.info("a/b/f2").parentId == ids[2])
        try await docs.rename("a", to: "z")
        #expect(try await docs.info("z").id == ids[0])
        #expect(try await docs.info("z/b/f2").id == ids[1])
        // Changes of content and properties keep ids.
        try await docs.resize("g", to: 10)
        try await docs.write("g", at: 0, [1])
        try await docs.setMetadata("g", ["a": "b"])
        #expect(try await docs.info("g").id == ids[3])
        // Deleted ids are not handed out again.
        try await docs.deleteFile("g")
        let fresh = try await docs.createFile("g", length: 0)
        #expect(!ids.contains(fresh.id))
        // Ids survive reopening the store.
        let reopened = try await t.reopen()
        #expect(try await reopened.share("docs").info("z/b/f2").id == ids[1])
        #expect(try await reopened.share("docs").info("g").id == fresh.id)
        try await t.finish(reopened)
    }

    @Test func idsAreSeenInSnapshots() async throws {
        let (t, docs) = try await makeShare()
        let f = try await docs.createFile("f", length: 0)
        let snap = try await t.store.createSnapshot(of: "docs")
        try await docs.rename("f", to: "g")
        #expect(try await t.store.share("docs", snapshot: snap.name).info("f").id == f.id)
        #expect(try await docs.info("g").id == f.id)
        #expect(try await t.store.share("docs", snapshot: snap.name).info("").id == 1)
        try await t.finish()
    }

    // MARK: ETags

    @Test func etagAndLastModifiedChangeOnEveryFileChange() async throws {
        let (t, docs) = try await makeShare()
        try await docs.createDirectory("d")
        var seen: [NodeInfo] = [try await docs.createFile("f", length: 10)]
        func record(_ info: NodeInfo, _ what: String) async throws {
            let stored = try await docs.info(info.parentId == 1 ? info.name : "d/" + info.name)
            #expect(info.etag == stored.etag, "\(what): returned ETag is not the stored one")
            #expect(info.lastModified == stored.lastModified, "\(what)")
            #expect(!seen.map(\.etag).contains(info.etag), "\(what): ETag did not change")
            #expect(info.lastModified > seen.last!.lastModified, "\(what): lastModified did not move")
            seen.append(info)
        }
        try await record(try await docs.write("f", at: 0, [1, 2, 3]), "write")
        try await record(try await docs.write("f", at: 0, [1, 2, 3]), "same write again")
        try await record(try await docs.resize("f", to: 20), "resize")
        try await record(try await docs.clear("f", range: 0..<2), "clear")
        try await record(try await docs.setProperties("f", NodeProperties(attributes: .hidden)), "setProperties")
        try await record(try await docs.setProperties("f", NodeProperties(
            contentHeaders: ContentHeaders(contentType: "a/b"))), "content headers")
        try await record(try await docs.setMetadata("f", ["x": "1"]), "setMetadata")
        try await record(try await docs.setMetadata("f", ["x": "1"]), "same metadata again")
        try await record(try await docs.rename("f", to: "g"), "rename")
        try await record(try await docs.rename("g", to: "d/g"), "move")
        try await record(try await docs.rename("d/g", to: "d/G"), "case-only rename")
        try await t.finish()
    }

    @Test func etagAndLastModifiedChangeOnEveryDirectoryChange() async throws {
        let (t, docs) = try await makeShare()
        try await docs.createDirectory("p")
        var seen: [NodeInfo] = [try await docs.createDirectory("d")]
        func record(_ info: NodeInfo, _ path: String, _ what: String) async throws {
            let stored = try await docs.info(path)
            #expect(info.etag == stored.etag, "\(what): returned ETag is not the stored one")
            #expect(info == stored, "\(what)")
            #expect(!seen.map(\.etag).contains(info.etag), "\(what): ETag did not change")
            #expect(info.lastModified > seen.last!.lastModified, "\(what): lastModified did not move")
            seen.append(info)
        }
        try await record(try await docs.setMetadata("d", ["a": "1"]), "d", "setMetadata")
        try await record(try await docs.setProperties("d", NodeProperties(attributes: .hidden)), "d", "attributes")
        try await record(try await docs.setProperties("d", NodeProperties(permissionKey: "p")), "d", "permission key")
        try await record(try await docs.setProperties("d", NodeProperties(nfs: NFSProperties(mode: 0o755))), "d", "nfs")
        try await record(try await docs.rename("d", to: "e"), "e", "rename")
        try await record(try await docs.rename("e", to: "p/e"), "p/e", "move")
        // The root directory has an ETag that changes too.
        let root0 = try await docs.info("")
        let root1 = try await docs.setMetadata("", ["r": "1"])
        #expect(root1.etag != root0.etag)
        #expect(root1.lastModified > root0.lastModified)
        #expect(try await docs.info("").etag == root1.etag)
        try await t.finish()
    }

    @Test func failedChangesKeepEtag() async throws {
        let (t, docs) = try await makeShare()
        let d = try await docs.createDirectory("d")
        try await docs.createFile("d/child", length: 0)
        let f = try await docs.createFile("f", length: 0)
        await expectError(.directoryNotEmpty) { try await docs.deleteDirectory("d") }
        await expectError(.resourceAlreadyExists) { try await docs.rename("f", to: "d") }
        await expectError(.notAFile) {
            try await docs.setProperties("d", NodeProperties(contentHeaders: ContentHeaders(contentType: "x"), metadata: ["a": "b"]))
        }
        #expect(try await docs.info("d").etag == d.etag)
        #expect(try await docs.info("d").metadata.isEmpty)
        #expect(try await docs.info("f").etag == f.etag)
        try await t.finish()
    }
}

/// Builds NodeProperties that change only NFS owner and group.
private enum NFSPropertiesUpdate {
    static func owner(_ owner: UInt32, group: UInt32) -> NodeProperties {
        NodeProperties(nfs: NFSProperties(owner: owner, group: group))
    }
}
