import Foundation
import FrontKit
import HTTPTypes
import Logging
import ShareCore

/// Settings of the IIS Files front.
public struct IISFilesConfiguration: Sendable {
    /// The storage account name, the host part of UNC physical paths (`\\account\share\...`).
    public var account: String
    /// The access token clients present (`Access-Token: Bearer <t>` or `Authorization: Bearer <t>`).
    public var adminToken: AdminToken
    /// The time-to-live of a download link when the request gives none (IIS: 5 seconds).
    public var defaultDownloadTTL: Duration

    /// A configuration.
    public init(account: String, adminToken: AdminToken, defaultDownloadTTL: Duration = .milliseconds(5000)) {
        self.account = account
        self.adminToken = adminToken
        self.defaultDownloadTTL = defaultDownloadTTL
    }
}

/// The IIS Administration API's files family (`/api/files`, `/api/files/content`, copy, move,
/// downloads, locations, `/api/webserver/files` and a minimal `/api/webserver/websites`) over the
/// store's shares. Every request resolves to a share path that must lie inside a location.
/// Works on ``FrontRequest`` and ``FrontResponse`` only, so it mounts in any HTTP server.
public struct IISFilesService: HTTPFront {
    public let name = "IISFiles"
    let store: ShareStore
    let configuration: IISFilesConfiguration
    let ids: IdScheme
    let operations: OperationBook
    let logger: Logger

    /// A front serving `store`; creates the store's id secret the first time.
    public init(store: ShareStore, configuration: IISFilesConfiguration,
                logger: Logger = Logger(label: "sharecore.iis")) async throws {
        self.store = store
        self.configuration = configuration
        self.ids = try await IdSecret.scheme(store)
        self.operations = OperationBook()
        self.logger = logger
    }

    public func respond(to request: FrontRequest) async -> FrontResponse {
        let method = request.head.method
        // IIS sends no request id of its own: this one is for correlating logs and answers
        // (`X-Request-Id`); every line logged for the request carries it.
        let requestId = RequestID.uuid()
        var logger = logger
        logger[metadataKey: "request-id"] = "\(requestId)"
        var response: FrontResponse
        var operationName: String?
        do {
            guard let target = RequestTarget(request.head.path ?? "/"), let route = IISRoute.match(target) else {
                throw IISError.bareNotFound
            }
            operationName = OperationLabel.route(method, route)
            if route.needsToken { try authenticate(request.head) }
            let context = try IISContext(service: self, request: request, target: target)
            response = try await IISDispatcher.run(route, context)
        } catch {
            response = errorResponse(error, logger: logger)
        }
        response.operation = operationName
        response.head.headerFields.set("X-Request-Id", requestId)
        response.head.headerFields.set("Cache-Control", "public, max-age=0")
        if method == .head, case .bytes = response.body {
            let length = response.body.length ?? 0
            response.body = .empty
            response.head.headerFields[.contentLength] = String(length)
        } else if method == .head, case .stream(let length, _) = response.body {
            response.body = .empty
            if let length { response.head.headerFields[.contentLength] = String(length) }
        }
        return response
    }

    /// Checks the access token (IIS answers 403 with `WWW-Authenticate: Bearer`, never 401).
    func authenticate(_ head: HTTPRequest) throws {
        let presented = HTTPField.Name("Access-Token").flatMap { head.headerFields[$0] }.flatMap { AdminToken.bearer($0) }
            ?? head.headerFields[.authorization].flatMap { AdminToken.bearer($0) }
        guard let presented, configuration.adminToken.matches(presented.trimmingCharacters(in: .whitespaces)) else {
            throw IISError.unauthorized
        }
    }

    /// The problem+json response for `error`.
    func errorResponse(_ error: any Error, logger: Logger? = nil) -> FrontResponse {
        let logger = logger ?? self.logger
        let problem: IISError
        switch error {
        case let e as IISError: problem = e
        case let e as ShareCoreError: problem = IISError.from(e, logger: logger)
        case is BodyTooLarge: problem = .invalidParameter("body", "The request body is too large")
        default:
            logger.error("unexpected error", metadata: ["error": "\(error)"])
            problem = .internalError("An unexpected error occurred")
        }
        var fields = HTTPFields()
        let bytes = JSON.object(problem.body).bytes
        fields[.contentType] = "application/problem+json; charset=utf-8"
        fields.set("Content-Language", "en")
        fields[.contentLength] = String(bytes.count)
        for (name, value) in problem.headers { fields.set(name, value) }
        return FrontResponse(status: problem.status, headers: fields, body: .bytes(bytes))
    }
}

extension IISError {
    /// The API error for an engine error that no operation translated itself.
    static func from(_ error: ShareCoreError, logger: Logger) -> IISError {
        switch error.code {
        case .resourceNotFound, .parentNotFound, .shareNotFound, .notADirectory, .notAFile:
            return .bareNotFound
        case .resourceAlreadyExists, .shareAlreadyExists:
            return .conflict("name")
        case .invalidName, .invalidShareName:
            return .invalidParameter("name")
        case .leaseIdMissing, .leaseIdMismatch, .readOnly:
            return IISError(.forbidden, [("title", .string("Object is locked")), ("name", .string(error.message)), ("status", .int(403))])
        case .encryptionKeyRequired, .encryptionKeyMismatch:
            // Content under an S3 SSE-C key: only S3 with that key can read or write it.
            return IISError(.forbidden, [("title", .string("Forbidden")),
                                         ("detail", .string("The file is encrypted with a customer-provided key (S3 SSE-C). \(error.message)")),
                                         ("status", .int(403))])
        case .shareQuotaExceeded, .storageFull, .fileTooLarge:
            return IISError(HTTPResponse.Status(code: 507), [("title", .string("Insufficient Storage")),
                                                             ("detail", .string(error.message)), ("status", .int(507))])
        default:
            logger.error("store error", metadata: ["error": "\(error)"])
            return .internalError(error.message)
        }
    }
}
