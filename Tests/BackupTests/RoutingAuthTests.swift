import Foundation
import HTTPTypes
import Testing
@testable import Backup
@testable import ShareCore

@Suite struct RoutingAuthTests {
    @Test func missingWrongAndMalformedTokensAre401BeforeAnythingElse() async throws {
        let h = try await Harness.make()
        // No api-version and a bad subscription: auth still comes first.
        let missing = try await h.send(.get, "/subscriptions/nope/x", token: nil, version: nil)
        #expect(missing.status == 401)
        #expect(missing.errorCode == "AuthenticationFailed")
        #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer error=\"invalid_token\"") == true)
        #expect((missing.json["error"] as? [String: Any])?["message"] as? String == "Authentication failed. The 'Authorization' header is missing.")

        let basic = try await h.send(.get, "\(vaultPath)/backupJobs", token: nil, headers: ["Authorization": "Basic abc"])
        #expect(basic.status == 401 && basic.errorCode == "AuthenticationFailed")
        let empty = try await h.send(.get, "\(vaultPath)/backupJobs", token: nil, headers: ["Authorization": "Bearer "])
        #expect(empty.status == 401 && empty.errorCode == "AuthenticationFailed")
        let wrong = try await h.send(.get, "\(vaultPath)/backupJobs", token: "other")
        #expect(wrong.status == 401 && wrong.errorCode == "InvalidAuthenticationToken")
        #expect(wrong.header("WWW-Authenticate") != nil)

        let lower = try await h.send(.get, "\(vaultPath)/backupJobs", token: nil, headers: ["Authorization": "bearer \(Harness.token)"])
        #expect(lower.status == 200)
        let accessToken = try await h.send(.get, "\(vaultPath)/backupJobs", token: nil, headers: ["Access-Token": "Bearer \(Harness.token)"])
        #expect(accessToken.status == 200)
        try await h.finish()
    }

    @Test func apiVersionAndSubscriptionRules() async throws {
        let h = try await Harness.make()
        let none = try await h.send(.get, "\(vaultPath)/backupJobs", version: nil)
        #expect(none.status == 400 && none.errorCode == "MissingApiVersionParameter")
        let bad = try await h.send(.get, "\(vaultPath)/backupJobs", version: "latest")
        #expect(bad.status == 400 && bad.errorCode == "InvalidApiVersionParameter")
        for version in ["2016-12-01", "2019-05-13", "2026-10-01", "2021-02-10-preview"] {
            #expect(try await h.send(.get, "\(vaultPath)/backupJobs", version: version).status == 200)
        }
        let sub = try await h.send(.get, "/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupJobs")
        #expect(sub.status == 400 && sub.errorCode == "InvalidSubscriptionId")
        let unknown = try await h.send(.get, "\(vaultPath)/backupWidgets")
        #expect(unknown.status == 404 && unknown.errorCode == "NotFound")
        let method = try await h.send(.delete, "\(vaultPath)/backupJobs")
        #expect(method.status == 405 && method.errorCode == "MethodNotAllowed")
        try await h.finish()
    }

    @Test func segmentsAreCaseInsensitiveAndSemicolonsMayBeEncoded() async throws {
        let h = try await Harness.make()
        try await h.store.createShare("docs")
        let snap = try await h.store.createSnapshot(of: "docs")
        let mixed = "/Subscriptions/\(subscription)/resourcegroups/RG/providers/microsoft.recoveryservices/VAULTS/Vault1/BACKUPFABRICS/azure/protectionContainers/storagecontainer%3Bstorage%3Brg%3BDevStoreAccount1/protectedItems/azurefileshare%3BDocs/recoveryPoints/"
        let list = try await h.send(.get, mixed)
        #expect(list.status == 200)
        let point = try #require(list.values.first)
        #expect(point["name"] as? String == String(snap.created.ticks))
        let props = try #require(point["properties"] as? [String: Any])
        #expect(props["recoveryPointTime"] as? String == snap.name)
        #expect(props["objectType"] as? String == "AzureFileShareRecoveryPoint")
        #expect(props["fileShareSnapshotUri"] as? String == "http://127.0.0.1:10004/devstoreaccount1/docs?sharesnapshot=\(snap.name)")
        #expect(props["recoveryPointSizeInGB"] as? Int == 0)
        let one = try await h.send(.get, "\(itemPath("docs"))/recoveryPoints/\(snap.created.ticks)")
        #expect(one.status == 200 && one.json["name"] as? String == String(snap.created.ticks))

        // Other account, fabric or share: 404 item not found; bad point: 404.
        for path in ["\(vaultPath)/backupFabrics/Azure/protectionContainers/StorageContainer;storage;rg;other/protectedItems/AzureFileShare;docs/recoveryPoints",
                     "\(vaultPath)/backupFabrics/Other/protectionContainers/StorageContainer;storage;rg;devstoreaccount1/protectedItems/AzureFileShare;docs/recoveryPoints",
                     "\(itemPath("nosuch"))/recoveryPoints"] {
            let reply = try await h.send(.get, path)
            #expect(reply.status == 404 && reply.errorCode == "BMSUserErrorDataSourceObjectNotFound", "\(path)")
        }
        for name in ["123", "abc"] {
            let reply = try await h.send(.get, "\(itemPath("docs"))/recoveryPoints/\(name)")
            #expect(reply.status == 404 && reply.errorCode == "UserErrorAFSSourceSnapshotNotFound")
        }
        try await h.finish()
    }

