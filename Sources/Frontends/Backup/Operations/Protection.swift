import Foundation
import FrontKit
import ShareCore

/// Containers, protectable and protected items, on-demand backup (contract §8).
extension BackupContext {
    // MARK: Containers

    /// `GET …/backupFabrics/Azure/protectableContainers`: the served account.
    func protectableContainers(_ fabric: String) throws -> FrontResponse {
        try checkFabric(fabric)
        let filter = try BackupFilter(route.query("$filter"))
        if let type = filter.value("backupmanagementtype"), type.lowercased() != "azurestorage" { return json(["value": [Any]()]) }
        let entry: [String: Any] = [
            "id": "\(vault.path)/backupFabrics/Azure/protectableContainers/\(containerName)", "name": containerName,
            "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectableContainers",
            "properties": ["friendlyName": account, "backupManagementType": "AzureStorage", "protectableContainerType": "StorageContainer",
                           "healthStatus": "Healthy", "containerId": accountId],
        ]
        return json(["value": [entry]])
    }

    /// `POST …/refreshContainers` and `…/inquire`: no-ops that answer as operations.
    func refresh(_ fabric: String) async throws -> FrontResponse {
        try checkFabric(fabric)
        _ = try BackupFilter(route.query("$filter"))
        let op = runner.newOperation(vault, job: nil, scope: "fabric")
        try await store.writeRecords { w in try w.put(BackupTables.operations, BackupTables.operationKey(op.vault, op.id), op) }
        return accepted(location: "\(vault.path)/backupFabrics/Azure/operationResults/\(op.id)")
    }

    func inquire(_ container: ContainerPath) async throws -> FrontResponse {
        try checkContainer(container)
        _ = try BackupFilter(route.query("$filter"))
        let op = runner.newOperation(vault, job: nil, scope: "container")
        try await store.writeRecords { w in try w.put(BackupTables.operations, BackupTables.operationKey(op.vault, op.id), op) }
        return accepted(location: "\(containerPath)/operationResults/\(op.id)")
    }

    /// The protected items of this vault.
    func items() throws -> [ItemRecord] {
        try store.readRecords { try $0.all(ItemRecord.self, BackupTables.items, prefix: BackupTables.vaultPrefix(vault)) }
    }

    /// The ProtectionContainerResource when the vault registered the account (or protects a share of it).
    func containerResource() throws -> [String: Any]? {
        let registered = try store.readRecords { try $0.get(BackupTables.containers, BackupTables.containerKey(vault)) } != nil
        let items = try items()
        guard registered || !items.isEmpty else { return nil }
        return ["id": containerPath, "name": containerName, "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers",
                "properties": ["containerType": "StorageContainer", "backupManagementType": "AzureStorage", "friendlyName": account,
                               "registrationStatus": "Registered", "healthStatus": "Healthy", "protectableObjectType": "StorageContainer",
                               "sourceResourceId": accountId, "resourceGroup": vault.resourceGroup, "storageAccountVersion": "Storage",
                               "protectedItemCount": items.filter { $0.state == "Protected" }.count] as [String: Any]]
    }

    /// `GET …/protectionContainers/{c}`.
    func getContainer(_ container: ContainerPath) throws -> FrontResponse {
        try checkContainer(container)
        guard let resource = try containerResource() else { throw BackupError.itemNotFound }
        return json(resource)
    }

    /// `PUT …/protectionContainers/{c}`: registers the account; a `Register` job.
    func registerContainer(_ container: ContainerPath) async throws -> FrontResponse {
        try checkContainer(container)
        let p = try JSON.properties(try bodyObject())
        if let type = try JSON.string(p, "containerType"), type != "StorageContainer" {
            throw BackupError.invalidInput("'containerType' must be 'StorageContainer'.")
        }
        if let type = try JSON.string(p, "backupManagementType"), type != "AzureStorage" {
            throw BackupError.invalidInput("'backupManagementType' must be 'AzureStorage'.")
        }
        if let id = try JSON.string(p, "sourceResourceId"), !namesServedAccount(id) {
            throw BackupError.invalidInput("'sourceResourceId' must name the storage account '\(account)'.")
        }
        var job = runner.newJob(vault, operation: "Register", share: account, activityId: activityId,
                                bag: ["Storage Account Name": account])
        job.status = "Completed"
        job.end = job.start
        let op = runner.newOperation(vault, job: job.id, scope: "container", result: "container")
        let record = ContainerRecord(vault: vault, registered: job.start)
        try await runner.record(job, op) { w in try w.put(BackupTables.containers, BackupTables.containerKey(record.vault), record) }
        return accepted(location: "\(containerPath)/operationResults/\(op.id)")
    }

