import Foundation

/// A point in time with 100-nanosecond resolution (the resolution of Windows FILETIME and of
/// Azure's 7-digit fractional seconds), counted from 1970-01-01T00:00:00Z.
public struct FileTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// 100-ns ticks since the Unix epoch.
    public var ticks: Int64

    /// Ticks between 1601-01-01 (FILETIME's epoch) and 1970-01-01.
    public static let fileTimeOffset: Int64 = 116_444_736_000_000_000

    /// A time from 100-ns ticks since 1970-01-01T00:00:00Z.
    public init(ticks: Int64) { self.ticks = ticks }

    /// The time of `date`, rounded down to 100 ns.
    public init(_ date: Date) {
        ticks = Int64((date.timeIntervalSince1970 * 10_000_000).rounded(.down))
    }

    /// The current time.
    public static func now() -> FileTime { FileTime(Date()) }

    /// As a `Date` (which may lose the last digit to floating point).
    public var date: Date { Date(timeIntervalSince1970: Double(ticks) / 10_000_000) }

    /// As Windows FILETIME (100-ns ticks since 1601).
    public var fileTime: Int64 { ticks + FileTime.fileTimeOffset }

    /// Whether `lhs` is earlier than `rhs`.
    public static func < (lhs: FileTime, rhs: FileTime) -> Bool { lhs.ticks < rhs.ticks }

    /// ISO 8601 in UTC with seven fractional digits, e.g. `2026-11-21T13:38:29.1234567Z`:
    /// the form of share snapshot names and SMB times.
    public var iso8601: String {
        // Written straight into the string's storage: a FileREST response carries three of
        // these, and an array between cost an allocation and a copy each (issue #14).
        let parts = fields
        guard (0...9999).contains(parts.year) else { return String(decoding: iso8601UTF8, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: FileTime.iso8601Length) { buffer in
            FileTime.write(parts, fractionDigits: 7, to: buffer)
        }
    }

    /// ``iso8601`` as UTF-8 bytes, for callers that write it into a byte buffer.
    public var iso8601UTF8: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(FileTime.iso8601Length)
        appendISO8601UTF8(to: &bytes)
        return bytes
    }

    /// Appends ``iso8601``'s UTF-8 bytes to `bytes`, with the first `fractionDigits` (0 to 7)
    /// digits of the fraction (S3 writes 3): for callers that write times into a buffer of
    /// their own (a listing writes one per entry), without an array or string between.
    public func appendISO8601UTF8(to bytes: inout [UInt8], fractionDigits: Int = 7) {
        let digits = min(max(fractionDigits, 0), 7)
        let parts = fields
        guard (0...9999).contains(parts.year) else {
            // `….fffffffZ`: keep the digits asked for (and the point only with some).
            let text = Array(FileTime.padded(parts.year, parts.month, parts.day, secondOfDay: parts.secondOfDay,
                                             fraction: parts.fraction).utf8)
            bytes += text.dropLast(digits == 0 ? 9 : 8 - digits)
            bytes.append(UInt8(ascii: "Z"))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: FileTime.iso8601Length) { buffer in
            let count = FileTime.write(parts, fractionDigits: digits, to: buffer)
            bytes.append(contentsOf: buffer[..<count])
        }
    }

    /// The length of ``iso8601`` for years 0 to 9999.
    static let iso8601Length = 28

    /// The broken-down UTC fields of the time.
    private var fields: (year: Int64, month: Int64, day: Int64, secondOfDay: Int64, fraction: Int64) {
        let seconds = ticks.quotientAndRemainder(dividingBy: 10_000_000)
        var whole = seconds.quotient
        var fraction = seconds.remainder
        if fraction < 0 {
            whole -= 1
            fraction += 10_000_000
        }
        let days = whole.quotientAndRemainder(dividingBy: 86_400)
        var day = days.quotient
        var secondOfDay = days.remainder
        if secondOfDay < 0 {
            day -= 1
            secondOfDay += 86_400
        }
        let (y, m, d) = CivilCalendar.date(fromDays: day)
        return (y, m, d, secondOfDay, fraction)
    }

    /// Writes the ISO 8601 text of `parts` (a year of 0 to 9999) with `digits` (0 to 7)
    /// fractional digits into `buffer` (at least ``iso8601Length`` bytes); returns its length.
    private static func write(_ parts: (year: Int64, month: Int64, day: Int64, secondOfDay: Int64, fraction: Int64),
                              fractionDigits digits: Int, to buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        // Digits written one by one (a listing formats a time per entry; the interpolated
        // form made a String per field).
        var out = TextWriter(buffer)
        out.number(parts.year, width: 4)
        out.byte(UInt8(ascii: "-"))
        out.number(parts.month, width: 2)
        out.byte(UInt8(ascii: "-"))
        out.number(parts.day, width: 2)
        out.byte(UInt8(ascii: "T"))
        out.number(parts.secondOfDay / 3600, width: 2)
        out.byte(UInt8(ascii: ":"))
        out.number(parts.secondOfDay / 60 % 60, width: 2)
        out.byte(UInt8(ascii: ":"))
        out.number(parts.secondOfDay % 60, width: 2)
        if digits > 0 {
            out.byte(UInt8(ascii: "."))
            var unit: Int64 = 1
            for _ in digits..<7 { unit *= 10 }
            out.number(parts.fraction / unit, width: digits)
        }
        out.byte(UInt8(ascii: "Z"))
        return out.count
    }

    /// The ISO 8601 text of broken-down fields by string padding (years outside 0-9999, and
    /// the reference the in-place form is tested against).
    static func padded(_ y: Int64, _ m: Int64, _ d: Int64, secondOfDay: Int64, fraction: Int64) -> String {
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 7))Z"
    }

    /// Parses `YYYY-MM-DDThh:mm:ss[.fffffff]Z` (1 to 7 fractional digits).
    public init?(iso8601 text: String) {
        let u = Array(text.utf8)
        func num(_ r: Range<Int>) -> Int64? {
            guard r.upperBound <= u.count else { return nil }
            var v: Int64 = 0
            for i in r {
                guard (48...57).contains(u[i]) else { return nil }
                v = v * 10 + Int64(u[i] - 48)
            }
            return v
        }
        guard u.count >= 20, u[4] == 45, u[7] == 45, u[10] == 84, u[13] == 58, u[16] == 58, u.last == 90,
              let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10),
              let h = num(11..<13), let mi = num(14..<16), let s = num(17..<19),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61
        else { return nil }
        var fraction: Int64 = 0
        if u.count > 20 {
            guard u[19] == 46 else { return nil }
            let digits = u.count - 21
            guard (1...7).contains(digits), let f = num(20..<(20 + digits)) else { return nil }
            fraction = f
            for _ in digits..<7 { fraction *= 10 }
        } else if u.count != 20 {
            return nil
        }
        let days = CivilCalendar.days(year: y, month: mo, day: d)
        ticks = ((days * 86_400) + h * 3600 + mi * 60 + s) * 10_000_000 + fraction
    }

    /// The time as ``iso8601``.
    public var description: String { iso8601 }
}

