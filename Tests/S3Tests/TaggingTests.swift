import Foundation
import FrontKit
import Testing
@testable import S3
@testable import ShareCore

/// Object and bucket tagging and `Expires`: the tag set's rules, and the operations through
/// the service without sockets.
@Suite struct TaggingTests {
    // MARK: The tag set's rules

    func code(_ body: () throws -> TagSet) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as S3Error {
            return error.code
        } catch {
            return "\(error)"
        }
    }

    func tags(_ count: Int, key: (Int) -> String = { "key\($0)" }, value: String = "v") -> [TagSet.Tag] {
        (0..<count).map { TagSet.Tag(key: key($0), value: value) }
    }

    func document(_ tags: [(String, String)]) -> String {
        "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
            + tags.map { "<Tag><Key>\($0.0)</Key><Value>\($0.1)</Value></Tag>" }.joined() + "</TagSet></Tagging>"
    }

    func parseXML(_ text: String, limit: Int = TagSet.objectLimit) throws -> TagSet {
        guard let root = FrontKit.XMLElement.parse(Array(text.utf8)) else { throw S3Error.malformedXML() }
        return try TagSet.parse(xml: root, limit: limit)
    }

    @Test func theHeaderIsAQueryStringReturnedInKeyOrder() throws {
        let set = try TagSet.parse(header: "foo=bar&bar&sp=a+b%2Bc&e=")
        #expect(set.tags == [.init(key: "bar", value: ""), .init(key: "e", value: ""), .init(key: "foo", value: "bar"),
                             .init(key: "sp", value: "a b+c")])
        #expect(try TagSet.parse(header: "").isEmpty)
        #expect(code { try TagSet.parse(header: "a=1&a=2") } == "InvalidArgument")
        #expect(code { try TagSet.parse(header: "TagSet=[{Key=string,Value=string}]") } == "InvalidArgument")
        #expect(code { try TagSet.parse(header: "a=%zz") } == "InvalidArgument")
        #expect(code { try TagSet.parse(header: "a=%FF") } == "InvalidArgument")
        #expect(code { try TagSet.parse(header: "a%23b=v") } == "InvalidTag")
        #expect(code { try TagSet.parse(header: (0..<11).map { "k\($0)=v" }.joined(separator: "&")) } == "BadRequest")
    }

    @Test func limitsAndCharactersAreS3s() throws {
        #expect(code { try TagSet.checked(tags(10, key: { String(repeating: "k", count: 127) + "\($0)" },
                                               value: String(repeating: "v", count: 256)), limit: 10) } == nil)
        #expect(code { try TagSet.checked(tags(11), limit: 10) } == "BadRequest")
        #expect(code { try TagSet.checked(tags(1, key: { _ in String(repeating: "k", count: 129) }), limit: 10) } == "InvalidTag")
        #expect(code { try TagSet.checked(tags(1, value: String(repeating: "v", count: 257)), limit: 10) } == "InvalidTag")
        // Lengths count UTF-16 units: U+20000 (a letter) takes two.
        #expect(code { try TagSet.checked(tags(1, key: { _ in String(repeating: "𠀀", count: 64) }), limit: 10) } == nil)
        #expect(code { try TagSet.checked(tags(1, key: { _ in String(repeating: "𠀀", count: 65) }), limit: 10) } == "InvalidTag")
        for bad in ["", "a#b", "a,b", "a\u{1}", "aws:x", "AWS:y"] {
            #expect(code { try TagSet.checked([.init(key: bad, value: "v")], limit: 10) } == "InvalidTag", "\(bad)")
        }
        #expect(code { try TagSet.checked([.init(key: "k", value: "a*b")], limit: 10) } == "InvalidTag")
        #expect(code { try TagSet.checked([.init(key: "Ünïcödé 名前 _.:/=+@-9", value: "")], limit: 10) } == nil)
        #expect(code { try TagSet.checked(tags(2, key: { _ in "same" }), limit: 10) } == "InvalidTag")
        #expect(code { try TagSet.checked(tags(50), limit: TagSet.bucketLimit) } == nil)
        #expect(code { try TagSet.checked(tags(51), limit: TagSet.bucketLimit) } == "InvalidTag")
    }

    @Test func theDocumentMustHaveS3sShape() throws {
        #expect(try parseXML(document([("b", " two "), ("a", "")])).tags == [.init(key: "a", value: ""), .init(key: "b", value: " two ")])
        #expect(try parseXML("<Tagging><TagSet/></Tagging>").isEmpty)
        #expect(code { try parseXML("<Tagging/>") } == "MalformedXML")
        #expect(code { try parseXML("<Other><TagSet/></Other>") } == "MalformedXML")
        #expect(code { try parseXML("<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>") } == "MalformedXML")
        #expect(code { try parseXML("<Tagging><TagSet><Tag><Key>k</Key><Key>j</Key><Value/></Tag></TagSet></Tagging>") } == "MalformedXML")
        #expect(code { try parseXML("not xml") } == "MalformedXML")
        #expect(code { try parseXML(document([("k", "1"), ("k", "2")])) } == "InvalidTag")
    }

    @Test func theStoredFormRoundTrips() throws {
        let set = try TagSet.checked([.init(key: "a b", value: "x=y+z 9"), .init(key: "é/:", value: "+@-")], limit: 10)
        #expect(TagSet(stored: set.storedForm) == set)
        #expect(TagSet(stored: []) == TagSet())
        #expect(TagSet(stored: Array("a=b=c".utf8)) == nil)
    }

    // MARK: The operations

    func tagSet(_ reply: S3Harness.Reply) -> [String: String] {
        var out: [String: String] = [:]
        for tag in FrontKit.XMLElement.parse(reply.body)?.child("TagSet")?.children("Tag") ?? [] {
            out[tag.child("Key")?.text ?? ""] = tag.child("Value")?.text ?? ""
        }
        return out
    }

    @Test func objectTaggingOperations() async throws {
        let h = try await S3Harness.make()
        _ = try await h.send(.put, "/bkt")
        let expires = "Thu, 01 Jan 2099 00:00:00 GMT"
        let put = try await h.send(.put, "/bkt/o", headers: [("x-amz-tagging", "a=1&b=two"), ("Expires", expires)], body: [1, 2])
        #expect(put.status == 200)
        let head = try await h.send(.head, "/bkt/o")
        #expect(head.header("x-amz-tagging-count") == "2" && head.header("Expires") == expires)
        #expect(tagSet(try await h.send(.get, "/bkt/o?tagging")) == ["a": "1", "b": "two"])

        let replaced = try await h.send(.put, "/bkt/o?tagging", body: Array(document([("c", "3")]).utf8))
        #expect(replaced.status == 200)
        #expect(tagSet(try await h.send(.get, "/bkt/o?tagging")) == ["c": "3"])
        // Tags are not the object's content or properties: ETag and Last-Modified stay.
        let after = try await h.send(.head, "/bkt/o")
        #expect(after.header("ETag") == head.header("ETag") && after.header("Last-Modified") == head.header("Last-Modified"))
        #expect(after.header("x-amz-tagging-count") == "1")

        let bad = try await h.send(.put, "/bkt/o?tagging", body: Array(document([("k#", "v")]).utf8))
        #expect(bad.status == 400 && bad.code == "InvalidTag")
        let tooMany = try await h.send(.put, "/bkt/o?tagging", body: Array(document((0..<11).map { ("k\($0)", "v") }).utf8))
        #expect(tooMany.status == 400 && tooMany.code == "BadRequest")
        let malformed = try await h.send(.put, "/bkt/o?tagging", body: Array("<Tagging>".utf8))
        #expect(malformed.status == 400 && malformed.code == "MalformedXML")
        #expect(tagSet(try await h.send(.get, "/bkt/o?tagging")) == ["c": "3"])

        #expect(try await h.send(.delete, "/bkt/o?tagging").status == 204)
        #expect(tagSet(try await h.send(.get, "/bkt/o?tagging")).isEmpty)
        #expect(try await h.send(.head, "/bkt/o").header("x-amz-tagging-count") == nil)
        #expect(try await h.send(.get, "/bkt/none?tagging").code == "NoSuchKey")
        #expect(try await h.send(.put, "/bkt/none?tagging", body: Array(document([("c", "3")]).utf8)).code == "NoSuchKey")
        #expect(try await h.send(.get, "/bkt/o?tagging&versionId=abc").code == "InvalidArgument")

        // A bad header refuses the write: nothing is created or replaced.
        let refused = try await h.send(.put, "/bkt/o", headers: [("x-amz-tagging", "a=1&a=2")], body: [9])
        #expect(refused.status == 400 && refused.code == "InvalidArgument")
        #expect(try await h.send(.get, "/bkt/o").body == [1, 2])
        // A plain overwrite gives the new object no tags and no Expires.
        _ = try await h.send(.put, "/bkt/o?tagging", body: Array(document([("c", "3")]).utf8))
        _ = try await h.send(.put, "/bkt/o", body: [3])
        let plain = try await h.send(.head, "/bkt/o")
        #expect(plain.header("x-amz-tagging-count") == nil && plain.header("Expires") == nil)
        try await h.finish()
    }

    @Test func copyAndMultipartCarryTags() async throws {
        let h = try await S3Harness.make()
        _ = try await h.send(.put, "/bkt")
        _ = try await h.send(.put, "/bkt/src", headers: [("x-amz-tagging", "s=1"), ("Expires", "soon")], body: [1])
        let copyHeaders = [("x-amz-copy-source", "/bkt/src")]
        #expect(try await h.send(.put, "/bkt/copy", headers: copyHeaders).status == 200)
        #expect(tagSet(try await h.send(.get, "/bkt/copy?tagging")) == ["s": "1"])
        #expect(try await h.send(.head, "/bkt/copy").header("Expires") == "soon")
        _ = try await h.send(.put, "/bkt/replaced", headers: copyHeaders + [("x-amz-tagging-directive", "REPLACE"), ("x-amz-tagging", "r=2")])
        #expect(tagSet(try await h.send(.get, "/bkt/replaced?tagging")) == ["r": "2"])
        _ = try await h.send(.put, "/bkt/untagged", headers: copyHeaders + [("x-amz-tagging-directive", "REPLACE"),
                                                                            ("x-amz-metadata-directive", "REPLACE")])
        let untagged = try await h.send(.head, "/bkt/untagged")
        #expect(untagged.header("x-amz-tagging-count") == nil && untagged.header("Expires") == nil)
        let badDirective = try await h.send(.put, "/bkt/x", headers: copyHeaders + [("x-amz-tagging-directive", "MERGE")])
        #expect(badDirective.status == 400 && badDirective.code == "InvalidArgument")
        #expect(try await h.send(.head, "/bkt/x").status == 404)

        let created = try await h.send(.post, "/bkt/mp?uploads", headers: [("x-amz-tagging", "m=3"), ("Expires", "later")])
        let uploadId = try #require(FrontKit.XMLElement.parse(created.body)?.value("UploadId"))
        let e1 = try #require(try await h.send(.put, "/bkt/mp?partNumber=1&uploadId=\(uploadId)", body: [5]).header("ETag"))
        let complete = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(e1)</ETag></Part></CompleteMultipartUpload>"
        #expect(try await h.send(.post, "/bkt/mp?uploadId=\(uploadId)", body: Array(complete.utf8)).status == 200)
        #expect(tagSet(try await h.send(.get, "/bkt/mp?tagging")) == ["m": "3"])
        #expect(try await h.send(.head, "/bkt/mp").header("Expires") == "later")
        let refused = try await h.send(.post, "/bkt/mp2?uploads", headers: [("x-amz-tagging", "a#=1")])
        #expect(refused.status == 400 && refused.code == "InvalidTag")
        try await h.finish()
    }

    @Test func bucketTagging() async throws {
        let h = try await S3Harness.make()
        _ = try await h.send(.put, "/bkt")
        let none = try await h.send(.get, "/bkt?tagging")
        #expect(none.status == 404 && none.code == "NoSuchTagSet")
        let fifty = (0..<50).map { ("k\($0)", "v\($0)") }
        #expect(try await h.send(.put, "/bkt?tagging", body: Array(document(fifty).utf8)).status == 204)
        #expect(tagSet(try await h.send(.get, "/bkt?tagging")).count == 50)
        let tooMany = try await h.send(.put, "/bkt?tagging", body: Array(document(fifty + [("x", "y")]).utf8))
        #expect(tooMany.status == 400 && tooMany.code == "InvalidTag")
        #expect(tagSet(try await h.send(.get, "/bkt?tagging")).count == 50)
        #expect(try await h.send(.delete, "/bkt?tagging").status == 204)
        #expect(try await h.send(.get, "/bkt?tagging").code == "NoSuchTagSet")
        #expect(try await h.send(.get, "/missing?tagging").code == "NoSuchBucket")
        // Deleting the bucket deletes its tags: a new bucket of that name has none.
        _ = try await h.send(.put, "/bkt?tagging", body: Array(document([("a", "b")]).utf8))
        #expect(try await h.send(.delete, "/bkt").status == 204)
        _ = try await h.send(.put, "/bkt")
        #expect(try await h.send(.get, "/bkt?tagging").code == "NoSuchTagSet")
        #expect(try await h.store.check(verifiers: [BucketTags.table: BucketTags.verifier]).problems == [])
        try await h.finish()
    }
}
