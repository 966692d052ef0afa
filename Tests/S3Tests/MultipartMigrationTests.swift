import Foundation
import S3
import Testing
@testable import ShareCore

/// Stores written before staged content kept multipart uploads in engine tables `uploads` and
/// `parts`; opening them moves every upload in progress to the S3 front's records and its parts
/// to staged content, so the upload survives the upgrade and completes.
@Suite("Multipart uploads of earlier stores")
struct MultipartMigrationTests {
    @Test("an upload in progress in the old tables survives the upgrade and completes")
    func oldLayoutMigrates() async throws {
        let t = try await UploadStore.make(extentSize: 64 * 1024)
        try await t.store.createShare("old")
        let s = t.store.share("old")
        // Content to point old parts at: a file whose chunks the parts will share.
        let first = pattern(100_000, seed: 1)
        let second = pattern(30_000, seed: 2)
        try await s.upload("source", from: ByteChunks(chunks: [first + second]))
        let runs: [Run] = try t.store.read(share: "old", snapshot: nil) { view in
            var out: [Run] = []
            try view.extents(node: try view.resolveFile(SharePath("source")).info.id) { _, map in
                out += map.runs
                return true
            }
            return out
        }
        #expect(runs.count == 2)
        let shareId: UInt64 = try t.store.env.read { txn in try t.store.loadShare(txn, "old").id }
        let uploadId: [UInt8] = Array(0..<16)
        let properties = NodeProperties(contentHeaders: ContentHeaders(contentType: "text/old"), metadata: try Metadata([("era", "before")]))
        let initiated = FileTime(ticks: 17_000_000_000_000_000)
        // Write the layout of the previous version: an upload of share "old" with parts 1 and 2,
        // and a leftover upload of a share id that no longer exists (an interrupted purge).
        try await t.store.write { txn in
            let upload = LegacyUpload(path: "dir/new.bin", properties: properties.storedForm, initiated: initiated, tag: "CRC32")
            try txn.put(.uploads, Key.u64(shareId) + uploadId, upload.encode())
            try txn.put(.uploads, Key.u64(999) + uploadId, upload.encode())
            var refs = RefDelta()
            // Part 1 = the file's first 100,000 bytes, part 2 = the next 30,000.
            let split = UInt32(64 * 1024)
            let p1 = LegacyPart(number: 1, size: 100_000, md5: MD5.digest(first), lastModified: initiated, checksum: "CRC32:AAAAAA==",
                                segments: [StagedSegment(offset: 0, length: split, chunk: runs[0].chunk, chunkOffset: runs[0].chunkOffset),
                                           StagedSegment(offset: UInt64(split), length: 100_000 - split, chunk: runs[1].chunk,
                                                         chunkOffset: runs[1].chunkOffset)])
            let p2 = LegacyPart(number: 2, size: 30_000, md5: MD5.digest(second), lastModified: initiated, checksum: nil,
                                segments: [StagedSegment(offset: 0, length: 30_000, chunk: runs[1].chunk,
                                                         chunkOffset: runs[1].chunkOffset + 100_000 - split)])
            for part in [p1, p2] {
                try txn.put(.parts, Key.u64(shareId) + uploadId + Key.u64(UInt64(part.number)), part.encode())
                for segment in part.segments { refs.add(chunk: segment.chunk, +1) }
            }
            try txn.put(.parts, Key.u64(999) + uploadId + Key.u64(1), p2.encode())
            refs.add(chunk: runs[1].chunk, +1)
            try refs.apply(txn)
        }
        let store = try await t.reopen()
        let verifiers = [MultipartUpload.table: MultipartUpload.verifier]
        #expect(try await store.check(verifiers: verifiers).problems == [])
        let leftovers: Int = try store.env.read { txn in
            var n = 0
            for table in [Table.uploads, .parts] {
                try txn.scan(table, prefix: []) { _, _ in
                    n += 1
                    return true
                }
            }
            return n
        }
        #expect(leftovers == 0, "the old tables are empty after the migration")
        let migrated = store.share("old")
        let id = uploadId.map { String(format: "%02x", $0) }.joined()
        let uploads = try await migrated.listMultipartUploads()
        #expect(uploads == [MultipartUpload(id: id, share: "old", path: "dir/new.bin", properties: properties, initiated: initiated, tag: "CRC32")])
        let parts = try await migrated.listParts(id).parts
        #expect(parts.map(\.number) == [1, 2])
        #expect(parts.map(\.size) == [100_000, 30_000])
        #expect(parts[0].checksum == "CRC32:AAAAAA==" && parts[1].checksum == nil)
        #expect(parts.allSatisfy { $0.lastModified == initiated })
        try await migrated.createDirectory("dir")
        let info = try await migrated.completeMultipartUpload(id, parts: [(1, MD5.digest(first)), (2, MD5.digest(second))],
                                                              etag: "e-2", minimumPartSize: 0)
        #expect(info.contentHeaders.contentType == "text/old" && info.metadata == properties.metadata)
        #expect(try await migrated.read("dir/new.bin") == first + second)
        try await migrated.deleteFile("source")
        #expect(try await migrated.read("dir/new.bin") == first + second, "the parts' chunks are the file's now")
        // Opening again finds nothing left to migrate.
        await store.close()
        let again = try await ShareStore.open(at: t.path, options: StoreOptions(durability: .fast, mapSize: 8 << 30, extentSize: 64 * 1024))
        #expect(try await again.share("old").read("dir/new.bin") == first + second)
        try await t.finish(again)
    }
}
