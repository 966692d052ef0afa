import Foundation
import FrontKit
import HTTPTypes
import Testing
@testable import FileREST
@testable import ShareCore

/// Each answer names its FileREST operation (for `/metrics` and logs), errors included.
@Suite struct FileRESTOperationLabelTests {
    func respond(_ harness: Harness, _ method: HTTPRequest.Method, _ path: String, headers: [String: String] = [:]) async throws -> FrontResponse {
        var fields = HTTPFields()
        fields.set("x-ms-version", FileRESTService.newestVersion)
        fields.set("x-ms-date", HTTPDate.format(Date()))
        if method == .put { fields.set("Content-Length", "0") }
        for (name, value) in headers { fields.set(name, value) }
        var head = HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1:10004", path: "/\(harness.account)\(path)", headerFields: fields)
        let parsed = try FileRequest.parse(FrontRequest(head: head), account: harness.account)
        head.headerFields.set("Authorization", "SharedKey \(harness.account):\(SharedKey.sign(SharedKey.stringToSign(parsed), key: harness.config.accountKey))")
        return await harness.service.respond(to: FrontRequest(head: head))
    }

    @Test func answersCarryTheirOperation() async throws {
        let harness = try await Harness.make()
        let created = try await respond(harness, .put, "/labels?restype=share")
        #expect(created.head.status == .created && created.operation == "CreateShare")
        let file = try await respond(harness, .put, "/labels/a.txt", headers: ["x-ms-type": "file", "x-ms-content-length": "4"])
        #expect(file.operation == "CreateFile")
        let missing = try await respond(harness, .get, "/labels/none")
        #expect(missing.head.status == .notFound && missing.operation == "GetFile")
        let listed = try await respond(harness, .get, "/labels?restype=directory&comp=list")
        #expect(listed.operation == "ListDirectory")
        await harness.store.close()
    }
}
