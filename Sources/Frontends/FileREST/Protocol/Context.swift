import Foundation
import FrontKit
import HTTPTypes
import Logging
import ShareCore

/// Everything an operation handler needs: the store, the parsed request, and helpers that
/// turn engine results into Azure-shaped responses.
struct OperationContext: Sendable {
    let store: ShareStore
    let request: FileRequest
    let operation: Operation
    let configuration: FileRESTConfiguration
    let requestId: String
    /// The version the response announces (the request's, or the newest supported).
    let version: String
    /// The front's logger, without the request's id (see ``logger``).
    let frontLogger: Logger

    /// The front's logger with the request's id on every line. Tagged when a handler logs
    /// (rarely): tagging it for every request was 1% of a small GET (issue #14).
    var logger: Logger { FileRESTService.tagged(frontLogger, requestId: requestId) }

    /// The share named by the request (validated by the engine when used).
    func shareName() throws -> String {
        guard let share = request.share else {
            throw FileRESTError(.badRequest, "InvalidUri", "The requested URI does not name a share.")
        }
        return share
    }

    /// A handle on the share (at `sharesnapshot` when given), presenting `x-ms-lease-id`.
    func share() throws -> Share {
        store.share(try shareName(), snapshot: request.snapshot).withLease(request.header("x-ms-lease-id"))
    }

    /// Headers every response carries.
    func baseHeaders() -> HTTPFields {
        var fields = HTTPFields()
        addBaseHeaders(to: &fields)
        return fields
    }

    /// Adds the headers every response carries to `fields`, which no operation gives any of
    /// these names: they are appended, without comparing each field already there with each
    /// name (four scans of a download's twenty fields, issue #14). Debug builds check it.
    func addBaseHeaders(to fields: inout HTTPFields) {
        assert(![.msRequestId, .msVersion, .date, .msClientRequestId].contains { fields.contains($0) },
               "an operation set a base header itself")
        fields.add(.msRequestId, requestId)
        fields.add(.msVersion, version)
        fields.add(.date, HTTPDate.now())
        // Echoed when it is at most 1,024 visible ASCII characters, as the service does.
        if let clientId = request.headers.value(.msClientRequestId), OperationContext.isEchoable(clientId) {
            fields.add(.msClientRequestId, clientId)
        }
    }

    /// Whether a client request id is echoed: at most 1,024 visible ASCII characters.
    static func isEchoable(_ clientId: String) -> Bool {
        clientId.utf8.count <= 1024 && clientId.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) }
    }

    /// An empty-bodied response with the base headers plus `extra`.
    func response(_ status: HTTPResponse.Status, _ extra: HTTPFields = [:]) -> FrontResponse {
        // The operation's headers are kept as they are and the base headers added to them:
        // copying them one by one into a new set checked each name against all before it.
        var fields = extra
        addBaseHeaders(to: &fields)
        if !fields.contains(.contentLength) { fields.add(.contentLength, "0") }
        return FrontResponse(status: status, headers: fields)
    }

    /// An XML response.
    func xml(_ status: HTTPResponse.Status = .ok, _ document: XMLWriter, _ extra: HTTPFields = [:]) -> FrontResponse {
        var fields = extra
        addBaseHeaders(to: &fields)
        fields[.contentType] = "application/xml"
        fields[.contentLength] = String(document.count)
        return FrontResponse(status: status, headers: fields, body: document.body)
    }

    /// The key reported for files and directories that have no permission of their own.
    var defaultPermissionKey: String { FileRESTService.defaultPermissionKey }

    /// Response headers a service SAS overrides (`rscc`, `rscd`, `rsce`, `rscl`, `rsct` as
    /// `Cache-Control`, `Content-Disposition`, `Content-Encoding`, `Content-Language`,
    /// `Content-Type`); empty unless the request is authorized by a service SAS. Get File and
    /// Get File Properties set each of these over the stored value
    /// (`for field in context.sasResponseOverrides { fields[field.name] = field.value }`).
    var sasResponseOverrides: HTTPFields { SAS.responseOverrides(request) }

    /// The `ServiceEndpoint` of listings: `scheme://host[:port]/` plus, in path style, the
    /// account and a slash (`http://127.0.0.1:10004/devstoreaccount1/`).
    var serviceEndpoint: String {
        let scheme = request.head.scheme ?? "http"
        let host = request.head.authority ?? request.header("Host") ?? "127.0.0.1"
        return "\(scheme)://\(host)/" + (request.hostStyle ? "" : "\(request.account)/")
    }

    /// Reads a small request body (XML), refusing more than `limit` bytes.
    func smallBody(limit: Int = 1 << 20) async throws -> [UInt8] {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is BodyTooLarge {
            throw FileRESTError(.contentTooLarge, "RequestBodyTooLarge", "The request body is too large and exceeds the maximum permissible limit.")
        }
    }
}
