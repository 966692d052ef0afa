import Crypto
import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// Create File, Get/Set File Properties, Get/Set File Metadata, Delete File, Rename File,
/// and the (always empty) handle operations on files.
enum FileOperations {
    /// The content type a file gets when Create File names none.
    static let defaultContentType = "application/octet-stream"

    /// The first version whose Create File may carry the file's first bytes as its body.
    static let contentVersion = "2026-02-06"

    /// `PUT` with `x-ms-type: file`: creates the file (replacing an existing file, as Azure
    /// does, and keeping its lease) with its length, content headers, SMB/NFS properties,
    /// permission and metadata. From version 2026-02-06 a body of at most 4 MiB is the file's
    /// first bytes, checked against `Content-MD5`/`x-ms-content-crc64` and stored in the same
    /// transaction as the create.
    static func createFile(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        try requireFileType(request)
        let length = try NodeRequest.length(request, required: true) ?? 0
        let content = try await initialContent(context, fileLength: length)
        var properties = try NodeRequest.properties(request)
        var headers = try Headers.contentHeaders(request) ?? ContentHeaders()
        if headers.contentType == nil { headers.contentType = defaultContentType }
        properties.contentHeaders = headers
        properties.metadata = try Headers.metadata(request)
        let permission = try await NodeRequest.permission(context)
        let share = try context.share()
        properties.permissionKey = try await NodeRequest.permissionKey(permission, context, creating: true)
        let info: NodeInfo
        do {
            info = try await share.createFile(request.pathString, length: length, properties: properties, overwrite: true,
                                              content: content?.bytes ?? [])
        } catch let error as ShareCoreError where error.code == .resourceAlreadyExists {
            // With overwrite, only a directory standing at the path refuses the create.
            throw NodeRequest.typeMismatch()
        }
        var fields = NodeRequest.changeHeaders(info, context)
        if let content {
            fields.set("Content-MD5", Data(content.md5).base64EncodedString())
            if content.structured { DataOperations.addStructuredUploadHeaders(&fields, content: content.bytes) }
        }
        return context.response(.created, fields)
    }

    /// The body of a Create File and its MD5; nil when there is none. A body needs version
    /// 2026-02-06 or later (`InvalidHeaderValue` on `Content-Length` before), a `Content-Length`
    /// of at most 4 MiB (`RequestBodyTooLarge`) and no more than the file's length; it must
    /// match `Content-MD5` and `x-ms-content-crc64` when given. A structured-message body
    /// (`x-ms-structured-body`) has its CRC-64s verified and `x-ms-structured-content-length`
    /// is then the content's length.
    static func initialContent(_ context: OperationContext, fileLength: UInt64) async throws -> (bytes: [UInt8], md5: [UInt8], structured: Bool)? {
        let request = context.request
        if try DataOperations.structuredRequest(request) {
            guard context.version >= contentVersion else { throw FileRESTError.invalidHeader("x-ms-structured-body", request.header("x-ms-structured-body")) }
            guard let declared = request.header("x-ms-structured-content-length") else {
                throw FileRESTError.missingHeader("x-ms-structured-content-length")
            }
            guard let count = UInt64(declared) else { throw FileRESTError.invalidHeader("x-ms-structured-content-length", declared) }
            guard count <= UInt64(DataOperations.chunkBytes) else { throw DataOperations.bodyTooLarge() }
            guard count <= fileLength else { throw FileRESTError.invalidHeader("x-ms-structured-content-length", declared) }
            let bytes = try await DataOperations.structuredBody(request, contentLength: count)
            let md5 = Array(Insecure.MD5.hash(data: bytes))
            try DataOperations.checkMD5(request, computed: md5)
            return (bytes, md5, true)
        }
        let declared = request.header("Content-Length")
        let chunked = request.header("Transfer-Encoding") != nil
        if !chunked && (declared == nil || declared == "0") { return nil }
        guard context.version >= contentVersion else { throw FileRESTError.invalidHeader("Content-Length", declared) }
        guard let declared, let count = UInt64(declared) else {
            throw FileRESTError(.lengthRequired, "MissingContentLengthHeader", "The Content-Length header was not specified.")
        }
        guard count <= UInt64(DataOperations.chunkBytes) else { throw DataOperations.bodyTooLarge() }
        guard count <= fileLength else {
            throw FileRESTError(.badRequest, "InvalidHeaderValue",
                                "The value for one of the HTTP headers is not in the correct format. The body is longer than x-ms-content-length.",
                                details: [("HeaderName", "Content-Length"), ("HeaderValue", declared)])
        }
        let bytes = try await DataOperations.rangeBody(request, span: 0..<count)
        let md5 = Array(Insecure.MD5.hash(data: bytes))
        try DataOperations.checkMD5(request, computed: md5)
        try DataOperations.checkCRC64(request, bytes)
        return (bytes, md5, false)
    }

