import Foundation
import FrontKit
import HTTPTypes
import Testing
@testable import FileREST
@testable import ShareCore

/// Drives ``FileRESTService`` without sockets: builds requests as the SDK would, signs them
/// with Shared Key, and returns the response with its body collected.
struct Harness {
    let path: String
    let store: ShareStore
    let service: FileRESTService
    let config: FileRESTConfiguration
    var account: String { config.account }

    static func make() async throws -> Harness {
        let path = NSTemporaryDirectory() + "filerest-test-" + UUID().uuidString
        let store = try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
        var config = try #require(FileRESTConfiguration())
        config.acceptsUnverifiedBearerTokens = true
        return Harness(path: path, store: store, service: FileRESTService(store: store, configuration: config), config: config)
    }

    /// A collected response.
    struct Reply {
        let status: Int
        let headers: HTTPFields
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
        /// The `x-ms-error-code` header.
        var errorCode: String? { header("x-ms-error-code") }
        /// The body parsed as XML.
        var xml: FrontKit.XMLElement? { FrontKit.XMLElement.parse(body) }
    }

    /// Sends `method` to `/account/<pathAndQuery>` with `headers` and `body`, signed unless
    /// `sign` is false.
    func send(_ method: HTTPRequest.Method, _ pathAndQuery: String, headers: [String: String] = [:],
              body: [UInt8] = [], sign: Bool = true, version: String = FileRESTService.newestVersion,
              scheme: String = "http") async throws -> Reply {
        var fields = HTTPFields()
        fields.set("x-ms-version", version)
        fields.set("x-ms-date", HTTPDate.format(Date()))
        if !body.isEmpty || method == .put { fields.set("Content-Length", String(body.count)) }
        for (name, value) in headers { fields.set(name, value) }
        let full = "/" + account + (pathAndQuery.hasPrefix("/") ? pathAndQuery : "/" + pathAndQuery)
        var head = HTTPRequest(method: method, scheme: scheme, authority: "127.0.0.1:10004", path: full, headerFields: fields)
        if sign {
            let parsed = try FileRequest.parse(FrontRequest(head: head), account: account)
            let signature = SharedKey.sign(SharedKey.stringToSign(parsed), key: config.accountKey)
            head.headerFields.set("Authorization", "SharedKey \(account):\(signature)")
        }
        let response = await service.respond(to: FrontRequest(head: head, body: RequestBody(bytes: body)))
        var collected: [UInt8] = []
        switch response.body {
        case .empty: break
        case .bytes(let b): collected = b
        case .stream(_, let chunks):
            var iterator = chunks.makeIterator()
            while let next = try await iterator.next() { collected += next }
        }
        return Reply(status: Int(response.head.status.code), headers: response.head.headerFields, body: collected)
    }

    func finish() async throws {
        let report = try await store.check()
        #expect(report.problems == [])
        await store.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}
