import CLMDB
import Foundation

/// The named LMDB databases of a store. Every LMDB call in ShareCore lives in `Storage/`;
/// the rest of the engine speaks ordered byte keys through ``ReadTxn`` and ``WriteTxn``.
enum Table: Int, CaseIterable, Sendable {
    case meta, shares, snapshots, nodes, dirents, extents, chunks, refs, pending, trash, permissions
    /// `buckets`, `uploads` and `parts` are read only to migrate stores of earlier versions
    /// (see `LegacyMigration.swift`).
    case buckets, uploads, parts
    /// Fronts' own records (``RecordTable``), their owner index and the share names they claim.
    case records, recordOwners, recordClaims
    /// Content staged for fronts' records (``StagedContent``).
    case staged

    var name: String {
        switch self {
        case .meta: "meta"
        case .shares: "shares"
        case .snapshots: "snapshots"
        case .nodes: "nodes"
        case .dirents: "dirents"
        case .extents: "extents"
        case .chunks: "chunks"
        case .refs: "refs"
        case .pending: "pending"
        case .trash: "trash"
        case .permissions: "permissions"
        case .buckets: "buckets"
        case .uploads: "uploads"
        case .parts: "parts"
        case .records: "records"
        case .recordOwners: "recordowners"
        case .recordClaims: "recordclaims"
        case .staged: "staged"
        }
    }
}

/// Maps an LMDB return code to the engine's error type.
func lmdbCheck(_ rc: Int32, _ what: @autoclosure () -> String) throws(ShareCoreError) {
    guard rc != MDB_SUCCESS else { return }
    throw ShareCoreError.lmdb(rc, what())
}

extension ShareCoreError {
    static func lmdb(_ rc: Int32, _ what: String) -> ShareCoreError {
        let text = String(cString: mdb_strerror(rc))
        switch rc {
        case MDB_MAP_FULL:
            return ShareCoreError(.mapFull, "\(what): the LMDB map is full")
        case ENOSPC, EFBIG, EDQUOT:
            return ShareCoreError(.storageFull, "\(what): the disk holding the store is full (\(text))")
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID:
            return ShareCoreError(.dataCorrupted, "\(what): the LMDB file is corrupted (\(text))")
        default:
            return ShareCoreError(.storageError, "\(what): \(text) (LMDB code \(rc))")
        }
    }
}

/// The LMDB handles of the store's tables, held inline, one byte each (LMDB numbers a
/// handle below the environment's `maxdbs`), so that a transaction carries them without a
/// reference to count. As an array they were retained and released by every read, on a cache
/// line every reading thread shares: a read on another core than the last one waited for it
/// (issue #14).
struct TableHandles {
    private var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// The most tables it holds.
    static let capacity = 32

    /// No handles yet (every table reads as handle 0 until they are set).
    init() {}

    /// `handles[i]` is the handle of the table whose raw value is `i`.
    init(_ handles: [MDB_dbi]) throws(ShareCoreError) {
        guard handles.count <= Self.capacity, handles.allSatisfy({ $0 < 256 }) else {
            throw ShareCoreError(.storageError, "LMDB returned table handles that do not fit: \(handles)")
        }
        withUnsafeMutableBytes(of: &bytes) { out in
            for (i, handle) in handles.enumerated() { out[i] = UInt8(handle) }
        }
    }

    subscript(table: Table) -> MDB_dbi {
        withUnsafeBytes(of: bytes) { MDB_dbi($0[table.rawValue]) }
    }
}

/// A reader/writer gate: read transactions hold it shared, a map resize holds it exclusively,
/// because `mdb_env_set_mapsize` may only run while this process has no transaction open.
final class ReaderGate: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func shared<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    func exclusive<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}

/// One LMDB environment (one data directory). Read transactions run on the caller's thread
/// (`MDB_NOTLS`); write transactions are only ever begun by the ``Writer`` thread.
final class LMDBEnvironment: @unchecked Sendable {
    let env: OpaquePointer
    private(set) var dbis = TableHandles()
    let gate = ReaderGate()
    private(set) var mapSize: Int
    let path: String

    /// The descriptor holding the store's process lock (see ``lockStore(_:)``).
    private let lockDescriptor: Int32

