import Foundation

/// State only the writer thread touches: the chunk id counter and a clock that never repeats,
/// so ETags and snapshot names are unique. Jobs run one at a time, so no lock is needed; the
/// lock only guards against misuse.
final class WriterState: @unchecked Sendable {
    private let lock = NSLock()
    private var nextChunk: UInt64
    private var lastTicks: Int64 = 0

    init(nextChunk: UInt64) { self.nextChunk = nextChunk }

    func allocateChunk() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        let id = nextChunk
        nextChunk += 1
        return id
    }

    /// The current time, strictly after every time handed out before.
    func now() -> FileTime {
        lock.lock()
        defer { lock.unlock() }
        let t = max(FileTime.now().ticks, lastTicks + 1)
        lastTicks = t
        return FileTime(ticks: t)
    }
}

/// One write operation on one share's live namespace, inside a nested transaction. It keeps the
/// share record and reference-count changes in memory and writes them once in `finish()`.
struct Mutation {
    let txn: WriteTxn
    var share: ShareRecord
    let state: WriterState
    let extentSize: UInt64
    /// Runs an extent may hold before touching runs are merged.
    let maxRuns: Int
    var refs = RefDelta()
    let now: FileTime
    /// The keys new sealed content is written with and sealed content is read with.
    let keys: ContentKeys

    init(txn: WriteTxn, share: ShareRecord, state: WriterState, extentSize: UInt64, maxRuns: Int,
         keys: ContentKeys = .none) {
        self.keys = keys
        self.txn = txn
        self.share = share
        self.state = state
        self.extentSize = extentSize
        self.maxRuns = maxRuns
        self.now = state.now()
    }

    /// A view of the live share as this mutation has left it so far.
    var view: View {
        View(txn: txn.read, share: share, epoch: share.liveEpoch, snapshot: nil, extentSize: extentSize, keys: keys)
    }

    mutating func allocateNodeId() -> UInt64 {
        let id = share.nextNodeId
        share.nextNodeId += 1
        return id
    }

    /// Writes the live version of `node`. A file's entry in its parent carries its size
    /// (``DirentRecord``): when the entry under the node's name holds another size, or none, it
    /// is written again with this one, so every change of size (a write past the end, a
    /// resize, an upload, a restore) keeps the two equal. A change that leaves the size alone
    /// reads the entry and writes nothing more.
    func putNode(_ node: NodeRecord) throws {
        if !node.info.annotations.isEmpty { try node.info.annotations.validateTotal() }
        try Versioned.put(txn, .nodes, Keys.node(share.id, node.info.id), node.encode(), share: share)
        guard node.info.kind == .file, node.info.id != Node.rootId,
              let entry = try view.dirent(parent: node.info.parentId, name: node.info.name),
              entry.nodeId == node.info.id, entry.size != node.info.size
        else { return }
        try putDirent(parent: node.info.parentId, DirentRecord(node.info))
    }

    func putDirent(parent: UInt64, _ entry: DirentRecord) throws {
        try Versioned.put(txn, .dirents, Keys.dirent(share.id, parent, view.nameKey(entry.name)), entry.encode(), share: share)
    }

    func deleteDirent(parent: UInt64, name: String) throws {
        try Versioned.put(txn, .dirents, Keys.dirent(share.id, parent, view.nameKey(name)), nil, share: share)
    }

    /// Writes (or with nil deletes) the live version of one extent, keeping references and the
    /// share's used bytes right.
    mutating func putExtent(node: UInt64, index: UInt64, _ map: ExtentMap?, previous: ExtentMap?) throws {
        let value = (map?.runs.isEmpty ?? true) ? nil : map
        let removed = try Versioned.put(txn, .extents, Keys.extent(share.id, node, index), value?.encode(), share: share)
        if let removed { refs.add(try removed.withUnsafeBytes { try ExtentMap($0) }, -1) }
        if let value { refs.add(value, +1) }
        let before = previous?.coveredBytes ?? 0
        let after = value?.coveredBytes ?? 0
        share.usedBytes = share.usedBytes + after - min(before, share.usedBytes + after)
    }

    /// Deletes every extent of `node` at or after extent `first`.
    mutating func deleteExtents(node: UInt64, from first: UInt64 = 0) throws {
        var doomed: [(UInt64, ExtentMap)] = []
        try view.extents(node: node, from: first) { index, map in
            doomed.append((index, map))
            return true
        }
        for (index, map) in doomed {
            try putExtent(node: node, index: index, nil, previous: map)
        }
    }

    /// Removes a node (file or empty directory) from its parent and the share.
    mutating func deleteNode(_ node: NodeRecord) throws {
        if node.info.kind == .file { try deleteExtents(node: node.info.id) }
        try deleteDirent(parent: node.info.parentId, name: node.info.name)
        try Versioned.put(txn, .nodes, Keys.node(share.id, node.info.id), nil, share: share)
        share.nodeCount = share.nodeCount > 0 ? share.nodeCount - 1 : 0
    }

    /// Stores `bytes` as a new chunk (sealed with `sealing`, if any) and returns its id.
    func storeChunk(_ bytes: UnsafeRawBufferPointer, sealing: ChunkSealing?) throws -> UInt64 {
        let id = state.allocateChunk()
        try Chunks.put(txn, id: id, bytes: bytes, sealing: sealing)
        return id
    }

    /// The sealing of new content of file `node` (nil: plain), from its encryption and this
    /// mutation's keys (`encryptionKeyRequired` / `encryptionKeyMismatch` for content under a
    /// customer key the caller did not give).
    func sealing(for node: NodeInfo) throws -> ChunkSealing? {
        try keys.sealing(for: node.encryption, what: "file '\(node.name)'")
    }

    /// The sealing of new content of the file with id `node`.
    func sealing(forNode node: UInt64) throws -> ChunkSealing? {
        guard let info = try view.nodeInfo(node), info.encryption != nil else { return nil }
        return try sealing(for: info)
    }

    /// Checks the share's quota after this mutation's changes.
    func checkQuota() throws {
        let limit = UInt64(share.quotaGiB) << 30
        if share.usedBytes > limit {
            throw ShareCoreError(.shareQuotaExceeded, "share '\(share.name)' would hold \(share.usedBytes) bytes, over its quota of \(share.quotaGiB) GiB")
        }
    }

    /// Marks the share's properties as changed now (new ETag and last-modified time).
    mutating func touchShare() {
        share.lastModified = now
        share.etagTicks = now.ticks
    }

    /// Applies reference changes and saves the share record.
    mutating func finish() throws {
        try refs.apply(txn)
        try txn.put(.shares, Keys.share(share.name), share.encode())
    }
}
