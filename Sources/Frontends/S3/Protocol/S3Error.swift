import HTTPTypes
import ShareCore

/// An error as Amazon S3 reports it: a status and a code, rendered as
/// `<Error><Code/><Message/><Resource/><RequestId/></Error>` (no body for HEAD).
public struct S3Error: Error, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// S3's error code, e.g. `NoSuchKey`.
    public var code: String
    /// A message for people.
    public var message: String
    /// Extra elements of the error body, after `Message` (e.g. `Key`, `BucketName`).
    public var details: [(String, String)] = []

    /// An error.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    // MARK: Request and authentication

    static func accessDenied(_ message: String = "Access Denied") -> S3Error { S3Error(.forbidden, "AccessDenied", message) }
    static func invalidAccessKeyId(_ key: String) -> S3Error {
        S3Error(.forbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.",
                details: [("AWSAccessKeyId", key)])
    }
    static func signatureDoesNotMatch(stringToSign: String = "", canonicalRequest: String = "") -> S3Error {
        S3Error(.forbidden, "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                details: [("StringToSign", stringToSign), ("CanonicalRequest", canonicalRequest)])
    }
    static func requestTimeTooSkewed(requestTime: String, serverTime: String) -> S3Error {
        S3Error(.forbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.",
                details: [("RequestTime", requestTime), ("ServerTime", serverTime), ("MaxAllowedSkewMilliseconds", "900000")])
    }
    static func authorizationHeaderMalformed(_ message: String) -> S3Error {
        S3Error(.badRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed; \(message)")
    }
    static func authorizationQueryParametersError(_ message: String) -> S3Error {
        S3Error(.badRequest, "AuthorizationQueryParametersError", message)
    }
    static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> S3Error {
        var details: [(String, String)] = []
        if let name { details.append(("ArgumentName", name)) }
        if let value { details.append(("ArgumentValue", value)) }
        return S3Error(.badRequest, "InvalidArgument", message, details: details)
    }
    static func invalidRequest(_ message: String) -> S3Error { S3Error(.badRequest, "InvalidRequest", message) }
    static func malformedXML() -> S3Error {
        S3Error(.badRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.")
    }
    static func notImplemented(_ what: String = "A header you provided implies functionality that is not implemented.") -> S3Error {
        S3Error(.notImplemented, "NotImplemented", what)
    }
    static func methodNotAllowed() -> S3Error {
        S3Error(.methodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
    }
    static func internalError(_ message: String = "We encountered an internal error. Please try again.") -> S3Error {
        S3Error(.internalServerError, "InternalError", message)
    }

    // MARK: Payload

    static func badDigest(_ message: String = "The Content-MD5 you specified did not match what we received.") -> S3Error {
        S3Error(.badRequest, "BadDigest", message)
    }
    static func invalidDigest() -> S3Error { S3Error(.badRequest, "InvalidDigest", "The Content-MD5 you specified is not valid.") }
    static func contentSHA256Mismatch(client: String, server: String) -> S3Error {
        S3Error(.badRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.",
                details: [("ClientComputedContentSHA256", client), ("S3ComputedContentSHA256", server)])
    }
    static func incompleteBody() -> S3Error {
        S3Error(.badRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
    }
    static func missingContentLength() -> S3Error {
        S3Error(HTTPResponse.Status(code: 411), "MissingContentLength", "You must provide the Content-Length HTTP header.")
    }
    static func entityTooLarge(max: UInt64) -> S3Error {
        S3Error(.badRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.",
                details: [("MaxSizeAllowed", String(max))])
    }

    // MARK: Buckets and keys

    static func noSuchBucket(_ bucket: String) -> S3Error {
        S3Error(.notFound, "NoSuchBucket", "The specified bucket does not exist", details: [("BucketName", bucket)])
    }
    static func noSuchKey(_ key: String) -> S3Error {
        S3Error(.notFound, "NoSuchKey", "The specified key does not exist.", details: [("Key", key)])
    }
    static func noSuchUpload(_ id: String) -> S3Error {
        S3Error(.notFound, "NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
                details: [("UploadId", id)])
    }
    static func invalidBucketName(_ bucket: String) -> S3Error {
        S3Error(.badRequest, "InvalidBucketName", "The specified bucket is not valid.", details: [("BucketName", bucket)])
    }
    static func keyTooLong(_ length: Int) -> S3Error {
        S3Error(.badRequest, "KeyTooLongError", "Your key is too long",
                details: [("Size", String(length)), ("MaxSizeAllowed", "1024")])
    }
    static func invalidRange(length: UInt64, requested: String) -> S3Error {
        S3Error(.rangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable",
                details: [("RangeRequested", requested), ("ActualObjectSize", String(length))])
    }
    static func preconditionFailed(_ condition: String) -> S3Error {
        S3Error(.preconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                details: [("Condition", condition)])
    }

    /// The S3 error for an engine error; `key` names the object involved, when there is one.
    init(_ error: ShareCoreError, bucket: String? = nil, key: String? = nil) {
        let m = error.message
        switch error.code {
        case .shareNotFound: self = .noSuchBucket(bucket ?? "")
        case .resourceNotFound, .parentNotFound, .notAFile, .notADirectory, .snapshotNotFound:
            self = .noSuchKey(key ?? "")
        case .invalidName: self = .invalidArgument("Object key is not a valid file name: \(m)", name: "key", value: key)
        case .invalidShareName: self = .invalidBucketName(bucket ?? "")
        case .invalidMetadata: self = .invalidArgument("Your metadata is invalid: \(m)")
        case .invalidArgument: self = .invalidArgument(m)
        case .invalidRange: self = S3Error(.rangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable")
        case .fileTooLarge: self = .entityTooLarge(max: ShareStore.maxFileSize)
        case .shareAlreadyExists: self = S3Error(.conflict, "BucketAlreadyOwnedByYou",
                                                 "Your previous request to create the named bucket succeeded and you already own it.",
                                                 details: [("BucketName", bucket ?? "")])
        case .shareHasSnapshots: self = S3Error(.conflict, "BucketNotEmpty", "The bucket has share snapshots; delete them first.",
                                                details: [("BucketName", bucket ?? "")])
        case .directoryNotEmpty: self = S3Error(.conflict, "BucketNotEmpty", "The bucket you tried to delete is not empty",
                                                details: [("BucketName", bucket ?? "")])
        case .shareQuotaExceeded: self = S3Error(.forbidden, "QuotaExceeded", "The share's quota is exceeded. \(m)")
        case .resourceAlreadyExists: self = S3Error(.conflict, "ExistingObjectIsDirectory",
                                                    "The key names an existing directory.", details: [("Key", key ?? "")])
        case .conditionNotMet: self = .preconditionFailed("If-Match")
        case .readOnly: self = .accessDenied("The file is read-only.")
        case .leaseIdMissing, .leaseIdMismatch, .leaseNotPresent, .leaseAlreadyPresent, .leaseIsBreaking, .leaseIsBroken:
            self = S3Error(.conflict, "OperationAborted", "The file or share has an active lease held by another client. \(m)")
        case .snapshotReadOnly: self = .accessDenied("Share snapshots are read-only.")
        case .storageFull: self = S3Error(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "InsufficientStorage", "Insufficient storage space to complete the request: the server's disk is full. \(m)")
        case .dataCorrupted: self = .internalError("Stored data failed its checksum.")
        case .encryptionKeyRequired, .encryptionKeyMismatch: self = ObjectEncryption.translate(error) ?? .internalError(m)
        default: self = .internalError("\(m)")
        }
    }
}
