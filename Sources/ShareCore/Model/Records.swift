/// The stored form of a share (table `shares`, keyed by name).
struct ShareRecord: Sendable {
    var id: UInt64
    var name: String
    var quotaGiB: UInt32
    var accessTier: String?
    var accessTierChangeTime: FileTime?
    var enabledProtocols: String?
    var rootSquash: String?
    var metadata: Metadata
    var caseSensitive: Bool
    var created: FileTime
    var lastModified: FileTime
    var etagTicks: Int64
    /// The epoch live writes go to.
    var liveEpoch: UInt64
    /// Epochs of the share's snapshots, ascending (a snapshot sees versions with epoch <= its own).
    var snapshotEpochs: [UInt64]
    var nextNodeId: UInt64
    /// Bytes of content in written ranges of the live share.
    var usedBytes: UInt64
    /// Files and directories in the live share.
    var nodeCount: UInt64
    var lease: Lease?
    var accessPolicies: [AccessPolicy] = []

    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, id)
        w.field(2, name)
        w.field(3, UInt64(quotaGiB))
        w.field(4, accessTier)
        if let t = accessTierChangeTime { w.field(5, t.ticks) }
        w.field(6, enabledProtocols)
        w.field(7, rootSquash)
        w.field(8, strings: metadata.flattened)
        w.field(9, caseSensitive)
        w.field(10, created.ticks)
        w.field(11, lastModified.ticks)
        w.field(12, etagTicks)
        w.field(13, liveEpoch)
        w.field(14, integers: snapshotEpochs)
        w.field(15, nextNodeId)
        w.field(16, usedBytes)
        w.field(17, nodeCount)
        if let lease { w.field(18, lease.encode()) }
        if !accessPolicies.isEmpty { w.field(19, strings: accessPolicies.flatMap(\.flattened)) }
        return w.bytes
    }

    init(id: UInt64, name: String, options: ShareOptions, now: FileTime) {
        self.id = id
        self.name = name
        quotaGiB = options.quotaGiB
        accessTier = options.accessTier
        accessTierChangeTime = options.accessTier == nil ? nil : now
        enabledProtocols = options.enabledProtocols
        rootSquash = options.rootSquash
        metadata = options.metadata
        caseSensitive = options.caseSensitive
        created = now
        lastModified = now
        etagTicks = now.ticks
        liveEpoch = 1
        snapshotEpochs = []
        nextNodeId = Node.firstFreeId
        usedBytes = 0
        nodeCount = 0
    }

    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        try self.init(reader: FieldReader(raw))
    }

    init(reader: FieldReader) throws(ShareCoreError) {
        var r = reader
        id = 0; name = ""; quotaGiB = 0; metadata = Metadata(); caseSensitive = false
        created = FileTime(ticks: 0); lastModified = created; etagTicks = 0; liveEpoch = 1
        snapshotEpochs = []; nextNodeId = Node.firstFreeId; usedBytes = 0; nodeCount = 0
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: id = FieldValue.uint(v)
            case 2: name = FieldValue.string(v)
            case 3: quotaGiB = UInt32(truncatingIfNeeded: FieldValue.uint(v))
            case 4: accessTier = FieldValue.string(v)
            case 5: accessTierChangeTime = FileTime(ticks: FieldValue.int(v))
            case 6: enabledProtocols = FieldValue.string(v)
            case 7: rootSquash = FieldValue.string(v)
            case 8: metadata = Metadata(flattened: FieldValue.strings(v))
            case 9: caseSensitive = FieldValue.bool(v)
            case 10: created = FileTime(ticks: FieldValue.int(v))
            case 11: lastModified = FileTime(ticks: FieldValue.int(v))
            case 12: etagTicks = FieldValue.int(v)
            case 13: liveEpoch = FieldValue.uint(v)
            case 14: snapshotEpochs = FieldValue.integers(v)
            case 15: nextNodeId = FieldValue.uint(v)
            case 16: usedBytes = FieldValue.uint(v)
            case 17: nodeCount = FieldValue.uint(v)
            case 18: lease = try Lease.decode(v)
            case 19: accessPolicies = AccessPolicy.unflatten(FieldValue.strings(v))
            default: break
            }
        }
    }

    func info(snapshot: String? = nil) -> ShareInfo {
        ShareInfo(name: name, snapshot: snapshot, quotaGiB: quotaGiB, accessTier: accessTier,
                  accessTierChangeTime: accessTierChangeTime, enabledProtocols: enabledProtocols,
                  rootSquash: rootSquash, metadata: metadata, caseSensitive: caseSensitive,
                  created: created, lastModified: lastModified, etag: ETag.string(ticks: etagTicks),
                  snapshots: [], lease: lease, accessPolicies: accessPolicies)
    }
}

