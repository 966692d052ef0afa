import FrontKit
import HTTPTypes
import ShareCore

/// An error of the Backup front, answered as the ARM error body
/// `{"error": {"code": …, "message": …}}` with its HTTP status.
public struct BackupError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The ARM error code (e.g. `BMSUserErrorInvalidInput`).
    public var code: String
    /// The message.
    public var message: String

    /// An error with `status`, `code` and `message`.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// 400 `BMSUserErrorInvalidInput` with a detail.
    static func invalidInput(_ detail: String) -> BackupError {
        BackupError(.badRequest, "BMSUserErrorInvalidInput", "Input provided for the call is invalid. \(detail)")
    }

    /// 400 `BMSUserErrorInvalidPolicyInput` with a detail.
    static func invalidPolicy(_ detail: String) -> BackupError {
        BackupError(.badRequest, "BMSUserErrorInvalidPolicyInput", "Input for create or update policy is not in proper format. \(detail)")
    }

    /// 404 for a fabric, container or item that is not there.
    static let itemNotFound = BackupError(.notFound, "BMSUserErrorDataSourceObjectNotFound",
        "Item not found.\r\nSelected item might have been deleted. Please check if item is registered to the vault.")

    /// 404 for a recovery point that is no snapshot of the share.
    static let recoveryPointNotFound = BackupError(.notFound, "UserErrorAFSSourceSnapshotNotFound",
        "Azure Files snapshot corresponding to recovery point cannot be found")

    /// 404 for an unknown job, operation or policy.
    static func resourceNotFound(_ what: String) -> BackupError {
        BackupError(.notFound, "ResourceNotFound", "The resource \(what) was not found.")
    }

    /// The response carrying this error.
    func response() -> FrontResponse {
        let body = JSON.encode(["error": ["code": code, "message": message]])
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized {
            headers[.wwwAuthenticate] = "Bearer error=\"invalid_token\", error_description=\"\(message.replacingOccurrences(of: "\"", with: "'"))\""
        }
        return FrontResponse(status: status, headers: headers, body: .bytes(body))
    }
}

extension ShareCoreError {
    /// The ARM error for an engine error met while serving a request.
    var backupError: BackupError {
        switch code {
        case .shareNotFound: return .itemNotFound
        case .snapshotNotFound: return .recoveryPointNotFound
        case .invalidArgument, .invalidName, .invalidShareName: return .invalidInput(message)
        case .snapshotCountExceeded:
            return BackupError(.conflict, "AFSMaxSnapshotReached", "The maximum number of snapshots (200) of the file share is reached. \(message)")
        default: return BackupError(.internalServerError, "InternalError", message)
        }
    }
}
