import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// CopyObject, and the copy source header UploadPartCopy shares with it.
enum CopyOperations {
    /// The object `x-amz-copy-source` names: `bucket/key` or `/bucket/key`, URL-encoded,
    /// optionally with `?versionId=null`.
    struct Source {
        let bucket: ResolvedBucket
        let key: ObjectKey
        let info: NodeInfo
        let etag: String
    }

    /// Resolves and checks the copy source, including the `x-amz-copy-source-if-*` conditions.
    static func source(_ context: S3Context) async throws -> Source {
        guard var text = context.request.header("x-amz-copy-source") else {
            throw S3Error.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                                          name: "x-amz-copy-source", value: "")
        }
        if let question = text.firstIndex(of: "?") {
            let query = text[text.index(after: question)...]
            if query.hasPrefix("versionId="), query.dropFirst("versionId=".count) != "null" {
                throw S3Error(.badRequest, "NoSuchVersion", "The specified version does not exist.")
            }
            text = String(text[..<question])
        }
        guard let decoded = RequestTarget.percentDecode(text) else {
            throw S3Error.invalidArgument("Invalid copy source encoding", name: "x-amz-copy-source", value: text)
        }
        let trimmed = decoded.hasPrefix("/") ? String(decoded.dropFirst()) : decoded
        guard let slash = trimmed.firstIndex(of: "/"), slash != trimmed.startIndex, trimmed.index(after: slash) != trimmed.endIndex else {
            throw S3Error.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                                          name: "x-amz-copy-source", value: text)
        }
        let bucket = try await context.resolve(bucket: String(trimmed[..<slash]))
        let key = try ObjectKey.parse(String(trimmed[trimmed.index(after: slash)...]), base: bucket.base)
        let info = try await ObjectOperations.existing(key, in: bucket)
        guard !info.isDirectory else {
            throw S3Error.invalidRequest("The copy source '\(key.key)' is a directory; only files can be copied.")
        }
        let etag = try await ObjectHeaders.etag(info, share: bucket.share, path: key.path)
        if case .failed(let condition)? = Conditions.evaluate(context.request, etag: etag, lastModified: info.lastModified,
                                                               prefix: "x-amz-copy-source-") {
            throw S3Error.preconditionFailed(condition)
        }
        return Source(bucket: bucket, key: key, info: info, etag: etag)
    }

    /// `PUT` with `x-amz-copy-source`: a copy sharing the source's chunks (no bytes are copied),
    /// with its metadata and content headers (`COPY`, the default) or the request's (`REPLACE`).
    static func copyObject(_ context: S3Context) async throws -> FrontResponse {
        let request = context.request
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        guard !key.isDirectory else {
            throw S3Error.invalidArgument("Object key '\(key.key)' ends with '/', so it names a directory, which cannot be a copy target.",
                                          name: "key", value: key.key)
        }
        let directive = request.header("x-amz-metadata-directive")?.uppercased() ?? "COPY"
        guard directive == "COPY" || directive == "REPLACE" else {
            throw S3Error.invalidArgument("Unknown metadata directive.", name: "x-amz-metadata-directive", value: directive)
        }
        let onlyIfAbsent = try ObjectOperations.ifNoneMatchStar(request)
        let sourceKey = try ObjectEncryption.customerKey(context, prefix: ObjectEncryption.copySourcePrefix)
        let source = try await source(context)
        try ObjectEncryption.checkRead(source.info.encryption, key: sourceKey)
        let (encryption, targetKey) = try await ObjectEncryption.forWrite(context, bucket: bucket)
        // Chunks are shared only when the copy is sealed as its source is; otherwise the bytes
        // are read (decrypted) and written again under the copy's encryption.
        let sameEncryption = encryption == source.info.encryption
        let sameObject = source.bucket.share.name == bucket.share.name && source.key.path == key.path
        if sameObject && directive == "COPY" && sameEncryption {
            throw S3Error.invalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
        }
        var options = CopyOptions()
        if directive == "REPLACE" {
            options.metadata = try ObjectHeaders.metadata(request)
            options.properties.contentHeaders = ObjectHeaders.contentHeaders(request)
        }
        // A copy gets its own ACL (from this request), not the source's; its tags follow the
        // tagging directive.
        options.properties.annotations = try TaggingOperations.copyAnnotations(request, replacingMetadata: directive == "REPLACE")
            .merging(ObjectACLs.writeChanges(context, bucket: bucket.name))
        options.overwrite = !onlyIfAbsent
        options.createParents = true
        try await ObjectOperations.refuseConflicts(key, in: bucket, onlyIfAbsent: onlyIfAbsent, parents: true)
        let info: NodeInfo
        let target = bucket.share.withCustomerKey(targetKey)
        do {
            if sameEncryption {
                info = try await target.copy(from: source.bucket.share, source.key.path, to: key.path, options: options)
            } else {
                info = try await reencryptingCopy(source, sourceKey: sourceKey, to: key, in: target, options: options,
                                                  encryption: encryption)
            }
        } catch {
            throw ObjectOperations.translate(error, key: key, bucket: bucket, onlyIfAbsent: onlyIfAbsent)
        }
        let etag = try await ObjectHeaders.etag(info, share: target, path: key.path)
        var xml = XMLWriter()
        xml.open("CopyObjectResult", ["xmlns": S3XML.namespace])
        xml.element("LastModified", S3XML.timestamp(info.lastModified))
        xml.element("ETag", etag)
        if let stored = info.objectChecksum, let checksum = ChecksumField.decode(stored) {
            xml.element("Checksum" + checksum.algorithm.rawValue, checksum.base64)
        }
        xml.close("CopyObjectResult")
        var fields = HTTPFields()
        fields.set("x-amz-copy-source-version-id", "null")
        ObjectEncryption.addHeaders(info.encryption, to: &fields)
        return context.xml(xml, headers: fields)
    }

    /// A copy encrypted otherwise than its source: the source's bytes are read with its key
    /// and streamed into the new object under `encryption`, which gets the properties a
    /// sharing copy would (`options`: the source's or the request's headers and metadata, the
    /// source's annotations with the request's changes, the source's checksum).
    static func reencryptingCopy(_ source: Source, sourceKey: CustomerKey?, to key: ObjectKey, in target: Share,
                                 options: CopyOptions, encryption: ContentEncryption?) async throws -> NodeInfo {
        let annotations = (options.properties.annotations ?? AnnotationChanges()).applied(to: source.info.annotations)
        let properties = NodeProperties(contentHeaders: options.properties.contentHeaders ?? source.info.contentHeaders,
                                        metadata: options.metadata ?? source.info.metadata,
                                        annotations: AnnotationChanges(setting: annotations.values))
        let checksum = source.info.objectChecksum
        let bytes = FileBytes(share: source.bucket.share.withCustomerKey(sourceKey), fileId: source.info.id,
                              range: 0..<source.info.size)
        return try await target.upload(key.path, from: bytes, properties: properties, overwrite: options.overwrite,
                                       finalize: { _ in NodeProperties(objectChecksum: checksum) },
                                       createParents: options.createParents, encryption: encryption)
    }
}
