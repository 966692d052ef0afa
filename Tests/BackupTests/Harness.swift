import Foundation
import FrontKit
import HTTPTypes
import Testing
@testable import Backup
@testable import ShareCore

let subscription = "ef4ab5a7-c2c0-4304-af80-af49f48af3d1"
let vaultPath = "/subscriptions/\(subscription)/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/vault1"
let containerPath = "\(vaultPath)/backupFabrics/Azure/protectionContainers/StorageContainer;storage;rg;devstoreaccount1"
func itemPath(_ share: String) -> String { "\(containerPath)/protectedItems/AzureFileShare;\(share)" }

/// Drives ``BackupService`` without sockets.
struct Harness {
    let path: String
    let store: ShareStore
    let service: BackupService
    static let token = "test-token"

    static func make(store existing: ShareStore? = nil, path: String? = nil) async throws -> Harness {
        let path = path ?? NSTemporaryDirectory() + "backup-test-" + UUID().uuidString
        let store: ShareStore
        if let existing {
            store = existing
        } else {
            store = try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
        }
        let config = BackupConfiguration(account: "devstoreaccount1", adminToken: AdminToken(token))
        return Harness(path: path, store: store, service: BackupService(store: store, configuration: config))
    }

    func finish() async throws {
        let report = try await store.check(verifiers: BackupService.recordVerifiers)
        #expect(report.problems == [])
        await store.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    struct Reply {
        let status: Int
        let headers: HTTPFields
        let body: [UInt8]
        func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]) ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var properties: [String: Any] { json["properties"] as? [String: Any] ?? [:] }
        var values: [[String: Any]] { json["value"] as? [[String: Any]] ?? [] }
    }

    /// Sends `method` to `path` (api-version added unless the path has a query) with a JSON body.
    func send(_ method: HTTPRequest.Method, _ path: String, json: Any? = nil, raw: String? = nil,
              token: String? = Harness.token, headers: [String: String] = [:], version: String? = "2019-05-13") async throws -> Reply {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        var full = path
        if let version, !path.contains("api-version") { full += (path.contains("?") ? "&" : "?") + "api-version=\(version)" }
        var body: [UInt8] = []
        if let json { body = Array(try JSONSerialization.data(withJSONObject: json)) }
        if let raw { body = Array(raw.utf8) }
        let head = HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1:10005", path: full, headerFields: fields)
        let response = await service.respond(to: FrontRequest(head: head, body: RequestBody(bytes: body)))
        var collected: [UInt8] = []
        if case .bytes(let b) = response.body { collected = b }
        return Reply(status: response.head.status.code, headers: response.head.headerFields, body: collected)
    }

    /// Polls an operation until it is no longer InProgress; returns its final status body.
    func waitForOperation(_ asyncURL: String) async throws -> Reply {
        let path = String(asyncURL.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
        for _ in 0..<400 {
            let reply = try await send(.get, path)
            if reply.json["status"] as? String != "InProgress" { return reply }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("operation did not finish")
        return try await send(.get, path)
    }

    func write(_ share: String, _ path: String, _ text: String) async throws {
        let s = store.share(share)
        let bytes = Array(text.utf8)
        try await s.createFile(path, length: UInt64(bytes.count), overwrite: true)
        if !bytes.isEmpty { try await s.write(path, at: 0, bytes) }
    }

    func read(_ share: String, _ path: String) async throws -> String {
        String(decoding: try await store.share(share).read(path), as: UTF8.self)
    }
}

/// A daily policy body at `time` (`HH:MM:SS` UTC) keeping points `days` days.
func dailyPolicy(_ time: String = "08:00:00", days: Int = 5) -> [String: Any] {
    ["properties": [
        "backupManagementType": "AzureStorage", "workLoadType": "AzureFileShare", "timeZone": "UTC",
        "schedulePolicy": ["schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily",
                           "scheduleRunTimes": ["2021-09-29T\(time)Z"]],
        "retentionPolicy": ["retentionPolicyType": "LongTermRetentionPolicy",
                            "dailySchedule": ["retentionTimes": ["2021-09-29T\(time)Z"],
                                              "retentionDuration": ["count": days, "durationType": "Days"]]],
    ] as [String: Any]]
}
