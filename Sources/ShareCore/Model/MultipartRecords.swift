/// Stored forms of multipart uploads and their parts, and their keys.
///
/// - `uploads`: share id (u64) · upload id (16 bytes) -> ``UploadRecord``.
/// - `parts`: share id (u64) · upload id (16 bytes) · part number (u64) -> ``PartRecord``.
enum MultipartKeys {
    /// Bytes of an upload id (shown as 32 lowercase hex characters).
    static let idBytes = 16

    static func uploads(_ share: UInt64) -> [UInt8] { Key.u64(share) }

    static func upload(_ share: UInt64, _ id: [UInt8]) -> [UInt8] { Key.u64(share) + id }

    static func parts(_ share: UInt64, _ id: [UInt8]) -> [UInt8] { Key.u64(share) + id }

    static func part(_ share: UInt64, _ id: [UInt8], _ number: Int) -> [UInt8] {
        Key.u64(share) + id + Key.u64(UInt64(number))
    }

    /// The 16 bytes of upload id `text`, or nil when it is not 32 lowercase hex characters
    /// (so no id the store could have issued).
    static func parse(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count == idBytes * 2 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(idBytes)
        for i in stride(from: 0, to: u.count, by: 2) {
            guard let hi = nibble(u[i]), let lo = nibble(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    /// The text form of upload id bytes.
    static func text(_ id: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in id {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A new random upload id (128 bits from the system's secure generator).
    static func newId() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(idBytes)
        for _ in 0..<(idBytes / 8) {
            let word = generator.next()
            for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i)))) }
        }
        return out
    }
}

/// A multipart upload in progress (table `uploads`).
struct UploadRecord: Sendable, Hashable {
    /// The file the completion creates, as a normalized ``SharePath`` description.
    var path: String
    var properties: NodeProperties
    var initiated: FileTime
    var tag: String?

    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, path)
        w.field(2, UploadRecord.encode(properties))
        w.field(3, initiated.ticks)
        w.field(4, tag)
        return w.bytes
    }

    init(path: String, properties: NodeProperties, initiated: FileTime, tag: String?) {
        self.path = path
        self.properties = properties
        self.initiated = initiated
        self.tag = tag
    }

    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        var r = try FieldReader(raw)
        path = ""; properties = NodeProperties(); initiated = FileTime(ticks: 0)
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: path = FieldValue.string(v)
            case 2: properties = try UploadRecord.decodeProperties(v)
            case 3: initiated = FileTime(ticks: FieldValue.int(v))
            case 4: self.tag = FieldValue.string(v)
            default: break
            }
        }
    }

    /// Node properties as a nested record: 1 content headers present, 2-7 the headers,
    /// 8 attributes, 9-11 creation/last-write/change times, 12 permission key, 13 NFS present,
    /// 14-16 NFS mode/owner/group, 17 metadata (present only when set), 18 object checksum.
    static func encode(_ p: NodeProperties) -> [UInt8] {
        var w = FieldWriter()
        if let h = p.contentHeaders {
            w.field(1, true)
            w.field(2, h.contentType)
            w.field(3, h.contentEncoding)
            w.field(4, h.contentLanguage)
            w.field(5, h.contentDisposition)
            w.field(6, h.cacheControl)
            if let md5 = h.contentMD5 { w.field(7, md5) }
        }
        if let a = p.attributes { w.field(8, UInt64(a.rawValue)) }
        if let t = p.creationTime { w.field(9, t.ticks) }
        if let t = p.lastWriteTime { w.field(10, t.ticks) }
        if let t = p.changeTime { w.field(11, t.ticks) }
        w.field(12, p.permissionKey)
        if let nfs = p.nfs {
            w.field(13, true)
            if let v = nfs.mode { w.field(14, UInt64(v)) }
            if let v = nfs.owner { w.field(15, UInt64(v)) }
            if let v = nfs.group { w.field(16, UInt64(v)) }
        }
        if let m = p.metadata { w.field(17, strings: m.flattened) }
        w.field(18, p.objectChecksum)
        return w.bytes
    }

    static func decodeProperties(_ bytes: ArraySlice<UInt8>) throws(ShareCoreError) -> NodeProperties {
        var r = try FieldReader(bytes: bytes)
        var p = NodeProperties()
        var headers: ContentHeaders?
        var nfs: NFSProperties?
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: headers = headers ?? ContentHeaders()
            case 2: headers?.contentType = FieldValue.string(v)
            case 3: headers?.contentEncoding = FieldValue.string(v)
            case 4: headers?.contentLanguage = FieldValue.string(v)
            case 5: headers?.contentDisposition = FieldValue.string(v)
            case 6: headers?.cacheControl = FieldValue.string(v)
            case 7: headers?.contentMD5 = Array(v)
            case 8: p.attributes = FileAttributes(rawValue: UInt32(truncatingIfNeeded: FieldValue.uint(v)))
            case 9: p.creationTime = FileTime(ticks: FieldValue.int(v))
            case 10: p.lastWriteTime = FileTime(ticks: FieldValue.int(v))
            case 11: p.changeTime = FileTime(ticks: FieldValue.int(v))
            case 12: p.permissionKey = FieldValue.string(v)
            case 13: nfs = nfs ?? NFSProperties()
            case 14: nfs?.mode = UInt32(truncatingIfNeeded: FieldValue.uint(v))
            case 15: nfs?.owner = UInt32(truncatingIfNeeded: FieldValue.uint(v))
            case 16: nfs?.group = UInt32(truncatingIfNeeded: FieldValue.uint(v))
            case 17: p.metadata = Metadata(flattened: FieldValue.strings(v))
            case 18: p.objectChecksum = FieldValue.string(v)
            default: break
            }
        }
        p.contentHeaders = headers
        p.nfs = nfs
        return p
    }
}

