import FrontKit
import ShareCore

/// Recovery points: every snapshot of a share (contract §4).
extension BackupContext {
    /// `GET …/recoveryPoints[?$filter]`: newest first.
    func listRecoveryPoints(_ item: ItemPath) async throws -> FrontResponse {
        let share = try await share(of: item)
        let filter = try BackupFilter(route.query("$filter"))
        try filter.allow(["startdate", "enddate", "restorepointquerytype", "extendedinfo", "movereadyrponly",
                          "includesoftdeletedrp"])
        let start = try filter.date("startdate")
        let end = try filter.date("enddate")
        let snapshots = try await store.listSnapshots(of: share).reversed()
        var value: [Any] = []
        for snapshot in snapshots {
            let ticks = snapshot.created.ticks
            if let start, ticks < start.ticks { continue }
            if let end, ticks > end.ticks { continue }
            value.append(try await recoveryPoint(share, snapshot))
        }
        return json(["value": value])
    }

    /// `GET …/recoveryPoints/{name}`.
    func getRecoveryPoint(_ item: ItemPath, _ name: String) async throws -> FrontResponse {
        let share = try await share(of: item)
        return json(try await recoveryPoint(share, try await snapshot(share, named: name)))
    }

    /// The snapshot of `share` whose recovery point name is `name`, else 404.
    func snapshot(_ share: String, named name: String) async throws -> SnapshotInfo {
        guard !name.isEmpty, name.allSatisfy(\.isASCII), name.allSatisfy(\.isNumber), let ticks = Int64(name),
              let found = try await store.listSnapshots(of: share).first(where: { $0.created.ticks == ticks })
        else { throw BackupError.recoveryPointNotFound }
        return found
    }

    /// A RecoveryPointResource.
    func recoveryPoint(_ share: String, _ snapshot: SnapshotInfo) async throws -> [String: Any] {
        let name = String(snapshot.created.ticks)
        let stats = try await store.shareStats(share, snapshot: snapshot.name)
        let point = try store.readRecords { try $0.decoded(PointRecord.self, BackupTables.points, BackupTables.pointKey(share, snapshot.name)) }
        var properties: [String: Any] = [
            "objectType": "AzureFileShareRecoveryPoint", "recoveryPointType": "FileSystemConsistent",
            "recoveryPointTime": snapshot.name,
            "recoveryPointSizeInGB": Int((stats.usedBytes + (1 << 30) - 1) >> 30),
        ]
        if configuration.fileRESTPort != 0 {
            properties["fileShareSnapshotUri"] = "\(configuration.fileRESTScheme)://\(host):\(configuration.fileRESTPort)/\(account)/\(share)?sharesnapshot=\(snapshot.name)"
        }
        if let point, point.vault.key == vault.key, let expiry = point.expiry {
            properties["recoveryPointProperties"] = ["expiryTime": ARMTime.format(FileTime(ticks: expiry))]
        }
        return ["id": "\(itemPath(share))/recoveryPoints/\(name)", "name": name,
                "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints",
                "properties": properties]
    }

    /// The host part of the request's authority (no port).
    var host: String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[...close])
        }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "127.0.0.1")
    }
}
