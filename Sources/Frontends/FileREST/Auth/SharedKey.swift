import Crypto
import Foundation
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
        return names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
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
            s += "\n" + name + ":" + params[name]!.sorted().joined(separator: ",")
        }
        return s
    }

    /// The base64 HMAC-SHA256 of `text` under `key`.
    static func sign(_ text: String, key: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key))
        return Data(mac).base64EncodedString()
    }

    /// Verifies `header` (`SharedKey account:signature`) for `request`.
    static func verify(_ header: String, request: FileRequest, account: String, key: [UInt8]) throws {
        guard header.hasPrefix("SharedKey ") else {
            throw FileRESTError.authenticationFailed("The authorization scheme is not supported; use SharedKey or a SAS.")
        }
        let credential = header.dropFirst("SharedKey ".count)
        guard let colon = credential.lastIndex(of: ":") else {
            throw FileRESTError.authenticationFailed("The Authorization header is malformed.")
        }
        let name = String(credential[..<colon])
        let signature = String(credential[credential.index(after: colon)...])
        guard name == account, request.account == account else {
            throw FileRESTError.authenticationFailed("The account in the Authorization header is not the account of this server.")
        }
        let toSign = stringToSign(request)
        let expected = sign(toSign, key: key)
        guard constantTimeEqual(Array(expected.utf8), Array(signature.utf8)) else {
            let shown = toSign.replacingOccurrences(of: "\n", with: "\\n")
            throw FileRESTError.authenticationFailed(
                "The MAC signature found in the HTTP request '\(signature)' is not the same as any computed signature. Server used following string to sign: '\(shown)'.")
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
