import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// `/api/files/content/{id}`: read with byte ranges, write whole or by `Content-Range` chunks.
enum ContentOperations {
    // MARK: GET / HEAD

    static func get(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        let (path, cs) = try await c.resolve(id: id, .read)
        guard let item = try await c.item(at: path, caseSensitive: cs), !item.isDirectory else { throw IISError.bareNotFound }
        return try serve(c, item, id: id, rfcRanges: false, inline: false)
    }

    /// The content of `item` with IIS's headers. `rfcRanges`: RFC 9110 ranges (download links)
    /// instead of the API's strict `a-b` ranges and unit-less `Content-Range`.
    static func serve(_ c: IISContext, _ item: Item, id: String, rfcRanges: Bool, inline: Bool) throws -> FrontResponse {
        let info = item.info
        let size = info.size
        let etag = ETags.of(info)
        var fields = HTTPFields()
        fields[.contentType] = MimeTypes.type(of: item.path.name) ?? "application/octet-stream"
        let encoded = item.path.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? item.path.name
        fields.set("Content-Disposition", "\(inline ? "inline" : "attachment");filename=\(encoded)")
        fields.set("Accept-Ranges", "bytes")
        fields.set("Last-Modified", HTTPDate.format(info.smb.lastWriteTime.date))
        fields.set("ETag", etag)
        fields.set("Link", "</api/files/\(id)>; rel=\"meta\"; title=\"file metadata\", </api/files/content/\(id)>; rel=\"self\"; title=\"self\"")
        if c.method == .head, notModified(c, etag: etag, lastModified: info.smb.lastWriteTime) {
            return FrontResponse(status: .notModified, headers: fields)
        }
        var span: Range<UInt64> = 0..<size
        var status: HTTPResponse.Status = .ok
        if let range = c.header("Range") {
            let ifRange = c.header("If-Range")
            if ifRange == nil || ifRange == etag || ifRange == "\"\(etag)\"" {
                if rfcRanges {
                    switch RFCRange.parse(range, size: size) {
                    case .whole: break
                    case .unsatisfiable:
                        fields.set("Content-Range", "bytes */\(size)")
                        fields[.contentLength] = "0"
                        return FrontResponse(status: .rangeNotSatisfiable, headers: fields)
                    case .span(let r):
                        span = r
                        status = .partialContent
                        fields.set("Content-Range", "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(size)")
                    }
                } else {
                    guard let (a, b) = strictRange(range), a <= b, b < size else { throw IISError.invalidRange }
                    span = a..<(b + 1)
                    status = .partialContent
                    fields.set("Content-Range", "\(a)-\(b)/\(size)")
                }
            }
        }
        fields[.contentLength] = String(span.count)
        let share = c.store.share(item.path.share)
        return FrontResponse(status: status, headers: fields, body: .fileContent(share, fileId: info.id, span: span))
    }

    /// IIS's content ranges: one `bytes=a-b` with both numbers.
    static func strictRange(_ value: String) -> (UInt64, UInt64)? {
        let v = value.trimmingCharacters(in: .whitespaces)
        guard v.lowercased().hasPrefix("bytes=") else { return nil }
        let parts = v.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = UInt64(parts[0].trimmingCharacters(in: .whitespaces)),
              let b = UInt64(parts[1].trimmingCharacters(in: .whitespaces)) else { return nil }
        return (a, b)
    }

