/// Key prefixes of the versioned tables.
enum Keys {
    static func share(_ name: String) -> [UInt8] { Array(name.utf8) }
    static func node(_ share: UInt64, _ node: UInt64) -> [UInt8] { Key.u64(share, node) }
    static func direntParent(_ share: UInt64, _ parent: UInt64) -> [UInt8] { Key.u64(share, parent) }
    static func dirent(_ share: UInt64, _ parent: UInt64, _ nameKey: [UInt8]) -> [UInt8] {
        Key.u64(share, parent) + nameKey
    }
    static func extent(_ share: UInt64, _ node: UInt64, _ index: UInt64) -> [UInt8] { Key.u64(share, node, index) }
    static func extents(_ share: UInt64, _ node: UInt64) -> [UInt8] { Key.u64(share, node) }
    static func snapshot(_ share: UInt64, _ epoch: UInt64) -> [UInt8] { Key.u64(share, epoch) }
}

/// A share record held by reference, so that the views built from it, and the read memo that
/// keeps it between reads, share one copy: copying a view retains one object instead of each
/// of the record's strings and arrays (about a tenth of a small read's time, issue #14).
final class SharedShareRecord: Sendable {
    let record: ShareRecord
    init(_ record: ShareRecord) { self.record = record }
}

/// A read view of one share at one epoch (the live epoch, or a snapshot's) inside a transaction.
struct View {
    let txn: ReadTxn
    /// The share record this view reads through.
    let shared: SharedShareRecord
    /// The share as seen by this view (for a snapshot: its properties at the snapshot).
    var share: ShareRecord { shared.record }
    let epoch: UInt64
    /// The snapshot's name, or nil for the live share.
    let snapshot: String?
    let extentSize: UInt64
    /// The keys its reads of sealed content use.
    var keys = ContentKeys.none
    /// Where a read view remembers the files its paths resolve to (nil: nothing is remembered).
    var memo: ReadMemo?

    var shareId: UInt64 { shared.record.id }

    init(txn: ReadTxn, shared: SharedShareRecord, epoch: UInt64, snapshot: String?, extentSize: UInt64,
         keys: ContentKeys = .none, memo: ReadMemo? = nil) {
        self.txn = txn
        self.shared = shared
        self.epoch = epoch
        self.snapshot = snapshot
        self.extentSize = extentSize
        self.keys = keys
        self.memo = memo
    }

    init(txn: ReadTxn, share: ShareRecord, epoch: UInt64, snapshot: String?, extentSize: UInt64,
         keys: ContentKeys = .none, memo: ReadMemo? = nil) {
        self.init(txn: txn, shared: SharedShareRecord(share), epoch: epoch, snapshot: snapshot,
                  extentSize: extentSize, keys: keys, memo: memo)
    }

    func nameKey(_ name: String) -> [UInt8] { NameFolding.key(name, caseSensitive: share.caseSensitive) }

    func node(_ id: UInt64) throws -> NodeRecord? {
        guard let raw = try Versioned.get(txn, .nodes, Keys.node(shareId, id), epoch: epoch) else { return nil }
        return try NodeRecord(raw)
    }

    /// Calls `body` with a reader of this view's nodes by id through one cursor, for a caller
    /// that reads many (a listing page reads one node per entry).
    func withNodeReader<T>(_ body: (NodeReader) throws -> T) throws -> T {
        try txn.withCursor(.nodes) { cursor in try body(NodeReader(cursor: cursor, shareId: shareId, epoch: epoch)) }
    }

    /// The properties of node `id` without its saved MD5 state (what a listing returns), or nil.
    func nodeInfo(_ id: UInt64) throws -> NodeInfo? {
        guard let raw = try Versioned.get(txn, .nodes, Keys.node(shareId, id), epoch: epoch) else { return nil }
        return try NodeRecord.info(raw)
    }

    func dirent(parent: UInt64, name: String) throws -> DirentRecord? {
        guard let raw = try Versioned.get(txn, .dirents, Keys.dirent(shareId, parent, nameKey(name)), epoch: epoch)
        else { return nil }
        return try DirentRecord(raw)
    }

    func extent(node: UInt64, index: UInt64) throws -> ExtentMap? {
        guard let raw = try Versioned.get(txn, .extents, Keys.extent(shareId, node, index), epoch: epoch)
        else { return nil }
        return try ExtentMap(raw)
    }

    /// Resolves `path` to its node. Errors: `parentNotFound` when a directory on the way is
    /// missing, `notADirectory` when a file stands on the way, `resourceNotFound` when the
    /// last component is missing.
    func resolve(_ path: SharePath) throws -> NodeRecord {
        let id = try resolveId(path)
        guard let node = try node(id) else {
            throw ShareCoreError(.dataCorrupted, "'\(path)' names node \(id), which is missing")
        }
        return node
    }

