import Foundation
import Testing
@testable import ShareCore

private let MiB = 1024 * 1024

/// What a user sees of one item of a tree.
private struct Item: Equatable, CustomStringConvertible {
    var kind: NodeKind
    var bytes: [UInt8]
    var ranges: [Range<UInt64>]
    var metadata: Metadata
    var contentHeaders: ContentHeaders
    var attributes: FileAttributes

    var description: String { "\(kind) \(bytes.count) bytes \(ranges) \(metadata.pairs)" }
}

/// Every item below `path` of a share handle, by path.
private func tree(_ share: Share, _ path: String = "") async throws -> [String: Item] {
    var out: [String: Item] = [:]
    var queue = [path]
    while !queue.isEmpty {
        let dir = queue.removeFirst()
        var marker: String?
        repeat {
            let page = try await share.list(dir, marker: marker)
            for entry in page.entries {
                let p = dir.isEmpty ? entry.name : dir + "/" + entry.name
                if entry.kind == .directory {
                    queue.append(p)
                    out[p] = Item(kind: .directory, bytes: [], ranges: [], metadata: entry.info.metadata,
                                  contentHeaders: entry.info.contentHeaders, attributes: entry.info.smb.attributes)
                } else {
                    out[p] = Item(kind: .file, bytes: try await share.read(p), ranges: try await share.ranges(p),
                                  metadata: entry.info.metadata, contentHeaders: entry.info.contentHeaders,
                                  attributes: entry.info.smb.attributes)
                }
            }
            marker = page.nextMarker
        } while marker != nil
    }
    return out
}

/// Re-roots the paths of a tree under `prefix`.
private func rerooted(_ items: [String: Item], under prefix: String, dropping base: String = "") -> [String: Item] {
    var out: [String: Item] = [:]
    for (path, item) in items {
        var rest = path
        if !base.isEmpty {
            guard path.hasPrefix(base + "/") else { continue }
            rest = String(path.dropFirst(base.count + 1))
        }
        out[prefix.isEmpty ? rest : prefix + "/" + rest] = item
    }
    return out
}

private func write(_ share: Share, _ path: String, _ bytes: [UInt8], length: UInt64? = nil,
                   properties: NodeProperties = NodeProperties()) async throws {
    try await share.createFile(path, length: length ?? UInt64(bytes.count), properties: properties, overwrite: true)
    var offset = 0
    while offset < bytes.count {
        let n = min(ShareStore.maxRangeBytes, bytes.count - offset)
        try await share.write(path, at: UInt64(offset), Array(bytes[offset..<(offset + n)]))
        offset += n
    }
}

/// Collects progress callbacks from any thread.
private final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [RestoreProgress] = []

    func record(_ p: RestoreProgress) {
        lock.lock()
        items.append(p)
        lock.unlock()
    }

    var all: [RestoreProgress] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

@Suite struct CopyRestoreTests {
    let props = NodeProperties(
        contentHeaders: ContentHeaders(contentType: "image/png", contentEncoding: "identity", contentLanguage: "de",
                                       contentDisposition: "inline", cacheControl: "max-age=60", contentMD5: Array(repeating: 7, count: 16)),
        attributes: [.readOnly, .archive], creationTime: FileTime(ticks: 15_000_000_000_000_000),
        lastWriteTime: FileTime(ticks: 15_500_000_000_000_000), permissionKey: "perm-1",
        nfs: NFSProperties(mode: 0o755, owner: 10, group: 20), metadata: ["origin": "source", "n": "1"])

    @Test func copyWithinAShareSharesChunks() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        try await s.createDirectory("dir")
        let data = pattern(6 * MiB, seed: 1)
        try await write(s, "src.bin", data, length: UInt64(10 * MiB), properties: props)
        try await s.clear("src.bin", range: UInt64(MiB)..<UInt64(2 * MiB))
        let sourceInfo = try await s.info("src.bin")
        let sourceBytes = try await s.read("src.bin")
        let sourceRanges = try await s.ranges("src.bin")
        #expect(sourceRanges == [0..<UInt64(MiB), UInt64(2 * MiB)..<UInt64(6 * MiB)])
        let usedBefore = try await t.store.shareStats("docs").usedBytes
        let storedBefore = t.store.storedBytes

