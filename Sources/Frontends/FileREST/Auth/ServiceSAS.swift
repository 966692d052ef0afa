import Foundation
import FrontKit
import ShareCore

/// A service SAS for a share (`sr=s`) or a file (`sr=f`) ("Create a service SAS"): `sv`
/// (2015-02-21 or later), `sp`, `st`, `se`, `si` (a stored access policy of the share),
/// `sip` and `spr` (from 2015-04-05), and the response overrides `rscc` … `rsct`, signed with
/// the account key over the canonical resource `/file/<account>/<share>[/<path>]`. The
/// resource is taken from the request's URL, so a file SAS used for another path, or a share
/// SAS for another share, fails its signature.
enum ServiceSAS {
    static func authorize(_ context: OperationContext, _ fields: SASFields, now: Date) async throws {
        let request = context.request
        let sas = try checked(fields, request: request, accountKey: context.configuration.accountKey, now: now)
        let resource = sas.resource
        var policy = sas.policy
        if let identifier = sas.identifier {
            policy = try await policy.merged(with: storedPolicy(identifier, context: context))
        }
        guard let effectiveExpiry = policy.expiry, let granted = policy.permissions else {
            throw FileRESTError.authenticationFailed(SAS.notWellFormed)
        }
        try SAS.checkTimeframe(start: policy.start, expiry: effectiveExpiry, now: now)
        try SAS.checkSource(range: sas.range, httpsOnly: sas.httpsOnly, request: request)

        let requirement = await SAS.requirement(context)
        switch requirement.serviceScope {
        case .none: throw FileRESTError.authorizationFailure()
        case .share where resource == "f": throw FileRESTError.authorizationResourceTypeMismatch()
        case .share, .shareOrFile: break
        }
        guard requirement.isGranted(by: granted) else { throw FileRESTError.authorizationPermissionMismatch() }
    }

    /// What a service SAS says once its fields parsed and its signature matched: all that
    /// depends only on its parameters, the resource it is used for and the key.
    struct Checked: Sendable {
        /// `sr`: `s` or `f`.
        var resource: String
        /// `si`, the stored access policy it refers to.
        var identifier: String?
        /// `st`, `se` and `sp` as signed (a stored policy may complete them).
        var policy: SignedPolicy
        /// `sip`.
        var range: IPv4Range?
        /// `spr=https`.
        var httpsOnly: Bool
        /// A user delegation SAS's key, whose validity is checked on every request.
        var delegation: UserDelegation.KeyFields?
    }

    /// The parameters of a SAS, what its canonical resource is made of (the account, the share
    /// and the path of the URL; the parameters say whether the path counts) and the key.
    struct CheckedKey: Hashable, Sendable {
        let parameters: SASFields
        let account: String
        let share: String?
        let path: [String]
        let accountKey: [UInt8]

        /// Hashes the signature and the path's last name alone, which tell apart the SAS a
        /// server sees; equal keys still need every part equal. Hashing every parameter and
        /// the key cost a third of a hit.
        func hash(into hasher: inout Hasher) {
            hasher.combine(parameters.raw("sig"))
            hasher.combine(path.last)
        }
    }

    /// Service SAS found well formed and validly signed. An SDK downloading a file in ranges,
    /// or a page of links, sends the same SAS for the same resource many times, and parsing
    /// its fields, building its string to sign and looking up the signature took 7% of a
    /// small GET (issue #14). A hit needs the same parameters (names and decoded values, in
    /// order), the same account, share and path and the same account key, from which everything
    /// kept follows; what depends on the time, the client or the share (the time frame, a user
    /// delegation key's validity, a stored access policy, the source address and protocol, the
    /// permissions the operation needs) is checked on every request.
    static let checkedCache = BoundedCache<CheckedKey, Checked>(limit: 1024)

    /// The fields of `fields` checked as ``authorize(_:_:now:)`` checks them before looking at
    /// the time frame, the signature verified: from ``checkedCache`` when the same SAS was
    /// checked for the same resource and key before.
    static func checked(_ fields: SASFields, request: FileRequest, accountKey: [UInt8], now: Date) throws -> Checked {
        let cacheKey = CheckedKey(parameters: fields, account: request.account, share: request.share, path: request.path,
                                  accountKey: accountKey)
        if let known = checkedCache.value(for: cacheKey) {
            if let delegation = known.delegation { try UserDelegation.checkValid(delegation, now: now) }
            return known
        }
        let version = try fields.version(minimum: "2015-02-21")
        let resource = try fields.mandatory("sr")
        guard resource == "s" || resource == "f" else { throw FileRESTError.authenticationFailed(SAS.notWellFormed) }
        let identifier = try fields.optional("si")
        guard (identifier?.count ?? 0) <= 64 else { throw FileRESTError.authenticationFailed(SAS.notWellFormed) }
        let start = try fields.time("st", mandatory: false)
        let expiry = try fields.time("se", mandatory: identifier == nil)
        let modern = version >= "2015-04-05"
        let range = modern ? try fields.ipRange() : nil
        let httpsOnly = modern ? try fields.httpsOnly() : false
        let permissions = identifier == nil ? try fields.mandatory("sp") : try fields.optional("sp")
        if let permissions, !validPermissions(permissions, resource: resource) {
            throw FileRESTError.authenticationFailed(SAS.notWellFormed)
        }
        let signature = try fields.signature()

        let delegation = try UserDelegation.keyFields(fields, now: now)
        let toSign = stringToSign(fields, resource: canonicalResource(request, resource: resource), modern: modern,
                                  userDelegation: delegation != nil)
        let key = delegation.map { UserDelegation.keyValue($0, accountKey: accountKey) } ?? accountKey
        try SAS.verify(signature, stringToSign: toSign, key: key)

        let result = Checked(resource: resource, identifier: identifier,
                             policy: SignedPolicy(start: start, expiry: expiry, permissions: permissions),
                             range: range, httpsOnly: httpsOnly, delegation: delegation)
        checkedCache.remember(result, for: cacheKey)
        return result
    }

