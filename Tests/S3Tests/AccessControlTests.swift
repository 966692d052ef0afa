import Foundation
import Testing
@testable import S3
@testable import ShareCore

/// ACL resolution (canned ACLs, grant headers, who holds what) without sockets.
@Suite("ACL resolution")
struct ACLResolutionTests {
    static let owner = PolicyEvaluatorTests.account
    static let alt = PolicyEvaluatorTests.alt

    @Test("canned ACLs grant what S3 says")
    func canned() throws {
        let id = Self.owner.canonicalId
        let privateACL = try AccessControlList.canned("private", ownerId: id, bucketOwnerId: id)
        #expect(privateACL.allows(Self.owner, .write))
        #expect(!privateACL.allows(nil, .read))
        #expect(!privateACL.allows(Self.alt, .read))

        let publicRead = try AccessControlList.canned("public-read", ownerId: id, bucketOwnerId: id)
        // Group grants first, the owner last, as RGW lists them.
        #expect(publicRead.grants.last == ACLGrant(grantee: .user(id: id), permission: .fullControl))
        #expect(publicRead.allows(nil, .read))
        #expect(!publicRead.allows(nil, .write))
        #expect(publicRead.isPublic)
        #expect(!publicRead.allows(nil, .read, ignoringPublic: true))

        let publicWrite = try AccessControlList.canned("public-read-write", ownerId: id, bucketOwnerId: id)
        #expect(publicWrite.allows(Self.alt, .write))
        #expect(!publicWrite.allows(Self.alt, .readACP))

        let authenticated = try AccessControlList.canned("authenticated-read", ownerId: id, bucketOwnerId: id)
        #expect(authenticated.allows(Self.alt, .read))
        #expect(!authenticated.allows(nil, .read))

        let objectOfAlt = try AccessControlList.canned("bucket-owner-full-control", ownerId: Self.alt.canonicalId, bucketOwnerId: id)
        #expect(objectOfAlt.allows(Self.owner, .writeACP))
        #expect(objectOfAlt.grants.count == 2)

        let logs = try AccessControlList.canned("log-delivery-write", ownerId: id, bucketOwnerId: id)
        #expect(logs.grants.contains(ACLGrant(grantee: .group(uri: ACLGrantee.logDelivery), permission: .write)))
        #expect(!logs.allows(nil, .write))

        #expect(throws: S3Error.self) { try AccessControlList.canned("everyone-please", ownerId: id, bucketOwnerId: id) }
    }

    @Test("the owner always holds READ_ACP and WRITE_ACP; FULL_CONTROL holds every permission")
    func ownerAndFullControl() {
        let acl = AccessControlList(ownerId: Self.owner.canonicalId,
                                    grants: [ACLGrant(grantee: .user(id: Self.alt.canonicalId), permission: .fullControl)])
        #expect(acl.allows(Self.owner, .readACP))
        #expect(acl.allows(Self.owner, .writeACP))
        #expect(!acl.allows(Self.owner, .read))
        for permission in ACLPermission.allCases { #expect(acl.allows(Self.alt, permission)) }
    }
}

/// Anonymous and second-identity decisions through the whole front.
@Suite("access decisions")
struct AccessDecisionTests {
    static func withBucket(_ body: (S3Harness, S3Key) async throws -> Void) async throws {
        let h = try await S3Harness.make()
        let alt = try await h.store.addS3Key("alt")
        #expect(try await h.send(.put, "/bkt").status == 200)
        #expect(try await h.send(.put, "/bkt/pub/a.txt", body: Array("hello".utf8)).status == 200)
        try await body(h, alt)
        try await h.finish()
    }

