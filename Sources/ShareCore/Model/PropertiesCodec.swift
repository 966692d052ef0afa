extension NodeProperties {
    /// These properties as bytes, for a front that keeps them in its own records until it
    /// creates the file they describe (an S3 multipart upload does, until completion).
    ///
    /// A nested TLV record (see docs/ARCHITECTURE.md, "Value formats"): 1 content headers
    /// present, 2-7 the headers, 8 attributes, 9-11 creation/last-write/change times,
    /// 12 permission key, 13 NFS present, 14-16 NFS mode/owner/group, 17 metadata (present
    /// only when set), 18 object checksum, 19 annotation changes (present only when set).
    /// Readers skip tags they do not know.
    public var storedForm: [UInt8] {
        var w = FieldWriter()
        if let h = contentHeaders {
            w.field(1, true)
            w.field(2, h.contentType)
            w.field(3, h.contentEncoding)
            w.field(4, h.contentLanguage)
            w.field(5, h.contentDisposition)
            w.field(6, h.cacheControl)
            if let md5 = h.contentMD5 { w.field(7, md5) }
        }
        if let a = attributes { w.field(8, UInt64(a.rawValue)) }
        if let t = creationTime { w.field(9, t.ticks) }
        if let t = lastWriteTime { w.field(10, t.ticks) }
        if let t = changeTime { w.field(11, t.ticks) }
        w.field(12, permissionKey)
        if let nfs {
            w.field(13, true)
            if let v = nfs.mode { w.field(14, UInt64(v)) }
            if let v = nfs.owner { w.field(15, UInt64(v)) }
            if let v = nfs.group { w.field(16, UInt64(v)) }
        }
        if let m = metadata { w.field(17, strings: m.flattened) }
        w.field(18, objectChecksum)
        if let annotations { w.field(19, annotations.encode()) }
        return w.bytes
    }

    /// Properties from their ``storedForm``; `dataCorrupted` when the bytes are not one.
    public init(storedForm bytes: some Collection<UInt8>) throws(ShareCoreError) {
        var r = try FieldReader(bytes: bytes)
        self.init()
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
            case 8: attributes = FileAttributes(rawValue: UInt32(truncatingIfNeeded: FieldValue.uint(v)))
            case 9: creationTime = FileTime(ticks: FieldValue.int(v))
            case 10: lastWriteTime = FileTime(ticks: FieldValue.int(v))
            case 11: changeTime = FileTime(ticks: FieldValue.int(v))
            case 12: permissionKey = FieldValue.string(v)
            case 13: nfs = nfs ?? NFSProperties()
            case 14: nfs?.mode = UInt32(truncatingIfNeeded: FieldValue.uint(v))
            case 15: nfs?.owner = UInt32(truncatingIfNeeded: FieldValue.uint(v))
            case 16: nfs?.group = UInt32(truncatingIfNeeded: FieldValue.uint(v))
            case 17: metadata = Metadata(flattened: FieldValue.strings(v))
            case 18: objectChecksum = FieldValue.string(v)
            case 19: annotations = try AnnotationChanges.decode(v)
            default: break
            }
        }
        contentHeaders = headers
        self.nfs = nfs
    }
}
