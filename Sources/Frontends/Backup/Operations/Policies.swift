import Foundation
import FrontKit
import ShareCore

/// Backup policies (contract §8): kept as sent, validated, run by the scheduler.
extension BackupContext {
    /// The policy `name` of this vault (case-insensitive), or nil.
    func policy(_ name: String) throws -> PolicyRecord? {
        try store.readRecords { try $0.decoded(PolicyRecord.self, BackupTables.policies, BackupTables.policyKey(vault, name)) }
    }

    /// A ProtectionPolicyResource.
    func policyResource(_ policy: PolicyRecord) throws -> [String: Any] {
        var properties = (try? JSON.object(Array(policy.properties.utf8))) ?? [:]
        let items = try store.readRecords { try $0.all(ItemRecord.self, BackupTables.items, prefix: BackupTables.vaultPrefix(vault)) }
        properties["protectedItemsCount"] = items.filter { $0.state == "Protected" && $0.policy.lowercased() == policy.name.lowercased() }.count
        return ["id": "\(vault.path)/backupPolicies/\(policy.name)", "name": policy.name,
                "type": "Microsoft.RecoveryServices/vaults/backupPolicies", "properties": properties]
    }

    /// `PUT …/backupPolicies/{name}` → 200 + the policy. Items using it are re-planned.
    func putPolicy(_ name: String) async throws -> FrontResponse {
        var properties = try JSON.properties(try bodyObject())
        let schedule = try PolicySchedule(properties)
        properties.removeValue(forKey: "protectedItemsCount")
        if properties["timeZone"] == nil { properties["timeZone"] = "UTC" }
        let stored = String(decoding: JSON.encode(properties), as: UTF8.self)
        let vault = self.vault
        let now = runner.now()
        let record = try await store.writeRecords { w in
            let key = BackupTables.policyKey(vault, name)
            let existing = try w.decoded(PolicyRecord.self, BackupTables.policies, key)
            let record = PolicyRecord(vault: vault, name: existing?.name ?? name, properties: stored)
            try w.put(BackupTables.policies, key, record)
            // Re-plan the next run of every protected item using it.
            var items: [(key: [UInt8], item: ItemRecord)] = []
            try w.scan(BackupTables.items, prefix: BackupTables.vaultPrefix(vault)) { k, v in
                let item = try Coding.decode(ItemRecord.self, v)
                if item.state == "Protected" && item.policy.lowercased() == name.lowercased() { items.append((k, item)) }
                return true
            }
            for var entry in items {
                entry.item.nextRun = schedule.nextRun(after: now).ticks
                try w.put(BackupTables.items, entry.key, entry.item, owner: entry.item.share)
            }
            return record
        }
        return json(try policyResource(record))
    }

    /// `GET …/backupPolicies/{name}`.
    func getPolicy(_ name: String) throws -> FrontResponse {
        guard let policy = try policy(name) else { throw BackupError.resourceNotFound("backupPolicies/\(name)") }
        return json(try policyResource(policy))
    }

    /// `GET …/backupPolicies[?$filter=backupManagementType eq 'AzureStorage']`.
    func listPolicies() throws -> FrontResponse {
        let filter = try BackupFilter(route.query("$filter"))
        try filter.allow(["backupmanagementtype", "workloadtype"])
        if let type = filter.value("backupmanagementtype"), type.lowercased() != "azurestorage" { return json(["value": [Any]()]) }
        if let type = filter.value("workloadtype"), type.lowercased() != "azurefileshare" { return json(["value": [Any]()]) }
        let policies = try store.readRecords { try $0.all(PolicyRecord.self, BackupTables.policies, prefix: BackupTables.vaultPrefix(vault)) }
        return json(["value": try policies.map(policyResource)])
    }

    /// `DELETE …/backupPolicies/{name}` → 200; 400 while a protected item uses it.
    func deletePolicy(_ name: String) async throws -> FrontResponse {
        let vault = self.vault
        try await store.writeRecords { w in
            let key = BackupTables.policyKey(vault, name)
            guard try w.get(BackupTables.policies, key) != nil else { throw BackupError.resourceNotFound("backupPolicies/\(name)") }
            var inUse = false
            try w.scan(BackupTables.items, prefix: BackupTables.vaultPrefix(vault)) { _, v in
                let item = try Coding.decode(ItemRecord.self, v)
                if item.state == "Protected" && item.policy.lowercased() == name.lowercased() { inUse = true }
                return !inUse
            }
            guard !inUse else { throw BackupError.invalidInput("The policy '\(name)' is used by protected items; stop their protection first.") }
            try w.delete(BackupTables.policies, key)
        }
        return empty(.ok)
    }
}
