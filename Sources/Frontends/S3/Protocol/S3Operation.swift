import HTTPTypes

/// The S3 operations the front serves, told apart by method, bucket, key and sub-resource.
enum S3Operation: String, Sendable {
    case listBuckets
    case createBucket, deleteBucket, headBucket, getBucketLocation, getBucketVersioning, getBucketAcl
    case listObjects, listObjectsV2, listObjectVersions, listMultipartUploads, deleteObjects
    case getObject, headObject, putObject, copyObject, deleteObject, getObjectAcl
    case createMultipartUpload, uploadPart, uploadPartCopy, completeMultipartUpload, abortMultipartUpload, listParts
    case putBucketLifecycleConfiguration, getBucketLifecycleConfiguration, deleteBucketLifecycle
    case getObjectAttributes
    case getObjectTagging, putObjectTagging, deleteObjectTagging, getBucketTagging, putBucketTagging, deleteBucketTagging
    case getBucketCors, putBucketCors, deleteBucketCors
    case getBucketEncryption, putBucketEncryption, deleteBucketEncryption
    /// A browser form upload (`POST /bucket`, multipart/form-data), signed by its form fields.
    case postObject
    // Access control (Operations/AccessOperations.swift).
    case putBucketAcl, putObjectAcl, getBucketPolicy, putBucketPolicy, deleteBucketPolicy, getBucketPolicyStatus
    case getPublicAccessBlock, putPublicAccessBlock, deletePublicAccessBlock
    case getBucketOwnershipControls, putBucketOwnershipControls, deleteBucketOwnershipControls

    /// Bucket sub-resources S3 has that this front does not serve (answered `NotImplemented`).
    static let unsupportedBucketResources: Set<String> = [
        "accelerate", "analytics", "intelligent-tiering", "inventory",
        "logging", "metrics", "notification", "object-lock", "replication", "requestPayment", "website", "select", "restore",
        "legal-hold", "retention", "torrent",
    ]

    /// The operation `request` asks for.
    static func classify(_ request: S3Request) throws -> S3Operation {
        let method = request.method
        guard request.bucket != nil else {
            guard method == .get || method == .head else { throw S3Error.methodNotAllowed() }
            return .listBuckets
        }
        if let unsupported = request.target.query.first(where: { unsupportedBucketResources.contains($0.name) }) {
            throw S3Error.notImplemented("The '\(unsupported.name)' sub-resource is not implemented by this server.")
        }
        if request.key == nil, request.has("lifecycle") {
            return try byMethod(method, get: .getBucketLifecycleConfiguration, put: .putBucketLifecycleConfiguration,
                                delete: .deleteBucketLifecycle)
        }
        if request.has("attributes") {
            guard request.key != nil, method == .get else { throw S3Error.methodNotAllowed() }
            return .getObjectAttributes
        }
        if let tagging = try taggingOperation(request) { return tagging }
        if request.key == nil, let access = classifyAccess(request) { return access }
        if request.key == nil, request.has("encryption") {
            return try byMethod(method, get: .getBucketEncryption, put: .putBucketEncryption, delete: .deleteBucketEncryption)
        }
        if request.key == nil, request.has("cors") {
            return try byMethod(method, get: .getBucketCors, put: .putBucketCors, delete: .deleteBucketCors)
        }
        if request.key == nil {
            switch method {
            case .get:
                if request.has("location") { return .getBucketLocation }
                if request.has("versioning") { return .getBucketVersioning }
                if request.has("acl") { return .getBucketAcl }
                if request.has("uploads") { return .listMultipartUploads }
                if request.has("versions") { return .listObjectVersions }
                if request.query("list-type") == "2" { return .listObjectsV2 }
                return .listObjects
            case .put:
                if request.has("versioning") {
                    throw S3Error.notImplemented("Setting bucket versioning is not implemented by this server.")
                }
                return .createBucket
            case .head: return .headBucket
            case .delete: return .deleteBucket
            case .post:
                if request.has("delete") { return .deleteObjects }
                return .postObject
            default: throw S3Error.methodNotAllowed()
            }
        }
        switch method {
        case .get:
            if request.has("uploadId") { return .listParts }
            if request.has("acl") { return .getObjectAcl }
            return .getObject
        case .head: return .headObject
        case .put:
            if request.has("acl") { return .putObjectAcl }
            if request.has("uploadId") || request.has("partNumber") {
                return request.header("x-amz-copy-source") != nil ? .uploadPartCopy : .uploadPart
            }
            return request.header("x-amz-copy-source") != nil ? .copyObject : .putObject
        case .delete:
            return request.has("uploadId") ? .abortMultipartUpload : .deleteObject
        case .post:
            if request.has("uploads") { return .createMultipartUpload }
            if request.has("uploadId") { return .completeMultipartUpload }
            throw S3Error.methodNotAllowed()
        default:
            throw S3Error.methodNotAllowed()
        }
    }

    /// The `?tagging` operations of a bucket or an object; nil without `tagging`.
    static func taggingOperation(_ request: S3Request) throws -> S3Operation? {
        guard request.has("tagging") else { return nil }
        if request.key != nil {
            return try byMethod(request.method, get: .getObjectTagging, put: .putObjectTagging, delete: .deleteObjectTagging)
        }
        return try byMethod(request.method, get: .getBucketTagging, put: .putBucketTagging, delete: .deleteBucketTagging)
    }

    /// The operation of a sub-resource that answers GET, PUT and DELETE; `MethodNotAllowed`
    /// for any other method.
    static func byMethod(_ method: HTTPRequest.Method, get: S3Operation, put: S3Operation,
                         delete: S3Operation) throws -> S3Operation {
        switch method {
        case .get: get
        case .put: put
        case .delete: delete
        default: throw S3Error.methodNotAllowed()
        }
    }

    /// The bucket access-control sub-resources: `?acl` (PUT), `?policy`, `?policyStatus`,
    /// `?publicAccessBlock`, `?ownershipControls`; nil for anything else.
    static func classifyAccess(_ request: S3Request) -> S3Operation? {
        switch request.method {
        case .get:
            if request.has("policy") { return .getBucketPolicy }
            if request.has("policyStatus") { return .getBucketPolicyStatus }
            if request.has("publicAccessBlock") { return .getPublicAccessBlock }
            if request.has("ownershipControls") { return .getBucketOwnershipControls }
        case .put:
            if request.has("acl") { return .putBucketAcl }
            if request.has("policy") { return .putBucketPolicy }
            if request.has("publicAccessBlock") { return .putPublicAccessBlock }
            if request.has("ownershipControls") { return .putBucketOwnershipControls }
        case .delete:
            if request.has("policy") { return .deleteBucketPolicy }
            if request.has("publicAccessBlock") { return .deletePublicAccessBlock }
            if request.has("ownershipControls") { return .deleteBucketOwnershipControls }
        default: break
        }
        return nil
    }
}
