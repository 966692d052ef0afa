import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// Bucket and object ACLs, bucket policies, the public access block and object ownership
/// controls. Who may call them is ``AccessDecision``'s; these read and change the settings.
enum AccessOperations {
    static let ownershipValues: Set<String> = ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]

    static func aclNotSupported() -> S3Error {
        S3Error(.badRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs")
    }

    static func noContent() -> FrontResponse { FrontResponse(status: .noContent) }

    static func ok() -> FrontResponse {
        var fields = HTTPFields()
        fields[.contentLength] = "0"
        return FrontResponse(status: .ok, headers: fields)
    }

    // MARK: ACLs

    /// `GET /bucket?acl`.
    static func getBucketAcl(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let settings = try context.store.bucketAccess(bucket.name)
        let owner = context.identities.account.canonicalId
        let acl = settings.aclsDisabled ? .ownerOnly(owner) : settings.effectiveACL(ownerId: owner)
        return context.xml(acl.render(identities: context.identities))
    }

    /// `PUT /bucket?acl`: a canned ACL, grant headers, or an `AccessControlPolicy` body.
    static func putBucketAcl(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let owner = context.identities.account.canonicalId
        let acl = try await requestedACL(context, ownerId: owner, bucketOwnerId: owner)
        let current = try context.store.bucketAccess(bucket.name)
        try checkAllowed(acl, settings: current)
        try await context.store.updateBucketAccess(bucket.name, share: bucket.share.name) { settings in
            settings.acl = acl == .ownerOnly(owner) ? nil : acl
        }
        return ok()
    }

    /// The ACL a PutBucketAcl/PutObjectAcl asks for: the headers, or else the body.
    static func requestedACL(_ context: S3Context, ownerId: String, bucketOwnerId: String) async throws -> AccessControlList {
        let fromHeaders = try AccessControlList.fromHeaders(context.request, ownerId: ownerId, bucketOwnerId: bucketOwnerId,
                                                            identities: context.identities)
        let body = try await context.request.front.body.collect(upTo: 1 << 20)
        if let fromHeaders {
            guard body.isEmpty else {
                throw S3Error(.badRequest, "UnexpectedContent", "This request does not support content")
            }
            return fromHeaders
        }
        guard !body.isEmpty else {
            throw S3Error(.badRequest, "MissingSecurityHeader", "Your request was missing a required header",
                          details: [("MissingHeaderName", "x-amz-acl")])
        }
        guard let root = FrontKit.XMLElement.parse(body) else { throw S3Error.malformedXML() }
        var acl = try AccessControlList.parse(root, identities: context.identities)
        if !acl.ownerId.isEmpty, acl.ownerId != ownerId {
            throw S3Error.accessDenied()
        }
        acl.ownerId = ownerId
        return acl
    }

    /// What the bucket's settings refuse: any ACL but the owner's own when ACLs are disabled,
    /// a public one under `BlockPublicAcls`.
    static func checkAllowed(_ acl: AccessControlList, settings: BucketAccessSettings) throws {
        if settings.aclsDisabled {
            let ownerOnly = acl.grants.allSatisfy { $0.grantee == .user(id: acl.ownerId) && $0.permission == .fullControl }
            guard ownerOnly else { throw aclNotSupported() }
        }
        if settings.publicAccessBlock?.blockPublicAcls == true, acl.isPublic { throw S3Error.accessDenied() }
    }

    /// `GET /bucket/key?acl`: the object's ACL (``ObjectACLs``).
    static func getObjectAcl(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        let info = try await ObjectOperations.existing(key, in: bucket)
        let accountId = context.identities.account.canonicalId
        let settings = try context.store.bucketAccess(bucket.name)
        let acl = settings.aclsDisabled ? .ownerOnly(accountId) : ObjectACLs.acl(of: info, accountId: accountId)
        return context.xml(acl.render(identities: context.identities))
    }

    /// `PUT /bucket/key?acl`: a canned ACL, grant headers or an `AccessControlPolicy` body,
    /// kept with the object; its owner stays as it was.
    static func putObjectAcl(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        let info = try await ObjectOperations.existing(key, in: bucket)
        let accountId = context.identities.account.canonicalId
        let owner = ObjectACLs.acl(of: info, accountId: accountId).ownerId
        let acl = try await requestedACL(context, ownerId: owner, bucketOwnerId: accountId)
        try checkAllowed(acl, settings: try context.store.bucketAccess(bucket.name))
        do {
            // Only if the object is still the one whose owner was read.
            try await bucket.share.annotate(key.path, try ObjectACLs.changes(for: acl, accountId: accountId),
                                            ifETag: info.etag)
        } catch let error as ShareCoreError where error.code == .conditionNotMet {
            throw S3Error(.conflict, "OperationAborted", "The object changed while its ACL was being set; try again.")
        } catch let error as ShareCoreError {
            throw S3Error(error, bucket: bucket.name, key: key.key)
        }
        return ok()
    }

    /// The access settings of a new bucket from CreateBucket's `x-amz-acl`, `x-amz-grant-*`
    /// and `x-amz-object-ownership` (nil: the defaults). A bucket another identity creates is
    /// still the account's, with full control granted to its creator.
    static func creationSettings(_ context: S3Context) throws -> BucketAccessSettings? {
        let owner = context.identities.account.canonicalId
        var settings = BucketAccessSettings()
        if let acl = try AccessControlList.fromHeaders(context.request, ownerId: owner, bucketOwnerId: owner,
                                                       identities: context.identities), acl != .ownerOnly(owner) {
            settings.acl = acl
        }
        if let requester = context.requester, !requester.isAccount {
            var acl = settings.effectiveACL(ownerId: owner)
            acl.grants.append(ACLGrant(grantee: .user(id: requester.canonicalId), permission: .fullControl))
            settings.acl = acl
        }
        if let ownership = context.request.header("x-amz-object-ownership") {
            settings.objectOwnership = ownership
            if settings.aclsDisabled, let acl = settings.acl,
               !acl.grants.allSatisfy({ $0.grantee == .user(id: owner) && $0.permission == .fullControl }) {
                throw S3Error(.badRequest, "InvalidBucketAclWithObjectOwnership",
                              "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
            }
        }
        return settings.isDefault ? nil : settings
    }

    // MARK: Policy

    /// Get/Put/DeleteBucketPolicy and GetBucketPolicyStatus.
    static func policy(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let current = try context.store.bucketAccess(bucket.name)
        func noPolicy() -> S3Error {
            S3Error(.notFound, "NoSuchBucketPolicy", "The bucket policy does not exist", details: [("BucketName", bucket.name)])
        }
        switch context.operation {
        case .getBucketPolicy:
            guard let text = current.policy else { throw noPolicy() }
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            fields[.contentLength] = String(text.utf8.count)
            return FrontResponse(status: .ok, headers: fields, body: .bytes(Array(text.utf8)))
        case .getBucketPolicyStatus:
            guard let text = current.policy else { throw noPolicy() }
            let policy = try BucketPolicy.parse(Array(text.utf8), bucket: bucket.name, identities: context.identities,
                                                strict: false)
            var xml = XMLWriter()
            xml.open("PolicyStatus", ["xmlns": S3XML.namespace])
            xml.element("IsPublic", policy.isPublic ? "true" : "false")
            xml.close("PolicyStatus")
            return context.xml(xml)
        case .putBucketPolicy:
            let body = try await context.request.front.body.collect(upTo: 20 << 10)
            let policy = try BucketPolicy.parse(body, bucket: bucket.name, identities: context.identities)
            if current.publicAccessBlock?.blockPublicPolicy == true, policy.isPublic { throw S3Error.accessDenied() }
            try await context.store.updateBucketAccess(bucket.name, share: bucket.share.name) { $0.policy = policy.text }
            return noContent()
        default:
            try await context.store.updateBucketAccess(bucket.name, share: bucket.share.name) { $0.policy = nil }
            return noContent()
        }
    }

    // MARK: Public access block

    /// Get/Put/DeletePublicAccessBlock.
    static func publicAccessBlock(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        switch context.operation {
        case .getPublicAccessBlock:
            guard let block = try context.store.bucketAccess(bucket.name).publicAccessBlock else {
                throw S3Error(.notFound, "NoSuchPublicAccessBlockConfiguration",
                              "The public access block configuration was not found", details: [("BucketName", bucket.name)])
            }
            var xml = XMLWriter()
            xml.open("PublicAccessBlockConfiguration", ["xmlns": S3XML.namespace])
            xml.element("BlockPublicAcls", String(block.blockPublicAcls))
            xml.element("IgnorePublicAcls", String(block.ignorePublicAcls))
            xml.element("BlockPublicPolicy", String(block.blockPublicPolicy))
            xml.element("RestrictPublicBuckets", String(block.restrictPublicBuckets))
            xml.close("PublicAccessBlockConfiguration")
            return context.xml(xml)
        case .putPublicAccessBlock:
            let root = try await context.xmlBody(limit: 64 << 10)
            guard root.name == "PublicAccessBlockConfiguration" else { throw S3Error.malformedXML() }
            func flag(_ name: String) throws -> Bool {
                guard let text = root.value(name) else { return false }
                guard let value = Bool(text.lowercased()) else { throw S3Error.malformedXML() }
                return value
            }
            let known: Set<String> = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]
            guard root.children.allSatisfy({ known.contains($0.name) }) else { throw S3Error.malformedXML() }
            let block = PublicAccessBlock(blockPublicAcls: try flag("BlockPublicAcls"), ignorePublicAcls: try flag("IgnorePublicAcls"),
                                          blockPublicPolicy: try flag("BlockPublicPolicy"),
                                          restrictPublicBuckets: try flag("RestrictPublicBuckets"))
            try await context.store.updateBucketAccess(bucket.name, share: bucket.share.name) { $0.publicAccessBlock = block }
            return ok()
        default:
            try await context.store.updateBucketAccess(bucket.name, share: bucket.share.name) { $0.publicAccessBlock = nil }
            return noContent()
        }
    }

    // MARK: Ownership controls

    /// Get/Put/DeleteBucketOwnershipControls.
    static func ownershipControls(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        switch context.operation {
        case .getBucketOwnershipControls:
            guard let ownership = try context.store.bucketAccess(bucket.name).objectOwnership else {
                throw S3Error(.notFound, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found",
                              details: [("BucketName", bucket.name)])
            }
            var xml = XMLWriter()
            xml.open("OwnershipControls", ["xmlns": S3XML.namespace])
            xml.open("Rule")
            xml.element("ObjectOwnership", ownership)
            xml.close("Rule")
            xml.close("OwnershipControls")
            return context.xml(xml)
        case .putBucketOwnershipControls:
            let root = try await context.xmlBody(limit: 64 << 10)
            let rules = root.children("Rule")
            guard root.name == "OwnershipControls", rules.count == 1, let value = rules[0].value("ObjectOwnership"),
                  ownershipValues.contains(value) else { throw S3Error.malformedXML() }
            let owner = context.identities.account.canonicalId
            try await context.store.updateBucketAccess(bucket.name, share: bucket.share.name) { settings in
                // ACLs cannot be disabled while the bucket's ACL grants anyone but its owner.
                if value == "BucketOwnerEnforced", let acl = settings.acl, acl != .ownerOnly(owner) {
                    throw S3Error(.badRequest, "InvalidBucketAclWithObjectOwnership",
                                  "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
                }
                settings.objectOwnership = value
            }
            return ok()
        default:
            try await context.store.updateBucketAccess(bucket.name, share: bucket.share.name) { $0.objectOwnership = nil }
            return noContent()
        }
    }
}
