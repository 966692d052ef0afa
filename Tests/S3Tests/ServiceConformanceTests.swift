import Crypto
import Foundation
import FrontKit
import Testing
@testable import S3
@testable import ShareCore

/// The S3 front as a whole, without sockets: what issue #9 found accepted and ignored, and the
/// S3 behaviours it asked for (owned buckets by region, conditional deletes, partNumber reads).
@Suite struct ServiceConformanceTests {
    private func etag(_ bytes: [UInt8]) -> String {
        "\"" + Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined() + "\""
    }

    @Test func recreatingAnOwnedBucketDependsOnTheRegion() async throws {
        let east = try await S3Harness.make(region: "us-east-1")
        #expect(try await east.send(.put, "/mine").status == 200)
        #expect(try await east.send(.put, "/mine/kept", body: [1]).status == 200)
        #expect(try await east.send(.put, "/mine").status == 200)
        #expect(try await east.send(.get, "/mine/kept").body == [1])
        try await east.finish()

        let west = try await S3Harness.make(region: "eu-west-1")
        #expect(try await west.send(.put, "/mine").status == 200)
        let again = try await west.send(.put, "/mine")
        #expect(again.status == 409 && again.code == "BucketAlreadyOwnedByYou")
        try await west.finish()
    }

    @Test func optionsThatWouldBeIgnoredAreRefusedAndChangeNothing() async throws {
        let h = try await S3Harness.make()
        _ = try await h.send(.put, "/bkt")
        let refused: [(String, String)] = [
            ("x-amz-server-side-encryption", "aws:kms:dsse"),
            ("x-amz-object-lock-mode", "COMPLIANCE"),
            ("x-amz-storage-class", "GLACIER"),
        ]
        for header in refused {
            let reply = try await h.send(.put, "/bkt/k", headers: [header], body: [1, 2, 3])
            #expect(reply.status == 501 && reply.code == "NotImplemented", "\(header)")
            #expect(FrontKit.XMLElement.parse(reply.body)?.value("Header")?.lowercased() == header.0.lowercased())
        }
        #expect(try await h.send(.head, "/bkt/k").status == 404)
        // A customer key over plain HTTP is refused as S3 refuses it, before anything is stored.
        let sseCOverHTTP = try await h.send(.put, "/bkt/k", headers: [("x-amz-server-side-encryption-customer-algorithm", "AES256")],
                                            body: [1, 2, 3])
        #expect(sseCOverHTTP.status == 400 && sseCOverHTTP.code == "InvalidRequest")
        #expect(try await h.send(.head, "/bkt/k").status == 404)
        let lockedBucket = try await h.send(.put, "/locked", headers: [("x-amz-bucket-object-lock-enabled", "true")])
        #expect(lockedBucket.status == 501)
        #expect(try await h.send(.head, "/locked").status == 404)
        let accepted: [(String, String)] = [
            ("x-amz-acl", "private"), ("x-amz-acl", "bucket-owner-full-control"),
            ("x-amz-grant-full-control", "id=\"\(S3Harness.accessKey)\""), ("x-amz-storage-class", "STANDARD"),
            ("x-amz-object-lock-legal-hold", "OFF"),
        ]
        for header in accepted {
            #expect(try await h.send(.put, "/bkt/k", headers: [header], body: [1, 2, 3]).status == 200, "\(header)")
        }
        let badACL = try await h.send(.put, "/bkt/k", headers: [("x-amz-acl", "nobody")], body: [1])
        #expect(badACL.status == 400 && badACL.code == "InvalidArgument")
        let sseCOnRead = try await h.send(.get, "/bkt/k", headers: [("x-amz-server-side-encryption-customer-algorithm", "AES256")])
        #expect(sseCOnRead.status == 400 && sseCOnRead.code == "InvalidRequest")
        try await h.finish()
    }

