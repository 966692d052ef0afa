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

extension LegacyMigration {
    /// The S3 front's multipart uploads lived in engine tables `uploads` (share id · 16-byte
    /// upload id -> ``LegacyUpload``) and `parts` (share id · upload id · part number u64 ->
    /// ``LegacyPart``). They are the S3 front's records of table `s3.uploads` now (key: share
    /// name length u8 · share name · upload id; owned by the share), their parts content staged
    /// for those records (key: part number, u16 big-endian). The payloads written here are the
    /// S3 front's format (`UploadRecord` in the S3 target): format 1 · path (u16 length +
    /// UTF-8) · initiated ticks (i64 big-endian) · tag present (u8) · tag (u16 length + UTF-8,
    /// when present) · the properties' ``NodeProperties/storedForm``; a part's payload is its
    /// checksum's UTF-8 (empty: none). Every segment keeps its chunk reference, so no count
    /// changes. Uploads of a share that no longer exists (a purge was interrupted) are dropped
    /// and their parts' references released.
    static func moveMultipartUploads(_ txn: WriteTxn) throws {
        let uploads = try txn.keys(.uploads, prefix: [])
        let parts = try txn.keys(.parts, prefix: [])
        guard !uploads.isEmpty || !parts.isEmpty else { return }
        var names: [UInt64: String] = [:]
        try txn.read.scan(.shares, prefix: []) { _, v in
            let share = try ShareRecord(v)
            names[share.id] = share.name
            return true
        }
        let table = RecordTable("s3.uploads")
        let writer = RecordWriter(txn: txn)
        var moved = Set<[UInt8]>()
        for key in uploads where key.count == 24 {
            guard let raw = try txn.get(.uploads, key) else { continue }
            let upload = try LegacyUpload(raw)
            if let name = names[key.beUInt64(at: 0)] {
                let recordKey = [UInt8(truncatingIfNeeded: name.utf8.count)] + Array(name.utf8) + Array(key[8...])
                try writer.put(table, recordKey, upload.s3Payload(), owner: name)
                moved.insert(key)
            }
            try txn.delete(.uploads, key)
        }
        var refs = RefDelta()
        for key in parts {
            guard let raw = try txn.get(.parts, key) else { continue }
            let part = try LegacyPart(raw)
            let upload = Array(key.prefix(24))
            if key.count == 32, moved.contains(upload), let name = names[key.beUInt64(at: 0)], (1...0xFFFF).contains(part.number) {
                let recordKey = [UInt8(truncatingIfNeeded: name.utf8.count)] + Array(name.utf8) + Array(key[8..<24])
                let staged = StagedRecord(size: part.size, md5: part.md5, created: part.lastModified,
                                          payload: Array((part.checksum ?? "").utf8), segments: part.segments)
                let contentKey = [UInt8(truncatingIfNeeded: part.number >> 8), UInt8(truncatingIfNeeded: part.number)]
                try txn.put(.staged, StagedKeys.content(key.beUInt64(at: 0), table, recordKey, contentKey), staged.encode())
            } else {
                for s in part.segments { refs.add(chunk: s.chunk, -1) }
            }
            try txn.delete(.parts, key)
        }
        try refs.apply(txn)
    }
}

/// A multipart upload as earlier versions stored it in table `uploads`.
struct LegacyUpload: Sendable, Hashable {
    var path: String
    /// The properties' ``NodeProperties/storedForm``.
    var properties: [UInt8]
    var initiated: FileTime
    var tag: String?

    init(path: String, properties: [UInt8], initiated: FileTime, tag: String?) {
        self.path = path
        self.properties = properties
        self.initiated = initiated
        self.tag = tag
    }

    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, path)
        w.field(2, properties)
        w.field(3, initiated.ticks)
        w.field(4, tag)
        return w.bytes
    }

    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        var r = try FieldReader(raw)
        path = ""; properties = NodeProperties().storedForm; initiated = FileTime(ticks: 0)
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: path = FieldValue.string(v)
            case 2: properties = Array(v)
            case 3: initiated = FileTime(ticks: FieldValue.int(v))
            case 4: self.tag = FieldValue.string(v)
            default: break
            }
        }
    }

    /// The S3 front's upload record payload (format 1, see ``LegacyMigration/moveMultipartUploads(_:)``).
    func s3Payload() -> [UInt8] {
        func text(_ s: String) -> [UInt8] {
            let u = Array(s.utf8)
            return [UInt8(truncatingIfNeeded: u.count >> 8), UInt8(truncatingIfNeeded: u.count)] + u
        }
        var out: [UInt8] = [1] + text(path) + Key.u64(UInt64(bitPattern: initiated.ticks))
        if let tag { out += [1] + text(tag) } else { out.append(0) }
        return out + properties
    }
}

/// A multipart part as earlier versions stored it in table `parts`.
struct LegacyPart: Sendable, Hashable {
    var number: Int
    var size: UInt64
    var md5: [UInt8]
    var lastModified: FileTime
    var checksum: String?
    var segments: [StagedSegment]

    init(number: Int, size: UInt64, md5: [UInt8], lastModified: FileTime, checksum: String?, segments: [StagedSegment]) {
        self.number = number
        self.size = size
        self.md5 = md5
        self.lastModified = lastModified
        self.checksum = checksum
        self.segments = segments
    }

    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, UInt64(number))
        w.field(2, size)
        w.field(3, md5)
        w.field(4, lastModified.ticks)
        w.field(5, checksum)
        w.field(6, StagedRecord.encode(segments))
        return w.bytes
    }

    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        var r = try FieldReader(raw)
        number = 0; size = 0; md5 = []; lastModified = FileTime(ticks: 0); segments = []
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: number = Int(truncatingIfNeeded: FieldValue.uint(v))
            case 2: size = FieldValue.uint(v)
            case 3: md5 = Array(v)
            case 4: lastModified = FileTime(ticks: FieldValue.int(v))
            case 5: checksum = FieldValue.string(v)
            case 6: segments = try StagedRecord.decodeSegments(v)
            default: break
            }
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