/// The stored form of a snapshot (table `snapshots`, keyed by share id and epoch): its name
/// and a copy of the share's properties at the time, so that reading them is O(1).
struct SnapshotRecord: Sendable {
    var epoch: UInt64
    var name: String
    var created: FileTime
    var share: ShareRecord

    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, epoch)
        w.field(2, name)
        w.field(3, created.ticks)
        w.field(4, share.encode())
        return w.bytes
    }

    init(epoch: UInt64, name: String, created: FileTime, share: ShareRecord) {
        self.epoch = epoch
        self.name = name
        self.created = created
        self.share = share
    }

    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        var r = try FieldReader(raw)
        var epoch: UInt64 = 0
        var name = ""
        var created = FileTime(ticks: 0)
        var share: ShareRecord?
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: epoch = FieldValue.uint(v)
            case 2: name = FieldValue.string(v)
            case 3: created = FileTime(ticks: FieldValue.int(v))
            case 4: share = try ShareRecord(reader: FieldReader(bytes: v))
            default: break
            }
        }
        guard let share else { throw ShareCoreError(.dataCorrupted, "snapshot \(name) has no share record") }
        self.init(epoch: epoch, name: name, created: created, share: share)
    }
}

enum ETag {
    /// Azure's ETag form: `0x` and the FILETIME in upper-case hex.
    static func string(ticks: Int64) -> String {
        // Written digit by digit into a small string: `String(_:radix:)` plus a concatenation
        // was 4% of a directory listing, which makes one ETag per entry.
        let value = UInt64(bitPattern: ticks + FileTime.fileTimeOffset)
        let digits = max(1, (64 - value.leadingZeroBitCount + 3) / 4)
        return String(unsafeUninitializedCapacity: digits + 2) { buffer in
            buffer[0] = UInt8(ascii: "0")
            buffer[1] = UInt8(ascii: "x")
            for i in 0..<digits {
                let nibble = UInt8(truncatingIfNeeded: value >> UInt64(4 * (digits - 1 - i))) & 0xF
                buffer[2 + i] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
            }
            return digits + 2
        }
    }
}

/// Node ids with a fixed meaning.
enum Node {
    static let rootId: UInt64 = 1
    static let firstFreeId: UInt64 = 2
}

