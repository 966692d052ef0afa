/// The query of a request as SigV4 reads it, parsed once, in one pass over its UTF-8 bytes,
/// and shared by everything that needs it: whether the request carries credentials, the
/// presigned parameters' values and the canonical query string.
///
/// Each parameter is decoded as S3 reads a query: `%XX` escapes decoded, a `+` a space. Two
/// decodings are kept because the two uses differ on malformed input:
/// - ``value(_:)`` returns a parameter decoded strictly: when a `%` starts no valid escape or
///   the decoded bytes are not UTF-8, the parameter's text with only `+` made a space;
/// - ``canonical(excluding:)`` encodes the lenient decoding (valid escapes decoded, a `%` that
///   starts none kept as a literal), as the signing SDKs and S3 do.
///
/// (It replaces a parse per use that went through Foundation's `replacingOccurrences`: 10% of
/// an S3 GET's time in the profile of issue #14.)
struct SigV4Query: Sendable {
    /// One `name=value` parameter.
    struct Parameter: Sendable {
        /// The name decoded leniently (see the type's description), as bytes.
        var nameBytes: [UInt8]
        /// The value decoded leniently, as bytes.
        var valueBytes: [UInt8]
        /// The name decoded strictly, lower-cased (for lookups that ignore case).
        var lowerName: String
        /// The value decoded strictly.
        var value: String
    }

    /// The parameters in the order they came (empty items, `&&`, skipped).
    private(set) var parameters: [Parameter] = []

    /// Parses `rawQuery`, the text after the target's `?` (empty when there is none).
    init<Text: StringProtocol>(_ rawQuery: Text) {
        var utf8 = Array(rawQuery.utf8)[...]
        while !utf8.isEmpty {
            let end = utf8.firstIndex(of: UInt8(ascii: "&")) ?? utf8.endIndex
            let item = utf8[utf8.startIndex..<end]
            utf8 = end < utf8.endIndex ? utf8[(end + 1)...] : utf8[end...]
            if item.isEmpty { continue }
            let eq = item.firstIndex(of: UInt8(ascii: "="))
            let name = Self.decode(item[item.startIndex..<(eq ?? item.endIndex)])
            let value = eq.map { Self.decode(item[($0 + 1)...]) } ?? (lenient: [], strict: "")
            parameters.append(Parameter(nameBytes: name.lenient, valueBytes: value.lenient,
                                        lowerName: Self.lowercased(name.strict), value: value.strict))
        }
    }

    /// The strictly decoded value of the first parameter named `name` (compared ignoring case).
    func value(_ name: String) -> String? {
        let lower = Self.lowercased(name)
        return parameters.first { $0.lowerName == lower }?.value
    }

    /// Whether a parameter has one of `lowercasedNames` as its name (ignoring case).
    func contains(anyOf lowercasedNames: [String]) -> Bool {
        parameters.contains { lowercasedNames.contains($0.lowerName) }
    }

    /// The canonical query string: each parameter's lenient decoding percent-encoded again
    /// (every byte but the unreserved ones, uppercase hex), sorted by encoded name then value,
    /// `name=value` joined by `&`; parameters whose lower-cased name is in `excluding` left out.
    func canonical(excluding: Set<String> = []) -> String {
        var pairs: [(name: [UInt8], value: [UInt8])] = []
        pairs.reserveCapacity(parameters.count)
        for parameter in parameters {
            if !excluding.isEmpty, excluding.contains(Self.lowercased(String(decoding: parameter.nameBytes, as: UTF8.self))) {
                continue
            }
            pairs.append((Self.encode(parameter.nameBytes), Self.encode(parameter.valueBytes)))
        }
        pairs.sort { a, b in
            a.name != b.name ? a.name.lexicographicallyPrecedes(b.name) : a.value.lexicographicallyPrecedes(b.value)
        }
        var out: [UInt8] = []
        out.reserveCapacity(pairs.reduce(0) { $0 + $1.name.count + $1.value.count + 2 })
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            out.append(contentsOf: pair.name)
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: pair.value)
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Decoding and encoding

    /// Both decodings of one name or value (see the type's description).
    private static func decode(_ raw: ArraySlice<UInt8>) -> (lenient: [UInt8], strict: String) {
        var lenient: [UInt8] = []
        lenient.reserveCapacity(raw.count)
        var malformed = false
        var i = raw.startIndex
        while i < raw.endIndex {
            let b = raw[i]
            if b == UInt8(ascii: "%") {
                if raw.endIndex - i >= 3, let h = SigV4.hexValue(raw[i + 1]), let l = SigV4.hexValue(raw[i + 2]) {
                    lenient.append(h << 4 | l)
                    i += 3
                    continue
                }
                malformed = true
                lenient.append(b)
            } else {
                lenient.append(b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
            }
            i += 1
        }
        if !malformed, let text = String(validating: lenient, as: UTF8.self) { return (lenient, text) }
        // Not valid: the text as it came, with only `+` made a space.
        return (lenient, String(decoding: raw.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }, as: UTF8.self))
    }

    /// `bytes` with every byte but the unreserved ones percent-encoded (uppercase hex).
    private static func encode(_ bytes: [UInt8]) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for b in bytes {
            if SigV4.isUnreserved(b) {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 0xF)])
            }
        }
        return out
    }

    /// `text` lower-cased: ASCII letters directly, anything else as `String.lowercased()` does.
    private static func lowercased(_ text: String) -> String {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return text.lowercased() }
        guard text.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return text }
        return String(decoding: text.utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
