import Foundation
import Testing
@testable import ShareCore

/// Everything a user can observe about a store through its public API: every share and
/// snapshot (with metadata), each live share's usage, and every node of each live share.
/// Used to assert that a failed operation changed nothing.
struct ShareCoreObservableState: Equatable {
    var shares: [ShareInfo]
    var stats: [String: ShareStats]
    var trees: [String: [NodeInfo]]

    static func capture(_ store: ShareStore) async throws -> ShareCoreObservableState {
        let page = try await store.listShares(includeSnapshots: true, includeMetadata: true)
        var stats: [String: ShareStats] = [:]
        var trees: [String: [NodeInfo]] = [:]
        for info in page.shares where info.snapshot == nil {
            stats[info.name] = try await store.shareStats(info.name)
            trees[info.name] = try await tree(store.share(info.name))
        }
        for info in page.shares {
            if let snapshot = info.snapshot {
                trees[info.name + "@" + snapshot] = try await tree(store.share(info.name, snapshot: snapshot))
            }
        }
        return ShareCoreObservableState(shares: page.shares, stats: stats, trees: trees)
    }

    /// The root and every node below it, depth first in listing order.
    static func tree(_ share: Share) async throws -> [NodeInfo] {
        var out = [try await share.info("")]
        func walk(_ path: String) async throws {
            for entry in try await share.list(path).entries {
                out.append(entry.info)
                let child = path.isEmpty ? entry.name : path + "/" + entry.name
                if entry.kind == .directory { try await walk(child) }
            }
        }
        try await walk("")
        return out
    }
}

@Suite struct ShareTests {
    // MARK: Create and info

