/// Builds an XML document as UTF-8 bytes, escaping what needs escaping.
///
/// The document is kept as bytes, not as a `String`: a listing writes several elements per
/// entry, and appending escaped text scalar by scalar to a `String` was a quarter of an S3
/// listing page's time (issue #14's profile). Text without a character to escape is copied
/// whole.
public struct XMLWriter: Sendable {
    private var buffer: [UInt8] = []

    /// A document starting with the XML declaration (and, with `byteOrderMark`, the UTF-8 BOM
    /// that Azure Storage puts before it).
    public init(byteOrderMark: Bool = false) {
        buffer.reserveCapacity(4096)
        if byteOrderMark { buffer += [0xEF, 0xBB, 0xBF] }
        append("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
    }

    /// Opens `name` with attributes (in the given order).
    public mutating func open(_ name: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        append("<")
        append(name)
        for (key, value) in attributes { appendAttribute(key, value) }
        append(">")
    }

    /// Opens `name` with attributes built at run time (in the given order).
    public mutating func open(_ name: String, attributeList: [(String, String)]) {
        append("<")
        append(name)
        for (key, value) in attributeList { appendAttribute(key, value) }
        append(">")
    }

    /// Closes `name`.
    public mutating func close(_ name: String) {
        append("</")
        append(name)
        append(">")
    }

    /// `<name>value</name>`, or `<name />` for an empty value.
    public mutating func element(_ name: String, _ value: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        open(name, attributes)
        appendEscaped(value, attribute: false)
        close(name)
    }

    /// `<name>value</name>` when `value` is not nil.
    public mutating func element(_ name: String, ifPresent value: String?) {
        if let value { element(name, value) }
    }

    /// An empty element `<name />`.
    public mutating func empty(_ name: String) {
        append("<")
        append(name)
        append(" />")
    }

    /// The document as UTF-8.
    public var bytes: [UInt8] { buffer }

    /// Escapes `&`, `<`, `>` (and quotes in attributes).
    public static func escape(_ value: String, attribute: Bool) -> String {
        var writer = XMLWriter(empty: ())
        writer.appendEscaped(value, attribute: attribute)
        return String(decoding: writer.buffer, as: UTF8.self)
    }

    // MARK: Appending

    /// A writer with nothing in it (not even the declaration).
    private init(empty: Void) {}

    private mutating func append(_ text: String) {
        buffer.append(contentsOf: text.utf8)
    }

    private mutating func appendAttribute(_ key: String, _ value: String) {
        append(" ")
        append(key)
        append("=\"")
        appendEscaped(value, attribute: true)
        append("\"")
    }

    private mutating func appendEscaped(_ value: String, attribute: Bool) {
        func needsEscape(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"): true
            case UInt8(ascii: "\""), UInt8(ascii: "'"): attribute
            default: false
            }
        }
        guard value.utf8.contains(where: needsEscape) else {
            append(value)
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "&"): append("&amp;")
            case UInt8(ascii: "<"): append("&lt;")
            case UInt8(ascii: ">"): append("&gt;")
            case UInt8(ascii: "\"") where attribute: append("&quot;")
            case UInt8(ascii: "'") where attribute: append("&apos;")
            default: buffer.append(byte)
            }
        }
    }
}