    @Test func recoveryPointFilter() async throws {
        let h = try await Harness.make()
        try await h.store.createShare("docs")
        let a = try await h.store.createSnapshot(of: "docs")
        let b = try await h.store.createSnapshot(of: "docs")
        let all = try await h.send(.get, "\(itemPath("docs"))/recoveryPoints")
        #expect(all.values.map { $0["name"] as? String } == [String(b.created.ticks), String(a.created.ticks)], "newest first")
        let filter = "startDate eq '\(b.name)'".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let later = try await h.send(.get, "\(itemPath("docs"))/recoveryPoints?$filter=\(filter)")
        #expect(later.values.count == 1)
        let bad = try await h.send(.get, "\(itemPath("docs"))/recoveryPoints?$filter=startDate%20eq%20%27yesterday%27")
        #expect(bad.status == 400 && bad.errorCode == "BMSUserErrorInvalidInput")
        let other = try await h.send(.get, "\(itemPath("docs"))/recoveryPoints?$filter=color%20eq%20%27red%27")
        #expect(other.status == 400)
        // `+` in a query is a space.
        let plus = try await h.send(.get, "\(itemPath("docs"))/recoveryPoints?$filter=startDate+eq+%27\(b.name)%27")
        #expect(plus.status == 200 && plus.values.count == 1)
        try await h.finish()
    }

    @Test func commonHeaders() async throws {
        let h = try await Harness.make()
        let reply = try await h.send(.get, "\(vaultPath)/backupJobs", headers: ["x-ms-client-request-id": "abc-123"])
        #expect(reply.header("x-ms-client-request-id") == "abc-123")
        let requestId = try #require(reply.header("x-ms-request-id"))
        #expect(reply.header("x-ms-correlation-request-id") == requestId)
        #expect(reply.header("Cache-Control") == "no-cache")
        #expect(reply.header("Content-Type") == "application/json; charset=utf-8")
        let error = try await h.send(.get, "\(vaultPath)/backupJobs/none")
        #expect(error.status == 404 && error.errorCode == "ResourceNotFound")
        #expect(error.header("x-ms-request-id") != nil)
        try await h.finish()
    }

    @Test func filterParsingAndDates() throws {
        let f = try BackupFilter("status eq 'Completed' and operation eq 'Restore'")
        #expect(f.value("status") == "Completed" && f.value("operation") == "Restore")
        #expect(throws: BackupError.self) { try BackupFilter("status = 'x'") }
        #expect(throws: BackupError.self) { try BackupFilter("status eq 'x' and") }
        #expect(ARMTime.parse("2026-12-03T10:11:12.1234567Z")?.iso8601 == "2026-12-03T10:11:12.1234567Z")
        #expect(ARMTime.parse("2026-12-03 00:00:00 AM")?.iso8601 == "2026-12-03T00:00:00.0000000Z")
        #expect(ARMTime.parse("2026-12-03 01:30:00 PM")?.iso8601 == "2026-12-03T13:30:00.0000000Z")
        #expect(ARMTime.parse("2026-12-03 13:30:00")?.iso8601 == "2026-12-03T13:30:00.0000000Z")
        #expect(ARMTime.parse("2026-12-03T10:00:00+01:00")?.iso8601 == "2026-12-03T09:00:00.0000000Z")
        #expect(ARMTime.parse("2026-02-30T10:00:00Z") == nil)
        #expect(ARMTime.duration(ticks: 15_000_000) == "PT1.5S")
        #expect(BackupRoute.isGUID(subscription) && !BackupRoute.isGUID("1234"))
    }
}
