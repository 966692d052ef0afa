import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// Put/Get/DeleteObjectTagging and Put/Get/DeleteBucketTagging, and the tags and `Expires`
/// a write gives a new object.
enum TaggingOperations {
    // MARK: Objects

    /// `GET /bucket/key?tagging`: the object's tag set (empty when it has none).
    static func getObjectTagging(_ context: S3Context) async throws -> FrontResponse {
        try refuseVersions(context.request)
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        let info = try await ObjectOperations.existing(key, in: bucket)
        return context.xml(TagSet(info).document)
    }

    /// `PUT /bucket/key?tagging`: replaces the object's tag set (an empty set removes it). The
    /// object's ETag and Last-Modified stay, as in S3.
    static func putObjectTagging(_ context: S3Context) async throws -> FrontResponse {
        try refuseVersions(context.request)
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        let tags = try TagSet.parse(xml: try await document(context), limit: TagSet.objectLimit)
        try await annotate(key, in: bucket, tags.annotationChange)
        return FrontResponse(status: .ok, headers: [.contentLength: "0"])
    }

    /// `DELETE /bucket/key?tagging`: removes the object's tag set; 204.
    static func deleteObjectTagging(_ context: S3Context) async throws -> FrontResponse {
        try refuseVersions(context.request)
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        try await annotate(key, in: bucket, TagSet().annotationChange)
        return FrontResponse(status: .noContent)
    }

    /// Changes the annotations of the object `key` names (`NoSuchKey` when there is none).
    static func annotate(_ key: ObjectKey, in bucket: ResolvedBucket, _ changes: AnnotationChanges) async throws {
        let info = try await ObjectOperations.existing(key, in: bucket)
        do {
            try await bucket.share.annotate(key.path, changes, kind: info.kind)
        } catch let error as ShareCoreError {
            if [.resourceNotFound, .parentNotFound, .notADirectory, .notAFile].contains(error.code) {
                throw S3Error.noSuchKey(key.key)
            }
            throw S3Error(error, bucket: bucket.name, key: key.key)
        }
    }

    /// Objects have only the null version here: another `versionId` names nothing.
    static func refuseVersions(_ request: S3Request) throws {
        if let version = request.query("versionId"), version != "null" {
            throw S3Error.invalidArgument("Invalid version id specified", name: "versionId", value: version)
        }
    }

    /// The tagging document of a Put request, its body checked (`Content-MD5`, checksums,
    /// signature) before it is parsed; `MalformedXML` when it is not XML.
    static func document(_ context: S3Context) async throws -> FrontKit.XMLElement {
        let (body, _) = try S3Payload.open(context.request, auth: context.auth, computeMD5: false)
        let bytes = try await body.collect(upTo: 256 << 10)
        guard let root = FrontKit.XMLElement.parse(bytes) else { throw S3Error.malformedXML() }
        return root
    }

    // MARK: New objects

    /// The annotations PutObject, CopyObject (with `REPLACE` directives) and
    /// CreateMultipartUpload give a new object: the `x-amz-tagging` header's tags and the
    /// `Expires` header, as sent.
    static func newObjectAnnotations(_ request: S3Request) throws -> AnnotationChanges {
        try tagsFromHeader(request).merging(ObjectExpires.change(request))
    }

    /// The tags of `x-amz-tagging` (none without the header), as an annotation change.
    static func tagsFromHeader(_ request: S3Request) throws -> AnnotationChanges {
        guard let header = request.header("x-amz-tagging") else { return TagSet().annotationChange }
        return try TagSet.parse(header: header).annotationChange
    }

    /// CopyObject's annotations: the source's tags unless `x-amz-tagging-directive` is
    /// `REPLACE` (then the request's), and the source's `Expires` unless
    /// `x-amz-metadata-directive` is `REPLACE` (then the request's). An unknown directive is
    /// `InvalidArgument`.
    static func copyAnnotations(_ request: S3Request, replacingMetadata: Bool) throws -> AnnotationChanges {
        let directive = request.header("x-amz-tagging-directive")?.uppercased() ?? "COPY"
        guard directive == "COPY" || directive == "REPLACE" else {
            throw S3Error.invalidArgument("Unknown tagging directive.", name: "x-amz-tagging-directive", value: directive)
        }
        var changes = AnnotationChanges()
        if directive == "REPLACE" { changes = try tagsFromHeader(request) }
        if replacingMetadata { changes = changes.merging(ObjectExpires.change(request)) }
        return changes
    }

    /// The headers GET and HEAD add for an object's tags and `Expires`.
    static func addHeaders(_ info: NodeInfo, to fields: inout HTTPFields, overrides request: S3Request?) {
        let tags = TagSet(info)
        if !tags.isEmpty { fields.set("x-amz-tagging-count", String(tags.count)) }
        if request?.query("response-expires") == nil, let expires = ObjectExpires.value(info) { fields.set("Expires", expires) }
    }

    // MARK: Buckets

    /// `GET /bucket?tagging`: the bucket's tag set; `NoSuchTagSet` (404) when it has none.
    static func getBucketTagging(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        guard let tags = try await BucketTags.get(bucket.name, in: context.store) else {
            throw S3Error(.notFound, "NoSuchTagSet", "The TagSet does not exist", details: [("BucketName", bucket.name)])
        }
        return context.xml(tags.document)
    }

    /// `PUT /bucket?tagging`: replaces the bucket's tag set (at most 50 tags; an empty set
    /// removes it). 204, as S3's sample shows.
    static func putBucketTagging(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let tags = try TagSet.parse(xml: try await document(context), limit: TagSet.bucketLimit)
        try await BucketTags.set(tags, bucket: bucket.name, share: bucket.share.name, in: context.store)
        return FrontResponse(status: .noContent)
    }

    /// `DELETE /bucket?tagging`: removes the bucket's tag set; 204.
    static func deleteBucketTagging(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        try await BucketTags.set(TagSet(), bucket: bucket.name, share: bucket.share.name, in: context.store)
        return FrontResponse(status: .noContent)
    }
}
