import Foundation

/// A parsed XML element: name, attributes, text and children. Small request bodies only
/// (access policies, service properties, S3 delete lists and part lists).
///
/// Documents are read by ``XMLReader``, a strict parser of our own that never recurses, bounds
/// size, depth and element count, and refuses DTDs; whatever the bytes, it answers with an
/// element or an error, never a crash.
public final class XMLElement: @unchecked Sendable {
    /// The element's name (local part).
    public let name: String
    /// Its attributes.
    public internal(set) var attributes: [String: String]
    /// Its text content (concatenated, untrimmed).
    public internal(set) var text: String = ""
    /// Its child elements, in order.
    public internal(set) var children: [XMLElement] = []

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// The first child named `name`.
    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// All children named `name`.
    public func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }

    /// The trimmed text of the first child named `name`.
    public func value(_ name: String) -> String? {
        child(name).map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Parses `bytes`; nil when they are not well-formed XML within ``XMLReader/Limits/default``.
    public static func parse(_ bytes: [UInt8]) -> XMLElement? {
        try? XMLReader.parse(bytes)
    }
}