        let copy = try await s.copy(from: s, "src.bin", to: "dir/copy.bin")
        #expect(t.store.storedBytes - storedBefore < MiB, "a copy must share chunks, not copy 5 MiB")
        #expect(copy.id != sourceInfo.id)
        #expect(copy.size == sourceInfo.size)
        #expect(copy.contentHeaders == sourceInfo.contentHeaders)
        #expect(copy.smb.attributes == sourceInfo.smb.attributes)
        #expect(copy.smb.creationTime == sourceInfo.smb.creationTime)
        #expect(copy.smb.lastWriteTime == sourceInfo.smb.lastWriteTime)
        #expect(copy.smb.permissionKey == sourceInfo.smb.permissionKey)
        #expect(copy.nfs == sourceInfo.nfs)
        #expect(copy.metadata == sourceInfo.metadata)
        #expect(try await s.info("dir/copy.bin") == copy)
        #expect(try await s.read("dir/copy.bin") == sourceBytes)
        #expect(try await s.ranges("dir/copy.bin") == sourceRanges)
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: usedBefore * 2, nodeCount: 3))
        #expect(try await t.store.check().problems == [])

        // Changing the copy leaves the source alone, and the other way round.
        try await s.write("dir/copy.bin", at: 0, [1, 2, 3])
        try await s.clear("dir/copy.bin", range: UInt64(3 * MiB)..<UInt64(4 * MiB))
        try await s.setMetadata("dir/copy.bin", ["changed": "yes"])
        #expect(try await s.read("src.bin") == sourceBytes)
        #expect(try await s.ranges("src.bin") == sourceRanges)
        #expect(try await s.info("src.bin").metadata == sourceInfo.metadata)
        try await s.write("src.bin", at: 100, [9, 9])
        try await s.resize("src.bin", to: 100)
        let copyBytes = try await s.read("dir/copy.bin")
        #expect(Array(copyBytes[0..<3]) == [1, 2, 3])
        #expect(Array(copyBytes[3..<MiB]) == Array(data[3..<MiB]))
        #expect(Array(copyBytes[(3 * MiB)..<(4 * MiB)]) == [UInt8](repeating: 0, count: MiB))
        #expect(Array(copyBytes[(4 * MiB)..<(6 * MiB)]) == Array(data[(4 * MiB)..<(6 * MiB)]))
        #expect(try await s.ranges("dir/copy.bin") == [0..<UInt64(MiB), UInt64(2 * MiB)..<UInt64(3 * MiB), UInt64(4 * MiB)..<UInt64(6 * MiB)])
        // Deleting the source keeps the copy's data.
        try await s.deleteFile("src.bin")
        #expect(try await s.read("dir/copy.bin") == copyBytes)
        try await t.finish()
    }

    @Test func copyWithOverrides() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        try await write(s, "src", pattern(1000, seed: 2), properties: props)
        let copy = try await s.copy(from: s, "src", to: "dst", options: CopyOptions(
            metadata: ["fresh": "1"],
            properties: NodeProperties(contentHeaders: ContentHeaders(contentType: "text/plain"), attributes: .hidden)))
        #expect(copy.metadata == ["fresh": "1"])
        #expect(copy.contentHeaders == ContentHeaders(contentType: "text/plain"))
        #expect(copy.smb.attributes == .hidden)
        #expect(copy.nfs == props.nfs)
        #expect(try await s.read("dst") == pattern(1000, seed: 2))
        #expect(try await s.info("src").metadata == props.metadata)
        // Metadata given as a property applies too when no separate metadata is given.
        let second = try await s.copy(from: s, "src", to: "dst2", options: CopyOptions(properties: NodeProperties(metadata: ["p": "q"])))
        #expect(second.metadata == ["p": "q"])
        // Copying a file onto itself changes only what the options ask for.
        let same = try await s.copy(from: s, "src", to: "src", options: CopyOptions(metadata: ["self": "yes"]))
        #expect(same.metadata == ["self": "yes"])
        #expect(try await s.read("src") == pattern(1000, seed: 2))
        // Invalid metadata is refused before anything happens.
        await expectError(.invalidMetadata) {
            try await s.copy(from: s, "src", to: "dst3", options: CopyOptions(metadata: Metadata(trusted: [("9 x", "1")])))
        }
        #expect(try await s.exists("dst3") == false)
        try await t.finish()
    }

    @Test func copyAcrossSharesAndFromASnapshot() async throws {
        let t = try await TempStore.make(extentSize: 65536)
        try await t.store.createShare("one")
        try await t.store.createShare("two")
        let one = t.store.share("one")
        let two = t.store.share("two")
        try await one.createDirectory("d")
        let original = pattern(300_000, seed: 3)
        try await write(one, "d/f", original, length: 400_000, properties: props)
        let snap = try await t.store.createSnapshot(of: "one")
        try await one.write("d/f", at: 0, pattern(1000, seed: 4))
        try await one.resize("d/f", to: 1000)
        try await one.setMetadata("d/f", ["after": "snapshot"])

        // From the live share into another share.
        let live = try await two.copy(from: one, "d/f", to: "live")
        #expect(live.size == 1000)
        #expect(try await two.read("live") == pattern(1000, seed: 4))
        #expect(live.metadata == ["after": "snapshot"])
        // From the snapshot: what the snapshot saw, bytes, ranges and properties.
        let old = t.store.share("one", snapshot: snap.name)
        let fromSnap = try await two.copy(from: old, "d/f", to: "old")
        #expect(fromSnap.size == 400_000)
        #expect(try await two.read("old") == original + [UInt8](repeating: 0, count: 100_000))
        #expect(try await two.ranges("old") == [0..<300_000])
        #expect(fromSnap.metadata == props.metadata)
        #expect(fromSnap.contentHeaders == props.contentHeaders)
        // And into the same share, next to the changed file.
        try await one.copy(from: old, "d/f", to: "d/restored")
        let restoredBytes = try await one.read("d/restored")
        #expect(try await two.read("old") == restoredBytes)
        #expect(try await t.store.shareStats("two").usedBytes == 301_000)
        // The copies are independent of the snapshot and the share they came from.
        try await t.store.deleteSnapshot(of: "one", snap.name)
        try await t.store.deleteShare("one")
        #expect(try await two.read("old") == original + [UInt8](repeating: 0, count: 100_000))
        try await t.finish()
    }

    @Test func copyOntoExistingItemsAndErrors() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        try await write(s, "src", pattern(500, seed: 5))
        try await write(s, "dst", pattern(2000, seed: 6), properties: NodeProperties(metadata: ["old": "dst"]))
        try await s.createDirectory("dir")
        try await s.createFile("dir/inner", length: 1)

        // Overwrite (the default) replaces the existing file.
        let replaced = try await s.copy(from: s, "src", to: "dst")
        #expect(replaced.size == 500)
        #expect(replaced.metadata == Metadata())
        #expect(try await s.read("dst") == pattern(500, seed: 5))
        #expect(try await t.store.shareStats("docs") == ShareStats(usedBytes: 1000, nodeCount: 4))

        try await write(s, "other", pattern(10, seed: 7))
        let before = try await s.info("other")
        await expectError(.resourceAlreadyExists) {
            try await s.copy(from: s, "src", to: "other", options: CopyOptions(overwrite: false))
        }
        await expectError(.resourceAlreadyExists) { try await s.copy(from: s, "src", to: "dir") }
        await expectError(.notAFile) { try await s.copy(from: s, "src", to: "") }
        await expectError(.resourceNotFound) { try await s.copy(from: s, "missing", to: "x") }
        await expectError(.notAFile) { try await s.copy(from: s, "dir", to: "x") }
        await expectError(.parentNotFound) { try await s.copy(from: s, "src", to: "nodir/x") }
        await expectError(.notADirectory) { try await s.copy(from: s, "src", to: "src/x") }
        await expectError(.shareNotFound) { try await s.copy(from: t.store.share("nosuch"), "src", to: "x") }
        await expectError(.snapshotNotFound) {
            try await s.copy(from: t.store.share("docs", snapshot: "2001-01-01T00:00:00.0000000Z"), "src", to: "x")
        }
        let snap = try await t.store.createSnapshot(of: "docs")
        await expectError(.snapshotReadOnly) {
            try await t.store.share("docs", snapshot: snap.name).copy(from: s, "src", to: "x")
        }
        #expect(try await s.info("other") == before)
        #expect(try await s.read("other") == pattern(10, seed: 7))
        #expect(try await s.exists("x") == false)
        #expect(try await s.info("dir").kind == .directory)
        #expect(try await s.read("dir/inner") == [0])
        #expect(try await t.store.shareStats("docs").nodeCount == 5)
        try await t.finish()
    }
}

