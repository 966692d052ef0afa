import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// Shared access signatures: an account SAS (`ss`, `srt`) or a service SAS for a share or a
/// file (`sr=s`, `sr=f`), checked as Azure Storage checks them: the fields are parsed, the
/// signature is recomputed over the version's string-to-sign, a signed identifier is resolved
/// against the share's stored access policies, then the time frame, the client's address, the
/// protocol, the service, the resource type and the permissions are checked, in that order.
enum SAS {
    /// Authorizes the request of `context` by the SAS in its query, or throws the error Azure
    /// answers (403 `AuthenticationFailed` or one of the `Authorization…Mismatch` codes).
    static func authorize(_ context: OperationContext, now: Date = Date()) async throws {
        let fields = context.request.sasFields
        if fields.raw("sr") != nil {
            try await ServiceSAS.authorize(context, fields, now: now)
        } else {
            try await AccountSAS.authorize(context, fields, now: now)
        }
    }

    /// The response headers a service SAS overrides (`rscc` Cache-Control, `rscd`
    /// Content-Disposition, `rsce` Content-Encoding, `rscl` Content-Language, `rsct`
    /// Content-Type), for Get File and Get File Properties to set over the stored values.
    /// Empty unless the request is authorized by a service SAS (only a service SAS signs these
    /// parameters; on an account SAS or with Shared Key they are ignored).
    static func responseOverrides(_ request: FileRequest) -> HTTPFields {
        let fields = request.sasFields
        guard request.header("Authorization") == nil, fields.raw("sig") != nil, fields.raw("sr") != nil else { return [:] }
        var headers = HTTPFields()
        for (parameter, header) in overrideParameters {
            if let value = fields.raw(parameter), !value.isEmpty, let name = HTTPField.Name(header) {
                headers[name] = value
            }
        }
        return headers
    }

    /// SAS query parameters and the response headers they override.
    static let overrideParameters = [("rscc", "Cache-Control"), ("rscd", "Content-Disposition"), ("rsce", "Content-Encoding"),
                                     ("rscl", "Content-Language"), ("rsct", "Content-Type")]

    // MARK: Checks shared by both kinds

    /// The detail Azure gives for a field that does not parse.
    static let notWellFormed = "Signature fields not well formed."

    /// Refuses `signature` unless it is the HMAC-SHA256 of `stringToSign` under `key`.
    static func verify(_ signature: String, stringToSign: String, key: [UInt8]) throws {
        let signed = SignedString(text: stringToSign, signature: signature, key: key)
        if verified.value(for: signed) != nil { return }
        let expected = SharedKey.sign(stringToSign, key: key)
        guard SharedKey.constantTimeEqual(Array(expected.utf8), Array(signature.utf8)) else {
            throw FileRESTError.authenticationFailed("Signature did not match. String to sign used was \(stringToSign)")
        }
        verified.remember((), for: signed)
    }

    /// A string to sign, a signature and the key it was checked under.
    struct SignedString: Hashable, Sendable {
        let text: String
        let signature: String
        let key: [UInt8]
    }

    /// Signatures found valid: a SAS is used for many requests (an SDK's parallel ranged
    /// downloads, a page's files), and the HMAC of each was 3% of a small GET (issue #14). A hit
    /// needs the same string to sign, signature and key; every other check of the SAS (its time
    /// frame, IP range, protocol, permissions and stored policy) runs on each request.
    static let verified = BoundedCache<SignedString, Void>(limit: 1024)

    /// Refuses a SAS outside `start` (default: now) to `expiry`, with Azure's two details.
    static func checkTimeframe(start: FileTime?, expiry: FileTime, now: Date) throws {
        let current = FileTime(now)
        let from = start ?? current
        guard from < expiry else {
            throw FileRESTError.authenticationFailed(
                "Signed expiry time [\(rfc1123(expiry))] has to be after signed start time [\(rfc1123(from))]")
        }
        guard current >= from, current < expiry else {
            throw FileRESTError.authenticationFailed(
                "Signature not valid in the specified time frame: Start [\(rfc1123(from))] - Expiry [\(rfc1123(expiry))] - Current [\(rfc1123(current))]")
        }
    }

