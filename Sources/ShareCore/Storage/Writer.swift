import CLMDB
import Foundation
import CoreMetrics
import Metrics

/// How commits reach the disk.
public enum Durability: String, Sendable, CaseIterable {
    /// Every commit is synced to disk before the operation returns (the default).
    case full
    /// One sync per commit instead of two (`MDB_NOMETASYNC`): each commit's data is synced,
    /// its meta page only with the next commit. A process crash loses nothing; an
    /// operating-system crash or power loss may undo the last commit, never the store's
    /// integrity (on any file system).
    case fast
}

/// One queued write operation. `run` executes inside its own nested transaction; `finish`
/// is called after the batch's commit (or its failure), on the writer thread.
final class WriteJob: @unchecked Sendable {
    let run: (WriteTxn) throws -> Void
    let finish: ((any Error)?) -> Void

    init(run: @escaping (WriteTxn) throws -> Void, finish: @escaping ((any Error)?) -> Void) {
        self.run = run
        self.finish = finish
    }
}

/// The single writer thread. It owns every LMDB write transaction and batches queued
/// operations into one commit (group commit). Each operation runs in a nested transaction,
/// so a failing operation leaves no trace while its neighbours in the batch still commit.
final class Writer: @unchecked Sendable {
    private let env: LMDBEnvironment
    private let condition = NSCondition()
    private var queue: [WriteJob] = []
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    /// Largest number of operations folded into one commit.
    let maxBatch: Int
    /// Operations per commit and the time each commit (with its syncs) takes, reported through
    /// swift-metrics (no-ops unless the application bootstraps a metrics backend).
    private let batchSizes = Recorder(label: "sharecore_commit_batch_operations")
    private let commitTimes = CoreMetrics.Timer(label: "sharecore_commit_duration_seconds")

    init(env: LMDBEnvironment, maxBatch: Int = 256) {
        self.env = env
        self.maxBatch = maxBatch
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "sharecore-writer"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Queues `body` and waits for its batch to commit.
    func perform<T: Sendable>(_ body: @escaping @Sendable (WriteTxn) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let box = ResultBox<T>()
            let job = WriteJob(
                run: { txn in box.value = try body(txn) },
                finish: { error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let value = box.value {
                        continuation.resume(returning: value)
                    } else {
                        continuation.resume(throwing: ShareCoreError(.storageError, "write finished without a result"))
                    }
                })
            if !enqueue(job) {
                continuation.resume(throwing: ShareCoreError(.closed, "the store is closed"))
            }
        }
    }

    private func enqueue(_ job: WriteJob) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if stopping { return false }
        queue.append(job)
        condition.signal()
        return true
    }

    /// Finishes queued work, then stops the thread.
    func stop() {
        condition.lock()
        let alreadyStopping = stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if !alreadyStopping { finished.wait() }
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping {
                condition.unlock()
                finished.signal()
                return
            }
            let take = min(queue.count, maxBatch)
            var batch = Array(queue.prefix(take))
            queue.removeFirst(take)
            condition.unlock()
            while !batch.isEmpty {
                batch = runBatch(batch)
            }
            releaseMapIfDue()
        }
    }

    /// Runs jobs in one transaction; returns the jobs that must run again after the map grew.
    private func runBatch(_ jobs: [WriteJob]) -> [WriteJob] {
        var parent: OpaquePointer?
        let rc = mdb_txn_begin(env.env, nil, 0, &parent)
        guard rc == MDB_SUCCESS, let parent else {
            let error = ShareCoreError.lmdb(rc, "beginning a write transaction")
            jobs.forEach { $0.finish(error) }
            return []
        }
        var done: [(WriteJob, (any Error)?)] = []
        var retry: [WriteJob] = []
        for (index, job) in jobs.enumerated() {
            var child: OpaquePointer?
            let crc = mdb_txn_begin(env.env, parent, 0, &child)
            guard crc == MDB_SUCCESS, let child else {
                done.append((job, ShareCoreError.lmdb(crc, "beginning a nested transaction")))
                continue
            }
            do {
                try job.run(WriteTxn(read: ReadTxn(raw: child, dbis: env.dbis)))
                let commitRC = mdb_txn_commit(child)
                if commitRC == MDB_MAP_FULL {
                    retry = Array(jobs[index...])
                    break
                }
                done.append((job, commitRC == MDB_SUCCESS ? nil : env.commitError(commitRC, "committing an operation")))
            } catch let error as ShareCoreError where error.code == .mapFull {
                mdb_txn_abort(child)
                retry = Array(jobs[index...])
                break
            } catch {
                mdb_txn_abort(child)
                done.append((job, error))
            }
        }
        let commitStart = ContinuousClock.now
        let commitRC = mdb_txn_commit(parent)
        commitTimes.record(duration: ContinuousClock.now - commitStart)
        batchSizes.record(done.count)
        if commitRC == MDB_MAP_FULL {
            // Nothing of this batch landed: grow and run every job again.
            if let growError = grow() {
                jobs.forEach { $0.finish(growError) }
                return []
            }
            return jobs
        }
        let commitError: ShareCoreError? = commitRC == MDB_SUCCESS ? nil : env.commitError(commitRC, "committing a batch")
        for (job, error) in done {
            job.finish(commitError ?? error)
        }
        if !retry.isEmpty {
            if let growError = grow() {
                retry.forEach { $0.finish(growError) }
                return []
            }
        }
        return retry
    }

    /// When the writer last gave the map's pages back (writer thread only).
    private var lastRelease = ContinuousClock.now

    /// Gives the map's resident pages back at most every quarter second while writes go on.
    /// Writing touches B-tree pages through the map, and the kernel maps the whole page-cache
    /// folio around each (large folios reach megabytes), so without this a long stream of writes
    /// left hundreds of MiB of the data file mapped in the process (measured: 160 MiB per 512 MiB
    /// uploaded into reused pages). Readers simply fault what they need back in.
    private func releaseMapIfDue() {
        let now = ContinuousClock.now
        guard now - lastRelease >= .milliseconds(250) else { return }
        lastRelease = now
        env.releaseMap()
    }

    private func grow() -> (any Error)? {
        do {
            try env.growMap()
            return nil
        } catch {
            return error
        }
    }
}

/// Carries a job's result from the writer thread to its continuation.
final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
