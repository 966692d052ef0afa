import Foundation
import FrontKit
import HTTPTypes
import Logging
import ShareCore

/// Settings of the FileREST front.
public struct FileRESTConfiguration: Sendable {
    /// The storage account name clients address (default `devstoreaccount1`).
    public var account: String
    /// The account key (decoded from base64).
    public var accountKey: [UInt8]
    /// Whether Microsoft Entra bearer tokens are accepted (over HTTPS) with their claims checked
    /// but not their signature, as Azurite's `--oauth basic` does (default off: anyone who
    /// can reach the port could forge such a token).
    public var acceptsUnverifiedBearerTokens = false

    /// The well-known development account key (base64), as the Azure storage emulators use.
    public static let developmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

    /// A configuration; `accountKey` is base64 as in connection strings. Nil when it is not base64.
    public init?(account: String = "devstoreaccount1", accountKey: String = FileRESTConfiguration.developmentKey) {
        guard let key = Data(base64Encoded: accountKey), !key.isEmpty else { return nil }
        self.account = account
        self.accountKey = Array(key)
    }
}

/// The Azure Files REST front: serves the data-plane API over a ``ShareStore`` so the official
/// Azure Storage SDKs work against it unmodified.
///
/// It works on ``FrontRequest``/``FrontResponse`` only; mount it in any HTTP server.
public struct FileRESTService: HTTPFront {
    public let name = "FileREST"
    let store: ShareStore
    let configuration: FileRESTConfiguration
    let logger: Logger

    /// The oldest request version accepted.
    public static let oldestVersion = "2019-02-02"
    /// The newest request version accepted (what azure-storage-file-share 12.27 sends).
    public static let newestVersion = "2026-10-06"

    /// A front serving `store` for the account in `configuration`.
    public init(store: ShareStore, configuration: FileRESTConfiguration, logger: Logger = Logger(label: "sharecore.filerest")) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    /// The default security descriptor, reported for items that have none of their own.
    static let defaultPermission = "O:SYG:SYD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1301bf;;;AU)"
    /// Its key (what ``ShareStore/createPermission(share:_:)`` returns for it).
    static let defaultPermissionKey = ShareStore.permissionKey(defaultPermission)

    public func respond(to request: FrontRequest) async -> FrontResponse {
        let requestId = RequestID.uuid()
        var operationName: String?
        let requestVersion = request.head.headerFields.value(Self.versionField)
        let version = requestVersion.flatMap { FileRESTService.accepts($0) ? $0 : nil } ?? FileRESTService.newestVersion
        var corsContext: OperationContext?
        do {
            let parsed = try FileRequest.parse(request, account: configuration.account)
            let operation = try Operation.classify(parsed)
            operationName = OperationLabel.named(operation.rawValue)
            let context = OperationContext(store: store, request: parsed, operation: operation, configuration: configuration,
                                           requestId: requestId, version: version, frontLogger: logger)
            corsContext = context
            if operation != .preflight {
                if let requestVersion, !FileRESTService.accepts(requestVersion) {
                    throw FileRESTError(.badRequest, "InvalidHeaderValue",
                                        "The value for one of the HTTP headers is not in the correct format.",
                                        details: [("HeaderName", "x-ms-version"), ("HeaderValue", requestVersion)])
                }
                try await Authorizer.authorize(context)
                if operation.isWrite && parsed.snapshot != nil && operation != .deleteShare && operation != .leaseShare {
                    throw FileRESTError(.badRequest, "InvalidQueryParameterValue",
                                        "Value for one of the query parameters specified in the request URI is invalid.",
                                        details: [("QueryParameterName", "sharesnapshot"), ("QueryParameterValue", parsed.snapshot ?? ""),
                                                  ("Reason", "The operation is not supported on a share snapshot.")])
                }
            }
            var response = try await Dispatcher.run(operation, context)
            await Cors.apply(context, to: &response)
            response.operation = operationName
            return response
        } catch {
            var response = errorResponse(error, requestId: requestId, version: version, method: request.head.method,
                                         clientRequestId: request.head.headerFields.value(Self.clientRequestIdField))
            if let corsContext { await Cors.apply(corsContext, to: &response) }
            response.operation = operationName
            return response
        }
    }

