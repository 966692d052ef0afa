import Foundation
import HTTPTypes
import ShareCore

/// Who sent a request: a SigV4 signature by a known key, or nobody (an anonymous request,
/// which ``AccessDecision`` then judges by the bucket's policy and ACLs).
struct S3Authentication: Sendable {
    /// The signature, or for an anonymous request a stand-in that only says how the payload is
    /// protected (never signed chunks).
    let auth: SigV4Auth
    /// The identity that signed; nil for an anonymous request.
    let requester: S3Identity?
    /// Every identity known when the request arrived.
    let identities: S3Identities

    /// Checks the signature of `head` against the account and the stored keys. A request with
    /// no credentials at all (no `Authorization` header, no `X-Amz-*` or V2 signature query) is
    /// anonymous; any credentials present must verify.
    static func authenticate(_ head: HTTPRequest, store: ShareStore, configuration: S3Configuration) throws -> S3Authentication {
        let identities = try S3Identities.load(store, configuration)
        // A presigned URL used before is recognised by its target, before the query is parsed.
        if head.headerFields[.authorization]?.isEmpty ?? true,
           let auth = try SigV4.rememberedPresigned(head, secrets: identities.secrets) {
            return S3Authentication(auth: auth, requester: identities.signing(auth.accessKey), identities: identities)
        }
        let query = SigV4Query(SigV4.splitTarget(head.path ?? "/").query)
        guard hasCredentials(head, query: query) else {
            return S3Authentication(auth: try anonymousAuth(head), requester: nil, identities: identities)
        }
        let auth = try SigV4.verify(head, query: query, secrets: identities.secrets)
        return S3Authentication(auth: auth, requester: identities.signing(auth.accessKey), identities: identities)
    }

    /// Whether the request carries any credentials (a header or query signature, any version);
    /// `query` is its query, parameter names decoded as S3 reads them.
    static func hasCredentials(_ head: HTTPRequest, query: SigV4Query) -> Bool {
        if let header = head.headerFields[values: .authorization].first, !header.isEmpty { return true }
        return query.contains(anyOf: ["x-amz-algorithm", "x-amz-credential", "x-amz-signature", "awsaccesskeyid", "signature"])
    }

    /// The stand-in signature of an anonymous request: its `x-amz-content-sha256` (a hash is
    /// still verified), unsigned otherwise; signed chunks cannot be checked without a key.
    static func anonymousAuth(_ head: HTTPRequest) throws -> SigV4Auth {
        var payload = PayloadMode.unsigned
        if let value = head.headerFields[values: SigV4.fieldName("x-amz-content-sha256")].first {
            guard let mode = SigV4.payloadMode(value), !mode.signsChunks else {
                throw S3Error.accessDenied("Anonymous requests cannot carry a signed payload.")
            }
            payload = mode
        }
        return SigV4Auth(accessKey: "", requestDate: Date(), timestamp: "", scope: "", signingKey: [], seedSignature: "",
                         canonicalRequest: "", payload: payload, presigned: false)
    }
}