    /// Whether `If-None-Match` / `If-Modified-Since` say the client's copy is current (HEAD only).
    static func notModified(_ c: IISContext, etag: String, lastModified: FileTime) -> Bool {
        if let inm = c.header("If-None-Match") {
            return inm == "*" || inm.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == etag }
        }
        if let ims = c.header("If-Modified-Since"), let since = HTTPDate.parse(ims) {
            return Int64(lastModified.date.timeIntervalSince1970.rounded(.down)) <= since
        }
        return false
    }

    // MARK: PUT

    static func put(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        let path = try c.path(ofId: id)
        let cs = await c.caseSensitive(path.share)
        try c.authorize(path, caseSensitive: cs, .read)
        guard let item = try await c.item(at: path, caseSensitive: cs), !item.isDirectory else { throw IISError.bareNotFound }
        try c.authorize(item.path, caseSensitive: cs, .write)
        let preconditions = Preconditions(c)
        try preconditions.check(item.info)
        var offset: UInt64 = 0
        var length = LengthAfterWrite.endOfWrite
        var expected: UInt64?
        if let contentRange = c.header("Content-Range") {
            guard let (s, e, t) = parseContentRange(contentRange), s <= e, e < t, s <= item.info.size else {
                throw IISError.invalidParameter("Content-Range")
            }
            let count = e - s + 1
            guard let declared = c.header("Content-Length").flatMap({ UInt64($0) }), declared == count else {
                throw IISError.invalidParameter("Content-Length")
            }
            offset = s
            expected = count
            length = e == t - 1 ? .exactly(t) : .keepOrGrow
        }
        do {
            try await c.store.share(item.path.share).write(item.path.sharePath, at: offset, from: c.request.body, length: length,
                                                           expectedCount: expected) { info in try preconditions.check(info) }
        } catch let error as ShareCoreError where error.code == .invalidRange {
            throw IISError.invalidParameter(expected == nil ? "Content-Range" : "Content-Length")
        } catch let error as ShareCoreError where error.code == .resourceNotFound || error.code == .parentNotFound {
            throw IISError.bareNotFound
        }
        var fields = HTTPFields()
        fields.set("Link", "</api/files/\(id)>; rel=\"meta\"; title=\"file metadata\", </api/files/content/\(id)>; rel=\"self\"; title=\"self\"")
        fields[.contentLength] = "0"
        return FrontResponse(status: .ok, headers: fields)
    }

    /// `bytes S-E/T`.
    static func parseContentRange(_ value: String) -> (UInt64, UInt64, UInt64)? {
        let v = value.trimmingCharacters(in: .whitespaces)
        guard v.lowercased().hasPrefix("bytes ") else { return nil }
        let rest = v.dropFirst(6).trimmingCharacters(in: .whitespaces)
        let halves = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, let t = UInt64(halves[1]) else { return nil }
        let ends = halves[0].split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count == 2, let s = UInt64(ends[0]), let e = UInt64(ends[1]) else { return nil }
        return (s, e, t)
    }

    /// `If-Match`, `If-None-Match`, `If-Unmodified-Since` of a PUT, checked against the file
    /// (again inside the write's transaction).
    struct Preconditions: Sendable {
        let ifMatch: String?
        let ifNoneMatch: String?
        let ifUnmodifiedSince: String?

        init(_ c: IISContext) {
            ifMatch = c.header("If-Match")
            ifNoneMatch = c.header("If-None-Match")
            ifUnmodifiedSince = c.header("If-Unmodified-Since")
        }

        func check(_ info: NodeInfo) throws {
            let etag = ETags.of(info)
            if let ifMatch, ifMatch != etag { throw IISError.preconditionFailed("If-Match") }
            if let ifNoneMatch, ifNoneMatch == etag || ifNoneMatch == "*" { throw IISError.preconditionFailed("If-None-Match") }
            if let ifUnmodifiedSince {
                guard let since = HTTPDate.parse(ifUnmodifiedSince) else { throw IISError.invalidParameter("If-Unmodified-Since") }
                if Int64(info.smb.lastWriteTime.date.timeIntervalSince1970.rounded(.down)) > since {
                    throw IISError.preconditionFailed("If-Unmodified-Since")
                }
            }
        }
    }
}

/// RFC 9110 byte ranges for download links: `a-b`, `a-`, `-n`; the last byte is clamped.
/// Several ranges are answered with the whole content (a server may ignore Range).
enum RFCRange: Equatable {
    case whole
    case span(Range<UInt64>)
    case unsatisfiable

    static func parse(_ value: String, size: UInt64) -> RFCRange {
        let v = value.trimmingCharacters(in: .whitespaces)
        guard v.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = v.dropFirst(6)
        guard !spec.contains(",") else { return .whole }
        let parts = spec.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { return .whole }
        if parts[0].isEmpty {
            guard let n = UInt64(parts[1]) else { return .whole }
            guard n > 0, size > 0 else { return .unsatisfiable }
            return .span((size - min(n, size))..<size)
        }
        guard let a = UInt64(parts[0]) else { return .whole }
        var end = size
        if !parts[1].isEmpty {
            guard let b = UInt64(parts[1]), b >= a else { return .whole }
            // b may be the largest UInt64: clamp before making the end exclusive.
            end = b < size ? b + 1 : size
        }
        guard a < size else { return .unsatisfiable }
        return .span(a..<end)
    }
}
