/// A named table of a front's own durable records (for example `s3.buckets` or `backup.jobs`).
///
/// Protocol concepts (buckets, vaults, jobs, locations) belong to their front, not to the
/// engine's model. The engine keeps them for the front as plain key → value bytes in the same
/// LMDB environment as the shares, so that a front's record and the share change it describes
/// commit in one transaction (see ``ShareStore/writeRecords(_:)`` and the `records:` argument of
/// ``ShareStore/createShare(_:options:records:)``, ``ShareStore/deleteShare(_:snapshots:leaseId:records:)``,
/// ``ShareStore/createSnapshot(of:metadata:records:)`` and ``ShareStore/deleteSnapshot(of:_:leaseId:records:)``).
///
/// Name tables `<front>.<table>`: 1 to 64 bytes of ASCII letters, digits, `.`, `-` and `_`.
public struct RecordTable: Sendable, Hashable, CustomStringConvertible {
    /// The table's name.
    public let name: String

    /// A table named `name`.
    public init(_ name: String) { self.name = name }

    /// The table's name.
    public var description: String { name }

    /// Whether the name keeps to the rules above.
    var isValid: Bool {
        let u = Array(name.utf8)
        return (1...64).contains(u.count) && u.allSatisfy { c in
            (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) || c == 0x2E || c == 0x2D || c == 0x5F
        }
    }

    func validate() throws(ShareCoreError) {
        guard isValid else {
            throw ShareCoreError(.invalidArgument, "record table name '\(name)' is not 1 to 64 ASCII letters, digits, '.', '-' or '_'")
        }
    }
}

/// Changes to front records made inside an engine operation's transaction.
public typealias RecordChanges = @Sendable (RecordWriter) throws -> Void

/// Checks one stored record of a table (for ``ShareStore/check(verifiers:)``): throw an error
/// whose description says what is wrong.
public typealias RecordVerifier = @Sendable (_ key: [UInt8], _ value: [UInt8]) throws -> Void

/// Reads front records inside one read transaction. Valid only inside the closure that hands
/// it out.
public struct RecordReader {
    let txn: ReadTxn

    /// The value stored under `key` in `table`, or nil.
    public func get(_ table: RecordTable, _ key: [UInt8]) throws -> [UInt8]? {
        try table.validate()
        guard let raw = try txn.get(.records, RecordKeys.key(table, key)) else { return nil }
        return try StoredRecord(raw).payload
    }

    /// Entries of `table` whose key starts with `prefix`, in byte order of their keys, from
    /// `from` (inclusive; it must start with `prefix`) on. Return false from `body` to stop.
    public func scan(_ table: RecordTable, prefix: [UInt8] = [], from: [UInt8]? = nil,
                     _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool) throws {
        try table.validate()
        let base = RecordKeys.table(table)
        try txn.scan(.records, prefix: base + prefix, from: from.map { base + $0 }) { k, v in
            try body(Array(k[base.count...]), try StoredRecord(v).payload)
        }
    }
}

/// Reads and writes front records inside one write transaction: the writer's own, or that of
/// an engine operation whose `records:` argument it was handed to. Valid only inside that
/// closure; everything it writes commits or is discarded with the operation.
public struct RecordWriter {
    let txn: WriteTxn

    /// Read access to the same transaction (sees this transaction's own writes).
    public var reader: RecordReader { RecordReader(txn: txn.read) }

    /// The value stored under `key` in `table`, or nil.
    public func get(_ table: RecordTable, _ key: [UInt8]) throws -> [UInt8]? {
        try reader.get(table, key)
    }

    /// Entries of `table` whose key starts with `prefix`, from `from` on (see ``RecordReader``).
    public func scan(_ table: RecordTable, prefix: [UInt8] = [], from: [UInt8]? = nil,
                     _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool) throws {
        try reader.scan(table, prefix: prefix, from: from, body)
    }

