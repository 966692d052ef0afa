/// The outcome of ``ShareStore/check(verifiers:)``.
public struct CheckReport: Sendable {
    /// Each problem found, naming what is wrong. Empty when the store is sound.
    public var problems: [String]
    /// Chunks verified.
    public var chunks: Int
    /// Shares walked.
    public var shares: Int
    /// Views walked (live shares plus snapshots).
    public var views: Int
    /// Nodes reached, summed over all views.
    public var nodes: Int

    /// Whether no problem was found.
    public var isSound: Bool { problems.isEmpty }
}

extension ShareStore {
    /// Walks the whole store and verifies every chunk's checksums, every reference count
    /// against the references that exist, every directory entry against its node in every
    /// view, every extent map (sorted, not overlapping, inside its extent, its file and its
    /// chunk), and the share counters. Runs in one read transaction.
    ///
    /// Front records (``RecordTable``) are checked too: each record's owning share exists and
    /// the owner and claimed-name indexes agree with the records; `verifiers` check the records
    /// of their tables as the front that owns them understands them (`sharecore check` passes
    /// every front's).
    public func check(verifiers: [RecordTable: RecordVerifier] = [:]) async throws -> CheckReport {
        try env.read { txn in
            var checker = Checker(txn: txn, extentSize: extentSize, verifiers: verifiers)
            return try checker.run()
        }
    }
}

/// The walk behind ``ShareStore/check(verifiers:)``.
struct Checker {
    let txn: ReadTxn
    let extentSize: UInt64
    var problems: [String] = []
    var chunkLengths: [UInt64: Int] = [:]
    /// Chunks that failed a checksum: id -> the bad blocks' byte ranges in the chunk (every
    /// byte when the chunk's record itself is unreadable), so the files using them can be named.
    var corruptChunks: [UInt64: [Range<Int>]] = [:]
    var expectedRefs: [UInt64: Int64] = [:]
    /// Existing shares: id -> name.
    var shareNames: [UInt64: String] = [:]
    var report = CheckReport(problems: [], chunks: 0, shares: 0, views: 0, nodes: 0)

    let verifiers: [RecordTable: RecordVerifier]

    init(txn: ReadTxn, extentSize: UInt64, verifiers: [RecordTable: RecordVerifier] = [:]) {
        self.txn = txn
        self.extentSize = extentSize
        self.verifiers = verifiers
    }

    mutating func run() throws -> CheckReport {
        try checkChunks()
        let liveShares = try checkShares()
        try checkExtentVersions(liveShares: liveShares)
        try checkStaged(purging: liveShares.subtracting(shareNames.keys))
        try checkRecords()
        try txn.scan(.pending, prefix: []) { k, _ in
            expectedRefs[k.beUInt64(at: 8), default: 0] += 1
            return true
        }
        try checkRefs()
        report.problems = problems
        return report
    }

    private mutating func checkChunks() throws {
        try txn.scan(.chunks, prefix: []) { k, v in
            let id = k.beUInt64(at: 0)
            report.chunks += 1
            do {
                let layout = try Chunks.Layout(v, id: id)
                chunkLengths[id] = layout.length
                var from = 0
                while from < layout.length, let bad = layout.firstBadBlock(from, layout.length) {
                    problems.append("chunk \(id): checksum mismatch in block \(bad) (bytes \(bad * layout.blockSize)...)")
                    corruptChunks[id, default: []].append(bad * layout.blockSize..<(bad + 1) * layout.blockSize)
                    from = (bad + 1) * layout.blockSize
                }
            } catch let error as ShareCoreError {
                problems.append("chunk \(id): \(error.message)")
                corruptChunks[id] = [0..<Int.max]
            }
            return true
        }
    }

    /// Checks every share's views; returns the ids of existing shares and shares being purged.
    private mutating func checkShares() throws -> Set<UInt64> {
        var records: [ShareRecord] = []
        try txn.scan(.shares, prefix: []) { _, v in
            records.append(try ShareRecord(v))
            return true
        }
        var known = Set<UInt64>()
        try txn.scan(.trash, prefix: []) { k, _ in
            known.insert(k.beUInt64(at: 0))
            return true
        }
        for share in records {
            report.shares += 1
            known.insert(share.id)
            shareNames[share.id] = share.name
            var snapshotEpochs: [UInt64] = []
            try txn.scan(.snapshots, prefix: Key.u64(share.id)) { _, v in
                snapshotEpochs.append(try SnapshotRecord(v).epoch)
                return true
            }
            if snapshotEpochs != share.snapshotEpochs {
                problems.append("share '\(share.name)': snapshot records \(snapshotEpochs) disagree with the share's list \(share.snapshotEpochs)")
            }
            for epoch in share.snapshotEpochs where epoch >= share.liveEpoch {
                problems.append("share '\(share.name)': snapshot epoch \(epoch) is not below the live epoch \(share.liveEpoch)")
            }
            for epoch in share.snapshotEpochs {
                _ = try walk(share: share, epoch: epoch, label: "share '\(share.name)' at snapshot epoch \(epoch)")
            }
            let (nodes, used) = try walk(share: share, epoch: share.liveEpoch, label: "share '\(share.name)'")
            if nodes != share.nodeCount {
                problems.append("share '\(share.name)': counts \(share.nodeCount) items but holds \(nodes)")
            }
            if used != share.usedBytes {
                problems.append("share '\(share.name)': counts \(share.usedBytes) used bytes but holds \(used)")
            }
        }
        for table in ShareStore.purgedTables {
            try txn.withCursor(table) { cursor in
                var entry = try cursor.first()
                while let (k, _) = entry {
                    let id = k.beUInt64(at: 0)
                    if !known.contains(id) {
                        problems.append("table \(table.name): keys of share id \(id), which does not exist")
                        entry = try cursor.seek(Key.u64(id + 1))
                    } else {
                        entry = try cursor.next()
                    }
                }
            }
        }
        return known
    }