/// SMB file attributes, with the values Windows gives them.
public struct FileAttributes: OptionSet, Hashable, Sendable {
    /// The attribute bits, as Windows defines them.
    public let rawValue: UInt32
    /// Attributes from their bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `FILE_ATTRIBUTE_READONLY` (0x1).
    public static let readOnly = FileAttributes(rawValue: 0x1)
    /// `FILE_ATTRIBUTE_HIDDEN` (0x2).
    public static let hidden = FileAttributes(rawValue: 0x2)
    /// `FILE_ATTRIBUTE_SYSTEM` (0x4).
    public static let system = FileAttributes(rawValue: 0x4)
    /// `FILE_ATTRIBUTE_DIRECTORY` (0x10): set on directories, never on files.
    public static let directory = FileAttributes(rawValue: 0x10)
    /// `FILE_ATTRIBUTE_ARCHIVE` (0x20): the default for new files.
    public static let archive = FileAttributes(rawValue: 0x20)
    /// `FILE_ATTRIBUTE_NORMAL` (0x80).
    public static let normal = FileAttributes(rawValue: 0x80)
    /// `FILE_ATTRIBUTE_TEMPORARY` (0x100).
    public static let temporary = FileAttributes(rawValue: 0x100)
    /// `FILE_ATTRIBUTE_OFFLINE` (0x1000).
    public static let offline = FileAttributes(rawValue: 0x1000)
    /// `FILE_ATTRIBUTE_NOT_CONTENT_INDEXED` (0x2000).
    public static let notContentIndexed = FileAttributes(rawValue: 0x2000)
    /// `FILE_ATTRIBUTE_NO_SCRUB_DATA` (0x20000).
    public static let noScrubData = FileAttributes(rawValue: 0x20000)
}