    /// Stores `value` under `key` in `table`, replacing what was there.
    ///
    /// - Parameters:
    ///   - table: the front's table.
    ///   - key: the record's key (at most 400 bytes).
    ///   - value: the record's bytes.
    ///   - owner: a share whose deletion deletes this record in the same transaction, or nil.
    ///     Errors: `shareNotFound` when no such share exists.
    ///   - claimingShareName: a share name this record reserves, or nil: while the record
    ///     exists, creating a share of that name fails with `shareAlreadyExists` (an S3 bucket
    ///     mapped to a directory takes its name this way). Errors: `shareAlreadyExists` when a
    ///     share of that name exists, `resourceAlreadyExists` when another record claims it.
    public func put(_ table: RecordTable, _ key: [UInt8], _ value: [UInt8],
                    owner: String? = nil, claimingShareName: String? = nil) throws {
        let share = owner
        let claim = claimingShareName
        try table.validate()
        guard key.count <= RecordKeys.maxKeyBytes else {
            throw ShareCoreError(.invalidArgument, "a record key of \(key.count) bytes is longer than \(RecordKeys.maxKeyBytes)")
        }
        var ownerId: UInt64 = 0
        if let share {
            guard let raw = try txn.get(.shares, Keys.share(share)) else {
                throw ShareCoreError(.shareNotFound, "share '\(share)' does not exist")
            }
            ownerId = try ShareRecord(raw).id
        }
        if let claim {
            if try txn.get(.shares, Keys.share(claim)) != nil {
                throw ShareCoreError(.shareAlreadyExists, "a share is named '\(claim)'")
            }
            if let holder = try txn.get(.recordClaims, Array(claim.utf8)), Array(holder) != RecordKeys.key(table, key) {
                throw ShareCoreError(.resourceAlreadyExists, "the name '\(claim)' is already claimed")
            }
        }
        let fullKey = RecordKeys.key(table, key)
        if let raw = try txn.get(.records, fullKey) {
            let old = try StoredRecord(raw)
            if old.owner != 0, old.owner != ownerId,
               try !txn.keys(.staged, prefix: StagedKeys.record(old.owner, table, key), limit: 1).isEmpty {
                throw ShareCoreError(.invalidArgument, "record \(table) '\(RecordKeys.printable(key))' holds staged content, so its owner cannot change")
            }
            try removeIndexes(fullKey, old)
        }
        try txn.put(.records, fullKey, StoredRecord(owner: ownerId, claim: claim, payload: value).encode())
        if ownerId != 0 { try txn.put(.recordOwners, Key.u64(ownerId) + fullKey, []) }
        if let claim { try txn.put(.recordClaims, Array(claim.utf8), fullKey) }
    }

    /// Deletes the record under `key` in `table`, and discards the content staged for it
    /// (``StagedContent``), releasing its chunks; returns whether the record existed.
    @discardableResult
    public func delete(_ table: RecordTable, _ key: [UInt8]) throws -> Bool {
        try delete(table, key, discardingStaged: true)
    }

    /// Deletes a record; a share purge discards its staged content later, in batches, so
    /// deleting a share's records leaves it (`discardingStaged: false`).
    func delete(_ table: RecordTable, _ key: [UInt8], discardingStaged: Bool) throws -> Bool {
        try table.validate()
        let fullKey = RecordKeys.key(table, key)
        guard let raw = try txn.get(.records, fullKey) else { return false }
        let old = try StoredRecord(raw)
        if discardingStaged, old.owner != 0 {
            var refs = RefDelta()
            try RecordWriter.discardStaged(txn, owner: old.owner, table, key, refs: &refs)
            try refs.apply(txn)
        }
        try removeIndexes(fullKey, old)
        try txn.delete(.records, fullKey)
        return true
    }

    private func removeIndexes(_ fullKey: [UInt8], _ old: StoredRecord) throws {
        if old.owner != 0 { try txn.delete(.recordOwners, Key.u64(old.owner) + fullKey) }
        if let claim = old.claim { try txn.delete(.recordClaims, Array(claim.utf8)) }
    }
}

