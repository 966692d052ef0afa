import CLMDBBench
import Foundation

/// The physical baseline: LMDB called directly, through the same system library ShareCore
/// links, with the same environment flags ShareCore uses (`MDB_NOTLS | MDB_NORDAHEAD`, plus
/// `MDB_NOMETASYNC` for `fast`; see `Sources/ShareCore/Storage/LMDBEnvironment.swift`),
/// the same 1 TiB map and one named database. Keys are big-endian u64 tuples, as ShareCore's.
public final class RawLMDB: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public let env: OpaquePointer
    public let dbi: MDB_dbi
    public let path: String

    public init(path: String, fast: Bool, mapSize: Int = 1 << 40) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var handle: OpaquePointer?
        try RawLMDB.check(mdb_env_create(&handle), "mdb_env_create")
        env = handle!
        try RawLMDB.check(mdb_env_set_maxdbs(env, 12), "mdb_env_set_maxdbs")
        try RawLMDB.check(mdb_env_set_maxreaders(env, 1024), "mdb_env_set_maxreaders")
        try RawLMDB.check(mdb_env_set_mapsize(env, mapSize), "mdb_env_set_mapsize")
        var flags = UInt32(MDB_NOTLS | MDB_NORDAHEAD)
        if fast { flags |= UInt32(MDB_NOMETASYNC) }
        try RawLMDB.check(mdb_env_open(env, path, flags, 0o644), "mdb_env_open \(path)")
        var txn: OpaquePointer?
        try RawLMDB.check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin")
        var d = MDB_dbi(0)
        try RawLMDB.check(mdb_dbi_open(txn, "data", UInt32(MDB_CREATE), &d), "mdb_dbi_open")
        try RawLMDB.check(mdb_txn_commit(txn), "mdb_txn_commit")
        dbi = d
    }

    public func close() {
        mdb_env_close(env)
    }

    public static func check(_ rc: Int32, _ what: String) throws {
        guard rc == MDB_SUCCESS else {
            throw Failure(description: "\(what): \(String(cString: mdb_strerror(rc)))")
        }
    }

    /// Bytes of the data file in use (pages up to the last one used), as `ShareStore.storedBytes`.
    public var usedBytes: Int {
        var info = MDB_envinfo()
        var stat = MDB_stat()
        mdb_env_info(env, &info)
        mdb_env_stat(env, &stat)
        return (info.me_last_pgno + 1) * Int(stat.ms_psize)
    }

    /// One write transaction, committed (synced in `full` mode).
    public func write<T>(_ body: (WriteTxn) throws -> T) throws -> T {
        var raw: OpaquePointer?
        try RawLMDB.check(mdb_txn_begin(env, nil, 0, &raw), "mdb_txn_begin")
        do {
            let result = try body(WriteTxn(txn: raw!, dbi: dbi))
            try RawLMDB.check(mdb_txn_commit(raw), "mdb_txn_commit")
            return result
        } catch {
            mdb_txn_abort(raw)
            throw error
        }
    }

    /// One read-only transaction.
    public func read<T>(_ body: (ReadTxn) throws -> T) throws -> T {
        var raw: OpaquePointer?
        try RawLMDB.check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &raw), "mdb_txn_begin (read)")
        defer { mdb_txn_abort(raw) }
        return try body(ReadTxn(txn: raw!, dbi: dbi))
    }

    /// Puts one value in its own transaction.
    public func put(_ key: [UInt8], _ value: UnsafeRawBufferPointer) throws {
        try write { try $0.put(key, value) }
    }

    public struct ReadTxn {
        public let txn: OpaquePointer
        public let dbi: MDB_dbi

        /// The value stored under `key`, pointing into the map (valid until the transaction ends).
        public func get(_ key: [UInt8]) throws -> UnsafeRawBufferPointer? {
            var k = MDB_val()
            var v = MDB_val()
            let rc = key.withUnsafeBytes { kb -> Int32 in
                k.mv_size = kb.count
                k.mv_data = UnsafeMutableRawPointer(mutating: kb.baseAddress)
                return mdb_get(txn, dbi, &k, &v)
            }
            if rc == MDB_NOTFOUND { return nil }
            try RawLMDB.check(rc, "mdb_get")
            return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
        }

        /// Visits the keys from `start` on, in order, with their values, while `body` returns true.
        public func scan(from start: [UInt8],
                  _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
            var cursor: OpaquePointer?
            try RawLMDB.check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
            defer { mdb_cursor_close(cursor) }
            var k = MDB_val()
            var v = MDB_val()
            var rc = start.withUnsafeBytes { kb -> Int32 in
                k.mv_size = kb.count
                k.mv_data = UnsafeMutableRawPointer(mutating: kb.baseAddress)
                return mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
            }
            while rc == MDB_SUCCESS {
                let key = UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size)
                let value = UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
                guard try body(key, value) else { return }
                rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
            }
            if rc != MDB_NOTFOUND { try RawLMDB.check(rc, "mdb_cursor_get") }
        }
    }

    public struct WriteTxn {
        public let txn: OpaquePointer
        public let dbi: MDB_dbi

        public var read: ReadTxn { ReadTxn(txn: txn, dbi: dbi) }

        public func put(_ key: [UInt8], _ value: UnsafeRawBufferPointer) throws {
            var k = MDB_val()
            var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
            let rc = key.withUnsafeBytes { kb -> Int32 in
                k.mv_size = kb.count
                k.mv_data = UnsafeMutableRawPointer(mutating: kb.baseAddress)
                return mdb_put(txn, dbi, &k, &v, 0)
            }
            try RawLMDB.check(rc, "mdb_put")
        }
    }
}

/// Big-endian u64 tuple keys (bytewise order = numeric order), as ShareCore builds them.
public func key(_ parts: UInt64...) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(parts.count * 8)
    for p in parts {
        withUnsafeBytes(of: p.bigEndian) { bytes.append(contentsOf: $0) }
    }
    return bytes
}
