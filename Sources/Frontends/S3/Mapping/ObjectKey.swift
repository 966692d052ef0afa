import ShareCore

/// An S3 object key mapped to a path in the bucket's share.
///
/// Key `a/b/c.txt` is file `c.txt` in directory `a/b` below the bucket's base directory; a key
/// ending in `/` (`a/b/`) names directory `a/b`. Keys are kept exactly as the client sent them
/// (no Unicode normalisation, no case change).
struct ObjectKey: Sendable, Hashable {
    /// The longest key S3 accepts, in UTF-8 bytes.
    static let maxKeyBytes = 1024

    /// The key as the client sent it.
    let key: String
    /// Whether the key ends with `/` (it names a directory).
    let isDirectory: Bool
    /// The share path: the bucket's base directory, `/`, and the key without its trailing `/`
    /// (never empty: a key always names something below the base).
    let path: String
    /// The base directory of the bucket the key was parsed for (`""`: the share's root).
    let base: String

    /// The directory that must exist (or be created) for a PUT of this key: the parent of
    /// ``path`` (`""` for the share's root).
    var parentPath: String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        return String(path[..<slash])
    }

    /// The last segment of the key: the name of the file or directory it maps to.
    var name: String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(path[path.utf8.index(after: slash)...])
    }

    /// The directories between the bucket's base and the item, from the top down, as share
    /// paths (for `a/b/c.txt` in base `x`: `x/a`, `x/a/b`): what a PUT creates when missing.
    var intermediateDirectories: [String] {
        let segments = keyWithoutSlash.split(separator: "/", omittingEmptySubsequences: false)
        var out: [String] = []
        var current = base
        for segment in segments.dropLast() {
            current = current.isEmpty ? String(segment) : current + "/" + segment
            out.append(current)
        }
        return out
    }

    private var keyWithoutSlash: Substring {
        isDirectory ? key.dropLast() : Substring(key)
    }

    /// Parses and checks `key` for a bucket whose base directory is `base` (`""` for a bucket
    /// that is a whole share; leading and trailing `/` of `base` are ignored).
    ///
    /// Refused with `KeyTooLongError`: keys over 1,024 UTF-8 bytes. Refused with
    /// `InvalidArgument` (naming the key): the empty key, a key starting with `/` (so also
    /// `/` alone), empty segments (`a//b`), `.` and `..` segments, segments that are not valid
    /// file names in a share (``Names/validateComponent(_:)``: control characters,
    /// `" \ : | < > * ?`, reserved device names, over 255 UTF-16 units), and keys whose share
    /// path would be longer or deeper than a share allows (``Names/maxPathLength``,
    /// ``Names/maxDepth``).
    static func parse(_ key: String, base: String) throws(S3Error) -> ObjectKey {
        let bytes = key.utf8.count
        if bytes > maxKeyBytes { throw S3Error.keyTooLong(bytes) }
        func bad(_ why: String) -> S3Error {
            S3Error.invalidArgument("Object key '\(key)' is not valid: \(why)", name: "key", value: key)
        }
        if key.isEmpty { throw bad("the key is empty") }
        if key.utf8.first == UInt8(ascii: "/") { throw bad("a key must not start with '/'") }
        let isDirectory = key.utf8.last == UInt8(ascii: "/")
        let trimmed = isDirectory ? key.dropLast() : Substring(key)
        let segments = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments {
            if segment.isEmpty { throw bad("empty segments ('//') are not allowed") }
            if segment == "." || segment == ".." { throw bad("'\(segment)' segments are not allowed") }
        }
        var baseText = Substring(base)
        while baseText.hasPrefix("/") { baseText = baseText.dropFirst() }
        while baseText.hasSuffix("/") { baseText = baseText.dropLast() }
        let path = baseText.isEmpty ? String(trimmed) : baseText + "/" + trimmed
        // The whole path must be one a share accepts: each name, the length and the depth,
        // with the base (one pass; the names were validated twice before, issue #14).
        do {
            _ = try SharePath(path)
        } catch {
            throw bad(error.message)
        }
        return ObjectKey(key: key, isDirectory: isDirectory, path: path, base: String(baseText))
    }
}
