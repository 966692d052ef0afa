import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// ListObjects (v1), ListObjectsV2 and ListObjectVersions, over the bucket's directory tree
/// in S3 order (see ``BucketListing``).
enum ListOperations {
    /// The parameters the three listings share.
    struct Parameters {
        var prefix: String
        var delimiter: String?
        var maxKeys: Int
        var encodeURL: Bool
    }

    static func parameters(_ request: S3Request) throws -> Parameters {
        let prefix = request.query("prefix") ?? ""
        let delimiter = request.query("delimiter").flatMap { $0.isEmpty ? nil : $0 }
        var maxKeys = 1000
        if let text = request.query("max-keys") {
            guard let value = Int(text), value >= 0 else {
                throw S3Error.invalidArgument("Provided max-keys not an integer or within integer range",
                                              name: "max-keys", value: text)
            }
            maxKeys = min(value, 1000)
        }
        var encodeURL = false
        if let encoding = request.query("encoding-type") {
            guard encoding.lowercased() == "url" else {
                throw S3Error.invalidArgument("Invalid Encoding Method specified in Request", name: "encoding-type", value: encoding)
            }
            encodeURL = true
        }
        return Parameters(prefix: prefix, delimiter: delimiter, maxKeys: maxKeys, encodeURL: encodeURL)
    }

    /// `value` as the listing writes it: URL-encoded (keeping `/`) when `encoding-type=url` asked.
    static func encoded(_ value: String, _ parameters: Parameters) -> String {
        parameters.encodeURL ? RequestTarget.percentEncode(value, keepSlash: true) : value
    }