    /// Refuses a request from outside `range` or over HTTP when `httpsOnly`.
    static func checkSource(range: IPv4Range?, httpsOnly: Bool, request: FileRequest) throws {
        if let range, !range.contains(request.remoteAddress) {
            throw FileRESTError.authorizationSourceIPMismatch(request.remoteAddress ?? "")
        }
        if httpsOnly && request.head.scheme?.lowercased() != "https" {
            throw FileRESTError.authorizationProtocolMismatch()
        }
    }

    /// What the operation of `context` needs; Create File and Copy File look up whether their
    /// target exists (creating needs `c` or `w`, replacing needs `w`).
    static func requirement(_ context: OperationContext) async -> SASRequirement {
        let operation = context.operation
        var exists = false
        if operation == .createFile || operation == .copyFile, let share = context.request.share, !context.request.path.isEmpty {
            exists = (try? await context.store.share(share).exists(context.request.pathString)) ?? false
        }
        return SASRequirement.of(operation, targetExists: exists, leaseAction: context.request.header("x-ms-lease-action"))
    }

    /// `time` as the service writes times in these details (RFC 1123, whole seconds).
    static func rfc1123(_ time: FileTime) -> String {
        HTTPDate.format(secondsSince1970: time.ticks >= 0 ? time.ticks / 10_000_000 : (time.ticks - 9_999_999) / 10_000_000)
    }
}

/// The SAS parameters of a request, read as Azure reads them (names in any case, values
/// percent-decoded), with its "mandatory" / "optional but cannot be empty" checks.
struct SASFields: Sendable {
    /// The query's parameters, names lowercased once: a SAS check looks up some thirty names,
    /// and comparing each against every parameter ignoring case was 3% of a small GET (issue #14).
    private let parameters: [(name: String, value: String)]

    init(_ target: RequestTarget) {
        parameters = target.query.map { (RequestTarget.lowercasedName($0.name), $0.value) }
    }

    /// The value of `name` (the first parameter of that name in any case), as sent (decoded).
    func raw(_ name: String) -> String? {
        let lower = RequestTarget.lowercasedName(name)
        return parameters.first { $0.name == lower }?.value
    }

    /// A parameter that must be present and not blank.
    func mandatory(_ name: String) throws -> String {
        guard let value = raw(name), !SASFields.isBlank(value) else {
            throw FileRESTError.authenticationFailed("\(name) is mandatory. Cannot be empty")
        }
        return value
    }

    /// A parameter that may be absent but not blank.
    func optional(_ name: String) throws -> String? {
        guard let value = raw(name) else { return nil }
        guard !SASFields.isBlank(value) else {
            throw FileRESTError.authenticationFailed("\(name) is optional but cannot be empty")
        }
        return value
    }

    /// Whether `value` is empty once Foundation's `.whitespaces` (Unicode category Zs and
    /// tab) are trimmed, without Foundation's string searching on every request.
    static func isBlank(_ value: String) -> Bool {
        value.unicodeScalars.allSatisfy { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator }
    }

    /// `sv`, which must be a version no older than `minimum`.
    func version(minimum: String) throws -> String {
        let version = try mandatory("sv")
        guard SASFields.isVersion(version), version >= minimum else {
            throw FileRESTError.authenticationFailed(
                "sv is either not in the correct format or is not equal or later than version \(minimum)")
        }
        return version
    }

    /// A time parameter (`st`, `se`): nil when absent and not `mandatory`.
    func time(_ name: String, mandatory isMandatory: Bool) throws -> FileTime? {
        guard let text = isMandatory ? try mandatory(name) : try optional(name) else { return nil }
        guard let time = SASFields.parseTime(text) else { throw FileRESTError.authenticationFailed(SAS.notWellFormed) }
        return time
    }

