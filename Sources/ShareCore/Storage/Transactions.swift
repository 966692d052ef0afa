import CLMDB

/// A read-only view of the store inside one LMDB transaction. Buffers it returns point into
/// the memory map and are valid only until the transaction ends or the next write through it.
struct ReadTxn {
    let raw: OpaquePointer
    let dbis: TableHandles
    /// Whether this is a read-only LMDB transaction, whose values always lie in the read-only
    /// memory map. A write transaction's values may be its dirty pages, in LMDB's heap memory,
    /// so only values of a read-only transaction may have their pages given back (`madvise`).
    var isReadOnly = false

    func dbi(_ table: Table) -> MDB_dbi { dbis[table] }

    /// The id of the commit whose state a read-only transaction reads (`mdb_txn_id`): two read
    /// transactions with the same id read the same state.
    var snapshotId: Int { Int(mdb_txn_id(raw)) }

    /// The longest key LMDB stores (`mdb_env_get_maxkeysize` of the default build).
    static let maxKeyBytes = 511

    /// The value stored under `key`, or nil.
    func get(_ table: Table, _ key: [UInt8]) throws(ShareCoreError) -> UnsafeRawBufferPointer? {
        // Array's `withUnsafeBytes` throws untyped errors: the typed one is carried out in a Result.
        var found: Result<UnsafeRawBufferPointer?, ShareCoreError> = .success(nil)
        key.withUnsafeBytes { kb in found = Result { () throws(ShareCoreError) in try get(table, raw: kb) } }
        return try found.get()
    }

    /// The value stored under `key`, given as bytes in place (a key built on the stack needs
    /// no array), or nil.
    func get(_ table: Table, raw key: UnsafeRawBufferPointer) throws(ShareCoreError) -> UnsafeRawBufferPointer? {
        // Nothing is ever stored under an empty key or one longer than LMDB's limit, and LMDB
        // answers a lookup of one with MDB_BAD_VALSIZE: such a lookup simply finds nothing.
        guard !key.isEmpty, key.count <= ReadTxn.maxKeyBytes else { return nil }
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(raw, dbi(table), &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try lmdbCheck(rc, "reading \(table.name)")
        return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }

    /// The number of entries in `table` (`mdb_stat`: read from the table's root, not counted).
    func count(_ table: Table) throws(ShareCoreError) -> Int {
        var stat = MDB_stat()
        try lmdbCheck(mdb_stat(raw, dbi(table), &stat), "reading the size of \(table.name)")
        return stat.ms_entries
    }

    /// Opens a cursor on `table`; it is closed when `body` returns.
    func withCursor<T>(_ table: Table, _ body: (Cursor) throws -> T) throws -> T {
        var cur: OpaquePointer?
        try lmdbCheck(mdb_cursor_open(raw, dbi(table), &cur), "opening a cursor on \(table.name)")
        guard let cur else { throw ShareCoreError(.storageError, "mdb_cursor_open returned no cursor") }
        defer { mdb_cursor_close(cur) }
        return try body(Cursor(raw: cur, table: table))
    }

    /// Every (key, value) whose key starts with `prefix`, in key order, starting at `from`
    /// (which must itself start with `prefix`) or at the prefix. Stop by returning false.
    func scan(_ table: Table, prefix: [UInt8], from: [UInt8]? = nil,
              _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        try withCursor(table) { cursor in
            var entry = try cursor.seek(from ?? prefix)
            while let (k, v) = entry, k.starts(with: prefix) {
                guard try body(k, v) else { return }
                entry = try cursor.next()
            }
        }
    }
}

/// A cursor over one table. Keys and values it returns are valid until the next cursor call.
struct Cursor {
    let raw: OpaquePointer
    let table: Table

