/// A strict, non-recursive XML 1.0 parser for small request bodies.
///
/// It reads what request documents use (declaration, comments, processing instructions,
/// elements, attributes, text, CDATA, the predefined entities and character references) and
/// refuses the rest: a DOCTYPE (so no external or expanding entities), invalid UTF-8, characters
/// XML forbids, and documents beyond ``Limits``. It keeps its own stack instead of recursing, so
/// no input can exhaust the thread's stack, and every fault is an ``XMLSyntaxError``.
public enum XMLReader {
    /// Bounds on what a document may hold.
    public struct Limits: Sendable {
        /// The most bytes a document may have.
        public var maxBytes: Int
        /// The deepest element nesting allowed (the root is depth 1).
        public var maxDepth: Int
        /// The most elements a document may hold.
        public var maxElements: Int

        /// Limits for a document.
        public init(maxBytes: Int, maxDepth: Int, maxElements: Int) {
            self.maxBytes = maxBytes
            self.maxDepth = maxDepth
            self.maxElements = maxElements
        }

        /// Enough for every request body the fronts read (10,000 parts, 1,000 keys): 8 MiB,
        /// 32 levels, 100,000 elements.
        public static let `default` = Limits(maxBytes: 8 << 20, maxDepth: 32, maxElements: 100_000)
    }

    /// Parses `bytes` (an optional UTF-8 byte order mark first) into its root element.
    public static func parse(_ bytes: [UInt8], limits: Limits = .default) throws(XMLSyntaxError) -> XMLElement {
        guard bytes.count <= limits.maxBytes else {
            throw XMLSyntaxError("The document is larger than \(limits.maxBytes) bytes.", offset: limits.maxBytes)
        }
        var input = bytes[...]
        if input.starts(with: [0xEF, 0xBB, 0xBF]) { input = input.dropFirst(3) }
        if let bad = firstInvalidUTF8(input) { throw XMLSyntaxError("The document is not valid UTF-8.", offset: bad) }
        var parser = Parser(bytes: input, limits: limits)
        return try parser.document()
    }

