import Foundation
import FrontKit
import HTTPTypes
import Logging
import ShareCore
import Synchronization

/// Settings of the S3 front.
public struct S3Configuration: Sendable {
    /// The access key id clients sign with (default: the storage account name).
    public var accessKey: String
    /// The secret access key (default: the account key, as text).
    public var secretKey: String
    /// The region reported by GetBucketLocation and expected nowhere else (any region signs).
    public var region: String
    /// Host names under which `<bucket>.<suffix>` addresses a bucket (virtual-host style).
    public var virtualHostSuffixes: [String]
    /// Multipart uploads initiated longer ago than this are reclaimed (default 7 days).
    public var uploadExpiry: Duration
    /// Whether SSE-C keys are accepted over plain HTTP. S3 (and Ceph's RGW by default) refuse
    /// them there: a key sent in the clear must be thought compromised. Test rigs on loopback
    /// turn this on (as RGW's `rgw_crypt_require_ssl = false`). Default false.
    public var customerKeysOverHTTP = false
    /// The KMS key ids SSE-KMS may name (`x-amz-server-side-encryption-aws-kms-key-id`, a
    /// bucket's `KMSMasterKeyID`). Each is a key the store derives from its own key and the id;
    /// none by default, so SSE-KMS is refused until some are configured.
    public var kmsKeyIds: Set<String> = []

    /// A configuration.
    public init(accessKey: String, secretKey: String, region: String = "us-east-1",
                virtualHostSuffixes: [String] = ["localhost"], uploadExpiry: Duration = .seconds(7 * 24 * 3600)) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.region = region
        self.virtualHostSuffixes = virtualHostSuffixes
        self.uploadExpiry = uploadExpiry
    }
}

/// The S3 front: every share is a bucket of the same name (and a bucket can be mapped to a
/// directory of a share); object keys are file paths. Works on ``FrontRequest`` and
/// ``FrontResponse`` only, so it mounts in any HTTP server.
public struct S3Service: HTTPFront {
    public let name = "S3"
    let store: ShareStore
    let configuration: S3Configuration
    let logger: Logger
    let sweeper: UploadSweeper