    @Test("anonymous requests are refused on a private bucket, 404 for a missing bucket")
    func anonymousPrivate() async throws {
        try await Self.withBucket { (h: S3Harness, _: S3Key) async throws in
            #expect(try await h.send(.get, "/bkt/pub/a.txt", anonymous: true).code == "AccessDenied")
            #expect(try await h.send(.get, "/bkt", anonymous: true).code == "AccessDenied")
            #expect(try await h.send(.put, "/bkt/new", body: [1], anonymous: true).code == "AccessDenied")
            #expect(try await h.send(.get, "/", anonymous: true).code == "AccessDenied")
            #expect(try await h.send(.get, "/nobucket", anonymous: true).code == "NoSuchBucket")
            #expect(try await h.send(.get, "/bkt/new").status == 404)
        }
    }

    @Test("a public-read bucket lists for anyone; its objects stay private")
    func publicReadBucket() async throws {
        try await Self.withBucket { (h: S3Harness, _: S3Key) async throws in
            #expect(try await h.send(.put, "/bkt?acl", headers: [("x-amz-acl", "public-read")]).status == 200)
            #expect(try await h.send(.get, "/bkt", anonymous: true).status == 200)
            #expect(try await h.send(.get, "/bkt/pub/a.txt", anonymous: true).code == "AccessDenied")
            // A missing key, for someone who may list: 404 rather than 403.
            #expect(try await h.send(.get, "/bkt/none", anonymous: true).status == 404)
            #expect(try await h.send(.put, "/bkt/x", body: [1], anonymous: true).code == "AccessDenied")
            #expect(try await h.send(.get, "/bkt?acl", anonymous: true).code == "AccessDenied")
        }
    }

