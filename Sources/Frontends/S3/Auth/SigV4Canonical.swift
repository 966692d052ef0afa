import Crypto
import Foundation
import FrontKit
import HTTPTypes
import ShareCore
import Synchronization

/// The pieces of AWS Signature Version 4 that both sides compute: the canonical request, the
/// string to sign, the signing key and the signatures of chunks and trailers.
extension SigV4 {
    /// The algorithm name of request signatures.
    static let algorithm = "AWS4-HMAC-SHA256"
    /// The hex SHA-256 of no bytes.
    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    // MARK: Canonical request

    /// The canonical URI of a raw (percent-encoded) path: every byte but the unreserved ones
    /// and `/` percent-encoded once, uppercase, whatever the client escaped or not (S3 does not
    /// normalize `.`, `..` or repeated slashes). A `%` that starts no valid escape is a literal.
    static func canonicalURI(_ rawPath: String) -> String {
        let bytes = Array(rawPath.utf8)
        var out = ""
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            var b = bytes[i]
            if b == UInt8(ascii: "%"), i + 2 < bytes.count,
               let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) {
                b = h << 4 | l
                i += 3
                if isUnreserved(b) { out.unicodeScalars.append(Unicode.Scalar(b)) } else { appendEscape(b, to: &out) }
                continue
            }
            i += 1
            if isUnreserved(b) || b == UInt8(ascii: "/") {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                appendEscape(b, to: &out)
            }
        }
        return out.isEmpty ? "/" : out
    }

    /// The canonical query string of a raw query (the text after `?`): each parameter decoded
    /// (`+` as a space, as S3 reads it) and encoded again, sorted by name then value, joined by
    /// `&`; parameters whose lower-cased name is in `excluding` are left out (see ``SigV4Query``).
    static func canonicalQuery(_ rawQuery: String, excluding: Set<String> = []) -> String {
        SigV4Query(rawQuery).canonical(excluding: excluding)
    }

    /// The value of header `name` (lowercase) as a signature covers it: every field of that name,
    /// each trimmed with inner runs of spaces and tabs made one space, joined by `,`. `host` is
    /// the authority when the request has no Host field (HTTP/1 servers move it there).
    static func canonicalHeaderValue(_ name: String, in head: HTTPRequest) -> String? {
        var values: [String] = []
        for field in head.headerFields where field.name.canonicalName == name {
            values.append(collapseWhitespace(field.value))
        }
        if values.isEmpty {
            if name == "host", let authority = head.authority { return collapseWhitespace(authority) }
            return nil
        }
        return values.joined(separator: ",")
    }

    /// The canonical request: method, URI, query, `name:value` lines of the signed headers, the
    /// signed header list and the payload hash, joined by newlines.
    /// `query` is the request's query when the caller has parsed it already.
    static func canonicalRequest(_ head: HTTPRequest, signedHeaders: [String], payloadHash: String,
                                 excludingQuery: Set<String> = [], query: SigV4Query? = nil) -> String {
        let (rawPath, rawQuery) = splitTarget(head.path ?? "/")
        var s = head.method.rawValue + "\n"
        s += canonicalURI(rawPath) + "\n"
        s += (query ?? SigV4Query(rawQuery)).canonical(excluding: excludingQuery) + "\n"
        for name in signedHeaders {
            s += name + ":" + (canonicalHeaderValue(name, in: head) ?? "") + "\n"
        }
        s += "\n" + signedHeaders.joined(separator: ";") + "\n" + payloadHash
        return s
    }

    /// The string to sign of a request: algorithm, timestamp, scope, hash of the canonical request.
    static func stringToSign(timestamp: String, scope: String, canonicalRequest: String) -> String {
        algorithm + "\n" + timestamp + "\n" + scope + "\n" + hexSHA256(Array(canonicalRequest.utf8))
    }

    /// The string to sign of one chunk of an aws-chunked body.
    static func chunkStringToSign(timestamp: String, scope: String, previousSignature: String, chunkHash: String) -> String {
        "AWS4-HMAC-SHA256-PAYLOAD\n" + timestamp + "\n" + scope + "\n" + previousSignature + "\n" + emptySHA256 + "\n" + chunkHash
    }

    /// The string to sign of the trailing headers of an aws-chunked body: the hash covers each
    /// trailer as `name:value\n`.
    static func trailerStringToSign(timestamp: String, scope: String, previousSignature: String,
                                    trailers: [(name: String, value: String)]) -> String {
        let canonical = trailers.map { $0.name + ":" + $0.value + "\n" }.joined()
        return "AWS4-HMAC-SHA256-TRAILER\n" + timestamp + "\n" + scope + "\n" + previousSignature + "\n"
            + hexSHA256(Array(canonical.utf8))
    }

    // MARK: Keys and signatures

    /// The signing key of a secret for a day (`yyyyMMdd`), region and service. Derived once per
    /// day and scope (four HMACs) and then taken from ``SigningKeys``, as clients do: every
    /// request of a day signed with one key would derive the same bytes again.
    static func signingKey(secret: String, date: String, region: String, service: String = "s3") -> [UInt8] {
        let scope = SigningKeys.Scope(secret: secret, date: date, region: region, service: service)
        if let known = SigningKeys.shared.value(for: scope) { return known }
        var key = hmac(Array(("AWS4" + secret).utf8), date)
        key = hmac(key, region)
        key = hmac(key, service)
        key = hmac(key, "aws4_request")
        SigningKeys.shared.remember(key, for: scope)
        return key
    }

    /// The lowercase hex HMAC-SHA256 of `text` under `key`: a signature.
    static func signature(key: [UInt8], _ text: String) -> String {
        hex(hmac(key, text))
    }

    /// The signature of one chunk given its data's hex SHA-256.
    static func chunkSignature(key: [UInt8], timestamp: String, scope: String, previousSignature: String, chunkHash: String) -> String {
        signature(key: key, chunkStringToSign(timestamp: timestamp, scope: scope, previousSignature: previousSignature, chunkHash: chunkHash))
    }

    /// The signature of the trailing headers.
    static func trailerSignature(key: [UInt8], timestamp: String, scope: String, previousSignature: String,
                                 trailers: [(name: String, value: String)]) -> String {
        signature(key: key, trailerStringToSign(timestamp: timestamp, scope: scope, previousSignature: previousSignature, trailers: trailers))
    }

    // MARK: Client side

    /// Signs `head` as an SDK does: sets `x-amz-date` and `x-amz-content-sha256` (to
    /// `payloadHash`), signs host and every header field present, and sets `Authorization`.
    /// Returns what the server will derive (its `seedSignature` seeds chunk signatures).
    @discardableResult
    static func sign(_ head: inout HTTPRequest, accessKey: String, secret: String, region: String = "us-east-1",
                     date: Date = Date(), payloadHash: String = "UNSIGNED-PAYLOAD") -> SigV4Auth {
        let timestamp = basicTimestamp(date)
        let day = String(timestamp.prefix(8))
        head.headerFields.removeAll { ["authorization", "x-amz-date", "x-amz-content-sha256"].contains($0.name.canonicalName) }
        head.headerFields.append(HTTPField(name: fieldName("x-amz-date"), value: timestamp))
        head.headerFields.append(HTTPField(name: fieldName("x-amz-content-sha256"), value: payloadHash))
        var names = Set(head.headerFields.map { $0.name.canonicalName })
        if head.authority != nil { names.insert("host") }
        let signed = names.sorted()
        let scope = "\(day)/\(region)/s3/aws4_request"
        let key = signingKey(secret: secret, date: day, region: region)
        let canonical = canonicalRequest(head, signedHeaders: signed, payloadHash: payloadHash)
        let sig = signature(key: key, stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical))
        let value = "\(algorithm) Credential=\(accessKey)/\(scope), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(sig)"
        head.headerFields.append(HTTPField(name: .authorization, value: value))
        return SigV4Auth(accessKey: accessKey, requestDate: date, timestamp: timestamp, scope: scope, signingKey: key,
                         seedSignature: sig, canonicalRequest: canonical, payload: payloadMode(payloadHash) ?? .unsigned,
                         presigned: false)
    }

    /// A presigned URL for `head`: its path and query with the `X-Amz-*` parameters added.
    /// Signs `host` and the `x-amz-*` header fields present (which the request must then carry).
    static func presign(_ head: HTTPRequest, accessKey: String, secret: String, region: String = "us-east-1",
                        date: Date = Date(), expires: Int = 3600) -> String {
        let timestamp = basicTimestamp(date)
        let day = String(timestamp.prefix(8))
        let scope = "\(day)/\(region)/s3/aws4_request"
        var names = Set(head.headerFields.map { $0.name.canonicalName }.filter { $0.hasPrefix("x-amz-") })
        names.insert("host")
        let signed = names.sorted()
        let (rawPath, rawQuery) = splitTarget(head.path ?? "/")
        var query = rawQuery
        let added = [("X-Amz-Algorithm", algorithm), ("X-Amz-Credential", "\(accessKey)/\(scope)"), ("X-Amz-Date", timestamp),
                     ("X-Amz-Expires", String(expires)), ("X-Amz-SignedHeaders", signed.joined(separator: ";"))]
        for (name, value) in added {
            query += (query.isEmpty ? "" : "&") + name + "=" + RequestTarget.percentEncode(value)
        }
        var target = head
        target.path = rawPath + "?" + query
        let canonical = canonicalRequest(target, signedHeaders: signed, payloadHash: "UNSIGNED-PAYLOAD")
        let key = signingKey(secret: secret, date: day, region: region)
        let sig = signature(key: key, stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical))
        return rawPath + "?" + query + "&X-Amz-Signature=" + sig
    }

    // MARK: Helpers

    /// `yyyyMMdd'T'HHmmss'Z'` of a date.
    static func basicTimestamp(_ date: Date) -> String {
        let (day, second) = dayAndSecond(date)
        let (y, m, d) = CivilCalendar.date(fromDays: day)
        return pad(y, 4) + pad(m, 2) + pad(d, 2) + "T" + pad(second / 3600, 2) + pad(second / 60 % 60, 2) + pad(second % 60, 2) + "Z"
    }

    /// `yyyy-MM-dd'T'HH:mm:ss'Z'` of a date, as S3 writes times in error details.
    static func isoTimestamp(_ date: Date) -> String {
        let (day, second) = dayAndSecond(date)
        let (y, m, d) = CivilCalendar.date(fromDays: day)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(second / 3600, 2) + ":" + pad(second / 60 % 60, 2)
            + ":" + pad(second % 60, 2) + "Z"
    }

    /// The date of a `yyyyMMdd'T'HHmmss'Z'` timestamp; nil when it is not one.
    static func parseBasicTimestamp(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard let y = number(0..<4), let mo = number(4..<6), let d = number(6..<8),
              let h = number(9..<11), let mi = number(11..<13), let s = number(13..<15),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61
        else { return nil }
        let days = CivilCalendar.days(year: y, month: mo, day: d)
        guard CivilCalendar.date(fromDays: days) == (y, mo, d) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + h * 3600 + mi * 60 + s))
    }

    /// The payload mode an `x-amz-content-sha256` value names; nil when it names none.
    static func payloadMode(_ value: String) -> PayloadMode? {
        switch value {
        case "UNSIGNED-PAYLOAD": return .unsigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": return .streamingSigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": return .streamingSignedTrailer
        case "STREAMING-UNSIGNED-PAYLOAD-TRAILER": return .streamingUnsignedTrailer
        default:
            guard value.utf8.count == 64, value.utf8.allSatisfy({ hexValue($0) != nil }) else { return nil }
            return .sha256(value.lowercased())
        }
    }

    /// Lowercase hex of bytes.
    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lowercase hex SHA-256 of bytes.
    static func hexSHA256(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    /// HMAC-SHA256 of `text` under `key`.
    static func hmac(_ key: [UInt8], _ text: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)))
    }

    /// Compares two signatures (hex, any letter case) in time independent of where they differ.
    static func signaturesEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.lowercased().utf8), y = Array(b.lowercased().utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// The path and the query (without `?`) of a request target.
    static func splitTarget(_ target: String) -> (path: String, query: String) {
        guard let q = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<q]), String(target[target.index(after: q)...]))
    }

    /// The value of a hex digit.
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - 55
        default: nil
        }
    }

    private static func dayAndSecond(_ date: Date) -> (Int64, Int64) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return (day, seconds - day * 86_400)
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default: false
        }
    }

    private static func appendEscape(_ b: UInt8, to out: inout String) {
        let digits = Array("0123456789ABCDEF".unicodeScalars)
        out.unicodeScalars.append("%")
        out.unicodeScalars.append(digits[Int(b >> 4)])
        out.unicodeScalars.append(digits[Int(b & 0xF)])
    }

    /// Trims spaces and tabs at the ends and makes each inner run of them one space.
    private static func collapseWhitespace(_ value: String) -> String {
        var out: [UInt8] = []
        var pendingSpace = false
        for b in value.utf8 {
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(UInt8(ascii: " ")) }
                pendingSpace = false
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Signing keys already derived, by secret, day, region and service: at most 256, the whole
/// set dropped when full (a day's keys are few: one per access key, region and service in use).
enum SigningKeys {
    /// What a signing key is derived from.
    struct Scope: Hashable, Sendable {
        let secret: String
        let date: String
        let region: String
        let service: String
    }

    /// The keys of this process.
    static let shared = BoundedCache<Scope, [UInt8]>(limit: 256)
}