    /// `/file/<account>/<share>` for a share SAS, `/file/<account>/<share>/<path>` for a file
    /// SAS, from the request's (decoded) URL.
    static func canonicalResource(_ request: FileRequest, resource: String) -> String {
        var text = "/file/" + request.account
        if let share = request.share { text += "/" + share }
        if resource == "f" && !request.path.isEmpty { text += "/" + request.addressedPath }
        return text
    }

    /// The string a file-service SAS signs: `sp`, `st`, `se`, the canonical resource, `si`,
    /// then (from 2015-04-05) `sip`, `spr`, then `sv`, `rscc`, `rscd`, `rsce`, `rscl`, `rsct`,
    /// joined by newlines (as `_shared_access_signature.py` builds it; the File service has no
    /// `sr`, snapshot or encryption-scope lines in any version).
    /// A user delegation SAS signs the key's fields (`skoid`, `sktid`, `skt`, `ske`, `sks`,
    /// `skv`, `skdutid`, `sduoid`) where another signs `si`.
    static func stringToSign(_ fields: SASFields, resource: String, modern: Bool, userDelegation: Bool = false) -> String {
        // One string grown in place: a list of parts joined was 1.4% of a small GET (issue #14).
        var text = ""
        text.reserveCapacity(resource.utf8.count + 160)
        var first = true
        func line(_ value: String?) {
            // The newline goes before each line but the first: removing a last one from the
            // string went through String's generic replaceSubrange and cost more than all the rest.
            if !first { text += "\n" }
            first = false
            text += value ?? ""
        }
        line(fields.raw("sp"))
        line(fields.raw("st"))
        line(fields.raw("se"))
        line(resource)
        if userDelegation {
            for parameter in ["skoid", "sktid", "skt", "ske", "sks", "skv", "skdutid", "sduoid"] { line(fields.raw(parameter)) }
        } else {
            line(fields.raw("si"))
        }
        if modern {
            line(fields.raw("sip"))
            line(fields.raw("spr"))
        }
        line(fields.raw("sv"))
        for (parameter, _) in SAS.overrideParameters { line(fields.raw(parameter)) }
        return text
    }

    /// Whether `permissions` uses only the letters of the resource (`rcwd` for a file, `rcwdl`
    /// for a share), each once, in that order (`c` and `w` may come either way round, as the
    /// service accepts).
    static func validPermissions(_ permissions: String, resource: String) -> Bool {
        // Ranks and letters seen as bits, without a dictionary and a set per request (1% of a
        // small GET, issue #14).
        var last = -1
        var seen: UInt8 = 0
        for byte in permissions.utf8 {
            let rank: Int
            let bit: UInt8
            switch byte {
            case UInt8(ascii: "r"): (rank, bit) = (0, 1)
            case UInt8(ascii: "c"): (rank, bit) = (1, 2)
            case UInt8(ascii: "w"): (rank, bit) = (1, 4)
            case UInt8(ascii: "d"): (rank, bit) = (2, 8)
            case UInt8(ascii: "l") where resource != "f": (rank, bit) = (3, 16)
            default: return false
            }
            guard rank >= last, seen & bit == 0 else { return false }
            seen |= bit
            last = rank
        }
        return true
    }

    /// The stored access policy `identifier` of the request's share.
    static func storedPolicy(_ identifier: String, context: OperationContext) async throws -> SignedPolicy {
        guard let share = context.request.share else {
            throw FileRESTError.authenticationFailed("SAS identifier cannot be found for specified signed identifier")
        }
        let info = try await context.store.shareInfo(share)
        guard let stored = info.accessPolicies.first(where: { $0.id == identifier }) else {
            throw FileRESTError.authenticationFailed("SAS identifier cannot be found for specified signed identifier")
        }
        let permissions = stored.permissions.flatMap { $0.isEmpty ? nil : $0 }
        return SignedPolicy(start: stored.start, expiry: stored.expiry, permissions: permissions)
    }
}

/// Start, expiry and permissions: from the signature, a stored access policy, or both.
struct SignedPolicy: Sendable, Equatable {
    var start: FileTime?
    var expiry: FileTime?
    var permissions: String?

    /// The signature's fields completed by `stored`; a field may come from one or the other,
    /// never both, and expiry and permissions must come from one of them.
    func merged(with stored: SignedPolicy) throws -> SignedPolicy {
        if expiry == nil && stored.expiry == nil {
            throw FileRESTError.authenticationFailed("Signed expiry must be specified in signature or SAS identifier")
        }
        if permissions == nil && stored.permissions == nil {
            throw FileRESTError.authenticationFailed("Signed permission must be specified in signature or SAS identifier")
        }
        if (start != nil && stored.start != nil) || (expiry != nil && stored.expiry != nil)
            || (permissions != nil && stored.permissions != nil) {
            throw FileRESTError.authenticationFailed("Access policy fields can be associated with signature or SAS identifier but not both")
        }
        return SignedPolicy(start: start ?? stored.start, expiry: expiry ?? stored.expiry, permissions: permissions ?? stored.permissions)
    }
}
