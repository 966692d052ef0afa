import Foundation
import ShareCore

/// A bucket's public access block (`PutPublicAccessBlock`): four switches, all off by default.
struct PublicAccessBlock: Sendable, Equatable, Codable {
    /// Refuse requests that set public ACLs (403 `AccessDenied`).
    var blockPublicAcls = false
    /// Public ACL grants count for nothing.
    var ignorePublicAcls = false
    /// Refuse PutBucketPolicy of a public policy (403 `AccessDenied`).
    var blockPublicPolicy = false
    /// With a public policy, only the account may use the bucket.
    var restrictPublicBuckets = false
}

/// A bucket's access settings, as the S3 front keeps them: its ACL, policy, public access
/// block and object ownership. A bucket without a record has the defaults: a private ACL owned
/// by the account, no policy, no block, ACLs enabled (`ObjectWriter`).
///
/// One record per bucket (table `s3.bucket-access`, keyed by bucket name), owned by the share
/// the bucket lives in, so deleting the share (or the bucket) deletes it.
struct BucketAccessSettings: Sendable, Equatable, Codable {
    /// The bucket ACL; nil: private, owned by the account.
    var acl: AccessControlList?
    /// The bucket policy document as given; nil: none.
    var policy: String?
    /// The public access block; nil: none.
    var publicAccessBlock: PublicAccessBlock?
    /// `BucketOwnerEnforced`, `BucketOwnerPreferred` or `ObjectWriter`; nil: none set.
    var objectOwnership: String?

    /// The record table.
    static let table = RecordTable("s3.bucket-access")

    /// Whether ACLs are disabled (`BucketOwnerEnforced`): they are not evaluated, and requests
    /// that set anything but owner-only ACLs are `AccessControlListNotSupported`.
    var aclsDisabled: Bool { objectOwnership == "BucketOwnerEnforced" }

    /// The ACL in force, for a bucket owned by `ownerId`.
    func effectiveACL(ownerId: String) -> AccessControlList { acl ?? .ownerOnly(ownerId) }

    /// Whether nothing differs from the defaults (such a record need not be kept).
    var isDefault: Bool { acl == nil && policy == nil && publicAccessBlock == nil && objectOwnership == nil }

    func encode() throws -> [UInt8] { Array(try JSONEncoder().encode(self)) }

    init(acl: AccessControlList? = nil, policy: String? = nil, publicAccessBlock: PublicAccessBlock? = nil,
         objectOwnership: String? = nil) {
        self.acl = acl
        self.policy = policy
        self.publicAccessBlock = publicAccessBlock
        self.objectOwnership = objectOwnership
    }

    init(stored bytes: [UInt8], bucket: String) throws(ShareCoreError) {
        do {
            self = try JSONDecoder().decode(BucketAccessSettings.self, from: Data(bytes))
        } catch {
            throw ShareCoreError(.dataCorrupted, "the access settings of bucket '\(bucket)' are malformed")
        }
    }

    /// Checks a stored record for `sharecore check`.
    static let verifier: RecordVerifier = { key, value in
        let name = String(decoding: key, as: UTF8.self)
        try ShareStore.validateBucketName(name)
        _ = try BucketAccessSettings(stored: value, bucket: name)
    }
}

extension ShareStore {
    /// The access settings of bucket `name` (the defaults when none are stored).
    func bucketAccess(_ name: String) throws -> BucketAccessSettings {
        try bucketRecords(name).access.get()
    }

    /// Changes the access settings of bucket `name`, which lives in share `share`, in one
    /// transaction; `change` may throw to change nothing.
    func updateBucketAccess(_ name: String, share: String,
                            _ change: @escaping @Sendable (inout BucketAccessSettings) throws -> Void) async throws {
        try await writeRecords { records in
            let key = Array(name.utf8)
            var settings = try records.get(BucketAccessSettings.table, key)
                .map { try BucketAccessSettings(stored: $0, bucket: name) } ?? BucketAccessSettings()
            try change(&settings)
            if settings.isDefault {
                _ = try records.delete(BucketAccessSettings.table, key)
            } else {
                try records.put(BucketAccessSettings.table, key, settings.encode(), owner: share, claimingShareName: nil)
            }
        }
    }
}

/// The checks of the access-control records (keys and bucket settings), for `sharecore check`.
public enum S3AccessRecords {
    /// Table → verifier.
    public static let verifiers: [RecordTable: RecordVerifier] = [
        S3Key.table: S3Key.verifier, BucketAccessSettings.table: BucketAccessSettings.verifier,
    ]
}
