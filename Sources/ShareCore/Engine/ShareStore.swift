import Foundation

/// How to open a store.
public struct StoreOptions: Sendable {
    /// Whether commits are synced (default `.full`).
    public var durability: Durability
    /// Address space reserved for the map; it grows (doubling) when full. Default 1 TiB.
    public var mapSize: Int
    /// Concurrent read transactions allowed. Default 1024.
    public var maxReaders: UInt32
    /// Bytes per extent (a power of two from 4 KiB to 4 MiB). Default 4 MiB. Fixed when the
    /// store is created; smaller extents exist for tests that want many extents in small files.
    public var extentSize: Int
    /// Runs an extent may hold before touching runs are merged into one chunk. Default 64.
    public var maxRunsPerExtent: Int

    /// Options for opening a store; the defaults suit production use.
    public init(durability: Durability = .full, mapSize: Int = 1 << 40, maxReaders: UInt32 = 1024,
                extentSize: Int = ShareStore.maxRangeBytes, maxRunsPerExtent: Int = 64) {
        self.durability = durability
        self.mapSize = mapSize
        self.maxReaders = maxReaders
        self.extentSize = extentSize
        self.maxRunsPerExtent = maxRunsPerExtent
    }
}

/// A ShareCore store: file shares with directories, sparse files, metadata and copy-on-write
/// snapshots, kept in one LMDB environment in a data directory.
///
/// Reads run on the caller's thread in short read-only transactions; writes are queued to one
/// writer thread that commits them in batches. Every operation is all-or-nothing.
///
/// ```swift
/// let store = try await ShareStore.open(at: "/var/lib/sharecore")
/// try await store.createShare("docs")
/// let docs = store.share("docs")
/// try await docs.createFile("report.txt", length: 5)
/// try await docs.write("report.txt", at: 0, Array("hello".utf8))
/// ```
public final class ShareStore: Sendable {
    /// The most bytes one range write may carry (4 MiB).
    public static let maxRangeBytes = 4 * 1024 * 1024
    /// The largest file (4 TiB).
    public static let maxFileSize: UInt64 = 4 << 40
    /// The most snapshots a share may have.
    public static let maxSnapshotsPerShare = 200

    /// The data directory.
    public let path: String
    let env: LMDBEnvironment
    let writer: Writer
    let state: WriterState
    let options: StoreOptions
    /// The key content under ``ContentEncryption/storeKey`` is sealed with.
    let contentKey: StoreKey
    /// What reads decoded from the last committed state (share records, resolved files).
    let readMemo = ReadMemo()
    var extentSize: UInt64 { UInt64(options.extentSize) }

    private init(path: String, env: LMDBEnvironment, state: WriterState, options: StoreOptions, contentKey: StoreKey) {
        self.contentKey = contentKey
        self.path = path
        self.env = env
        self.writer = Writer(env: env)
        self.state = state
        self.options = options
    }

