import Foundation
import FrontKit
import ShareCore

/// What an operation needs: the policy action, the ACL permission that also grants it (nil:
/// none does), and whether that ACL is the object's or the bucket's.
struct AccessRequirement: Sendable, Equatable {
    let action: String
    let permission: ACLPermission?
    let objectACL: Bool
    /// Only the account (and a policy naming others) may; used for the policy, public access
    /// block and ownership settings, which only the account may change or see.
    let accountOnly: Bool

    init(_ action: String, _ permission: ACLPermission?, objectACL: Bool = false, accountOnly: Bool = false) {
        self.action = action
        self.permission = permission
        self.objectACL = objectACL
        self.accountOnly = accountOnly
    }
}

/// The one place requests are authorized, after authentication and before the operation runs
/// (called by ``S3Service``). S3's order: an explicit `Deny` in the bucket policy refuses;
/// the account (owner of every bucket) may do anything else; then a policy `Allow` or an ACL
/// grant (the object's for reads of an object, the bucket's otherwise) allows; everything else
/// is 403 `AccessDenied`. The public access block and object ownership settings narrow what
/// counts (``PublicAccessBlock``, ``BucketAccessSettings/aclsDisabled``).
///
/// An operation another part of the front adds must get a line in ``requirement(_:)``: the
/// switch is exhaustive on purpose. Requests that carry their own credentials in the body (a
/// browser POST form) authenticate themselves and then call ``authorize(_:requester:requirement:bucket:key:)``
/// with the identity they found (or nil), so the bucket's policy and ACLs still apply.
enum AccessDecision {
    /// The requirement of `operation`; nil when it is judged elsewhere (ListBuckets,
    /// CreateBucket: no bucket yet; DeleteObjects: per key, ``authorizeDelete(_:key:)``).
    static func requirement(_ operation: S3Operation) -> AccessRequirement? {
        switch operation {
        case .listBuckets, .createBucket, .deleteObjects: nil
        case .deleteBucket: AccessRequirement("s3:DeleteBucket", nil)
        case .headBucket, .listObjects, .listObjectsV2: AccessRequirement("s3:ListBucket", .read)
        case .getBucketLocation: AccessRequirement("s3:GetBucketLocation", nil)
        case .getBucketVersioning: AccessRequirement("s3:GetBucketVersioning", nil)
        case .listObjectVersions: AccessRequirement("s3:ListBucketVersions", .read)
        case .listMultipartUploads: AccessRequirement("s3:ListBucketMultipartUploads", .read)
        case .getBucketAcl: AccessRequirement("s3:GetBucketAcl", .readACP)
        case .putBucketAcl: AccessRequirement("s3:PutBucketAcl", .writeACP)
        case .getObjectAcl: AccessRequirement("s3:GetObjectAcl", .readACP, objectACL: true)
        case .putObjectAcl: AccessRequirement("s3:PutObjectAcl", .writeACP, objectACL: true)
        case .getObject, .headObject: AccessRequirement("s3:GetObject", .read, objectACL: true)
        case .putObject, .copyObject, .createMultipartUpload, .uploadPart, .uploadPartCopy, .completeMultipartUpload, .postObject:
            AccessRequirement("s3:PutObject", .write)
        case .deleteObject: AccessRequirement("s3:DeleteObject", .write)
        case .abortMultipartUpload: AccessRequirement("s3:AbortMultipartUpload", .write)
        case .listParts: AccessRequirement("s3:ListMultipartUploadParts", .read)
        case .getBucketPolicy: AccessRequirement("s3:GetBucketPolicy", nil, accountOnly: true)
        case .putBucketPolicy: AccessRequirement("s3:PutBucketPolicy", nil, accountOnly: true)
        case .deleteBucketPolicy: AccessRequirement("s3:DeleteBucketPolicy", nil, accountOnly: true)
        case .getBucketPolicyStatus: AccessRequirement("s3:GetBucketPolicyStatus", nil, accountOnly: true)
        case .getPublicAccessBlock: AccessRequirement("s3:GetBucketPublicAccessBlock", nil, accountOnly: true)
        case .putPublicAccessBlock, .deletePublicAccessBlock:
            AccessRequirement("s3:PutBucketPublicAccessBlock", nil, accountOnly: true)
        case .getBucketOwnershipControls: AccessRequirement("s3:GetBucketOwnershipControls", nil, accountOnly: true)
        case .putBucketOwnershipControls, .deleteBucketOwnershipControls:
            AccessRequirement("s3:PutBucketOwnershipControls", nil, accountOnly: true)
        case .getObjectTagging: AccessRequirement("s3:GetObjectTagging", .read, objectACL: true)
        case .putObjectTagging: AccessRequirement("s3:PutObjectTagging", .write)
        case .deleteObjectTagging: AccessRequirement("s3:DeleteObjectTagging", .write)
        case .getBucketTagging: AccessRequirement("s3:GetBucketTagging", nil)
        case .putBucketTagging, .deleteBucketTagging: AccessRequirement("s3:PutBucketTagging", nil)
        case .getBucketLifecycleConfiguration: AccessRequirement("s3:GetLifecycleConfiguration", nil)
        case .putBucketLifecycleConfiguration, .deleteBucketLifecycle:
            AccessRequirement("s3:PutLifecycleConfiguration", nil)
        case .getObjectAttributes: AccessRequirement("s3:GetObjectAttributes", .read, objectACL: true)
        case .getBucketEncryption: AccessRequirement("s3:GetEncryptionConfiguration", nil)
        case .putBucketEncryption, .deleteBucketEncryption: AccessRequirement("s3:PutEncryptionConfiguration", nil)
        case .getBucketCors: AccessRequirement("s3:GetBucketCORS", nil)
        case .putBucketCors, .deleteBucketCors: AccessRequirement("s3:PutBucketCORS", nil)
        }
    }