    /// `GET /bucket` (v1: `marker`) or `GET /bucket?list-type=2` (v2: `continuation-token`,
    /// `start-after`, `fetch-owner`).
    static func listObjects(_ context: S3Context, version: Int) async throws -> FrontResponse {
        let request = context.request
        let bucket = try await context.bucket()
        let p = try parameters(request)
        var after: String?
        if version == 2 {
            if let t = request.query("continuation-token"), !t.isEmpty {
                guard let decoded = ContinuationToken.decode(t) else {
                    throw S3Error.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: t)
                }
                after = decoded
            } else {
                after = request.query("start-after").flatMap { $0.isEmpty ? nil : $0 }
            }
        } else {
            after = request.query("marker").flatMap { $0.isEmpty ? nil : $0 }
        }
        let page = try await listPage(bucket, p, after: after)
        let fetchOwner = version == 1 || request.query("fetch-owner")?.lowercased() == "true"
        var xml = XMLWriter()
        xml.open("ListBucketResult", ["xmlns": S3XML.namespace])
        xml.element("Name", bucket.name)
        xml.element("Prefix", encoded(p.prefix, p))
        if version == 2 {
            // Echoed as sent, even empty (an empty token means none).
            if let sent = request.query("continuation-token") { xml.element("ContinuationToken", sent) }
            if let startAfter = request.query("start-after") { xml.element("StartAfter", encoded(startAfter, p)) }
            xml.element("KeyCount", String(page.objects.count + page.commonPrefixes.count))
        } else {
            xml.element("Marker", encoded(request.query("marker") ?? "", p))
        }
        xml.element("MaxKeys", String(p.maxKeys))
        if let delimiter = p.delimiter { xml.element("Delimiter", encoded(delimiter, p)) }
        if p.encodeURL { xml.element("EncodingType", "url") }
        xml.element("IsTruncated", page.isTruncated ? "true" : "false")
        if page.isTruncated, let next = page.nextMarker {
            if version == 2 {
                xml.element("NextContinuationToken", ContinuationToken.encode(next))
            } else if p.delimiter != nil {
                // S3 sends NextMarker in v1 only when a delimiter was given.
                xml.element("NextMarker", encoded(next, p))
            }
        }
        for object in page.objects {
            // Up to a thousand of these per page: the fixed tags are written in one step each.
            xml.markup("<Contents><Key>")
            xml.text(encoded(object.key, p))
            xml.markup("</Key><LastModified>")
            S3XML.writeTimestamp(object.properties.lastModified, to: &xml)
            xml.markup("</LastModified>")
            try await writeETag(object, bucket, to: &xml)
            if let stored = object.properties.objectChecksum, let checksum = ChecksumField.decode(stored) {
                xml.element("ChecksumAlgorithm", checksum.algorithm.rawValue)
            }
            xml.markup("<Size>")
            xml.text(decimal: object.isDirectory ? 0 : object.properties.size)
            xml.markup("</Size>")
            if fetchOwner { S3XML.owner(&xml, context.configuration) }
            xml.markup("<StorageClass>STANDARD</StorageClass></Contents>")
        }
        writeCommonPrefixes(page.commonPrefixes, p, to: &xml)
        xml.close("ListBucketResult")
        return context.xml(xml)
    }

    /// `GET /bucket?versions`: every object as its only version, `null`, so that tools that
    /// empty versioned buckets work.
    static func listObjectVersions(_ context: S3Context) async throws -> FrontResponse {
        let request = context.request
        let bucket = try await context.bucket()
        let p = try parameters(request)
        let keyMarker = request.query("key-marker").flatMap { $0.isEmpty ? nil : $0 }
        let page = try await listPage(bucket, p, after: keyMarker)
        var xml = XMLWriter()
        xml.open("ListVersionsResult", ["xmlns": S3XML.namespace])
        xml.element("Name", bucket.name)
        xml.element("Prefix", encoded(p.prefix, p))
        xml.element("KeyMarker", encoded(keyMarker ?? "", p))
        xml.element("VersionIdMarker", request.query("version-id-marker") ?? "")
        if page.isTruncated, let next = page.nextMarker {
            xml.element("NextKeyMarker", encoded(next, p))
            xml.element("NextVersionIdMarker", "null")
        }
        xml.element("MaxKeys", String(p.maxKeys))
        if let delimiter = p.delimiter { xml.element("Delimiter", encoded(delimiter, p)) }
        if p.encodeURL { xml.element("EncodingType", "url") }
        xml.element("IsTruncated", page.isTruncated ? "true" : "false")
        for object in page.objects {
            xml.open("Version")
            xml.element("Key", encoded(object.key, p))
            xml.element("VersionId", "null")
            xml.element("IsLatest", "true")
            xml.markup("<LastModified>")
            S3XML.writeTimestamp(object.properties.lastModified, to: &xml)
            xml.markup("</LastModified>")
            try await writeETag(object, bucket, to: &xml)
            xml.element("Size", decimal: object.isDirectory ? 0 : object.properties.size)
            S3XML.owner(&xml, context.configuration)
            xml.element("StorageClass", "STANDARD")
            xml.close("Version")
        }
        writeCommonPrefixes(page.commonPrefixes, p, to: &xml)
        xml.close("ListVersionsResult")
        return context.xml(xml)
    }

    static func listPage(_ bucket: ResolvedBucket, _ p: Parameters, after: String?) async throws -> ListingPage {
        do {
            return try await BucketListing.page(bucket.share, base: bucket.base, prefix: p.prefix, delimiter: p.delimiter,
                                                after: after, maxKeys: p.maxKeys)
        } catch let error as ShareCoreError {
            if [.resourceNotFound, .parentNotFound, .notADirectory, .shareNotFound].contains(error.code) {
                throw S3Error.noSuchBucket(bucket.name)
            }
            throw S3Error(error, bucket: bucket.name)
        }
    }

    /// Writes an object's `ETag` element: from its known MD5 as bytes, without a string (the
    /// common case: a page of objects PUT whole), otherwise as ``etag(_:_:)`` finds it.
    static func writeETag(_ object: ListedObject, _ bucket: ResolvedBucket, to xml: inout XMLWriter) async throws {
        if !object.isDirectory, object.properties.objectETag == nil, let md5 = object.md5 {
            xml.markup("<ETag>\"")
            xml.text(hex: md5)
            xml.markup("\"</ETag>")
        } else {
            xml.element("ETag", try await etag(object, bucket))
        }
    }

    /// An object's ETag in a listing; a file deleted since it was listed keeps an empty ETag.
    static func etag(_ object: ListedObject, _ bucket: ResolvedBucket) async throws -> String {
        if object.isDirectory { return ObjectHeaders.emptyETag }
        if let etag = object.properties.objectETag { return "\"" + etag + "\"" }
        if let md5 = object.md5 { return "\"" + ObjectHeaders.hex(md5) + "\"" }
        let path = bucket.base.isEmpty ? object.key : bucket.base + "/" + object.key
        do {
            return try await ObjectHeaders.etag(try object.properties.info, share: bucket.share, path: path)
        } catch let error as ShareCoreError where [.resourceNotFound, .parentNotFound, .notAFile, .notADirectory].contains(error.code) {
            return ObjectHeaders.emptyETag
        }
    }

    static func writeCommonPrefixes(_ prefixes: [String], _ p: Parameters, to xml: inout XMLWriter) {
        for prefix in prefixes {
            xml.open("CommonPrefixes")
            xml.element("Prefix", encoded(prefix, p))
            xml.close("CommonPrefixes")
        }
    }
}

/// The opaque `continuation-token` of ListObjectsV2: the last key or prefix returned, base64.
enum ContinuationToken {
    static func encode(_ last: String) -> String { Data(last.utf8).base64EncodedString() }

    static func decode(_ token: String) -> String? {
        guard let data = Data(base64Encoded: token), !data.isEmpty else { return nil }
        return String(data: data, encoding: .utf8)
    }
}
