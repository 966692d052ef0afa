import Crypto
import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// File content: Get File (streamed), Put Range (update and clear), Put Range From URL and
/// List Ranges.
enum DataOperations {
    /// The most bytes one range write carries, and the most a download pulls from the engine
    /// per read (4 MiB), so memory stays flat whatever the file's size.
    static let chunkBytes = ShareStore.maxRangeBytes

    // MARK: Get File

    /// `GET`: the whole file (200) or the range `x-ms-range`/`Range` asks for (206 with
    /// `Content-Range`), streamed, with the file's properties; also at `sharesnapshot`.
    /// `x-ms-range-get-content-md5: true` adds the MD5 of a range of at most 4 MiB.
    /// `x-ms-structured-body` asks for the body as a structured message with CRC-64s
    /// (`Content-Length` then the encoded length, `x-ms-structured-content-length` the content's).
    static func getFile(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        let requested = try ByteRange.of(request)?.range
        let rangeMD5 = try NodeRequest.bool(request, "x-ms-range-get-content-md5") ?? false
        let structured = try structuredRequest(request)
        let share = try context.share()
        let path = request.pathString
        // Properties and the first bytes from one transaction: the headers describe the bytes sent.
        let opened = try await share.open(path, firstBytes: rangeMD5 ? chunkBytes : ResponseBody.streamPieceBytes) { info in
            guard info.kind == .file else { throw ShareCoreError(.resourceNotFound, "'\(path)' is not a file") }
            let span = try byteSpan(requested, size: info.size)
            if rangeMD5 {
                guard requested != nil, span.count <= chunkBytes else {
                    throw FileRESTError.invalidHeader("x-ms-range-get-content-md5", request.header("x-ms-range-get-content-md5"))
                }
            }
            return span
        }
        let info = opened.info
        let span = opened.span ?? 0..<0
        var fields = downloadHeaders(info, context)
        for field in SAS.responseOverrides(request) { fields[field.name] = field.value }
        // Neither the download's headers nor the SAS overrides hold these three.
        fields.add(.contentLength, String(span.count))
        if requested != nil {
            if let md5 = info.contentHeaders.contentMD5 {
                // A range answers with the whole file's MD5 as `x-ms-content-md5`, not `Content-MD5`.
                fields.removeAll { $0.name == .contentMD5 }
                fields.add(.msContentMD5, Data(md5).base64EncodedString())
            }
            fields.add(.contentRange, "bytes \(span.lowerBound)-\(span.upperBound - 1)/\(info.size)")
        }
        var response = context.response(requested == nil ? .ok : .partialContent, fields)
        if rangeMD5 {
            response.head.headerFields.set("Content-MD5", Data(Insecure.MD5.hash(data: opened.first)).base64EncodedString())
            response.body = .bytes(opened.first)
        } else if !span.isEmpty {
            response.body = .openedFileContent(share, opened, path: path)
        }
        if structured {
            response.body = StructuredMessage.encode(response.body, contentLength: UInt64(span.count))
            response.head.headerFields.set("Content-Length", String(StructuredMessage.encodedLength(UInt64(span.count))))
            response.head.headerFields.set("x-ms-structured-body", StructuredMessage.crc64Header)
            response.head.headerFields.set("x-ms-structured-content-length", String(span.count))
        }
        return response
    }

    /// The bytes to send of a file of `size` bytes: all of it, or `requested` clipped to the end.
    /// A range starting at or past the end is `InvalidRange` (416).
    static func byteSpan(_ requested: ByteRange?, size: UInt64) throws -> Range<UInt64> {
        guard let requested else { return 0..<size }
        guard requested.start < size else {
            throw FileRESTError(.rangeNotSatisfiable, "InvalidRange", "The range specified is invalid for the current size of the resource.")
        }
        return requested.clipped(to: size)
    }

