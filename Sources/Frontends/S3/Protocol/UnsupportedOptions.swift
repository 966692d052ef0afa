import Foundation
import HTTPTypes

/// Request headers that ask S3 for a property this front does not give (Object Lock, KMS
/// encryption, other storage classes, website redirects). They are refused before anything
/// changes, so nobody believes they have a property they do not have. (SSE-S3 and SSE-C are
/// applied: ``ObjectEncryption``.)
/// Values that describe exactly what the front does anyway are accepted: `STANDARD` storage,
/// Object Lock disabled, legal hold `OFF`. (ACL headers are applied: ``AccessControlList``;
/// tags and `Expires` are kept: ``TagSet``, ``ObjectExpires``.)
enum UnsupportedOptions {
    /// Storage classes S3 knows, besides `STANDARD`.
    static let otherStorageClasses: Set<String> = ["REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
                                                   "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE"]
    /// Object ownership settings of CreateBucket; with one account all of them mean the same.
    static let objectOwnerships: Set<String> = ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]
    /// Refuses what `request` asks for that `operation` would otherwise ignore.
    static func check(_ request: S3Request, _ operation: S3Operation) throws {
        if [.putObject, .copyObject, .createMultipartUpload].contains(operation) { try checkEncryptionHeaders(request) }
        try refuseCustomerKeys(request, operation)
        if [.putObject, .copyObject, .createMultipartUpload].contains(operation) { try ObjectEncryption.checkManagedOptions { request.header($0) } }
        switch operation {
        case .getObject, .headObject:
            // Reads decrypt as the object says; S3 refuses the header there rather than ignore it.
            if let method = request.header("x-amz-server-side-encryption") {
                throw S3Error.invalidArgument("x-amz-server-side-encryption header is not supported for this operation.",
                                              name: "x-amz-server-side-encryption", value: method)
            }
        case .createBucket:
            // ACL headers are applied (AccessOperations.creationSettings).
            try refuseUnless(request, "x-amz-bucket-object-lock-enabled", accepting: ["false"])
            if let ownership = request.header("x-amz-object-ownership"), !objectOwnerships.contains(ownership) {
                throw S3Error.invalidArgument("Invalid x-amz-object-ownership header: \(ownership)",
                                              name: "x-amz-object-ownership", value: ownership)
            }
        case .putObject, .copyObject, .createMultipartUpload:
            // ACL headers are applied (ObjectACLs.forWrite); SSE-S3 and SSE-C (ObjectEncryption).
            try refuse(request, "x-amz-object-lock-mode")
            try refuse(request, "x-amz-object-lock-retain-until-date")
            try refuseUnless(request, "x-amz-object-lock-legal-hold", accepting: ["OFF"])
            try refuse(request, "x-amz-website-redirect-location")
            try checkStorageClass(request)
        default:
            break
        }
    }

    /// Encryption headers that contradict each other or name no method are `400
    /// InvalidArgument`, as S3 answers, before the question of support arises: an unknown
    /// `x-amz-server-side-encryption`, SSE-C together with it, a KMS key id without `aws:kms`.
    static func checkEncryptionHeaders(_ request: S3Request) throws {
        let method = request.header("x-amz-server-side-encryption")
        if let method, !["AES256", "aws:kms", "aws:kms:dsse"].contains(method) {
            throw S3Error.invalidArgument("The encryption method specified is not supported",
                                          name: "x-amz-server-side-encryption", value: method)
        }
        if method != nil, let algorithm = request.header("x-amz-server-side-encryption-customer-algorithm") {
            throw S3Error.invalidArgument("Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
                                          name: "x-amz-server-side-encryption-customer-algorithm", value: algorithm)
        }
        if let keyId = request.header("x-amz-server-side-encryption-aws-kms-key-id"), !(method?.hasPrefix("aws:kms") ?? false) {
            throw S3Error.invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                                          name: "x-amz-server-side-encryption-aws-kms-key-id", value: keyId)
        }
    }

    /// The operations that take a customer key (`x-amz-server-side-encryption-customer-*`).
    private static let takesKey: Set<S3Operation> = [.getObject, .headObject, .putObject, .copyObject,
                                                     .createMultipartUpload, .uploadPart, .uploadPartCopy,
                                                     .completeMultipartUpload, .getObjectAttributes]
    /// The operations that take a copy source's customer key.
    private static let takesSourceKey: Set<S3Operation> = [.copyObject, .uploadPartCopy]

    /// SSE-C headers on operations that take no key are refused (`InvalidRequest`), so no
    /// client believes a key applied where it did not. The operations that read or write
    /// content take them (``ObjectEncryption``); the copy-source headers only where there is a
    /// copy source.
    static func refuseCustomerKeys(_ request: S3Request, _ operation: S3Operation) throws {
        for field in request.head.headerFields {
            let lower = field.name.canonicalName
            if lower.hasPrefix(ObjectEncryption.copySourcePrefix), !takesSourceKey.contains(operation) {
                throw S3Error.invalidRequest("The \(lower) header applies only to a copy.")
            }
            if lower.hasPrefix(ObjectEncryption.customerPrefix), !takesKey.contains(operation) {
                throw S3Error.invalidRequest("The \(lower) header does not apply to this operation.")
            }
        }
    }

    /// `x-amz-storage-class`: `STANDARD` is what every object here has.
    static func checkStorageClass(_ request: S3Request) throws {
        guard let storageClass = request.header("x-amz-storage-class"), storageClass != "STANDARD" else { return }
        guard otherStorageClasses.contains(storageClass) else {
            throw S3Error(.badRequest, "InvalidStorageClass", "The storage class you specified is not valid",
                          details: [("StorageClassRequested", storageClass)])
        }
        throw notImplemented("x-amz-storage-class")
    }

    static func refuse(_ request: S3Request, _ name: String) throws {
        if request.header(name) != nil { throw notImplemented(name) }
    }

    static func refuseUnless(_ request: S3Request, _ name: String, accepting values: Set<String>) throws {
        guard let value = request.header(name) else { return }
        if !values.contains(value) && !values.contains(value.lowercased()) { throw notImplemented(name) }
    }

    /// S3's answer to a header naming functionality it does not implement.
    static func notImplemented(_ header: String) -> S3Error {
        S3Error(.notImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented.",
                details: [("Header", header)])
    }
}