/// `length` bytes at `offset` of a part, stored at `chunkOffset` of chunk `chunk`. Each
/// segment holds one reference on its chunk.
struct PartSegment: Sendable, Hashable {
    var offset: UInt64
    var length: UInt32
    var chunk: UInt64
    var chunkOffset: UInt32

    var end: UInt64 { offset + UInt64(length) }

    static let bytes = 24
}

/// One uploaded part (table `parts`): its size, MD5, the front's checksum and the segments of
/// chunks holding its bytes (sorted by offset, not overlapping; gaps are zeros).
struct PartRecord: Sendable, Hashable {
    var number: Int
    var size: UInt64
    var md5: [UInt8]
    var lastModified: FileTime
    var checksum: String?
    var segments: [PartSegment]

    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, UInt64(number))
        w.field(2, size)
        w.field(3, md5)
        w.field(4, lastModified.ticks)
        w.field(5, checksum)
        var raw: [UInt8] = []
        raw.reserveCapacity(segments.count * PartSegment.bytes)
        for s in segments {
            withUnsafeBytes(of: s.offset.bigEndian) { raw.append(contentsOf: $0) }
            withUnsafeBytes(of: s.length.bigEndian) { raw.append(contentsOf: $0) }
            withUnsafeBytes(of: s.chunk.bigEndian) { raw.append(contentsOf: $0) }
            withUnsafeBytes(of: s.chunkOffset.bigEndian) { raw.append(contentsOf: $0) }
        }
        w.field(6, raw)
        return w.bytes
    }

    init(number: Int, size: UInt64, md5: [UInt8], lastModified: FileTime, checksum: String?, segments: [PartSegment]) {
        self.number = number
        self.size = size
        self.md5 = md5
        self.lastModified = lastModified
        self.checksum = checksum
        self.segments = segments
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
            case 6:
                guard v.count % PartSegment.bytes == 0 else {
                    throw ShareCoreError(.dataCorrupted, "a part record's segment list is malformed")
                }
                let bytes = Array(v)
                func u32(_ at: Int) -> UInt32 {
                    UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
                }
                segments.reserveCapacity(bytes.count / PartSegment.bytes)
                for base in stride(from: 0, to: bytes.count, by: PartSegment.bytes) {
                    segments.append(PartSegment(offset: bytes.beUInt64(at: base), length: u32(base + 8),
                                                chunk: bytes.beUInt64(at: base + 12), chunkOffset: u32(base + 20)))
                }
            default: break
            }
        }
    }

    /// Adds `sign` references for each segment.
    func addReferences(to refs: inout RefDelta, _ sign: Int64) {
        for s in segments { refs.add(chunk: s.chunk, sign) }
    }
}
