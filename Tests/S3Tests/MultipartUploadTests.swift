import Foundation
import S3
import Testing
@testable import ShareCore

private let KiB = 1024
private let MiB = 1024 * 1024

/// `data` cut into buffers of the given sizes, cycling through them.
private func buffers(_ data: [UInt8], sizes: [Int] = [100_003, 7, 65_536]) -> ByteChunks {
    var out: [[UInt8]] = []
    var offset = 0
    var i = 0
    while offset < data.count {
        let n = min(sizes[i % sizes.count], data.count - offset)
        out.append(Array(data[offset..<(offset + n)]))
        offset += n
        i += 1
    }
    return ByteChunks(chunks: out)
}

private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// The S3 multipart ETag (without quotes): MD5 of the parts' MD5s, a dash, the part count.
private func multipartETag(_ md5s: [[UInt8]]) -> String {
    hex(MD5.digest(md5s.flatMap { $0 })) + "-\(md5s.count)"
}

/// The bytes of a hex upload id.
private func hexBytes(_ text: String) -> [UInt8] {
    let u = Array(text.utf8)
    func nibble(_ c: UInt8) -> UInt8 { c >= 97 ? c - 87 : c - 48 }
    return stride(from: 0, to: u.count, by: 2).map { nibble(u[$0]) << 4 | nibble(u[$0 + 1]) }
}

/// Chunks stored and their total length.
private func chunkTotals(_ store: ShareStore) throws -> (count: Int, bytes: Int) {
    try store.env.read { txn in
        var count = 0
        var bytes = 0
        try txn.scan(.chunks, prefix: []) { k, v in
            count += 1
            bytes += try Chunks.Layout(v, id: k.beUInt64(at: 0)).length
            return true
        }
        return (count, bytes)
    }
}

/// Rows of a table.
private func rows(_ store: ShareStore, _ table: Table) throws -> Int {
    try store.env.read { txn in try txn.count(table) }
}

/// The run counts of each extent of file `path` of live share `share`.
private func runCounts(_ store: ShareStore, _ share: String, _ path: String) throws -> [Int] {
    try store.read(share: share, snapshot: nil) { view in
        let node = try view.resolveFile(SharePath(path))
        var out: [Int] = []
        try view.extents(node: node.info.id) { _, map in
            out.append(map.runs.count)
            return true
        }
        return out
    }
}

/// Reads a whole file in 8 MiB pieces.
private func readAll(_ share: Share, _ path: String) async throws -> [UInt8] {
    let size = try await share.info(path).size
    var out: [UInt8] = []
    var at: UInt64 = 0
    while at < size {
        let end = min(size, at + UInt64(8 * MiB))
        out += try await share.read(path, range: at..<end)
        at = end
    }
    return out
}

@Suite("Multipart uploads (the S3 front's records and the engine's staged content)")
struct MultipartUploadTests {
    @Test("parts of odd sizes assemble byte-exact with the upload's properties and ETag")
    func happyPath() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        let s = t.store.share("mpu")
        try await s.createDirectory("d")
        let properties = NodeProperties(contentHeaders: ContentHeaders(contentType: "application/x-test", cacheControl: "no-cache"),
                                        metadata: try Metadata([("color", "blue"), ("Size", "large")]))
        let upload = try await s.createMultipartUpload("d/big.bin", properties: properties, tag: "CRC32")
        #expect(upload.id.count == 32)
        #expect(upload.id.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(upload.path == "d/big.bin")
        #expect(upload.share == "mpu")
        #expect(upload.tag == "CRC32")
        #expect(try await s.multipartUpload(upload.id) == upload)

        let one = pattern(5 * MiB + 3, seed: 1)
        let two = pattern(5 * MiB + 65_537, seed: 2)
        let three = pattern(12_345, seed: 3)
        let p1 = try await s.uploadPart(upload.id, number: 1, from: buffers(one), checksum: { "sum-1" })
        let p2 = try await s.uploadPart(upload.id, number: 2, from: buffers(two, sizes: [4 * MiB + 1]))
        let p3 = try await s.uploadPart(upload.id, number: 7, from: buffers(three, sizes: [1]))
        #expect(p1.size == UInt64(one.count) && p1.md5 == MD5.digest(one) && p1.checksum == "sum-1")
        #expect(p2.size == UInt64(two.count) && p2.md5 == MD5.digest(two) && p2.checksum == nil)
        #expect(p3.number == 7 && p3.md5 == MD5.digest(three))

