import FrontKit
import HTTPTypes
import ShareCore

/// Put/Get/DeleteBucketLifecycleConfiguration, and the `x-amz-expiration` and
/// `x-amz-abort-date` headers that tell clients when a rule acts on an object or upload.
enum LifecycleOperations {
    /// `PUT ?lifecycle`: validates the whole configuration, then replaces the bucket's.
    static func put(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        if let size = context.request.header("x-amz-transition-default-minimum-object-size"),
           size != "all_storage_classes_128K" {
            guard size == "varies_by_storage_class" else {
                throw S3Error.invalidArgument("Invalid value for x-amz-transition-default-minimum-object-size",
                                              name: "x-amz-transition-default-minimum-object-size", value: size)
            }
            throw UnsupportedOptions.notImplemented("x-amz-transition-default-minimum-object-size")
        }
        let (body, _) = try S3Payload.open(context.request, auth: context.auth, computeMD5: false)
        let bytes = try await body.collect(upTo: 2 << 20)
        guard let root = FrontKit.XMLElement.parse(bytes) else { throw S3Error.malformedXML() }
        let configuration = try LifecycleXML.parse(root)
        try await LifecycleStore.put(configuration, for: bucket, in: context.store)
        var fields = HTTPFields()
        fields.set("x-amz-transition-default-minimum-object-size", "all_storage_classes_128K")
        fields[.contentLength] = "0"
        return FrontResponse(status: .ok, headers: fields)
    }

    /// `GET ?lifecycle`: the configuration (`NoSuchLifecycleConfiguration` when there is none).
    static func get(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        guard let configuration = try LifecycleStore.configuration(of: bucket, in: context.store) else {
            throw S3Error(.notFound, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist",
                          details: [("BucketName", bucket.name)])
        }
        var fields = HTTPFields()
        fields.set("x-amz-transition-default-minimum-object-size", "all_storage_classes_128K")
        return context.xml(LifecycleXML.render(configuration), headers: fields)
    }

    /// `DELETE ?lifecycle`: 204 whether or not there was a configuration, as S3 answers.
    static func delete(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        try await LifecycleStore.delete(bucket: bucket.name, in: context.store)
        return FrontResponse(status: .noContent)
    }

    /// Adds `x-amz-expiration: expiry-date="…", rule-id="…"` when an enabled rule of the
    /// bucket will expire the object `key` (relative to the bucket) described by `info`.
    static func addExpiration(_ fields: inout HTTPFields, bucket: ResolvedBucket, key: String, info: NodeInfo,
                              store: ShareStore) {
        guard let configuration = try? LifecycleStore.configuration(of: bucket, in: store),
              let (seconds, rule) = configuration.expiration(key: key, size: info.isDirectory ? 0 : info.size,
                                                             lastModified: info.lastModified,
                                                             tags: LifecycleConfiguration.tags(info)) else { return }
        fields.set("x-amz-expiration", "expiry-date=\"\(HTTPDate.format(secondsSince1970: seconds))\", rule-id=\"\(rule)\"")
    }

    /// Adds `x-amz-abort-date` and `x-amz-abort-rule-id` when an enabled rule of the bucket
    /// will abort an upload of `key` initiated at `initiated`.
    static func addAbortDate(_ fields: inout HTTPFields, bucket: ResolvedBucket, key: String, initiated: FileTime,
                             store: ShareStore) {
        guard let configuration = try? LifecycleStore.configuration(of: bucket, in: store),
              let (seconds, rule) = configuration.abortDate(key: key, initiated: initiated) else { return }
        fields.set("x-amz-abort-date", HTTPDate.format(secondsSince1970: seconds))
        fields.set("x-amz-abort-rule-id", rule)
    }
}