/// HTTP content headers kept with a file.
public struct ContentHeaders: Hashable, Sendable {
    /// The `Content-Type` to return with the content.
    public var contentType: String?
    /// The `Content-Encoding` to return with the content.
    public var contentEncoding: String?
    /// The `Content-Language` to return with the content.
    public var contentLanguage: String?
    /// The `Content-Disposition` to return with the content.
    public var contentDisposition: String?
    /// The `Cache-Control` to return with the content.
    public var cacheControl: String?
    /// The MD5 of the whole content, as set by the client (16 bytes), if any.
    public var contentMD5: [UInt8]?

    /// Content headers; nil fields are not set.
    public init(contentType: String? = nil, contentEncoding: String? = nil, contentLanguage: String? = nil,
                contentDisposition: String? = nil, cacheControl: String? = nil, contentMD5: [UInt8]? = nil) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.contentLanguage = contentLanguage
        self.contentDisposition = contentDisposition
        self.cacheControl = cacheControl
        self.contentMD5 = contentMD5
    }
}

/// NFS properties of a file or directory.
public struct NFSProperties: Hashable, Sendable {
    /// Permission bits, e.g. `0o644`.
    public var mode: UInt32?
    /// Owner user id.
    public var owner: UInt32?
    /// Owner group id.
    public var group: UInt32?

    /// NFS properties; nil fields are not set.
    public init(mode: UInt32? = nil, owner: UInt32? = nil, group: UInt32? = nil) {
        self.mode = mode
        self.owner = owner
        self.group = group
    }
}

/// SMB properties: attributes, times and the security descriptor's permission key.
public struct SMBProperties: Hashable, Sendable {
    /// The SMB file attributes.
    public var attributes: FileAttributes
    /// When the file or directory was created, as SMB reports it.
    public var creationTime: FileTime
    /// When the content was last written, as SMB reports it.
    public var lastWriteTime: FileTime
    /// When the file or directory last changed in any way, as SMB reports it.
    public var changeTime: FileTime
    /// The key of the stored security descriptor (opaque to the engine).
    public var permissionKey: String?

    /// SMB properties.
    public init(attributes: FileAttributes, creationTime: FileTime, lastWriteTime: FileTime,
                changeTime: FileTime, permissionKey: String? = nil) {
        self.attributes = attributes
        self.creationTime = creationTime
        self.lastWriteTime = lastWriteTime
        self.changeTime = changeTime
        self.permissionKey = permissionKey
    }
}

/// Whether a node is a file or a directory.
public enum NodeKind: UInt8, Sendable, Hashable {
    case file = 1
    case directory = 2
}

/// A file's or directory's properties as the store holds them.
public struct NodeInfo: Hashable, Sendable {
    /// Whether this is a file or a directory.
    public var kind: NodeKind
    /// Stable 64-bit id (the share's root is 1).
    public var id: UInt64
    /// Id of the parent directory (the root's parent is 0).
    public var parentId: UInt64
    /// The name as given when created or renamed (empty for the root).
    public var name: String
    /// Length in bytes (0 for directories).
    public var size: UInt64
    /// HTTP content headers (empty for directories).
    public var contentHeaders: ContentHeaders
    /// SMB attributes, times and permission key.
    public var smb: SMBProperties
    /// NFS mode, owner and group.
    public var nfs: NFSProperties
    /// User metadata.
    public var metadata: Metadata
    /// Changes on every change of the node: `0x` followed by hex FILETIME ticks.
    public var etag: String
    /// When the node last changed.
    public var lastModified: FileTime
    /// The file's lease, if one was ever taken and not released (see ``Lease/state(at:)``).
    public var lease: Lease? = nil
    /// The last copy that made this file, until its content changes (see ``CopyInfo``).
    public var copy: CopyInfo? = nil
    /// An opaque ETag a front set when it committed staged content as this file
    /// (``Share/commitStaged(_:record:keys:to:properties:objectETag:createParents:encryption:records:)``; S3 keeps its multipart
    /// ETag here); nil otherwise; cleared whenever the content changes, kept by copies (same content).
    public var objectETag: String? = nil
    /// An opaque checksum of the whole content kept for a front (e.g. S3's
    /// `CRC32:base64`), set through ``NodeProperties/objectChecksum``; nil otherwise; cleared
    /// whenever the content changes, kept by copies (same content).
    public var objectChecksum: String? = nil
    /// The sizes of the staged contents a commit assembled this file from, in order (so a
    /// front can serve one of them, as S3's `partNumber` does); nil otherwise; cleared whenever
    /// the content changes, kept by copies (same content).
    public var objectParts: [UInt64]? = nil
    /// Named opaque values fronts keep with the item (see ``FileAnnotations``); kept through
    /// renames, content and property changes, carried by copies, snapshots and restores.
    public var annotations = FileAnnotations()
    /// How the file's content is encrypted at rest (nil: not encrypted). Set when the file's
    /// content is written whole (``Share/upload(_:from:properties:overwrite:finalize:createParents:encryption:)``,
    /// ``Share/commitStaged(_:record:keys:to:properties:objectETag:createParents:encryption:records:)``)
    /// and kept by copies.
    public var encryption: ContentEncryption? = nil