    /// `logger` with `requestId` on every line (the x-ms-request-id the client sees).
    static func tagged(_ logger: Logger, requestId: String) -> Logger {
        var logger = logger
        logger[metadataKey: "request-id"] = "\(requestId)"
        return logger
    }

    private static let versionField = HTTPField.Name("x-ms-version")!
    private static let clientRequestIdField = HTTPField.Name("x-ms-client-request-id")!

    /// Whether `version` (YYYY-MM-DD) is within the accepted range.
    static func accepts(_ version: String) -> Bool {
        // `dddd-dd-dd` checked byte by byte (a split into an array was 1% of a small GET, issue #14).
        var utf8 = version.utf8.makeIterator()
        for position in 0..<10 {
            guard let byte = utf8.next() else { return false }
            let isDash = position == 4 || position == 7
            guard isDash ? byte == UInt8(ascii: "-") : (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return false }
        }
        guard utf8.next() == nil else { return false }
        return version >= oldestVersion && version <= newestVersion
    }

    /// The first request version whose missing-snapshot error is `ShareSnapshotNotFound`
    /// (earlier versions answer `ShareNotFound`).
    static let shareSnapshotNotFoundVersion = "2025-07-05"

    func errorResponse(_ error: any Error, requestId: String, version: String, method: HTTPRequest.Method,
                       clientRequestId: String? = nil) -> FrontResponse {
        let logger = FileRESTService.tagged(self.logger, requestId: requestId)
        var rest: FileRESTError
        switch error {
        case let e as FileRESTError: rest = e
        case let e as ShareCoreError:
            if e.code == .dataCorrupted || e.code == .storageFull {
                logger.error("\(e.code)", metadata: ["error": "\(e.message)"])
            }
            rest = FileRESTError(e)
            if e.code == .snapshotNotFound && version >= FileRESTService.shareSnapshotNotFoundVersion {
                rest = FileRESTError(.notFound, "ShareSnapshotNotFound", "The specified share snapshot does not exist.")
            }
        case let incomplete as IncompleteBody:
            logger.info("incomplete request body", metadata: ["error": "\(incomplete)"])
            rest = FileRESTError(.badRequest, "InvalidInput",
                                 "One of the request inputs is not valid. The request body ended before the length its Content-Length header gives.")
        default:
            logger.error("unexpected error", metadata: ["error": "\(error)"])
            rest = .internalError("\(error)")
        }
        var fields = HTTPFields()
        fields.set("x-ms-request-id", requestId)
        fields.set("x-ms-version", version)
        fields.set("Date", HTTPDate.now())
        fields.set("x-ms-error-code", rest.code)
        for (name, value) in rest.headers { fields.set(name, value) }
        if let clientRequestId, OperationContext.isEchoable(clientRequestId) {
            fields.set("x-ms-client-request-id", clientRequestId)
        }
        if method == .head {
            fields[.contentLength] = "0"
            return FrontResponse(status: rest.status, headers: fields)
        }
        var xml = XMLWriter(byteOrderMark: true)
        xml.open("Error")
        xml.element("Code", rest.code)
        xml.element("Message", "\(rest.message)\nRequestId:\(requestId)\nTime:\(FileTime.now().iso8601)")
        for (name, value) in rest.details { xml.element(name, value) }
        xml.close("Error")
        let bytes = xml.bytes
        fields[.contentType] = "application/xml"
        fields[.contentLength] = String(bytes.count)
        return FrontResponse(status: rest.status, headers: fields, body: .bytes(bytes))
    }
}
