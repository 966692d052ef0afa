import Foundation
import FrontKit
import HTTPTypes
import Testing
@testable import Backup
@testable import ShareCore

/// A clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var ticks: Int64
    init(_ start: FileTime) { ticks = start.ticks }
    var now: FileTime {
        lock.lock()
        defer { lock.unlock() }
        return FileTime(ticks: ticks)
    }
    func set(_ time: FileTime) {
        lock.lock()
        ticks = time.ticks
        lock.unlock()
    }
}

let day: Int64 = 864_000_000_000
let second: Int64 = 10_000_000

@Suite struct ProtectionTests {
    @Test func policiesCrudAndValidation() async throws {
        let h = try await Harness.make()
        let put = try await h.send(.put, "\(vaultPath)/backupPolicies/Daily5", json: dailyPolicy())
        #expect(put.status == 200)
        #expect(put.json["name"] as? String == "Daily5")
        #expect(put.properties["protectedItemsCount"] as? Int == 0)
        #expect(put.json["id"] as? String == "\(vaultPath)/backupPolicies/Daily5")
        let get = try await h.send(.get, "\(vaultPath)/backupPolicies/daily5")
        #expect(get.status == 200 && get.json["name"] as? String == "Daily5")
        let schedule = get.properties["schedulePolicy"] as? [String: Any]
        #expect(schedule?["scheduleRunFrequency"] as? String == "Daily")
        let list = try await h.send(.get, "\(vaultPath)/backupPolicies?$filter=backupManagementType%20eq%20%27AzureStorage%27")
        #expect(list.values.count == 1)
        let otherType = try await h.send(.get, "\(vaultPath)/backupPolicies?$filter=backupManagementType%20eq%20%27AzureIaasVM%27")
        #expect(otherType.values.isEmpty)

        var bad = dailyPolicy()
        var p = bad["properties"] as! [String: Any]
        p["backupManagementType"] = "AzureIaasVM"
        bad["properties"] = p
        #expect(try await h.send(.put, "\(vaultPath)/backupPolicies/x", json: bad).errorCode == "BMSUserErrorInvalidPolicyInput")
        #expect(try await h.send(.put, "\(vaultPath)/backupPolicies/x", json: dailyPolicy(days: 500)).errorCode == "BMSUserErrorInvalidPolicyInput")
        p = dailyPolicy()["properties"] as! [String: Any]
        p["timeZone"] = "Mars/Olympus"
        #expect(try await h.send(.put, "\(vaultPath)/backupPolicies/x", json: ["properties": p]).errorCode == "BMSUserErrorInvalidPolicyInput")
        #expect(try await h.send(.put, "\(vaultPath)/backupPolicies/x", raw: "[").errorCode == "InvalidRequestContent")
        #expect(try await h.send(.get, "\(vaultPath)/backupPolicies/x").status == 404)

        // In use: 400 on delete; after stopping protection it deletes.
        try await h.store.createShare("docs")
        let protect = try await h.send(.put, itemPath("docs"), json: ["properties": [
            "protectedItemType": "AzureFileShareProtectedItem", "policyId": "\(vaultPath)/backupPolicies/daily5"]])
        #expect(protect.status == 202)
        #expect(try await h.send(.get, "\(vaultPath)/backupPolicies/daily5").properties["protectedItemsCount"] as? Int == 1)
        #expect(try await h.send(.delete, "\(vaultPath)/backupPolicies/daily5").errorCode == "BMSUserErrorInvalidInput")
        let stop = try await h.send(.put, itemPath("docs"), json: ["properties": [
            "protectedItemType": "AzureFileShareProtectedItem", "policyId": "", "protectionState": "ProtectionStopped"]])
        #expect(stop.status == 202)
        #expect(try await h.send(.get, itemPath("docs")).properties["protectionState"] as? String == "ProtectionStopped")
        #expect(try await h.send(.delete, "\(vaultPath)/backupPolicies/daily5").status == 200)
        #expect(try await h.send(.delete, "\(vaultPath)/backupPolicies/daily5").status == 404)
        try await h.finish()
    }