    /// `DELETE …/protectionContainers/{c}`: unregisters; 400 while it has protected items.
    func unregisterContainer(_ container: ContainerPath) async throws -> FrontResponse {
        try checkContainer(container)
        guard try items().isEmpty else {
            throw BackupError.invalidInput("The container has protected items; stop their protection and delete their data first.")
        }
        let vault = self.vault
        try await store.writeRecords { w in _ = try w.delete(BackupTables.containers, BackupTables.containerKey(vault)) }
        return empty(.noContent)
    }

    /// `GET …/backupProtectionContainers`.
    func listContainers() throws -> FrontResponse {
        let filter = try BackupFilter(route.query("$filter"))
        if let type = filter.value("backupmanagementtype"), type.lowercased() != "azurestorage" { return json(["value": [Any]()]) }
        if let status = filter.value("status"), status.lowercased() != "registered" { return json(["value": [Any]()]) }
        if let name = filter.value("friendlyname"), name.lowercased() != account.lowercased() { return json(["value": [Any]()]) }
        return json(["value": try containerResource().map { [$0] } ?? []])
    }

    // MARK: Items

    /// `GET …/backupProtectableItems`: every share.
    func listProtectableItems() async throws -> FrontResponse {
        let filter = try BackupFilter(route.query("$filter"))
        if let type = filter.value("backupmanagementtype"), type.lowercased() != "azurestorage" { return json(["value": [Any]()]) }
        if let type = filter.value("workloadtype"), type.lowercased() != "azurefileshare" { return json(["value": [Any]()]) }
        let friendly = filter.value("friendlyname")?.lowercased()
        let protected = Set(try items().filter { $0.state == "Protected" }.map { $0.share.lowercased() })
        var value: [Any] = []
        var marker: String?
        repeat {
            let page = try await store.listShares(marker: marker)
            for share in page.shares where friendly == nil || share.name.lowercased() == friendly {
                value.append([
                    "id": "\(containerPath)/protectableItems/AzureFileShare;\(share.name)", "name": "AzureFileShare;\(share.name)",
                    "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectableItems",
                    "properties": ["protectableItemType": "AzureFileShare", "backupManagementType": "AzureStorage",
                                   "workloadType": "AzureFileShare", "friendlyName": share.name,
                                   "protectionState": protected.contains(share.name.lowercased()) ? "Protected" : "NotProtected",
                                   "parentContainerFabricId": accountId, "parentContainerFriendlyName": account,
                                   "azureFileShareType": "XSMB"],
                ] as [String: Any])
            }
            marker = page.nextMarker
        } while marker != nil
        return json(["value": value])
    }

    /// The item record of `share` in this vault, or nil.
    func item(_ share: String) throws -> ItemRecord? {
        try store.readRecords { try $0.decoded(ItemRecord.self, BackupTables.items, BackupTables.itemKey(vault, share)) }
    }

    /// A ProtectedItemResource, or nil when the share is not protected here.
    func protectedItemResource(_ share: String) async throws -> [String: Any]? {
        guard let item = try item(share) else { return nil }
        let snapshots = (try? await store.listSnapshots(of: item.share)) ?? []
        let points = try store.readRecords {
            try $0.all(PointRecord.self, BackupTables.points, prefix: Array("\(item.share)/".utf8))
        }.filter { $0.vault.key == vault.key }
        let taken = Set(points.map(\.snapshot))
        var properties: [String: Any] = [
            "protectedItemType": "AzureFileShareProtectedItem", "backupManagementType": "AzureStorage", "workloadType": "AzureFileShare",
            "containerName": containerName, "sourceResourceId": accountId,
            "policyId": item.policy.isEmpty ? "" : "\(vault.path)/backupPolicies/\(item.policy)", "policyName": item.policy,
            "friendlyName": item.share, "protectionStatus": "Healthy", "protectionState": item.state,
            "lastBackupStatus": item.lastBackupStatus,
        ]
        if let t = item.lastBackupTime { properties["lastBackupTime"] = ARMTime.format(FileTime(ticks: t)) }
        if let newest = snapshots.last(where: { taken.contains($0.name) }) { properties["lastRecoveryPoint"] = newest.name }
        var extended: [String: Any] = ["recoveryPointCount": snapshots.count, "policyState": "Consistent"]
        if let oldest = snapshots.first { extended["oldestRecoveryPoint"] = oldest.name }
        properties["extendedInfo"] = extended
        return ["id": itemPath(item.share), "name": "AzureFileShare;\(item.share)",
                "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems", "properties": properties]
    }

