import Foundation
import ShareCore

/// Object ACLs, kept as the object's file annotation `s3.acl` (the engine's per-item values,
/// which follow the file through renames, snapshots and restores and vanish with it). An
/// object without one is private to the account; a write always sets or clears it, as a PUT
/// in S3 replaces the object's ACL.
enum ObjectACLs {
    /// The annotation name.
    static let annotation = "s3.acl"

    /// The ACL stored with an object, or the account's private ACL.
    static func acl(of info: NodeInfo, accountId: String) -> AccessControlList {
        guard let bytes = info.annotations[annotation],
              let acl = try? JSONDecoder().decode(AccessControlList.self, from: Data(bytes)) else {
            return .ownerOnly(accountId)
        }
        return acl
    }

    /// The annotation change that gives an object `acl` (cleared when it is the default).
    static func changes(for acl: AccessControlList, accountId: String) throws -> AnnotationChanges {
        var changes = AnnotationChanges()
        if acl == .ownerOnly(accountId) {
            changes.remove(annotation)
        } else {
            changes.set(annotation, Array(try JSONEncoder().encode(acl)))
        }
        return changes
    }

    /// The ACL an object written by this request gets (PutObject, CopyObject,
    /// CreateMultipartUpload): from `x-amz-acl` or `x-amz-grant-*`, else private to its owner.
    /// The owner is the writer (`ObjectWriter`, the default), or the account when ACLs are
    /// disabled (`BucketOwnerEnforced`), when `BucketOwnerPreferred` meets
    /// `bucket-owner-full-control`, or for an anonymous writer.
    /// `lookup` gives the ACL headers' values (default: the request's headers; a browser form
    /// upload passes its fields).
    static func forWrite(_ context: S3Context, bucket: String,
                         lookup: ((String) -> String?)? = nil) throws -> AccessControlList {
        let request = context.request
        let lookup = lookup ?? { request.header($0) }
        let settings = try context.store.bucketAccess(bucket)
        let accountId = context.identities.account.canonicalId
        var ownerId = context.requester?.canonicalId ?? accountId
        let canned = lookup("x-amz-acl")
        if settings.aclsDisabled
            || (settings.objectOwnership == "BucketOwnerPreferred" && canned == "bucket-owner-full-control") {
            ownerId = accountId
        }
        let requested = try AccessControlList.fromHeaders(lookup: lookup, ownerId: ownerId, bucketOwnerId: accountId,
                                                          identities: context.identities)
        if settings.aclsDisabled {
            // Only no ACL or the bucket owner's full control is accepted (not even `private`).
            if let canned, canned != "bucket-owner-full-control" { throw AccessOperations.aclNotSupported() }
            let ownerOnly = requested?.grants.allSatisfy { grant in
                grant.permission == .fullControl && grant.grantee == .user(id: accountId)
            } ?? true
            guard ownerOnly else { throw AccessOperations.aclNotSupported() }
            return .ownerOnly(accountId)
        }
        if let requested, requested.isPublic, settings.publicAccessBlock?.blockPublicAcls == true {
            throw S3Error.accessDenied()
        }
        return requested ?? .ownerOnly(ownerId)
    }

    /// ``forWrite(_:bucket:)`` as the annotation change to make with the write.
    static func writeChanges(_ context: S3Context, bucket: String,
                             lookup: ((String) -> String?)? = nil) throws -> AnnotationChanges {
        try changes(for: forWrite(context, bucket: bucket, lookup: lookup), accountId: context.identities.account.canonicalId)
    }
}