    /// Resolves `path` to the properties of a file, without decoding its saved MD5 state (what
    /// a read needs). Errors as ``resolve(_:)``, and `notAFile` for a directory.
    /// A read view remembers the answer in its ``memo`` for later reads of the same state.
    func resolveFileInfo(_ path: SharePath) throws -> NodeInfo { try resolveFileShared(path).info }

    /// ``resolveFileInfo(_:)``'s answer held by reference, as the memo keeps it: a caller that
    /// needs only some of the properties reads them from it without copying the others.
    func resolveFileShared(_ path: SharePath) throws -> ReadMemo.ResolvedFile {
        let key = ReadMemo.FileKey(share: shareId, epoch: epoch, path: path)
        if let memo, let known = memo.file(key, in: txn) { return known }
        let id = try resolveId(path)
        guard let info = try nodeInfo(id) else {
            throw ShareCoreError(.dataCorrupted, "'\(path)' names node \(id), which is missing")
        }
        guard info.kind == .file else { throw ShareCoreError(.notAFile, "'\(path)' is a directory, not a file") }
        let file = ReadMemo.ResolvedFile(info)
        memo?.remember(file, for: key, in: txn)
        return file
    }

    /// Resolves `path` (a file or a directory) to its properties and, for a file whose saved MD5
    /// state covers its whole content, that content's MD5. Errors as ``resolve(_:)``. A read view
    /// remembers a file's answer in its ``memo`` for later reads of the same state: an S3 GET
    /// asks for the MD5 (its ETag) on every request, and decoding the node record with its MD5
    /// state was about 4% of a small GET's samples (issue #14).
    func resolveWithContentMD5(_ path: SharePath) throws -> (info: NodeInfo, md5: [UInt8]?) {
        let key = ReadMemo.FileKey(share: shareId, epoch: epoch, path: path)
        if let memo, let known = memo.fileWithMD5(key, in: txn) { return (known.info, known.md5) }
        let node = try resolve(path)
        let info = node.info
        guard info.kind == .file else { return (info, nil) }
        let md5 = node.md5.flatMap { $0.count == info.size ? $0.finalize() : nil }
        memo?.remember(ReadMemo.FileWithMD5(info: info, md5: md5), for: key, in: txn)
        return (info, md5)
    }

    /// The id of the node at `path`, with ``resolve(_:)``'s errors.
    private func resolveId(_ path: SharePath) throws -> UInt64 {
        var current = Node.rootId
        for (i, component) in path.components.enumerated() {
            guard let entry = try dirent(parent: current, name: component) else {
                if i == path.components.count - 1 {
                    throw ShareCoreError(.resourceNotFound, "'\(path)' does not exist in share '\(share.name)'")
                }
                throw ShareCoreError(.parentNotFound, "directory '\(SharePath.root.appendingAll(path.components.prefix(i + 1)))' of '\(path)' does not exist")
            }
            if i < path.components.count - 1 && entry.kind != .directory {
                throw ShareCoreError(.notADirectory, "'\(SharePath.root.appendingAll(path.components.prefix(i + 1)))' on the path '\(path)' is a file, not a directory")
            }
            current = entry.nodeId
        }
        return current
    }

    /// Resolves `path`, requiring a file.
    func resolveFile(_ path: SharePath) throws -> NodeRecord {
        let node = try resolve(path)
        guard node.info.kind == .file else { throw ShareCoreError(.notAFile, "'\(path)' is a directory, not a file") }
        return node
    }

    /// Resolves `path`, requiring a directory.
    func resolveDirectory(_ path: SharePath) throws -> NodeRecord {
        let node = try resolve(path)
        guard node.info.kind == .directory else {
            throw ShareCoreError(.notADirectory, "'\(path)' is a file, not a directory")
        }
        return node
    }

    /// The parent directory of `path`, which must exist (`parentNotFound` otherwise).
    func resolveParent(_ path: SharePath) throws -> NodeRecord {
        do {
            return try resolveDirectory(path.parent)
        } catch let error as ShareCoreError where error.code == .resourceNotFound {
            throw ShareCoreError(.parentNotFound, "the parent directory of '\(path)' does not exist")
        }
    }

    /// Children of directory `parent` in name-key order, from `from` (a name key) on.
    func children(of parent: UInt64, prefix: [UInt8] = [], from: [UInt8]? = nil,
                  _ body: ([UInt8], DirentRecord) throws -> Bool) throws {
        try childrenInPlace(of: parent, prefix: prefix, from: from) { nameKey, entry in
            try body(Array(nameKey), entry)
        }
    }

