import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// Copy File (synchronous: the copy shares the source's chunks and is complete when the
/// response is sent) and Abort Copy File.
enum CopyOperations {
    /// `PUT` with `x-ms-copy-source`: copies a file of this server (live, at a share snapshot,
    /// or through a SAS URL) to the request's path; 202 with `x-ms-copy-status: success`.
    static func copyFile(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        guard let rawSource = request.header("x-ms-copy-source") else { throw FileRESTError.missingHeader("x-ms-copy-source") }
        let metadata = try Headers.metadata(request)
        let smb = try CopySMBOptions(context)
        let source = try await CopySource.resolve(rawSource, context)
        let sourceInfo = try await CopySource.mapSourceErrors {
            let info = try await source.share.info(source.path)
            guard info.kind == .file else { throw ShareCoreError(.resourceNotFound, "the copy source is a directory") }
            return info
        }
        var options = CopyOptions(metadata: metadata, properties: try await smb.properties(source: sourceInfo, context),
                                  overwrite: true, copyId: UUID().uuidString.lowercased(), copySource: rawSource)
        options.ignoreReadOnly = smb.ignoreReadOnly
        let info = try await context.share().copy(from: source.share, source.path, to: request.pathString, options: options)
        var fields = HTTPFields()
        fields.set("ETag", Headers.etag(info.etag))
        fields.set("Last-Modified", Headers.httpDate(info.lastModified))
        fields.set("x-ms-copy-id", options.copyId ?? "")
        fields.set("x-ms-copy-status", "success")
        return context.response(.accepted, fields)
    }

    /// `PUT ?comp=copy&copyid=…` with `x-ms-copy-action: abort`. Copies complete at once, so
    /// there is never a pending copy to abort: 409 `NoPendingCopyOperation`.
    static func abortCopyFile(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        guard let copyId = request.query("copyid"), !copyId.isEmpty else {
            throw FileRESTError(.badRequest, "MissingRequiredQueryParameter", "A query parameter that's mandatory for this request is not specified.",
                                details: [("QueryParameterName", "copyid")])
        }
        guard let action = request.header("x-ms-copy-action") else { throw FileRESTError.missingHeader("x-ms-copy-action") }
        guard action.lowercased() == "abort" else { throw FileRESTError.invalidHeader("x-ms-copy-action", action) }
        _ = try await NodeRequest.info(context, kind: .file)
        throw FileRESTError(.conflict, "NoPendingCopyOperation", "There is currently no pending copy operation.")
    }
}

/// The SMB properties a Copy File request asks for: each is copied from the source
/// (`source`), given, or (when absent) what a new file gets.
struct CopySMBOptions {
    /// `x-ms-file-permission-copy-mode`: `source`, `override`, or nil (the default descriptor).
    var permissionMode: String?
    var attributes: String?
    var creationTime: String?
    var lastWriteTime: String?
    var changeTime: String?
    var setArchive: Bool
    var ignoreReadOnly: Bool

    /// Reads and validates the headers (nothing is stored yet).
    init(_ context: OperationContext) throws {
        let request = context.request
        if let mode = request.header("x-ms-file-permission-copy-mode") {
            guard ["source", "override"].contains(mode.lowercased()) else {
                throw FileRESTError.invalidHeader("x-ms-file-permission-copy-mode", mode)
            }
            permissionMode = mode.lowercased()
        }
        attributes = request.header("x-ms-file-attributes")
        creationTime = request.header("x-ms-file-creation-time")
        lastWriteTime = request.header("x-ms-file-last-write-time")
        changeTime = request.header("x-ms-file-change-time")
        setArchive = try NodeRequest.bool(request, "x-ms-file-copy-set-archive") ?? false
        ignoreReadOnly = try NodeRequest.bool(request, "x-ms-file-copy-ignore-readonly") ?? false
        _ = try Headers.attributes(request.replacingSource())
        let now = FileTime.now()
        for name in ["x-ms-file-creation-time", "x-ms-file-last-write-time", "x-ms-file-change-time"] {
            _ = try Headers.time(request.replacingSource(), name, now: now)
        }
    }

