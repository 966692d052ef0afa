import Logging
import ShareCore

/// What one ``S3LifecycleWorker/tick()`` did.
public struct LifecycleTick: Sendable, Hashable {
    /// Objects deleted because a rule expired them.
    public var expired = 0
    /// Multipart uploads aborted because a rule said so.
    public var aborted = 0
    /// Whether a sweep is still under way (the next tick continues it).
    public var pending = false
}

/// Applies the buckets' lifecycle rules in the background: deletes the objects a rule has
/// expired and aborts the uploads a rule says are abandoned.
///
/// S3 acts on lifecycle rules once a day, at midnight UTC: an object `Days` old expires at the
/// first midnight after it reaches that age, a `Date` rule at that midnight. So each bucket that
/// has rules (only those: the task reads the `s3.lifecycle` records, never the whole store) is
/// swept once per UTC day of the worker's clock, and again whenever its configuration changes
/// (and once after a restart). A sweep aborts the due uploads, then walks the bucket's objects
/// (below the longest prefix all expiring rules share) in key order, a bounded page per tick,
/// so a large bucket never holds up the server. Each deletion is its own atomic operation,
/// conditional on the object being the one the sweep saw: an object written or changed since
/// the sweep began, or during it, is not deleted.
public actor S3LifecycleWorker {
    let store: ShareStore
    let clock: @Sendable () -> FileTime
    let logger: Logger
    /// Objects examined per tick at most.
    let budget: Int
    var states: [String: BucketState] = [:]

    /// Where a bucket's sweeps stand.
    struct BucketState {
        /// The configuration generation and the day of the last finished sweep.
        var doneGeneration: String?
        var doneDay: Int64 = .min
        var sweep: Sweep?
    }

    /// A sweep under way.
    struct Sweep {
        var generation: String
        /// The worker's day when it began.
        var day: Int64
        /// The engine's time when it began: objects modified later are left alone.
        var started: FileTime
        /// The last key examined.
        var after: String?
        var uploadsDone = false
    }

    /// A worker over `store`; `clock` is the time rules are evaluated at (tests inject one;
    /// `sharecore serve --clock-offset` moves it ahead for testing); `budget` bounds the objects
    /// examined per tick.
    public init(store: ShareStore, logger: Logger = Logger(label: "sharecore.s3.lifecycle"),
                clock: @escaping @Sendable () -> FileTime = { FileTime.now() }, budget: Int = 1000) {
        self.store = store
        self.logger = logger
        self.clock = clock
        self.budget = max(1, budget)
    }

    /// One bounded step: starts the sweeps that are due and continues those under way.
    @discardableResult
    public func tick() async -> LifecycleTick {
        var result = LifecycleTick()
        let now = clock()
        let today = LifecycleClock.dayNumber(now)
        let records: [(bucket: String, record: LifecycleRecord)]
        do {
            records = try LifecycleStore.all(in: store)
        } catch {
            logger.error("lifecycle: cannot read the configurations: \(error)")
            return result
        }
        let names = Set(records.map(\.bucket))
        states = states.filter { names.contains($0.key) }
        var budget = self.budget
        for (name, record) in records {
            var state = states[name] ?? BucketState()
            if state.sweep?.generation != record.generation {
                let due = state.doneGeneration != record.generation || state.doneDay < today
                state.sweep = due ? Sweep(generation: record.generation, day: today, started: FileTime.now()) : nil
            }
            guard var sweep = state.sweep else { continue }
            guard budget > 0 else {
                states[name] = state
                result.pending = true
                continue
            }
            var finished = true
            do {
                finished = try await work(&sweep, bucket: name, record: record, now: now, budget: &budget, result: &result)
            } catch {
                logger.warning("lifecycle: sweep of bucket \(name) failed; retried tomorrow or when its rules change: \(error)")
            }
            if finished {
                state.sweep = nil
                state.doneGeneration = sweep.generation
                state.doneDay = sweep.day
            } else {
                state.sweep = sweep
                result.pending = true
            }
            states[name] = state
        }
        if result.expired + result.aborted > 0 {
            logger.info("lifecycle: expired \(result.expired) objects, aborted \(result.aborted) uploads")
        }
        return result
    }

    /// Continues `sweep` of bucket `name`; returns whether it is finished.
    func work(_ sweep: inout Sweep, bucket name: String, record: LifecycleRecord, now: FileTime, budget: inout Int,
              result: inout LifecycleTick) async throws -> Bool {
        let bucket: ResolvedBucket
        do {
            bucket = try await S3Context.resolve(bucket: name, in: store)
        } catch {
            return true  // the bucket is gone (its record goes with its share)
        }
        guard record.describes(bucket) else { return true }
        let configuration = record.configuration
        let nowSeconds = LifecycleClock.seconds(now)
        if !sweep.uploadsDone {
            if configuration.abortsUploads {
                result.aborted += try await abortUploads(in: bucket, configuration, nowSeconds: nowSeconds)
            }
            sweep.uploadsDone = true
        }
        guard configuration.expiresObjects else { return true }
        let page = try await BucketListing.page(bucket.share, base: bucket.base, prefix: configuration.expirationPrefix,
                                                delimiter: nil, after: sweep.after, maxKeys: min(budget, 1000))
        budget -= max(1, page.objects.count)
        for object in page.objects {
            let info = try object.properties.info
            let size = object.isDirectory ? 0 : info.size
            guard let (seconds, _) = configuration.expiration(key: object.key, size: size, lastModified: info.lastModified,
                                                              tags: LifecycleConfiguration.tags(info)),
                  seconds <= nowSeconds, info.lastModified <= sweep.started else { continue }
            if try await expire(object, etag: info.etag, in: bucket) { result.expired += 1 }
        }
        sweep.after = page.nextMarker ?? sweep.after
        return !page.isTruncated
    }

    /// Deletes `object` if it is still what the listing saw (its ETag `etag`); returns whether it did.
    func expire(_ object: ListedObject, etag: String, in bucket: ResolvedBucket) async throws -> Bool {
        let key = try ObjectKey.parse(object.key, base: bucket.base)
        do {
            if key.isDirectory {
                try await bucket.share.deleteDirectory(key.path)  // only while it is empty
            } else {
                try await bucket.share.deleteFile(key.path, ifETag: etag)
            }
        } catch let error as ShareCoreError where error.code != .storageFull && error.code != .dataCorrupted {
            // Changed, gone, filled or leased since it was listed: it stays.
            logger.debug("lifecycle: \(bucket.name)/\(object.key) stays: \(error.message)")
            return false
        }
        await Parents.pruneEmpty(above: key.path, in: bucket)
        return true
    }

    /// Aborts the uploads of `bucket` a rule says are due; returns how many.
    func abortUploads(in bucket: ResolvedBucket, _ configuration: LifecycleConfiguration, nowSeconds: Int64) async throws -> Int {
        var aborted = 0
        for (key, upload) in try await MultipartOperations.uploads(in: bucket) {
            guard let (seconds, _) = configuration.abortDate(key: key, initiated: upload.initiated), seconds <= nowSeconds else { continue }
            do {
                try await bucket.share.abortMultipartUpload(upload.id)
                aborted += 1
            } catch let error as ShareCoreError where error.code == .uploadNotFound {
                continue  // completed or aborted meanwhile
            }
        }
        return aborted
    }

    /// Ticks until the task is cancelled: right away while a sweep is under way, else every second.
    public func run() async {
        while !Task.isCancelled {
            let result = await tick()
            try? await Task.sleep(for: result.pending ? .milliseconds(50) : .seconds(1))
        }
    }
}
