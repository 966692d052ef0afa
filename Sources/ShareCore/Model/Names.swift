/// Azure Files naming rules, applied by every operation before it touches the store.
public enum Names {
    /// The longest path component, in UTF-16 code units.
    public static let maxComponentLength = 255
    /// The longest path, in UTF-16 code units.
    public static let maxPathLength = 2048
    /// The deepest a path may nest.
    public static let maxDepth = 250
    /// Names Windows reserves for devices; refused as file and directory names.
    public static let reservedNames: Set<String> = {
        var names: Set<String> = ["CON", "PRN", "AUX", "NUL", "CLOCK$"]
        for i in 1...9 {
            names.insert("COM\(i)")
            names.insert("LPT\(i)")
        }
        return names
    }()

    /// Checks a share name: 3-63 lowercase letters, digits and single hyphens, starting and
    /// ending with a letter or digit.
    public static func validateShare(_ name: String) throws(ShareCoreError) {
        let scalars = Array(name.unicodeScalars)
        func bad(_ why: String) -> ShareCoreError {
            ShareCoreError(.invalidShareName, "share name '\(name)' is invalid: \(why)")
        }
        guard (3...63).contains(scalars.count) else { throw bad("it must be 3 to 63 characters long") }
        for (i, s) in scalars.enumerated() {
            let isLower = ("a"..."z").contains(s)
            let isDigit = ("0"..."9").contains(s)
            if s == "-" {
                if i == 0 || i == scalars.count - 1 { throw bad("it must start and end with a letter or digit") }
                if scalars[i - 1] == "-" { throw bad("it must not contain consecutive hyphens") }
            } else if !isLower && !isDigit {
                throw bad("only lowercase letters, digits and hyphens are allowed")
            }
        }
    }

    /// Checks one directory or file name.
    public static func validateComponent(_ name: String) throws(ShareCoreError) {
        func bad(_ why: String) -> ShareCoreError {
            ShareCoreError(.invalidName, "name '\(name)' is invalid: \(why)")
        }
        if name.isEmpty { throw bad("it is empty") }
        if name.utf16.count > maxComponentLength {
            throw bad("it is longer than \(maxComponentLength) characters")
        }
        if name == "." || name == ".." { throw bad("'.' and '..' are not names") }
        // Every character refused is ASCII, so the UTF-8 bytes are checked (a byte of a
        // longer character is 0x80 or above): every path component of every request passes here.
        var ascii = true
        for byte in name.utf8 {
            switch byte {
            case 0..<0x20, 0x7F: throw bad("it contains a control character")
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "|"),
                 UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "*"), UInt8(ascii: "?"):
                throw bad("it contains the character '\(Unicode.Scalar(byte))'")
            case 0x80...: ascii = false
            default: break
            }
        }
        // The reserved names are 3 to 6 ASCII characters; an ASCII name of another length
        // cannot be one, whatever its case.
        if (!ascii || (3...6).contains(name.utf8.count)), reservedNames.contains(name.uppercased()) {
            throw bad("it is a reserved device name")
        }
    }
}

/// A path inside a share: components separated by `/`. The empty path is the share's root.
public struct SharePath: Hashable, Sendable, CustomStringConvertible {
    /// The validated components, from the root down.
    public let components: [String]

    /// Parses and validates `text` (`a/b/c.txt`; leading and trailing slashes are ignored;
    /// empty components are refused).
    public init(_ text: String) throws(ShareCoreError) {
        // A byte is looked at first: `hasPrefix` and `hasSuffix` compare Characters through a
        // generic path, a tenth of a small read's time when called for every path (issue #14).
        // They still decide when the byte is `/`, since a `/` can share its Character with
        // a combining mark after it or a prepended mark before it.
        let slash = UInt8(ascii: "/")
        var trimmed = Substring(text)
        while trimmed.utf8.first == slash, trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        while trimmed.utf8.last == slash, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if trimmed.isEmpty {
            components = []
            return
        }
        if text.utf16.count > Names.maxPathLength {
            throw ShareCoreError(.invalidName, "path '\(text)' is longer than \(Names.maxPathLength) characters")
        }
        // One pass over the bytes, straight into the components (one array for a path of one name).
        var parts: [String] = []
        var rest = trimmed
        while let cut = rest.utf8.firstIndex(of: slash) {
            parts.append(String(rest[..<cut]))
            rest = rest[rest.utf8.index(after: cut)...]
        }
        parts.append(String(rest))
        if parts.count > Names.maxDepth {
            throw ShareCoreError(.invalidName, "path '\(text)' nests deeper than \(Names.maxDepth) levels")
        }
        for part in parts {
            if part.isEmpty { throw ShareCoreError(.invalidName, "path '\(text)' has an empty component") }
            try Names.validateComponent(part)
        }
        components = parts
    }