extension CopyRestoreTests {
    /// A share with a small tree, a snapshot of it, and changes after the snapshot.
    private func scenario(_ t: TempStore) async throws -> (Share, SnapshotInfo, [String: Item]) {
        try await t.store.createShare("docs")
        let s = t.store.share("docs")
        try await s.createDirectory("dir", properties: NodeProperties(metadata: ["level": "1"]))
        try await s.createDirectory("dir/sub")
        try await s.createDirectory("dir/sub/deep")
        try await write(s, "a.txt", pattern(5000, seed: 1), properties: NodeProperties(
            contentHeaders: ContentHeaders(contentType: "text/plain"), metadata: ["v": "1"]))
        try await write(s, "keep.txt", pattern(10, seed: 2))
        try await write(s, "dir/b.txt", pattern(70_000, seed: 3), length: 200_000)
        try await write(s, "dir/sub/c.txt", pattern(100, seed: 4))
        try await write(s, "dir/sub/deep/d.txt", pattern(1, seed: 5))
        let snap = try await t.store.createSnapshot(of: "docs")
        let before = try await tree(s)
        #expect(before.count == 8)
        // Changes after the snapshot.
        try await s.write("a.txt", at: 0, [0xFF, 0xFF])
        try await s.setProperties("a.txt", NodeProperties(contentHeaders: ContentHeaders(contentType: "x/y"), metadata: ["v": "2"]))
        try await s.deleteFile("dir/b.txt")
        try await s.deleteFile("dir/sub/deep/d.txt")
        try await s.deleteDirectory("dir/sub/deep")
        try await s.resize("dir/sub/c.txt", to: 10)
        try await s.setMetadata("dir", ["level": "changed"])
        try await write(s, "new.txt", pattern(20, seed: 6))
        try await write(s, "dir/new2.txt", pattern(30, seed: 7))
        return (s, snap, before)
    }

