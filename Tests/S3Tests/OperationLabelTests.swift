import FrontKit
import HTTPTypes
import Testing
@testable import S3
@testable import ShareCore

/// Each answer names its S3 operation (for `/metrics` and logs), refusals included.
@Suite struct S3OperationLabelTests {
    func respond(_ harness: S3Harness, _ method: HTTPRequest.Method, _ path: String, signed: Bool = true) async -> FrontResponse {
        var head = HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1:9000", path: path, headerFields: [:])
        if method == .put { head.headerFields.set("Content-Length", "0") }
        if signed { SigV4.sign(&head, accessKey: S3Harness.accessKey, secret: S3Harness.secret) }
        return await harness.service.respond(to: FrontRequest(head: head))
    }

    @Test func answersCarryTheirOperation() async throws {
        let harness = try await S3Harness.make()
        let created = await respond(harness, .put, "/labels")
        #expect(created.head.status == .ok && created.operation == "CreateBucket")
        let put = await respond(harness, .put, "/labels/a.txt")
        #expect(put.operation == "PutObject")
        let missing = await respond(harness, .get, "/labels/none")
        #expect(missing.head.status == .notFound && missing.operation == "GetObject")
        let listed = await respond(harness, .get, "/labels?list-type=2")
        #expect(listed.operation == "ListObjectsV2")
        let refused = await respond(harness, .get, "/labels/a.txt", signed: false)
        #expect(refused.head.status == .forbidden && refused.operation == "GetObject")
        try await harness.finish()
    }
}
