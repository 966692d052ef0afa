import Foundation
import Logging
import ShareCore

/// Creates job and operation records and runs the work of asynchronous operations (restores,
/// backups, deletions of backup data) after the 202. A job's terminal record commits in the
/// same transaction as the share change it describes.
struct JobRunner: Sendable {
    let store: ShareStore
    let account: String
    let logger: Logger
    /// The clock (injected by tests).
    var now: @Sendable () -> FileTime = { FileTime.now() }

    /// A new InProgress job.
    func newJob(_ vault: VaultNames, operation: String, share: String, activityId: String,
                userTriggered: Bool = true, bag: [String: String] = [:]) -> JobRecord {
        JobRecord(id: UUID().uuidString.lowercased(), vault: vault, operation: operation, status: "InProgress", share: share,
                  start: now().ticks, end: nil, activityId: activityId, userTriggered: userTriggered,
                  propertyBag: bag, errorCode: nil, errorMessage: nil)
    }

    /// A new operation following `job`.
    func newOperation(_ vault: VaultNames, job: String?, scope: String, result: String = "none") -> OperationRecord {
        OperationRecord(id: UUID().uuidString.lowercased(), vault: vault, jobId: job, scope: scope.lowercased(),
                        start: now().ticks, result: result)
    }

    /// Stores a job and its operation in one transaction.
    func record(_ job: JobRecord, _ operation: OperationRecord?, extra: RecordChanges? = nil) async throws {
        try await store.writeRecords { w in
            try w.put(BackupTables.jobs, BackupTables.jobKey(job.vault, job.id), job)
            if let operation { try w.put(BackupTables.operations, BackupTables.operationKey(operation.vault, operation.id), operation) }
            try extra?(w)
        }
    }

    /// Marks `job` done with `status` (and an error) inside `w`; throws ``JobCancelled`` when
    /// the job was asked to cancel, so the caller's transaction is discarded.
    func finish(_ job: JobRecord, _ status: String, in w: RecordWriter, bag: [String: String] = [:],
                error: (String, String)? = nil, honourCancel: Bool = true) throws {
        let key = BackupTables.jobKey(job.vault, job.id)
        var current = try w.decoded(JobRecord.self, BackupTables.jobs, key) ?? job
        if honourCancel && current.status == "Cancelling" { throw JobCancelled() }
        current.status = status
        current.end = now().ticks
        current.propertyBag.merge(bag) { _, new in new }
        current.errorCode = error?.0
        current.errorMessage = error?.1
        try w.put(BackupTables.jobs, key, current)
    }

    /// Ends `job` in its own transaction: Cancelled when it was cancelling, else `status`.
    func conclude(_ job: JobRecord, _ status: String, error: (String, String)? = nil) async {
        do {
            try await store.writeRecords { w in
                let key = BackupTables.jobKey(job.vault, job.id)
                let current = try w.decoded(JobRecord.self, BackupTables.jobs, key) ?? job
                let final = current.status == "Cancelling" ? "Cancelled" : status
                try self.finish(current, final, in: w, error: final == "Cancelled" ? nil : error, honourCancel: false)
            }
        } catch {
            logger.error("backup job \(job.id) could not be concluded: \(error)")
        }
    }

    /// Runs a restore after its 202; the job's end commits with the restore.
    func startRestore(_ job: JobRecord, _ request: SnapshotRestore) {
        Task {
            do {
                try await store.restoreSnapshot(request) { result, w in
                    var bag = [
                        "Number Of Restored Files": String(result.restoredFiles),
                        "Number Of Skipped Files": String(result.skippedFiles),
                        "Number Of Failed Files": String(result.failedFiles),
                        "Data Transferred (in MB)": String(result.restoredBytes >> 20),
                    ]
                    if let conflict = result.conflict {
                        bag["Number Of Restored Files"] = "0"
                        try self.finish(job, "Failed", in: w, bag: bag, error: ("DataTransferServiceAllFilesFailedToRecover",
                            "Recovery failed as no file could be recovered: '\(conflict)' already exists in the target (copy option FailOnConflict)."))
                    } else if result.failedFiles > 0 && result.restoredFiles == 0 && result.skippedFiles == 0 {
                        try self.finish(job, "Failed", in: w, bag: bag, error: ("DataTransferServiceAllFilesFailedToRecover",
                            "Recovery failed as no file could be recovered: \(result.failures.first?.message ?? "")"))
                    } else if result.failedFiles > 0 {
                        try self.finish(job, "CompletedWithWarnings", in: w, bag: bag, error: ("UserErrorAFSRecoverySomeFilesNotRestored",
                            "One or more files could not be recovered successfully: \(result.failures.map(\.path).prefix(10).joined(separator: ", "))"))
                    } else {
                        try self.finish(job, "Completed", in: w, bag: bag)
                    }
                }
            } catch is JobCancelled {
                await conclude(job, "Cancelled")
            } catch let error as ShareCoreError {
                let code: (String, String) = switch error.code {
                case .snapshotNotFound: ("UserErrorAFSSourceSnapshotNotFound", "Azure Files snapshot corresponding to recovery point cannot be found")
                case .shareNotFound: ("TargetFileShareNotFound", "Target file share not found. \(error.message)")
                default: ("DataTransferServiceAllFilesFailedToRecover", "Recovery failed as no file could be recovered: \(error.message)")
                }
                await conclude(job, "Failed", error: code)
            } catch {
                await conclude(job, "Failed", error: ("InternalError", "\(error)"))
            }
        }
    }

