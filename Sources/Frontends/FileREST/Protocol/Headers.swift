import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// Reading and writing the header forms Azure Files uses for properties.
enum Headers {
    /// `x-ms-meta-*` headers as metadata (names as sent, minus the prefix). A bare
    /// `x-ms-meta-` with no name is signed like any header but is not metadata. Names must be
    /// C# identifiers, as Azure Files requires; what is stored (S3 allows more) is shown as it is.
    static func metadata(_ request: FileRequest) throws -> Metadata? {
        var pairs: [(String, String)] = []
        for field in request.headers {
            let lower = field.name.canonicalName.lowercased()
            guard lower.hasPrefix("x-ms-meta-") else { continue }
            let name = String(field.name.rawName.dropFirst("x-ms-meta-".count))
            guard !name.isEmpty else { continue }
            pairs.append((name, field.value))
        }
        guard !pairs.isEmpty else { return nil }
        do throws(ShareCoreError) {
            if let bad = pairs.first(where: { !Metadata.isIdentifier($0.0) }) {
                throw ShareCoreError(.invalidMetadata, "metadata name '\(bad.0)' is not a valid identifier")
            }
            return try Metadata(pairs)
        } catch {
            throw FileRESTError(.badRequest, "InvalidMetadata", "The metadata specified is invalid. It has characters that are not permitted. \(error.message)")
        }
    }

    /// Adds `x-ms-meta-*` response headers.
    static func addMetadata(_ metadata: Metadata, to fields: inout HTTPFields) {
        for (name, value) in metadata {
            if let field = HTTPField.Name("x-ms-meta-" + name) { fields.append(HTTPField(name: field, value: value)) }
        }
    }

    /// SMB attributes as Azure writes them: `ReadOnly | Hidden | Archive`, or `None`.
    static let attributeNames: [(String, FileAttributes)] = [
        ("ReadOnly", .readOnly), ("Hidden", .hidden), ("System", .system), ("Directory", .directory),
        ("Archive", .archive), ("Temporary", .temporary), ("Offline", .offline),
        ("NotContentIndexed", .notContentIndexed), ("NoScrubData", .noScrubData),
    ]

    static func format(_ attributes: FileAttributes) -> String {
        // The usual values without building a list (every file response carries them, issue #14).
        switch attributes {
        case []: return "None"
        case .archive: return "Archive"
        case .directory: return "Directory"
        default: break
        }
        let names = attributeNames.filter { attributes.contains($0.1) }.map(\.0)
        return names.isEmpty ? "None" : names.joined(separator: " | ")
    }

    /// Parses `x-ms-file-attributes` (nil: absent or `preserve`).
    static func attributes(_ request: FileRequest) throws -> FileAttributes? {
        guard let raw = request.header("x-ms-file-attributes"), raw.lowercased() != "preserve" else { return nil }
        var result: FileAttributes = []
        for part in raw.split(separator: "|").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            if part.lowercased() == "none" || part.lowercased() == "normal" { continue }
            guard let match = attributeNames.first(where: { $0.0.lowercased() == part.lowercased() }) else {
                throw FileRESTError.invalidHeader("x-ms-file-attributes", raw)
            }
            result.insert(match.1)
        }
        return result
    }

    /// Parses an SMB time header: an ISO 8601 time, `now`, or `preserve` (nil).
    static func time(_ request: FileRequest, _ name: String, now: FileTime) throws -> FileTime? {
        guard let raw = request.header(name) else { return nil }
        switch raw.lowercased() {
        case "preserve": return nil
        case "now": return now
        default:
            guard let t = FileTime(iso8601: raw) else { throw FileRESTError.invalidHeader(name, raw) }
            return t
        }
    }

    /// Content headers from `x-ms-content-*` / `x-ms-cache-control` (nil when none is given).
    static func contentHeaders(_ request: FileRequest, base: ContentHeaders? = nil) throws -> ContentHeaders? {
        let names = ["x-ms-content-type", "x-ms-content-encoding", "x-ms-content-language", "x-ms-content-disposition",
                     "x-ms-cache-control", "x-ms-content-md5"]
        guard names.contains(where: { request.header($0) != nil }) else { return nil }
        var h = base ?? ContentHeaders()
        h.contentType = request.header("x-ms-content-type")
        h.contentEncoding = request.header("x-ms-content-encoding")
        h.contentLanguage = request.header("x-ms-content-language")
        h.contentDisposition = request.header("x-ms-content-disposition")
        h.cacheControl = request.header("x-ms-cache-control")
        if let md5 = request.header("x-ms-content-md5") {
            // Azure stores the value as given: any base64, not only a 16-byte MD5.
            guard let data = Data(base64Encoded: md5) else {
                throw FileRESTError.invalidHeader("x-ms-content-md5", md5)
            }
            h.contentMD5 = Array(data)
        } else {
            h.contentMD5 = nil
        }
        return h
    }

    /// A file or directory id as Azure writes it: the share's root directory is `0` (the
    /// engine's root id is 1, and nothing else has id 0).
    static func wireId(_ id: UInt64) -> String { id == 1 ? "0" : String(id) }

    /// `"0x…"`: an engine ETag quoted as HTTP wants it.
    static func etag(_ etag: String) -> String { "\"\(etag)\"" }

    /// RFC 1123 form of a time.
    static func httpDate(_ time: FileTime) -> String {
        HTTPDate.format(secondsSince1970: time.ticks / 10_000_000)
    }

    /// The properties every file and directory response carries: ETag, Last-Modified, SMB
    /// times and attributes, permission key, ids (`fields` holds none of these names yet: they
    /// are appended).
    static func addNodeProperties(_ info: NodeInfo, to fields: inout HTTPFields, defaultPermissionKey: String) {
        fields.add(.eTag, etag(info.etag))
        fields.add(.lastModified, httpDate(info.lastModified))
        fields.add(.msFileAttributes, format(info.smb.attributes))
        fields.add(.msFileCreationTime, info.smb.creationTime.iso8601)
        fields.add(.msFileLastWriteTime, info.smb.lastWriteTime.iso8601)
        fields.add(.msFileChangeTime, info.smb.changeTime.iso8601)
        fields.add(.msFilePermissionKey, info.smb.permissionKey ?? defaultPermissionKey)
        fields.add(.msFileId, wireId(info.id))
        fields.add(.msFileParentId, wireId(info.parentId))
        if let mode = info.nfs.mode { fields.add(.msMode, String(mode, radix: 8).leftPadded(4)) }
        if let owner = info.nfs.owner { fields.add(.msOwner, String(owner)) }
        if let group = info.nfs.group { fields.add(.msGroup, String(group)) }
    }

    /// The `x-ms-copy-*` headers of a file that was the destination of a Copy File (nothing
    /// when it never was, or was changed since), as Get File and Get File Properties return them.
    static func addCopyProperties(_ info: NodeInfo, to fields: inout HTTPFields) {
        guard let copy = info.copy else { return }
        fields.set("x-ms-copy-id", copy.id)
        fields.set("x-ms-copy-source", copy.source)
        fields.set("x-ms-copy-status", copy.status)
        fields.set("x-ms-copy-progress", "\(copy.bytesCopied)/\(copy.totalBytes)")
        fields.set("x-ms-copy-completion-time", httpDate(copy.completionTime))
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
