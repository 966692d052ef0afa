import Foundation
import FrontKit
import HTTPTypes
import Testing
@testable import IISFiles
@testable import ShareCore

/// Drives ``IISFilesService`` without sockets, with the access token, and collects replies.
struct Harness {
    let path: String
    let store: ShareStore
    let service: IISFilesService
    static let token = "test-token"
    static let account = "devstoreaccount1"

    /// A store with share `data`, directory `site` exposed read-write as location `site`,
    /// and `ro` exposed read-only.
    static func make() async throws -> Harness {
        let path = NSTemporaryDirectory() + "iis-test-" + UUID().uuidString
        let store = try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
        try await Locations.save(Location(alias: "site", path: ItemPath(share: "data", components: ["site"]), claims: [.read, .write]), in: store)
        try await Locations.save(Location(alias: "ro", path: ItemPath(share: "data", components: ["ro"]), claims: [.read]), in: store)
        let service = try await IISFilesService(store: store, configuration: IISFilesConfiguration(account: account, adminToken: AdminToken(token)))
        return Harness(path: path, store: store, service: service)
    }

    func close() async {
        await store.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    struct Reply {
        let status: Int
        let headers: HTTPFields
        let body: [UInt8]
        var json: JSON? { JSON.parse(body) }
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
    }

    func send(_ method: HTTPRequest.Method, _ path: String, headers: [String: String] = [:], body: [UInt8] = [],
              token: String? = Harness.token) async throws -> Reply {
        var fields = HTTPFields()
        if let token { fields.set("Access-Token", "Bearer \(token)") }
        for (name, value) in headers { fields.set(name, value) }
        if !body.isEmpty { fields.set("Content-Length", String(body.count)) }
        let head = HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1:55539", path: path, headerFields: fields)
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

    func send(_ method: HTTPRequest.Method, _ path: String, json: String, headers: [String: String] = [:]) async throws -> Reply {
        var h = headers
        h["Content-Type"] = "application/json"
        return try await send(method, path, headers: h, body: Array(json.utf8))
    }

    /// The id the front gives `share/components`.
    func id(_ share: String, _ components: String...) -> String {
        service.ids.file(ItemPath(share: share, components: components), caseSensitive: false)
    }
}

extension JSON {
    /// The member at a dotted path.
    func at(_ path: String) -> JSON? {
        var value: JSON? = self
        for key in path.split(separator: ".") { value = value?[String(key)] }
        return value
    }

    var intValue: Int64? {
        if case .int(let i) = self { return i }
        return nil
    }

    var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }
}