extension ShareStore {
    /// Runs `body` with read access to front records, in one read transaction on the calling
    /// thread. Do not hold on to the reader.
    public func readRecords<T>(_ body: (RecordReader) throws -> T) throws -> T {
        try env.read { txn in try body(RecordReader(txn: txn)) }
    }

    /// The value `make` derives from the front records, computed once per committed state of
    /// the store: a later call with the same `key`, while no write has committed since (in
    /// this process or another), returns the value remembered without running `make`. For what
    /// a front would otherwise read and decode from its records on every request (S3's access
    /// keys). One `key` must always name the same derivation, and few keys should be used: at
    /// most 1,024 values are kept.
    public func readRecords<T: Sendable>(derived key: String, _ make: (RecordReader) throws -> T) throws -> T {
        try env.read { txn in
            if let known = readMemo.derived(key, as: T.self, in: txn) { return known }
            let value = try make(RecordReader(txn: txn))
            readMemo.remember(derived: value, for: key, in: txn)
            return value
        }
    }

    /// Runs `body` as one all-or-nothing write transaction on front records: if it throws,
    /// nothing it wrote is kept.
    public func writeRecords<T: Sendable>(_ body: @escaping @Sendable (RecordWriter) throws -> T) async throws -> T {
        try await write { txn in try body(RecordWriter(txn: txn)) }
    }

    /// Whether a front record claims share name `name` (see ``RecordWriter/put(_:_:_:owner:claimingShareName:)``).
    static func isShareNameClaimed(_ txn: ReadTxn, _ name: String) throws -> Bool {
        try txn.get(.recordClaims, Array(name.utf8)) != nil
    }

    /// Deletes every front record owned by share `id` (part of deleting the share).
    static func deleteOwnedRecords(_ txn: WriteTxn, share id: UInt64) throws {
        let writer = RecordWriter(txn: txn)
        for ownerKey in try txn.keys(.recordOwners, prefix: Key.u64(id)) {
            let fullKey = Array(ownerKey[8...])
            guard let (table, key) = RecordKeys.split(fullKey) else {
                throw ShareCoreError(.dataCorrupted, "a record owner entry of share \(id) has a malformed key")
            }
            if try !writer.delete(table, key, discardingStaged: false) { try txn.delete(.recordOwners, ownerKey) }
        }
    }
}

/// Key layout of the `records` table: table name length (1 byte) · table name · key.
enum RecordKeys {
    static let maxKeyBytes = 400

    static func table(_ table: RecordTable) -> [UInt8] {
        let name = Array(table.name.utf8)
        return [UInt8(name.count)] + name
    }

    static func key(_ table: RecordTable, _ key: [UInt8]) -> [UInt8] { Self.table(table) + key }

    /// The table and key of a full key, or nil when it is malformed.
    static func split(_ full: some Collection<UInt8>) -> (RecordTable, [UInt8])? {
        let bytes = Array(full)
        guard let n = bytes.first, bytes.count > Int(n) else { return nil }
        let table = RecordTable(String(decoding: bytes[1...Int(n)], as: UTF8.self))
        guard table.isValid else { return nil }
        return (table, Array(bytes[(Int(n) + 1)...]))
    }
}

/// A front record as stored: the owning share's id (0: none), the share name it claims, and
/// the front's bytes.
struct StoredRecord {
    var owner: UInt64
    var claim: String?
    var payload: [UInt8]

    init(owner: UInt64, claim: String?, payload: [UInt8]) {
        self.owner = owner
        self.claim = claim
        self.payload = payload
    }

    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, owner)
        w.field(2, claim)
        w.field(3, payload)
        return w.bytes
    }

    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        var r = try FieldReader(raw)
        owner = 0
        payload = []
        while let (tag, value) = try r.next() {
            switch tag {
            case 1: owner = FieldValue.uint(value)
            case 2: claim = FieldValue.string(value)
            case 3: payload = Array(value)
            default: break
            }
        }
    }
}
