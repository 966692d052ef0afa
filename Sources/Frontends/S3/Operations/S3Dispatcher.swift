import FrontKit

/// Runs an operation's handler.
enum S3Dispatcher {
    static func run(_ operation: S3Operation, _ context: S3Context) async throws -> FrontResponse {
        switch operation {
        case .listBuckets: try await BucketOperations.listBuckets(context)
        case .createBucket: try await BucketOperations.createBucket(context)
        case .deleteBucket: try await BucketOperations.deleteBucket(context)
        case .headBucket: try await BucketOperations.headBucket(context)
        case .getBucketLocation: try await BucketOperations.getBucketLocation(context)
        case .getBucketVersioning: try await BucketOperations.getBucketVersioning(context)
        case .getBucketAcl: try await AccessOperations.getBucketAcl(context)
        case .putBucketAcl: try await AccessOperations.putBucketAcl(context)
        case .getObjectAcl: try await AccessOperations.getObjectAcl(context)
        case .putObjectAcl: try await AccessOperations.putObjectAcl(context)
        case .getBucketPolicy, .putBucketPolicy, .deleteBucketPolicy, .getBucketPolicyStatus:
            try await AccessOperations.policy(context)
        case .getPublicAccessBlock, .putPublicAccessBlock, .deletePublicAccessBlock:
            try await AccessOperations.publicAccessBlock(context)
        case .getBucketOwnershipControls, .putBucketOwnershipControls, .deleteBucketOwnershipControls:
            try await AccessOperations.ownershipControls(context)
        case .listObjects: try await ListOperations.listObjects(context, version: 1)
        case .listObjectsV2: try await ListOperations.listObjects(context, version: 2)
        case .listObjectVersions: try await ListOperations.listObjectVersions(context)
        case .listMultipartUploads: try await MultipartOperations.listUploads(context)
        case .deleteObjects: try await DeleteOperations.deleteObjects(context)
        case .getObject: try await ObjectOperations.get(context, head: false)
        case .headObject: try await ObjectOperations.get(context, head: true)
        case .putObject: try await ObjectOperations.put(context)
        case .copyObject: try await CopyOperations.copyObject(context)
        case .deleteObject: try await DeleteOperations.deleteObject(context)
        case .createMultipartUpload: try await MultipartOperations.create(context)
        case .uploadPart: try await MultipartOperations.uploadPart(context)
        case .uploadPartCopy: try await MultipartOperations.uploadPartCopy(context)
        case .completeMultipartUpload: try await MultipartOperations.complete(context)
        case .abortMultipartUpload: try await MultipartOperations.abort(context)
        case .listParts: try await MultipartOperations.listParts(context)
        case .putBucketLifecycleConfiguration: try await LifecycleOperations.put(context)
        case .getBucketLifecycleConfiguration: try await LifecycleOperations.get(context)
        case .deleteBucketLifecycle: try await LifecycleOperations.delete(context)
        case .getObjectAttributes: try await AttributesOperations.get(context)
        case .getObjectTagging: try await TaggingOperations.getObjectTagging(context)
        case .putObjectTagging: try await TaggingOperations.putObjectTagging(context)
        case .deleteObjectTagging: try await TaggingOperations.deleteObjectTagging(context)
        case .getBucketTagging: try await TaggingOperations.getBucketTagging(context)
        case .putBucketTagging: try await TaggingOperations.putBucketTagging(context)
        case .deleteBucketTagging: try await TaggingOperations.deleteBucketTagging(context)
        case .getBucketEncryption: try await EncryptionOperations.get(context)
        case .putBucketEncryption: try await EncryptionOperations.put(context)
        case .deleteBucketEncryption: try await EncryptionOperations.delete(context)
        case .getBucketCors: try await CorsOperations.get(context)
        case .putBucketCors: try await CorsOperations.put(context)
        case .deleteBucketCors: try await CorsOperations.delete(context)
        case .postObject: throw S3Error.methodNotAllowed()  // answered by PostObjectOperation, before the header signature
        }
    }
}