    /// Walks one view of a share from its root; returns the items reached and bytes stored.
    private mutating func walk(share: ShareRecord, epoch: UInt64, label: String) throws -> (UInt64, UInt64) {
        report.views += 1
        let view = View(txn: txn, share: share, epoch: epoch, snapshot: nil, extentSize: extentSize)
        guard let root = try view.node(Node.rootId), root.info.kind == .directory else {
            problems.append("\(label): the root directory is missing")
            return (0, 0)
        }
        var reached: Set<UInt64> = [Node.rootId]
        var queue: [(UInt64, String)] = [(root.info.id, "")]
        var usedBytes: UInt64 = 0
        while !queue.isEmpty {
            let (dir, path) = queue.removeFirst()
            var children: [([UInt8], DirentRecord)] = []
            try view.children(of: dir) { key, entry in
                children.append((key, entry))
                return true
            }
            for (key, entry) in children {
                let childPath = path.isEmpty ? entry.name : path + "/" + entry.name
                report.nodes += 1
                if key != view.nameKey(entry.name) {
                    problems.append("\(label): entry '\(childPath)' is stored under the key of another name")
                }
                guard let node = try view.node(entry.nodeId) else {
                    problems.append("\(label): entry '\(childPath)' names node \(entry.nodeId), which is missing")
                    continue
                }
                if !reached.insert(entry.nodeId).inserted {
                    problems.append("\(label): node \(entry.nodeId) is reached twice (again at '\(childPath)')")
                    continue
                }
                if node.info.kind != entry.kind || node.info.parentId != dir || node.info.name != entry.name {
                    problems.append("\(label): entry '\(childPath)' (\(entry.kind), parent \(dir)) disagrees with node \(node.info.id) ('\(node.info.name)', \(node.info.kind), parent \(node.info.parentId))")
                }
                if let size = entry.size, node.info.kind != .file || size != node.info.size {
                    problems.append("\(label): entry '\(childPath)' records size \(size), but node \(node.info.id) is a \(node.info.kind) of \(node.info.size) bytes")
                }
                if node.info.kind == .directory {
                    queue.append((node.info.id, childPath))
                } else {
                    usedBytes += try checkExtents(view: view, node: node, label: "\(label): file '\(childPath)'")
                }
            }
        }
        try Versioned.scan(txn, .nodes, prefix: Key.u64(share.id), epoch: epoch) { item, _ in
            let id = item.beUInt64(at: 8)
            if !reached.contains(id) { problems.append("\(label): node \(id) is in no directory") }
            return true
        }
        return (UInt64(reached.count - 1), usedBytes)
    }

