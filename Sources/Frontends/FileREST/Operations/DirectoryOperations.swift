import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// Create/Delete Directory, Get/Set Directory Properties and Metadata, List Directories and
/// Files, Rename Directory, and the (always empty) handle operations on directories.
enum DirectoryOperations {
    /// `PUT ?restype=directory`: creates the directory with its SMB/NFS properties, permission
    /// and metadata; its parent must exist.
    static func createDirectory(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        var properties = try NodeRequest.properties(request)
        properties.metadata = try Headers.metadata(request)
        let permission = try await NodeRequest.permission(context)
        let share = try context.share()
        properties.permissionKey = try await NodeRequest.permissionKey(permission, context, creating: true)
        let path = request.pathString
        let info: NodeInfo
        do {
            info = try await share.createDirectory(path, properties: properties)
        } catch let error as ShareCoreError where error.code == .resourceAlreadyExists && !path.isEmpty {
            if try await share.info(path).kind == .file { throw NodeRequest.typeMismatch() }
            throw error
        }
        return context.response(.created, NodeRequest.changeHeaders(info, context))
    }

    /// `GET`/`HEAD ?restype=directory`: metadata and SMB/NFS properties; also at `sharesnapshot`.
    static func getDirectoryProperties(_ context: OperationContext) async throws -> FrontResponse {
        let info = try await NodeRequest.info(context, kind: .directory)
        var fields = HTTPFields()
        Headers.addMetadata(info.metadata, to: &fields)
        Headers.addNodeProperties(info, to: &fields, defaultPermissionKey: context.defaultPermissionKey)
        fields.set("x-ms-server-encrypted", "true")
        return context.response(.ok, fields)
    }

    /// `PUT ?restype=directory&comp=properties`: SMB attributes and times, permission, NFS properties.
    static func setDirectoryProperties(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        var properties = try NodeRequest.properties(request)
        let permission = try await NodeRequest.permission(context)
        let share = try context.share()
        properties.permissionKey = try await NodeRequest.permissionKey(permission, context, creating: false)
        let info = try await share.setProperties(request.pathString, properties, kind: .directory)
        return context.response(.ok, NodeRequest.changeHeaders(info, context))
    }

    /// `GET`/`HEAD ?restype=directory&comp=metadata`.
    static func getDirectoryMetadata(_ context: OperationContext) async throws -> FrontResponse {
        let info = try await NodeRequest.info(context, kind: .directory)
        return context.response(.ok, NodeRequest.metadataHeaders(info))
    }

    /// `PUT ?restype=directory&comp=metadata`: replaces the metadata (none given clears it).
    static func setDirectoryMetadata(_ context: OperationContext) async throws -> FrontResponse {
        try await NodeRequest.setMetadata(context, kind: .directory)
    }

    /// `DELETE ?restype=directory`: removes an empty directory.
    static func deleteDirectory(_ context: OperationContext) async throws -> FrontResponse {
        let share = try context.share()
        let path = context.request.pathString
        try await asDirectory(share, path) { try await share.deleteDirectory(path) }
        return context.response(.accepted)
    }

    /// `GET ?restype=directory&comp=list` (also on the share's URL): one page of the
    /// directory's files and directories in name order.
    static func listDirectory(_ context: OperationContext) async throws -> FrontResponse {
        let options = try ListingOptions(context.request)
        let share = try context.share()
        let path = context.request.pathString
        let directory = try await NodeRequest.info(context, kind: .directory)
        let page: Listing.Page
        do {
            // Names, ids and sizes come from the directory's entries alone; only the extra
            // properties of `include` need every entry's node.
            if options.needsProperties {
                page = .full(try await share.list(path, prefix: options.prefix ?? "", marker: options.marker,
                                                  maxResults: options.pageSize))
            } else {
                page = .summaries(try await share.listSummaries(path, prefix: options.prefix ?? "", marker: options.marker,
                                                                maxResults: options.pageSize))
            }
        } catch let error as ShareCoreError where error.code == .invalidArgument && options.marker != nil {
            throw FileRESTError.invalidQuery("marker", options.marker)
        }
        let listing = Listing(context: context, options: options, directoryId: directory.id, page: page)
        return context.xml(.ok, listing.render())
    }

    /// `PUT ?restype=directory&comp=rename`: moves the directory named by `x-ms-file-rename-source`.
    static func renameDirectory(_ context: OperationContext) async throws -> FrontResponse {
        try await NodeRequest.rename(context, kind: .directory)
    }

    /// `GET ?restype=directory&comp=listhandles`: no SMB client ever opens a handle here.
    static func listDirectoryHandles(_ context: OperationContext) async throws -> FrontResponse {
        try await Handles.list(context)
    }

    /// `PUT ?restype=directory&comp=forceclosehandles`: there is never a handle to close.
    static func forceCloseDirectoryHandles(_ context: OperationContext) async throws -> FrontResponse {
        try await Handles.forceClose(context)
    }

