import Foundation
import Logging
import ShareCore

/// Runs the backup policies of every vault: takes a snapshot of each protected share at each
/// scheduled time and deletes the snapshots a vault took once their retention ends (never any
/// other snapshot). Its state is the Backup front's records, so schedules survive restarts; a
/// run missed while the server was down is taken once at the next ``tick()``.
public struct BackupScheduler: Sendable {
    let store: ShareStore
    let runner: JobRunner
    let logger: Logger
    /// When the scheduler was made: jobs started before it belong to an earlier process.
    let createdAt: FileTime

    /// A scheduler over `store` for the storage account `account`; `clock` is the time source
    /// (tests inject one).
    public init(store: ShareStore, account: String, logger: Logger = Logger(label: "sharecore.backup.scheduler"),
                clock: @escaping @Sendable () -> FileTime = { FileTime.now() }) {
        self.store = store
        self.logger = logger
        var runner = JobRunner(store: store, account: account, logger: logger)
        runner.now = clock
        self.runner = runner
        self.createdAt = clock()
    }

    /// Ends the jobs a stopped server left running: their work did not commit (a job's end
    /// commits with its work), so they failed, or were cancelled when cancelling.
    public func recover() async throws {
        let stale = try store.readRecords { try $0.all(JobRecord.self, BackupTables.jobs) }.filter { !$0.isTerminal && $0.start < createdAt.ticks }
        for job in stale {
            await runner.conclude(job, "Failed", error: ("ServiceStopped", "The job was interrupted because the server stopped; nothing it would have changed was applied."))
        }
    }

    /// One pass: every due backup, then every expired recovery point the vaults took.
    public func tick() async {
        let now = runner.now()
        do {
            let due = try store.readRecords { try $0.all(ItemRecord.self, BackupTables.items) }
                .filter { $0.state == "Protected" && ($0.nextRun ?? .max) <= now.ticks }
            for item in due {
                let policy = try store.readRecords {
                    try $0.decoded(PolicyRecord.self, BackupTables.policies, BackupTables.policyKey(item.vault, item.policy))
                }
                guard let policy, let schedule = try? PolicySchedule((try? JSON.object(Array(policy.properties.utf8))) ?? [:]) else {
                    continue
                }
                let job = runner.newJob(item.vault, operation: "Backup", share: item.share, activityId: UUID().uuidString.lowercased(),
                                        userTriggered: false, bag: ["File Share Name": item.share, "Storage Account Name": runner.account])
                await runner.backup(job, share: item.share, expiry: schedule.expiry(of: now).ticks,
                                    nextRun: schedule.nextRun(after: now).ticks)
            }
        } catch {
            logger.error("backup scheduler: \(error)")
        }
        do {
            let expired = try store.readRecords { try $0.all(PointRecord.self, BackupTables.points) }
                .filter { ($0.expiry ?? .max) <= now.ticks }
            for point in expired {
                do {
                    try await runner.prune(point)
                } catch {
                    logger.warning("backup scheduler: cannot delete expired snapshot \(point.snapshot) of \(point.share) yet: \(error)")
                }
            }
        } catch {
            logger.error("backup scheduler: \(error)")
        }
    }

    /// How long finished jobs and their operations are kept (180 days, as Azure keeps jobs).
    public static let jobRetentionTicks: Int64 = 180 * 864_000_000_000

    /// Deletes the jobs that ended more than 180 days ago and the operations started before then.
    public func sweepJobs() async {
        let cutoff = runner.now().ticks - Self.jobRetentionTicks
        do {
            try await store.writeRecords { w in
                var doomed: [(RecordTable, [UInt8])] = []
                try w.scan(BackupTables.jobs) { key, value in
                    let job = try Coding.decode(JobRecord.self, value)
                    if job.isTerminal, let end = job.end, end < cutoff { doomed.append((BackupTables.jobs, key)) }
                    return true
                }
                try w.scan(BackupTables.operations) { key, value in
                    if try Coding.decode(OperationRecord.self, value).start < cutoff { doomed.append((BackupTables.operations, key)) }
                    return true
                }
                for (table, key) in doomed { try w.delete(table, key) }
            }
        } catch {
            logger.error("backup scheduler: cannot sweep old jobs: \(error)")
        }
    }

    /// Recovers, then ticks every half second (and sweeps old jobs every minute) until the task
    /// is cancelled.
    public func run() async {
        do {
            try await recover()
        } catch {
            logger.error("backup scheduler: \(error)")
        }
        var ticks = 0
        while !Task.isCancelled {
            await tick()
            if ticks % 120 == 0 { await sweepJobs() }
            ticks += 1
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}