/// The stored form of a node (table `nodes`, versioned by epoch).
struct NodeRecord: Sendable, Hashable {
    var info: NodeInfo
    /// Files only: the running MD5 of the content's first `md5.count` bytes (`md5.count` ≤ the
    /// size), which no write, clear or truncation has touched since the state was computed.
    /// The bytes after them are whatever the file holds and are not covered: changes there
    /// (writes, clears, growing, cutting) keep the state, and `Share.contentMD5` extends it by
    /// reading them. Nil when unknown (a change reached into the covered bytes), which means
    /// the same as an empty state: the whole content is to be read. (Stores written when a
    /// state implied holes after it still satisfy this rule.)
    var md5: MD5? = nil

    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, UInt64(info.kind.rawValue))
        w.field(2, info.id)
        w.field(3, info.parentId)
        w.field(4, info.name)
        w.field(5, info.size)
        let h = info.contentHeaders
        w.field(6, h.contentType)
        w.field(7, h.contentEncoding)
        w.field(8, h.contentLanguage)
        w.field(9, h.contentDisposition)
        w.field(10, h.cacheControl)
        if let md5 = h.contentMD5 { w.field(11, md5) }
        w.field(12, UInt64(info.smb.attributes.rawValue))
        w.field(13, info.smb.creationTime.ticks)
        w.field(14, info.smb.lastWriteTime.ticks)
        w.field(15, info.smb.changeTime.ticks)
        w.field(16, info.smb.permissionKey)
        if let m = info.nfs.mode { w.field(17, UInt64(m)) }
        if let o = info.nfs.owner { w.field(18, UInt64(o)) }
        if let g = info.nfs.group { w.field(19, UInt64(g)) }
        w.field(20, strings: info.metadata.flattened)
        w.field(21, info.lastModified.ticks)
        if let lease = info.lease { w.field(22, lease.encode()) }
        if let copy = info.copy { w.field(23, copy.encode()) }
        if let md5 {
            w.field(24, md5.encodeState())
            // The digest of a state that covers the whole file: a listing returns it as the
            // file's MD5 without finalizing the state (one MD5 block per listed file).
            if md5.count == info.size { w.field(30, md5.finalize()) }
        }
        w.field(25, info.objectETag)
        w.field(26, info.objectChecksum)
        if let parts = info.objectParts { w.field(27, integers: parts) }
        if !info.annotations.isEmpty { w.field(28, info.annotations.encode()) }
        if let encryption = info.encryption { w.field(29, encryption.encode()) }
        return w.bytes
    }

    init(info: NodeInfo) { self.info = info }

    /// Decodes a stored node where it lies (in the map, or in a copy).
    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        var md5: MD5?
        info = try NodeRecord.decode(InPlaceFieldReader(raw), md5: &md5, withMD5: true)
        self.md5 = md5
    }

    /// Decodes only a stored node's properties, skipping its saved MD5 state, straight into
    /// the `NodeInfo` without a `NodeRecord` around it to copy from, and without copying the
    /// record out of the map first (a listing decodes one node per entry, issue #14).
    static func info(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) -> NodeInfo {
        var none: MD5?
        return try decode(InPlaceFieldReader(raw), md5: &none, withMD5: false)
    }

    /// ``info(_:)`` of a stored node already copied out.
    static func info(record: [UInt8]) throws(ShareCoreError) -> NodeInfo {
        // `withUnsafeBytes` rethrows untyped errors: the decoding's own error is carried out as a Result.
        try record.withUnsafeBytes { raw in Result { () throws(ShareCoreError) in try info(raw) } }.get()
    }

    /// What a listing page returns of a stored node (``ListedProperties``): the fields an S3
    /// page writes, and the content MD5 when the saved state covers the whole file (or the
    /// file is empty), read without building the rest; the record is kept, copied once, for
    /// ``ListedProperties/info`` to decode in full if asked. A page decodes a thousand of
    /// these, and the full decoding (every string, the metadata, the ETag text) was most of
    /// its time in the engine.
    static func listed(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) -> ListedProperties {
        let record = [UInt8](copying: raw)
        var r = try FieldReader(record: record)
        var kind = NodeKind.file
        var size: UInt64 = 0
        var lastModified = FileTime(ticks: 0)
        var state: ArraySlice<UInt8>?
        var digest: ArraySlice<UInt8>?
        var objectETag: String?
        var objectChecksum: String?
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: kind = NodeKind(rawValue: UInt8(truncatingIfNeeded: FieldValue.uint(v))) ?? .file
            case 5: size = FieldValue.uint(v)
            case 21: lastModified = FileTime(ticks: FieldValue.int(v))
            case 24: state = v
            case 25: objectETag = FieldValue.string(v)
            case 26: objectChecksum = FieldValue.string(v)
            case 30: digest = v
            default: break
            }
        }
        return ListedProperties(kind: kind, size: size, lastModified: lastModified, objectETag: objectETag,
                                objectChecksum: objectChecksum,
                                md5: try knownMD5(state, digest: digest, kind: kind, size: size), record: record)
    }

    /// The content MD5 known without reading content: the saved state's (tag 24) when it
    /// covers the whole file (its stored digest when the record has one, tag 30, which
    /// `encode` writes with such a state), the empty content's for an empty file, nil
    /// otherwise. With a digest the state is only checked, not restored: a page lists a
    /// thousand of these, and restoring one copies its pending bytes into a new array.
    private static func knownMD5(_ state: ArraySlice<UInt8>?, digest: ArraySlice<UInt8>?, kind: NodeKind,
                                 size: UInt64) throws(ShareCoreError) -> [UInt8]? {
        if let state, try MD5.savedCount(state) == size {
            if let digest, digest.count == 16 { return Array(digest) }
            return try MD5.decodeState(state).finalize()
        }
        return kind == .file && size == 0 ? MD5().finalize() : nil
    }

    /// The node's fields read where they lie; a nested record (lease, copy, MD5 state,
    /// annotations, encryption: rare, and small) is copied for its own decoder.
    private static func decode(_ reader: InPlaceFieldReader, md5: inout MD5?, withMD5: Bool) throws(ShareCoreError)
        -> NodeInfo
    {
        var r = reader
        let zero = FileTime(ticks: 0)
        var i = NodeInfo(kind: .file, id: 0, parentId: 0, name: "", size: 0, contentHeaders: ContentHeaders(),
                         smb: SMBProperties(attributes: [], creationTime: zero, lastWriteTime: zero, changeTime: zero),
                         nfs: NFSProperties(), metadata: Metadata(), etag: "", lastModified: zero)
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: i.kind = NodeKind(rawValue: UInt8(truncatingIfNeeded: FieldValue.uint(v))) ?? .file
            case 2: i.id = FieldValue.uint(v)
            case 3: i.parentId = FieldValue.uint(v)
            case 4: i.name = FieldValue.string(v)
            case 5: i.size = FieldValue.uint(v)
            case 6: i.contentHeaders.contentType = FieldValue.string(v)
            case 7: i.contentHeaders.contentEncoding = FieldValue.string(v)
            case 8: i.contentHeaders.contentLanguage = FieldValue.string(v)
            case 9: i.contentHeaders.contentDisposition = FieldValue.string(v)
            case 10: i.contentHeaders.cacheControl = FieldValue.string(v)
            case 11: i.contentHeaders.contentMD5 = [UInt8](copying: v)
            case 12: i.smb.attributes = FileAttributes(rawValue: UInt32(truncatingIfNeeded: FieldValue.uint(v)))
            case 13: i.smb.creationTime = FileTime(ticks: FieldValue.int(v))
            case 14: i.smb.lastWriteTime = FileTime(ticks: FieldValue.int(v))
            case 15: i.smb.changeTime = FileTime(ticks: FieldValue.int(v))
            case 16: i.smb.permissionKey = FieldValue.string(v)
            case 17: i.nfs.mode = UInt32(truncatingIfNeeded: FieldValue.uint(v))
            case 18: i.nfs.owner = UInt32(truncatingIfNeeded: FieldValue.uint(v))
            case 19: i.nfs.group = UInt32(truncatingIfNeeded: FieldValue.uint(v))
            case 20: i.metadata = Metadata(flattened: FieldValue.strings(v))
            case 21: i.lastModified = FileTime(ticks: FieldValue.int(v))
            case 22: i.lease = try Lease.decode([UInt8](copying: v)[...])
            case 23: i.copy = try CopyInfo.decode([UInt8](copying: v)[...])
            case 24: if withMD5 { md5 = try MD5.decodeState([UInt8](copying: v)[...]) }
            case 25: i.objectETag = FieldValue.string(v)
            case 26: i.objectChecksum = FieldValue.string(v)
            case 27: i.objectParts = FieldValue.integers(v)
            case 28: i.annotations = try FileAnnotations.decode([UInt8](copying: v)[...])
            case 29: i.encryption = try ContentEncryption.decode([UInt8](copying: v)[...])
            default: break
            }
        }
        i.etag = ETag.string(ticks: i.lastModified.ticks)
        return i
    }
}

