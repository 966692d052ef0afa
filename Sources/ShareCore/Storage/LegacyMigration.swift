/// Moves what stores written by earlier versions kept in engine tables that now belong to a
/// front's own records. Runs in the opening transaction, so a store is migrated whole or not
/// at all, and finds nothing to do on a store already migrated.
enum LegacyMigration {
    /// The S3 front's bucket mappings lived in table `buckets` (bucket name -> ``BucketRecord``);
    /// they are front records of table `s3.buckets` now, owned by their share and claiming
    /// their name. The payload written here is the S3 front's format 2 (`BucketMapping.encode`
    /// in the S3 target): share and path as u16-length-prefixed UTF-8, then the creation ticks
    /// as a big-endian i64. A mapping whose share no longer exists is dropped (deleting the
    /// share would have dropped it).
    static func moveBucketMappings(_ txn: WriteTxn) throws {
        let legacy = try txn.keys(.buckets, prefix: [])
        guard !legacy.isEmpty else { return }
        let writer = RecordWriter(txn: txn)
        for key in legacy {
            guard let raw = try txn.get(.buckets, key) else { continue }
            let record = try BucketRecord(raw)
            let name = String(decoding: key, as: UTF8.self)
            if let share = try txn.get(.shares, Keys.share(record.share)), try ShareRecord(share).id == record.shareId {
                var payload: [UInt8] = [2]
                for text in [record.share, record.path] {
                    let u = Array(text.utf8)
                    payload += [UInt8(truncatingIfNeeded: u.count >> 8), UInt8(truncatingIfNeeded: u.count)] + u
                }
                payload += Key.u64(UInt64(bitPattern: record.created.ticks))
                try writer.put(RecordTable("s3.buckets"), Array(key), payload, owner: record.share, claimingShareName: name)
            }
            try txn.delete(.buckets, key)
        }
    }
}

/// A bucket mapped to a directory of a share as earlier versions stored it in table `buckets`, keyed by bucket name.
struct BucketRecord: Sendable, Hashable {
    var share: String
    var shareId: UInt64
    /// The directory, as a normalized ``SharePath`` description (empty for the root).
    var path: String
    var created: FileTime

    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, share)
        w.field(2, shareId)
        w.field(3, path)
        w.field(4, created.ticks)
        return w.bytes
    }

    init(share: String, shareId: UInt64, path: String, created: FileTime) {
        self.share = share
        self.shareId = shareId
        self.path = path
        self.created = created
    }

    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        var r = try FieldReader(raw)
        share = ""; shareId = 0; path = ""; created = FileTime(ticks: 0)
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: share = FieldValue.string(v)
            case 2: shareId = FieldValue.uint(v)
            case 3: path = FieldValue.string(v)
            case 4: created = FileTime(ticks: FieldValue.int(v))
            default: break
            }
        }
    }
}