    /// Takes a backup of `share` for the job's vault now: a snapshot, its point record with
    /// `expiry`, the job's end and the item's last backup (and, when given, its next scheduled
    /// run), in one transaction. Returns the snapshot.
    @discardableResult
    func backup(_ job: JobRecord, share: String, expiry: Int64, nextRun: Int64? = nil) async -> SnapshotInfo? {
        do {
            return try await store.createSnapshot(of: share, recordsWith: { snapshot, w in
                let point = PointRecord(vault: job.vault, share: share, snapshot: snapshot.name, expiry: expiry)
                try w.put(BackupTables.points, BackupTables.pointKey(share, snapshot.name), point, owner: share)
                let itemKey = BackupTables.itemKey(job.vault, share)
                if var item = try w.decoded(ItemRecord.self, BackupTables.items, itemKey) {
                    item.lastBackupTime = snapshot.created.ticks
                    item.lastBackupStatus = "Completed"
                    if let nextRun { item.nextRun = nextRun }
                    try w.put(BackupTables.items, itemKey, item, owner: share)
                }
                try self.finish(job, "Completed", in: w, bag: [
                    "Recovery Point Name": String(snapshot.created.ticks),
                    "Recovery Point Expiry Time in UTC": ARMTime.format(FileTime(ticks: expiry)),
                ])
            })
        } catch is JobCancelled {
            await conclude(job, "Cancelled")
        } catch let error as ShareCoreError {
            let code: (String, String) = switch error.code {
            case .snapshotCountExceeded: ("AFSMaxSnapshotReached", "The file share has reached the maximum of 200 snapshots.")
            case .shareNotFound: ("FileShareNotFound", "Operation failed as the file share isn't found")
            default: ("InternalError", error.message)
            }
            await conclude(job, "Failed", error: code)
            try? await store.writeRecords { w in
                let itemKey = BackupTables.itemKey(job.vault, share)
                if var item = try w.decoded(ItemRecord.self, BackupTables.items, itemKey) {
                    item.lastBackupStatus = "Failed"
                    if let nextRun { item.nextRun = nextRun }
                    try w.put(BackupTables.items, itemKey, item, owner: share)
                }
            }
        } catch {
            await conclude(job, "Failed", error: ("InternalError", "\(error)"))
        }
        return nil
    }

    /// Deletes every snapshot of `share` that the job's vault took, then ends the job.
    func deleteBackupData(_ job: JobRecord, share: String) async {
        do {
            let points = try store.readRecords { r in
                try r.all(PointRecord.self, BackupTables.points, prefix: Array("\(share)/".utf8))
            }.filter { $0.vault.key == job.vault.key }
            for point in points {
                try await prune(point)
            }
            await conclude(job, "Completed")
        } catch {
            await conclude(job, "Failed", error: ("InternalError", "\(error)"))
        }
    }

    /// Deletes a snapshot the vault took together with its point record; a snapshot already
    /// gone only loses its record.
    func prune(_ point: PointRecord) async throws {
        let key = BackupTables.pointKey(point.share, point.snapshot)
        do {
            try await store.deleteSnapshot(of: point.share, point.snapshot, records: { w in
                try w.delete(BackupTables.points, key)
            })
        } catch let error as ShareCoreError where error.code == .snapshotNotFound || error.code == .shareNotFound {
            _ = try await store.writeRecords { w in try w.delete(BackupTables.points, key) }
        }
    }
}

/// Thrown inside a job's transaction when the job was cancelled meanwhile.
struct JobCancelled: Error {}