    /// A front serving `store` with `configuration`.
    public init(store: ShareStore, configuration: S3Configuration, logger: Logger = Logger(label: "sharecore.s3")) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.sweeper = UploadSweeper(expiry: configuration.uploadExpiry)
    }

    public func respond(to request: FrontRequest) async -> FrontResponse {
        let requestId = S3Service.newRequestId()
        // Every line logged for this request carries its id (the x-amz-request-id the client sees).
        var logger = logger
        logger[metadataKey: "request-id"] = "\(requestId)"
        var operationName: String?
        var resource = request.head.path ?? "/"
        var parsedRequest: S3Request?
        do {
            let parsed = try S3Request.parse(request, virtualHostSuffixes: configuration.virtualHostSuffixes)
            parsedRequest = parsed
            resource = parsed.resource
            if request.head.method == .options {
                // A CORS preflight: answered from the bucket's rules, without a signature.
                operationName = "OptionsObject"
                var response = try await CorsOperations.preflight(parsed, store: store)
                S3Service.addCommonHeaders(&response.head.headerFields, requestId: requestId)
                response.operation = operationName
                return response
            }
            // Named before the signature is checked, so refusals are counted under their operation.
            let classified = Result { try S3Operation.classify(parsed) }
            operationName = (try? classified.get()).map { OperationLabel.named($0.rawValue) }
            if (try? classified.get()) == .postObject {
                // A browser form upload: signed by its form fields, not by a header signature.
                var response = try await PostObjectOperation.run(parsed, store: store, configuration: configuration,
                                                                 requestId: requestId, logger: logger)
                S3Service.addCommonHeaders(&response.head.headerFields, requestId: requestId)
                CorsOperations.addHeaders(to: &response, for: parsed, store: store)
                response.operation = operationName
                return response
            }
            let authentication = try S3Authentication.authenticate(request.head, store: store, configuration: configuration)
            let operation = try classified.get()
            try UnsupportedOptions.check(parsed, operation)
            let context = S3Context(store: store, request: parsed, operation: operation, auth: authentication.auth,
                                    requester: authentication.requester, identities: authentication.identities,
                                    configuration: configuration, requestId: requestId, logger: logger)
            try await AccessDecision.authorize(context)
            await sweeper.sweepIfDue(store, logger: logger)
            var response = try await S3Dispatcher.run(operation, context)
            S3Service.addCommonHeaders(&response.head.headerFields, requestId: requestId)
            CorsOperations.addHeaders(to: &response, for: parsed, store: store)
            response.operation = operationName
            return response
        } catch {
            var response = errorResponse(error, requestId: requestId, resource: resource, method: request.head.method, logger: logger)
            if request.head.method != .options { CorsOperations.addHeaders(to: &response, for: parsedRequest, store: store) }
            response.operation = operationName
            return response
        }
    }

    /// A request id as S3 writes them (16 upper-case hex characters; ``RequestID/hex16()``).
    static func newRequestId() -> String { RequestID.hex16() }

    private static let amzRequestId = HTTPField.Name("x-amz-request-id")!
    private static let amzId2 = HTTPField.Name("x-amz-id-2")!

    /// Headers every response carries.
    static func addCommonHeaders(_ fields: inout HTTPFields, requestId: String) {
        fields.set(amzRequestId, requestId)
        fields.set(amzId2, requestId)
        fields.set(.date, HTTPDate.now())
        fields.set(.server, "ShareCore")
    }

    /// The S3 error response for `error`: XML, except for HEAD, which has no body.
    func errorResponse(_ error: any Error, requestId: String, resource: String, method: HTTPRequest.Method,
                       logger: Logger? = nil) -> FrontResponse {
        let logger = logger ?? self.logger
        let s3: S3Error
        switch error {
        case let e as S3Error: s3 = e
        case let e as ShareCoreError:
            if e.code == .dataCorrupted || e.code == .storageFull {
                logger.error("\(e.code)", metadata: ["error": "\(e.message)", "resource": "\(resource)"])
            }
            s3 = S3Error(e)
        case is BodyTooLarge: s3 = S3Error(.badRequest, "MaxMessageLengthExceeded", "Your request was too big.")
        case let incomplete as IncompleteBody:
            logger.info("incomplete request body", metadata: ["error": "\(incomplete)"])
            s3 = S3Error(.badRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
        default:
            logger.error("unexpected error", metadata: ["error": "\(error)"])
            s3 = .internalError()
        }
        var fields = HTTPFields()
        S3Service.addCommonHeaders(&fields, requestId: requestId)
        if method == .head {
            fields[.contentLength] = "0"
            return FrontResponse(status: s3.status, headers: fields)
        }
        var xml = XMLWriter()
        xml.open("Error")
        xml.element("Code", s3.code)
        xml.element("Message", s3.message)
        for (name, value) in s3.details { xml.element(name, value) }
        xml.element("Resource", resource)
        xml.element("RequestId", requestId)
        xml.element("HostId", requestId)
        xml.close("Error")
        return S3XML.response(xml, status: s3.status, headers: fields)
    }
}

/// Reclaims abandoned multipart uploads at most once an hour, on the request path. Whether
/// one is due is decided under a lock, without a hop to an actor on every request.
final class UploadSweeper: Sendable {
    let expiry: Duration
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    init(expiry: Duration) { self.expiry = expiry }

    func sweepIfDue(_ store: ShareStore, logger: Logger) async {
        let now = ContinuousClock.now
        let due = last.withLock { last in
            if let previous = last, now - previous < .seconds(3600) { return false }
            last = now
            return true
        }
        guard due else { return }
        let seconds = Double(expiry.components.seconds)
        let cutoff = FileTime(Date().addingTimeInterval(-seconds))
        do {
            let reclaimed = try await store.reclaimMultipartUploads(initiatedBefore: cutoff)
            if reclaimed > 0 { logger.info("reclaimed \(reclaimed) abandoned multipart uploads") }
        } catch {
            logger.warning("reclaiming abandoned multipart uploads failed: \(error)")
        }
    }
}
