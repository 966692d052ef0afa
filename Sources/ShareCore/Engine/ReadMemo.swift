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
        let share: SharedShareRecord
        let epoch: UInt64
    }

    /// A path as resolved in one view of one share.
    struct FileKey: Hashable, Sendable {
        let share: UInt64
        let epoch: UInt64
        let path: SharePath
    }

    /// A file's properties as a path resolved to them, held by reference: a read that needs a
    /// few of them (a small read: the id, the size, the lease) takes them from here without
    /// copying the rest. A copy of `NodeInfo` retains each of its strings and collections, and
    /// a read running on another core than the one that last touched them waited for each of
    /// those lines in turn (issue #14).
    final class ResolvedFile: Sendable {
        let info: NodeInfo
        init(_ info: NodeInfo) { self.info = info }
    }

    /// A path exactly as a caller gave it (not yet parsed), in a view of a share.
    struct RawPathKey: Hashable, Sendable {
        let share: String
        let snapshot: String?
        let path: String
    }

    /// What a read of a file by path needs before its bytes: the view, the parsed path and the
    /// file it resolves to.
    struct PathResolution: Sendable {
        let view: ViewValue
        let path: SharePath
        let file: ResolvedFile
    }

    /// A file's properties and the MD5 of its whole content, when its saved MD5 state covers it.
    struct FileWithMD5: Sendable {
        let info: NodeInfo
        let md5: [UInt8]?
    }

    private struct State: Sendable {
        var snapshotId = 0
        var views: [ViewKey: ViewValue] = [:]
        var files: [FileKey: ResolvedFile] = [:]
        var rawPaths: [RawPathKey: PathResolution] = [:]
        var filesWithMD5: [FileKey: FileWithMD5] = [:]
        var derived: [String: any AnyObject & Sendable] = [:]

        /// Forgets everything when `id` names a newer state; false when `id` is older than the
        /// memo's (a read that began before the last one filled it), which must not use it.
        mutating func align(_ id: Int) -> Bool {
            if id > snapshotId {
                snapshotId = id
                views.removeAll(keepingCapacity: true)
                files.removeAll(keepingCapacity: true)
                rawPaths.removeAll(keepingCapacity: true)
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
    func view(_ key: ViewKey, in txn: ReadTxn) -> ViewValue? { lookup(in: txn) { $0.views[key] } }

    /// Remembers `value` for `key` in the state `txn` reads.
    func remember(_ value: ViewValue, for key: ViewKey, in txn: ReadTxn) {
        store(in: txn) { Self.put(value, for: key, in: &$0.views) }
    }

    /// The file remembered for `key` in the state `txn` reads, if any.
    func file(_ key: FileKey, in txn: ReadTxn) -> ResolvedFile? { lookup(in: txn) { $0.files[key] } }

    /// Remembers that `key` resolves to the file `file` in the state `txn` reads.
    func remember(_ file: ResolvedFile, for key: FileKey, in txn: ReadTxn) {
        store(in: txn) { Self.put(file, for: key, in: &$0.files) }
    }

    /// The view, parsed path and file remembered for the path `key` as given, in the state
    /// `txn` reads, if any: a hit needs neither parsing the path nor a second lookup.
    func resolution(_ key: RawPathKey, in txn: ReadTxn) -> PathResolution? { lookup(in: txn) { $0.rawPaths[key] } }

    /// Remembers how the path `key` as given resolved in the state `txn` reads.
    func remember(_ resolution: PathResolution, for key: RawPathKey, in txn: ReadTxn) {
        store(in: txn) { Self.put(resolution, for: key, in: &$0.rawPaths) }
    }

    /// The file and content MD5 remembered for `key` in the state `txn` reads, if any.
    func fileWithMD5(_ key: FileKey, in txn: ReadTxn) -> FileWithMD5? { lookup(in: txn) { $0.filesWithMD5[key] } }

    /// Remembers that `key` resolves to the file and content MD5 `value` in the state `txn` reads.
    func remember(_ value: FileWithMD5, for key: FileKey, in txn: ReadTxn) {
        store(in: txn) { Self.put(value, for: key, in: &$0.filesWithMD5) }
    }

    /// The value a front derived under `key` from the state `txn` reads, if any
    /// (``ShareStore/readRecords(derived:_:)``).
    func derived<T: Sendable>(_ key: String, as type: T.Type, in txn: ReadTxn) -> T? {
        // A class box: casting it back is a metadata comparison, where casting an existential
        // struct back copied it out (the cast was a third of the lookup's time).
        (lookup(in: txn) { $0.derived[key] } as? DerivedBox<T>)?.value
    }

    /// Remembers `value` as derived under `key` from the state `txn` reads.
    func remember<T: Sendable>(derived value: T, for key: String, in txn: ReadTxn) {
        let box: any AnyObject & Sendable = DerivedBox(value)
        store(in: txn) { Self.put(box, for: key, in: &$0.derived) }
    }

    /// A derived value, boxed.
    private final class DerivedBox<T: Sendable>: Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }

    // The tables are reached through closures, not key paths: a key path was projected at
    // run time on every lookup, about 5% of a small read's time (issue #14).

    /// `body`'s answer from the memo when `txn` reads the state the memo holds, else nil.
    private func lookup<T: Sendable>(in txn: ReadTxn, _ body: (inout State) -> T?) -> T? {
        guard txn.isReadOnly else { return nil }
        let id = txn.snapshotId
        return state.withLock { $0.align(id) ? body(&$0) : nil }
    }

    /// Runs `body` on the memo when `txn` reads the state the memo holds (or a newer one).
    private func store(in txn: ReadTxn, _ body: (inout State) -> Void) {
        guard txn.isReadOnly else { return }
        let id = txn.snapshotId
        state.withLock { if $0.align(id) { body(&$0) } }
    }

    /// Sets `table[key]`, starting the table again empty when it holds ``limit`` entries.
    private static func put<Key: Hashable, Value>(_ value: Value, for key: Key, in table: inout [Key: Value]) {
        if table.count >= limit { table.removeAll(keepingCapacity: true) }
        table[key] = value
    }
}