    /// `HEAD` (or `GET` of the properties): the file's length, content headers, metadata,
    /// lease state and SMB/NFS properties; also at `sharesnapshot`.
    static func getFileProperties(_ context: OperationContext) async throws -> FrontResponse {
        let info = try await NodeRequest.info(context, kind: .file)
        var fields = HTTPFields()
        fields.set("Content-Length", String(info.size))
        addContentHeaders(info.contentHeaders, to: &fields)
        Headers.addNodeProperties(info, to: &fields, defaultPermissionKey: context.defaultPermissionKey)
        Headers.addMetadata(info.metadata, to: &fields)
        Headers.addCopyProperties(info, to: &fields)
        fields.set("x-ms-type", "File")
        fields.set("x-ms-server-encrypted", "true")
        addLeaseHeaders(info.lease, to: &fields)
        // A service SAS may override response headers for HEAD as for GET.
        for field in context.sasResponseOverrides { fields[field.name] = field.value }
        return context.response(.ok, fields)
    }

    /// `PUT ?comp=properties`: resizes with `x-ms-content-length`, replaces all content headers
    /// when any is given, and changes SMB/NFS properties and the permission.
    static func setFileProperties(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        let length = try NodeRequest.length(request, required: false)
        var properties = try NodeRequest.properties(request)
        properties.contentHeaders = try Headers.contentHeaders(request)
        let permission = try await NodeRequest.permission(context)
        let share = try context.share()
        properties.permissionKey = try await NodeRequest.permissionKey(permission, context, creating: false)
        let info = try await share.setProperties(request.pathString, properties, length: length, kind: .file)
        return context.response(.ok, NodeRequest.changeHeaders(info, context))
    }

    /// `GET`/`HEAD ?comp=metadata`: the file's metadata, ETag and Last-Modified.
    static func getFileMetadata(_ context: OperationContext) async throws -> FrontResponse {
        let info = try await NodeRequest.info(context, kind: .file)
        return context.response(.ok, NodeRequest.metadataHeaders(info))
    }

    /// `PUT ?comp=metadata`: replaces the file's metadata (none given clears it).
    static func setFileMetadata(_ context: OperationContext) async throws -> FrontResponse {
        try await NodeRequest.setMetadata(context, kind: .file)
    }

    /// `DELETE`: removes the file (a leased file needs its lease id).
    static func deleteFile(_ context: OperationContext) async throws -> FrontResponse {
        let share = try context.share()
        let path = context.request.pathString
        do {
            try await share.deleteFile(path)
        } catch let error as ShareCoreError where error.code == .notAFile {
            throw ShareCoreError(.resourceNotFound, "'\(path)' is a directory, not a file")
        }
        return context.response(.accepted)
    }

    /// `PUT ?comp=rename`: moves the file named by `x-ms-file-rename-source` to this path.
    static func renameFile(_ context: OperationContext) async throws -> FrontResponse {
        try await NodeRequest.rename(context, kind: .file)
    }

