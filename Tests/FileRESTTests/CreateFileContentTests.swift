import Crypto
import Foundation
import FrontKit
import Testing
@testable import FileREST
@testable import ShareCore

/// Create File with a body (version 2026-02-06 and later): the bytes are stored with the create
/// or the request is refused, never acknowledged and dropped; and re-creating a leased file
/// keeps its lease.
@Suite struct CreateFileContentTests {
    static let leaseId = "7a1c3b5e-0000-4000-8000-000000000001"

    private func make() async throws -> Harness {
        let h = try await Harness.make()
        try await h.store.createShare("docs")
        return h
    }

    private func create(_ h: Harness, _ path: String, length: Int, body: [UInt8], headers: [String: String] = [:],
                        version: String = FileRESTService.newestVersion) async throws -> Harness.Reply {
        var all = ["x-ms-type": "file", "x-ms-content-length": String(length)]
        all.merge(headers) { _, new in new }
        return try await h.send(.put, "docs/\(path)", headers: all, body: body, version: version)
    }

    private func md5(_ bytes: [UInt8]) -> String { Data(Insecure.MD5.hash(data: bytes)).base64EncodedString() }

    @Test func theBodyIsStoredWithTheCreate() async throws {
        let h = try await make()
        let body = Array("hello, file".utf8)
        let reply = try await create(h, "f", length: 32, body: body, headers: ["Content-MD5": md5(body)])
        #expect(reply.status == 201)
        #expect(reply.header("Content-MD5") == md5(body))
        let share = h.store.share("docs")
        #expect(try await share.info("f").size == 32)
        #expect(try await share.read("f") == body + [UInt8](repeating: 0, count: 32 - body.count))
        #expect(try await share.ranges("f") == [0..<UInt64(body.count)])
        // The whole 4 MiB a create may carry.
        let full = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(try await create(h, "full", length: full.count, body: full).status == 201)
        #expect(try await share.read("full") == full)
        try await h.finish()
    }

    @Test func aBodyThatCannotBeStoredIsRefusedAndNothingChanges() async throws {
        let h = try await make()
        let share = h.store.share("docs")
        let body = Array("content".utf8)
        let wrongMD5 = try await create(h, "f", length: 16, body: body, headers: ["Content-MD5": md5(Array("other".utf8))])
        #expect(wrongMD5.status == 400 && wrongMD5.errorCode == "Md5Mismatch")
        let wrongCRC = try await create(h, "f", length: 16, body: body,
                                        headers: ["x-ms-content-crc64": Data(StorageCRC64.bytes(1)).base64EncodedString()])
        #expect(wrongCRC.status == 400 && wrongCRC.errorCode == "Crc64Mismatch")
        let longerThanFile = try await create(h, "f", length: 3, body: body)
        #expect(longerThanFile.status == 400 && longerThanFile.errorCode == "InvalidHeaderValue")
        let tooLarge = try await create(h, "f", length: 8 << 20, body: [UInt8](repeating: 1, count: (4 << 20) + 1))
        #expect(tooLarge.status == 413 && tooLarge.errorCode == "RequestBodyTooLarge")
        let structured = try await create(h, "f", length: 16, body: body, headers: ["x-ms-structured-body": "XSM/1.0; properties=crc64"])
        #expect(structured.status == 400 && structured.errorCode == "MissingRequiredHeader")
        let notAMessage = try await create(h, "f", length: 16, body: [UInt8](repeating: 0, count: 48), headers: [
            "x-ms-structured-body": "XSM/1.0; properties=crc64", "x-ms-structured-content-length": "16"])
        #expect(notAMessage.status == 400 && notAMessage.errorCode == "InvalidInput")
        // Before version 2026-02-06 Create File carries no content.
        let oldVersion = try await create(h, "f", length: 16, body: body, version: "2025-05-05")
        #expect(oldVersion.status == 400 && oldVersion.errorCode == "InvalidHeaderValue")
        #expect(try await share.exists("f") == false)
        // A refused replacement leaves the existing file as it was.
        try await share.createFile("kept", length: 4, content: [1, 2, 3, 4])
        let refused = try await create(h, "kept", length: 16, body: body, headers: ["Content-MD5": md5([9])])
        #expect(refused.status == 400)
        #expect(try await share.read("kept") == [1, 2, 3, 4])
        try await h.finish()
    }

    @Test func recreatingALeasedFileKeepsTheLease() async throws {
        let h = try await make()
        let share = h.store.share("docs")
        try await share.createFile("a.txt", length: 5)
        let acquired = try await h.send(.put, "docs/a.txt?comp=lease",
                                        headers: ["x-ms-lease-action": "acquire", "x-ms-lease-duration": "-1",
                                                  "x-ms-proposed-lease-id": Self.leaseId])
        #expect(acquired.status == 201)
        let without = try await create(h, "a.txt", length: 3, body: [])
        #expect(without.status == 412 && without.errorCode == "LeaseIdMissing")
        let with = try await create(h, "a.txt", length: 3, body: [7, 8, 9], headers: ["x-ms-lease-id": Self.leaseId])
        #expect(with.status == 201)
        #expect(try await share.read("a.txt") == [7, 8, 9])
        #expect(try await share.info("a.txt").lease?.id == Self.leaseId)
        let properties = try await h.send(.head, "docs/a.txt")
        #expect(properties.header("x-ms-lease-state") == "leased")
        let delete = try await h.send(.delete, "docs/a.txt")
        #expect(delete.status == 412 && delete.errorCode == "LeaseIdMissing")
        #expect(try await h.send(.delete, "docs/a.txt", headers: ["x-ms-lease-id": Self.leaseId]).status == 202)
        try await h.finish()
    }
}