extension MD5 {
    /// The saved state (NodeRecord tag 24): nested TLV, 1 the words A B C D (16 bytes,
    /// little-endian each), 2 bytes hashed (= bytes covered from offset 0), 3 the pending bytes.
    func encodeState() -> [UInt8] {
        var words: [UInt8] = []
        for word in [self.words.0, self.words.1, self.words.2, self.words.3] {
            for i in 0..<4 { words.append(UInt8(truncatingIfNeeded: word >> (8 * UInt32(i)))) }
        }
        var w = FieldWriter()
        w.field(1, words)
        w.field(2, count)
        w.field(3, pending)
        return w.bytes
    }

    static func decodeState(_ bytes: ArraySlice<UInt8>) throws(ShareCoreError) -> MD5 {
        var r = try FieldReader(bytes: bytes)
        var words: (UInt32, UInt32, UInt32, UInt32)?
        var count: UInt64 = 0
        var pending: [UInt8] = []
        while let (tag, v) = try r.next() {
            switch tag {
            case 1:
                guard v.count == 16 else { break }
                // Four little-endian words, read in place (a listing decodes one state per file).
                func word(_ k: Int) -> UInt32 {
                    let at = v.startIndex + 4 * k
                    return UInt32(v[at]) | UInt32(v[at + 1]) << 8 | UInt32(v[at + 2]) << 16 | UInt32(v[at + 3]) << 24
                }
                words = (word(0), word(1), word(2), word(3))
            case 2: count = FieldValue.uint(v)
            case 3: pending = Array(v)
            default: break
            }
        }
        guard let words, let state = MD5(words: words, pending: pending, count: count) else {
            throw ShareCoreError(.dataCorrupted, "a file's saved MD5 state is malformed")
        }
        return state
    }