    @Test func conditionalDeletes() async throws {
        let h = try await S3Harness.make()
        _ = try await h.send(.put, "/bkt")
        let content: [UInt8] = Array("content".utf8)
        _ = try await h.send(.put, "/bkt/k", body: content)
        let wrong = try await h.send(.delete, "/bkt/k", headers: [("If-Match", "\"0123\"")])
        #expect(wrong.status == 412 && wrong.code == "PreconditionFailed")
        let wrongSize = try await h.send(.delete, "/bkt/k", headers: [("x-amz-if-match-size", "3")])
        #expect(wrongSize.status == 412)
        #expect(try await h.send(.get, "/bkt/k").body == content)
        #expect(try await h.send(.delete, "/bkt/k", headers: [("If-Match", etag(content)), ("x-amz-if-match-size", "7")]).status == 204)
        #expect(try await h.send(.head, "/bkt/k").status == 404)
        let missing = try await h.send(.delete, "/bkt/k", headers: [("If-Match", etag(content))])
        #expect(missing.status == 404 && missing.code == "NoSuchKey")
        #expect(try await h.send(.delete, "/bkt/k").status == 204)

        _ = try await h.send(.put, "/bkt/x", body: content)
        _ = try await h.send(.put, "/bkt/y", body: content)
        let body = """
            <Delete><Object><Key>x</Key><ETag>"ffff"</ETag></Object>\
            <Object><Key>y</Key><ETag>\(etag(content))</ETag></Object></Delete>
            """
        let result = try await h.send(.post, "/bkt?delete", body: Array(body.utf8))
        #expect(result.status == 200)
        let root = try #require(FrontKit.XMLElement.parse(result.body))
        #expect(root.children("Deleted").map { $0.value("Key") } == ["y"])
        #expect(root.children("Error").map { $0.value("Code") } == ["PreconditionFailed"])
        #expect(try await h.send(.get, "/bkt/x").body == content)
        #expect(try await h.send(.head, "/bkt/y").status == 404)
        try await h.finish()
    }

    @Test func partNumberReadsServeOnePart() async throws {
        let h = try await S3Harness.make()
        _ = try await h.send(.put, "/bkt")
        let first = [UInt8](repeating: 1, count: 5 << 20)
        let second: [UInt8] = Array("the second part".utf8)
        let created = try await h.send(.post, "/bkt/mp?uploads")
        let uploadId = try #require(FrontKit.XMLElement.parse(created.body)?.value("UploadId"))
        let e1 = try #require(try await h.send(.put, "/bkt/mp?partNumber=1&uploadId=\(uploadId)", body: first).header("ETag"))
        let e2 = try #require(try await h.send(.put, "/bkt/mp?partNumber=2&uploadId=\(uploadId)", body: second).header("ETag"))
        let complete = """
            <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(e1)</ETag></Part>\
            <Part><PartNumber>2</PartNumber><ETag>\(e2)</ETag></Part></CompleteMultipartUpload>
            """
        #expect(try await h.send(.post, "/bkt/mp?uploadId=\(uploadId)", body: Array(complete.utf8)).status == 200)

        let part2 = try await h.send(.get, "/bkt/mp?partNumber=2")
        #expect(part2.status == 206)
        #expect(part2.body == second)
        #expect(part2.header("x-amz-mp-parts-count") == "2")
        let total = first.count + second.count
        #expect(part2.header("Content-Range") == "bytes \(first.count)-\(total - 1)/\(total)")
        let head1 = try await h.send(.head, "/bkt/mp?partNumber=1")
        #expect(head1.status == 206 && head1.header("Content-Length") == String(first.count))
        for bad in ["0", "-1", "abc", "10001"] {
            let reply = try await h.send(.get, "/bkt/mp?partNumber=\(bad)")
            #expect(reply.status == 400 && reply.code == "InvalidArgument", "\(bad)")
        }
        let beyond = try await h.send(.get, "/bkt/mp?partNumber=3")
        #expect(beyond.status == 416 && beyond.code == "InvalidPartNumber")

        _ = try await h.send(.put, "/bkt/single", body: second)
        let whole = try await h.send(.get, "/bkt/single?partNumber=1")
        #expect(whole.status == 206 && whole.body == second)
        #expect(try await h.send(.get, "/bkt/single?partNumber=2").status == 416)
        try await h.finish()
    }
}
