/// The errors Azure Storage answers when a request cannot be authenticated or is not allowed
/// what it asks, with the statuses and messages the service uses (see "SAS error codes" and
/// "Common REST API error codes").
extension FileRESTError {
    /// 400 `InvalidAuthenticationInfo`: the Authorization header is not `Scheme account:signature`
    /// or the signature is not base64. Azure sends no detail element with it.
    static func invalidAuthenticationInfo() -> FileRESTError {
        FileRESTError(.badRequest, "InvalidAuthenticationInfo",
                      "Authentication information is not given in the correct format. Check the value of Authorization header.")
    }

    /// 403 `AuthorizationSourceIPMismatch`: the client's address is outside the SAS's `sip`.
    static func authorizationSourceIPMismatch(_ address: String) -> FileRESTError {
        FileRESTError(.forbidden, "AuthorizationSourceIPMismatch",
                      "This request is not authorized to perform this operation using this source IP \(address).")
    }

    /// 403 `AuthorizationProtocolMismatch`: an `spr=https` SAS used over plain HTTP.
    static func authorizationProtocolMismatch() -> FileRESTError {
        FileRESTError(.forbidden, "AuthorizationProtocolMismatch",
                      "This request is not authorized to perform this operation using this protocol.")
    }

    /// 403 `AuthorizationServiceMismatch`: an account SAS whose `ss` lacks `f`.
    static func authorizationServiceMismatch() -> FileRESTError {
        FileRESTError(.forbidden, "AuthorizationServiceMismatch",
                      "This request is not authorized to perform this operation using this service.")
    }

    /// 403 `AuthorizationResourceTypeMismatch`: an account SAS whose `srt` lacks the operation's
    /// resource type, or a file SAS (`sr=f`) used for a directory operation.
    static func authorizationResourceTypeMismatch() -> FileRESTError {
        FileRESTError(.forbidden, "AuthorizationResourceTypeMismatch",
                      "This request is not authorized to perform this operation using this resource type.")
    }

    /// 403 `AuthorizationPermissionMismatch`: the SAS's permissions do not include what the
    /// operation needs.
    static func authorizationPermissionMismatch() -> FileRESTError {
        FileRESTError(.forbidden, "AuthorizationPermissionMismatch",
                      "This request is not authorized to perform this operation using this permission.")
    }

    /// 403 `AuthorizationFailure`: an operation no SAS of this kind may perform (share ACLs;
    /// share-level operations with a service SAS).
    static func authorizationFailure() -> FileRESTError {
        FileRESTError(.forbidden, "AuthorizationFailure", "This request is not authorized to perform this operation.")
    }
}