    /// The number of bytes a saved state covers, with the state checked as ``decodeState(_:)``
    /// checks it (the same error when it is malformed), without restoring it.
    static func savedCount(_ bytes: ArraySlice<UInt8>) throws(ShareCoreError) -> UInt64 {
        var r = try FieldReader(bytes: bytes)
        var hasWords = false
        var count: UInt64 = 0
        var pending = 0
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: if v.count == 16 { hasWords = true }
            case 2: count = FieldValue.uint(v)
            case 3: pending = v.count
            default: break
            }
        }
        guard hasWords, pending == Int(count % 64) else {
            throw ShareCoreError(.dataCorrupted, "a file's saved MD5 state is malformed")
        }
        return count
    }
}

/// The stored form of a directory entry (table `dirents`, versioned by epoch).
///
/// A file's entry also carries the file's size, kept equal to its node's by
/// ``Mutation/putNode(_:)``, so that a listing of names, ids and sizes (what List Directories
/// and Files returns without extended information) reads the directory alone, not a node per
/// entry. Entries written before sizes were kept have none (`size` nil); a listing reads their
/// node instead, and the next change to the file writes its entry with the size.
struct DirentRecord: Sendable, Hashable {
    var nodeId: UInt64
    var kind: NodeKind
    var name: String
    /// The file's size (nil for a directory, and for an entry written before sizes were kept).
    var size: UInt64?

    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, nodeId)
        w.field(2, UInt64(kind.rawValue))
        w.field(3, name)
        if let size { w.field(4, size) }
        return w.bytes
    }

    init(nodeId: UInt64, kind: NodeKind, name: String, size: UInt64? = nil) {
        self.nodeId = nodeId
        self.kind = kind
        self.name = name
        self.size = size
    }

    /// The entry of `info` in its parent: its id, kind and name, and its size if it is a file.
    init(_ info: NodeInfo) {
        self.init(nodeId: info.id, kind: info.kind, name: info.name, size: info.kind == .file ? info.size : nil)
    }

    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        var r = try InPlaceFieldReader(raw)
        nodeId = 0; kind = .file; name = ""
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: nodeId = FieldValue.uint(v)
            case 2: kind = NodeKind(rawValue: UInt8(truncatingIfNeeded: FieldValue.uint(v))) ?? .file
            case 3: name = FieldValue.string(v)
            case 4: size = FieldValue.uint(v)
            default: break
            }
        }
    }
}