    /// Whether this is a directory.
    public var isDirectory: Bool { kind == .directory }
}

/// Properties given when creating a file or directory, or changed later. A nil field is
/// left as it is (or defaulted on create).
public struct NodeProperties: Sendable, Hashable {
    /// Content headers to set (files only); replaces all of them.
    public var contentHeaders: ContentHeaders?
    /// SMB attributes to set (`directory` is added or removed to match the kind).
    public var attributes: FileAttributes?
    /// SMB creation time to set.
    public var creationTime: FileTime?
    /// SMB last-write time to set.
    public var lastWriteTime: FileTime?
    /// SMB change time to set; nil sets it to the time of the change.
    public var changeTime: FileTime?
    /// The key of the security descriptor to set.
    public var permissionKey: String?
    /// NFS properties to set; nil fields inside stay as they are.
    public var nfs: NFSProperties?
    /// Metadata to set; replaces all of it.
    public var metadata: Metadata?
    /// The opaque whole-content checksum to keep with a file (``NodeInfo/objectChecksum``);
    /// files only. A change of content clears it unless the same change sets it again.
    public var objectChecksum: String?
    /// Changes to the item's ``NodeInfo/annotations``, made in the same commit as the rest
    /// (on a new file, such as an upload, a committed staged content or a copy, they apply to
    /// what the file starts with: nothing, or a copy's source's annotations).
    public var annotations: AnnotationChanges?

    /// Properties to set; nil fields are left as they are.
    public init(contentHeaders: ContentHeaders? = nil, attributes: FileAttributes? = nil,
                creationTime: FileTime? = nil, lastWriteTime: FileTime? = nil, changeTime: FileTime? = nil,
                permissionKey: String? = nil, nfs: NFSProperties? = nil, metadata: Metadata? = nil,
                objectChecksum: String? = nil, annotations: AnnotationChanges? = nil) {
        self.objectChecksum = objectChecksum
        self.annotations = annotations
        self.contentHeaders = contentHeaders
        self.attributes = attributes
        self.creationTime = creationTime
        self.lastWriteTime = lastWriteTime
        self.changeTime = changeTime
        self.permissionKey = permissionKey
        self.nfs = nfs
        self.metadata = metadata
    }
}

/// An entry of a directory listing.
public struct DirectoryEntry: Hashable, Sendable {
    /// The child's name as given when it was created or renamed.
    public var name: String
    /// Whether the child is a file or a directory.
    public var kind: NodeKind
    /// The full properties of the child.
    public var info: NodeInfo
}

/// One page of a directory listing.
public struct DirectoryPage: Sendable {
    /// The entries of this page, in listing order.
    public var entries: [DirectoryEntry]
    /// Pass back as `marker` to continue after this page; nil when the listing is complete.
    public var nextMarker: String?
}

/// An entry of a listing of names (``Share/listNames(_:prefix:marker:from:maxResults:withProperties:)``).
public struct DirectoryName: Hashable, Sendable {
    /// The child's name as given when it was created or renamed.
    public var name: String
    /// Whether the child is a file or a directory.
    public var kind: NodeKind
    /// The child's properties, read in the listing's transaction, when the listing was asked
    /// for them (`withProperties`); nil otherwise.
    public var properties: ListedProperties?

    /// A name and its kind (and its properties, when read).
    public init(name: String, kind: NodeKind, properties: ListedProperties? = nil) {
        self.name = name
        self.kind = kind
        self.properties = properties
    }
}

/// An entry of a listing of names, ids and sizes
/// (``Share/listSummaries(_:prefix:marker:maxResults:)``).
public struct DirectorySummary: Hashable, Sendable {
    /// The child's name as given when it was created or renamed.
    public var name: String
    /// Whether the child is a file or a directory.
    public var kind: NodeKind
    /// The child's id (``NodeInfo/id``).
    public var id: UInt64
    /// The file's size in bytes; 0 for a directory.
    public var size: UInt64
    // Only the engine makes summaries (a listing's result), so the memberwise initializer
    // Swift gives the struct, internal to ShareCore, is the one used.
}

