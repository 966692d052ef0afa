import FrontKit
import ShareCore

/// The JSON models of files and directories (`FilesHelper.cs`).
extension IISContext {
    /// A ref: `{name,id,type,physical_path}` (+ `_links.self`).
    func ref(_ path: ItemPath, directory: Bool, caseSensitive: Bool) -> JSON {
        let id = fileId(path, caseSensitive: caseSensitive)
        return .object([("name", .string(path.name)), ("id", .string(id)),
                        ("type", .string(directory ? "directory" : "file")),
                        ("physical_path", .string(physical(path)))] + links([("self", "/api/files/\(id)")]))
    }

    /// The parent's ref, or null when the parent is not readable (so location roots have none).
    func parentRef(_ path: ItemPath, caseSensitive: Bool) -> JSON {
        guard let parent = path.parent, claims(of: parent, caseSensitive: caseSensitive).contains(.read) else { return .null }
        return ref(parent, directory: true, caseSensitive: caseSensitive)
    }

    /// The full model (`full`: `total_files` and every link) or the child model of a listing.
    func model(_ item: Item, full: Bool, fields: Fields = .all) async throws -> JSON {
        let id = fileId(item.path, caseSensitive: item.caseSensitive)
        let info = item.info
        let lastModified = info.smb.lastWriteTime
        var members: [(String, JSON)] = [("name", .string(item.path.name)), ("id", .string(id))]
        if item.isDirectory, let location = locationRooted(at: item.path, caseSensitive: item.caseSensitive), !location.alias.isEmpty {
            members.append(("alias", .string(location.alias)))
        }
        members += [("type", .string(item.isDirectory ? "directory" : "file")),
                    ("physical_path", .string(physical(item.path))), ("exists", .bool(true))]
        if !item.isDirectory { members.append(("size", .int(Int64(info.size)))) }
        members += [("created", .string(IISTime.format(info.smb.creationTime))),
                    ("last_modified", .string(IISTime.format(lastModified))),
                    ("last_access", .string(IISTime.format(try lastAccess(item) ?? lastModified)))]
        if item.isDirectory {
            if full && fields.has("total_files") && claims(of: item.path, caseSensitive: item.caseSensitive).contains(.read) {
                members.append(("total_files", .int(Int64(try await childCount(item)))))
            }
        } else {
            members.append(("mime_type", MimeTypes.type(of: item.path.name).map(JSON.string) ?? .null))
            members.append(("e_tag", .string(ETags.of(info))))
        }
        members.append(("parent", parentRef(item.path, caseSensitive: item.caseSensitive)))
        members.append(("claims", .array(claims(of: item.path, caseSensitive: item.caseSensitive).map { .string($0.rawValue) })))
        if full {
            if item.isDirectory {
                members += links([("copy", "/api/files/copy"), ("files", "/api/files?parent.id=\(id)"),
                                  ("move", "/api/files/move"), ("self", "/api/files/\(id)")])
            } else {
                members += links([("content", "/api/files/content/\(id)"), ("copy", "/api/files/copy"),
                                  ("downloads", "/api/files/downloads"), ("move", "/api/files/move"), ("self", "/api/files/\(id)")])
            }
        } else {
            members += links([("self", "/api/files/\(id)")])
        }
        return fields.apply(.object(members))
    }

    /// The number of entries in a directory (every child, as IIS counts them).
    func childCount(_ item: Item) async throws -> Int {
        var count = 0
        var marker: String?
        repeat {
            let page = try await store.share(item.path.share).list(item.path.sharePath, marker: marker)
            count += page.entries.count
            marker = page.nextMarker
        } while marker != nil
        return count
    }

    /// The last-access time a PATCH set, if any.
    func lastAccess(_ item: Item) throws -> FileTime? {
        let key = LastAccess.key(share: item.path.share, node: item.info.id)
        return try store.readRecords { try $0.get(IISTables.lastAccess, key) }.flatMap(LastAccess.decode)
    }
}

/// Last-access times are front records keyed by share and item id (renames keep them).
enum LastAccess {
    static func key(share: String, node: UInt64) -> [UInt8] {
        var key = Array(share.utf8) + [0]
        withUnsafeBytes(of: node.bigEndian) { key.append(contentsOf: $0) }
        return key
    }

    static func encode(_ time: FileTime) -> [UInt8] { withUnsafeBytes(of: time.ticks.bigEndian) { Array($0) } }

    static func decode(_ bytes: [UInt8]) -> FileTime? {
        guard bytes.count == 8 else { return nil }
        return FileTime(ticks: bytes.reduce(0) { $0 << 8 | Int64($1) })
    }
}

/// IIS's file ETag (`ETag.cs`): lower-case hex of the FILETIME of the last write (whole
/// seconds) XOR the size, unquoted.
enum ETags {
    static func of(_ info: NodeInfo) -> String {
        let fileTime = info.smb.lastWriteTime.fileTime
        let seconds = fileTime - fileTime % 10_000_000
        return String(UInt64(bitPattern: seconds) ^ info.size, radix: 16)
    }
}

/// Content types by extension (the common ones IIS maps); nil when unknown.
enum MimeTypes {
    static let byExtension: [String: String] = [
        "txt": "text/plain", "htm": "text/html", "html": "text/html", "css": "text/css", "csv": "text/csv",
        "js": "application/javascript", "json": "application/json", "xml": "text/xml", "config": "application/xml",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml",
        "ico": "image/x-icon", "bmp": "image/bmp", "webp": "image/webp", "pdf": "application/pdf",
        "zip": "application/x-zip-compressed", "gz": "application/x-gzip", "tar": "application/x-tar",
        "mp4": "video/mp4", "mp3": "audio/mpeg", "wav": "audio/wav", "woff": "font/woff", "woff2": "font/woff2",
        "md": "text/markdown", "log": "text/plain", "exe": "application/octet-stream", "dll": "application/x-msdownload",
        "doc": "application/msword", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]

    static func type(of name: String) -> String? {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        return byExtension[name[name.index(after: dot)...].lowercased()]
    }
}