    @Test("a policy opens objects to anonymous readers; Deny beats Allow")
    func policy() async throws {
        try await Self.withBucket { (h: S3Harness, _: S3Key) async throws in
            let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/secret/*"}]}"#
            #expect(try await h.send(.put, "/bkt/secret/s.txt", body: [1]).status == 200)
            #expect(try await h.send(.put, "/bkt?policy", body: Array(policy.utf8)).status == 204)
            #expect(try await h.send(.get, "/bkt/pub/a.txt", anonymous: true).text == "hello")
            #expect(try await h.send(.get, "/bkt/secret/s.txt", anonymous: true).code == "AccessDenied")
            // The explicit Deny holds for the account too, except on the policy itself.
            #expect(try await h.send(.get, "/bkt/secret/s.txt").code == "AccessDenied")
            #expect(try await h.send(.get, "/bkt?policyStatus").text.contains("<IsPublic>true</IsPublic>"))
            #expect(try await h.send(.delete, "/bkt?policy").status == 204)
            #expect(try await h.send(.get, "/bkt/pub/a.txt", anonymous: true).code == "AccessDenied")
            #expect(try await h.send(.put, "/bkt?policy", body: Array("{".utf8)).code == "MalformedPolicy")
        }
    }

    @Test("a second identity gets only what grants give it")
    func secondIdentity() async throws {
        try await Self.withBucket { (h: S3Harness, alt: S3Key) async throws in
            let signer = (alt.accessKeyId, alt.secretKey)
            #expect(try await h.send(.get, "/bkt", signer: signer).code == "AccessDenied")
            #expect(try await h.send(.get, "/", signer: signer).text.contains("<Buckets></Buckets>"))
            #expect(try await h.send(.put, "/bkt?acl", headers: [("x-amz-grant-read", "id=\"\(alt.canonicalId)\"")]).status == 200)
            #expect(try await h.send(.get, "/bkt", signer: signer).status == 200)
            #expect(try await h.send(.get, "/bkt", anonymous: true).code == "AccessDenied")
            #expect(try await h.send(.put, "/bkt/y", body: [1], signer: signer).code == "AccessDenied")
            #expect(try await h.send(.get, "/bkt?policy", signer: signer).code == "AccessDenied")
            let acl = try await h.send(.get, "/bkt?acl").text
            #expect(acl.contains(alt.canonicalId) && acl.contains("<DisplayName>alt</DisplayName>"))
            // Every bucket's owner is the account.
            #expect(try await h.send(.get, "/bkt", headers: [("x-amz-expected-bucket-owner", "someone")]).code == "AccessDenied")
            #expect(try await h.send(.get, "/bkt", headers: [("x-amz-expected-bucket-owner", S3Harness.accessKey)]).status == 200)
            // A removed key is refused from its next request on.
            try await h.store.removeS3Key("alt")
            #expect(try await h.send(.get, "/bkt", signer: signer).code == "InvalidAccessKeyId")
        }
    }

    @Test("s3:ExistingObjectTag reads the object's s3.tags annotation")
    func existingObjectTag() async throws {
        try await Self.withBucket { (h: S3Harness, _: S3Key) async throws in
            #expect(try await h.send(.put, "/bkt/pub/b.txt", body: [2]).status == 200)
            var tags = AnnotationChanges()
            tags.set("s3.tags", Array("security=public&team=web%20site".utf8))
            try await h.store.share("bkt").annotate("pub/a.txt", tags)
            let policy = #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/security":"public","s3:ExistingObjectTag/team":"web site"}}}]}"#
            #expect(try await h.send(.put, "/bkt?policy", body: Array(policy.utf8)).status == 204)
            #expect(try await h.send(.get, "/bkt/pub/a.txt", anonymous: true).text == "hello")
            #expect(try await h.send(.get, "/bkt/pub/b.txt", anonymous: true).code == "AccessDenied")
        }
    }

    @Test("a missing key is 404 for whom a policy lets list that prefix, 403 for others")
    func missingKeyUnderPrefixPolicy() async throws {
        try await Self.withBucket { (h: S3Harness, alt: S3Key) async throws in
            let policy = #"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt","Condition":{"StringLike":{"s3:prefix":"public/*"}}}]}"#
            #expect(try await h.send(.put, "/bkt?policy", body: Array(policy.utf8)).status == 204)
            let signer = (alt.accessKeyId, alt.secretKey)
            #expect(try await h.send(.head, "/bkt/public/object", signer: signer).status == 404)
            #expect(try await h.send(.head, "/bkt/private/object", signer: signer).status == 403)
        }
    }

    @Test("public access block and ownership controls")
    func blocks() async throws {
        try await Self.withBucket { (h: S3Harness, _: S3Key) async throws in
            #expect(try await h.send(.get, "/bkt?publicAccessBlock").code == "NoSuchPublicAccessBlockConfiguration")
            let block = "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><BlockPublicPolicy>true</BlockPublicPolicy></PublicAccessBlockConfiguration>"
            #expect(try await h.send(.put, "/bkt?publicAccessBlock", body: Array(block.utf8)).status == 200)
            #expect(try await h.send(.put, "/bkt?acl", headers: [("x-amz-acl", "public-read")]).code == "AccessDenied")
            let policy = #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#
            #expect(try await h.send(.put, "/bkt?policy", body: Array(policy.utf8)).code == "AccessDenied")
            #expect(try await h.send(.delete, "/bkt?publicAccessBlock").status == 204)

            let enforced = "<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>"
            #expect(try await h.send(.put, "/bkt?ownershipControls", body: Array(enforced.utf8)).status == 200)
            #expect(try await h.send(.put, "/bkt?acl", headers: [("x-amz-acl", "public-read")]).code == "AccessControlListNotSupported")
            #expect(try await h.send(.get, "/bkt?ownershipControls").text.contains("BucketOwnerEnforced"))
            // Enforced ownership is refused while the bucket's ACL grants others.
            #expect(try await h.send(.delete, "/bkt?ownershipControls").status == 204)
            #expect(try await h.send(.put, "/bkt?acl", headers: [("x-amz-acl", "public-read")]).status == 200)
            #expect(try await h.send(.put, "/bkt?ownershipControls", body: Array(enforced.utf8)).code
                    == "InvalidBucketAclWithObjectOwnership")
        }
    }
}
