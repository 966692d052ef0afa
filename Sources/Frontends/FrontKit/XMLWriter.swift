/// Builds an XML document as text, escaping what needs escaping.
public struct XMLWriter: Sendable {
    private var text: String

    /// A document starting with the XML declaration (and, with `byteOrderMark`, the UTF-8 BOM
    /// that Azure Storage puts before it).
    public init(byteOrderMark: Bool = false) {
        text = (byteOrderMark ? "\u{FEFF}" : "") + "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
    }

    /// Opens `name` with attributes (in the given order).
    public mutating func open(_ name: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        text += "<" + name
        for (key, value) in attributes { text += " \(key)=\"\(XMLWriter.escape(value, attribute: true))\"" }
        text += ">"
    }

    /// Opens `name` with attributes built at run time (in the given order).
    public mutating func open(_ name: String, attributeList: [(String, String)]) {
        text += "<" + name
        for (key, value) in attributeList { text += " \(key)=\"\(XMLWriter.escape(value, attribute: true))\"" }
        text += ">"
    }

    /// Closes `name`.
    public mutating func close(_ name: String) { text += "</\(name)>" }

    /// `<name>value</name>`, or `<name />` for an empty value.
    public mutating func element(_ name: String, _ value: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        open(name, attributes)
        text += XMLWriter.escape(value, attribute: false)
        close(name)
    }

    /// `<name>value</name>` when `value` is not nil.
    public mutating func element(_ name: String, ifPresent value: String?) {
        if let value { element(name, value) }
    }

    /// An empty element `<name />`.
    public mutating func empty(_ name: String) { text += "<\(name) />" }

    /// The document as UTF-8.
    public var bytes: [UInt8] { Array(text.utf8) }

    /// Escapes `&`, `<`, `>` (and quotes in attributes).
    public static func escape(_ value: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for c in value.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "'" where attribute: out += "&apos;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
