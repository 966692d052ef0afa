import Foundation
import FrontKit
import Testing
@testable import S3
@testable import ShareCore

/// GetObjectAttributes, and the checksum a multipart object gets from its parts' checksums.
@Suite struct ObjectAttributesTests {
    static let all = ("x-amz-object-attributes", "ETag,Checksum,ObjectParts,StorageClass,ObjectSize")

    func attributes(_ reply: S3Harness.Reply) throws -> FrontKit.XMLElement {
        #expect(reply.status == 200, "\(reply.text)")
        let root = try #require(FrontKit.XMLElement.parse(reply.body))
        #expect(root.name == "GetObjectAttributesResponse")
        return root
    }

    @Test func aSimpleObject() async throws {
        let h = try await S3Harness.make()
        _ = try await h.send(.put, "/bkt")
        let put = try await h.send(.put, "/bkt/k", headers: [("x-amz-checksum-crc32", "jHNlIQ==")], body: Array("foo".utf8))
        #expect(put.status == 200, "\(put.text)")
        let reply = try await h.send(.get, "/bkt/k?attributes", headers: [Self.all])
        let root = try attributes(reply)
        #expect(root.value("ETag") == put.header("ETag")?.replacingOccurrences(of: "\"", with: ""))
        #expect(root.value("ObjectSize") == "3" && root.value("StorageClass") == "STANDARD")
        #expect(root.child("Checksum")?.value("ChecksumCRC32") == "jHNlIQ==")
        #expect(root.child("Checksum")?.value("ChecksumType") == "FULL_OBJECT")
        #expect(root.child("ObjectParts") == nil, "a single-part object has no parts")
        #expect(reply.header("Last-Modified") != nil)
        // Only what was asked for.
        let some = try attributes(try await h.send(.get, "/bkt/k?attributes", headers: [("x-amz-object-attributes", "ObjectSize")]))
        #expect(some.children.map(\.name) == ["ObjectSize"])
        // S3's errors.
        #expect(try await h.send(.get, "/bkt/k?attributes").code == "InvalidArgument")
        #expect(try await h.send(.get, "/bkt/k?attributes", headers: [("x-amz-object-attributes", "Size")]).code == "InvalidArgument")
        #expect(try await h.send(.get, "/bkt/k?attributes", headers: [Self.all, ("x-amz-max-parts", "-1")]).code == "InvalidArgument")
        #expect(try await h.send(.get, "/bkt/none?attributes", headers: [Self.all]).code == "NoSuchKey")
        try await h.finish()
    }

    @Test func aMultipartObjectWithChecksums() async throws {
        let h = try await S3Harness.make()
        _ = try await h.send(.put, "/bkt")
        let created = try await h.send(.post, "/bkt/mp?uploads", headers: [("x-amz-checksum-algorithm", "CRC32")])
        let id = try #require(FrontKit.XMLElement.parse(created.body)?.value("UploadId"))
        let sizes = [5 << 20, 5 << 20, 7]
        var etags: [String] = []
        var checksums: [String?] = []
        for (i, size) in sizes.enumerated() {
            let part = try await h.send(.put, "/bkt/mp?partNumber=\(i + 1)&uploadId=\(id)", body: [UInt8](repeating: UInt8(i), count: size))
            etags.append(try #require(part.header("ETag")))
            checksums.append(part.header("x-amz-checksum-crc32"))
        }
        let list = etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element)</ETag></Part>" }.joined()
        let done = try await h.send(.post, "/bkt/mp?uploadId=\(id)", body: Array("<CompleteMultipartUpload>\(list)</CompleteMultipartUpload>".utf8))
        let result = try #require(FrontKit.XMLElement.parse(done.body))
        // Without a whole-object checksum from the client, S3 reports the composite one.
        let composite = try #require(result.value("ChecksumCRC32"))
        #expect(composite.hasSuffix("-3") && result.value("ChecksumType") == "COMPOSITE")
        // The object keeps it.
        let head = try await h.send(.head, "/bkt/mp", headers: [("x-amz-checksum-mode", "ENABLED")])
        #expect(head.header("x-amz-checksum-crc32") == composite && head.header("x-amz-checksum-type") == "COMPOSITE")

        let root = try attributes(try await h.send(.get, "/bkt/mp?attributes", headers: [Self.all]))
        #expect(root.child("Checksum")?.value("ChecksumCRC32") == composite)
        #expect(root.value("ObjectSize") == String(sizes.reduce(0, +)))
        let parts = try #require(root.child("ObjectParts"))
        #expect(parts.value("PartsCount") == "3" && parts.value("IsTruncated") == "false")
        #expect(parts.children("Part").map { $0.value("Size") } == sizes.map { String($0) })
        // Each part with its checksum, as the part's upload answered it.
        #expect(parts.children("Part").map { $0.value("ChecksumCRC32") } == checksums)
        // A write through the engine (as FileREST makes) ends the multipart object: no parts.
        _ = try await h.store.share("bkt").write("mp", at: 0, [42])
        let written = try attributes(try await h.send(.get, "/bkt/mp?attributes", headers: [Self.all]))
        #expect(written.child("ObjectParts") == nil && written.child("Checksum") == nil)
        return try await pagedAfterRecompletion(h)
    }

    /// Completes a multipart object again and pages its parts.
    func pagedAfterRecompletion(_ h: S3Harness) async throws {
        let created = try await h.send(.post, "/bkt/mp?uploads", headers: [("x-amz-checksum-algorithm", "CRC32")])
        let id = try #require(FrontKit.XMLElement.parse(created.body)?.value("UploadId"))
        var list = ""
        for (i, size) in [5 << 20, 5 << 20, 7].enumerated() {
            let part = try await h.send(.put, "/bkt/mp?partNumber=\(i + 1)&uploadId=\(id)", body: [UInt8](repeating: 1, count: size))
            list += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(part.header("ETag") ?? "")</ETag></Part>"
        }
        #expect(try await h.send(.post, "/bkt/mp?uploadId=\(id)", body: Array("<CompleteMultipartUpload>\(list)</CompleteMultipartUpload>".utf8)).status == 200)
        // Paged by x-amz-max-parts and x-amz-part-number-marker.
        let page = try attributes(try await h.send(.get, "/bkt/mp?attributes",
                                                   headers: [Self.all, ("x-amz-max-parts", "1"), ("x-amz-part-number-marker", "1")]))
        let paged = try #require(page.child("ObjectParts"))
        #expect(paged.children("Part").map { $0.value("PartNumber") } == ["2"])
        #expect(paged.value("IsTruncated") == "true" && paged.value("NextPartNumberMarker") == "2")
        #expect(paged.value("PartNumberMarker") == "1" && paged.value("MaxParts") == "1")
        try await h.finish()
    }
}