    /// Runs `body`, reporting a file at `path` (where a directory was asked for) as
    /// `ResourceNotFound`, as Azure does.
    static func asDirectory(_ share: Share, _ path: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ShareCoreError where error.code == .notADirectory {
            if (try? await share.info(path))?.kind == .file {
                throw ShareCoreError(.resourceNotFound, "'\(path)' is a file, not a directory")
            }
            throw error
        }
    }
}

/// The query of List Directories and Files.
struct ListingOptions: Sendable {
    var prefix: String?
    var marker: String?
    /// `maxresults` as given (1 or more).
    var maxResults: Int?
    var timestamps = false
    var etag = false
    var attributes = false
    var permissionKey = false
    /// `x-ms-file-extended-info: true`, or any `include`.
    var extendedInfo = false

    /// Whether a listed item needs more than its name, id and size (any `include`).
    var needsProperties: Bool { timestamps || etag || attributes || permissionKey }

    /// The page size: `maxresults`, at most 5,000.
    var pageSize: Int { min(maxResults ?? 5000, 5000) }

    /// Parses `prefix`, `marker`, `maxresults`, `include` and `x-ms-file-extended-info`.
    init(_ request: FileRequest) throws {
        prefix = request.query("prefix")
        marker = request.query("marker").flatMap { $0.isEmpty ? nil : $0 }
        if let raw = request.query("maxresults") {
            guard let value = Int(raw) else { throw FileRESTError.invalidQuery("maxresults", raw) }
            guard value > 0 else { throw FileRESTError.outOfRangeQuery("maxresults", raw) }
            maxResults = value
        }
        if let raw = request.query("include") {
            for item in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !item.isEmpty {
                switch item {
                case "timestamps": timestamps = true
                case "etag": etag = true
                case "attributes": attributes = true
                case "permissionkey": permissionKey = true
                default: throw FileRESTError.invalidQuery("include", raw)
                }
                extendedInfo = true
            }
        }
        if let raw = request.header("x-ms-file-extended-info") {
            switch raw.lowercased() {
            case "true": extendedInfo = true
            case "false": break
            default: throw FileRESTError.invalidHeader("x-ms-file-extended-info", raw)
            }
        }
    }
}

/// Renders one page of List Directories and Files as the service writes it.
struct Listing {
    let context: OperationContext
    let options: ListingOptions
    let directoryId: UInt64
    let page: Page

    /// A page with every entry's properties, or with names, ids and sizes only (no `include`).
    enum Page {
        case full(DirectoryPage)
        case summaries(DirectorySummaryPage)

        var isEmpty: Bool {
            switch self {
            case .full(let page): page.entries.isEmpty
            case .summaries(let page): page.entries.isEmpty
            }
        }

        var nextMarker: String? {
            switch self {
            case .full(let page): page.nextMarker
            case .summaries(let page): page.nextMarker
            }
        }
    }

    /// Versions from which `FileId` and `DirectoryId` are always returned.
    static let idsAlwaysFrom = "2020-10-02"
    /// Versions from which `include=timestamps` also returns `ChangeTime` and `Last-Modified`.
    static let allTimestampsFrom = "2020-06-12"

    var showsIds: Bool { options.extendedInfo || context.version >= Listing.idsAlwaysFrom }

    func render() -> XMLWriter {
        var xml = XMLWriter(byteOrderMark: true)
        let request = context.request
        let directoryPath = request.pathString
        var attributes: [(String, String)] = [("ServiceEndpoint", context.serviceEndpoint),
                                              ("ShareName", request.share ?? "")]
        if let snapshot = request.snapshot { attributes.append(("ShareSnapshot", snapshot)) }
        if XMLNames.needsEncoding(directoryPath) {
            attributes.append(("Encoded", "true"))
            attributes.append(("DirectoryPath", XMLNames.encode(directoryPath)))
        } else {
            attributes.append(("DirectoryPath", directoryPath))
        }
        xml.open("EnumerationResults", attributeList: attributes)
        if let prefix = options.prefix { XMLNames.element(&xml, "Prefix", prefix) }
        if let marker = options.marker { xml.element("Marker", marker) }
        if let max = options.maxResults { xml.element("MaxResults", String(max)) }
        if showsIds { xml.element("DirectoryId", Headers.wireId(directoryId)) }
        if page.isEmpty {
            xml.empty("Entries")
        } else {
            xml.open("Entries")
            switch page {
            case .full(let page): for entry in page.entries { renderEntry(entry.info, into: &xml) }
            case .summaries(let page): for entry in page.entries { renderSummary(entry, into: &xml) }
            }
            xml.close("Entries")
        }
        if let next = page.nextMarker { xml.element("NextMarker", next) } else { xml.empty("NextMarker") }
        xml.close("EnumerationResults")
        return xml
    }

