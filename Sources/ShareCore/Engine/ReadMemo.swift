import Synchronization

/// What reads decode from one committed state of the store, remembered until a write commits:
/// the share records views are built from, the files that paths resolve to (with their
/// content MD5, for a download that asks for it), and what fronts derive from their records (``ShareStore/readRecords(derived:_:)``).
///
/// Every read-only LMDB transaction reads the state of one commit, named by its transaction id
/// (`mdb_txn_id`, ``ReadTxn/snapshotId``), which only grows within a process. A read whose id is
/// the memo's reads exactly the state the memo was filled from, so what the memo holds is what
/// the read would find and decode again; the first read of a newer state empties it. So a run of
/// reads with no write between them (a read-mostly workload, a download in pieces) loads each
/// share record and resolves each path once, while any write makes the next read start afresh.
/// Writes never use it (a write transaction sees its own uncommitted changes). At most
/// ``limit`` entries of each kind are kept; past that the memo starts again empty.
final class ReadMemo: Sendable {
    /// A view's share and snapshot name.
    struct ViewKey: Hashable, Sendable {
        let share: String
        let snapshot: String?
    }

    /// What a view is built from: the share as the view sees it, and its epoch.
    struct ViewValue: Sendable {
        let share: ShareRecord
        let epoch: UInt64
    }

    /// A path as resolved in one view of one share.
    struct FileKey: Hashable, Sendable {
        let share: UInt64
        let epoch: UInt64
        let path: SharePath
    }

    /// A file's properties and the MD5 of its whole content, when its saved MD5 state covers it.
    struct FileWithMD5: Sendable {
        let info: NodeInfo
        let md5: [UInt8]?
    }

    private struct State: Sendable {
        var snapshotId = 0
        var views: [ViewKey: ViewValue] = [:]
        var files: [FileKey: NodeInfo] = [:]
        var filesWithMD5: [FileKey: FileWithMD5] = [:]
        var derived: [String: any AnyObject & Sendable] = [:]

        /// Forgets everything when `id` names a newer state; false when `id` is older than the
        /// memo's (a read that began before the last one filled it), which must not use it.
        mutating func align(_ id: Int) -> Bool {
            if id > snapshotId {
                snapshotId = id
                views.removeAll(keepingCapacity: true)
                files.removeAll(keepingCapacity: true)
                filesWithMD5.removeAll(keepingCapacity: true)
                derived.removeAll(keepingCapacity: true)
            }
            return id == snapshotId
        }
    }

    /// The most views and the most files remembered.
    static let limit = 1024

    private let state = Mutex(State())

    /// The view remembered for `key` in the state `txn` reads, if any.
    func view(_ key: ViewKey, in txn: ReadTxn) -> ViewValue? { value(\.views, key, in: txn) }

    /// Remembers `value` for `key` in the state `txn` reads.
    func remember(_ value: ViewValue, for key: ViewKey, in txn: ReadTxn) { remember(value, \.views, key, in: txn) }

    /// The file remembered for `key` in the state `txn` reads, if any.
    func file(_ key: FileKey, in txn: ReadTxn) -> NodeInfo? { value(\.files, key, in: txn) }

    /// Remembers that `key` resolves to the file `info` in the state `txn` reads.
    func remember(_ info: NodeInfo, for key: FileKey, in txn: ReadTxn) { remember(info, \.files, key, in: txn) }

    /// The file and content MD5 remembered for `key` in the state `txn` reads, if any.
    func fileWithMD5(_ key: FileKey, in txn: ReadTxn) -> FileWithMD5? { value(\.filesWithMD5, key, in: txn) }

    /// Remembers that `key` resolves to the file and content MD5 `value` in the state `txn` reads.
    func remember(_ value: FileWithMD5, for key: FileKey, in txn: ReadTxn) { remember(value, \.filesWithMD5, key, in: txn) }

    /// The value a front derived under `key` from the state `txn` reads, if any
    /// (``ShareStore/readRecords(derived:_:)``).
    func derived<T: Sendable>(_ key: String, as type: T.Type, in txn: ReadTxn) -> T? {
        // A class box: casting it back is a metadata comparison, where casting an existential
        // struct back copied it out (the cast was a third of the lookup's time).
        (value(\.derived, key, in: txn) as? DerivedBox<T>)?.value
    }

    /// Remembers `value` as derived under `key` from the state `txn` reads.
    func remember<T: Sendable>(derived value: T, for key: String, in txn: ReadTxn) {
        remember(DerivedBox(value), \.derived, key, in: txn)
    }

    /// A derived value, boxed.
    private final class DerivedBox<T: Sendable>: Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }

    private func value<Key, Value>(_ table: WritableKeyPath<State, [Key: Value]>, _ key: Key, in txn: ReadTxn) -> Value?
        where Key: Hashable & Sendable, Value: Sendable
    {
        guard txn.isReadOnly else { return nil }
        let id = txn.snapshotId
        return state.withLock { $0.align(id) ? $0[keyPath: table][key] : nil }
    }

    private func remember<Key, Value>(_ value: Value, _ table: WritableKeyPath<State, [Key: Value]>, _ key: Key,
                                      in txn: ReadTxn) where Key: Hashable & Sendable, Value: Sendable {
        guard txn.isReadOnly else { return }
        let id = txn.snapshotId
        state.withLock {
            guard $0.align(id) else { return }
            if $0[keyPath: table].count >= Self.limit { $0[keyPath: table].removeAll(keepingCapacity: true) }
            $0[keyPath: table][key] = value
        }
    }
}
