/// Content staged for a front record: bytes written into the store (chunks, checksums, size)
/// that belong to no file yet.
///
/// A front stages content under one of its own records (``RecordTable``), which must be owned
/// by a share, and names each piece with a key of its choosing (at most
/// ``ShareStore/maxStagedKeyBytes`` bytes): an S3 multipart upload is a record, its parts are
/// staged content keyed by part number. Staged content is durable, holds its chunks like a
/// file's extents do (so ``ShareStore/check(verifiers:)`` counts it), is invisible in the share
/// and outside its quota, and goes away with its record (``RecordWriter/delete(_:_:)``) or its
/// share. ``Share/commitStaged(_:record:keys:to:properties:objectETag:createParents:encryption:records:)``
/// turns it into a file in one transaction, without copying bytes.
public struct StagedContent: Sendable, Hashable {
    /// The key the front gave it, unique within its record.
    public var key: [UInt8]
    /// Its length in bytes.
    public var size: UInt64
    /// The MD5 (16 bytes) of its bytes, computed while they were stored.
    public var md5: [UInt8]
    /// When it was stored.
    public var created: FileTime
    /// The front's own bytes kept with it (e.g. a checksum it computed while the bytes streamed).
    public var payload: [UInt8]

    /// A description of staged content.
    public init(key: [UInt8], size: UInt64, md5: [UInt8], created: FileTime, payload: [UInt8]) {
        self.key = key
        self.size = size
        self.md5 = md5
        self.created = created
        self.payload = payload
    }
}

extension ShareStore {
    /// The longest key of one piece of staged content.
    public static let maxStagedKeyBytes = 32
}

/// `length` bytes at `offset` of staged content, stored at `chunkOffset` of chunk `chunk`.
/// Each segment holds one reference on its chunk, as a run of an extent map does.
struct StagedSegment: Sendable, Hashable {
    var offset: UInt64
    var length: UInt32
    var chunk: UInt64
    var chunkOffset: UInt32

    var end: UInt64 { offset + UInt64(length) }

    static let bytes = 24
}

/// Staged content as stored (table `staged`): size, MD5, creation time, the front's payload
/// and the segments of chunks holding the bytes (sorted by offset, not overlapping; gaps read
/// as zeros).
struct StagedRecord: Sendable, Hashable {
    var size: UInt64
    var md5: [UInt8]
    var created: FileTime
    var payload: [UInt8]
    var segments: [StagedSegment]

    init(size: UInt64, md5: [UInt8], created: FileTime, payload: [UInt8], segments: [StagedSegment]) {
        self.size = size
        self.md5 = md5
        self.created = created
        self.payload = payload
        self.segments = segments
    }

    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, size)
        w.field(2, md5)
        w.field(3, created.ticks)
        w.field(4, payload)
        w.field(5, StagedRecord.encode(segments))
        return w.bytes
    }

    /// Segments as 24-byte entries: offset u64, length u32, chunk id u64, offset in chunk u32,
    /// all big-endian.
    static func encode(_ segments: [StagedSegment]) -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity(segments.count * StagedSegment.bytes)
        for s in segments {
            withUnsafeBytes(of: s.offset.bigEndian) { raw.append(contentsOf: $0) }
            withUnsafeBytes(of: s.length.bigEndian) { raw.append(contentsOf: $0) }
            withUnsafeBytes(of: s.chunk.bigEndian) { raw.append(contentsOf: $0) }
            withUnsafeBytes(of: s.chunkOffset.bigEndian) { raw.append(contentsOf: $0) }
        }
        return raw
    }

    static func decodeSegments(_ v: some Collection<UInt8>) throws(ShareCoreError) -> [StagedSegment] {
        guard v.count % StagedSegment.bytes == 0 else {
            throw ShareCoreError(.dataCorrupted, "a staged content's segment list is malformed")
        }
        let bytes = Array(v)
        func u32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
        }
        var out: [StagedSegment] = []
        out.reserveCapacity(bytes.count / StagedSegment.bytes)
        for base in stride(from: 0, to: bytes.count, by: StagedSegment.bytes) {
            out.append(StagedSegment(offset: bytes.beUInt64(at: base), length: u32(base + 8),
                                     chunk: bytes.beUInt64(at: base + 12), chunkOffset: u32(base + 20)))
        }
        return out
    }

    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        var r = try FieldReader(raw)
        size = 0; md5 = []; created = FileTime(ticks: 0); payload = []; segments = []
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: size = FieldValue.uint(v)
            case 2: md5 = Array(v)
            case 3: created = FileTime(ticks: FieldValue.int(v))
            case 4: payload = Array(v)
            case 5: segments = try StagedRecord.decodeSegments(v)
            default: break
            }
        }
    }

    init(_ bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { try StagedRecord($0) }
    }

    /// Adds `sign` references for each segment.
    func addReferences(to refs: inout RefDelta, _ sign: Int64) {
        for s in segments { refs.add(chunk: s.chunk, sign) }
    }

    func content(key: [UInt8]) -> StagedContent {
        StagedContent(key: key, size: size, md5: md5, created: created, payload: payload)
    }
}

