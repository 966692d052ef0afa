/// A URL's path and query, percent-decoded.
public struct RequestTarget: Sendable {
    /// The path, still percent-encoded (as it is signed).
    public var rawPath: String
    /// Path segments after percent-decoding (empty segments dropped at the ends only).
    public var segments: [String]
    /// Query parameters in order, names and values decoded (`+` stays `+`).
    public var query: [(name: String, value: String)]

    /// Parses `pathAndQuery` (`/a/b%20c?x=1&y`). Nil when percent-encoding is malformed.
    ///
    /// One pass over the UTF-8 bytes: the delimiters (`?`, `/`, `&`, `=`) are ASCII, so every
    /// piece between them is valid UTF-8 as it stands, and only pieces holding a `%` are decoded.
    public init?(_ pathAndQuery: String) {
        let bytes = Array(pathAndQuery.utf8)
        let pathEnd = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
        rawPath = String(decoding: bytes[..<pathEnd], as: UTF8.self)
        // Segments: split at every `/`, an empty first and last one dropped.
        var decoded: [String] = []
        var start = 0
        var pieces: [Range<Int>] = []
        pieces.reserveCapacity(8)
        for index in 0..<pathEnd where bytes[index] == UInt8(ascii: "/") {
            pieces.append(start..<index)
            start = index + 1
        }
        pieces.append(start..<pathEnd)
        if pieces.first?.isEmpty == true { pieces.removeFirst() }
        if pieces.last?.isEmpty == true { pieces.removeLast() }
        decoded.reserveCapacity(pieces.count)
        for piece in pieces {
            guard let segment = RequestTarget.percentDecode(bytes[piece]) else { return nil }
            decoded.append(segment)
        }
        segments = decoded
        query = []
        guard pathEnd < bytes.endIndex else { return }
        // One growth at most: a SAS alone has eight to a dozen parameters.
        query.reserveCapacity(16)
        var itemStart = pathEnd + 1
        while itemStart <= bytes.endIndex {
            let itemEnd = bytes[itemStart...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            if itemEnd > itemStart {
                let item = bytes[itemStart..<itemEnd]
                let eq = item.firstIndex(of: UInt8(ascii: "="))
                guard let name = RequestTarget.percentDecode(item[..<(eq ?? itemEnd)]),
                      let value = RequestTarget.percentDecode(eq.map { item[($0 + 1)...] } ?? [])
                else { return nil }
                query.append((name, value))
            }
            itemStart = itemEnd + 1
        }
    }

    /// The first value of query parameter `name` (exact name).
    public func value(_ name: String) -> String? { query.first { $0.name == name }?.value }

    /// The first value of query parameter `name`, compared ignoring case.
    public func valueIgnoringCase(_ name: String) -> String? {
        let lower = name.lowercased()
        return query.first { RequestTarget.lowercased($0.name, equals: lower) }?.value
    }

    /// `name.lowercased()`, without the copy when `name` has no upper-case ASCII letter and
    /// is all ASCII (the usual query parameter name).
    public static func lowercasedName(_ name: String) -> String {
        name.utf8.allSatisfy({ $0 < 0x80 && !($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) }) ? name : name.lowercased()
    }

    /// Whether `text.lowercased() == lowered`, without making the lower-cased copy when `text`
    /// is ASCII (a SAS check looks up each of its parameters among all of the query's).
    static func lowercased(_ text: String, equals lowered: String) -> Bool {
        // One pass: an ASCII character lowercases to one byte, so a difference before the first
        // non-ASCII byte settles it; from a non-ASCII byte on, Unicode's own lowercasing decides.
        var others = lowered.utf8.makeIterator()
        for byte in text.utf8 {
            if byte >= 0x80 { return text.lowercased() == lowered }
            guard let other = others.next(),
                  (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == other else { return false }
        }
        return others.next() == nil
    }

    /// Decodes `%XX` escapes as UTF-8; nil when malformed.
    public static func percentDecode(_ text: String) -> String? {
        // A byte search over the UTF-8 view (`String.contains` went through Foundation's
        // NSString search, 5% of an S3 GET's time in the profile).
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        return percentDecode(Array(text.utf8)[...])
    }

    /// Decodes `%XX` escapes in UTF-8 `bytes` (valid UTF-8 themselves); nil when an escape is
    /// malformed or the decoded bytes are not UTF-8.
    static func percentDecode(_ bytes: ArraySlice<UInt8>) -> String? {
        guard bytes.contains(UInt8(ascii: "%")) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let c = bytes[index]
            if c == UInt8(ascii: "%") {
                guard bytes.endIndex - index >= 3, let h = hex(bytes[index + 1]), let l = hex(bytes[index + 2]) else { return nil }
                out.append(h << 4 | l)
                index += 3
            } else {
                out.append(c)
                index += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// Percent-encodes everything but unreserved characters (and `/` when `keepSlash`).
    public static func percentEncode(_ text: String, keepSlash: Bool = false) -> String {
        // Built as bytes, and the text itself when nothing needs encoding: an S3 listing asked
        // with `encoding-type=url` (as boto3 and the aws CLI ask) encodes every key, and a
        // string built a scalar at a time was the largest single cost of such a page.
        func kept(_ b: UInt8) -> Bool {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                true
            case UInt8(ascii: "/"): keepSlash
            default: false
            }
        }
        var source = text
        return source.withUTF8 { bytes -> String in
            guard let first = bytes.firstIndex(where: { !kept($0) }) else { return text }
            let digits: StaticString = "0123456789ABCDEF"
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 2 * (bytes.count - first))
            out.append(contentsOf: bytes[..<first])
            digits.withUTF8Buffer { digits in
                for b in bytes[first...] {
                    if kept(b) {
                        out.append(b)
                    } else {
                        out.append(UInt8(ascii: "%"))
                        out.append(digits[Int(b >> 4)])
                        out.append(digits[Int(b & 0xF)])
                    }
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
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