    /// `GET …/protectedItems/{item}`.
    func getItem(_ path: ItemPath) async throws -> FrontResponse {
        let share = try await share(of: path)
        guard let resource = try await protectedItemResource(share) else { throw BackupError.itemNotFound }
        return json(resource)
    }

    /// `PUT …/protectedItems/{item}`: protect, change policy, or stop with retained data.
    func putItem(_ path: ItemPath) async throws -> FrontResponse {
        let share = try await share(of: path)
        let p = try JSON.properties(try bodyObject())
        guard try JSON.string(p, "protectedItemType") == "AzureFileShareProtectedItem" else {
            throw BackupError.invalidInput("'protectedItemType' must be 'AzureFileShareProtectedItem'.")
        }
        if let id = try JSON.string(p, "sourceResourceId"), !namesServedAccount(id) {
            throw BackupError.invalidInput("'sourceResourceId' must name the storage account '\(account)'.")
        }
        let policyId = try JSON.string(p, "policyId") ?? ""
        let state = try JSON.string(p, "protectionState")
        let vault = self.vault
        let now = runner.now()
        let existing = try item(share)
        var job: JobRecord
        var record: ItemRecord
        if state == "ProtectionStopped" || (policyId.isEmpty && state != nil) {
            guard state == "ProtectionStopped" else { throw BackupError.invalidInput("'protectionState' '\(state ?? "")' cannot be set.") }
            guard var current = existing else { throw BackupError.itemNotFound }
            current.state = "ProtectionStopped"
            current.policy = ""
            current.nextRun = nil
            record = current
            job = runner.newJob(vault, operation: "DisableBackup", share: share, activityId: activityId,
                                bag: ["File Share Name": share, "Storage Account Name": account])
        } else {
            let name = policyId.split(separator: "/").last.map(String.init) ?? ""
            guard !name.isEmpty, let policy = try policy(name) else {
                throw BackupError.invalidInput("'policyId' '\(policyId)' does not name a backup policy of this vault.")
            }
            let schedule = try PolicySchedule((try? JSON.object(Array(policy.properties.utf8))) ?? [:])
            if let state, state != "Protected", state != "ProtectionStopped" {
                throw BackupError.invalidInput("'protectionState' '\(state)' cannot be set.")
            }
            record = ItemRecord(vault: vault, share: share, policy: policy.name, state: "Protected",
                                nextRun: schedule.nextRun(after: now).ticks, lastBackupTime: existing?.lastBackupTime,
                                lastBackupStatus: existing?.lastBackupStatus ?? "")
            job = runner.newJob(vault, operation: "ConfigureBackup", share: share, activityId: activityId,
                                bag: ["File Share Name": share, "Storage Account Name": account, "Policy Name": policy.name])
        }
        job.status = "Completed"
        job.end = job.start
        let op = runner.newOperation(vault, job: job.id, scope: "item:\(share)", result: "item")
        let stopping = record.state == "ProtectionStopped"
        let resuming = existing?.state == "ProtectionStopped" && !stopping
        let schedule: PolicySchedule? = stopping ? nil : try policy(record.policy).flatMap {
            try? PolicySchedule((try? JSON.object(Array($0.properties.utf8))) ?? [:])
        }
        try await runner.record(job, op) { [record] w in
            try w.put(BackupTables.items, BackupTables.itemKey(vault, share), record, owner: share)
            if stopping || resuming {
                // Stopping suspends the expiry of the points the vault took; resuming sets it anew.
                var points: [(key: [UInt8], point: PointRecord)] = []
                try w.scan(BackupTables.points, prefix: Array("\(share)/".utf8)) { k, v in
                    let point = try Coding.decode(PointRecord.self, v)
                    if point.vault.key == vault.key { points.append((k, point)) }
                    return true
                }
                for var entry in points {
                    if stopping {
                        entry.point.expiry = nil
                    } else if entry.point.expiry == nil, let schedule,
                              let created = ARMTime.parse(entry.point.snapshot) {
                        entry.point.expiry = max(schedule.expiry(of: created).ticks, now.ticks)
                    }
                    try w.put(BackupTables.points, entry.key, entry.point, owner: share)
                }
            }
        }
        let itemPath = itemPath(share)
        return accepted(location: "\(itemPath)/operationResults/\(op.id)", asyncOperation: "\(itemPath)/operationsStatus/\(op.id)")
    }

