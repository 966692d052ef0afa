/// User metadata: name/value pairs whose names are case-insensitive HTTP header tokens, kept in
/// the order and case they were given. All names and values together may hold at most 8 KiB.
/// Fronts may ask more of the names they accept (FileREST asks C# identifiers); each shows
/// whatever is stored.
public struct Metadata: Hashable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// The largest total size of names and values, in UTF-8 bytes.
    public static let maxTotalBytes = 8 * 1024

    /// The pairs, in the order given.
    public private(set) var pairs: [(name: String, value: String)]

    /// Empty metadata.
    public init() { pairs = [] }

    /// Validated metadata from pairs.
    public init(_ pairs: [(String, String)]) throws(ShareCoreError) {
        self.pairs = pairs.map { (name: $0.0, value: $0.1) }
        try validate()
    }

    /// Metadata from a literal written in source code. An invalid literal is a programming
    /// error and stops the program; use ``init(_:)``, which throws, for input.
    public init(dictionaryLiteral elements: (String, String)...) {
        do {
            self = try Metadata(elements)
        } catch {
            preconditionFailure("invalid metadata literal: \(error)")
        }
    }

    init(trusted: [(String, String)]) {
        pairs = trusted.map { (name: $0.0, value: $0.1) }
    }

    /// The value for `name`, compared case-insensitively.
    public subscript(name: String) -> String? {
        let folded = name.lowercased()
        return pairs.first { $0.name.lowercased() == folded }?.value
    }

    /// Whether there are no pairs.
    public var isEmpty: Bool { pairs.isEmpty }
    /// The number of pairs.
    public var count: Int { pairs.count }

    /// Iterates the pairs in the order given.
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        pairs.makeIterator()
    }

    /// Checks names (HTTP header tokens: ASCII letters, digits and the symbols RFC 9110 allows in a token),
    /// uniqueness ignoring case, values without control characters, and the 8 KiB total.
    public func validate() throws(ShareCoreError) {
        var seen = Set<String>()
        var total = 0
        for (name, value) in pairs {
            guard Metadata.isToken(name) else {
                throw ShareCoreError(.invalidMetadata, "metadata name '\(name)' is not a valid header token")
            }
            guard seen.insert(name.lowercased()).inserted else {
                throw ShareCoreError(.invalidMetadata, "metadata name '\(name)' is given more than once")
            }
            if value.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) {
                throw ShareCoreError(.invalidMetadata, "metadata value for '\(name)' contains a control character")
            }
            total += name.utf8.count + value.utf8.count
        }
        if total > Metadata.maxTotalBytes {
            throw ShareCoreError(.invalidMetadata, "metadata holds \(total) bytes, over the \(Metadata.maxTotalBytes)-byte limit")
        }
    }

    /// Whether `name` is a C# identifier (a letter or `_`, then letters, digits, `_`): what
    /// Azure Files accepts as a metadata name.
    public static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        func letter(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("A"..."Z").contains(s) }
        guard letter(first) || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// Whether `name` is an HTTP header token (RFC 9110 `tchar`s, at least one).
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { s in
            ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || "!#$%&'*+-.^_`|~".unicodeScalars.contains(s)
        }
    }

    /// Whether both hold the same pairs, with the same case, in the same order.
    public static func == (lhs: Metadata, rhs: Metadata) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    /// Hashes the pairs in order.
    public func hash(into hasher: inout Hasher) {
        for (n, v) in pairs {
            hasher.combine(n)
            hasher.combine(v)
        }
    }

    var flattened: [String] { pairs.flatMap { [$0.name, $0.value] } }

    init(flattened: [String]) {
        var out: [(String, String)] = []
        var i = 0
        while i + 1 < flattened.count {
            out.append((flattened[i], flattened[i + 1]))
            i += 2
        }
        self.init(trusted: out)
    }
}
