import Foundation
import FrontKit
import HTTPTypes
import Logging
import ShareCore

/// Settings of the Backup front.
public struct BackupConfiguration: Sendable {
    /// The storage account the FileREST front serves (the only account containers may name).
    public var account: String
    /// The bearer token clients must present.
    public var adminToken: AdminToken
    /// The FileREST front's port, for `fileShareSnapshotUri` (0: FileREST is off).
    public var fileRESTPort: Int
    /// The FileREST front's scheme (`http` or `https`).
    public var fileRESTScheme: String

    /// A configuration.
    public init(account: String, adminToken: AdminToken, fileRESTPort: Int = 10004, fileRESTScheme: String = "http") {
        self.account = account
        self.adminToken = adminToken
        self.fileRESTPort = fileRESTPort
        self.fileRESTScheme = fileRESTScheme
    }
}

/// The Backup front: the Azure Backup management API for file shares (recovery points,
/// restores, jobs, protection and policies) over the shares of a store. Recovery points are
/// the shares' snapshots; restores copy no data. Works on ``FrontRequest`` and
/// ``FrontResponse`` only, so it mounts in any HTTP server.
public struct BackupService: HTTPFront {
    public let name = "Backup"
    let store: ShareStore
    let configuration: BackupConfiguration
    let logger: Logger
    let runner: JobRunner

    /// A front serving `store` with `configuration`; `clock` is the time source of jobs and
    /// schedules (tests inject one).
    public init(store: ShareStore, configuration: BackupConfiguration, logger: Logger = Logger(label: "sharecore.backup"),
                clock: @escaping @Sendable () -> FileTime = { FileTime.now() }) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        var runner = JobRunner(store: store, account: configuration.account, logger: logger)
        runner.now = clock
        self.runner = runner
    }

    /// Largest request body read (policies and restore requests are small JSON).
    static let maxBody = 1 << 20

    public func respond(to request: FrontRequest) async -> FrontResponse {
        let requestId = RequestID.uuid()
        let fields = request.head.headerFields
        let clientRequestId = fields[.msClientRequestId]
        let correlation = fields[.msCorrelationRequestId] ?? requestId
        // Every line logged for this request carries its id (the x-ms-request-id the client sees).
        var logger = logger
        logger[metadataKey: "request-id"] = "\(requestId)"
        var response: FrontResponse
        var operationName: String?
        do {
            // Named before the token is checked, so refusals are counted under their operation.
            if let target = RequestTarget(request.head.path ?? "/"),
               let route = try? BackupRoute.parse(target, method: request.head.method) {
                operationName = OperationLabel.route(request.head.method, route.resource)
            }
            try authorize(fields)
            // In a query `+` is a space (send `+` as `%2B`): replaced before percent-decoding.
            var pathAndQuery = request.head.path ?? "/"
            if let mark = pathAndQuery.firstIndex(of: "?") {
                pathAndQuery = String(pathAndQuery[...mark]) + pathAndQuery[pathAndQuery.index(after: mark)...]
                    .replacingOccurrences(of: "+", with: "%20")
            }
            guard let target = RequestTarget(pathAndQuery) else {
                throw BackupError(.badRequest, "InvalidUri", "The request URI is not valid (malformed percent-encoding).")
            }
            let route = try BackupRoute.parse(target, method: request.head.method)
            var body: [UInt8] = []
            if request.head.method == .put || request.head.method == .post {
                do {
                    body = try await request.body.collect(upTo: Self.maxBody)
                } catch is BodyTooLarge {
                    throw BackupError(.contentTooLarge, "RequestEntityTooLarge", "The request body is larger than \(Self.maxBody) bytes.")
                }
            }
            let context = BackupContext(store: store, configuration: configuration, route: route, method: request.head.method,
                                        body: body, scheme: request.head.scheme ?? "http",
                                        authority: request.head.authority ?? "127.0.0.1",
                                        activityId: clientRequestId ?? UUID().uuidString.lowercased(), runner: runner)
            response = try await BackupDispatcher.run(context)
        } catch let error as BackupError {
            response = error.response()
        } catch let error as ShareCoreError {
            response = error.backupError.response()
        } catch {
            logger.error("backup request failed: \(error)")
            response = BackupError(.internalServerError, "InternalError", "\(error)").response()
        }
        response.operation = operationName
        var headers = response.head.headerFields
        headers[.msRequestId] = requestId
        headers[.msCorrelationRequestId] = correlation
        if let clientRequestId { headers[.msClientRequestId] = clientRequestId }
        headers[.cacheControl] = "no-cache"
        if response.body.length == 0 { headers[.contentLength] = "0" }
        response.head.headerFields = headers
        return response
    }

    /// The bearer token check of contract §2, made before anything else.
    func authorize(_ fields: HTTPFields) throws(BackupError) {
        let header = fields[.authorization] ?? fields[.accessToken]
        guard let header else {
            throw BackupError(.unauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        }
        guard let token = AdminToken.bearer(header) else {
            throw BackupError(.unauthorized, "AuthenticationFailed",
                              "Authentication failed. The 'Authorization' header is provided in an invalid format.")
        }
        guard configuration.adminToken.matches(token) else {
            throw BackupError(.unauthorized, "InvalidAuthenticationToken", "The access token is invalid.")
        }
    }

    /// Verifiers of the front's records, for `ShareStore.check(verifiers:)` (`sharecore check`).
    public static var recordVerifiers: [RecordTable: RecordVerifier] { BackupTables.verifiers }
}

