/// Writes ASCII text and zero-padded decimal numbers into a byte buffer: how times are
/// formatted straight into a string's storage (``FileTime/iso8601``, and RFC 1123 dates in the
/// fronts) without a string per field.
public struct TextWriter {
    /// The buffer written; the caller makes it large enough for what it writes.
    public let buffer: UnsafeMutableBufferPointer<UInt8>
    /// The bytes written so far.
    public private(set) var count = 0

    /// A writer at the start of `buffer`.
    public init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    /// Writes the last `width` decimal digits of `value` (0 to 9 each; `value` is not negative),
    /// with leading zeros.
    public mutating func number(_ value: Int64, width: Int) {
        var rest = value
        for position in stride(from: count + width - 1, through: count, by: -1) {
            buffer[position] = UInt8(truncatingIfNeeded: 48 + rest % 10)
            rest /= 10
        }
        count += width
    }

    /// Writes one byte.
    public mutating func byte(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }

    /// Writes `text`'s UTF-8 bytes.
    public mutating func text(_ text: String) {
        for byte in text.utf8 { self.byte(byte) }
    }
}