    /// Authorizes the request of `context` (and, for a copy, the read of its source).
    static func authorize(_ context: S3Context) async throws {
        switch context.operation {
        case .listBuckets, .createBucket:
            // Listing or creating buckets needs a signature; what is listed is the requester's.
            guard context.requester != nil else { throw S3Error.accessDenied() }
            return
        default: break
        }
        guard let requirement = requirement(context.operation), let bucket = context.request.bucket else { return }
        // `x-amz-expected-bucket-owner` (and `x-amz-source-expected-bucket-owner` of a copy):
        // every bucket is the account's.
        for header in ["x-amz-expected-bucket-owner", "x-amz-source-expected-bucket-owner"] {
            if let expected = context.request.header(header), expected != context.identities.account.canonicalId {
                throw S3Error.accessDenied()
            }
        }
        try await authorize(context, requester: context.requester, requirement: requirement, bucket: bucket,
                            key: context.request.key)
        if context.operation == .copyObject || context.operation == .uploadPartCopy,
           let (sourceBucket, sourceKey) = copySource(context.request) {
            try await authorize(context, requester: context.requester,
                                requirement: AccessRequirement("s3:GetObject", .read, objectACL: true),
                                bucket: sourceBucket, key: sourceKey)
        }
    }

    /// Authorizes one key of a DeleteObjects request (its result for that key).
    static func authorizeDelete(_ context: S3Context, key: String) async throws {
        guard let bucket = context.request.bucket else { return }
        try await authorize(context, requester: context.requester, requirement: AccessRequirement("s3:DeleteObject", .write),
                            bucket: bucket, key: key)
    }

    /// Authorizes `requester` (nil: anonymous) for `requirement` on `bucket` (and `key`).
    static func authorize(_ context: S3Context, requester: S3Identity?, requirement: AccessRequirement,
                          bucket: String, key: String?) async throws {
        let settings = try context.store.bucketAccess(bucket)
        let identities = context.identities
        let policy = try settings.policy.map {
            try BucketPolicy.parse(Array($0.utf8), bucket: bucket, identities: identities, strict: false)
        }
        var policyRequest = PolicyRequest(requester: requester, action: requirement.action,
                                          resource: "arn:aws:s3:::" + bucket + (key.map { "/" + $0 } ?? ""))
        // The condition keys matter only to a policy (and building them was 2% of a small GET).
        if policy != nil { policyRequest.context = conditionContext(context) }
        if let policy, let key, policy.mentionsObjectTags {
            for (tag, value) in try await objectTags(context, bucket: bucket, key: key) {
                policyRequest.context["s3:existingobjecttag/" + tag] = [value]
            }
        }
        let decision = policy.map { PolicyEvaluator.evaluate($0, policyRequest) } ?? .noOpinion
        let isAccount = requester?.isAccount ?? false
        // The account can always manage the policy itself, so it cannot lock itself out.
        let policyManagement = ["s3:getbucketpolicy", "s3:putbucketpolicy", "s3:deletebucketpolicy"]
            .contains(requirement.action.lowercased())
        if decision == .explicitDeny && !(isAccount && policyManagement) { throw S3Error.accessDenied() }
        if isAccount { return }
        // Past here the requester is another identity or anonymous: the bucket must exist
        // (NoSuchBucket is answered before AccessDenied, as S3 does).
        let resolved = try await context.resolve(bucket: bucket)
        if requirement.accountOnly { throw S3Error.accessDenied() }
        let block = settings.publicAccessBlock ?? PublicAccessBlock()
        if decision == .allow, !(block.restrictPublicBuckets && (policy?.isPublic ?? false)) { return }
        guard let permission = requirement.permission, !settings.aclsDisabled else { throw S3Error.accessDenied() }
        let accountId = identities.account.canonicalId
        var acl = settings.effectiveACL(ownerId: accountId)
        if requirement.objectACL, let key {
            if let objectACL = try await objectACL(context, bucket: resolved, key: key) {
                acl = objectACL
            } else if mayList(policy, requester: requester, bucket: bucket, prefix: key, context: policyRequest.context, block: block)
                        || (!settings.aclsDisabled && acl.allows(requester, .read, ignoringPublic: block.ignorePublicAcls)) {
                // A missing object: whoever may list it learns it is missing (404).
                return
            } else {
                throw S3Error.accessDenied()
            }
        }
        guard acl.allows(requester, permission, ignoringPublic: block.ignorePublicAcls) else { throw S3Error.accessDenied() }
    }