/// What one operation needs: the store, the settings, the parsed request.
struct BackupContext: Sendable {
    let store: ShareStore
    let configuration: BackupConfiguration
    let route: BackupRoute
    let method: HTTPRequest.Method
    let body: [UInt8]
    let scheme: String
    let authority: String
    let activityId: String
    let runner: JobRunner

    var vault: VaultNames { route.vault }
    var account: String { configuration.account }

    /// `{scheme}://{authority}{path}?api-version={same}`.
    func url(_ path: String) -> String { "\(scheme)://\(authority)\(path)?api-version=\(route.apiVersion)" }

    /// The storage account's ARM id, in the vault's subscription and resource group.
    var accountId: String {
        "/subscriptions/\(vault.subscription)/resourceGroups/\(vault.resourceGroup)/providers/Microsoft.Storage/storageAccounts/\(account)"
    }

    /// `StorageContainer;storage;{rg};{account}`.
    var containerName: String { "StorageContainer;storage;\(vault.resourceGroup);\(account)" }

    /// The path of the protection container.
    var containerPath: String { "\(vault.path)/backupFabrics/Azure/protectionContainers/\(containerName)" }

    /// The path of share `share`'s protected item.
    func itemPath(_ share: String) -> String { "\(containerPath)/protectedItems/AzureFileShare;\(share)" }

    /// 200 with a JSON body.
    func json(_ value: Any, status: HTTPResponse.Status = .ok) -> FrontResponse {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return FrontResponse(status: status, headers: headers, body: .bytes(JSON.encode(value)))
    }

    /// 202 with `Location` (and `Azure-AsyncOperation` when given) and `Retry-After: 1`.
    func accepted(location: String, asyncOperation: String? = nil) -> FrontResponse {
        var headers = HTTPFields()
        headers[.location] = url(location)
        if let asyncOperation { headers[.azureAsyncOperation] = url(asyncOperation) }
        headers[.retryAfter] = "1"
        return FrontResponse(status: .accepted, headers: headers)
    }

    /// An empty response with `status`.
    func empty(_ status: HTTPResponse.Status) -> FrontResponse { FrontResponse(status: status) }

    /// The request body as a JSON object.
    func bodyObject() throws(BackupError) -> [String: Any] { try JSON.object(body) }
}

/// Header names of the ARM protocol (valid literals, so the initializer cannot fail).
extension HTTPField.Name {
    static let msRequestId = Self("x-ms-request-id")!
    static let msClientRequestId = Self("x-ms-client-request-id")!
    static let msCorrelationRequestId = Self("x-ms-correlation-request-id")!
    static let accessToken = Self("Access-Token")!
    static let azureAsyncOperation = Self("Azure-AsyncOperation")!
}
