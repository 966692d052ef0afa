/// Named opaque values a front keeps with a file or directory (for example a front's tags or
/// access list, under a name such as `front.tags`). The engine never interprets them: they are
/// stored in the item's own record, so they follow it through renames, are captured by share
/// snapshots and come back with restores, are carried by copies, and vanish with the item.
/// No front shows another front's annotations unless it chooses to, and changing an item's
/// content or properties keeps them.
///
/// Limits: names are 1-``maxNameBytes`` UTF-8 bytes without control characters; a value holds
/// at most ``maxValueBytes``; all names and values of one item together at most
/// ``maxTotalBytes``.
public struct FileAnnotations: Hashable, Sendable {
    /// The longest name, in UTF-8 bytes.
    public static let maxNameBytes = 128
    /// The largest value, in bytes.
    public static let maxValueBytes = 64 * 1024
    /// The largest total of names and values of one item, in bytes.
    public static let maxTotalBytes = 256 * 1024

    /// The values by name.
    public private(set) var values: [String: [UInt8]]

    /// No annotations.
    public init() { values = [:] }

    init(trusted values: [String: [UInt8]]) { self.values = values }

    /// The value named `name`, if the item has one.
    public subscript(name: String) -> [UInt8]? { values[name] }

    /// Whether the item has no annotations.
    public var isEmpty: Bool { values.isEmpty }

    /// The names, sorted.
    public var names: [String] { values.keys.sorted() }

    /// Total bytes of names and values.
    var totalBytes: Int { values.reduce(0) { $0 + $1.key.utf8.count + $1.value.count } }

    /// Checks the total size (`invalidArgument` over ``maxTotalBytes``).
    func validateTotal() throws(ShareCoreError) {
        let total = totalBytes
        guard total <= FileAnnotations.maxTotalBytes else {
            throw ShareCoreError(.invalidArgument, "an item's annotations would hold \(total) bytes, over the limit of \(FileAnnotations.maxTotalBytes)")
        }
    }

    /// Checks one name (`invalidArgument` when empty, too long or holding control characters).
    static func validate(name: String) throws(ShareCoreError) {
        let count = name.utf8.count
        guard count >= 1, count <= maxNameBytes else {
            throw ShareCoreError(.invalidArgument, "an annotation name must hold 1 to \(maxNameBytes) bytes, not \(count)")
        }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ShareCoreError(.invalidArgument, "annotation name '\(name.debugDescription)' holds a control character")
        }
    }

    /// The stored form (NodeRecord tag 28): one field 1 per annotation, each a nested record
    /// with 1 the name and 2 the value, in name order.
    func encode() -> [UInt8] {
        var w = FieldWriter()
        for name in names {
            var entry = FieldWriter()
            entry.field(1, name)
            entry.field(2, values[name] ?? [])
            w.field(1, entry.bytes)
        }
        return w.bytes
    }

    static func decode(_ bytes: ArraySlice<UInt8>) throws(ShareCoreError) -> FileAnnotations {
        var r = try FieldReader(bytes: bytes)
        var values: [String: [UInt8]] = [:]
        while let (tag, v) = try r.next() {
            guard tag == 1 else { continue }
            var entry = try FieldReader(bytes: v)
            var name: String?
            var value: [UInt8] = []
            while let (t, ev) = try entry.next() {
                switch t {
                case 1: name = FieldValue.string(ev)
                case 2: value = Array(ev)
                default: break
                }
            }
            guard let name else { throw ShareCoreError(.dataCorrupted, "an annotation has no name") }
            values[name] = value
        }
        return FileAnnotations(trusted: values)
    }
}

/// Changes to a file's or directory's ``FileAnnotations``: values to set (replacing a value of
/// the same name) and names to remove; names not mentioned stay as they are. Used by
/// ``Share/annotate(_:_:kind:ifETag:)`` on an existing item, and through ``NodeProperties/annotations``
/// by the operations that create a file (upload, commit of staged content, copy, create), so
/// that an item and its annotations appear in one commit.
public struct AnnotationChanges: Hashable, Sendable {
    /// The change per name: a value to set, or nil to remove the name.
    public private(set) var changes: [String: [UInt8]?]

    /// No change.
    public init() { changes = [:] }

    /// Changes that set each of `values`.
    public init(setting values: [String: [UInt8]]) {
        changes = values.mapValues { Optional($0) }
    }

    /// Sets `name` to `value`.
    public mutating func set(_ name: String, _ value: [UInt8]) { changes[name] = .some(value) }

    /// Removes `name` (nothing happens if the item has no such value).
    public mutating func remove(_ name: String) { changes[name] = .some(nil) }

    /// Whether nothing changes.
    public var isEmpty: Bool { changes.isEmpty }

    /// Checks every name and value against ``FileAnnotations``' limits (`invalidArgument`).
    public func validate() throws(ShareCoreError) {
        for (name, value) in changes {
            try FileAnnotations.validate(name: name)
            if let value, value.count > FileAnnotations.maxValueBytes {
                throw ShareCoreError(.invalidArgument, "annotation '\(name)' holds \(value.count) bytes, over the limit of \(FileAnnotations.maxValueBytes)")
            }
        }
    }

    /// `annotations` with these changes made.
    public func applied(to annotations: FileAnnotations) -> FileAnnotations {
        var values = annotations.values
        for (name, value) in changes { values[name] = value }
        return FileAnnotations(trusted: values)
    }

    /// The stored form (``NodeProperties/storedForm`` tag 19): one field 1 per change, each a
    /// nested record with 1 the name and either 2 the value to set or 3 (true) for removal.
    func encode() -> [UInt8] {
        var w = FieldWriter()
        for name in changes.keys.sorted() {
            var entry = FieldWriter()
            entry.field(1, name)
            if let value = changes[name] ?? nil { entry.field(2, value) } else { entry.field(3, true) }
            w.field(1, entry.bytes)
        }
        return w.bytes
    }

    static func decode(_ bytes: ArraySlice<UInt8>) throws(ShareCoreError) -> AnnotationChanges {
        var r = try FieldReader(bytes: bytes)
        var result = AnnotationChanges()
        while let (tag, v) = try r.next() {
            guard tag == 1 else { continue }
            var entry = try FieldReader(bytes: v)
            var name: String?
            var value: [UInt8]?
            while let (t, ev) = try entry.next() {
                switch t {
                case 1: name = FieldValue.string(ev)
                case 2: value = Array(ev)
                default: break
                }
            }
            guard let name else { throw ShareCoreError(.dataCorrupted, "an annotation change has no name") }
            if let value { result.set(name, value) } else { result.remove(name) }
        }
        return result
    }
}