    func renderEntry(_ info: NodeInfo, into xml: inout XMLWriter) {
        let tag = info.kind == .directory ? "Directory" : "File"
        xml.open(tag)
        XMLNames.element(&xml, "Name", info.name)
        if showsIds { xml.element("FileId", Headers.wireId(info.id)) }
        renderProperties(info, into: &xml)
        if options.attributes { xml.element("Attributes", Headers.format(info.smb.attributes)) }
        if options.permissionKey {
            xml.element("PermissionKey", info.smb.permissionKey ?? context.defaultPermissionKey)
        }
        xml.close(tag)
    }

    /// An entry of a page without `include`: its name, id and (for a file) size.
    func renderSummary(_ entry: DirectorySummary, into xml: inout XMLWriter) {
        let tag = entry.kind == .directory ? "Directory" : "File"
        xml.open(tag)
        XMLNames.element(&xml, "Name", entry.name)
        if showsIds { xml.element("FileId", Headers.wireId(entry.id)) }
        if entry.kind == .file {
            xml.open("Properties")
            xml.element("Content-Length", String(entry.size))
            xml.close("Properties")
        } else {
            xml.empty("Properties")
        }
        xml.close(tag)
    }

    func renderProperties(_ info: NodeInfo, into xml: inout XMLWriter) {
        let allTimestamps = context.version >= Listing.allTimestampsFrom
        let hasAny = info.kind == .file || options.timestamps || options.etag
        guard hasAny else {
            xml.empty("Properties")
            return
        }
        xml.open("Properties")
        if info.kind == .file { xml.element("Content-Length", String(info.size)) }
        if options.timestamps {
            xml.element("CreationTime", info.smb.creationTime.iso8601)
            // No last-access time is kept: the last write stands in for it.
            xml.element("LastAccessTime", info.smb.lastWriteTime.iso8601)
            xml.element("LastWriteTime", info.smb.lastWriteTime.iso8601)
            if allTimestamps {
                xml.element("ChangeTime", info.smb.changeTime.iso8601)
                xml.element("Last-Modified", Headers.httpDate(info.lastModified))
            }
        }
        if options.etag { xml.element("Etag", Headers.etag(info.etag)) }
        xml.close("Properties")
    }
}

/// Names in listings: XML 1.0 cannot carry some characters (U+FFFE, U+FFFF, most C0 controls),
/// so the service percent-encodes such a name and marks it `Encoded="true"`.
enum XMLNames {
    /// Whether `text` holds a character XML 1.0 cannot carry.
    static func needsEncoding(_ text: String) -> Bool {
        text.unicodeScalars.contains { s in
            switch s.value {
            case 0x9, 0xA, 0xD: false
            case 0..<0x20, 0xFFFE, 0xFFFF: true
            default: false
            }
        }
    }

    /// `text` percent-encoded as UTF-8 (unreserved characters and `/` stay).
    static func encode(_ text: String) -> String { RequestTarget.percentEncode(text, keepSlash: true) }

    /// `<name>text</name>`, or `<name Encoded="true">…</name>` when `text` needs encoding;
    /// `<name />` when empty.
    static func element(_ xml: inout XMLWriter, _ name: String, _ text: String) {
        if text.isEmpty {
            xml.empty(name)
        } else if needsEncoding(text) {
            xml.element(name, encode(text), ["Encoded": "true"])
        } else {
            xml.element(name, text)
        }
    }
}

/// List Handles and Force Close Handles. This server has no SMB clients, so nothing ever holds
/// a handle: listings are empty and closing closes nothing, truthfully. The SDKs address
/// directories here without `restype=directory`, so either kind is accepted at the path.
enum Handles {
    /// An empty `HandleList` for an existing file or directory.
    static func list(_ context: OperationContext) async throws -> FrontResponse {
        if let raw = context.request.query("maxresults") {
            guard let value = Int(raw) else { throw FileRESTError.invalidQuery("maxresults", raw) }
            guard value > 0 else { throw FileRESTError.outOfRangeQuery("maxresults", raw) }
        }
        _ = try recursive(context.request)
        _ = try await context.share().info(context.request.pathString)
        var xml = XMLWriter(byteOrderMark: true)
        xml.open("EnumerationResults")
        xml.empty("Entries")
        xml.empty("NextMarker")
        xml.close("EnumerationResults")
        return context.xml(.ok, xml)
    }

    /// Closes the handles `x-ms-handle-id` names (`*` for all): always none.
    static func forceClose(_ context: OperationContext) async throws -> FrontResponse {
        guard context.request.header("x-ms-handle-id") != nil else { throw FileRESTError.missingHeader("x-ms-handle-id") }
        _ = try recursive(context.request)
        _ = try await context.share().info(context.request.pathString)
        var fields = HTTPFields()
        fields.set("x-ms-number-of-handles-closed", "0")
        fields.set("x-ms-number-of-handles-failed", "0")
        return context.response(.ok, fields)
    }

    /// `x-ms-recursive` (directories), validated.
    static func recursive(_ request: FileRequest) throws -> Bool {
        try NodeRequest.bool(request, "x-ms-recursive") ?? false
    }
}