    @Test func restoreWholeShareInPlace() async throws {
        let t = try await TempStore.make(extentSize: 65536)
        let (s, snap, before) = try await scenario(t)
        // A file now stands where the snapshot had a directory.
        try await s.createFile("dir/sub/deep", length: 5)
        let newer = try await tree(s)
        let log = ProgressLog()
        let report = try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name)) { log.record($0) }
        // Root, 3 directories and 5 files.
        #expect(report == RestoreReport(restored: 9, skipped: 0, failed: 0, failures: []))
        let after = try await tree(s)
        var expected = before
        expected["new.txt"] = newer["new.txt"]
        expected["dir/new2.txt"] = newer["dir/new2.txt"]
        #expect(after == expected)
        #expect(try await s.read("a.txt") == pattern(5000, seed: 1))
        #expect(try await s.info("a.txt").contentHeaders.contentType == "text/plain")
        #expect(try await s.ranges("dir/b.txt") == [0..<70_000])
        #expect(try await s.info("dir/b.txt").size == 200_000)
        #expect(try await s.info("dir").metadata == ["level": "1"])
        // Progress: one call per item, counts never going back.
        let calls = log.all
        #expect(calls.count == 9)
        for (i, p) in calls.enumerated() {
            #expect(p.restored + p.skipped + p.failed == i + 1)
            if i > 0 { #expect(p.restored >= calls[i - 1].restored) }
        }
        #expect(calls.last?.restored == 9)
        #expect(Set(calls.map(\.lastPath)) == Set(["", "a.txt", "keep.txt", "dir", "dir/b.txt", "dir/sub", "dir/sub/c.txt", "dir/sub/deep", "dir/sub/deep/d.txt"]))
        // The snapshot is untouched and the live share is consistent.
        #expect(try await tree(t.store.share("docs", snapshot: snap.name)) == before)
        let stats = try await t.store.shareStats("docs")
        #expect(stats.nodeCount == 10)
        #expect(stats.usedBytes == 5000 + 10 + 70_000 + 100 + 1 + 20 + 30)
        try await t.finish()
    }

    @Test func restoreASubtreeAndASingleFile() async throws {
        let t = try await TempStore.make()
        let (s, snap, before) = try await scenario(t)
        let report = try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, items: ["dir/sub"]))
        #expect(report == RestoreReport(restored: 4, skipped: 0, failed: 0, failures: []))
        let after = try await tree(s)
        #expect(after["dir/sub/c.txt"] == before["dir/sub/c.txt"])
        #expect(after["dir/sub/deep/d.txt"] == before["dir/sub/deep/d.txt"])
        // Outside the subtree nothing moved.
        #expect(after["dir/b.txt"] == nil)
        #expect(try await s.read("a.txt", range: 0..<2) == [0xFF, 0xFF])
        #expect(after["dir"]?.metadata == ["level": "changed"])

        let single = try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, items: ["a.txt"]))
        #expect(single == RestoreReport(restored: 1, skipped: 0, failed: 0, failures: []))
        #expect(try await tree(s)["a.txt"] == before["a.txt"])
        #expect(try await s.exists("dir/b.txt") == false)
        // Several items at once.
        let two = try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, items: ["dir/b.txt", "keep.txt"]))
        #expect(two.restored == 2)
        #expect(try await tree(s)["dir/b.txt"] == before["dir/b.txt"])
        try await t.finish()
    }

    @Test func restoreIntoAnotherShareAndFolder() async throws {
        let t = try await TempStore.make()
        let (_, snap, before) = try await scenario(t)
        try await t.store.createShare("other")
        let other = t.store.share("other")
        try await write(other, "existing.txt", pattern(3, seed: 9))

        let whole = try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, targetShare: "other",
                                                             targetFolder: "restored/here"))
        #expect(whole.restored == 9)
        #expect(whole.failed == 0)
        let landed = try await tree(other, "restored/here")
        #expect(landed == rerooted(before, under: "restored/here"))
        #expect(try await other.read("existing.txt") == pattern(3, seed: 9))

        let sub = try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, items: ["dir/sub", "a.txt"],
                                                           targetShare: "other", targetFolder: "x"))
        #expect(sub.restored == 5)
        var expected = rerooted(before, under: "x/sub", dropping: "dir/sub")
        expected["x/sub"] = before["dir/sub"]
        expected["x/a.txt"] = before["a.txt"]
        #expect(try await tree(other, "x") == expected)
        // Into another share at the original paths.
        try await t.store.createShare("third")
        let third = try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, items: ["dir"], targetShare: "third"))
        #expect(third.restored == 6)
        #expect(try await tree(t.store.share("third")) == before.filter { $0.key.hasPrefix("dir") })
        #expect(try await t.store.shareStats("third").usedBytes == 70_000 + 100 + 1)
        try await t.finish()
    }

    @Test func conflictPolicies() async throws {
        let t = try await TempStore.make()
        let (s, snap, before) = try await scenario(t)
        let changedA = try await s.read("a.txt")

        // skip: existing files stay, missing ones come back; existing directories merge.
        let log = ProgressLog()
        let skipped = try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, conflict: .skip)) { log.record($0) }
        // a.txt, keep.txt and dir/sub/c.txt exist: skipped. root, dir, dir/sub, deep, b.txt, d.txt restored.
        #expect(skipped == RestoreReport(restored: 6, skipped: 3, failed: 0, failures: []))
        #expect(log.all.count == 9)
        #expect(log.all.last?.skipped == 3)
        #expect(try await s.read("a.txt") == changedA)
        #expect(try await s.info("dir/sub/c.txt").size == 10)
        #expect(try await tree(s)["dir/b.txt"] == before["dir/b.txt"])
        #expect(try await tree(s)["dir/sub/deep/d.txt"] == before["dir/sub/deep/d.txt"])
        #expect(try await s.info("dir").metadata == ["level": "changed"])

        // fail: every existing file is a failure, listed with its path.
        try await s.deleteFile("dir/b.txt")
        let failed = try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, conflict: .fail))
        #expect(failed.restored == 5)
        #expect(failed.skipped == 0)
        #expect(failed.failed == 4)
        #expect(Set(failed.failures.map(\.path)) == ["a.txt", "keep.txt", "dir/sub/c.txt", "dir/sub/deep/d.txt"])
        #expect(failed.failures.allSatisfy { $0.code == .resourceAlreadyExists })
        #expect(try await s.read("a.txt") == changedA)
        #expect(try await tree(s)["dir/b.txt"] == before["dir/b.txt"])

        // overwrite: everything comes back; a directory where a file was is replaced only if empty.
        try await s.deleteFile("keep.txt")
        try await s.createDirectory("keep.txt")
        try await s.deleteFile("dir/sub/c.txt")
        try await s.createDirectory("dir/sub/c.txt")
        try await s.createFile("dir/sub/c.txt/inside", length: 1)
        let over = try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, conflict: .overwrite))
        #expect(over.restored == 8)
        #expect(over.failed == 1)
        #expect(over.failures.map(\.path) == ["dir/sub/c.txt"])
        #expect(over.failures.first?.code == .directoryNotEmpty)
        var after = try await tree(s)
        #expect(after["keep.txt"] == before["keep.txt"])
        #expect(after["a.txt"] == before["a.txt"])
        #expect(after["dir/sub/c.txt"]?.kind == .directory)
        after["dir/sub/c.txt"] = nil
        after["dir/sub/c.txt/inside"] = nil
        after["new.txt"] = nil
        after["dir/new2.txt"] = nil
        var expected = before
        expected["dir/sub/c.txt"] = nil
        #expect(after == expected)
        try await t.finish()
    }

    @Test func restoreFailsBeforeChangingAnything() async throws {
        let t = try await TempStore.make()
        let (s, snap, _) = try await scenario(t)
        let live = try await tree(s)
        let stats = try await t.store.shareStats("docs")
        try await t.store.createShare("other")

        await expectError(.snapshotNotFound) {
            try await t.store.restore(RestoreRequest(share: "docs", snapshot: "2001-01-01T00:00:00.0000000Z"))
        }
        await expectError(.resourceNotFound) {
            try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, items: ["a.txt", "new.txt"]))
        }
        await expectError(.resourceNotFound) {
            try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, items: ["dir/b.txt", "dir/nothing"],
                                                     targetShare: "other", targetFolder: "f"))
        }
        await expectError(.parentNotFound) {
            try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, items: ["nodir/x"]))
        }
        await expectError(.shareNotFound) {
            try await t.store.restore(RestoreRequest(share: "nosuch", snapshot: snap.name))
        }
        await expectError(.shareNotFound) {
            try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, targetShare: "nosuch", targetFolder: "f"))
        }
        await expectError(.invalidName) {
            try await t.store.restore(RestoreRequest(share: "docs", snapshot: snap.name, items: ["bad|name"]))
        }
        #expect(try await tree(s) == live)
        #expect(try await t.store.shareStats("docs") == stats)
        #expect(try await tree(t.store.share("other")) == [:])
        try await t.finish()
    }
}