    /// A response body reading `span` of file `fileId` a piece at a time
    /// (``ResponseBody/streamPieceBytes``), as the client pulls it. Reading by id keeps every
    /// piece on the same file even if its path is renamed or replaced during the download.
    static func stream(_ share: Share, fileId: UInt64, span: Range<UInt64>) -> ResponseBody {
        .fileContent(share, fileId: fileId, span: span)
    }

    /// The headers Get File returns besides the length and range: content headers (with the
    /// default `Content-Type`), SMB properties, metadata, lease and copy state.
    static func downloadHeaders(_ info: NodeInfo, _ context: OperationContext) -> HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(32)  // the headers of a download and the base headers, without regrowing
        // Every name below is added once, so fields are appended without looking for their names.
        FileOperations.addContentHeaders(info.contentHeaders, to: &fields)
        if info.contentHeaders.contentType == nil { fields.add(.contentType, "application/octet-stream") }
        fields.add(.acceptRanges, "bytes")
        Headers.addNodeProperties(info, to: &fields, defaultPermissionKey: context.defaultPermissionKey)
        Headers.addMetadata(info.metadata, to: &fields)
        Headers.addCopyProperties(info, to: &fields)
        fields.add(.msType, "File")
        fields.add(.msServerEncrypted, "true")
        FileOperations.addLeaseHeaders(info.lease, to: &fields)
        return fields
    }

    // MARK: Put Range

    /// `PUT ?comp=range`: `x-ms-write: update` writes the body (at most 4 MiB, `Content-Length`
    /// equal to the range, `Content-MD5` checked) at the range; `clear` turns the range into a hole.
    static func putRange(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        let span = try ByteRange.forWrite(request)
        let mode = try writeMode(request, allowed: ["update", "clear"])
        let preserve = try preserveLastWriteTime(context)
        let share = try context.share()
        let path = request.pathString
        if mode == "clear" {
            if let length = request.header("Content-Length"), length != "0" {
                throw FileRESTError.invalidHeader("Content-Length", length)
            }
            let info = try await share.clear(path, range: span, preserveLastWriteTime: preserve)
            return context.response(.created, writeHeaders(info))
        }
        let structured = try structuredRequest(request)
        guard span.count <= UInt64(chunkBytes) else { throw bodyTooLarge() }
        let bytes = structured ? try await structuredBody(request, contentLength: UInt64(span.count)) : try await rangeBody(request, span: span)
        let md5 = Array(Insecure.MD5.hash(data: bytes))
        try checkMD5(request, computed: md5)
        try checkCRC64(request, bytes)
        let info = try await share.write(path, at: span.lowerBound, bytes, preserveLastWriteTime: preserve)
        var fields = writeHeaders(info)
        fields.set("Content-MD5", Data(md5).base64EncodedString())
        if structured { addStructuredUploadHeaders(&fields, content: bytes) }
        fields.set("x-ms-request-server-encrypted", "true")
        return context.response(.created, fields)
    }

    /// `x-ms-write`, lowercased; it must be one of `allowed`.
    static func writeMode(_ request: FileRequest, allowed: [String]) throws -> String {
        guard let raw = request.header("x-ms-write") else { throw FileRESTError.missingHeader("x-ms-write") }
        guard allowed.contains(raw.lowercased()) else { throw FileRESTError.invalidHeader("x-ms-write", raw) }
        return raw.lowercased()
    }

    /// `x-ms-file-last-write-time: preserve` (version 2021-06-08 and later) keeps the SMB
    /// last-write time; `now` (the default) sets it to the time of the write.
    static func preserveLastWriteTime(_ context: OperationContext) throws -> Bool {
        guard context.version >= "2021-06-08", let raw = context.request.header("x-ms-file-last-write-time") else { return false }
        switch raw.lowercased() {
        case "now": return false
        case "preserve": return true
        default: throw FileRESTError.invalidHeader("x-ms-file-last-write-time", raw)
        }
    }

    /// Reads the body of an update into one buffer of exactly the range's length, refusing a
    /// range over 4 MiB (413), a missing `Content-Length` (411) and one that is not the
    /// range's length (400) before reading anything.
    static func rangeBody(_ request: FileRequest, span: Range<UInt64>) async throws -> [UInt8] {
        guard span.count <= UInt64(chunkBytes) else { throw bodyTooLarge() }
        guard let raw = request.header("Content-Length") else {
            throw FileRESTError(.lengthRequired, "MissingContentLengthHeader", "The Content-Length header was not specified.")
        }
        guard let length = UInt64(raw) else { throw FileRESTError.invalidHeader("Content-Length", raw) }
        guard length <= UInt64(chunkBytes) else { throw bodyTooLarge() }
        guard length == span.count else { throw FileRESTError.invalidHeader("Content-Length", raw) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(length))
        for try await piece in request.body {
            guard bytes.count + piece.count <= Int(length) else { throw incompleteBody() }
            bytes.append(contentsOf: piece)
        }
        guard bytes.count == Int(length) else { throw incompleteBody() }
        return bytes
    }

    static func bodyTooLarge() -> FileRESTError {
        FileRESTError(.contentTooLarge, "RequestBodyTooLarge", "The request body is too large and exceeds the maximum permissible limit.",
                      details: [("MaxLimit", String(chunkBytes))])
    }

    static func incompleteBody() -> FileRESTError {
        FileRESTError(.badRequest, "InvalidInput", "One of the request inputs is not valid. The body's length does not match Content-Length.")
    }

    /// Compares `Content-MD5`, when given, with the MD5 of the body (`Md5Mismatch`, nothing written).
    static func checkMD5(_ request: FileRequest, computed: [UInt8]) throws {
        guard let raw = request.header("Content-MD5") else { return }
        guard let given = Data(base64Encoded: raw), given.count == 16 else {
            throw FileRESTError(.badRequest, "InvalidMd5", "The MD5 value specified in the request is invalid. The MD5 value must be 128 bits and Base64-encoded.")
        }
        guard Array(given) == computed else {
            throw FileRESTError(.badRequest, "Md5Mismatch", "The MD5 value specified in the request did not match with the MD5 value calculated by the server.",
                                details: [("UserSpecifiedMd5", raw), ("ServerCalculatedMd5", Data(computed).base64EncodedString())])
        }
    }

    /// Compares `x-ms-content-crc64`, when given, with the CRC-64 of the body (`Crc64Mismatch`,
    /// nothing written).
    static func checkCRC64(_ request: FileRequest, _ bytes: [UInt8]) throws {
        guard let given = try SourceCRC64Conditions.value(request, "x-ms-content-crc64") else { return }
        let computed = StorageCRC64.checksum(bytes)
        guard given == computed else {
            throw FileRESTError(.badRequest, "Crc64Mismatch", "The CRC64 value specified in the request did not match with the CRC64 value calculated by the server.",
                                details: [("UserSpecifiedCrc64", Data(StorageCRC64.bytes(given)).base64EncodedString()),
                                          ("ServerCalculatedCrc64", Data(StorageCRC64.bytes(computed)).base64EncodedString())])
        }
    }

    /// Headers of a range write: ETag, Last-Modified and the SMB last-write time.
    static func writeHeaders(_ info: NodeInfo) -> HTTPFields {
        var fields = HTTPFields()
        fields.set("ETag", Headers.etag(info.etag))
        fields.set("Last-Modified", Headers.httpDate(info.lastModified))
        fields.set("x-ms-file-last-write-time", info.smb.lastWriteTime.iso8601)
        return fields
    }

    // MARK: Put Range From URL

    /// `PUT ?comp=range` with `x-ms-copy-source`: writes `x-ms-source-range` of a file of this
    /// server (authorized by a SAS on its URL; the request's own Shared Key does not cover the
    /// source, as on Azure) at the range.
    static func putRangeFromURL(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        let span = try ByteRange.forWrite(request)
        _ = try writeMode(request, allowed: ["update"])
        let sourceSpan = try sourceRange(request, length: span.count)
        if let length = request.header("Content-Length"), length != "0" {
            throw FileRESTError.invalidHeader("Content-Length", length)
        }
        guard span.count <= UInt64(chunkBytes) else { throw FileRESTError.invalidHeader("x-ms-range", request.header("x-ms-range") ?? request.header("Range")) }
        let conditions = try SourceCRC64Conditions(request)
        let preserve = try preserveLastWriteTime(context)
        guard let rawSource = request.header("x-ms-copy-source") else { throw FileRESTError.missingHeader("x-ms-copy-source") }
        try CopySource.refuseBearerAuthorization(request)
        let source = try await CopySource.resolve(rawSource, context, sourceAuthorization: true)
        let bytes = try await CopySource.mapSourceErrors { try await source.share.read(source.path, range: sourceSpan) }
        let crc = StorageCRC64.checksum(bytes)
        try conditions.check(crc)
        let info = try await context.share().write(request.pathString, at: span.lowerBound, bytes, preserveLastWriteTime: preserve)
        var fields = writeHeaders(info)
        fields.set("x-ms-content-crc64", Data(StorageCRC64.bytes(crc)).base64EncodedString())
        fields.set("x-ms-request-server-encrypted", "true")
        return context.response(.created, fields)
    }

    /// `x-ms-source-range` (required, both ends), which must be as long as the destination range.
    static func sourceRange(_ request: FileRequest, length: Int) throws -> Range<UInt64> {
        guard let raw = request.header("x-ms-source-range") else { throw FileRESTError.missingHeader("x-ms-source-range") }
        guard let range = ByteRange(raw), let end = range.end, end < ShareStore.maxFileSize, end - range.start + 1 == length else {
            throw FileRESTError.invalidHeader("x-ms-source-range", raw)
        }
        return range.start..<(end + 1)
    }

    /// The CRC-64 conditions Put Range From URL may put on the source bytes.
    struct SourceCRC64Conditions {
        var content: UInt64?
        var ifMatch: UInt64?
        var ifNoneMatch: UInt64?

        init(_ request: FileRequest) throws {
            content = try SourceCRC64Conditions.value(request, "x-ms-source-content-crc64")
            ifMatch = try SourceCRC64Conditions.value(request, "x-ms-source-if-match-crc64")
            ifNoneMatch = try SourceCRC64Conditions.value(request, "x-ms-source-if-none-match-crc64")
            if ifMatch != nil && ifNoneMatch != nil {
                throw FileRESTError(.badRequest, "MultipleConditionHeadersNotSupported", "Multiple condition headers are not supported.")
            }
        }

        static func value(_ request: FileRequest, _ name: String) throws -> UInt64? {
            guard let raw = request.header(name) else { return nil }
            guard let data = Data(base64Encoded: raw), data.count == 8 else { throw FileRESTError.invalidHeader(name, raw) }
            return data.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }

        /// Checks the source bytes' CRC: a content mismatch is `Crc64Mismatch` (400), a failed
        /// match condition `SourceConditionNotMet` (412).
        func check(_ crc: UInt64) throws {
            if let content, content != crc {
                throw FileRESTError(.badRequest, "Crc64Mismatch", "The CRC64 value specified in the request did not match with the CRC64 value calculated by the server.",
                                    details: [("UserSpecifiedCrc64", Data(StorageCRC64.bytes(content)).base64EncodedString()),
                                              ("ServerCalculatedCrc64", Data(StorageCRC64.bytes(crc)).base64EncodedString())])
            }
            if let ifMatch, ifMatch != crc { throw SourceCRC64Conditions.notMet() }
            if let ifNoneMatch, ifNoneMatch == crc { throw SourceCRC64Conditions.notMet() }
        }

        static func notMet() -> FileRESTError {
            FileRESTError(.preconditionFailed, "SourceConditionNotMet", "The source condition specified using HTTP conditional header(s) is not met.")
        }
    }

    // MARK: List Ranges

    /// `GET ?comp=rangelist`: the written ranges of the file (within `x-ms-range`/`Range`), or
    /// with `prevsharesnapshot` the ranges changed (`Range`) and cleared (`ClearRange`) since
    /// that snapshot; `marker`/`maxresults` page the list.
    static func listRanges(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        let requested = try ByteRange.of(request)?.range
        let followRenames = try NodeRequest.bool(request, "x-ms-file-support-rename") ?? false
        let paging = try RangePaging(request)
        let previous = try previousSnapshot(request)
        let share = try context.share()
        let path = request.pathString
        let info = try await NodeRequest.info(context, kind: .file)
        let limit = requested?.clipped(to: info.size) ?? 0..<info.size
        var items: [(range: Range<UInt64>, cleared: Bool)]
        if let previous {
            let diff: RangeDiff
            do {
                diff = try await share.changedRanges(path, since: previous, within: limit, followRenames: followRenames)
            } catch let error as ShareCoreError where error.code == .snapshotNotFound {
                throw FileRESTError(.conflict, "PreviousSnapshotNotFound", "The previous snapshot is not found.")
            } catch let error as ShareCoreError where error.code == .movedSinceSnapshot {
                // As Azure: a file renamed since the snapshot is found there only with
                // x-ms-file-support-rename: true.
                throw FileRESTError(.conflict, "PreviousSnapshotNotFound",
                                    "The file was renamed since the previous snapshot; set x-ms-file-support-rename: true to compare across the rename.")
            }
            items = (diff.changed.map { ($0, false) } + diff.cleared.map { ($0, true) }).sorted { $0.range.lowerBound < $1.range.lowerBound }
        } else {
            items = try await share.ranges(path, within: limit).map { ($0, false) }
        }
        let (page, next) = paging.page(items)
        var xml = XMLWriter(byteOrderMark: true)
        xml.open("Ranges")
        for item in page {
            let name = item.cleared ? "ClearRange" : "Range"
            xml.open(name)
            xml.element("Start", String(item.range.lowerBound))
            xml.element("End", String(item.range.upperBound - 1))
            xml.close(name)
        }
        if paging.isPaged {
            if let next { xml.element("NextMarker", next) } else { xml.empty("NextMarker") }
        }
        xml.close("Ranges")
        var fields = HTTPFields()
        fields.set("ETag", Headers.etag(info.etag))
        fields.set("Last-Modified", Headers.httpDate(info.lastModified))
        fields.set("x-ms-content-length", String(info.size))
        return context.xml(.ok, xml, fields)
    }

    /// `prevsharesnapshot`, which must be a snapshot time.
    static func previousSnapshot(_ request: FileRequest) throws -> String? {
        guard let raw = request.query("prevsharesnapshot") else { return nil }
        guard FileTime(iso8601: raw) != nil else { throw FileRESTError.invalidQuery("prevsharesnapshot", raw) }
        return raw
    }

    /// `marker` (the offset the next page starts at) and `maxresults` of a paged List Ranges.
    struct RangePaging {
        var marker: UInt64?
        var maxResults: Int?
        var isPaged: Bool { marker != nil || maxResults != nil }

        init(_ request: FileRequest) throws {
            if let raw = request.query("maxresults") {
                guard let value = Int(raw) else { throw FileRESTError.invalidQuery("maxresults", raw) }
                guard value > 0 else { throw FileRESTError.outOfRangeQuery("maxresults", raw) }
                maxResults = value
            }
            if let raw = request.query("marker"), !raw.isEmpty {
                guard let value = UInt64(raw) else { throw FileRESTError.invalidQuery("marker", raw) }
                marker = value
            }
        }

        /// The items of this page and the marker of the next (nil: none).
        func page(_ items: [(range: Range<UInt64>, cleared: Bool)]) -> ([(range: Range<UInt64>, cleared: Bool)], String?) {
            let rest = items.filter { $0.range.lowerBound >= (marker ?? 0) }
            guard let maxResults, rest.count > maxResults else { return (rest, nil) }
            return (Array(rest.prefix(maxResults)), String(rest[maxResults].range.lowerBound))
        }
    }
}