    /// The destination's properties, with `source` values taken from `source`; a permission
    /// to override with is stored first.
    func properties(source: NodeInfo, _ context: OperationContext) async throws -> NodeProperties {
        let request = context.request
        let now = FileTime.now()
        var properties = NodeProperties()
        if isSource(attributes) {
            properties.attributes = source.smb.attributes
        } else {
            properties.attributes = try Headers.attributes(request) ?? .archive
        }
        if setArchive { properties.attributes?.insert(.archive) }
        properties.creationTime = isSource(creationTime) ? source.smb.creationTime : try Headers.time(request, "x-ms-file-creation-time", now: now) ?? now
        properties.lastWriteTime = isSource(lastWriteTime) ? source.smb.lastWriteTime : try Headers.time(request, "x-ms-file-last-write-time", now: now) ?? now
        properties.changeTime = isSource(changeTime) ? source.smb.changeTime : try Headers.time(request, "x-ms-file-change-time", now: now)
        properties.permissionKey = try await permissionKey(source: source, context)
        return properties
    }

    func isSource(_ value: String?) -> Bool { value?.lowercased() == "source" }

    /// The destination's permission key: the source's (`source`), the one the request gives
    /// (`override`, or a permission header without a mode), or the default descriptor's.
    func permissionKey(source: NodeInfo, _ context: OperationContext) async throws -> String {
        if permissionMode == "source" { return source.smb.permissionKey ?? context.defaultPermissionKey }
        let permission = try await NodeRequest.permission(context)
        if permissionMode == "override", permission == .unchanged {
            throw FileRESTError.missingHeader("x-ms-file-permission")
        }
        return try await NodeRequest.permissionKey(permission, context, creating: false) ?? context.defaultPermissionKey
    }
}

extension FileRequest {
    /// This request with the SMB headers whose value is `source` left out, so the ordinary
    /// parsers validate the rest.
    func replacingSource() -> FileRequest {
        var head = self.head
        for name in ["x-ms-file-attributes", "x-ms-file-creation-time", "x-ms-file-last-write-time", "x-ms-file-change-time"] {
            guard let field = HTTPField.Name(name), head.headerFields[field]?.lowercased() == "source" else { continue }
            head.headerFields[field] = nil
        }
        return FileRequest(head: head, target: target, body: body, remoteAddress: remoteAddress, account: account,
                           hostStyle: hostStyle, share: share, path: path, sasFields: sasFields)
    }
}

/// The source of Copy File and Put Range From URL: a file of this server named by URL (path
/// style `http://host:port/account/share/path` or host style
/// `http://account.file.core.windows.net/share/path`), optionally at `sharesnapshot`.
struct CopySource: Sendable {
    /// The share (at the snapshot) holding the source.
    let share: Share
    /// The source's path in it.
    let path: String

    /// Resolves and authorizes `raw`: a SAS in its query must be valid for reading the file
    /// (403 `CannotVerifyCopySource` otherwise); without one, the request's own Shared Key
    /// authorizes it (the source is in the same account); otherwise the source is not
    /// visible (404 `CannotVerifyCopySource`).
    /// With `sourceAuthorization` (Put Range From URL), the source must carry its own
    /// authorization, a SAS in its URL, as Azure requires: the request's Shared Key does not
    /// cover it (401 `CannotVerifyCopySource`, with the source's status and error code in
    /// `x-ms-copy-source-status-code` and `x-ms-copy-source-error-code`).
    static func resolve(_ raw: String, _ context: OperationContext, sourceAuthorization: Bool = false) async throws -> CopySource {
        let parsed = try parse(raw, context)
        guard parsed.account == context.configuration.account, let shareName = parsed.share, !parsed.path.isEmpty else {
            throw notFound()
        }
        if parsed.query("sig") != nil {
            try await authorize(parsed, context)
        } else if sourceAuthorization {
            var error = FileRESTError(.unauthorized, "CannotVerifyCopySource",
                                      "Server failed to authenticate the request. The copy source needs its own authorization: a SAS in its URL or x-ms-copy-source-authorization.")
            error.headers = [("x-ms-copy-source-status-code", "401"), ("x-ms-copy-source-error-code", "NoAuthenticationInformation")]
            throw error
        } else if context.request.header("Authorization") == nil {
            throw notFound()
        }
        return CopySource(share: context.store.share(shareName, snapshot: parsed.snapshot), path: parsed.pathString)
    }