    @Test func containersProtectableAndProtectedItems() async throws {
        let h = try await Harness.make()
        try await h.store.createShare("docs")
        try await h.store.createShare("pics")
        #expect(try await h.send(.get, containerPath).errorCode == "BMSUserErrorDataSourceObjectNotFound")
        let containers = try await h.send(.get, "\(vaultPath)/backupFabrics/Azure/protectableContainers")
        #expect(containers.values.first?["name"] as? String == "StorageContainer;storage;rg;devstoreaccount1")
        let register = try await h.send(.put, containerPath, json: ["properties": [
            "containerType": "StorageContainer", "backupManagementType": "AzureStorage",
            "sourceResourceId": "/subscriptions/\(subscription)/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1"]])
        #expect(register.status == 202 && register.header("Azure-AsyncOperation") == nil)
        let location = try #require(register.header("Location"))
        let path = String(location.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
        let done = try await h.send(.get, path)
        #expect(done.status == 200 && done.properties["registrationStatus"] as? String == "Registered")
        #expect(try await h.send(.get, containerPath).status == 200)
        #expect(try await h.send(.get, "\(vaultPath)/backupProtectionContainers").values.count == 1)
        let refresh = try await h.send(.post, "\(vaultPath)/backupFabrics/Azure/refreshContainers")
        #expect(refresh.status == 202)

        #expect(try await h.send(.put, "\(vaultPath)/backupPolicies/p", json: dailyPolicy()).status == 200)
        let protect = try await h.send(.put, itemPath("docs"), json: ["properties": [
            "protectedItemType": "AzureFileShareProtectedItem", "policyId": "\(vaultPath)/backupPolicies/P"]])
        #expect(protect.status == 202)
        let status = try await h.waitForOperation(try #require(protect.header("Azure-AsyncOperation")))
        #expect(status.json["status"] as? String == "Succeeded")
        let result = try await h.send(.get, String(try #require(protect.header("Location")).drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" }))
        #expect(result.status == 200 && result.json["name"] as? String == "AzureFileShare;docs")
        let item = try await h.send(.get, itemPath("docs"))
        #expect(item.properties["protectionState"] as? String == "Protected")
        #expect(item.properties["policyName"] as? String == "p")
        let protectable = try await h.send(.get, "\(vaultPath)/backupProtectableItems?$filter=backupManagementType%20eq%20%27AzureStorage%27%20and%20workloadType%20eq%20%27AzureFileShare%27")
        let states = Dictionary(uniqueKeysWithValues: protectable.values.map {
            ($0["name"] as? String ?? "", ($0["properties"] as? [String: Any])?["protectionState"] as? String ?? "")
        })
        #expect(states == ["AzureFileShare;docs": "Protected", "AzureFileShare;pics": "NotProtected"])
        #expect(try await h.send(.get, "\(vaultPath)/backupProtectedItems").values.count == 1)
        #expect(try await h.send(.delete, containerPath).errorCode == "BMSUserErrorInvalidInput")

        // Errors.
        #expect(try await h.send(.get, itemPath("pics")).errorCode == "BMSUserErrorDataSourceObjectNotFound")
        #expect(try await h.send(.put, itemPath("pics"), json: ["properties": ["protectedItemType": "AzureFileShareProtectedItem",
            "policyId": "\(vaultPath)/backupPolicies/none"]]).errorCode == "BMSUserErrorInvalidInput")
        #expect(try await h.send(.put, itemPath("pics"), json: ["properties": ["protectedItemType": "AzureVmWorkloadSQLDatabase",
            "policyId": "\(vaultPath)/backupPolicies/p"]]).errorCode == "BMSUserErrorInvalidInput")
        #expect(try await h.send(.put, itemPath("nosuch"), json: ["properties": ["protectedItemType": "AzureFileShareProtectedItem",
            "policyId": "\(vaultPath)/backupPolicies/p"]]).status == 404)

        // On-demand backup, then delete with its data: the vault's snapshot goes, the user's stays.
        let user = try await h.store.createSnapshot(of: "docs")
        let backup = try await h.send(.post, "\(itemPath("docs"))/backup", json: ["properties": [
            "objectType": "AzureFileShareBackupRequest", "recoveryPointExpiryTimeInUTC": "2030-01-01T00:00:00Z"]])
        #expect(backup.status == 202)
        let backupStatus = try await h.waitForOperation(try #require(backup.header("Azure-AsyncOperation")))
        #expect(backupStatus.json["status"] as? String == "Succeeded")
        let points = try await h.send(.get, "\(itemPath("docs"))/recoveryPoints")
        #expect(points.values.count == 2)
        let vaultPoint = points.values.first { (($0["properties"] as? [String: Any])?["recoveryPointProperties"]) != nil }
        #expect(((vaultPoint?["properties"] as? [String: Any])?["recoveryPointProperties"] as? [String: Any])?["expiryTime"] as? String
                == "2030-01-01T00:00:00.0000000Z")
        #expect(try await h.send(.post, "\(itemPath("docs"))/backup", json: ["properties": [
            "objectType": "AzureFileShareBackupRequest", "recoveryPointExpiryTimeInUTC": "2001-01-01T00:00:00Z"]]).status == 400)
        #expect(try await h.send(.post, "\(itemPath("pics"))/backup", json: ["properties": [
            "objectType": "AzureFileShareBackupRequest"]]).status == 404)

        let delete = try await h.send(.delete, itemPath("docs"))
        #expect(delete.status == 202)
        #expect(try await h.send(.get, itemPath("docs")).status == 404, "the item is gone at once")
        _ = try await h.waitForOperation(try #require(delete.header("Azure-AsyncOperation")))
        #expect(try await h.store.listSnapshots(of: "docs").map(\.name) == [user.name])
        #expect(try await h.send(.delete, itemPath("docs")).status == 404)
        try await h.finish()
    }

    @Test func schedulerTakesAndPrunesOnlyItsSnapshotsAndSurvivesRestart() async throws {
        let path = NSTemporaryDirectory() + "backup-sched-" + UUID().uuidString
        let start = FileTime(ticks: (FileTime.now().ticks / day) * day + day)  // next midnight UTC
        let clock = TestClock(start)
        var store = try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
        var h = Harness(path: path, store: store, service: BackupService(store: store,
            configuration: BackupConfiguration(account: "devstoreaccount1", adminToken: AdminToken(Harness.token)), clock: { clock.now }))
        try await store.createShare("docs")
        let user = try await store.createSnapshot(of: "docs")
        #expect(try await h.send(.put, "\(vaultPath)/backupPolicies/p", json: dailyPolicy("08:00:05", days: 2)).status == 200)
        #expect(try await h.send(.put, itemPath("docs"), json: ["properties": [
            "protectedItemType": "AzureFileShareProtectedItem", "policyId": "\(vaultPath)/backupPolicies/p"]]).status == 202)
        var scheduler = BackupScheduler(store: store, account: "devstoreaccount1", clock: { clock.now })

        // Before the time: nothing. At 08:00:05: one snapshot, once.
        clock.set(FileTime(ticks: start.ticks + 8 * 3600 * second))
        await scheduler.tick()
        #expect(try await store.listSnapshots(of: "docs").count == 1)
        clock.set(FileTime(ticks: start.ticks + (8 * 3600 + 5) * second))
        await scheduler.tick()
        await scheduler.tick()
        #expect(try await store.listSnapshots(of: "docs").count == 2)
        let jobs = try await h.send(.get, "\(vaultPath)/backupJobs?$filter=operation%20eq%20%27Backup%27")
        #expect(jobs.values.count == 1)
        #expect((jobs.values.first?["properties"] as? [String: Any])?["isUserTriggered"] as? Bool == false)

        // Restart: the schedule survives; days 2 and 3 missed while down → one catch-up backup.
        await store.close()
        store = try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 64 << 30))
        h = Harness(path: path, store: store, service: BackupService(store: store,
            configuration: BackupConfiguration(account: "devstoreaccount1", adminToken: AdminToken(Harness.token)), clock: { clock.now }))
        scheduler = BackupScheduler(store: store, account: "devstoreaccount1", clock: { clock.now })
        try await scheduler.recover()
        clock.set(FileTime(ticks: start.ticks + 2 * day + 9 * 3600 * second))
        await scheduler.tick()
        // The first vault point (taken day 0, kept 2 days) expired and was pruned; the catch-up point was taken.
        let names = try await store.listSnapshots(of: "docs").map(\.name)
        #expect(names.count == 2)
        #expect(names.first == user.name, "the user's snapshot is never pruned")
        await scheduler.tick()
        #expect(try await store.listSnapshots(of: "docs").count == 2, "a missed run is taken once")
        // Much later, everything the vault took is gone; the user's snapshot stays.
        clock.set(FileTime(ticks: start.ticks + 2 * day + 9 * 3600 * second + 3 * day - 1))
        #expect(try await h.send(.put, itemPath("docs"), json: ["properties": [
            "protectedItemType": "AzureFileShareProtectedItem", "policyId": "", "protectionState": "ProtectionStopped"]]).status == 202)
        clock.set(FileTime(ticks: start.ticks + 30 * day))
        await scheduler.tick()
        #expect(try await store.listSnapshots(of: "docs").count == 2, "stopped protection suspends expiry")
        try await h.finish()
    }

    @Test func scheduleComputation() throws {
        let weekly = try PolicySchedule([
            "backupManagementType": "AzureStorage", "timeZone": "UTC",
            "schedulePolicy": ["schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Weekly",
                               "scheduleRunDays": ["Sunday"], "scheduleRunTimes": ["2021-09-29T10:00:00Z"]],
            "retentionPolicy": ["retentionPolicyType": "LongTermRetentionPolicy",
                                "weeklySchedule": ["daysOfTheWeek": ["Sunday"], "retentionDuration": ["count": 2, "durationType": "Weeks"]]],
        ])
        // 2026-12-03 is a Thursday; the next Sunday 10:00 is 2026-12-06.
        let thursday = try #require(ARMTime.parse("2026-12-03T12:00:00Z"))
        let run = weekly.nextRun(after: thursday)
        #expect(run.iso8601 == "2026-12-06T10:00:00.0000000Z")
        #expect(weekly.expiry(of: run).iso8601 == "2026-12-20T10:00:00.0000000Z")
        let hourly = try PolicySchedule([
            "backupManagementType": "AzureStorage",
            "schedulePolicy": ["schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Hourly",
                               "hourlySchedule": ["interval": 4, "scheduleWindowStartTime": "2021-09-29T08:00:00Z", "scheduleWindowDuration": 12]],
            "retentionPolicy": ["retentionPolicyType": "LongTermRetentionPolicy",
                                "dailySchedule": ["retentionDuration": ["count": 1, "durationType": "Days"]]],
        ])
        #expect(hourly.nextRun(after: thursday).iso8601 == "2026-12-03T16:00:00.0000000Z")
        #expect(hourly.nextRun(after: try #require(ARMTime.parse("2026-12-03T20:00:00Z"))).iso8601 == "2026-12-04T08:00:00.0000000Z")
    }
}
