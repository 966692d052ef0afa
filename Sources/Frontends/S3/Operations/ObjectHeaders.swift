import Crypto
import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// What S3 objects and shared files have in common on the wire: content headers, user
/// metadata (`x-amz-meta-*`), the ETag and `Last-Modified`.
enum ObjectHeaders {
    /// The Content-Type of files that have none (the value FileREST reports too).
    static let defaultContentType = "application/octet-stream"
    /// The ETag of empty content and of directory objects: the MD5 of nothing.
    static let emptyETag = "\"d41d8cd98f00b204e9800998ecf8427e\""

    /// Content headers from a PUT, CreateMultipartUpload or CopyObject with REPLACE. Without a
    /// `Content-Type` the file gets the default one stored, as Azure's Create File does, so
    /// both protocols report the same type.
    static func contentHeaders(_ request: S3Request) -> ContentHeaders {
        ContentHeaders(contentType: request.header("Content-Type") ?? defaultContentType,
                       contentEncoding: S3Payload.storedContentEncoding(request.header("Content-Encoding")),
                       contentLanguage: request.header("Content-Language"),
                       contentDisposition: request.header("Content-Disposition"),
                       cacheControl: request.header("Cache-Control"))
    }

    /// User metadata from `x-amz-meta-*` headers, names lower-cased (any header token, as S3
    /// allows: `s3cmd-attrs`, `original-filename`); repeated headers are joined with commas.
    static func metadata(_ request: S3Request) throws -> Metadata {
        var pairs: [(String, String)] = []
        for field in request.head.headerFields {
            let name = field.name.canonicalName
            guard name.hasPrefix("x-amz-meta-") else { continue }
            let short = String(name.dropFirst("x-amz-meta-".count))
            if let index = pairs.firstIndex(where: { $0.0 == short }) {
                pairs[index].1 += "," + field.value
            } else {
                pairs.append((short, field.value))
            }
        }
        return try metadata(pairs: pairs)
    }

    /// User metadata from (lower-case name, value) pairs, checked as S3 checks it (at most 2 KiB in all).
    static func metadata(pairs: [(String, String)]) throws -> Metadata {
        do {
            let metadata = try Metadata(pairs)
            var total = 0
            for (name, value) in metadata { total += name.utf8.count + value.utf8.count }
            guard total <= 2048 else {
                throw S3Error(.badRequest, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.",
                              details: [("Size", String(total)), ("MaxSizeAllowed", "2048")])
            }
            return metadata
        } catch let error as ShareCoreError {
            throw S3Error.invalidArgument("Your metadata is invalid: \(error.message)", name: "x-amz-meta-", value: nil)
        }
    }

    /// The headers GET and HEAD return for a file: content headers, ETag, Last-Modified and
    /// metadata. `overrides` are the `response-*` query parameters.
    static func add(_ info: NodeInfo, etag: String, to fields: inout HTTPFields, overrides request: S3Request? = nil) {
        let h = info.contentHeaders
        func value(_ header: String, _ stored: String?, _ parameter: String) -> String? {
            request?.query(parameter) ?? stored
        }
        fields.set(.contentType, value("Content-Type", h.contentType, "response-content-type") ?? defaultContentType)
        if let v = value("Content-Encoding", h.contentEncoding, "response-content-encoding") { fields.set(.contentEncoding, v) }
        if let v = value("Content-Language", h.contentLanguage, "response-content-language") { fields.set(.contentLanguage, v) }
        if let v = value("Content-Disposition", h.contentDisposition, "response-content-disposition") { fields.set(.contentDisposition, v) }
        if let v = value("Cache-Control", h.cacheControl, "response-cache-control") { fields.set(.cacheControl, v) }
        if let v = request?.query("response-expires") { fields.set(.expires, v) }
        fields.set(.eTag, etag)
        fields.set(.lastModified, HTTPDate.format(info.lastModified.date))
        fields.set(.acceptRanges, "bytes")
        for (name, value) in info.metadata {
            fields.set("x-amz-meta-" + name.lowercased(), value)
        }
    }

    /// The most bytes of a file an ETag may hash when the request asks for it (see ``etag(_:share:path:)``).
    static let etagHashLimit: UInt64 = 16 << 20

    /// The ETag of a file: the multipart ETag its completion set, else the MD5 of its content
    /// (kept with the file, so this is one lookup after a PUT), hashing at most
    /// ``etagHashLimit`` bytes of a file written out of order. A file with more left to hash
    /// gets an ETag of the multipart form instead (``versionETag(_:)``), which clients do not
    /// take for an MD5: no request costs work proportional to a file's size.
    static func etag(_ info: NodeInfo, share: Share, path: String) async throws -> String {
        if info.isDirectory { return emptyETag }
        if let multipart = info.objectETag { return "\"" + multipart + "\"" }
        let md5: [UInt8]?
        do {
            md5 = try await share.contentMD5(path, hashingAtMost: etagHashLimit)
        } catch let error as ShareCoreError where [.encryptionKeyRequired, .encryptionKeyMismatch].contains(error.code) {
            // Content under a customer key this request does not give: it cannot be hashed now.
            return versionETag(info)
        }
        guard let md5 else { return versionETag(info) }
        return "\"" + hex(md5) + "\""
    }