        let listed = try await s.listParts(upload.id)
        #expect(listed.parts == [p1, p2, p3])
        #expect(!listed.truncated)
        let page = try await s.listParts(upload.id, maxParts: 2)
        #expect(page.parts.map(\.number) == [1, 2] && page.truncated)
        let rest = try await s.listParts(upload.id, after: 2, maxParts: 2)
        #expect(rest.parts.map(\.number) == [7] && !rest.truncated)
        #expect(try await s.listParts(upload.id, after: 7).parts.isEmpty)

        let etag = multipartETag([p1.md5, p2.md5, p3.md5])
        let info = try await s.completeMultipartUpload(upload.id, parts: [(1, p1.md5), (2, p2.md5), (7, p3.md5)], etag: etag)
        let expected = one + two + three
        #expect(info.size == UInt64(expected.count))
        #expect(info.objectETag == etag)
        #expect(info.contentHeaders.contentType == "application/x-test")
        #expect(info.contentHeaders.cacheControl == "no-cache")
        #expect(info.metadata == properties.metadata)
        let stored = try await s.info("d/big.bin")
        #expect(stored.objectETag == etag && stored.size == info.size && stored.etag == info.etag)
        #expect(try await readAll(s, "d/big.bin") == expected)
        #expect(try await s.ranges("d/big.bin") == [0..<UInt64(expected.count)])
        // The whole file's MD5 is not known from the parts; it is computed on demand.
        #expect(try await s.contentMD5("d/big.bin") == MD5.digest(expected))
        #expect(try await t.store.shareStats("mpu").usedBytes == UInt64(expected.count))
        // The upload is gone.
        await expectCode(.uploadNotFound) { try await s.multipartUpload(upload.id) }
        await expectCode(.uploadNotFound) { try await s.listParts(upload.id) }
        #expect(try await s.listMultipartUploads().isEmpty)
        #expect(try rows(t.store, .staged) == 0 && rows(t.store, .pending) == 0)
        // No data was copied at completion: the chunks hold exactly the parts' bytes.
        #expect(try chunkTotals(t.store).bytes == expected.count)
        try await t.finish()
    }

    @Test("parts stay invisible until completion")
    func invisibleUntilCompleted() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        let s = t.store.share("mpu")
        try await s.createDirectory("d")
        try await s.createFile("d/other", length: 3)
        let before = try await s.list("d").entries.map(\.name)
        let upload = try await s.createMultipartUpload("d/new")
        let part = try await s.uploadPart(upload.id, number: 1, from: buffers(pattern(200 * KiB, seed: 9)))
        await expectCode(.resourceNotFound) { try await s.info("d/new") }
        #expect(try await s.list("d").entries.map(\.name) == before)
        #expect(try await t.store.shareStats("mpu").usedBytes == 0)
        #expect(try await t.store.shareStats("mpu").nodeCount == 2)
        #expect(try await t.store.check().problems == [])
        try await s.completeMultipartUpload(upload.id, parts: [(1, part.md5)], etag: "e")
        #expect(try await s.list("d").entries.map(\.name) == ["new", "other"])
        try await t.finish()
    }

    @Test("a part uploaded again replaces the earlier one and releases its chunks")
    func replacePart() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        let s = t.store.share("mpu")
        let upload = try await s.createMultipartUpload("f")
        let first = pattern(300 * KiB, seed: 1)
        let second = pattern(100 * KiB + 1, seed: 2)
        let old = try await s.uploadPart(upload.id, number: 1, from: buffers(first))
        let new = try await s.uploadPart(upload.id, number: 1, from: buffers(second))
        #expect(old.md5 != new.md5)
        #expect(try await s.listParts(upload.id).parts == [new])
        #expect(try chunkTotals(t.store).bytes == second.count)
        #expect(try await t.store.check().problems == [])
        await expectCode(.invalidPart) {
            try await s.completeMultipartUpload(upload.id, parts: [(1, old.md5)], etag: "e")
        }
        try await s.completeMultipartUpload(upload.id, parts: [(1, new.md5)], etag: "e")
        #expect(try await s.read("f") == second)
        try await t.finish()
    }

    @Test("abort releases every chunk of the upload")
    func abortReleases() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        let s = t.store.share("mpu")
        try await s.upload("keep", from: buffers(pattern(150 * KiB, seed: 5)))
        let baseline = try chunkTotals(t.store)
        let refsBefore = try rows(t.store, .refs)
        let upload = try await s.createMultipartUpload("f")
        for n in 1...3 {
            _ = try await s.uploadPart(upload.id, number: n, from: buffers(pattern(130 * KiB + n, seed: UInt64(n))))
        }
        #expect(try chunkTotals(t.store).bytes == baseline.bytes + 3 * 130 * KiB + 6)
        try await s.abortMultipartUpload(upload.id)
        #expect(try chunkTotals(t.store) == baseline)
        #expect(try rows(t.store, .refs) == refsBefore)
        #expect(try rows(t.store, .staged) == 0 && rows(t.store, .records) == 0)
        await expectCode(.uploadNotFound) { try await s.abortMultipartUpload(upload.id) }
        await expectCode(.uploadNotFound) { try await s.listParts(upload.id) }
        await expectCode(.uploadNotFound) {
            try await s.uploadPart(upload.id, number: 1, from: buffers([1, 2, 3]))
        }
        #expect(try chunkTotals(t.store) == baseline)
        await expectCode(.resourceNotFound) { try await s.info("f") }
        try await t.finish()
    }

    @Test("failed completions and bad arguments change nothing")
    func errorsChangeNothing() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        try await t.store.createShare("other")
        let s = t.store.share("mpu")
        let upload = try await s.createMultipartUpload("f")
        let a = pattern(70 * KiB, seed: 1)
        let b = pattern(20 * KiB, seed: 2)
        let c = pattern(90 * KiB, seed: 3)
        let pa = try await s.uploadPart(upload.id, number: 1, from: buffers(a))
        let pb = try await s.uploadPart(upload.id, number: 2, from: buffers(b))
        let pc = try await s.uploadPart(upload.id, number: 3, from: buffers(c))
        let min = UInt64(64 * KiB)
        let state = try await s.listParts(upload.id).parts
        let chunks = try chunkTotals(t.store)

        await expectCode(.invalidPart) {  // part 4 was never uploaded
            try await s.completeMultipartUpload(upload.id, parts: [(1, pa.md5), (4, pc.md5)], etag: "e", minimumPartSize: 0)
        }
        await expectCode(.invalidPart) {  // wrong MD5
            try await s.completeMultipartUpload(upload.id, parts: [(1, pb.md5)], etag: "e", minimumPartSize: 0)
        }
        await expectCode(.invalidPart) { try await s.completeMultipartUpload(upload.id, parts: [], etag: "e") }
        await expectCode(.invalidPartOrder) {
            try await s.completeMultipartUpload(upload.id, parts: [(2, pb.md5), (1, pa.md5)], etag: "e", minimumPartSize: 0)
        }
        await expectCode(.invalidPartOrder) {
            try await s.completeMultipartUpload(upload.id, parts: [(1, pa.md5), (1, pa.md5)], etag: "e", minimumPartSize: 0)
        }
        await expectCode(.partTooSmall) {  // part 2 (20 KiB) is not last
            try await s.completeMultipartUpload(upload.id, parts: [(1, pa.md5), (2, pb.md5), (3, pc.md5)], etag: "e", minimumPartSize: min)
        }
        let unknown = String(repeating: "ab", count: 16)
        await expectCode(.uploadNotFound) {
            try await s.completeMultipartUpload(unknown, parts: [(1, pa.md5)], etag: "e")
        }
        await expectCode(.uploadNotFound) { try await s.multipartUpload("not-an-upload-id") }
        await expectCode(.uploadNotFound) { try await s.multipartUpload(upload.id.uppercased()) }
        // An upload belongs to its share.
        let other = t.store.share("other")
        await expectCode(.uploadNotFound) { try await other.multipartUpload(upload.id) }
        await expectCode(.uploadNotFound) { try await other.listParts(upload.id) }
        await expectCode(.uploadNotFound) { try await other.uploadPart(upload.id, number: 1, from: buffers([1])) }
        await expectCode(.uploadNotFound) {
            try await other.completeMultipartUpload(upload.id, parts: [(1, pa.md5)], etag: "e")
        }
        await expectCode(.uploadNotFound) { try await other.abortMultipartUpload(upload.id) }
        #expect(try await other.listMultipartUploads().isEmpty)
        // Part numbers and arguments.
        await expectCode(.invalidArgument) { try await s.uploadPart(upload.id, number: 0, from: buffers([1])) }
        await expectCode(.invalidArgument) { try await s.uploadPart(upload.id, number: 10_001, from: buffers([1])) }
        await expectCode(.invalidArgument) { try await s.listParts(upload.id, maxParts: -1) }
        // A snapshot handle cannot take part.
        let snap = try await t.store.createSnapshot(of: "mpu")
        let snapshot = t.store.share("mpu", snapshot: snap.name)
        await expectCode(.snapshotReadOnly) { try await snapshot.createMultipartUpload("g") }
        await expectCode(.snapshotReadOnly) { try await snapshot.uploadPart(upload.id, number: 1, from: buffers([1])) }
        await expectCode(.snapshotReadOnly) { try await snapshot.abortMultipartUpload(upload.id) }
        await expectCode(.snapshotReadOnly) {
            try await snapshot.completeMultipartUpload(upload.id, parts: [(1, pa.md5)], etag: "e")
        }
        await expectCode(.notAFile) { try await s.createMultipartUpload("") }
        await expectCode(.invalidName) { try await s.createMultipartUpload("a/../b") }

        #expect(try await s.listParts(upload.id).parts == state)
        #expect(try await s.listMultipartUploads().map(\.id) == [upload.id])
        #expect(try chunkTotals(t.store) == chunks)
        await expectCode(.resourceNotFound) { try await s.info("f") }
        #expect(try await t.store.check().problems == [])
        // The upload is intact: it completes with a valid list (part 2 left out, and released).
        try await s.completeMultipartUpload(upload.id, parts: [(1, pa.md5), (3, pc.md5)], etag: "e", minimumPartSize: min)
        #expect(try await s.read("f") == a + c)
        #expect(try chunkTotals(t.store).bytes == a.count + c.count)
        try await t.finish()
    }

    @Test("a copied part shares the source's chunks, from live files and snapshots")
    func partCopySharesChunks() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("src")
        try await t.store.createShare("dst")
        let src = t.store.share("src")
        let dst = t.store.share("dst")
        let original = pattern(3 * MiB + 77, seed: 11)
        try await src.upload("a.bin", from: buffers(original))
        let snap = try await t.store.createSnapshot(of: "src")
        // Change the live source after the snapshot: the snapshot keeps the original bytes.
        try await src.write("a.bin", at: 0, [UInt8](repeating: 0xEE, count: 1000))
        var live = original
        live.replaceSubrange(0..<1000, with: [UInt8](repeating: 0xEE, count: 1000))
        let before = try chunkTotals(t.store)

        let upload = try await dst.createMultipartUpload("copy.bin")
        let range: Range<UInt64> = 100..<(2 * UInt64(MiB) + 5)
        let p1 = try await dst.uploadPartCopy(upload.id, number: 1, from: src, "a.bin", range: range)
        let p2 = try await dst.uploadPartCopy(upload.id, number: 2, from: t.store.share("src", snapshot: snap.name), "a.bin")
        #expect(p1.size == UInt64(range.count))
        #expect(p1.md5 == MD5.digest(Array(live[100..<(2 * MiB + 5)])))
        #expect(p2.md5 == MD5.digest(original))
        #expect(try chunkTotals(t.store) == before, "a part copy must not store data")
        #expect(try await t.store.check().problems == [])
        // A change of the source after the copy does not reach the part.
        try await src.write("a.bin", at: 500, [1, 2, 3])
        try await src.deleteFile("a.bin")
        try await dst.completeMultipartUpload(upload.id, parts: [(1, p1.md5), (2, p2.md5)], etag: "e", minimumPartSize: 0)
        #expect(try await readAll(dst, "copy.bin") == Array(live[100..<(2 * MiB + 5)]) + original)
        // Only the 1000-byte and 3-byte writes were stored besides the original.
        #expect(try chunkTotals(t.store).bytes <= before.bytes + 1003)
        // Errors of the source.
        let next = try await dst.createMultipartUpload("x")
        await expectCode(.resourceNotFound) { try await dst.uploadPartCopy(next.id, number: 1, from: src, "a.bin") }
        try await src.createFile("small", length: 10)
        await expectCode(.invalidRange) {
            try await dst.uploadPartCopy(next.id, number: 1, from: src, "small", range: 5..<11)
        }
        await expectCode(.notAFile) { try await dst.uploadPartCopy(next.id, number: 1, from: src, "") }
        await expectCode(.shareNotFound) { try await dst.uploadPartCopy(next.id, number: 1, from: t.store.share("nope"), "f") }
        #expect(try await dst.listParts(next.id).parts.isEmpty)
        #expect(try rows(t.store, .pending) == 0)
        try await t.finish()
    }

    @Test("a fragmented source is materialised; touching small parts are compacted")
    func runLimits() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB, maxRuns: 4)
        try await t.store.createShare("mpu")
        let s = t.store.share("mpu")
        // A sparse source: 10-byte writes every 1,000 bytes, never touching, so more than 4 runs per extent.
        let size = 150 * KiB
        var model = SparseFileModel(size: size)
        try await s.createFile("sparse", length: UInt64(size))
        for (i, offset) in stride(from: 3, to: size - 10, by: 1000).enumerated() {
            let bytes = pattern(10, seed: UInt64(i) + 100)
            try await s.write("sparse", at: UInt64(offset), bytes)
            model.write(offset, bytes)
        }
        #expect(try runCounts(t.store, "mpu", "sparse").contains { $0 > 4 })
        let upload = try await s.createMultipartUpload("out")
        let copied = try await s.uploadPartCopy(upload.id, number: 1, from: s, "sparse", range: 1..<UInt64(size))
        // Ten small touching parts of one extent: each its own chunk.
        var tail: [UInt8] = []
        var parts = [(number: Int, md5: [UInt8])]()
        parts.append((1, copied.md5))
        for n in 2...11 {
            let bytes = pattern(100 + n, seed: UInt64(n))
            tail += bytes
            parts.append((n, try await s.uploadPart(upload.id, number: n, from: buffers(bytes)).md5))
        }
        try await s.completeMultipartUpload(upload.id, parts: parts, etag: "e", minimumPartSize: 0)
        let expected = Array(model.bytes[1...]) + tail
        #expect(try await s.read("out") == expected)
        #expect(try runCounts(t.store, "mpu", "out").allSatisfy { $0 <= 4 })
        try await t.finish()
    }

    @Test("small touching parts in one extent are compacted into one run")
    func compactedParts() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB, maxRuns: 4)
        try await t.store.createShare("mpu")
        let s = t.store.share("mpu")
        let upload = try await s.createMultipartUpload("out")
        var expected: [UInt8] = []
        var parts = [(number: Int, md5: [UInt8])]()
        for n in 1...10 {
            let bytes = pattern(1000 + n, seed: UInt64(n))
            expected += bytes
            parts.append((n, try await s.uploadPart(upload.id, number: n, from: buffers(bytes)).md5))
        }
        #expect(try chunkTotals(t.store).count == 10)
        try await s.completeMultipartUpload(upload.id, parts: parts, etag: "e", minimumPartSize: 0)
        #expect(try await s.read("out") == expected)
        #expect(try runCounts(t.store, "mpu", "out") == [1])
        // The ten part chunks were folded into one; none is left behind.
        #expect(try chunkTotals(t.store) == (1, expected.count))
        try await t.finish()
    }

    @Test("check counts the parts' references and reports broken upload records")
    func checkSeesParts() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        let s = t.store.share("mpu")
        let upload = try await s.createMultipartUpload("f")
        _ = try await s.uploadPart(upload.id, number: 1, from: buffers(pattern(100 * KiB, seed: 1)))
        _ = try await s.uploadPart(upload.id, number: 2, from: buffers(pattern(10, seed: 2)))
        let verifiers = [MultipartUpload.table: MultipartUpload.verifier]
        #expect(try await t.store.check(verifiers: verifiers).problems == [])
        let shareId: UInt64 = try t.store.env.read { txn in try t.store.loadShare(txn, "mpu").id }
        let recordKey = [UInt8(3)] + Array("mpu".utf8) + hexBytes(upload.id)
        let fullRecordKey = RecordKeys.key(MultipartUpload.table, recordKey)
        guard let stored = try t.store.env.read({ txn in try txn.get(.records, fullRecordKey).map(Array.init) }) else {
            Issue.record("the upload's record is not where the S3 front keeps it")
            return
        }
        // Parts whose upload record is gone.
        try await t.store.write { txn in _ = try txn.delete(.records, fullRecordKey) }
        let problems = try await t.store.check(verifiers: verifiers).problems
        #expect(problems.filter { $0.contains("its record does not exist") }.count == 2, "\(problems)")
        // A part segment pointing past its chunk, and an upload record the S3 verifier refuses.
        try await t.store.write { txn in
            try txn.put(.records, fullRecordKey, stored)
            let partKey = StagedKeys.content(shareId, MultipartUpload.table, recordKey, [0, 2])
            guard let raw = try txn.get(.staged, partKey) else { return }
            var part = try StagedRecord(raw)
            part.segments[0].chunkOffset = 1
            try txn.put(.staged, partKey, part.encode())
            let bogus = StoredRecord(owner: shareId, claim: nil, payload: [9, 9])
            try txn.put(.records, RecordKeys.key(MultipartUpload.table, Array("junk".utf8)), bogus.encode())
            try txn.put(.recordOwners, Key.u64(shareId) + RecordKeys.key(MultipartUpload.table, Array("junk".utf8)), [])
        }
        let broken = try await t.store.check(verifiers: verifiers).problems
        #expect(broken.contains { $0.contains("points past the end of chunk") })
        #expect(broken.contains { $0.contains("record s3.uploads 'junk'") })
        #expect(broken.count == 2, "\(broken)")
        // Aborting releases what the records name; the store is sound again.
        try await s.abortMultipartUpload(upload.id)
        try await t.store.writeRecords { records in _ = try records.delete(MultipartUpload.table, Array("junk".utf8)) }
        #expect(try await t.store.check(verifiers: verifiers).problems == [])
        try await t.finish()
    }

    @Test("empty and sparse parts")
    func emptyAndSparse() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        let s = t.store.share("mpu")
        let empty = try await s.createMultipartUpload("empty")
        let zero = try await s.uploadPart(empty.id, number: 1, from: ByteChunks(chunks: []))
        #expect(zero.size == 0 && zero.md5 == MD5.digest([]))
        let info = try await s.completeMultipartUpload(empty.id, parts: [(1, zero.md5)], etag: "z")
        #expect(info.size == 0)
        #expect(try await s.read("empty") == [])
        #expect(try await s.info("empty").objectETag == "z")

        // A part copied from a sparse range keeps its holes.
        try await s.createFile("holes", length: 200 * 1024)
        let data = pattern(5000, seed: 4)
        try await s.write("holes", at: 100_000, data)
        let upload = try await s.createMultipartUpload("out")
        let p1 = try await s.uploadPartCopy(upload.id, number: 1, from: s, "holes", range: 50_000..<150_000)
        let p2 = try await s.uploadPartCopy(upload.id, number: 2, from: s, "holes", range: 0..<1000)  // all hole
        let p3 = try await s.uploadPart(upload.id, number: 3, from: ByteChunks(chunks: [[], []]))  // empty buffers only
        try await s.completeMultipartUpload(upload.id, parts: [(1, p1.md5), (2, p2.md5), (3, p3.md5)], etag: "e", minimumPartSize: 0)
        var expected = [UInt8](repeating: 0, count: 101_000)
        expected.replaceSubrange(50_000..<55_000, with: data)
        #expect(try await s.read("out") == expected)
        #expect(try await s.ranges("out") == [50_000..<55_000])
        #expect(try await t.store.shareStats("mpu").usedBytes == 5000 + 5000)
        try await t.finish()
    }

    @Test("uploads survive reopening the store; old ones are reclaimed")
    func reopenAndReclaim() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        var s = t.store.share("mpu")
        let old = try await s.createMultipartUpload("a", properties: NodeProperties(metadata: try Metadata([("k", "v")])))
        let a1 = pattern(70 * KiB, seed: 1)
        let p1 = try await s.uploadPart(old.id, number: 1, from: buffers(a1))
        let young = try await s.createMultipartUpload("b")
        _ = try await s.uploadPart(young.id, number: 1, from: buffers(pattern(80 * KiB, seed: 2)))
        let store = try await t.reopen()
        s = store.share("mpu")
        #expect(try await s.listMultipartUploads() == [old, young])
        #expect(try await s.listParts(old.id).parts == [p1])
        let a2 = pattern(1234, seed: 3)
        let p2 = try await s.uploadPart(old.id, number: 2, from: buffers(a2))
        let info = try await s.completeMultipartUpload(old.id, parts: [(1, p1.md5), (2, p2.md5)], etag: "e", minimumPartSize: 0)
        #expect(info.metadata == (try Metadata([("k", "v")])))
        #expect(try await s.read("a") == a1 + a2)

        // Reclaim: only uploads initiated before the date go.
        let third = try await s.createMultipartUpload("c")
        _ = try await s.uploadPart(third.id, number: 3, from: buffers(pattern(10, seed: 4)))
        #expect(try await store.reclaimMultipartUploads(initiatedBefore: young.initiated) == 0)
        #expect(try await store.reclaimMultipartUploads(initiatedBefore: third.initiated) == 1)
        #expect(try await s.listMultipartUploads().map(\.id) == [third.id])
        await expectCode(.uploadNotFound) { try await s.listParts(young.id) }
        #expect(try chunkTotals(store).bytes == a1.count + a2.count + 10)
        #expect(try await store.reclaimMultipartUploads(initiatedBefore: FileTime(ticks: .max)) == 1)
        #expect(try chunkTotals(store).bytes == a1.count + a2.count)
        try await t.finish(store)
    }

    @Test("deleting a share releases its uploads")
    func deleteShareWithUploads() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        try await t.store.createShare("keep")
        let s = t.store.share("mpu")
        let keep = t.store.share("keep")
        let kept = try await keep.createMultipartUpload("k")
        let kp = try await keep.uploadPart(kept.id, number: 1, from: buffers(pattern(1000, seed: 1)))
        let doomed = try await s.createMultipartUpload("f")
        _ = try await s.uploadPart(doomed.id, number: 1, from: buffers(pattern(200 * KiB, seed: 2)))
        _ = try await s.uploadPart(doomed.id, number: 2, from: buffers(pattern(10, seed: 3)))
        try await t.store.deleteShare("mpu")
        #expect(try chunkTotals(t.store).bytes == 1000)
        #expect(try await t.store.check().problems == [])
        try await t.store.createShare("mpu")
        await expectCode(.uploadNotFound) { try await s.listParts(doomed.id) }
        #expect(try await s.listMultipartUploads().isEmpty)
        #expect(try await keep.listParts(kept.id).parts == [kp])
        try await t.finish()
    }

    @Test("completion replaces an existing file but never a directory")
    func completionTargets() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        let s = t.store.share("mpu")
        try await s.upload("f", from: buffers(pattern(300 * KiB, seed: 1)))
        try await s.createDirectory("dir")
        let replace = try await s.createMultipartUpload("f")
        let bytes = pattern(10 * KiB, seed: 2)
        let part = try await s.uploadPart(replace.id, number: 1, from: buffers(bytes))
        try await s.completeMultipartUpload(replace.id, parts: [(1, part.md5)], etag: "e")
        #expect(try await s.read("f") == bytes)
        #expect(try chunkTotals(t.store).bytes == bytes.count, "the replaced file's chunks are released")

        let onto = try await s.createMultipartUpload("dir")
        let p = try await s.uploadPart(onto.id, number: 1, from: buffers(bytes))
        await expectCode(.resourceAlreadyExists) {
            try await s.completeMultipartUpload(onto.id, parts: [(1, p.md5)], etag: "e")
        }
        #expect(try await s.info("dir").isDirectory)
        let orphan = try await s.createMultipartUpload("missing/f")
        let q = try await s.uploadPart(orphan.id, number: 1, from: buffers(bytes))
        await expectCode(.parentNotFound) {
            try await s.completeMultipartUpload(orphan.id, parts: [(1, q.md5)], etag: "e")
        }
        // Both uploads are still there and complete once the way is clear.
        try await s.createDirectory("missing")
        try await s.completeMultipartUpload(orphan.id, parts: [(1, q.md5)], etag: "e")
        #expect(try await s.read("missing/f") == bytes)
        try await s.abortMultipartUpload(onto.id)
        // A leased file is replaced only with its lease id.
        let leased = try await s.createMultipartUpload("f")
        let r = try await s.uploadPart(leased.id, number: 1, from: buffers([9, 9]))
        try await s.lease("f", .acquire(proposedId: "lease-1", duration: nil))
        await expectCode(.leaseIdMissing) { try await s.completeMultipartUpload(leased.id, parts: [(1, r.md5)], etag: "e") }
        try await s.withLease("lease-1").completeMultipartUpload(leased.id, parts: [(1, r.md5)], etag: "e")
        #expect(try await s.read("f") == [9, 9])
        try await t.finish()
    }

    @Test("the object ETag is cleared by content changes and kept by copies and renames")
    func objectETagLifecycle() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        try await t.store.createShare("oth")
        let s = t.store.share("mpu")
        func multipart(_ path: String) async throws -> String {
            let u = try await s.createMultipartUpload(path)
            let p = try await s.uploadPart(u.id, number: 1, from: buffers(pattern(1000, seed: 1)))
            let etag = multipartETag([p.md5])
            try await s.completeMultipartUpload(u.id, parts: [(1, p.md5)], etag: etag)
            return etag
        }
        let etag = try await multipart("f")
        try await s.copy(from: s, "f", to: "copy")
        try await t.store.share("oth").copy(from: s, "f", to: "elsewhere")
        #expect(try await s.info("copy").objectETag == etag)
        #expect(try await t.store.share("oth").info("elsewhere").objectETag == etag)
        try await s.rename("copy", to: "moved")
        try await s.setMetadata("moved", try Metadata([("a", "b")]))
        try await s.setProperties("moved", NodeProperties(contentHeaders: ContentHeaders(contentType: "text/plain")))
        #expect(try await s.info("moved").objectETag == etag)
        _ = try await s.contentMD5("moved")
        #expect(try await s.info("moved").objectETag == etag)
        // Persisted with the file.
        let store = try await t.reopen()
        let s2 = store.share("mpu")
        #expect(try await s2.info("f").objectETag == etag)
        // Every content change clears it.
        try await s2.write("f", at: 10, [1])  // a FileREST Put Range
        #expect(try await s2.info("f").objectETag == nil)
        let changes: [(String, @Sendable (Share, String) async throws -> Void)] = [
            ("clear", { try await $0.clear($1, range: 0..<10) }),
            ("resize", { try await $0.resize($1, to: 5) }),
            ("set length", { try await $0.setProperties($1, NodeProperties(), length: 2000) }),
            ("create over", { try await $0.createFile($1, length: 4, overwrite: true) }),
            ("upload over", { try await $0.upload($1, from: ByteChunks(chunks: [[1, 2]])) }),
        ]
        for (what, change) in changes {
            let u = try await s2.createMultipartUpload("g")
            let p = try await s2.uploadPart(u.id, number: 1, from: buffers(pattern(1000, seed: 2)))
            try await s2.completeMultipartUpload(u.id, parts: [(1, p.md5)], etag: "tag")
            #expect(try await s2.info("g").objectETag == "tag")
            try await change(s2, "g")
            #expect(try await s2.info("g").objectETag == nil, "\(what) must clear the object ETag")
        }
        try await t.finish(store)
    }

    @Test("the object checksum follows the same rules as the object ETag")
    func objectChecksumLifecycle() async throws {
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        let s = t.store.share("mpu")
        // Kept from the upload's properties through completion (and the record's encoding).
        let u = try await s.createMultipartUpload("f", properties: NodeProperties(objectChecksum: "CRC32:AAAAAA=="))
        #expect(try await s.multipartUpload(u.id).properties.objectChecksum == "CRC32:AAAAAA==")
        let p = try await s.uploadPart(u.id, number: 1, from: buffers(pattern(100, seed: 1)))
        let info = try await s.completeMultipartUpload(u.id, parts: [(1, p.md5)], etag: "e")
        #expect(info.objectChecksum == "CRC32:AAAAAA==")
        try await s.copy(from: s, "f", to: "copy")
        #expect(try await s.info("copy").objectChecksum == "CRC32:AAAAAA==")
        var options = CopyOptions()
        options.properties.objectChecksum = "SHA1:other"
        try await s.copy(from: s, "f", to: "copy2", options: options)
        #expect(try await s.info("copy2").objectChecksum == "SHA1:other")
        try await s.write("copy", at: 0, [1])
        #expect(try await s.info("copy").objectChecksum == nil)
        // A change of length that sets a new checksum keeps the new one.
        let resized = try await s.setProperties("f", NodeProperties(objectChecksum: "CRC32:new"), length: 50)
        #expect(resized.objectChecksum == "CRC32:new" && resized.objectETag == nil)
        // Directories never hold one.
        let dir = try await s.createDirectory("d", properties: NodeProperties(objectChecksum: "CRC32:x"))
        #expect(dir.objectChecksum == nil)
        try await t.finish()
    }

    @Test("a part whose stream fails leaves the previous part and no chunks behind")
    func failedStream() async throws {
        struct Boom: Error {}
        let t = try await UploadStore.make(extentSize: 64 * KiB)
        try await t.store.createShare("mpu")
        let s = t.store.share("mpu")
        let upload = try await s.createMultipartUpload("f")
        let good = pattern(100 * KiB, seed: 1)
        let part = try await s.uploadPart(upload.id, number: 1, from: buffers(good))
        let failing = AsyncThrowingStream<[UInt8], any Error> { c in
            c.yield(pattern(200 * KiB, seed: 2))
            c.finish(throwing: Boom())
        }
        do {
            _ = try await s.uploadPart(upload.id, number: 1, from: failing)
            Issue.record("the failing stream was accepted")
        } catch is Boom {}
        #expect(try await s.listParts(upload.id).parts == [part])
        #expect(try chunkTotals(t.store).bytes == good.count)
        #expect(try rows(t.store, .pending) == 0)
        // Too large a part (copied from a sparse file, so nothing is written).
        try await s.createFile("huge", length: Share.maxPartSize + 1)
        await expectCode(.fileTooLarge) { try await s.uploadPartCopy(upload.id, number: 2, from: s, "huge") }
        try await s.deleteFile("huge")
        #expect(try chunkTotals(t.store).bytes == good.count)

        // An abort while a part streams: the part fails when it ends and leaves nothing.
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let task = Task { try await s.uploadPart(upload.id, number: 2, from: stream) }
        continuation.yield(pattern(150 * KiB, seed: 3))
        try await s.abortMultipartUpload(upload.id)
        continuation.yield(pattern(10, seed: 4))
        continuation.finish()
        do {
            _ = try await task.value
            Issue.record("a part of an aborted upload was stored")
        } catch let error as ShareCoreError {
            #expect(error.code == .uploadNotFound)
        }
        #expect(try chunkTotals(t.store).count == 0)
        try await t.finish()
    }
}