    /// `sip`: one IPv4 address or an inclusive range `a-b`.
    func ipRange() throws -> IPv4Range? {
        guard let text = try optional("sip") else { return nil }
        guard let range = IPv4Range(text) else { throw FileRESTError.authenticationFailed(SAS.notWellFormed) }
        return range
    }

    /// `spr`: whether only HTTPS is allowed (`https`), or both (`https,http`, the default).
    func httpsOnly() throws -> Bool {
        switch try optional("spr") {
        case nil, "https,http", "http,https": return false
        case "https": return true
        default: throw FileRESTError.authenticationFailed(SAS.notWellFormed)
        }
    }

    /// `sig`, which must be the base64 of a 32-byte HMAC-SHA256.
    func signature() throws -> String {
        let signature = try mandatory("sig")
        guard let bytes = Data(base64Encoded: signature) else { throw FileRESTError.authenticationFailed(SAS.notWellFormed) }
        guard bytes.count == 32 else { throw FileRESTError.authenticationFailed("Signature size is invalid") }
        return signature
    }

    /// Letters of parameter `name`, each from `allowed` and none twice.
    func letters(_ name: String, allowed: String) throws -> String {
        let text = try mandatory(name)
        guard SASFields.distinctLetters(text, allowed: allowed) else { throw FileRESTError.authenticationFailed(SAS.notWellFormed) }
        return text
    }

    /// Whether every character of `text` is in `allowed` and none repeats.
    static func distinctLetters(_ text: String, allowed: String) -> Bool {
        var seen = Set<Character>()
        for c in text {
            guard allowed.contains(c), seen.insert(c).inserted else { return false }
        }
        return true
    }

    /// Whether `text` is `YYYY-MM-DD`.
    static func isVersion(_ text: String) -> Bool {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return false }
        return u.enumerated().allSatisfy { i, c in i == 4 || i == 7 || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }
    }

    /// Parses the UTC forms a SAS accepts: `YYYY-MM-DD`, `YYYY-MM-DDThh:mmZ`,
    /// `YYYY-MM-DDThh:mm:ssZ` and `YYYY-MM-DDThh:mm:ss.fffffffZ`.
    static func parseTime(_ text: String) -> FileTime? {
        switch text.utf8.count {
        case 10: return FileTime(iso8601: text + "T00:00:00Z")
        case 17 where text.hasSuffix("Z"): return FileTime(iso8601: String(text.dropLast()) + ":00Z")
        default: return FileTime(iso8601: text)
        }
    }
}

extension SASFields: Hashable {
    /// Whether both hold the same parameters (names lower-cased, values decoded) in the same order.
    static func == (left: SASFields, right: SASFields) -> Bool {
        left.parameters.count == right.parameters.count
            && zip(left.parameters, right.parameters).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(parameters.count)
        for parameter in parameters {
            hasher.combine(parameter.name)
            hasher.combine(parameter.value)
        }
    }
}

/// An inclusive range of IPv4 addresses (a SAS's `sip`).
struct IPv4Range: Sendable, Equatable {
    let low: UInt32
    let high: UInt32

    /// Parses `a.b.c.d` or `a.b.c.d-e.f.g.h`; nil when malformed or reversed.
    init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let low = IPv4Range.address(String(parts[0])),
              let high = IPv4Range.address(String(parts[parts.count - 1])), low <= high else { return nil }
        self.low = low
        self.high = high
    }

    /// Whether `address` (IPv4, or IPv4-mapped IPv6) is in the range.
    func contains(_ address: String?) -> Bool {
        guard var text = address?.lowercased() else { return false }
        if text.hasPrefix("::ffff:") { text.removeFirst("::ffff:".count) }
        guard let value = IPv4Range.address(text) else { return false }
        return (low...high).contains(value)
    }

    /// The value of a dotted-quad address.
    static func address(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard (1...3).contains(octet.count), octet.allSatisfy({ ("0"..."9").contains($0) }), let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}
