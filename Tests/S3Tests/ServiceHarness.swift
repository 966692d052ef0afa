import Foundation
import FrontKit
import HTTPTypes
import Testing
@testable import S3
@testable import ShareCore

/// Drives ``S3Service`` without sockets: signs requests as an SDK would (SigV4, unsigned
/// payload) and returns the response with its body collected.
struct S3Harness {
    static let accessKey = "devstoreaccount1"
    static let secret = "secret-key"

    let path: String
    let store: ShareStore
    let service: S3Service

    static func make(region: String = "us-east-1") async throws -> S3Harness {
        let path = NSTemporaryDirectory() + "s3-test-" + UUID().uuidString
        let store = try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
        let configuration = S3Configuration(accessKey: accessKey, secretKey: secret, region: region)
        return S3Harness(path: path, store: store, service: S3Service(store: store, configuration: configuration))
    }

    /// A collected response.
    struct Reply {
        let status: Int
        let headers: HTTPFields
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
        /// The `<Code>` of an error body.
        var code: String? { FrontKit.XMLElement.parse(body)?.value("Code") }
    }

    /// Sends `method` to `pathAndQuery` (path style) with `headers` and `body`, signed.
    /// `signer` signs with another key (id, secret); `anonymous` sends no signature at all.
    func send(_ method: HTTPRequest.Method, _ pathAndQuery: String, headers: [(String, String)] = [],
              body: [UInt8] = [], signer: (String, String)? = nil, anonymous: Bool = false,
              remoteAddress: String? = nil) async throws -> Reply {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        if !body.isEmpty || method == .put || method == .post { fields.set("Content-Length", String(body.count)) }
        var head = HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1:9000", path: pathAndQuery, headerFields: fields)
        if !anonymous {
            SigV4.sign(&head, accessKey: signer?.0 ?? Self.accessKey, secret: signer?.1 ?? Self.secret)
        }
        let response = await service.respond(to: FrontRequest(head: head, body: RequestBody(bytes: body),
                                                               remoteAddress: remoteAddress))
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
        await store.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}