/// One run of an extent: `length` bytes at `offset` (within the extent) stored in chunk
/// `chunk` starting at `chunkOffset`.
struct Run: Hashable, Sendable {
    var offset: UInt32
    var length: UInt32
    var chunk: UInt64
    var chunkOffset: UInt32

    var end: UInt32 { offset + length }
}

/// The runs of a stored extent map, decoded one at a time where the value lies, without making
/// an array of them: what a read of a few bytes walks (``View/extentRuns(node:from:through:_:)``).
/// Valid only as long as the bytes it reads.
struct ExtentRuns: RandomAccessCollection {
    private let raw: UnsafeRawBufferPointer
    let startIndex = 0
    let endIndex: Int

    /// The runs of the stored map `raw`; `dataCorrupted` when it is malformed.
    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        guard raw.count >= 1, raw[0] == 1, (raw.count - 1) % ExtentMap.runBytes == 0 else {
            throw ShareCoreError(.dataCorrupted, "an extent map is malformed")
        }
        self.raw = raw
        endIndex = (raw.count - 1) / ExtentMap.runBytes
    }

    subscript(position: Int) -> Run {
        let base = 1 + position * ExtentMap.runBytes
        return Run(offset: u32(base), length: u32(base + 4), chunk: raw.beUInt64(at: base + 8), chunkOffset: u32(base + 16))
    }

    private func u32(_ at: Int) -> UInt32 {
        UInt32(raw[at]) << 24 | UInt32(raw[at + 1]) << 16 | UInt32(raw[at + 2]) << 8 | UInt32(raw[at + 3])
    }
}

/// The run list of one extent (table `extents`, versioned by epoch): sorted, not overlapping.
/// Gaps are holes.
struct ExtentMap: Hashable, Sendable {
    var runs: [Run]

    static let runBytes = 20

    func encode() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(1 + runs.count * ExtentMap.runBytes)
        out.append(1)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
        for r in runs {
            u32(r.offset)
            u32(r.length)
            withUnsafeBytes(of: r.chunk.bigEndian) { out.append(contentsOf: $0) }
            u32(r.chunkOffset)
        }
        return out
    }

    init(runs: [Run]) { self.runs = runs }

    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        runs = Array(try ExtentRuns(raw))
    }

    /// Bytes covered by runs.
    var coveredBytes: UInt64 { runs.reduce(0) { $0 + UInt64($1.length) } }

    /// Removes [start, end) (extent-relative) from the runs, trimming and splitting as needed.
    mutating func remove(_ start: UInt32, _ end: UInt32) {
        guard start < end else { return }
        var out: [Run] = []
        out.reserveCapacity(runs.count + 1)
        for r in runs {
            if r.end <= start || r.offset >= end {
                out.append(r)
                continue
            }
            if r.offset < start {
                out.append(Run(offset: r.offset, length: start - r.offset, chunk: r.chunk, chunkOffset: r.chunkOffset))
            }
            if r.end > end {
                let cut = end - r.offset
                out.append(Run(offset: end, length: r.end - end, chunk: r.chunk, chunkOffset: r.chunkOffset + cut))
            }
        }
        runs = out
    }

    /// Inserts a run into the gap left by `remove` (the range must be free).
    mutating func insert(_ run: Run) {
        let index = runs.firstIndex { $0.offset >= run.end } ?? runs.count
        runs.insert(run, at: index)
    }
}