    /// A path from already separated components, each validated.
    public init(components: [String]) throws(ShareCoreError) {
        for part in components { try Names.validateComponent(part) }
        self.components = components
    }

    private init(trusted: [String]) { components = trusted }

    /// `text` parsed as ``init(_:)`` parses it, when `parent` is already the parsed form of the
    /// text before its last `/` and `name` the text after it (not empty): only `name` and the
    /// whole path's length and depth are checked again.
    init(_ text: String, parent: SharePath, name: String) throws(ShareCoreError) {
        if text.utf16.count > Names.maxPathLength {
            throw ShareCoreError(.invalidName, "path '\(text)' is longer than \(Names.maxPathLength) characters")
        }
        if parent.components.count + 1 > Names.maxDepth {
            throw ShareCoreError(.invalidName, "path '\(text)' nests deeper than \(Names.maxDepth) levels")
        }
        try Names.validateComponent(name)
        components = parent.components + [name]
    }

    /// The share's root directory.
    public static let root = SharePath(trusted: [])

    /// Whether this is the root.
    public var isRoot: Bool { components.isEmpty }
    /// The last component (empty for the root).
    public var name: String { components.last ?? "" }
    /// The parent path (the root's parent is the root).
    public var parent: SharePath { SharePath(trusted: Array(components.dropLast())) }
    /// This path with `name` appended (not validated again: `name` comes from the store).
    public func appending(_ name: String) -> SharePath { SharePath(trusted: components + [name]) }
    /// Whether `self` lies at or below `other`.
    public func isWithin(_ other: SharePath) -> Bool {
        components.count >= other.components.count && Array(components.prefix(other.components.count)) == other.components
    }
    /// The components joined with `/` (empty for the root).
    public var description: String { components.joined(separator: "/") }
}

/// How names compare inside a share.
enum NameFolding {
    /// The key form of a name: unchanged in a case-sensitive share, otherwise each scalar
    /// mapped to its simple uppercase (as NTFS's upcase table does; no `ß` -> `SS`).
    static func fold(_ name: String, caseSensitive: Bool) -> String {
        if caseSensitive { return name }
        var out = String.UnicodeScalarView()
        for s in name.unicodeScalars {
            let upper = s.properties.uppercaseMapping.unicodeScalars
            if upper.count == 1, let u = upper.first { out.append(u) } else { out.append(s) }
        }
        return String(out)
    }

    /// Bytes of the folded name kept in a key before the hash (LMDB keys are at most 511 bytes).
    static let keyPrefixBytes = 240

    /// The dirent key part for a name: a bounded prefix of the folded UTF-8, a zero byte, and
    /// the xxh3 of the whole folded name, so that keys sort by name and never collide in practice.
    static func key(_ name: String, caseSensitive: Bool) -> [UInt8] {
        let folded = Array(fold(name, caseSensitive: caseSensitive).utf8)
        var key = Array(folded.prefix(keyPrefixBytes))
        key.append(0)
        let hash = XXH3.hash(folded)
        withUnsafeBytes(of: hash.bigEndian) { key.append(contentsOf: $0) }
        return key
    }

    /// The part of a name key that a folded prefix must match (for prefix-filtered listing).
    static func prefixBytes(_ prefix: String, caseSensitive: Bool) -> [UInt8] {
        Array(Array(fold(prefix, caseSensitive: caseSensitive).utf8).prefix(keyPrefixBytes))
    }
}
