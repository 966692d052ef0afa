import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// A byte range as the FileREST `Range` and `x-ms-range` headers carry it: `bytes=start-end`
/// (end inclusive) or `bytes=start-` (to the end of the file).
struct ByteRange: Equatable, Sendable {
    /// The first byte.
    let start: UInt64
    /// The last byte (inclusive); nil: up to the end of the file.
    let end: UInt64?

    init(start: UInt64, end: UInt64?) {
        self.start = start
        self.end = end
    }

    /// Parses `bytes=a-b` or `bytes=a-`; nil when malformed (several ranges, a suffix range,
    /// an end before the start, or anything but digits).
    init?(_ text: String) {
        // One pass over the bytes: this runs on every ranged GET (issue #14's profile had the
        // Foundation trimming and splitting of the old parser at 4% of a 4 KiB GET).
        var utf8 = Substring(text).utf8
        while let first = utf8.first, first == 0x20 || first == 0x09 { utf8.removeFirst() }
        while let last = utf8.last, last == 0x20 || last == 0x09 { utf8.removeLast() }
        let prefix = "bytes=".utf8
        guard utf8.count > prefix.count,
              zip(utf8.prefix(prefix.count), prefix).allSatisfy({ (65...90).contains($0) ? $0 | 0x20 == $1 : $0 == $1 }) else { return nil }
        utf8.removeFirst(prefix.count)
        guard let dash = utf8.firstIndex(of: UInt8(ascii: "-")),
              let start = ByteRange.number(utf8[..<dash]) else { return nil }
        let rest = utf8[utf8.index(after: dash)...]
        if rest.isEmpty {
            self.init(start: start, end: nil)
            return
        }
        guard let end = ByteRange.number(rest), end >= start else { return nil }
        self.init(start: start, end: end)
    }

    /// Decimal digits only (no sign, no spaces), and no overflow.
    private static func number(_ digits: Substring.UTF8View.SubSequence) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard (48...57).contains(byte) else { return nil }
            let (times10, over1) = value.multipliedReportingOverflow(by: 10)
            let (sum, over2) = times10.addingReportingOverflow(UInt64(byte - 48))
            guard !over1, !over2 else { return nil }
            value = sum
        }
        return value
    }

    /// The range `request` asks for and the header it came from: `x-ms-range` when present
    /// (it wins), else `Range`; nil when neither is present. A malformed value is
    /// `InvalidHeaderValue`.
    static func of(_ request: FileRequest) throws -> (range: ByteRange, header: String)? {
        for (field, name) in rangeHeaders {
            guard let raw = request.headers.value(field) else { continue }
            guard let range = ByteRange(raw) else { throw FileRESTError.invalidHeader(name, raw) }
            return (range, name)
        }
        return nil
    }

    /// The two range headers, in the order they win, with the names errors give (made once:
    /// making them for each ranged request showed in a small GET's profile, issue #14).
    private static let rangeHeaders: [(HTTPField.Name, String)] = [(HTTPField.Name("x-ms-range")!, "x-ms-range"), (.range, "Range")]

    /// The range a write names: both ends are required. A missing header is
    /// `MissingRequiredHeader`, an open-ended or malformed one `InvalidHeaderValue`.
    static func forWrite(_ request: FileRequest) throws -> Range<UInt64> {
        guard let (range, header) = try of(request) else { throw FileRESTError.missingHeader("Range") }
        guard let end = range.end else { throw FileRESTError.invalidHeader(header, request.header(header)) }
        guard end < ShareStore.maxFileSize else {
            throw FileRESTError(.rangeNotSatisfiable, "InvalidRange", "The range specified is invalid for the current size of the resource.")
        }
        return range.start..<(end + 1)
    }

    /// This range clipped to a file of `size` bytes (empty when it starts at or past the end).
    func clipped(to size: UInt64) -> Range<UInt64> {
        let upper = min(end.map { $0 == UInt64.max ? $0 : $0 + 1 } ?? size, size)
        return min(start, upper)..<upper
    }
}
