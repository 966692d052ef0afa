import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: name, attributes, text and children. Small request bodies only
/// (access policies, service properties, S3 delete lists).
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

    /// Parses `bytes`; nil when they are not well-formed XML.
    public static func parse(_ bytes: [UInt8]) -> XMLElement? {
        var data = Data(bytes)
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { data.removeFirst(3) }
        let parser = XMLParser(data: data)
        let builder = Builder()
        parser.delegate = builder
        // Some XMLParser builds report success for a truncated document: every element
        // opened must also have been closed.
        guard parser.parse(), builder.stack.isEmpty, let root = builder.root else { return nil }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLElement] = []
        var root: XMLElement?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
            let element = XMLElement(name: local, attributes: attributeDict)
            stack.last?.children.append(element)
            if stack.isEmpty { root = element }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?) {
            _ = stack.popLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
}
