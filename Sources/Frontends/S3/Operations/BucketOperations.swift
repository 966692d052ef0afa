import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation and
/// GetBucketVersioning (ACLs and policies: ``AccessOperations``).
enum BucketOperations {
    /// `GET /`: every share and every mapped bucket, by name.
    static func listBuckets(_ context: S3Context) async throws -> FrontResponse {
        var buckets: [(name: String, created: FileTime)] = []
        var marker: String?
        repeat {
            let page = try await context.store.listShares(marker: marker)
            for share in page.shares where share.snapshot == nil {
                buckets.append((share.name, share.created))
            }
            marker = page.nextMarker
        } while marker != nil
        for mapping in try await context.store.bucketMappings() {
            buckets.append((mapping.name, mapping.created))
        }
        // The account owns every bucket; another identity owns none.
        if context.requester?.isAccount != true { buckets = [] }
        buckets.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        // Optional paging (`max-buckets`, `continuation-token`) and filtering (`prefix`).
        let request = context.request
        let prefix = request.query("prefix") ?? ""
        var maxBuckets = 10_000
        if let text = request.query("max-buckets") {
            guard let value = Int(text), (1...10_000).contains(value) else {
                throw S3Error.invalidArgument("max-buckets must be an integer from 1 to 10000", name: "max-buckets", value: text)
            }
            maxBuckets = value
        }
        var after: String?
        if let token = request.query("continuation-token") {
            guard let decoded = ContinuationToken.decode(token) else {
                throw S3Error.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: token)
            }
            after = decoded
        }
        buckets = buckets.filter { bucket in
            bucket.name.hasPrefix(prefix) && (after.map { Array($0.utf8).lexicographicallyPrecedes(Array(bucket.name.utf8)) } ?? true)
        }
        let truncated = buckets.count > maxBuckets
        buckets = Array(buckets.prefix(maxBuckets))
        var xml = XMLWriter()
        xml.open("ListAllMyBucketsResult", ["xmlns": S3XML.namespace])
        S3XML.owner(&xml, context.configuration)
        if truncated, let last = buckets.last { xml.element("ContinuationToken", ContinuationToken.encode(last.name)) }
        if request.query("prefix") != nil { xml.element("Prefix", prefix) }
        xml.open("Buckets")
        for bucket in buckets {
            xml.open("Bucket")
            xml.element("Name", bucket.name)
            xml.element("CreationDate", S3XML.timestamp(bucket.created))
            xml.close("Bucket")
        }
        xml.close("Buckets")
        xml.close("ListAllMyBucketsResult")
        return context.xml(xml)
    }

    /// `PUT /bucket`: creates a case-sensitive share of that name. A name S3 allows but a share cannot have
    /// (dots, double hyphens) is `InvalidBucketName`.
    static func createBucket(_ context: S3Context) async throws -> FrontResponse {
        let name = context.request.bucket ?? ""
        guard BucketName.isValid(name) else { throw S3Error.invalidBucketName(name) }
        // The body, if any, is a CreateBucketConfiguration naming a region: any region is accepted.
        let body = try await context.request.front.body.collect(upTo: 64 << 10)
        if !body.isEmpty, FrontKit.XMLElement.parse(body) == nil { throw S3Error.malformedXML() }
        if try await context.store.bucketMapping(name) != nil { return try alreadyOwned(name, context) }
        // Its ACL and ownership settings, if the request gives any, are kept with the share.
        var records: RecordChanges?
        if let access = try AccessOperations.creationSettings(context) {
            let bytes = try access.encode()
            records = { @Sendable writer in
                try writer.put(BucketAccessSettings.table, Array(name.utf8), bytes, owner: name, claimingShareName: nil)
            }
        }
        do {
            // Keys that differ only in case are different objects in S3: a bucket made through
            // S3 is a case-sensitive share, so no write silently replaces another key's file.
            _ = try await context.store.createShare(name, options: ShareOptions(caseSensitive: true), records: records)
        } catch let error as ShareCoreError {
            switch error.code {
            case .shareAlreadyExists: return try alreadyOwned(name, context)
            case .invalidShareName:
                throw S3Error(.badRequest, "InvalidBucketName",
                              "The specified bucket is not valid: a bucket here is a file share, whose name has 3 to 63 lowercase letters, digits and single hyphens.",
                              details: [("BucketName", name)])
            default: throw S3Error(error, bucket: name)
            }
        }
        var fields = HTTPFields()
        fields.set("Location", "/" + name)
        fields[.contentLength] = "0"
        return FrontResponse(status: .ok, headers: fields)
    }

    /// Re-creating one's own bucket: S3 answers 200 (contents kept) in us-east-1, for legacy
    /// compatibility, and `BucketAlreadyOwnedByYou` in every other region. Every bucket is the
    /// account's, so for another identity the name is taken: `409 BucketAlreadyExists`.
    static func alreadyOwned(_ name: String, _ context: S3Context) throws -> FrontResponse {
        guard context.requester?.isAccount ?? false else {
            throw S3Error(.conflict, "BucketAlreadyExists",
                          "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
                          details: [("BucketName", name)])
        }
        guard context.configuration.region == "us-east-1" else {
            throw S3Error(.conflict, "BucketAlreadyOwnedByYou",
                          "Your previous request to create the named bucket succeeded and you already own it.",
                          details: [("BucketName", name)])
        }
        var fields = HTTPFields()
        fields.set("Location", "/" + name)
        fields[.contentLength] = "0"
        return FrontResponse(status: .ok, headers: fields)
    }

    /// `DELETE /bucket`: deletes the share when it has no files, directories or snapshots;
    /// for a mapped bucket, removes the mapping when its directory is empty (the directory stays).
    /// Multipart uploads in progress are discarded with the bucket, as S3 does.
    static func deleteBucket(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let page = try await bucket.share.list(bucket.base, maxResults: 1)
        guard page.entries.isEmpty else {
            throw S3Error(.conflict, "BucketNotEmpty", "The bucket you tried to delete is not empty",
                          details: [("BucketName", bucket.name)])
        }
        do {
            if bucket.isMapped {
                // Uploads in progress go with the bucket, as in S3 (deleting a share drops its own).
                for (_, upload) in try await MultipartOperations.uploads(in: bucket) {
                    try? await bucket.share.abortMultipartUpload(upload.id)
                }
                try await context.store.removeBucket(bucket.name)
            } else {
                try await context.store.deleteShare(bucket.name)
            }
        } catch let error as ShareCoreError {
            throw S3Error(error, bucket: bucket.name)
        }
        return FrontResponse(status: .noContent)
    }

    /// `HEAD /bucket`.
    static func headBucket(_ context: S3Context) async throws -> FrontResponse {
        _ = try await context.bucket()
        var fields = HTTPFields()
        fields.set("x-amz-bucket-region", context.configuration.region)
        fields[.contentLength] = "0"
        return FrontResponse(status: .ok, headers: fields)
    }

    /// `GET /bucket?location`.
    static func getBucketLocation(_ context: S3Context) async throws -> FrontResponse {
        _ = try await context.bucket()
        var xml = XMLWriter()
        // us-east-1 is written as an empty constraint, as S3 does.
        let region = context.configuration.region == "us-east-1" ? "" : context.configuration.region
        xml.element("LocationConstraint", region, ["xmlns": S3XML.namespace])
        return context.xml(xml)
    }

    /// `GET /bucket?versioning`: versioning is never enabled (objects have only a null version).
    static func getBucketVersioning(_ context: S3Context) async throws -> FrontResponse {
        _ = try await context.bucket()
        var xml = XMLWriter()
        xml.open("VersioningConfiguration", ["xmlns": S3XML.namespace])
        xml.close("VersioningConfiguration")
        return context.xml(xml)
    }
}

/// S3's bucket naming rules (general purpose buckets).
enum BucketName {
    /// 3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending with
    /// a letter or digit, no two adjacent dots, not shaped like an IP address.
    static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        for b in bytes where !(alnum(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")) { return false }
        if name.contains("..") { return false }
        let parts = name.split(separator: ".")
        if parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) { return false }
        return true
    }
}