    @Test func createShareWithDefaults() async throws {
        let t = try await TempStore.make()
        let before = FileTime.now()
        let created = try await t.store.createShare("docs")
        #expect(created.name == "docs")
        #expect(created.snapshot == nil)
        #expect(created.quotaGiB == 5120)
        #expect(created.caseSensitive == false)
        #expect(created.metadata.isEmpty)
        #expect(created.accessTier == nil)
        #expect(created.accessTierChangeTime == nil)
        #expect(created.created >= before && created.created <= FileTime.now())
        #expect(created.lastModified == created.created)
        #expect(created.etag.hasPrefix("0x"))

        let info = try await t.store.shareInfo("docs")
        #expect(info == created)
        #expect(info.snapshots == [])

        let root = try await t.store.share("docs").info("")
        #expect(root.kind == .directory)
        #expect(root.id == 1)
        #expect(root.parentId == 0)
        #expect(root.name == "")
        #expect(root.smb.attributes.contains(.directory))
        #expect(try await t.store.share("docs").list().entries.isEmpty)
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: 0, nodeCount: 0))
        try await t.finish()
    }

    @Test func createShareWithOptions() async throws {
        let t = try await TempStore.make()
        let metadata = try Metadata([("Owner", "ann"), ("project", "x1")])
        let options = ShareOptions(quotaGiB: 100, accessTier: "Hot", enabledProtocols: "SMB", rootSquash: "NoRootSquash",
                                   metadata: metadata, caseSensitive: true)
        let created = try await t.store.createShare("proj-01", options: options)
        let info = try await t.store.shareInfo("proj-01")
        #expect(info == created)
        #expect(info.quotaGiB == 100)
        #expect(info.accessTier == "Hot")
        #expect(info.accessTierChangeTime == info.created)
        #expect(info.enabledProtocols == "SMB")
        #expect(info.rootSquash == "NoRootSquash")
        #expect(info.metadata == metadata)
        #expect(info.metadata["OWNER"] == "ann")
        #expect(info.caseSensitive)

        // Quota bounds are inclusive.
        #expect(try await t.store.createShare("small", options: ShareOptions(quotaGiB: 1)).quotaGiB == 1)
        #expect(try await t.store.createShare("large", options: ShareOptions(quotaGiB: 102_400)).quotaGiB == 102_400)
        try await t.finish()
    }

    @Test func createShareErrorsChangeNothing() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs", options: ShareOptions(quotaGiB: 7, metadata: ["a": "1"]))
        try await t.store.share("docs").createFile("f", length: 3)
        let state = try await ShareCoreObservableState.capture(t.store)

        await expectError(.shareAlreadyExists) {
            try await t.store.createShare("docs", options: ShareOptions(quotaGiB: 9, metadata: ["b": "2"]))
        }
        await expectError(.invalidShareName) { try await t.store.createShare("Docs") }
        await expectError(.invalidShareName) { try await t.store.createShare("no") }
        await expectError(.invalidArgument) { try await t.store.createShare("zero", options: ShareOptions(quotaGiB: 0)) }
        await expectError(.invalidArgument) {
            try await t.store.createShare("huge", options: ShareOptions(quotaGiB: 102_401))
        }
        await expectError(.invalidMetadata) {
            try await t.store.createShare("meta", options: ShareOptions(metadata: Metadata(trusted: [("1 bad", "x")])))
        }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)
        for name in ["zero", "huge", "meta"] {
            await expectError(.shareNotFound) { try await t.store.shareInfo(name) }
        }
        try await t.finish()
    }

    @Test func shareInfoErrors() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        await expectError(.shareNotFound) { try await t.store.shareInfo("nope") }
        await expectError(.invalidShareName) { try await t.store.shareInfo("NOPE") }
        await expectError(.snapshotNotFound) { try await t.store.shareInfo("docs", snapshot: "2020-01-01T00:00:00.0000000Z") }
        await expectError(.shareNotFound) { try await t.store.share("nope").info("") }
        await expectError(.shareNotFound) { try await t.store.share("nope").createFile("f") }
        await expectError(.shareNotFound) { try await t.store.shareStats("nope") }
        try await t.finish()
    }

    // MARK: Properties and metadata

    @Test func setShareProperties() async throws {
        let t = try await TempStore.make()
        let created = try await t.store.createShare("docs", options: ShareOptions(quotaGiB: 10, accessTier: "Hot", rootSquash: "RootSquash"))

        let quota = try await t.store.setShareProperties("docs", ShareUpdate(quotaGiB: 20))
        #expect(quota.quotaGiB == 20)
        #expect(quota.accessTier == "Hot")
        #expect(quota.rootSquash == "RootSquash")
        #expect(quota.accessTierChangeTime == created.accessTierChangeTime)
        #expect(quota.etag != created.etag)
        #expect(quota.lastModified > created.lastModified)
        #expect(quota.created == created.created)
        var stored = try await t.store.shareInfo("docs")
        #expect(stored == quota)

        let tier = try await t.store.setShareProperties("docs", ShareUpdate(accessTier: "Cool"))
        #expect(tier.accessTier == "Cool")
        #expect(tier.quotaGiB == 20)
        #expect(tier.accessTierChangeTime == tier.lastModified)
        #expect(tier.etag != quota.etag)
        stored = try await t.store.shareInfo("docs")
        #expect(stored == tier)

        // The same tier again does not move the tier change time.
        let same = try await t.store.setShareProperties("docs", ShareUpdate(accessTier: "Cool", rootSquash: "AllSquash"))
        #expect(same.accessTierChangeTime == tier.accessTierChangeTime)
        #expect(same.rootSquash == "AllSquash")
        #expect(same.lastModified > tier.lastModified)
        stored = try await t.store.shareInfo("docs")
        #expect(stored == same)
        try await t.finish()
    }

    @Test func setSharePropertiesErrorsChangeNothing() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs", options: ShareOptions(quotaGiB: 10))
        let state = try await ShareCoreObservableState.capture(t.store)
        await expectError(.invalidArgument) { try await t.store.setShareProperties("docs", ShareUpdate(quotaGiB: 0)) }
        await expectError(.invalidArgument) { try await t.store.setShareProperties("docs", ShareUpdate(quotaGiB: 102_401)) }
        await expectError(.shareNotFound) { try await t.store.setShareProperties("other", ShareUpdate(quotaGiB: 5)) }
        await expectError(.invalidShareName) { try await t.store.setShareProperties("a_b", ShareUpdate(quotaGiB: 5)) }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)
        try await t.finish()
    }

    @Test func setShareMetadata() async throws {
        let t = try await TempStore.make()
        let created = try await t.store.createShare("docs", options: ShareOptions(metadata: ["old": "1"]))
        let replaced = try await t.store.setShareMetadata("docs", try Metadata([("Color", "blue"), ("size", "L")]))
        #expect(replaced.metadata.count == 2)
        #expect(replaced.metadata["old"] == nil)
        #expect(replaced.metadata["color"] == "blue")
        #expect(replaced.metadata["COLOR"] == "blue")
        #expect(replaced.metadata.pairs.map(\.name) == ["Color", "size"])
        #expect(replaced.etag != created.etag)
        #expect(replaced.lastModified > created.lastModified)
        #expect(try await t.store.shareInfo("docs") == replaced)

        let cleared = try await t.store.setShareMetadata("docs", Metadata())
        #expect(cleared.metadata.isEmpty)
        #expect(cleared.etag != replaced.etag)
        #expect(try await t.store.shareInfo("docs").metadata.isEmpty)

        try await t.store.setShareMetadata("docs", ["keep": "me"])
        let state = try await ShareCoreObservableState.capture(t.store)
        await expectError(.invalidMetadata) {
            try await t.store.setShareMetadata("docs", Metadata(trusted: [("a", "1"), ("A", "2")]))
        }
        await expectError(.invalidMetadata) {
            try await t.store.setShareMetadata("docs", Metadata(trusted: [("has space", "1")]))
        }
        await expectError(.shareNotFound) { try await t.store.setShareMetadata("other", ["a": "1"]) }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)
        try await t.finish()
    }

    // MARK: Listing

    @Test func listSharesByPrefix() async throws {
        let t = try await TempStore.make()
        for name in ["gamma", "beta2", "alpha", "beta", "beta-x"] { try await t.store.createShare(name) }
        #expect(try await t.store.listShares().shares.map(\.name) == ["alpha", "beta", "beta-x", "beta2", "gamma"])
        let beta = try await t.store.listShares(prefix: "beta")
        #expect(beta.shares.map(\.name) == ["beta", "beta-x", "beta2"])
        #expect(beta.nextMarker == nil)
        #expect(try await t.store.listShares(prefix: "zeta").shares.isEmpty)
        #expect(try await t.store.listShares(prefix: "alpha").shares.map(\.name) == ["alpha"])
        #expect(try await t.store.listShares(prefix: "alphabet").shares.isEmpty)
        try await t.finish()
    }

    @Test func listSharesPagesUntilExhausted() async throws {
        let t = try await TempStore.make()
        let names = (0..<11).map { "share\(String(format: "%02d", $0))" } + ["other1", "other2"]
        for name in names.shuffled() { try await t.store.createShare(name) }

        var seen: [String] = []
        var pages: [Int] = []
        var marker: String?
        repeat {
            let page = try await t.store.listShares(marker: marker, maxResults: 4)
            seen += page.shares.map(\.name)
            pages.append(page.shares.count)
            marker = page.nextMarker
        } while marker != nil
        #expect(seen == names.sorted())
        #expect(pages == [4, 4, 4, 1])

        // With a prefix, pages stay within the prefix.
        seen = []
        pages = []
        marker = nil
        repeat {
            let page = try await t.store.listShares(prefix: "share", marker: marker, maxResults: 5)
            seen += page.shares.map(\.name)
            pages.append(page.shares.count)
            marker = page.nextMarker
        } while marker != nil
        #expect(seen == names.filter { $0.hasPrefix("share") }.sorted())
        #expect(pages == [5, 5, 1])

        // A page exactly as large as what is left ends the listing.
        let exact = try await t.store.listShares(prefix: "other", maxResults: 2)
        #expect(exact.shares.map(\.name) == ["other1", "other2"])
        #expect(exact.nextMarker == nil)

        let one = try await t.store.listShares(maxResults: 1)
        #expect(one.shares.map(\.name) == ["other1"])
        #expect(one.nextMarker != nil)
        try await t.finish()
    }

    @Test func listSharesMarkerSurvivesChanges() async throws {
        let t = try await TempStore.make()
        for name in ["bbb", "ddd", "fff", "hhh"] { try await t.store.createShare(name) }
        let first = try await t.store.listShares(maxResults: 2)
        #expect(first.shares.map(\.name) == ["bbb", "ddd"])
        let marker = try #require(first.nextMarker)
        try await t.store.createShare("aaa")
        try await t.store.createShare("ggg")
        let second = try await t.store.listShares(marker: marker, maxResults: 5000)
        #expect(second.shares.map(\.name) == ["fff", "ggg", "hhh"])
        #expect(second.nextMarker == nil)
        try await t.finish()
    }

    @Test func listSharesMetadataAndSnapshots() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs", options: ShareOptions(metadata: ["m": "1"]))
        try await t.store.createShare("empty")
        let s1 = try await t.store.createSnapshot(of: "docs")
        try await t.store.setShareMetadata("docs", ["m": "2"])
        let s2 = try await t.store.createSnapshot(of: "docs", metadata: ["snap": "yes"])

        let plain = try await t.store.listShares()
        #expect(plain.shares.map(\.name) == ["docs", "empty"])
        #expect(plain.shares.allSatisfy { $0.snapshot == nil && $0.metadata.isEmpty })
        #expect(plain.shares[0].snapshots == [s1.name, s2.name])
        #expect(plain.shares[1].snapshots == [])

        let meta = try await t.store.listShares(includeMetadata: true)
        #expect(meta.shares.map(\.metadata) == [["m": "2"], Metadata()])

        let snaps = try await t.store.listShares(includeSnapshots: true)
        #expect(snaps.shares.map(\.name) == ["docs", "docs", "docs", "empty"])
        #expect(snaps.shares.map(\.snapshot) == [s1.name, s2.name, nil, nil])
        #expect(snaps.shares.allSatisfy { $0.metadata.isEmpty })

        let both = try await t.store.listShares(includeSnapshots: true, includeMetadata: true)
        #expect(both.shares.map(\.metadata) == [["m": "1"], ["snap": "yes"], ["m": "2"], Metadata()])

        // Snapshot entries do not count against the page size.
        let page = try await t.store.listShares(maxResults: 1, includeSnapshots: true)
        #expect(page.shares.map(\.snapshot) == [s1.name, s2.name, nil])
        let next = try #require(page.nextMarker)
        let rest = try await t.store.listShares(marker: next, maxResults: 1, includeSnapshots: true)
        #expect(rest.shares.map(\.name) == ["empty"])
        #expect(rest.nextMarker == nil)
        try await t.finish()
    }

    @Test func listSharesRefusesBadArguments() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        try await t.store.share("docs").createDirectory("a")
        try await t.store.share("docs").createDirectory("b")
        await expectError(.invalidArgument) { try await t.store.listShares(maxResults: 0) }
        await expectError(.invalidArgument) { try await t.store.listShares(maxResults: -1) }
        await expectError(.invalidArgument) { try await t.store.listShares(maxResults: 5001) }
        await expectError(.invalidArgument) { try await t.store.listShares(marker: "!!not a marker!!") }
        await expectError(.invalidArgument) { try await t.store.listShares(marker: "") }
        // A directory listing's marker is not a share marker.
        let dirPage = try await t.store.share("docs").list(maxResults: 1)
        let dirMarker = try #require(dirPage.nextMarker)
        await expectError(.invalidArgument) { try await t.store.listShares(marker: dirMarker) }
        #expect(try await t.store.listShares(maxResults: 5000).shares.count == 1)
        try await t.finish()
    }

    // MARK: Stats

    @Test func shareStatsCountWrittenBytesNotHoles() async throws {
        let t = try await TempStore.make(extentSize: 64 * 1024)
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createDirectory("dir")
        try await docs.createFile("dir/big", length: 1 << 20)
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: 0, nodeCount: 2))

        try await docs.write("dir/big", at: 1000, pattern(100, seed: 1))
        #expect(try await t.store.shareStats("docs").usedBytes == 100)
        // Rewriting bytes already written adds nothing.
        try await docs.write("dir/big", at: 1020, pattern(50, seed: 2))
        #expect(try await t.store.shareStats("docs").usedBytes == 100)
        // Overlapping the end adds only the new part.
        try await docs.write("dir/big", at: 1050, pattern(100, seed: 3))
        #expect(try await t.store.shareStats("docs").usedBytes == 150)
        // A write spanning an extent boundary counts all its bytes.
        try await docs.write("dir/big", at: 65_536 - 10, pattern(20, seed: 4))
        #expect(try await t.store.shareStats("docs").usedBytes == 170)
        try await docs.clear("dir/big", range: 1000..<1010)
        #expect(try await t.store.shareStats("docs").usedBytes == 160)
        // Truncating drops the 10 bytes written beyond the new end.
        try await docs.resize("dir/big", to: 65_536)
        #expect(try await t.store.shareStats("docs").usedBytes == 150)

        try await docs.createFile("small", length: 10)
        try await docs.write("small", at: 0, pattern(10, seed: 5))
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: 160, nodeCount: 3))

        // A snapshot does not change what the live share uses, nor does rewriting after it.
        try await t.store.createSnapshot(of: "docs")
        try await docs.write("small", at: 0, pattern(10, seed: 6))
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: 160, nodeCount: 3))

        try await docs.deleteFile("dir/big")
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: 10, nodeCount: 2))
        try await docs.deleteFile("small")
        try await docs.deleteDirectory("dir")
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: 0, nodeCount: 0))
        try await t.finish()
    }

    // MARK: Delete

    @Test func deleteShare() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        try await t.store.createShare("keep")
        let docs = t.store.share("docs")
        try await docs.createDirectory("d")
        try await docs.createFile("d/f", length: 4096)
        try await docs.write("d/f", at: 0, pattern(4096, seed: 1))
        try await t.store.share("keep").createFile("k", length: 3)
        try await t.store.share("keep").write("k", at: 0, [1, 2, 3])

        try await t.store.deleteShare("docs")
        await expectError(.shareNotFound) { try await t.store.shareInfo("docs") }
        await expectError(.shareNotFound) { try await docs.info("d/f") }
        await expectError(.shareNotFound) { try await docs.list() }
        await expectError(.shareNotFound) { try await t.store.deleteShare("docs") }
        await expectError(.shareNotFound) { try await t.store.createSnapshot(of: "docs") }
        #expect(try await t.store.listShares().shares.map(\.name) == ["keep"])
        #expect(try await t.store.share("keep").read("k") == [1, 2, 3])
        // Only the other share's chunk is left.
        #expect(try await t.store.check().chunks == 1)
        await expectError(.invalidShareName) { try await t.store.deleteShare("-x-") }
        try await t.finish()
    }

    @Test func deleteShareWithSnapshots() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs", options: ShareOptions(quotaGiB: 50, accessTier: "Cool", metadata: ["a": "1"]))
        let docs = t.store.share("docs")
        try await docs.createFile("f", length: 5)
        try await docs.write("f", at: 0, Array("hello".utf8))
        let snap = try await t.store.createSnapshot(of: "docs")
        let state = try await ShareCoreObservableState.capture(t.store)

        await expectError(.shareHasSnapshots) { try await t.store.deleteShare("docs") }
        await expectError(.shareHasSnapshots) { try await t.store.deleteShare("docs", snapshots: .refuse) }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)
        #expect(try await t.store.share("docs", snapshot: snap.name).read("f") == Array("hello".utf8))

        try await t.store.deleteShare("docs", snapshots: .include)
        await expectError(.shareNotFound) { try await t.store.shareInfo("docs") }
        await expectError(.shareNotFound) { try await t.store.shareInfo("docs", snapshot: snap.name) }
        await expectError(.shareNotFound) { try await t.store.share("docs", snapshot: snap.name).read("f") }
        await expectError(.shareNotFound) { try await t.store.listSnapshots(of: "docs") }
        #expect(try await t.store.listShares(includeSnapshots: true).shares.isEmpty)
        #expect(try await t.store.check().chunks == 0)

        // The same name again is a new, empty share with default properties.
        let again = try await t.store.createShare("docs")
        #expect(again.quotaGiB == 5120)
        #expect(again.accessTier == nil)
        #expect(again.metadata.isEmpty)
        #expect(try await t.store.shareInfo("docs").snapshots == [])
        #expect(try await t.store.listSnapshots(of: "docs").isEmpty)
        #expect(try await docs.list().entries.isEmpty)
        #expect(try await docs.exists("f") == false)
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: 0, nodeCount: 0))
        await expectError(.snapshotNotFound) { try await t.store.share("docs", snapshot: snap.name).list() }
        // Node ids start over in the new share.
        #expect(try await docs.createFile("f", length: 1).id == 2)
        #expect(try await docs.read("f") == [0])
        try await t.finish()
    }

    @Test func deleteShareAfterDeletingItsSnapshots() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let snap = try await t.store.createSnapshot(of: "docs")
        await expectError(.shareHasSnapshots) { try await t.store.deleteShare("docs") }
        try await t.store.deleteSnapshot(of: "docs", snap.name)
        try await t.store.deleteShare("docs")
        #expect(try await t.store.listShares().shares.isEmpty)
        try await t.finish()
    }

    // MARK: Snapshots

    @Test func snapshotNamesAreUniqueIncreasingTimestamps() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let before = FileTime.now()
        var snaps: [SnapshotInfo] = []
        for _ in 0..<20 { snaps.append(try await t.store.createSnapshot(of: "docs")) }
        let after = FileTime.now()
        let names = snaps.map(\.name)
        for snap in snaps {
            #expect(snap.share == "docs")
            #expect(snap.name.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z/) != nil, "\(snap.name)")
            #expect(FileTime(iso8601: snap.name) == snap.created)
            #expect(snap.created.iso8601 == snap.name)
            #expect(snap.created >= before && snap.created <= after)
        }
        #expect(Set(names).count == names.count)
        #expect(names == names.sorted())
        #expect(zip(snaps, snaps.dropFirst()).allSatisfy { $0.created < $1.created })

        let listed = try await t.store.listSnapshots(of: "docs")
        #expect(listed == snaps)
        #expect(try await t.store.shareInfo("docs").snapshots == names)
        // Each snapshot describes itself.
        let info = try await t.store.shareInfo("docs", snapshot: names[3])
        #expect(info.name == "docs")
        #expect(info.snapshot == names[3])

        // Snapshots of another share are separate.
        try await t.store.createShare("other")
        #expect(try await t.store.listSnapshots(of: "other").isEmpty)
        await expectError(.snapshotNotFound) { try await t.store.shareInfo("other", snapshot: names[0]) }
        await expectError(.shareNotFound) { try await t.store.listSnapshots(of: "missing") }
        await expectError(.invalidShareName) { try await t.store.listSnapshots(of: "Bad") }
        try await t.finish()
    }

    @Test func snapshotKeepsPropertiesMetadataAndContent() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs", options: ShareOptions(quotaGiB: 10, accessTier: "Hot", metadata: ["v": "1"]))
        let docs = t.store.share("docs")
        try await docs.createDirectory("dir")
        try await docs.createFile("dir/f", length: 5, properties: NodeProperties(metadata: ["file": "old"]))
        try await docs.write("dir/f", at: 0, Array("hello".utf8))
        let liveBefore = try await t.store.shareInfo("docs")
        let snap = try await t.store.createSnapshot(of: "docs")
        #expect(snap.metadata == ["v": "1"])
        // Taking a snapshot changes neither the live share's properties nor its ETag.
        #expect(try await t.store.shareInfo("docs").etag == liveBefore.etag)

        try await t.store.setShareProperties("docs", ShareUpdate(quotaGiB: 20, accessTier: "Cool"))
        try await t.store.setShareMetadata("docs", ["v": "2"])
        try await docs.write("dir/f", at: 0, Array("HELLO".utf8))
        try await docs.setMetadata("dir/f", ["file": "new"])
        try await docs.createFile("dir/g", length: 1)
        try await docs.rename("dir", to: "moved")

        let old = try await t.store.shareInfo("docs", snapshot: snap.name)
        #expect(old.quotaGiB == 10)
        #expect(old.accessTier == "Hot")
        #expect(old.metadata == ["v": "1"])
        #expect(old.snapshot == snap.name)
        #expect(old.created == liveBefore.created)
        #expect(old.etag == liveBefore.etag)
        let live = try await t.store.shareInfo("docs")
        #expect(live.quotaGiB == 20)
        #expect(live.accessTier == "Cool")
        #expect(live.metadata == ["v": "2"])

        let view = t.store.share("docs", snapshot: snap.name)
        #expect(view.snapshot == snap.name)
        #expect(try await view.list().entries.map(\.name) == ["dir"])
        #expect(try await view.list("dir").entries.map(\.name) == ["f"])
        #expect(try await view.read("dir/f") == Array("hello".utf8))
        #expect(try await view.info("dir/f").metadata == ["file": "old"])
        await expectError(.resourceNotFound) { try await view.info("moved") }
        #expect(try await docs.read("moved/f") == Array("HELLO".utf8))
        #expect(try await docs.list("moved").entries.map(\.name) == ["f", "g"])

        // A snapshot may carry its own metadata instead of the share's.
        let tagged = try await t.store.createSnapshot(of: "docs", metadata: ["reason": "backup"])
        #expect(tagged.metadata == ["reason": "backup"])
        #expect(try await t.store.shareInfo("docs", snapshot: tagged.name).metadata == ["reason": "backup"])
        #expect(try await t.store.shareInfo("docs", snapshot: tagged.name).quotaGiB == 20)
        #expect(try await t.store.shareInfo("docs").metadata == ["v": "2"])
        #expect(try await t.store.listSnapshots(of: "docs").map(\.metadata) == [["v": "1"], ["reason": "backup"]])
        try await t.finish()
    }

    @Test func createSnapshotErrorsChangeNothing() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let state = try await ShareCoreObservableState.capture(t.store)
        await expectError(.shareNotFound) { try await t.store.createSnapshot(of: "nope") }
        await expectError(.invalidShareName) { try await t.store.createSnapshot(of: "NOPE") }
        await expectError(.invalidMetadata) {
            try await t.store.createSnapshot(of: "docs", metadata: Metadata(trusted: [("bad name", "x")]))
        }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)
        #expect(try await t.store.listSnapshots(of: "docs").isEmpty)
        try await t.finish()
    }

    @Test func deletedSnapshotIsGone() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("f", length: 2)
        let a = try await t.store.createSnapshot(of: "docs")
        let b = try await t.store.createSnapshot(of: "docs")
        let c = try await t.store.createSnapshot(of: "docs")

        try await t.store.deleteSnapshot(of: "docs", b.name)
        #expect(try await t.store.listSnapshots(of: "docs").map(\.name) == [a.name, c.name])
        #expect(try await t.store.shareInfo("docs").snapshots == [a.name, c.name])
        let gone = t.store.share("docs", snapshot: b.name)
        await expectError(.snapshotNotFound) { try await t.store.shareInfo("docs", snapshot: b.name) }
        await expectError(.snapshotNotFound) { try await gone.info("") }
        await expectError(.snapshotNotFound) { try await gone.info("f") }
        await expectError(.snapshotNotFound) { try await gone.list() }
        await expectError(.snapshotNotFound) { try await gone.read("f") }
        await expectError(.snapshotNotFound) { try await gone.exists("f") }
        await expectError(.snapshotNotFound) { try await docs.changedRanges("f", since: b.name) }
        // The neighbours still read.
        #expect(try await t.store.share("docs", snapshot: a.name).read("f") == [0, 0])
        #expect(try await t.store.share("docs", snapshot: c.name).read("f") == [0, 0])

        let state = try await ShareCoreObservableState.capture(t.store)
        await expectError(.snapshotNotFound) { try await t.store.deleteSnapshot(of: "docs", b.name) }
        await expectError(.snapshotNotFound) { try await t.store.deleteSnapshot(of: "docs", "not-a-snapshot") }
        await expectError(.shareNotFound) { try await t.store.deleteSnapshot(of: "nope", a.name) }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)
        try await t.finish()
    }

    @Test func snapshotCountIsLimited() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        var names: [String] = []
        for _ in 0..<ShareStore.maxSnapshotsPerShare {
            names.append(try await t.store.createSnapshot(of: "docs").name)
        }
        #expect(names.count == 200)
        await expectError(.snapshotCountExceeded) { try await t.store.createSnapshot(of: "docs") }
        await expectError(.snapshotCountExceeded) { try await t.store.createSnapshot(of: "docs", metadata: ["a": "b"]) }
        #expect(try await t.store.listSnapshots(of: "docs").map(\.name) == names)
        // Another share is not affected by this one's count.
        try await t.store.createShare("other")
        try await t.store.createSnapshot(of: "other")
        // Deleting one makes room for one more.
        try await t.store.deleteSnapshot(of: "docs", names[0])
        let newest = try await t.store.createSnapshot(of: "docs")
        #expect(try await t.store.listSnapshots(of: "docs").map(\.name) == Array(names.dropFirst()) + [newest.name])
        await expectError(.snapshotCountExceeded) { try await t.store.createSnapshot(of: "docs") }
        try await t.finish()
    }

    @Test func deleteSnapshotReclaimsWhatOnlyItSaw() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("f", length: 65_536)
        try await docs.write("f", at: 0, pattern(65_536, seed: 1))
        try await docs.createFile("gone", length: 100)
        try await docs.write("gone", at: 0, pattern(100, seed: 2))
        #expect(try await t.store.check().chunks == 2)

        let snap = try await t.store.createSnapshot(of: "docs")
        try await docs.write("f", at: 0, pattern(65_536, seed: 3))
        try await docs.deleteFile("gone")
        let report = try await t.store.check()
        #expect(report.problems == [])
        #expect(report.chunks == 3) // old f and gone kept for the snapshot, new f

        try await t.store.deleteSnapshot(of: "docs", snap.name)
        let after = try await t.store.check()
        #expect(after.problems == [])
        #expect(after.chunks == 1)
        #expect(after.views == 1)
        #expect(try await docs.read("f") == pattern(65_536, seed: 3))
        #expect(try await docs.exists("gone") == false)
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: 65_536, nodeCount: 1))

        // Further writes after the reclaim keep the store sound and do not accumulate versions.
        try await docs.write("f", at: 100, pattern(10, seed: 4))
        try await docs.write("f", at: 100, pattern(10, seed: 5))
        #expect(try await t.store.check().problems == [])
        #expect(try await t.store.check().chunks == 2)
        #expect(t.store.storedBytes > 0)
        try await t.finish()
    }

    @Test func deletingMiddleSnapshotKeepsOthersReadable() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("f", length: 4)
        var snaps: [String] = []
        for i in 0..<4 {
            try await docs.write("f", at: 0, [UInt8(i), UInt8(i), UInt8(i), UInt8(i)])
            snaps.append(try await t.store.createSnapshot(of: "docs").name)
        }
        try await docs.write("f", at: 0, [9, 9, 9, 9])
        try await t.store.deleteSnapshot(of: "docs", snaps[1])
        try await t.store.deleteSnapshot(of: "docs", snaps[2])
        #expect(try await t.store.share("docs", snapshot: snaps[0]).read("f") == [0, 0, 0, 0])
        #expect(try await t.store.share("docs", snapshot: snaps[3]).read("f") == [3, 3, 3, 3])
        #expect(try await docs.read("f") == [9, 9, 9, 9])
        #expect(try await t.store.check().chunks == 3)
        try await t.finish()
    }

    @Test func deleteSnapshotAfterManyChangesKeepsLiveShareIntact() async throws {
        let t = try await TempStore.make(extentSize: 64 * 1024)
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createDirectory("a")
        try await docs.createDirectory("a/b")
        for i in 0..<6 {
            try await docs.createFile("a/b/f\(i)", length: 200_000)
            try await docs.write("a/b/f\(i)", at: UInt64(i) * 1000, pattern(70_000, seed: UInt64(i)))
        }
        let first = try await t.store.createSnapshot(of: "docs")
        // Change nearly everything the snapshot sees.
        try await docs.rename("a/b", to: "b")
        try await docs.rename("b/f0", to: "b/F0-renamed")
        try await docs.deleteFile("b/f1")
        try await docs.write("b/f2", at: 0, pattern(200_000 - 1, seed: 20))
        try await docs.clear("b/f3", range: 0..<200_000)
        try await docs.resize("b/f4", to: 10)
        try await docs.setMetadata("b/f5", ["changed": "yes"])
        try await docs.createFile("f1", length: 5, overwrite: false)
        try await docs.rename("f1", to: "b/f5", replaceIfExists: true)
        try await docs.deleteDirectory("a")
        let second = try await t.store.createSnapshot(of: "docs")
        try await docs.write("b/f2", at: 0, [1])
        let live = try await ShareCoreObservableState.tree(docs)
        let secondTree = try await ShareCoreObservableState.tree(t.store.share("docs", snapshot: second.name))
        let stats = try await t.store.shareStats("docs")

        try await t.store.deleteSnapshot(of: "docs", first.name)
        #expect(try await t.store.check().problems == [])
        #expect(try await ShareCoreObservableState.tree(docs) == live)
        #expect(try await ShareCoreObservableState.tree(t.store.share("docs", snapshot: second.name)) == secondTree)
        #expect(try await t.store.shareStats("docs") == stats)
        #expect(try await docs.read("b/f2", range: 0..<3) == [1] + Array(pattern(200_000 - 1, seed: 20)[1..<3]))

        try await t.store.deleteSnapshot(of: "docs", second.name)
        #expect(try await t.store.check().problems == [])
        #expect(try await ShareCoreObservableState.tree(docs) == live)
        #expect(try await t.store.shareStats("docs") == stats)
        // Only what the live share references is left: f2's two writes and F0's data.
        #expect(try await t.store.check().chunks == 3)
        try await t.finish()
    }

    @Test func sharesAndSnapshotsSurviveReopening() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs", options: ShareOptions(quotaGiB: 3, accessTier: "Hot", metadata: ["k": "v"],
                                                                    caseSensitive: true))
        try await t.store.share("docs").createFile("F", length: 2)
        let snap = try await t.store.createSnapshot(of: "docs", metadata: ["s": "1"])
        try await t.store.share("docs").createFile("f", length: 3)
        let state = try await ShareCoreObservableState.capture(t.store)
        let store = try await t.reopen()
        #expect(try await ShareCoreObservableState.capture(store) == state)
        #expect(try await store.listSnapshots(of: "docs").map(\.name) == [snap.name])
        #expect(try await store.share("docs", snapshot: snap.name).list().entries.map(\.name) == ["F"])
        // The clock keeps snapshot names increasing after reopening.
        let later = try await store.createSnapshot(of: "docs")
        #expect(later.name > snap.name)
        try await t.finish(store)
    }

    @Test func snapshotHandlesAreReadOnly() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createDirectory("dir")
        try await docs.createDirectory("empty")
        try await docs.createFile("dir/f", length: 10)
        try await docs.write("dir/f", at: 0, pattern(10, seed: 1))
        let snap = try await t.store.createSnapshot(of: "docs")
        let ro = t.store.share("docs", snapshot: snap.name)
        let state = try await ShareCoreObservableState.capture(t.store)

        await expectError(.snapshotReadOnly) { try await ro.createFile("new", length: 1) }
        await expectError(.snapshotReadOnly) { try await ro.createFile("dir/f", length: 1, overwrite: true) }
        await expectError(.snapshotReadOnly) { try await ro.createDirectory("newdir") }
        await expectError(.snapshotReadOnly) { try await ro.deleteFile("dir/f") }
        await expectError(.snapshotReadOnly) { try await ro.deleteDirectory("empty") }
        await expectError(.snapshotReadOnly) { try await ro.resize("dir/f", to: 20) }
        await expectError(.snapshotReadOnly) { try await ro.write("dir/f", at: 0, [1]) }
        await expectError(.snapshotReadOnly) { try await ro.clear("dir/f", range: 0..<5) }
        await expectError(.snapshotReadOnly) { try await ro.setProperties("dir/f", NodeProperties(attributes: .hidden)) }
        await expectError(.snapshotReadOnly) { try await ro.setProperties("dir", NodeProperties(permissionKey: "k")) }
        await expectError(.snapshotReadOnly) { try await ro.setMetadata("dir/f", ["a": "b"]) }
        await expectError(.snapshotReadOnly) { try await ro.rename("dir/f", to: "dir/g") }
        await expectError(.snapshotReadOnly) { try await ro.rename("dir", to: "dir2") }
        await expectError(.snapshotReadOnly) { try await ro.copy(from: docs, "dir/f", to: "copy") }
        await expectError(.snapshotReadOnly) { try await ro.copy(from: ro, "dir/f", to: "copy") }
        await expectError(.snapshotReadOnly) {
            try await ro.upload("up", from: ByteChunks(chunks: [[1, 2, 3]]))
        }
        #expect(try await ShareCoreObservableState.capture(t.store) == state)

        // Reads through the handle work, and the live share is still writable.
        #expect(try await ro.read("dir/f") == pattern(10, seed: 1))
        try await docs.write("dir/f", at: 0, [7])
        #expect(try await ro.read("dir/f") == pattern(10, seed: 1))
        // Copying out of a snapshot into the live share is allowed.
        try await docs.copy(from: ro, "dir/f", to: "restored")
        #expect(try await docs.read("restored") == pattern(10, seed: 1))
        try await t.finish()
    }
}