    /// `GET ?comp=listhandles`: this server has no SMB clients, so no file has open handles.
    static func listFileHandles(_ context: OperationContext) async throws -> FrontResponse {
        try await Handles.list(context)
    }

    /// `PUT ?comp=forceclosehandles`: there is never a handle to close.
    static func forceCloseFileHandles(_ context: OperationContext) async throws -> FrontResponse {
        try await Handles.forceClose(context)
    }

    // MARK: Helpers

    /// Checks `x-ms-type: file`, which Create File requires.
    static func requireFileType(_ request: FileRequest) throws {
        guard let type = request.header("x-ms-type") else { throw FileRESTError.missingHeader("x-ms-type") }
        guard type.lowercased() == "file" else { throw FileRESTError.invalidHeader("x-ms-type", type) }
    }

    /// The stored content headers as response headers (`Content-Type` and the rest; only those set).
    /// (`fields` holds none of these names yet: they are appended.)
    static func addContentHeaders(_ headers: ContentHeaders, to fields: inout HTTPFields) {
        if let v = headers.contentType { fields.add(.contentType, v) }
        if let v = headers.contentEncoding { fields.add(.contentEncoding, v) }
        if let v = headers.contentLanguage { fields.add(.contentLanguage, v) }
        if let v = headers.contentDisposition { fields.add(.contentDisposition, v) }
        if let v = headers.cacheControl { fields.add(.cacheControl, v) }
        if let md5 = headers.contentMD5 { fields.add(.contentMD5, Data(md5).base64EncodedString()) }
    }

    /// `x-ms-lease-status`, `x-ms-lease-state` and (while leased) `x-ms-lease-duration`.
    /// (`fields` holds none of these names yet: they are appended.)
    static func addLeaseHeaders(_ lease: Lease?, to fields: inout HTTPFields) {
        let state = lease?.state(at: .now()) ?? .available
        fields.add(.msLeaseStatus, state == .leased || state == .breaking ? "locked" : "unlocked")
        fields.add(.msLeaseState, state.rawValue)
        if state == .leased, let lease {
            fields.add(.msLeaseDuration, lease.duration == nil ? "infinite" : "fixed")
        }
    }
}

/// Reading what create, set-properties and rename requests carry for a file or directory:
/// SMB attributes and times, NFS mode/owner/group, the permission, and the response headers
/// of changes.
enum NodeRequest {
    /// The largest permission (security descriptor) a header may carry; larger ones go through
    /// Create Permission and `x-ms-file-permission-key`.
    static let maxPermissionBytes = 8 * 1024

    /// A permission as a request gives it.
    enum Permission: Sendable, Equatable {
        /// Neither header, or `preserve`: keep (or on create, use the default).
        case unchanged
        /// `inherit`: the default descriptor.
        case inherit
        /// `x-ms-file-permission-key`: a descriptor stored before.
        case key(String)
        /// `x-ms-file-permission`: a descriptor to store.
        case descriptor(String)
    }

    /// The SMB attributes and times and NFS properties of `request` (nil: not given).
    static func properties(_ request: FileRequest) throws -> NodeProperties {
        let now = FileTime.now()
        var properties = NodeProperties()
        properties.attributes = try Headers.attributes(request)
        properties.creationTime = try Headers.time(request, "x-ms-file-creation-time", now: now)
        properties.lastWriteTime = try Headers.time(request, "x-ms-file-last-write-time", now: now)
        properties.changeTime = try Headers.time(request, "x-ms-file-change-time", now: now)
        properties.nfs = try nfs(request)
        return properties
    }

    /// `x-ms-content-length` (0 to 4 TiB); nil when absent and not required.
    static func length(_ request: FileRequest, required: Bool) throws -> UInt64? {
        guard let raw = request.header("x-ms-content-length") else {
            if required { throw FileRESTError.missingHeader("x-ms-content-length") }
            return nil
        }
        guard let value = UInt64(raw) else { throw FileRESTError.invalidHeader("x-ms-content-length", raw) }
        guard value <= ShareStore.maxFileSize else {
            throw FileRESTError(.badRequest, "OutOfRangeInput", "One of the request inputs is out of range.",
                                details: [("HeaderName", "x-ms-content-length"), ("HeaderValue", raw)])
        }
        return value
    }