    /// Checks the extent maps of one file in one view; returns the bytes its runs cover.
    private mutating func checkExtents(view: View, node: NodeRecord, label: String) throws -> UInt64 {
        if let md5 = node.md5, md5.count > node.info.size {
            problems.append("\(label): its running MD5 covers \(md5.count) bytes, more than its \(node.info.size)")
        }
        // The stored digest a listing returns (when the running MD5 covers the file) must be
        // the running MD5's own.
        if let md5 = node.md5, md5.count == node.info.size,
           let listed = try view.withNodeReader({ nodes in try nodes.listed(node.info.id) }), listed.md5 != md5.finalize() {
            problems.append("\(label): its stored MD5 digest is not its running MD5's")
        }
        var covered: UInt64 = 0
        var found: [(UInt64, ExtentMap)] = []
        try view.extents(node: node.info.id) { index, map in
            found.append((index, map))
            return true
        }
        for (index, map) in found {
            var last: UInt32 = 0
            for (i, run) in map.runs.enumerated() {
                let at = "\(label), extent \(index), run \(i)"
                if run.length == 0 { problems.append("\(at): empty run") }
                if i > 0 && run.offset < last { problems.append("\(at): overlaps or is out of order") }
                if UInt64(run.end) > extentSize { problems.append("\(at): ends past the extent") }
                if index * extentSize + UInt64(run.end) > node.info.size { problems.append("\(at): lies past the end of the file") }
                if let length = chunkLengths[run.chunk] {
                    if Int(run.chunkOffset) + Int(run.length) > length {
                        problems.append("\(at): points past the end of chunk \(run.chunk)")
                    }
                } else {
                    problems.append("\(at): chunk \(run.chunk) is missing")
                }
                let used = Int(run.chunkOffset)..<Int(run.chunkOffset) + Int(run.length)
                for bad in corruptChunks[run.chunk] ?? [] where bad.overlaps(used) {
                    let fileStart = index * extentSize + UInt64(run.offset)
                    let from = fileStart + UInt64(max(bad.lowerBound, used.lowerBound) - used.lowerBound)
                    let to = fileStart + UInt64(min(bad.upperBound, used.upperBound) - used.lowerBound)
                    problems.append("\(label) uses corrupt chunk \(run.chunk): its bytes \(from)..<\(to) fail their checksum")
                }
                last = run.end
                covered += UInt64(run.length)
            }
        }
        return covered
    }

    /// Counts references from every extent version (each version holds one per run).
    private mutating func checkExtentVersions(liveShares: Set<UInt64>) throws {
        try txn.scan(.extents, prefix: []) { k, v in
            guard !v.isEmpty else { return true }
            do {
                let map = try ExtentMap(v)
                for run in map.runs { expectedRefs[run.chunk, default: 0] += 1 }
            } catch let error as ShareCoreError {
                problems.append("extent key \(Array(k)): \(error.message)")
            }
            return true
        }
    }

    /// Checks content staged for front records and counts the references it holds (one per
    /// segment): its record exists and is owned by the share its key names (unless that share
    /// is being purged), its segments are sorted, not overlapping, inside its size and inside
    /// existing chunks.
    private mutating func checkStaged(purging: Set<UInt64>) throws {
        try txn.scan(.staged, prefix: []) { k, v in
            guard let (share, table, record, key) = StagedKeys.split(k) else {
                problems.append("staged content: a key of \(k.count) bytes is malformed")
                return true
            }
            let label = "staged content '\(RecordKeys.printable(key))' of record \(table) '\(RecordKeys.printable(record))'"
            if !purging.contains(share) {
                let owner = try txn.get(.records, RecordKeys.key(table, record)).map { try StoredRecord($0).owner }
                if owner != share {
                    problems.append(owner == nil ? "\(label): its record does not exist" : "\(label): its record is not owned by share id \(share)")
                }
            }
            if key.count > ShareStore.maxStagedKeyBytes { problems.append("\(label): its key is longer than \(ShareStore.maxStagedKeyBytes) bytes") }
            let content: StagedRecord
            do {
                content = try StagedRecord(v)
            } catch let error as ShareCoreError {
                problems.append("\(label): \(error.message)")
                return true
            }
            if content.md5.count != 16 { problems.append("\(label): its MD5 has \(content.md5.count) bytes, not 16") }
            var last: UInt64 = 0
            for (i, segment) in content.segments.enumerated() {
                let at = "\(label), segment \(i)"
                expectedRefs[segment.chunk, default: 0] += 1
                if segment.length == 0 { problems.append("\(at): empty segment") }
                if segment.offset < last { problems.append("\(at): overlaps or is out of order") }
                if segment.end > content.size { problems.append("\(at): lies past the end of the content") }
                if let length = chunkLengths[segment.chunk] {
                    if Int(segment.chunkOffset) + Int(segment.length) > length {
                        problems.append("\(at): points past the end of chunk \(segment.chunk)")
                    }
                } else {
                    problems.append("\(at): chunk \(segment.chunk) is missing")
                }
                last = segment.end
            }
            return true
        }
    }

    private mutating func checkRefs() throws {
        var seen = Set<UInt64>()
        try txn.scan(.refs, prefix: []) { k, v in
            let id = k.beUInt64(at: 0)
            seen.insert(id)
            let count = Int64(bitPattern: v.beUInt64(at: 0))
            let expected = expectedRefs[id] ?? 0
            if count != expected {
                problems.append("chunk \(id): reference count is \(count) but \(expected) references exist")
            }
            if chunkLengths[id] == nil { problems.append("chunk \(id): counted but missing") }
            return true
        }
        for (id, expected) in expectedRefs where !seen.contains(id) {
            problems.append("chunk \(id): \(expected) references exist but no count is stored")
        }
        for id in chunkLengths.keys where !seen.contains(id) {
            problems.append("chunk \(id): stored but referenced by nothing (leaked)")
        }
    }
}
