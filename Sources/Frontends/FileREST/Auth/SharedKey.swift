import Crypto
import Foundation
import FrontKit
import HTTPTypes

/// Shared Key authorization (`Authorization: SharedKey account:signature`): the request's
/// canonical string, signed with HMAC-SHA256 under the account key.
enum SharedKey {
    /// The headers whose values stand, in this order, at the start of the string to sign.
    static let standardHeaders = ["Content-Encoding", "Content-Language", "Content-Length", "Content-MD5",
                                  "Content-Type", "Date", "If-Modified-Since", "If-Match", "If-None-Match",
                                  "If-Unmodified-Since", "Range"]

    /// The string a client signs for `request` (2009-09-19 and later versions).
    static func stringToSign(_ request: FileRequest) -> String {
        var s = request.method.rawValue + "\n"
        for name in standardHeaders {
            var value = request.header(name) ?? ""
            if name == "Content-Length" && value == "0" { value = "" }
            s += value + "\n"
        }
        s += canonicalizedHeaders(request.headers)
        s += canonicalizedResource(request)
        return s
    }

    /// `x-ms-` headers, names lowercased, sorted by the service's collation, `name:value\n`
    /// each (repeated headers joined with commas).
    static func canonicalizedHeaders(_ fields: HTTPFields) -> String {
        var values: [String: [String]] = [:]
        for field in fields {
            let name = field.name.canonicalName.lowercased()
            guard name.hasPrefix("x-ms-") else { continue }
            values[name, default: []].append(field.value.trimmingCharacters(in: .whitespaces))
        }
        let names = values.keys.sorted(by: HeaderCollation.precedes)
        return names.map { "\($0):\(values[$0, default: []].joined(separator: ","))\n" }.joined()
    }

    /// `/account` + the path as sent + each query parameter as `\nname:value` (names
    /// lowercased and sorted, values decoded, repeated names' values sorted and comma-joined).
    /// In path style the account also starts the path, so it appears twice, as clients sign it.
    static func canonicalizedResource(_ request: FileRequest) -> String {
        var s = "/" + request.account + request.target.rawPath
        var params: [String: [String]] = [:]
        for (name, value) in request.target.query {
            params[name.lowercased(), default: []].append(value)
        }
        for name in params.keys.sorted() {
            s += "\n" + name + ":" + params[name, default: []].sorted().joined(separator: ",")
        }
        return s
    }

    /// The base64 HMAC-SHA256 of `text` under `key`.
    static func sign(_ text: String, key: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key))
        return Data(mac).base64EncodedString()
    }

    /// How far a request's `x-ms-date` (or `Date`) may lie from the server's clock, either way:
    /// Azure refuses older requests to guard against replays, and a date far in the future
    /// would make a captured request replayable until then (S3 refuses both ways too).
    static let maximumAge: TimeInterval = 15 * 60

    /// The schemes of the Authorization header this front accepts.
    enum Scheme: String, Sendable {
        /// `SharedKey`: the full string to sign (what every current SDK sends).
        case sharedKey = "SharedKey"
        /// `SharedKeyLite`: verb, Content-MD5, Content-Type, Date, `x-ms-` headers and a resource
        /// with only `comp`. No current Azure Files SDK sends it, but the service accepts it.
        case sharedKeyLite = "SharedKeyLite"
    }

    /// Verifies `header` (`SharedKey account:signature` or `SharedKeyLite account:signature`)
    /// for `request`, in the order the service does: the request date, the scheme, the
    /// header's form, then the signature.
    static func verify(_ header: String, request: FileRequest, account: String, key: [UInt8], now: Date = Date()) throws {
        try checkDate(request, now: now)
        let (scheme, name, signature) = try parse(header)
        guard name == account, request.account == account else {
            throw FileRESTError.authenticationFailed("The account in the Authorization header is not the account of this server.")
        }
        let toSign = scheme == .sharedKey ? stringToSign(request) : liteStringToSign(request)
        let expected = sign(toSign, key: key)
        guard constantTimeEqual(Array(expected.utf8), Array(signature.utf8)) else {
            throw FileRESTError.authenticationFailed(
                "The MAC signature found in the HTTP request '\(signature)' is not the same as any computed signature. Server used following string to sign: '\(toSign)'.")
        }
    }

    /// Refuses a request without `x-ms-date` or `Date`, with an unreadable one, or with one
    /// more than ``maximumAge`` from now, in the past or the future.
    static func checkDate(_ request: FileRequest, now: Date) throws {
        guard let text = request.header("x-ms-date") ?? request.header("Date") else {
            throw FileRESTError.authenticationFailed("Request date header not specified")
        }
        guard let seconds = HTTPDate.parse(text) else {
            throw FileRESTError.authenticationFailed("The Date header in the request is incorrect.")
        }
        if Double(seconds) < now.timeIntervalSince1970 - maximumAge {
            throw FileRESTError.authenticationFailed("Request date header too old: '\(HTTPDate.format(secondsSince1970: seconds))'")
        }
        if Double(seconds) > now.timeIntervalSince1970 + maximumAge {
            throw FileRESTError.authenticationFailed(
                "Request date header too far in the future: '\(HTTPDate.format(secondsSince1970: seconds))' is more than 15 minutes ahead of the server's clock.")
        }
    }

    /// Splits `Scheme account:signature`; an unknown scheme is `AuthenticationFailed`, a
    /// malformed value `InvalidAuthenticationInfo`.
    static func parse(_ header: String) throws -> (Scheme, String, String) {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard let first = parts.first else { throw FileRESTError.invalidAuthenticationInfo() }
        guard let scheme = [Scheme.sharedKey, .sharedKeyLite].first(where: { $0.rawValue.lowercased() == first.lowercased() }) else {
            throw FileRESTError.authenticationFailed("Authentication scheme \(first) is not supported")
        }
        guard parts.count == 2 else { throw FileRESTError.invalidAuthenticationInfo() }
        let credential = parts[1].split(separator: ":", omittingEmptySubsequences: true)
        guard credential.count == 2 else { throw FileRESTError.invalidAuthenticationInfo() }
        let signature = String(credential[1])
        guard Data(base64Encoded: signature) != nil else { throw FileRESTError.invalidAuthenticationInfo() }
        return (scheme, String(credential[0]), signature)
    }

    /// The string a client signs with Shared Key Lite: verb, Content-MD5, Content-Type, Date,
    /// the canonical `x-ms-` headers, then `/account/path` with `?comp=` when present.
    static func liteStringToSign(_ request: FileRequest) -> String {
        var s = request.method.rawValue + "\n"
        for name in ["Content-MD5", "Content-Type", "Date"] { s += (request.header(name) ?? "") + "\n" }
        s += canonicalizedHeaders(request.headers)
        s += "/" + request.account + request.target.rawPath
        if let comp = request.target.valueIgnoringCase("comp") { s += "?comp=" + comp }
        return s
    }

    /// Whether `a` equals `b`, in time independent of where they differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