    /// `x-ms-mode` (four octal digits or `rwxr-x---` form), `x-ms-owner`, `x-ms-group`.
    static func nfs(_ request: FileRequest) throws -> NFSProperties? {
        let mode = try request.header("x-ms-mode").map { raw in
            guard let value = parseMode(raw) else { throw FileRESTError.invalidHeader("x-ms-mode", raw) }
            return value
        }
        let owner = try request.header("x-ms-owner").map { try parseId($0, header: "x-ms-owner") }
        let group = try request.header("x-ms-group").map { try parseId($0, header: "x-ms-group") }
        guard mode != nil || owner != nil || group != nil else { return nil }
        return NFSProperties(mode: mode, owner: owner, group: group)
    }

    static func parseId(_ raw: String, header: String) throws -> UInt32 {
        guard let value = UInt32(raw) else { throw FileRESTError.invalidHeader(header, raw) }
        return value
    }

    /// Parses an NFS mode: `0644` (four octal digits) or `rw-r--r--` (with `s`/`S`/`t`/`T`).
    static func parseMode(_ raw: String) -> UInt32? {
        if raw.count == 4 {
            guard raw.allSatisfy({ ("0"..."7").contains($0) }) else { return nil }
            return UInt32(raw, radix: 8)
        }
        let chars = Array(raw)
        guard chars.count == 9 else { return nil }
        var mode: UInt32 = 0
        let special: [UInt32] = [0o4000, 0o2000, 0o1000]
        for triple in 0..<3 {
            let shift = UInt32(6 - triple * 3)
            let r = chars[triple * 3], w = chars[triple * 3 + 1], x = chars[triple * 3 + 2]
            guard r == "r" || r == "-", w == "w" || w == "-" else { return nil }
            if r == "r" { mode |= 4 << shift }
            if w == "w" { mode |= 2 << shift }
            let setChar: Character = triple == 2 ? "t" : "s"
            switch x {
            case "x": mode |= 1 << shift
            case "-": break
            case setChar: mode |= (1 << shift) | special[triple]
            case Character(setChar.uppercased()): mode |= special[triple]
            default: return nil
            }
        }
        return mode
    }

    /// The permission `x-ms-file-permission` / `x-ms-file-permission-key` /
    /// `x-ms-file-permission-format` ask for, validated without storing anything.
    static func permission(_ context: OperationContext) async throws -> Permission {
        let request = context.request
        let text = request.header("x-ms-file-permission")
        let key = request.header("x-ms-file-permission-key")
        let format = request.header("x-ms-file-permission-format")
        if let format, !["sddl", "binary"].contains(format.lowercased()) {
            throw FileRESTError.invalidHeader("x-ms-file-permission-format", format)
        }
        if let text, let key, text.lowercased() != "preserve" {
            throw FileRESTError(.badRequest, "InvalidHeaderValue",
                                "Only one of x-ms-file-permission or x-ms-file-permission-key can be specified.",
                                details: [("HeaderName", "x-ms-file-permission-key"), ("HeaderValue", key)])
        }
        if let key {
            try await checkKey(key, context)
            return .key(key)
        }
        guard let text else { return .unchanged }
        switch text.lowercased() {
        case "preserve": return .unchanged
        case "inherit": return .inherit
        default:
            let binary = format?.lowercased() == "binary"
            try validateDescriptor(text, binary: binary)
            return .descriptor(binary ? Permissions.binaryTag + text : text)
        }
    }