    /// Opens the store in directory `path`, creating the directory and the store if needed,
    /// and finishes any reclamation an earlier process left (abandoned uploads, deleted shares).
    public static func open(at path: String, options: StoreOptions = StoreOptions()) async throws -> ShareStore {
        guard (12...22).contains(options.extentSize.trailingZeroBitCount),
              options.extentSize.nonzeroBitCount == 1
        else {
            throw ShareCoreError(.invalidArgument, "extent size \(options.extentSize) is not a power of two from 4 KiB to 4 MiB")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ShareCoreError(.storageError, "cannot create data directory \(path): \(error)")
        }
        let contentKey = try StoreKey.load(directory: path)
        let env = try LMDBEnvironment(path: path, mapSize: options.mapSize, maxReaders: options.maxReaders,
                                      durability: options.durability)
        let nextChunk: UInt64
        do {
            nextChunk = try env.read { txn in
                try txn.withCursor(.chunks) { cursor in
                    guard let (k, _) = try cursor.last() else { return UInt64(1) }
                    return k.beUInt64(at: 0) + 1
                }
            }
        } catch {
            env.close()
            throw error
        }
        let store = ShareStore(path: path, env: env, state: WriterState(nextChunk: nextChunk), options: options,
                               contentKey: contentKey)
        do {
            try await store.writer.perform { txn in
                let key = Array("extentSize".utf8)
                if let raw = try txn.get(.meta, key) {
                    let stored = raw.beUInt64(at: 0)
                    guard stored == UInt64(options.extentSize) else {
                        throw ShareCoreError(.invalidArgument, "the store at \(path) uses \(stored)-byte extents, not \(options.extentSize)")
                    }
                } else {
                    try txn.put(.meta, key, Key.u64(UInt64(options.extentSize)))
                }
                try LegacyMigration.moveBucketMappings(txn)
                try LegacyMigration.moveMultipartUploads(txn)
            }
            try await store.recover()
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// Unmaps the buffers that large uploads keep for the next one (at most 32 MiB, in every
    /// store of the process). A server calls this when it trims its heap; the next large upload
    /// maps a buffer afresh.
    public static func releaseIdleMemory() {
        ChunkBufferPool.shared.releaseAll()
    }

    /// Finishes queued writes and closes the store. Operations after this fail with `closed`.
    public func close() async {
        writer.stop()
        env.close()
    }

    /// A handle on the live namespace of share `name` (or, with `snapshot`, on that read-only
    /// snapshot). Nothing is checked until the handle is used.
    public func share(_ name: String, snapshot: String? = nil) -> Share {
        Share(store: self, name: name, snapshot: snapshot)
    }

    // MARK: Internal plumbing

    /// Loads a share record by name.
    func loadShare(_ txn: ReadTxn, _ name: String) throws -> ShareRecord {
        try Names.validateShare(name)
        guard let raw = try txn.get(.shares, Keys.share(name)) else {
            throw ShareCoreError(.shareNotFound, "share '\(name)' does not exist")
        }
        return try ShareRecord(raw)
    }

    /// The snapshot record of `share` named `name`.
    func loadSnapshot(_ txn: ReadTxn, share: ShareRecord, name: String) throws -> SnapshotRecord {
        var found: SnapshotRecord?
        try txn.scan(.snapshots, prefix: Key.u64(share.id)) { _, value in
            let record = try SnapshotRecord(value)
            if record.name == name {
                found = record
                return false
            }
            return true
        }
        guard let found else {
            throw ShareCoreError(.snapshotNotFound, "share '\(share.name)' has no snapshot '\(name)'")
        }
        return found
    }

    /// The keys of a read or write that presents customer key `customer`.
    func keys(_ customer: CustomerKey?) -> ContentKeys { ContentKeys(store: contentKey, customer: customer) }

    /// A view of `share` (live, or at `snapshot`) inside `txn`, reading sealed content with the
    /// store's key and `customer`.
    /// In a read-only transaction the share record (and snapshot) it is built from come from
    /// ``readMemo`` when an earlier read of the same state decoded them.
    func view(_ txn: ReadTxn, share name: String, snapshot: String?, customer: CustomerKey? = nil) throws -> View {
        let key = ReadMemo.ViewKey(share: name, snapshot: snapshot)
        if let known = readMemo.view(key, in: txn) {
            return View(txn: txn, shared: known.share, epoch: known.epoch, snapshot: snapshot, extentSize: extentSize,
                        keys: keys(customer), memo: readMemo)
        }
        let record = try loadShare(txn, name)
        var props = record
        var epoch = record.liveEpoch
        if let snapshot {
            let snap = try loadSnapshot(txn, share: record, name: snapshot)
            props = snap.share
            props.id = record.id
            props.caseSensitive = record.caseSensitive
            epoch = snap.epoch
        }
        let shared = SharedShareRecord(props)
        readMemo.remember(ReadMemo.ViewValue(share: shared, epoch: epoch), for: key, in: txn)
        return View(txn: txn, shared: shared, epoch: epoch, snapshot: snapshot, extentSize: extentSize,
                    keys: keys(customer), memo: readMemo)
    }

    /// Runs `body` against a read view on the calling thread.
    func read<T>(share: String, snapshot: String?, customer: CustomerKey? = nil, _ body: (View) throws -> T) throws -> T {
        try env.read { txn in try body(try view(txn, share: share, snapshot: snapshot, customer: customer)) }
    }

    /// Runs `body` against a read view of `share` with the file `path` (as the caller gave it)
    /// resolves to, and the path parsed. A path that an earlier read of the same committed
    /// state resolved is taken from the read memo as it was given: a run of small reads of one
    /// file parses and looks up its path once (issue #14). Errors are those of parsing the
    /// path, building the view and resolving the file, in that order.
    func readFile<T>(share: String, snapshot: String?, customer: CustomerKey? = nil, path: String,
                     _ body: (View, SharePath, ReadMemo.ResolvedFile) throws -> T) throws -> T {
        try env.read { txn in
            let key = ReadMemo.RawPathKey(share: share, snapshot: snapshot, path: path)
            if let known = readMemo.resolution(key, in: txn) {
                let view = View(txn: txn, shared: known.view.share, epoch: known.view.epoch, snapshot: snapshot,
                                extentSize: extentSize, keys: keys(customer), memo: readMemo)
                return try body(view, known.path, known.file)
            }
            let parsed = try SharePath(path)
            let view = try view(txn, share: share, snapshot: snapshot, customer: customer)
            let file = try view.resolveFileShared(parsed)
            readMemo.remember(ReadMemo.PathResolution(view: ReadMemo.ViewValue(share: view.shared, epoch: view.epoch),
                                                      path: parsed, file: file), for: key, in: txn)
            return try body(view, parsed, file)
        }
    }

    /// Runs `body` as one all-or-nothing write on the live namespace of `share`.
    func mutate<T: Sendable>(share name: String, customer: CustomerKey? = nil,
                             _ body: @escaping @Sendable (inout Mutation) throws -> T) async throws -> T {
        let state = self.state
        let extentSize = self.extentSize
        let maxRuns = options.maxRunsPerExtent
        return try await writer.perform { [self] txn in
            var mutation = Mutation(txn: txn, share: try loadShare(txn.read, name), state: state,
                                    extentSize: extentSize, maxRuns: maxRuns, keys: keys(customer))
            let result = try body(&mutation)
            try mutation.finish()
            return result
        }
    }

    /// Runs `body` as one all-or-nothing write transaction.
    func write<T: Sendable>(_ body: @escaping @Sendable (WriteTxn) throws -> T) async throws -> T {
        try await writer.perform(body)
    }

    /// Allocates a store-wide counter value (share and upload ids).
    static func nextCounter(_ txn: WriteTxn, _ name: String) throws -> UInt64 {
        let key = Array(name.utf8)
        let current = try txn.get(.meta, key).map { $0.beUInt64(at: 0) } ?? 1
        try txn.put(.meta, key, Key.u64(current + 1))
        return current
    }

    /// Bytes the data file uses (0 once the store is closed).
    public var storedBytes: Int { env.usedBytes() }

    /// Bytes still free for this process on the file system holding the store, or nil when
    /// the system does not say.
    public var freeDiskBytes: Int? { env.freeDiskBytes() }
}