/// Key layout of table `staged`: owning share id (u64) · table name length (u8) · table name ·
/// record key length (u16) · record key · content key. Keys begin with the share id, so a
/// share purge removes its staged content in batches like its versions.
enum StagedKeys {
    /// The prefix of every staged content of record `key` of `table`, owned by share `share`.
    static func record(_ share: UInt64, _ table: RecordTable, _ key: [UInt8]) -> [UInt8] {
        Key.u64(share) + RecordKeys.table(table) + [UInt8(truncatingIfNeeded: key.count >> 8), UInt8(truncatingIfNeeded: key.count)] + key
    }

    static func content(_ share: UInt64, _ table: RecordTable, _ record: [UInt8], _ key: [UInt8]) -> [UInt8] {
        Self.record(share, table, record) + key
    }

    /// The owning share, table, record key and content key of a full key, or nil when malformed.
    static func split(_ full: some Collection<UInt8>) -> (share: UInt64, table: RecordTable, record: [UInt8], key: [UInt8])? {
        let bytes = Array(full)
        guard bytes.count > 9 else { return nil }
        let n = Int(bytes[8])
        guard n > 0, bytes.count >= 9 + n + 2 else { return nil }
        let table = RecordTable(String(decoding: bytes[9..<(9 + n)], as: UTF8.self))
        guard table.isValid else { return nil }
        let length = Int(bytes[9 + n]) << 8 | Int(bytes[10 + n])
        let start = 11 + n
        guard bytes.count >= start + length else { return nil }
        return (bytes.beUInt64(at: 0), table, Array(bytes[start..<(start + length)]), Array(bytes[(start + length)...]))
    }

    static func validate(_ key: [UInt8]) throws(ShareCoreError) {
        guard key.count <= ShareStore.maxStagedKeyBytes else {
            throw ShareCoreError(.invalidArgument, "a staged content key of \(key.count) bytes is longer than \(ShareStore.maxStagedKeyBytes)")
        }
    }
}

extension RecordReader {
    /// The owning share id of record `key` of `table`, or nil when the record does not exist.
    /// A record without an owner cannot hold staged content (`invalidArgument`).
    func stagingOwner(_ table: RecordTable, _ key: [UInt8]) throws -> UInt64? {
        try table.validate()
        guard let raw = try txn.get(.records, RecordKeys.key(table, key)) else { return nil }
        let owner = try StoredRecord(raw).owner
        guard owner != 0 else {
            throw ShareCoreError(.invalidArgument, "record \(table) '\(RecordKeys.printable(key))' is owned by no share, so it cannot hold staged content")
        }
        return owner
    }

    /// The content staged under `key` for record `record` of `table`, or nil (also when the
    /// record does not exist).
    public func staged(_ table: RecordTable, _ record: [UInt8], _ key: [UInt8]) throws -> StagedContent? {
        guard let owner = try stagingOwner(table, record),
              let raw = try txn.get(.staged, StagedKeys.content(owner, table, record, key)) else { return nil }
        return try StagedRecord(raw).content(key: key)
    }

    /// The content staged for record `record` of `table`, in byte order of their keys, from the
    /// first key after `after` (nil: from the start). Return false from `body` to stop.
    public func scanStaged(_ table: RecordTable, _ record: [UInt8], after: [UInt8]? = nil,
                           _ body: (StagedContent) throws -> Bool) throws {
        guard let owner = try stagingOwner(table, record) else { return }
        let prefix = StagedKeys.record(owner, table, record)
        try txn.scan(.staged, prefix: prefix, from: after.map { prefix + $0 }) { k, v in
            let key = Array(k[prefix.count...])
            if let after, key == after { return true }
            return try body(try StagedRecord(v).content(key: key))
        }
    }
}

extension RecordWriter {
    /// The content staged under `key` for record `record` of `table`, or nil.
    public func staged(_ table: RecordTable, _ record: [UInt8], _ key: [UInt8]) throws -> StagedContent? {
        try reader.staged(table, record, key)
    }

    /// Discards the content staged under `key` for record `record` of `table`, releasing its
    /// chunks; returns whether it existed.
    @discardableResult
    public func deleteStaged(_ table: RecordTable, _ record: [UInt8], _ key: [UInt8]) throws -> Bool {
        guard let owner = try reader.stagingOwner(table, record) else { return false }
        let full = StagedKeys.content(owner, table, record, key)
        guard let raw = try txn.get(.staged, full) else { return false }
        var refs = RefDelta()
        try StagedRecord(raw).addReferences(to: &refs, -1)
        try txn.delete(.staged, full)
        try refs.apply(txn)
        return true
    }

    /// Discards every content staged for record `key` of `table` (owned by share `owner`),
    /// adding the released references to `refs`.
    static func discardStaged(_ txn: WriteTxn, owner: UInt64, _ table: RecordTable, _ key: [UInt8], refs: inout RefDelta) throws {
        var doomed: [([UInt8], StagedRecord)] = []
        try txn.scan(.staged, prefix: StagedKeys.record(owner, table, key)) { k, v in
            doomed.append((Array(k), try StagedRecord(v)))
            return true
        }
        for (k, record) in doomed {
            try txn.delete(.staged, k)
            record.addReferences(to: &refs, -1)
        }
    }
}