    private func op(_ operation: MDB_cursor_op, key: [UInt8]? = nil) throws(ShareCoreError)
        -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)?
    {
        var k = MDB_val()
        var v = MDB_val()
        var rc: Int32
        if let key {
            rc = key.withUnsafeBytes { kb in
                k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
                return mdb_cursor_get(raw, &k, &v, operation)
            }
        } else {
            rc = mdb_cursor_get(raw, &k, &v, operation)
        }
        if rc == MDB_NOTFOUND { return nil }
        try lmdbCheck(rc, "moving a cursor on \(table.name)")
        return (UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    /// Positions at the first key >= `key`.
    func seek(_ key: [UInt8]) throws(ShareCoreError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)? {
        if key.isEmpty { return try op(MDB_FIRST) }
        return try op(MDB_SET_RANGE, key: key)
    }

    /// Positions at the first key >= `key`, given as bytes in place (not empty).
    func seek(raw key: UnsafeRawBufferPointer) throws(ShareCoreError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_cursor_get(raw, &k, &v, MDB_SET_RANGE)
        if rc == MDB_NOTFOUND { return nil }
        try lmdbCheck(rc, "moving a cursor on \(table.name)")
        return (UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    func next() throws(ShareCoreError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)? {
        try op(MDB_NEXT)
    }

    func first() throws(ShareCoreError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)? {
        try op(MDB_FIRST)
    }

    func last() throws(ShareCoreError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)? {
        try op(MDB_LAST)
    }

    func prev() throws(ShareCoreError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)? {
        try op(MDB_PREV)
    }

    /// Deletes the entry under the cursor (only in a write transaction).
    func deleteCurrent() throws(ShareCoreError) {
        try lmdbCheck(mdb_cursor_del(raw, 0), "deleting through a cursor on \(table.name)")
    }
}

/// A write transaction: a nested LMDB transaction inside the writer's batch, so that one
/// operation's effects are all-or-nothing while many operations share one commit.
struct WriteTxn {
    let read: ReadTxn
    var raw: OpaquePointer { read.raw }

    func get(_ table: Table, _ key: [UInt8]) throws(ShareCoreError) -> UnsafeRawBufferPointer? {
        try read.get(table, key)
    }

    func put(_ table: Table, _ key: [UInt8], _ value: [UInt8]) throws(ShareCoreError) {
        var rc: Int32 = 0
        key.withUnsafeBytes { kb in
            value.withUnsafeBytes { vb in
                var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
                var v = MDB_val(mv_size: vb.count, mv_data: UnsafeMutableRawPointer(mutating: vb.baseAddress))
                rc = mdb_put(raw, read.dbi(table), &k, &v, 0)
            }
        }
        try lmdbCheck(rc, "writing \(table.name)")
    }

    /// Reserves `count` bytes for `key` and lets `fill` write them in place (no extra copy).
    func putReserved(_ table: Table, _ key: [UInt8], count: Int,
                     _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws(ShareCoreError) {
        var rc: Int32 = 0
        key.withUnsafeBytes { kb in
            var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            var v = MDB_val(mv_size: count, mv_data: nil)
            rc = mdb_put(raw, read.dbi(table), &k, &v, UInt32(MDB_RESERVE))
            if rc == MDB_SUCCESS, let data = v.mv_data {
                fill(UnsafeMutableRawBufferPointer(start: data, count: count))
            }
        }
        try lmdbCheck(rc, "writing \(table.name)")
    }

    /// Deletes `key`; returns whether it existed.
    @discardableResult
    func delete(_ table: Table, _ key: [UInt8]) throws(ShareCoreError) -> Bool {
        var rc: Int32 = 0
        key.withUnsafeBytes { kb in
            var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            rc = mdb_del(raw, read.dbi(table), &k, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        try lmdbCheck(rc, "deleting from \(table.name)")
        return true
    }

    func withCursor<T>(_ table: Table, _ body: (Cursor) throws -> T) throws -> T {
        try read.withCursor(table, body)
    }

    func scan(_ table: Table, prefix: [UInt8], from: [UInt8]? = nil,
              _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        try read.scan(table, prefix: prefix, from: from, body)
    }

    /// Keys starting with `prefix`, copied out (safe to delete while iterating the result).
    func keys(_ table: Table, prefix: [UInt8], limit: Int = .max) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        try read.scan(table, prefix: prefix) { k, _ in
            out.append(Array(k))
            return out.count < limit
        }
        return out
    }
}