/// One page of a listing of names, ids and sizes.
public struct DirectorySummaryPage: Sendable {
    /// The entries of this page, in listing order.
    public var entries: [DirectorySummary]
    /// Pass back as `marker` to continue after this page; nil when the listing is complete.
    public var nextMarker: String?
}

/// The properties of an item as a listing page that returns it needs them
/// (``Share/infos(_:)``, ``Share/listNames(_:prefix:marker:from:maxResults:withProperties:)``).
///
/// Immutable and shared by reference: a listing hands each entry's properties through several
/// steps (sorting, holding back, the page), and copying a ``NodeInfo`` copies every one of its
/// strings and collections, which was a sixth of an S3 page's time.
///
/// The fields a page writes of each object (kind, size, time, the front's ETag and checksum,
/// the known MD5) are read when the item is listed; the rest of its properties are kept as
/// stored and decoded by ``info`` when asked, each time it is read (keep the result to read it
/// twice). Decoding every item's whole record was the largest part of an S3 page's time in
/// the engine. Equal when the values are.
public final class ListedProperties: Hashable, Sendable {
    /// Whether the item is a file or a directory.
    public let kind: NodeKind
    /// The file's length in bytes (0 for directories): ``NodeInfo/size``.
    public let size: UInt64
    /// When the item last changed: ``NodeInfo/lastModified``.
    public let lastModified: FileTime
    /// ``NodeInfo/objectETag``.
    public let objectETag: String?
    /// ``NodeInfo/objectChecksum``.
    public let objectChecksum: String?
    /// A file's content MD5 when the store knows it without reading any content (an empty
    /// file's always); nil otherwise (``Share/contentMD5(_:hashingAtMost:)`` computes it).
    public let md5: [UInt8]?
    private let source: Source

    /// Where ``info`` comes from (boxed when decoded, so that a listed entry, which keeps
    /// only its record, is not as large as a whole `NodeInfo`).
    private enum Source: Sendable {
        indirect case decoded(NodeInfo)
        case record([UInt8])
    }

    /// Properties and a known MD5.
    public init(info: NodeInfo, md5: [UInt8]?) {
        kind = info.kind
        size = info.size
        lastModified = info.lastModified
        objectETag = info.objectETag
        objectChecksum = info.objectChecksum
        self.md5 = md5
        source = .decoded(info)
    }

    /// The listed fields of a stored node record, kept for ``info``.
    init(kind: NodeKind, size: UInt64, lastModified: FileTime, objectETag: String?, objectChecksum: String?,
         md5: [UInt8]?, record: [UInt8]) {
        self.kind = kind
        self.size = size
        self.lastModified = lastModified
        self.objectETag = objectETag
        self.objectChecksum = objectChecksum
        self.md5 = md5
        source = .record(record)
    }

    /// Whether the item is a directory.
    public var isDirectory: Bool { kind == .directory }

    /// All of the item's properties, decoded from the stored record on each read.
    /// - Throws: ``ShareCoreError`` `.dataCorrupted` when the stored record is damaged.
    public var info: NodeInfo {
        get throws(ShareCoreError) {
            switch source {
            case .decoded(let info): return info
            case .record(let record): return try NodeRecord.info(record: record)
            }
        }
    }

    public static func == (lhs: ListedProperties, rhs: ListedProperties) -> Bool {
        if lhs === rhs { return true }
        guard lhs.kind == rhs.kind, lhs.size == rhs.size, lhs.lastModified == rhs.lastModified,
              lhs.objectETag == rhs.objectETag, lhs.objectChecksum == rhs.objectChecksum, lhs.md5 == rhs.md5
        else { return false }
        return (try? lhs.info) == (try? rhs.info)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(size)
        hasher.combine(lastModified)
        hasher.combine(md5)
    }
}

/// One page of a listing of names.
public struct DirectoryNamePage: Sendable {
    /// The entries of this page, in listing order.
    public var entries: [DirectoryName]
    /// Pass back as `marker` to continue after this page; nil when the listing is complete.
    public var nextMarker: String?
    /// Whether the share compares names case-sensitively. Its listings are then in the byte
    /// order of the names' UTF-8, except among names whose first 240 bytes are equal.
    public var caseSensitive = false
}

/// Proleptic Gregorian dates and day counts since 1970-01-01 (Howard Hinnant's algorithms),
/// shared by ``FileTime``'s ISO 8601 form and the fronts' HTTP dates.
public enum CivilCalendar {
    /// The (year, month 1-12, day 1-31) of a day count since 1970-01-01.
    public static func date(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// The day count since 1970-01-01 of a date.
    public static func days(year y0: Int64, month m: Int64, day d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
