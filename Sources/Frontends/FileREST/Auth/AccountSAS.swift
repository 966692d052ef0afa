import Foundation

/// An account SAS ("Create an account SAS"): `sv` (2015-04-05 or later), `ss`, `srt`, `sp`,
/// `se`, optional `st`, `sip`, `spr` (and `ses` from 2020-12-06), signed with the account key.
enum AccountSAS {
    /// Permission letters an account SAS may carry (File uses r, w, d, l, c; the others belong
    /// to other services and are accepted but grant nothing here).
    static let permissionLetters = "rwdxylacuptfi"

    static func authorize(_ context: OperationContext, _ fields: SASFields, now: Date) async throws {
        let version = try fields.version(minimum: "2015-04-05")
        let start = try fields.time("st", mandatory: false)
        guard let expiry = try fields.time("se", mandatory: true) else { throw FileRESTError.authenticationFailed(SAS.notWellFormed) }
        let range = try fields.ipRange()
        let httpsOnly = try fields.httpsOnly()
        let services = try fields.letters("ss", allowed: "bfqt")
        let resourceTypes = try fields.letters("srt", allowed: "sco")
        let signature = try fields.signature()
        let permissions = try fields.letters("sp", allowed: permissionLetters)

        let toSign = stringToSign(fields, account: context.request.account, version: version)
        try SAS.verify(signature, stringToSign: toSign, key: context.configuration.accountKey)
        try SAS.checkTimeframe(start: start, expiry: expiry, now: now)
        try SAS.checkSource(range: range, httpsOnly: httpsOnly, request: context.request)

        guard services.contains("f") else { throw FileRESTError.authorizationServiceMismatch() }
        let requirement = await SAS.requirement(context)
        guard let resourceType = requirement.resourceType else { throw FileRESTError.authorizationFailure() }
        guard resourceTypes.contains(resourceType.rawValue) else { throw FileRESTError.authorizationResourceTypeMismatch() }
        guard requirement.isGranted(by: permissions) else { throw FileRESTError.authorizationPermissionMismatch() }
    }

    /// The string an account SAS signs: the account name, then `sp`, `ss`, `srt`, `st`, `se`,
    /// `sip`, `spr`, `sv`, each followed by a newline, then `ses` and a newline from version
    /// 2020-12-06 (as `_shared/shared_access_signature.py` builds it).
    static func stringToSign(_ fields: SASFields, account: String, version: String) -> String {
        var parts = [account]
        for name in ["sp", "ss", "srt", "st", "se", "sip", "spr", "sv"] { parts.append(fields.raw(name) ?? "") }
        if version >= "2020-12-06" { parts.append(fields.raw("ses") ?? "") }
        return parts.map { $0 + "\n" }.joined()
    }
}
