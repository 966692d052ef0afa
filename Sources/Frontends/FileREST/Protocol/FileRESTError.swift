import HTTPTypes
import ShareCore

/// An error as Azure Files reports it: a status, an error code (also sent as
/// `x-ms-error-code`) and a message, rendered as `<Error><Code/><Message/></Error>`.
public struct FileRESTError: Error, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// Azure's error code, e.g. `ShareNotFound`.
    public var code: String
    /// A message for people.
    public var message: String
    /// Extra elements of the error body (e.g. `AuthenticationErrorDetail`).
    public var details: [(String, String)] = []
    /// Extra response headers (e.g. `x-ms-copy-source-status-code`).
    public var headers: [(String, String)] = []

    /// An error.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    static func badRequest(_ code: String, _ message: String) -> FileRESTError { FileRESTError(.badRequest, code, message) }
    static func invalidHeader(_ name: String, _ value: String?) -> FileRESTError {
        FileRESTError(.badRequest, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct format.",
                      details: [("HeaderName", name), ("HeaderValue", value ?? "")])
    }
    /// A header this server does not implement (Azure's `UnsupportedHeader`).
    static func unsupportedHeader(_ name: String, _ value: String?) -> FileRESTError {
        FileRESTError(.badRequest, "UnsupportedHeader", "One of the HTTP headers specified in the request is not supported.",
                      details: [("HeaderName", name), ("HeaderValue", value ?? "")])
    }
    static func missingHeader(_ name: String) -> FileRESTError {
        FileRESTError(.badRequest, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified.",
                      details: [("HeaderName", name)])
    }
    static func invalidQuery(_ name: String, _ value: String?) -> FileRESTError {
        FileRESTError(.badRequest, "InvalidQueryParameterValue", "Value for one of the query parameters specified in the request URI is invalid.",
                      details: [("QueryParameterName", name), ("QueryParameterValue", value ?? "")])
    }
    static func outOfRangeQuery(_ name: String, _ value: String?) -> FileRESTError {
        FileRESTError(.badRequest, "OutOfRangeQueryParameterValue", "One of the query parameters specified in the request URI is outside the permissible range.",
                      details: [("QueryParameterName", name), ("QueryParameterValue", value ?? "")])
    }
    static func invalidXML(_ message: String) -> FileRESTError {
        FileRESTError(.badRequest, "InvalidXmlDocument", "XML specified is not syntactically valid. \(message)")
    }
    static func unsupportedVerb() -> FileRESTError {
        FileRESTError(.methodNotAllowed, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb.")
    }
    static func authenticationFailed(_ detail: String) -> FileRESTError {
        FileRESTError(.forbidden, "AuthenticationFailed",
                      "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
                      details: [("AuthenticationErrorDetail", detail)])
    }
    static func internalError(_ message: String) -> FileRESTError {
        FileRESTError(.internalServerError, "InternalError", "The server encountered an internal error. \(message)")
    }

    /// The Azure error for an engine error.
    init(_ error: ShareCoreError) {
        let m = error.message
        switch error.code {
        case .invalidShareName, .invalidName: self.init(.badRequest, "InvalidResourceName", "The specified resource name contains invalid characters. \(m)")
        case .invalidMetadata: self.init(.badRequest, "InvalidMetadata", "The metadata specified is invalid. It has characters that are not permitted. \(m)")
        case .invalidArgument: self.init(.badRequest, "InvalidInput", "One of the request inputs is not valid. \(m)")
        case .invalidRange: self.init(.rangeNotSatisfiable, "InvalidRange", "The range specified is invalid for the current size of the resource. \(m)")
        case .fileTooLarge: self.init(.badRequest, "OutOfRangeInput", "One of the request inputs is out of range. \(m)")
        case .shareNotFound: self.init(.notFound, "ShareNotFound", "The specified share does not exist.")
        case .shareAlreadyExists: self.init(.conflict, "ShareAlreadyExists", "The specified share already exists.")
        case .shareHasSnapshots: self.init(.conflict, "ShareHasSnapshots", "The share has snapshots and the operation requires no snapshots.")
        case .snapshotNotFound: self.init(.notFound, "ShareNotFound", "The specified share does not exist. \(m)")
        case .snapshotCountExceeded: self.init(.conflict, "ShareSnapshotCountExceeded", "The total number of snapshots for the share is over the limit.")
        case .snapshotReadOnly: self.init(.badRequest, "ShareSnapshotOperationNotSupported", "The operation is not supported on a share snapshot.")
        case .shareQuotaExceeded: self.init(.conflict, "ShareSizeLimitReached", "The specified share is full. \(m)")
        case .parentNotFound: self.init(.notFound, "ParentNotFound", "The specified parent path does not exist.")
        case .resourceNotFound: self.init(.notFound, "ResourceNotFound", "The specified resource does not exist.")
        case .resourceAlreadyExists: self.init(.conflict, "ResourceAlreadyExists", "The specified resource already exists.")
        case .directoryNotEmpty: self.init(.conflict, "DirectoryNotEmpty", "The specified directory is not empty.")
        case .notADirectory, .notAFile: self.init(.conflict, "ResourceTypeMismatch", "The specified resource type does not match the type of the resource in the request. \(m)")
        case .invalidMove: self.init(.badRequest, "InvalidInput", "One of the request inputs is not valid. \(m)")
        case .conditionNotMet: self.init(.preconditionFailed, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met.")
        case .readOnly: self.init(.conflict, "ReadOnlyAttribute", "The specified resource is read-only and cannot be modified at this time.")
        case .leaseIdMissing: self.init(.preconditionFailed, "LeaseIdMissing", "There is currently a lease on the resource and no lease ID was specified in the request.")
        case .leaseIdMismatch: self.init(.preconditionFailed, "LeaseIdMismatchWithFileOperation", "The lease ID specified did not match the lease ID for the resource.")
        case .leaseNotPresent: self.init(.preconditionFailed, "LeaseNotPresentWithFileOperation", "There is currently no lease on the resource.")
        case .leaseAlreadyPresent: self.init(.conflict, "LeaseAlreadyPresent", "There is already a lease present.")
        case .leaseIsBreaking: self.init(.conflict, "LeaseIsBreakingAndCannotBeAcquired", "There is already a breaking lease and it cannot be acquired.")
        case .leaseIsBroken: self.init(.conflict, "LeaseIsBrokenAndCannotBeRenewed", "The lease has been broken and cannot be renewed.")
        case .dataCorrupted: self.init(.internalServerError, "InternalError", "The server encountered an internal error: stored data failed its checksum.")
        case .encryptionKeyRequired, .encryptionKeyMismatch:
            // Azure Files has no customer-provided keys; Blob storage answers such a read with
            // 409 BlobUsesCustomerSpecifiedEncryption, and this is its file counterpart.
            self.init(.conflict, "FileUsesCustomerSpecifiedEncryption",
                      "The file is encrypted with a customer-provided key (S3 SSE-C); it can be read and written only through S3 with that key. \(m)")
        case .storageFull: self.init(.conflict, "ShareSizeLimitReached", "The specified share is full: the server's disk is full. \(m)")
        default: self.init(.internalServerError, "InternalError", "The server encountered an internal error. \(m)")
        }
    }
}