    /// The offset of the first byte that is not part of well-formed UTF-8, or nil.
    static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> Int? {
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return i
            }
            guard i + length <= bytes.endIndex else { return i }
            for k in 1..<length {
                let c = bytes[i + k]
                if k == 1 ? !(low...high).contains(c) : !(0x80...0xBF).contains(c) { return i }
            }
            i += length
        }
        return nil
    }

    private struct Parser {
        let bytes: ArraySlice<UInt8>
        let limits: Limits
        var position: Int
        var elements = 0

        init(bytes: ArraySlice<UInt8>, limits: Limits) {
            self.bytes = bytes
            self.limits = limits
            position = bytes.startIndex
        }

        // MARK: Document structure

        mutating func document() throws(XMLSyntaxError) -> XMLElement {
            if starts("<?xml") { try processingInstruction() }
            try misc()
            guard starts("<"), !starts("</") else { throw fault("The document has no root element.") }
            let root = try elementTree()
            try misc()
            guard position == bytes.endIndex else { throw fault("Content follows the root element.") }
            return root
        }

        /// Comments, processing instructions and white space outside the root element.
        mutating func misc() throws(XMLSyntaxError) {
            while true {
                skipSpace()
                if starts("<!--") { try comment() } else if starts("<?") { try processingInstruction() } else if starts("<!") {
                    throw fault("Document type declarations are not accepted.")
                } else { return }
            }
        }

        /// The element starting here and everything inside it, read with an explicit stack.
        mutating func elementTree() throws(XMLSyntaxError) -> XMLElement {
            var stack: [(element: XMLElement, qualified: String)] = []
            let (root, rootName, rootEmpty) = try startTag()
            if rootEmpty { return root }
            stack.append((root, rootName))
            var text: [UInt8] = []
            while let top = stack.last {
                guard position < bytes.endIndex else { throw fault("The element <\(top.qualified)> is not closed.") }
                if bytes[position] != UInt8(ascii: "<") {
                    try characterData(into: &text)
                    continue
                }
                if starts("</") {
                    position += 2
                    let name = try self.name()
                    skipSpace()
                    try expect(">")
                    guard name == top.qualified else { throw fault("</\(name)> does not close <\(top.qualified)>.") }
                    top.element.text += String(decoding: text, as: UTF8.self)
                    text.removeAll(keepingCapacity: true)
                    stack.removeLast()
                } else if starts("<!--") {
                    try comment()
                } else if starts("<![CDATA[") {
                    position += 9
                    guard let end = find("]]>") else { throw fault("A CDATA section is not closed.") }
                    try checkCharacters(position..<end)
                    text += bytes[position..<end]
                    position = end + 3
                } else if starts("<?") {
                    try processingInstruction()
                } else if starts("<!") {
                    throw fault("Declarations are not accepted inside an element.")
                } else {
                    top.element.text += String(decoding: text, as: UTF8.self)
                    text.removeAll(keepingCapacity: true)
                    guard stack.count < limits.maxDepth else { throw fault("Elements are nested deeper than \(limits.maxDepth).") }
                    let (child, qualified, empty) = try startTag()
                    top.element.children.append(child)
                    if !empty { stack.append((child, qualified)) }
                }
            }
            return root
        }

        /// `<name attr="value" …>` or `<name …/>`: the element, its qualified name, and whether it is empty.
        mutating func startTag() throws(XMLSyntaxError) -> (XMLElement, String, Bool) {
            elements += 1
            guard elements <= limits.maxElements else { throw fault("The document has more than \(limits.maxElements) elements.") }
            position += 1
            let qualified = try name()
            var attributes: [String: String] = [:]
            while true {
                let hadSpace = skipSpace()
                if starts("/>") { position += 2; return (element(qualified, attributes), qualified, true) }
                if starts(">") { position += 1; return (element(qualified, attributes), qualified, false) }
                guard hadSpace else { throw fault("Expected white space, '>' or '/>' in <\(qualified)>.") }
                let attribute = try name()
                skipSpace()
                try expect("=")
                skipSpace()
                let value = try attributeValue()
                guard attributes.updateValue(value, forKey: attribute) == nil else {
                    throw fault("The attribute \(attribute) appears twice in <\(qualified)>.")
                }
            }
        }

        func element(_ qualified: String, _ attributes: [String: String]) -> XMLElement {
            let local = qualified.split(separator: ":").last.map(String.init) ?? qualified
            return XMLElement(name: local, attributes: attributes)
        }

        // MARK: Lexical pieces

        mutating func name() throws(XMLSyntaxError) -> String {
            let start = position
            while position < bytes.endIndex, isNameByte(bytes[position], first: position == start) { position += 1 }
            guard position > start else { throw fault("Expected a name.") }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        func isNameByte(_ b: UInt8, first: Bool) -> Bool {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "_"), UInt8(ascii: ":"), 0x80...0xFF: return true
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."): return !first
            default: return false
            }
        }

        mutating func attributeValue() throws(XMLSyntaxError) -> String {
            guard position < bytes.endIndex, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
                throw fault("An attribute value must be quoted.")
            }
            let quote = bytes[position]
            position += 1
            var value: [UInt8] = []
            while true {
                guard position < bytes.endIndex else { throw fault("An attribute value is not closed.") }
                let b = bytes[position]
                switch b {
                case quote: position += 1; return String(decoding: value, as: UTF8.self)
                case UInt8(ascii: "<"): throw fault("'<' is not allowed in an attribute value.")
                case UInt8(ascii: "&"): try reference(into: &value)
                case 0x09, 0x0A, 0x0D: value.append(0x20); position += 1
                default:
                    guard b >= 0x20 else { throw fault("A control character is not allowed in XML.") }
                    value.append(b); position += 1
                }
            }
        }

        /// Text up to the next `<`, with references resolved and line ends normalized.
        mutating func characterData(into text: inout [UInt8]) throws(XMLSyntaxError) {
            while position < bytes.endIndex {
                let b = bytes[position]
                switch b {
                case UInt8(ascii: "<"): return
                case UInt8(ascii: "&"): try reference(into: &text)
                case 0x0D:
                    text.append(0x0A)
                    position += 1
                    if position < bytes.endIndex, bytes[position] == 0x0A { position += 1 }
                default:
                    guard b >= 0x20 || b == 0x09 || b == 0x0A else { throw fault("A control character is not allowed in XML.") }
                    text.append(b); position += 1
                }
            }
        }

        /// `&amp;` and the other predefined entities, `&#…;` and `&#x…;`.
        mutating func reference(into out: inout [UInt8]) throws(XMLSyntaxError) {
            let start = position
            position += 1
            var body: [UInt8] = []
            while position < bytes.endIndex, bytes[position] != UInt8(ascii: ";"), body.count < 12 {
                body.append(bytes[position]); position += 1
            }
            guard position < bytes.endIndex, bytes[position] == UInt8(ascii: ";") else {
                position = start
                throw fault("A '&' must start an entity or character reference.")
            }
            position += 1
            let reference = String(decoding: body, as: UTF8.self)
            switch reference {
            case "amp": out.append(UInt8(ascii: "&"))
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                var digits = Substring(reference)
                guard digits.first == "#" else { throw fault("The entity &\(reference); is not defined.") }
                digits = digits.dropFirst()
                var radix = 10
                if digits.first == "x" { radix = 16; digits = digits.dropFirst() }
                guard !digits.isEmpty, digits.allSatisfy({ $0.isHexDigit }), let code = UInt32(digits, radix: radix),
                      let scalar = Unicode.Scalar(code), Self.isXMLCharacter(code)
                else { throw fault("&\(reference); is not a valid character reference.") }
                out += Array(String(Character(scalar)).utf8)
            }
        }

        static func isXMLCharacter(_ code: UInt32) -> Bool {
            code == 0x09 || code == 0x0A || code == 0x0D || (0x20...0xD7FF).contains(code)
                || (0xE000...0xFFFD).contains(code) || (0x10000...0x10FFFF).contains(code)
        }

        mutating func comment() throws(XMLSyntaxError) {
            position += 4
            guard let end = find("-->") else { throw fault("A comment is not closed.") }
            try checkCharacters(position..<end)
            position = end + 3
        }

        mutating func processingInstruction() throws(XMLSyntaxError) {
            position += 2
            _ = try name()
            guard let end = find("?>") else { throw fault("A processing instruction is not closed.") }
            try checkCharacters(position..<end)
            position = end + 2
        }

        func checkCharacters(_ range: Range<Int>) throws(XMLSyntaxError) {
            for i in range where bytes[i] < 0x20 && bytes[i] != 0x09 && bytes[i] != 0x0A && bytes[i] != 0x0D {
                throw XMLSyntaxError("A control character is not allowed in XML.", offset: i - bytes.startIndex)
            }
        }

        @discardableResult
        mutating func skipSpace() -> Bool {
            let start = position
            while position < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
            return position > start
        }

        func starts(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard bytes.endIndex - position >= count else { return false }
            return literal.withUTF8Buffer { buffer in
                buffer.indices.allSatisfy { bytes[position + $0] == buffer[$0] }
            }
        }

        mutating func expect(_ literal: StaticString) throws(XMLSyntaxError) {
            guard starts(literal) else { throw fault("Expected '\(literal)'.") }
            position += literal.utf8CodeUnitCount
        }

        /// The index where `literal` next occurs from the current position, or nil.
        func find(_ literal: StaticString) -> Int? {
            let count = literal.utf8CodeUnitCount
            return literal.withUTF8Buffer { buffer -> Int? in
                var i = position
                while bytes.endIndex - i >= count {
                    if bytes[i] == buffer[0], (1..<count).allSatisfy({ bytes[i + $0] == buffer[$0] }) { return i }
                    i += 1
                }
                return nil
            }
        }

        func fault(_ message: String) -> XMLSyntaxError {
            XMLSyntaxError(message, offset: position - bytes.startIndex)
        }
    }
}

/// Why a document is not accepted, and the byte offset (after any byte order mark) where that was found.
public struct XMLSyntaxError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    /// The byte offset where it was found.
    public let offset: Int

    /// An error at `offset`.
    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    /// The message and where it applies.
    public var description: String { "\(message) (at byte \(offset))" }
}