    /// Refuses a descriptor that is too large, not base64 (binary), or lacks an owner, group
    /// and DACL (SDDL).
    static func validateDescriptor(_ text: String, binary: Bool) throws {
        let bad = FileRESTError.invalidHeader("x-ms-file-permission", text)
        guard text.utf8.count <= maxPermissionBytes else { throw bad }
        if binary {
            guard let data = Data(base64Encoded: text), let descriptor = try? SecurityDescriptor(binary: Array(data)),
                  descriptor.owner != nil, descriptor.group != nil, descriptor.dacl != nil else { throw bad }
        } else {
            guard let descriptor = try? SecurityDescriptor(sddl: text),
                  descriptor.owner != nil, descriptor.group != nil, descriptor.dacl != nil else { throw bad }
        }
    }

    /// Refuses a permission key that names no stored descriptor.
    static func checkKey(_ key: String, _ context: OperationContext) async throws {
        guard key != context.defaultPermissionKey else { return }
        do {
            _ = try await context.store.permission(share: context.shareName(), key: key)
        } catch let error as ShareCoreError where error.code == .resourceNotFound {
            throw FileRESTError.invalidHeader("x-ms-file-permission-key", key)
        }
    }

    /// The key to set for `permission`, storing a new descriptor first (nil: leave as it is,
    /// or on create use the default).
    static func permissionKey(_ permission: Permission, _ context: OperationContext, creating: Bool) async throws -> String? {
        switch permission {
        case .unchanged: return nil
        case .inherit: return creating ? nil : context.defaultPermissionKey
        case .key(let key): return key
        case .descriptor(let text): return try await context.store.createPermission(share: context.shareName(), text)
        }
    }

    /// Headers of a successful create, set-properties or rename: ETag, Last-Modified, SMB/NFS
    /// properties and `x-ms-request-server-encrypted`.
    static func changeHeaders(_ info: NodeInfo, _ context: OperationContext) -> HTTPFields {
        var fields = HTTPFields()
        Headers.addNodeProperties(info, to: &fields, defaultPermissionKey: context.defaultPermissionKey)
        fields.set("x-ms-request-server-encrypted", "true")
        return fields
    }

    /// Headers of Get Metadata: ETag, Last-Modified and `x-ms-meta-*`.
    /// Set File/Directory Metadata: replaces the metadata of the item (none given clears it).
    static func setMetadata(_ context: OperationContext, kind: NodeKind) async throws -> FrontResponse {
        let metadata = try Headers.metadata(context.request) ?? Metadata()
        let share = try context.share()
        let info = try await share.setProperties(context.request.pathString, NodeProperties(metadata: metadata), kind: kind)
        var fields = HTTPFields()
        fields.set("ETag", Headers.etag(info.etag))
        fields.set("Last-Modified", Headers.httpDate(info.lastModified))
        fields.set("x-ms-request-server-encrypted", "true")
        return context.response(.ok, fields)
    }

    static func metadataHeaders(_ info: NodeInfo) -> HTTPFields {
        var fields = HTTPFields()
        fields.set("ETag", Headers.etag(info.etag))
        fields.set("Last-Modified", Headers.httpDate(info.lastModified))
        Headers.addMetadata(info.metadata, to: &fields)
        return fields
    }

    /// The item the request addresses, which must be of `kind` (Azure answers
    /// `ResourceNotFound` when a file is addressed as a directory or the reverse).
    static func info(_ context: OperationContext, kind: NodeKind) async throws -> NodeInfo {
        let path = context.request.pathString
        let info = try await context.share().info(path)
        guard info.kind == kind else {
            throw ShareCoreError(.resourceNotFound, "'\(path)' is not a \(kind == .file ? "file" : "directory")")
        }
        return info
    }

    /// Azure's error for a name taken by an item of the other kind.
    static func typeMismatch() -> FileRESTError {
        FileRESTError(.conflict, "ResourceTypeMismatch", "The specified resource type does not match the type of the existing resource.")
    }

    // MARK: Rename

