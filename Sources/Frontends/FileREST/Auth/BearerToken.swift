import Foundation

/// Microsoft Entra ID (OAuth) bearer tokens: `Authorization: Bearer <JWT>` over HTTPS.
///
/// Like Azurite's `--oauth basic`, the token's form and claims are checked but not its
/// signature (this server has no way to fetch Entra's signing keys, and trusts the machine it
/// runs on): it must be a JWT whose payload has an audience naming Azure Storage or this
/// account, an Entra issuer, and a lifetime (`nbf`, `exp`) that includes now. A token passing
/// these checks is the account's owner, as the storage account key is. File and directory
/// operations (and Get/Create Permission) also need `x-ms-file-request-intent: backup`, as on
/// Azure.
enum BearerToken {
    /// The claims this server reads.
    struct Claims: Equatable {
        var audiences: [String]
        var issuer: String?
        var tenant: String?
        var objectId: String?
        var notBefore: Double?
        var expires: Double?
    }

    /// The `resource_id` of the challenge: the audience Azure Storage tokens are issued for.
    static let resource = "https://storage.azure.com"
    /// The version from which Azure accepts bearer tokens on file data operations.
    static let oldestVersion = "2022-11-02"
    /// The version from which Azure accepts them on service and share operations too.
    static let managementVersion = "2024-11-04"

    /// Authorizes `context`'s request carrying `token` (the text after `Bearer `).
    static func authorize(_ token: String, _ context: OperationContext) throws {
        let request = context.request
        guard request.head.scheme?.lowercased() == "https" else {
            throw FileRESTError.authenticationFailed("Authentication scheme Bearer is not allowed with HTTP.")
        }
        let claims = try parse(token)
        try validate(claims, account: context.configuration.account, request: request, now: Date().timeIntervalSince1970)
        guard context.version >= oldestVersion else {
            throw FileRESTError.authenticationFailed("Authentication scheme Bearer is not supported with version \(context.version).")
        }
        if let intent = request.header("x-ms-file-request-intent"), intent.lowercased() != "backup" {
            throw FileRESTError.invalidHeader("x-ms-file-request-intent", intent)
        }
        if needsIntent(context.operation) {
            guard request.header("x-ms-file-request-intent") != nil else {
                throw FileRESTError.missingHeader("x-ms-file-request-intent")
            }
        } else if context.version < managementVersion {
            throw FileRESTError.authorizationFailure()
        }
    }

    /// File and directory operations, and the share's permissions, are file data operations.
    static func needsIntent(_ operation: Operation) -> Bool {
        switch operation {
        case .listShares, .getServiceProperties, .setServiceProperties, .preflight, .getUserDelegationKey, .createShare, .snapshotShare,
             .deleteShare, .getShareProperties, .setShareProperties, .getShareMetadata, .setShareMetadata,
             .getShareACL, .setShareACL, .getShareStats, .leaseShare:
            return false
        default:
            return true
        }
    }

    /// Reads a JWT's payload: three base64url parts (the signature may be empty), the first two
    /// JSON objects.
    static func parse(_ token: String) throws -> Claims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = json(parts[0]), header["alg"] is String, let payload = json(parts[1]) else {
            throw invalid("The token is not a JSON Web Token.", tenant: nil)
        }
        func number(_ key: String) -> Double? { (payload[key] as? NSNumber)?.doubleValue }
        let audiences: [String]
        switch payload["aud"] {
        case let one as String: audiences = [one]
        case let many as [Any]: audiences = many.compactMap { $0 as? String }
        default: audiences = []
        }
        return Claims(audiences: audiences, issuer: payload["iss"] as? String, tenant: payload["tid"] as? String,
                      objectId: payload["oid"] as? String, notBefore: number("nbf"), expires: number("exp"))
    }

    /// Checks lifetime, issuer and audience, in the order Azure reports them.
    static func validate(_ claims: Claims, account: String, request: FileRequest, now: Double) throws {
        let tenant = claims.tenant
        guard let notBefore = claims.notBefore, let expires = claims.expires else {
            throw invalid("The token has no lifetime (nbf and exp).", tenant: tenant)
        }
        guard now >= notBefore else { throw invalid("Lifetime validation failed. The token is not yet valid.", tenant: tenant) }
        guard now < expires else { throw invalid("Lifetime validation failed. The token is expired.", tenant: tenant) }
        guard let issuer = claims.issuer, let issuerTenant = entraTenant(issuer) else {
            throw invalid("Issuer validation failed. Issuer did not match.", tenant: tenant)
        }
        let accepted = acceptedAudiences(account: account, request: request)
        guard claims.audiences.contains(where: { accepted.contains($0.lowercased()) }) else {
            throw invalid("Audience validation failed. Audience did not match.", tenant: tenant ?? issuerTenant)
        }
    }

    /// The tenant of an Entra issuer, `https://sts.windows.net/{tenant}/` or
    /// `https://login.microsoftonline.com/{tenant}/v2.0`; nil for any other issuer.
    static func entraTenant(_ issuer: String) -> String? {
        for (prefix, suffix) in [("https://sts.windows.net/", "/"), ("https://login.microsoftonline.com/", "/v2.0")] {
            guard issuer.hasPrefix(prefix), issuer.hasSuffix(suffix), issuer.count > prefix.count + suffix.count else { continue }
            let tenant = String(issuer.dropFirst(prefix.count).dropLast(suffix.count))
            guard UUID(uuidString: tenant) != nil else { return nil }
            return tenant
        }
        return nil
    }

    /// Azure Storage (`https://storage.azure.com`), the account's Azure URL, and the URL the
    /// request came to, each with or without a trailing slash, lower-cased.
    static func acceptedAudiences(account: String, request: FileRequest) -> Set<String> {
        var bases = [resource, "https://\(account).file.core.windows.net"]
        if let authority = request.head.authority ?? request.header("Host") {
            bases.append("https://\(authority)")
            if !request.hostStyle { bases.append("https://\(authority)/\(account)") }
        }
        return Set(bases.flatMap { [$0.lowercased(), $0.lowercased() + "/"] })
    }

    /// 401 `InvalidAuthenticationInfo` with the challenge Azure sends, naming where to get a token.
    static func invalid(_ detail: String, tenant: String?) -> FileRESTError {
        var error = FileRESTError(.unauthorized, "InvalidAuthenticationInfo",
                                  "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
                                  details: [("AuthenticationErrorDetail", detail)])
        let authority = "https://login.microsoftonline.com/\(tenant.flatMap { UUID(uuidString: $0) != nil ? $0 : nil } ?? "common")/oauth2/authorize"
        error.headers = [("WWW-Authenticate", "Bearer authorization_uri=\(authority) resource_id=\(resource)")]
        return error
    }

    /// A base64url JSON object, or nil.
    private static func json(_ part: Substring) -> [String: Any]? {
        var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