    /// The URL as a request of this server (`InvalidHeaderValue` when it is not a URL).
    static func parse(_ raw: String, _ context: OperationContext) throws -> FileRequest {
        let bad = FileRESTError.invalidHeader("x-ms-copy-source", raw)
        guard let schemeEnd = raw.range(of: "://") else { throw bad }
        let scheme = String(raw[..<schemeEnd.lowerBound]).lowercased()
        guard scheme == "http" || scheme == "https" else { throw bad }
        let rest = raw[schemeEnd.upperBound...]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<slash])
        let pathAndQuery = slash == rest.endIndex ? "/" : String(rest[slash...])
        guard !authority.isEmpty else { throw bad }
        var head = HTTPRequest(method: .get, scheme: scheme, authority: authority, path: pathAndQuery)
        if let version = context.request.header("x-ms-version") { head.headerFields.set("x-ms-version", version) }
        // The source's names keep their trailing dots only with x-ms-source-allow-trailing-dot.
        if let allow = context.request.header("x-ms-source-allow-trailing-dot") {
            head.headerFields.set("x-ms-allow-trailing-dot", allow)
        }
        let front = FrontRequest(head: head, remoteAddress: context.request.remoteAddress)
        do {
            return try FileRequest.parse(front, account: context.configuration.account)
        } catch {
            throw bad
        }
    }

    /// Checks the SAS of the source URL as if it were a Get File of the source.
    static func authorize(_ parsed: FileRequest, _ context: OperationContext) async throws {
        let sourceContext = OperationContext(store: context.store, request: parsed, operation: .getFile,
                                             configuration: context.configuration, requestId: context.requestId,
                                             version: context.version, frontLogger: context.frontLogger)
        do {
            try await SAS.authorize(sourceContext)
        } catch let error as FileRESTError {
            var failed = FileRESTError(.forbidden, "CannotVerifyCopySource", error.message)
            failed.headers = [("x-ms-copy-source-status-code", String(error.status.code)), ("x-ms-copy-source-error-code", error.code)]
            throw failed
        }
    }

    /// `x-ms-copy-source-authorization` (`Bearer <token>`) needs Azure AD, which this server
    /// does not have: a well-formed one cannot be verified (403 `CannotVerifyCopySource`, as
    /// Azure answers a token it does not accept), another scheme is `InvalidHeaderValue`.
    static func refuseBearerAuthorization(_ request: FileRequest) throws {
        guard let raw = request.header("x-ms-copy-source-authorization") else { return }
        guard raw.lowercased().hasPrefix("bearer "), raw.count > "bearer ".count else {
            throw FileRESTError.invalidHeader("x-ms-copy-source-authorization", raw)
        }
        throw FileRESTError(.forbidden, "CannotVerifyCopySource",
                            "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.")
    }

    static func notFound() -> FileRESTError {
        var error = FileRESTError(.notFound, "CannotVerifyCopySource", "The specified resource does not exist.")
        error.headers = [("x-ms-copy-source-status-code", "404"), ("x-ms-copy-source-error-code", "ResourceNotFound")]
        return error
    }

    /// Runs `body` (a read of the source), reporting failures as Azure does for a copy
    /// source: `CannotVerifyCopySource` with the status and message of the source's error.
    static func mapSourceErrors<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ShareCoreError {
            let rest = FileRESTError(error)
            if rest.status == .notFound { throw notFound() }
            var failed = FileRESTError(rest.status, "CannotVerifyCopySource", rest.message)
            failed.headers = [("x-ms-copy-source-status-code", String(rest.status.code)), ("x-ms-copy-source-error-code", rest.code)]
            throw failed
        } catch let error as FileRESTError {
            throw FileRESTError(error.status, "CannotVerifyCopySource", error.message)
        }
    }
}