    /// Rename File and Rename Directory: moves `x-ms-file-rename-source` (in the same share)
    /// to the request's path, applying the SMB properties, permission, metadata and (files)
    /// content type the request gives.
    static func rename(_ context: OperationContext, kind: NodeKind) async throws -> FrontResponse {
        let request = context.request
        guard let rawSource = request.header("x-ms-file-rename-source") else {
            throw FileRESTError.missingHeader("x-ms-file-rename-source")
        }
        let source = try renameSource(rawSource, context)
        let replace = try bool(request, "x-ms-file-rename-replace-if-exists") ?? false
        let ignoreReadOnly = try bool(request, "x-ms-file-rename-ignore-readonly") ?? false
        var properties = try NodeRequest.properties(request)
        properties.metadata = try Headers.metadata(request)
        let contentType = request.header("x-ms-content-type")
        if contentType != nil && kind == .directory {
            throw FileRESTError(.badRequest, "UnsupportedHeader", "One of the HTTP headers specified in the request is not supported.",
                                details: [("HeaderName", "x-ms-content-type")])
        }
        let permission = try await NodeRequest.permission(context)
        let share = try context.share()
        if let contentType {
            var headers = try await share.info(source).contentHeaders
            headers.contentType = contentType
            properties.contentHeaders = headers
        }
        properties.permissionKey = try await NodeRequest.permissionKey(permission, context, creating: false)
        let info = try await share.rename(source, to: request.pathString, replaceIfExists: replace,
                                          sourceLeaseId: request.header("x-ms-source-lease-id"),
                                          destinationLeaseId: request.header("x-ms-destination-lease-id"),
                                          ignoreReadOnly: ignoreReadOnly, kind: kind, properties: properties)
        return context.response(.ok, changeHeaders(info, context))
    }

    /// A boolean header (`true`/`false`, any case); nil when absent.
    static func bool(_ request: FileRequest, _ name: String) throws -> Bool? {
        guard let raw = request.header(name) else { return nil }
        switch raw.lowercased() {
        case "true": return true
        case "false": return false
        default: throw FileRESTError.invalidHeader(name, raw)
        }
    }

    /// The path inside the request's share that `x-ms-file-rename-source` names: a URL of the
    /// item (path or host style; any query, such as a SAS, is ignored), a path from the account
    /// or the share (`/devstoreaccount1/share/dir/file`, `/share/dir/file`), or a path relative
    /// to the share's root (`dir/file`).
    static func renameSource(_ raw: String, _ context: OperationContext) throws -> String {
        let bad = FileRESTError.invalidHeader("x-ms-file-rename-source", raw)
        let share = try context.shareName()
        var text = Substring(raw)
        if let q = text.firstIndex(of: "?") { text = text[..<q] }
        var urlHostStyle: Bool?
        if let scheme = text.range(of: "://") {
            let afterScheme = text[scheme.upperBound...]
            let slash = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
            let host = afterScheme[..<slash].split(separator: ":").first.map { $0.lowercased() } ?? ""
            urlHostStyle = host.contains(".file.")
            text = afterScheme[slash...]
        }
        let absolute = text.hasPrefix("/")
        var segments: [String] = []
        for part in text.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = RequestTarget.percentDecode(String(part)) else { throw bad }
            segments.append(decoded)
        }
        if let urlHostStyle {
            if !urlHostStyle {
                guard segments.first == context.request.account else { throw bad }
                segments.removeFirst()
            }
            guard segments.first == share else { throw bad }
            segments.removeFirst()
        } else if absolute {
            if segments.count > 2, segments[0] == context.request.account, segments[1] == share {
                segments.removeFirst(2)
            } else if segments.first == share {
                segments.removeFirst()
            } else {
                throw bad
            }
        }
        guard !segments.isEmpty else { throw bad }
        let allow = context.request.header("x-ms-source-allow-trailing-dot")?.lowercased() == "true"
        return FileRequest.itemPath(segments, allowTrailingDot: allow)
    }
}