    /// `children(of:prefix:from:_:)` without copying each name key: `body` sees it in place,
    /// valid only during the call.
    func childrenInPlace(of parent: UInt64, prefix: [UInt8] = [], from: [UInt8]? = nil,
                         _ body: (UnsafeRawBufferPointer, DirentRecord) throws -> Bool) throws {
        let base = Keys.direntParent(shareId, parent)
        let start = from.map { base + $0 }
        try Versioned.scan(txn, .dirents, prefix: base + prefix, from: start, epoch: epoch) { item, value in
            try body(UnsafeRawBufferPointer(rebasing: item[base.count...]), try DirentRecord(value))
        }
    }

    /// Whether directory `id` has any child in this view.
    func hasChildren(_ id: UInt64) throws -> Bool {
        var any = false
        try children(of: id) { _, _ in
            any = true
            return false
        }
        return any
    }

    /// Extents of `node` with index in `indices`, in order.
    func extents(node: UInt64, from first: UInt64 = 0, through last: UInt64 = .max,
                 _ body: (UInt64, ExtentMap) throws -> Bool) throws {
        try extentRuns(node: node, from: first, through: last) { index, runs in try body(index, ExtentMap(runs: Array(runs))) }
    }

    /// Calls `body` with the index and the runs of each extent of file `node` from `first`
    /// through `last` that holds data, in order, read where they lie in the store: the keys are
    /// built on the stack and no run list is made, so a small read allocates nothing for them.
    /// The runs are valid only during the call, and `body` must not write (use
    /// ``extents(node:from:through:_:)`` for that). Return false to stop.
    func extentRuns(node: UInt64, from first: UInt64 = 0, through last: UInt64 = .max,
                    _ body: (UInt64, ExtentRuns) throws -> Bool) throws {
        // The item keys of `extents`: share id, node id, extent index, each big-endian.
        let prefix = (shareId.bigEndian, node.bigEndian)
        let start = (shareId.bigEndian, node.bigEndian, first.bigEndian)
        try withUnsafeBytes(of: prefix) { prefix in
            try withUnsafeBytes(of: start) { start in
                try Versioned.scan(txn, .extents, prefix: prefix, from: start, epoch: epoch) { item, value in
                    let index = item.beUInt64(at: 16)
                    if index > last { return false }
                    // Stopping at `last` spares the step to the next key (older versions of
                    // this extent, or the next extent): a small read needs one extent only.
                    return try body(index, try ExtentRuns(value)) && index < last
                }
            }
        }
    }
}

extension SharePath {
    func appendingAll(_ names: some Sequence<String>) -> SharePath {
        var p = self
        for n in names { p = p.appending(n) }
        return p
    }
}

/// Reads a view's nodes by id through one open cursor (``View/withNodeReader(_:)``).
///
/// Each lookup builds its key on the stack, and LMDB starts a seek from the leaf page the
/// cursor is on when the key falls within it: the entries of a directory were mostly created
/// one after another, so their nodes have neighbouring ids and share leaf pages. A fresh cursor
/// per node (an allocation, three key arrays and a descent from the root) was a third of the
/// node lookups' time in a listing.
struct NodeReader {
    let cursor: Cursor
    let shareId: UInt64
    let epoch: UInt64

    /// The stored record of node `id` visible at the view's epoch, or nil (absent or whited
    /// out). Valid until the next lookup or the end of the transaction.
    func record(_ id: UInt64) throws(ShareCoreError) -> UnsafeRawBufferPointer? {
        // The versioned key: share id, node id, inverted epoch, each big-endian.
        let key = (shareId.bigEndian, id.bigEndian, Epoch.inverted(epoch).bigEndian)
        let found = try withUnsafeBytes(of: key) { bytes throws(ShareCoreError) in try cursor.seek(raw: bytes) }
        guard let (k, v) = found, k.count == 24,
              k.beUInt64(at: 0) == shareId, k.beUInt64(at: 8) == id, !v.isEmpty
        else { return nil }
        return v
    }

    /// Node `id`'s properties as a listing returns them, or nil.
    func listed(_ id: UInt64) throws(ShareCoreError) -> ListedProperties? {
        guard let raw = try record(id) else { return nil }
        return try NodeRecord.listed(raw)
    }

    /// Node `id`'s properties without its saved MD5 state, or nil.
    func info(_ id: UInt64) throws(ShareCoreError) -> NodeInfo? {
        guard let raw = try record(id) else { return nil }
        return try NodeRecord.info(raw)
    }
}
