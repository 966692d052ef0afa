/// What a file remembers of the last copy that made it (Azure's `x-ms-copy-*` properties).
/// Copies complete at once, so the status is always `success`; the record is dropped when the
/// file's content is later changed.
public struct CopyInfo: Sendable, Hashable {
    /// The copy's identifier (a GUID).
    public var id: String
    /// The URL the copy was made from, as the client gave it.
    public var source: String
    /// `success` (copies finish synchronously).
    public var status: String
    /// Bytes copied.
    public var bytesCopied: UInt64
    /// Bytes in the source.
    public var totalBytes: UInt64
    /// When the copy finished.
    public var completionTime: FileTime

    /// A copy record.
    public init(id: String, source: String, status: String = "success", bytesCopied: UInt64, totalBytes: UInt64,
                completionTime: FileTime) {
        self.id = id
        self.source = source
        self.status = status
        self.bytesCopied = bytesCopied
        self.totalBytes = totalBytes
        self.completionTime = completionTime
    }

    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, id)
        w.field(2, source)
        w.field(3, status)
        w.field(4, bytesCopied)
        w.field(5, totalBytes)
        w.field(6, completionTime.ticks)
        return w.bytes
    }

    static func decode(_ bytes: ArraySlice<UInt8>) throws(ShareCoreError) -> CopyInfo {
        var r = try FieldReader(bytes: bytes)
        var info = CopyInfo(id: "", source: "", bytesCopied: 0, totalBytes: 0, completionTime: FileTime(ticks: 0))
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: info.id = FieldValue.string(v)
            case 2: info.source = FieldValue.string(v)
            case 3: info.status = FieldValue.string(v)
            case 4: info.bytesCopied = FieldValue.uint(v)
            case 5: info.totalBytes = FieldValue.uint(v)
            case 6: info.completionTime = FileTime(ticks: FieldValue.int(v))
            default: break
            }
        }
        return info
    }
}
