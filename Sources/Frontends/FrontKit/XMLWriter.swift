import ShareCore

/// Builds an XML document as UTF-8 bytes, escaping what needs escaping.
///
/// The document is kept as bytes, not as a `String`: a listing writes several elements per
/// entry, and appending escaped text scalar by scalar to a `String` was a quarter of an S3
/// listing page's time (issue #14's profile). Text without a character to escape is copied
/// whole.
///
/// A long document (a listing page of 1,000 objects is about 300 KB) is kept in pieces of about
/// ``pieceBytes``, not in one array: an array that grows by doubling is copied at every step,
/// past glibc's mmap threshold (3 MiB in `sharecore serve`, 256 KiB when this was written) it is
/// a fresh mapping zeroed page by page as it is written, and it is then copied once more into a
/// response buffer of the same size. ``body`` sends the pieces as they are.
public struct XMLWriter: Sendable {
    /// The size a piece is closed at (after the element that reaches it).
    public static let pieceBytes = 64 * 1024
    /// The piece being written.
    private var buffer: [UInt8] = []
    /// The pieces before it, in order.
    private var done: [[UInt8]] = []

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
        if buffer.count >= Self.pieceBytes { endPiece() }
    }

    /// `<name>value</name>`, or `<name />` for an empty value.
    public mutating func element(_ name: String, _ value: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        open(name, attributes)
        appendEscaped(value, attribute: false)
        close(name)
    }

    /// `<name>bytes</name>` for UTF-8 `bytes` that hold nothing to escape (digits, hex, times),
    /// copied as they are; `<name />` when empty.
    public mutating func element(_ name: String, text bytes: [UInt8]) {
        if bytes.isEmpty {
            empty(name)
            return
        }
        open(name)
        buffer.append(contentsOf: bytes)
        close(name)
    }

    /// `<name>value</name>` in decimal.
    public mutating func element(_ name: String, decimal value: UInt64) {
        open(name)
        appendDecimal(value)
        close(name)
    }

    /// Writes `markup` as it is, unescaped: fixed tags that a caller writing many similar
    /// elements (a listing's entries) writes in one step, such as `</Key><LastModified>`. It
    /// must be well-formed XML.
    public mutating func markup(_ markup: StaticString) {
        markup.withUTF8Buffer { buffer.append(contentsOf: $0) }
        if buffer.count >= Self.pieceBytes { endPiece() }
    }

    /// Writes `value` as text, escaped (between tags written with ``markup(_:)``).
    public mutating func text(_ value: String) {
        appendEscaped(value, attribute: false)
    }

    /// Writes UTF-8 `bytes` that hold nothing to escape (digits, hex, times) as text.
    public mutating func text(raw bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// Writes `time` as text in ISO 8601 with `fractionDigits` of its fraction
    /// (``FileTime/appendISO8601UTF8(to:fractionDigits:)``), formatted straight into the
    /// document (a listing writes one per entry).
    public mutating func text(time: FileTime, fractionDigits: Int) {
        time.appendISO8601UTF8(to: &buffer, fractionDigits: fractionDigits)
    }

    /// Writes `bytes` in lower-case hex as text (an ETag's digest), without a string between.
    public mutating func text(hex bytes: [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        // Formatted on the stack and appended in one step: appending digit by digit checked
        // the buffer's capacity and uniqueness for each (a listing writes one digest per entry).
        digits.withUTF8Buffer { digits in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * bytes.count) { out in
                for (index, byte) in bytes.enumerated() {
                    out[2 * index] = digits[Int(byte >> 4)]
                    out[2 * index + 1] = digits[Int(byte & 0xF)]
                }
                buffer.append(contentsOf: out)
            }
        }
    }

    /// Writes `value` in decimal as text.
    public mutating func text(decimal value: UInt64) {
        appendDecimal(value)
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

    /// The document as UTF-8, in one array.
    public var bytes: [UInt8] {
        if done.isEmpty { return buffer }
        var all: [UInt8] = []
        all.reserveCapacity(count)
        for piece in done { all += piece }
        return all + buffer
    }

    /// The document's length in bytes.
    public var count: Int { done.reduce(buffer.count) { $0 + $1.count } }

    /// The document as a response body: its bytes, or for a long document its pieces one by one.
    public var body: ResponseBody {
        if done.isEmpty { return .bytes(buffer) }
        let pieces = buffer.isEmpty ? done : done + [buffer]
        return .stream(length: count, chunks: ResponseChunks {
            var next = 0
            return ResponseChunks.Iterator {
                guard next < pieces.count else { return nil }
                defer { next += 1 }
                return pieces[next]
            }
        })
    }

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

    /// Closes the current piece and starts the next.
    private mutating func endPiece() {
        done.append(buffer)
        buffer = []
        buffer.reserveCapacity(Self.pieceBytes + 4096)
    }

    private mutating func appendDecimal(_ value: UInt64) {
        // A decimal UInt64 has at most 20 digits: a small string, never on the heap.
        buffer.append(contentsOf: String(value).utf8)
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
        // Most text (keys, names) has nothing to escape: checked and copied over the string's
        // contiguous UTF-8 in one pass each (the generic `contains(where:)` over the UTF-8
        // view was 2% of an S3 listing page).
        var text = value
        let copied = text.withUTF8 { bytes -> Bool in
            for byte in bytes where needsEscape(byte) { return false }
            buffer.append(contentsOf: bytes)
            return true
        }
        if copied { return }
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