    init(path: String, mapSize: Int, maxReaders: UInt32, durability: Durability) throws {
        self.path = path
        self.mapSize = mapSize
        lockDescriptor = try LMDBEnvironment.lockStore(path)
        var handle: OpaquePointer?
        try lmdbCheck(mdb_env_create(&handle), "mdb_env_create")
        guard let handle else {
            Glibc.close(lockDescriptor)
            throw ShareCoreError(.storageError, "mdb_env_create returned no environment")
        }
        env = handle
        do {
            try lmdbCheck(mdb_env_set_maxdbs(env, MDB_dbi(Table.allCases.count + 2)), "mdb_env_set_maxdbs")
            try lmdbCheck(mdb_env_set_maxreaders(env, maxReaders), "mdb_env_set_maxreaders")
            try lmdbCheck(mdb_env_set_mapsize(env, mapSize), "mdb_env_set_mapsize")
            var flags = UInt32(MDB_NOTLS | MDB_NORDAHEAD)
            // Fast mode syncs each commit's data pages but not its meta page (`MDB_NOMETASYNC`): the
            // meta page reaches disk with the next commit's sync, so a power loss may undo the
            // last commit but never leaves a meta page pointing at unwritten pages. `MDB_NOSYNC`
            // would: with no sync at all, the file system may write the meta page first.
            if durability == .fast { flags |= UInt32(MDB_NOMETASYNC) }
            try lmdbCheck(mdb_env_open(env, path, flags, 0o644), "opening the store at \(path)")
            try LMDBEnvironment.checkFileLength(env, path: path)
            var txn: OpaquePointer?
            try lmdbCheck(mdb_txn_begin(env, nil, 0, &txn), "beginning the setup transaction")
            var opened: [MDB_dbi] = []
            for table in Table.allCases {
                var dbi = MDB_dbi(0)
                let rc = mdb_dbi_open(txn, table.name, UInt32(MDB_CREATE), &dbi)
                if rc != MDB_SUCCESS {
                    mdb_txn_abort(txn)
                    throw ShareCoreError.lmdb(rc, "opening table \(table.name)")
                }
                opened.append(dbi)
            }
            try lmdbCheck(mdb_txn_commit(txn), "committing the setup transaction")
            dbis = try TableHandles(opened)
        } catch {
            mdb_env_close(env)
            Glibc.close(lockDescriptor)
            throw error
        }
    }

    /// Refuses a data file shorter than the pages its newest meta page says are in use (a
    /// truncated or partly copied `data.mdb`). LMDB maps the file and reads pages in place,
    /// so opening it would kill the process with SIGBUS at the first read of a missing page.
    static func checkFileLength(_ env: OpaquePointer, path: String) throws {
        var info = MDB_envinfo()
        var pageStat = MDB_stat()
        try lmdbCheck(mdb_env_info(env, &info), "reading the store's meta page")
        try lmdbCheck(mdb_env_stat(env, &pageStat), "reading the store's meta page")
        let needed = (UInt64(info.me_last_pgno) + 1) * UInt64(pageStat.ms_psize)
        let file = path + "/data.mdb"
        var status = stat()
        guard stat(file, &status) == 0 else {
            throw ShareCoreError(.storageError, "\(file): cannot read its size (errno \(errno))")
        }
        let size = UInt64(status.st_size)
        guard size >= needed else {
            throw ShareCoreError(.dataCorrupted, """
                \(file) is damaged: it has \(size) bytes, but its last committed transaction uses \
                \(needed) (pages up to \(info.me_last_pgno) of \(pageStat.ms_psize) bytes); the file was truncated \
                or not copied whole. Restore the data directory from a backup.
                """)
        }
    }

    /// Takes an exclusive lock on `DIR/sharecore.lock` for as long as the store is open, so
    /// that a second process (say `sharecore bucket add` while `sharecore serve` runs) is
    /// refused with `storeInUse` instead of racing the first one's writer, recovery and map
    /// growth. The kernel drops the lock when the process ends, however it ends.
    private static func lockStore(_ path: String) throws -> Int32 {
        let fd = open(path + "/sharecore.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ShareCoreError(.storageError, "cannot open the lock file of the store at \(path): errno \(errno)")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            Glibc.close(fd)
            if code == EWOULDBLOCK {
                throw ShareCoreError(.storeInUse, "the store at \(path) is open in another process (a running sharecore serve?)")
            }
            throw ShareCoreError(.storageError, "cannot lock the store at \(path): errno \(code)")
        }
        return fd
    }

