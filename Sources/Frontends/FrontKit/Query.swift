/// A URL's path and query, percent-decoded.
public struct RequestTarget: Sendable {
    /// The path, still percent-encoded (as it is signed).
    public var rawPath: String
    /// Path segments after percent-decoding (empty segments dropped at the ends only).
    public var segments: [String]
    /// Query parameters in order, names and values decoded (`+` stays `+`).
    public var query: [(name: String, value: String)]

    /// Parses `pathAndQuery` (`/a/b%20c?x=1&y`). Nil when percent-encoding is malformed.
    public init?(_ pathAndQuery: String) {
        let parts = pathAndQuery.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        rawPath = String(parts.first ?? "")
        var segs = rawPath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if segs.first == "" { segs.removeFirst() }
        if segs.last == "" { segs.removeLast() }
        var decoded: [String] = []
        for s in segs {
            guard let d = RequestTarget.percentDecode(s) else { return nil }
            decoded.append(d)
        }
        segments = decoded
        query = []
        if parts.count == 2 {
            for item in parts[1].split(separator: "&", omittingEmptySubsequences: true) {
                let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = RequestTarget.percentDecode(String(kv[0])),
                      let value = RequestTarget.percentDecode(kv.count > 1 ? String(kv[1]) : "")
                else { return nil }
                query.append((name, value))
            }
        }
    }

    /// The first value of query parameter `name` (exact name).
    public func value(_ name: String) -> String? { query.first { $0.name == name }?.value }

    /// The first value of query parameter `name`, compared ignoring case.
    public func valueIgnoringCase(_ name: String) -> String? {
        let lower = name.lowercased()
        return query.first { $0.name.lowercased() == lower }?.value
    }

    /// Decodes `%XX` escapes as UTF-8; nil when malformed.
    public static func percentDecode(_ text: String) -> String? {
        // A byte search over the UTF-8 view (`String.contains` went through Foundation's
        // NSString search, 5% of an S3 GET's time in the profile).
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var utf8 = Array(text.utf8)[...]
        while let c = utf8.popFirst() {
            if c == UInt8(ascii: "%") {
                guard utf8.count >= 2, let h = hex(utf8[utf8.startIndex]), let l = hex(utf8[utf8.startIndex + 1]) else { return nil }
                bytes.append(h << 4 | l)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Percent-encodes everything but unreserved characters (and `/` when `keepSlash`).
    public static func percentEncode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: "/") where keepSlash:
                out += "/"
            default:
                out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - 55
        default: nil
        }
    }
}