    /// Whether `policy` lets `requester` list `bucket` under `prefix` (s3:ListBucket with
    /// `s3:prefix` the key), as S3 decides between 404 and 403 for a missing key.
    static func mayList(_ policy: BucketPolicy?, requester: S3Identity?, bucket: String, prefix: String,
                        context: [String: [String]], block: PublicAccessBlock) -> Bool {
        guard let policy, !(block.restrictPublicBuckets && policy.isPublic) else { return false }
        var keys = context
        keys["s3:prefix"] = [prefix]
        let request = PolicyRequest(requester: requester, action: "s3:ListBucket", resource: "arn:aws:s3:::" + bucket,
                                    context: keys)
        return PolicyEvaluator.evaluate(policy, request) == .allow
    }

    /// The ACL of object `key` (``ObjectACLs``), or nil when there is no such object.
    static func objectACL(_ context: S3Context, bucket: ResolvedBucket, key: String) async throws -> AccessControlList? {
        guard let objectKey = try? ObjectKey.parse(key, base: bucket.base),
              let info = try? await ObjectOperations.existing(objectKey, in: bucket) else { return nil }
        return ObjectACLs.acl(of: info, accountId: context.identities.account.canonicalId)
    }

    /// The tags of object `key` (the file annotation `s3.tags`: `key=value&…`, percent-encoded);
    /// none when the object does not exist or has none.
    static func objectTags(_ context: S3Context, bucket: String, key: String) async throws -> [(String, String)] {
        guard let resolved = try? await context.resolve(bucket: bucket),
              let objectKey = try? ObjectKey.parse(key, base: resolved.base),
              let info = try? await ObjectOperations.existing(objectKey, in: resolved),
              let stored = info.annotations["s3.tags"] else { return [] }
        return String(decoding: stored, as: UTF8.self).split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let tag = RequestTarget.percentDecode(String(parts[0])) else { return nil }
            return (tag, parts.count == 2 ? RequestTarget.percentDecode(String(parts[1])) ?? "" : "")
        }
    }

    /// The condition keys of the request: `aws:SourceIp`, `aws:SecureTransport`,
    /// `aws:UserAgent`, `aws:Referer`, `aws:userid`, `s3:prefix`, `s3:delimiter`, `s3:max-keys`
    /// (when given) and the request headers `s3:x-amz-acl`, `s3:x-amz-grant-*`,
    /// `s3:x-amz-copy-source`, `s3:x-amz-metadata-directive`, `s3:x-amz-server-side-encryption`,
    /// `s3:x-amz-server-side-encryption-customer-algorithm`,
    /// `s3:x-amz-server-side-encryption-aws-kms-key-id` and `s3:x-amz-storage-class`, and `s3:RequestObjectTag/<key>` from `x-amz-tagging`.
    static func conditionContext(_ context: S3Context) -> [String: [String]] {
        var keys: [String: [String]] = [:]
        let request = context.request
        if let address = request.front.remoteAddress { keys["aws:sourceip"] = [address] }
        keys["aws:securetransport"] = [request.head.scheme == "https" ? "true" : "false"]
        if let agent = request.header("User-Agent") { keys["aws:useragent"] = [agent] }
        if let referer = request.header("Referer") { keys["aws:referer"] = [referer] }
        for name in ["prefix", "delimiter", "max-keys"] {
            if let value = request.query(name) { keys["s3:" + name] = [value] }
        }
        for header in ["x-amz-acl", "x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp",
                       "x-amz-grant-full-control", "x-amz-copy-source", "x-amz-metadata-directive",
                       "x-amz-server-side-encryption", "x-amz-server-side-encryption-customer-algorithm",
                       "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-storage-class"] {
            if let value = request.header(header) { keys["s3:" + header] = [value] }
        }
        // `s3:RequestObjectTag/<key>`: the tags `x-amz-tagging` asks a write to set.
        if let tagging = request.header("x-amz-tagging") {
            for pair in tagging.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let tag = RequestTarget.percentDecode(String(parts[0]).replacingOccurrences(of: "+", with: " ")) else { continue }
                let value = parts.count == 2 ? RequestTarget.percentDecode(String(parts[1]).replacingOccurrences(of: "+", with: " ")) : ""
                keys["s3:requestobjecttag/" + tag] = [value ?? ""]
            }
        }
        if let authenticated = context.requester { keys["aws:userid"] = [authenticated.canonicalId] }
        return keys
    }

    /// The bucket and key `x-amz-copy-source` names, when it parses.
    static func copySource(_ request: S3Request) -> (String, String)? {
        guard var text = request.header("x-amz-copy-source") else { return nil }
        if let question = text.firstIndex(of: "?") { text = String(text[..<question]) }
        guard let decoded = RequestTarget.percentDecode(text) else { return nil }
        let trimmed = decoded.hasPrefix("/") ? String(decoded.dropFirst()) : decoded
        guard let slash = trimmed.firstIndex(of: "/") else { return nil }
        return (String(trimmed[..<slash]), String(trimmed[trimmed.index(after: slash)...]))
    }
}