    private var isClosed = false

    /// Closes the environment once no reader is inside it; later reads fail with `closed`.
    func close() {
        gate.exclusive {
            guard !isClosed else { return }
            isClosed = true
            mdb_env_close(env)
            Glibc.close(lockDescriptor)
        }
    }

    /// Runs `body` in a short read-only transaction on the calling thread.
    func read<T>(_ body: (ReadTxn) throws -> T) throws -> T {
        try gate.shared {
            guard !isClosed else { throw ShareCoreError(.closed, "the store is closed") }
            var raw: OpaquePointer?
            try lmdbCheck(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &raw), "beginning a read transaction")
            guard let raw else { throw ShareCoreError(.storageError, "mdb_txn_begin returned no transaction") }
            defer { mdb_txn_abort(raw) }
            return try body(ReadTxn(raw: raw, dbis: dbis, isReadOnly: true))
        }
    }

    /// Doubles the map size (or grows it to hold `atLeast` bytes); waits until no reader is open.
    func growMap(atLeast: Int = 0) throws {
        let target = max(mapSize * 2, atLeast)
        try gate.exclusive {
            try lmdbCheck(mdb_env_set_mapsize(env, target), "growing the map to \(target) bytes")
            mapSize = target
        }
    }

    /// The error for a failed commit. LMDB reports a short write as EIO, which is what a full
    /// disk usually produces, so EIO is reported as `storageFull` when the file system holding
    /// the store has (almost) no space left.
    func commitError(_ rc: Int32, _ what: String) -> ShareCoreError {
        if rc == EIO, let free = freeDiskBytes(), free < 8 << 20 {
            return ShareCoreError(.storageFull, "\(what): the disk holding the store is full (\(free) bytes free)")
        }
        return .lmdb(rc, what)
    }

    /// Bytes available to this process on the file system holding the store.
    func freeDiskBytes() -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// Drops every mapped page of the data file from this process's resident set. The map is a
    /// read-only shared file mapping, so the data stays in the page cache and a later access
    /// faults it back in: harmless to concurrent readers, which only pay that fault. LMDB does
    /// not tell where it mapped the file (`me_mapaddr` is set only for fixed maps), so the
    /// mapping is found in `/proc/self/maps`; elsewhere this does nothing.
    func releaseMap() {
        gate.shared {
            guard !isClosed, let (start, end) = LMDBEnvironment.mapping(of: path + "/data.mdb"),
                  let base = UnsafeMutableRawPointer(bitPattern: start) else { return }
            var info = MDB_envinfo()
            var stat = MDB_stat()
            mdb_env_info(env, &info)
            mdb_env_stat(env, &stat)
            // Only the part of the map the data file covers can have resident pages.
            let used = (info.me_last_pgno + 1) * Int(stat.ms_psize)
            _ = madvise(base, min(used, end - start), Int32(MADV_DONTNEED))
        }
    }

    /// The address range of this process's largest mapping of `file`, from `/proc/self/maps`.
    static func mapping(of file: String) -> (Int, Int)? {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return nil }
        let target = URL(fileURLWithPath: file).standardizedFileURL.resolvingSymlinksInPath().path
        var best: (Int, Int)?
        for line in maps.split(separator: "\n") where line.hasSuffix(" " + target) {
            guard let range = line.split(separator: " ").first else { continue }
            let bounds = range.split(separator: "-")
            guard bounds.count == 2, let start = Int(bounds[0], radix: 16), let end = Int(bounds[1], radix: 16) else { continue }
            if best.map({ end - start > $0.1 - $0.0 }) ?? true { best = (start, end) }
        }
        return best
    }

    /// Bytes the data file occupies (pages in use, not the sparse map).
    func usedBytes() -> Int {
        gate.shared {
            guard !isClosed else { return 0 }
            var info = MDB_envinfo()
            var stat = MDB_stat()
            mdb_env_info(env, &info)
            mdb_env_stat(env, &stat)
            return (info.me_last_pgno + 1) * Int(stat.ms_psize)
        }
    }
}