    /// `DELETE …/protectedItems/{item}`: stop and delete the snapshots this vault took.
    func deleteItem(_ path: ItemPath) async throws -> FrontResponse {
        let share = try await share(of: path)
        guard try item(share) != nil else { throw BackupError.itemNotFound }
        let vault = self.vault
        let job = runner.newJob(vault, operation: "DeleteBackupData", share: share, activityId: activityId,
                                bag: ["File Share Name": share, "Storage Account Name": account])
        let op = runner.newOperation(vault, job: job.id, scope: "item:\(share)")
        try await runner.record(job, op) { w in _ = try w.delete(BackupTables.items, BackupTables.itemKey(vault, share)) }
        let runner = self.runner
        Task { await runner.deleteBackupData(job, share: share) }
        let itemPath = itemPath(share)
        return accepted(location: "\(itemPath)/operationResults/\(op.id)", asyncOperation: "\(itemPath)/operationsStatus/\(op.id)")
    }

    /// `GET …/backupProtectedItems`.
    func listProtectedItems() async throws -> FrontResponse {
        let filterText = route.query("$filter")
        let filter = try BackupFilter(filterText)
        if let type = filter.value("backupmanagementtype"), type.lowercased() != "azurestorage" { return json(["value": [Any]()]) }
        if let type = filter.value("itemtype") ?? filter.value("workloadtype"), type.lowercased() != "azurefileshare" {
            return json(["value": [Any]()])
        }
        var resources: [[String: Any]] = []
        for item in try items() {
            if let name = filter.value("policyname"), name.lowercased() != item.policy.lowercased() { continue }
            if let name = filter.value("friendlyname"), name.lowercased() != item.share.lowercased() { continue }
            if let name = filter.value("containername"), name.lowercased() != containerName.lowercased(),
               name.lowercased() != account.lowercased() { continue }
            if let resource = try await protectedItemResource(item.share) { resources.append(resource) }
        }
        return try page(resources, path: "\(vault.path)/backupProtectedItems", filter: filterText)
    }

    /// `POST …/protectedItems/{item}/backup`: a snapshot now, as a `Backup` job.
    func backupNow(_ path: ItemPath) async throws -> FrontResponse {
        let share = try await share(of: path)
        guard let item = try item(share) else { throw BackupError.itemNotFound }
        guard item.state == "Protected" else { throw BackupError.invalidInput("Protection of '\(share)' is stopped; resume it to take backups.") }
        let p = try JSON.properties(try bodyObject())
        guard try JSON.string(p, "objectType") == "AzureFileShareBackupRequest" else {
            throw BackupError.invalidInput("'objectType' must be 'AzureFileShareBackupRequest'.")
        }
        let now = runner.now()
        var expiry = FileTime(ticks: now.ticks + 30 * 864_000_000_000)
        if let text = try JSON.string(p, "recoveryPointExpiryTimeInUTC") {
            guard let t = ARMTime.parse(text) else { throw BackupError.invalidInput("'recoveryPointExpiryTimeInUTC' '\(text)' is not a date-time.") }
            guard t > now, t.ticks <= now.ticks + 3653 * 864_000_000_000 else {
                throw BackupError.invalidInput("'recoveryPointExpiryTimeInUTC' must be in the future and at most 10 years away.")
            }
            expiry = t
        }
        let job = runner.newJob(vault, operation: "Backup", share: share, activityId: activityId,
                                bag: ["File Share Name": share, "Storage Account Name": account])
        let op = runner.newOperation(vault, job: job.id, scope: "item:\(share)")
        try await runner.record(job, op)
        let runner = self.runner
        let expiryTicks = expiry.ticks
        Task { await runner.backup(job, share: share, expiry: expiryTicks) }
        let itemPath = itemPath(share)
        return accepted(location: "\(itemPath)/operationResults/\(op.id)", asyncOperation: "\(itemPath)/operationsStatus/\(op.id)")
    }
}
