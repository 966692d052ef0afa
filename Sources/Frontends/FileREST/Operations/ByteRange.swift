import Foundation
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
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return nil }
        let parts = trimmed.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let start = ByteRange.number(parts[0]) else { return nil }
        if parts[1].isEmpty {
            self.init(start: start, end: nil)
            return
        }
        guard let end = ByteRange.number(parts[1]), end >= start else { return nil }
        self.init(start: start, end: end)
    }

    private static func number(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return UInt64(text)
    }

    /// The range `request` asks for and the header it came from: `x-ms-range` when present
    /// (it wins), else `Range`; nil when neither is present. A malformed value is
    /// `InvalidHeaderValue`.
    static func of(_ request: FileRequest) throws -> (range: ByteRange, header: String)? {
        for name in ["x-ms-range", "Range"] {
            guard let raw = request.header(name) else { continue }
            guard let range = ByteRange(raw) else { throw FileRESTError.invalidHeader(name, raw) }
            return (range, name)
        }
        return nil
    }

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