    /// The ETag of a file whose content MD5 is known (as an upload computes it), as
    /// ``etag(_:share:path:)`` gives it: a multipart object keeps its own.
    static func etag(_ info: NodeInfo, contentMD5: [UInt8]) -> String {
        if info.isDirectory { return emptyETag }
        if let multipart = info.objectETag { return "\"" + multipart + "\"" }
        return "\"" + hex(contentMD5) + "\""
    }

    /// An ETag for a file whose MD5 is not known: the MD5 of its identity, size and
    /// last-modified time, with the `-1` suffix of a one-part multipart object. It changes
    /// whenever the content does (every write sets a new last-modified time).
    static func versionETag(_ info: NodeInfo) -> String {
        var identity = Array("\(info.id):\(info.size):\(info.lastModified.ticks)".utf8)
        identity += [0]
        return "\"" + hex(Array(Insecure.MD5.hash(data: identity))) + "-1\""
    }

    /// Lower-case hex of `bytes`.
    static func hex(_ bytes: [UInt8]) -> String {
        String(decoding: hexBytes(bytes, quoted: false), as: UTF8.self)
    }

    /// `bytes` in lower-case hex between double quotes (an ETag), as UTF-8.
    static func quotedHex(_ bytes: [UInt8]) -> [UInt8] { hexBytes(bytes, quoted: true) }

    private static func hexBytes(_ bytes: [UInt8], quoted: Bool) -> [UInt8] {
        // Written in place (a listing page writes one ETag per object; appending byte by byte
        // was 5% of a page).
        let digits: StaticString = "0123456789abcdef"
        let edge = quoted ? 1 : 0
        let count = bytes.count * 2 + 2 * edge
        return [UInt8](unsafeUninitializedCapacity: count) { out, written in
            if quoted {
                out[0] = UInt8(ascii: "\"")
                out[count - 1] = UInt8(ascii: "\"")
            }
            digits.withUTF8Buffer { digits in
                for (i, b) in bytes.enumerated() {
                    out[edge + 2 * i] = digits[Int(b >> 4)]
                    out[edge + 2 * i + 1] = digits[Int(b & 0xF)]
                }
            }
            written = count
        }
    }
}

/// The conditional headers of GET, HEAD and CopyObject's source, evaluated as S3 does.
enum Conditions {
    /// The outcome that is not "go ahead".
    enum Outcome { case notModified, failed(String) }

    /// Evaluates `If-Match`, `If-None-Match`, `If-Modified-Since` and `If-Unmodified-Since`
    /// (or the `x-amz-copy-source-if-*` forms with `prefix`) against an object.
    static func evaluate(_ request: S3Request, etag: String, lastModified: FileTime, prefix: String = "") -> Outcome? {
        let modifiedSeconds = lastModified.ticks / 10_000_000
        let ifMatch = request.header(prefix + "If-Match")
        let ifNoneMatch = request.header(prefix + "If-None-Match")
        let ifModifiedSince = request.header(prefix + "If-Modified-Since").flatMap(HTTPDate.parse)
        let ifUnmodifiedSince = request.header(prefix + "If-Unmodified-Since").flatMap(HTTPDate.parse)
        if let ifMatch {
            if !matches(ifMatch, etag) { return .failed(prefix + "If-Match") }
        } else if let ifUnmodifiedSince, modifiedSeconds > ifUnmodifiedSince {
            return .failed(prefix + "If-Unmodified-Since")
        }
        if let ifNoneMatch {
            if matches(ifNoneMatch, etag) { return prefix.isEmpty ? .notModified : .failed(prefix + "If-None-Match") }
        } else if let ifModifiedSince, modifiedSeconds <= ifModifiedSince {
            return prefix.isEmpty ? .notModified : .failed(prefix + "If-Modified-Since")
        }
        return nil
    }

    /// Whether an `If-Match`-style list (`*`, or quoted or bare ETags separated by commas) matches `etag`.
    static func matches(_ list: String, _ etag: String) -> Bool {
        let bare = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        for item in list.split(separator: ",") {
            let candidate = item.trimmingCharacters(in: .whitespaces)
            if candidate == "*" { return true }
            let cleaned = candidate.hasPrefix("W/") ? String(candidate.dropFirst(2)) : candidate
            if cleaned.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == bare { return true }
        }
        return false
    }
}

/// An S3 `Range` header: `bytes=a-b`, `bytes=a-` or the suffix form `bytes=-n`.
enum ObjectRange {
    /// The span of an object of `size` bytes that `header` asks for; nil when the header should be
    /// ignored (malformed or several ranges, which S3 answers with the whole object);
    /// `InvalidRange` (416) when it starts at or past the end.
    static func span(_ header: String, size: UInt64) throws -> Range<UInt64>? {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("bytes="), !text.contains(",") else { return nil }
        let parts = text.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        func number(_ s: Substring) -> UInt64? {
            guard !s.isEmpty, s.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
            return UInt64(s)
        }
        if parts[0].isEmpty {
            guard let suffix = number(parts[1]) else { return nil }
            guard suffix > 0, size > 0 else { throw S3Error.invalidRange(length: size, requested: text) }
            return (size - min(suffix, size))..<size
        }
        guard let start = number(parts[0]) else { return nil }
        let end: UInt64
        if parts[1].isEmpty {
            end = size == 0 ? 0 : size - 1
        } else {
            guard let e = number(parts[1]) else { return nil }
            guard e >= start else { return nil }
            end = min(e, size == 0 ? 0 : size - 1)
        }
        guard start < size else { throw S3Error.invalidRange(length: size, requested: text) }
        return start..<(end + 1)
    }
}
