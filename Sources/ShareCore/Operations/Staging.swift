extension ShareStore {
    /// Streams `content` into the store as content staged under `key` for record `record` of
    /// `table` (see ``StagedContent``), replacing content staged under that key atomically.
    /// The bytes are stored in chunks while they stream (never held whole in memory); if the
    /// sequence throws or the task is cancelled, what was stored is reclaimed and the previous
    /// content, if any, stays.
    ///
    /// - Parameters:
    ///   - table: the front's record table.
    ///   - record: the key of the record the content belongs to. The record must exist and be
    ///     owned by a share (`recordNotFound` / `invalidArgument`), also when the content has
    ///     streamed: a record deleted meanwhile fails the staging (`recordNotFound`) and
    ///     nothing is kept.
    ///   - key: the content's key (at most ``maxStagedKeyBytes`` bytes).
    ///   - content: the bytes.
    ///   - maxSize: the longest content accepted; a longer one is `fileTooLarge`.
    ///   - payload: called once the content has been read; its bytes are kept with the content.
    ///   - encryption: how the bytes are encrypted at rest (nil: not encrypted); the file they
    ///     are committed to should be encrypted the same way.
    ///   - customerKey: the customer key, for ``ContentEncryption/customerKey(keyMD5:)``.
    public func stage<S: AsyncSequence>(
        _ table: RecordTable, record: [UInt8], key: [UInt8], from content: S, maxSize: UInt64 = 5 << 30,
        payload: (@Sendable () -> [UInt8])? = nil, encryption: ContentEncryption? = nil, customerKey: CustomerKey? = nil
    ) async throws -> StagedContent where S.Element: Collection, S.Element.Element == UInt8 {
        try StagedKeys.validate(key)
        let sealing = try keys(customerKey).sealing(for: encryption, what: "staged content")
        // Fail fast, before any bytes move, when the record does not exist.
        let owner = try readRecords { try Self.requireStagingOwner($0, table, record) }
        let stored = try await storeStream(content, sealing: sealing) { total in
            guard total <= maxSize else {
                throw ShareCoreError(.fileTooLarge, "staged content is over its \(maxSize)-byte limit")
            }
        }
        do {
            var segments: [StagedSegment] = []
            var offset: UInt64 = 0
            for chunk in stored.chunks {
                segments.append(StagedSegment(offset: offset, length: UInt32(chunk.length), chunk: chunk.id, chunkOffset: 0))
                offset += UInt64(chunk.length)
            }
            let draft = StagedDraft(size: stored.total, md5: stored.md5.finalize(), payload: payload?() ?? [],
                                    segments: segments, pendingChunks: segments.map(\.chunk),
                                    last: stored.last, lastSealing: sealing)
            return try await storeStaged(table, record: record, key: key, owner: owner, draft, pending: stored.upload)
        } catch {
            if let upload = stored.upload { try? await reclaimAbandonedUploads(upload) }
            throw error
        }
    }

    /// Stages `range` (nil: all) of file `path` of `source` (any share, live or a snapshot)
    /// under `key` for record `record` of `table`, sharing the source's chunks: no data is
    /// copied. The MD5 is computed by reading the range. A later change of the source does not
    /// change the staged content.
    ///
    /// Errors: as ``stage(_:record:key:from:maxSize:payload:encryption:customerKey:)``, plus the source's
    /// `resourceNotFound`, `notAFile`, `shareNotFound`, `snapshotNotFound`, a lease error when
    /// `source` presents a lease id that does not fit, and `invalidRange` for a range past its end.
    public func stageCopy(_ table: RecordTable, record: [UInt8], key: [UInt8], from source: Share, _ path: String,
                          range: Range<UInt64>? = nil, maxSize: UInt64 = 5 << 30, payload: [UInt8] = []) async throws -> StagedContent {
        try StagedKeys.validate(key)
        let sourcePath = try SharePath(path)
        let pending: UInt64 = try await write { txn in try ShareStore.nextCounter(txn, "nextUploadId") }
        do {
            // Take the source's runs and hold their chunks (pending rows) so the source may change meanwhile.
            let taken: TakenRange = try await write { [self] txn in
                let owner = try Self.requireStagingOwner(RecordReader(txn: txn.read), table, record)
                let view = try self.view(txn.read, share: source.name, snapshot: source.snapshot)
                let node = try view.resolveFile(sourcePath)
                if let lease = source.leaseId {
                    try LeaseMachine.authorize(node.info.lease, leaseId: lease, now: .now(), what: "file '\(sourcePath)'")
                }
                let r = range ?? 0..<node.info.size
                try Share.checkWithin(r, size: node.info.size, path: sourcePath)
                guard UInt64(r.count) <= maxSize else {
                    throw ShareCoreError(.fileTooLarge, "staged content would be \(r.count) bytes, over its \(maxSize)-byte limit")
                }
                var segments: [StagedSegment] = []
                if !r.isEmpty {
                    let es = view.extentSize
                    try view.extents(node: node.info.id, from: r.lowerBound / es, through: (r.upperBound - 1) / es) { index, map in
                        let base = index * es
                        for run in map.runs {
                            let start = max(base + UInt64(run.offset), r.lowerBound)
                            let end = min(base + UInt64(run.end), r.upperBound)
                            guard start < end else { continue }
                            segments.append(StagedSegment(offset: start - r.lowerBound, length: UInt32(end - start), chunk: run.chunk,
                                                          chunkOffset: run.chunkOffset + UInt32(start - base - UInt64(run.offset))))
                        }
                        return true
                    }
                }
                let chunks = Set(segments.map(\.chunk)).sorted()
                var refs = RefDelta()
                for chunk in chunks {
                    try txn.put(.pending, Key.u64(pending, chunk), [])
                    refs.add(chunk: chunk, +1)
                }
                try refs.apply(txn)
                return TakenRange(owner: owner, size: UInt64(r.count), segments: segments, chunks: chunks)
            }
            let md5 = try await md5(of: taken.segments, size: taken.size, keys: keys(source.customerKey))
            let draft = StagedDraft(size: taken.size, md5: md5, payload: payload, segments: taken.segments, pendingChunks: taken.chunks)
            return try await storeStaged(table, record: record, key: key, owner: taken.owner, draft, pending: pending)
        } catch {
            try? await reclaimAbandonedUploads(pending)
            throw error
        }
    }

    /// The owning share of record `record`, which must exist (`recordNotFound`).
    static func requireStagingOwner(_ reader: RecordReader, _ table: RecordTable, _ record: [UInt8]) throws -> UInt64 {
        guard let owner = try reader.stagingOwner(table, record) else {
            throw ShareCoreError(.recordNotFound, "record \(table) '\(RecordKeys.printable(record))' does not exist")
        }
        return owner
    }

    /// Stores `draft` under `key`, replacing content of the same key: stores its last bytes (if
    /// any) as a chunk and moves the references of its other chunks from the pending rows of
    /// `pending` to its segments.
    private func storeStaged(_ table: RecordTable, record: [UInt8], key: [UInt8], owner: UInt64,
                             _ draft: StagedDraft, pending: UInt64?) async throws -> StagedContent {
        let state = self.state
        return try await write { txn in
            guard try RecordReader(txn: txn.read).stagingOwner(table, record) == owner else {
                throw ShareCoreError(.recordNotFound, "record \(table) '\(RecordKeys.printable(record))' does not exist any more")
            }
            var segments = draft.segments
            if !draft.last.isEmpty {
                // The last chunk of streamed content is stored by this change (see StreamedChunks).
                let id = state.allocateChunk()
                try draft.last.withUnsafeBytes { try Chunks.put(txn, id: id, bytes: $0, sealing: draft.lastSealing) }
                segments.append(StagedSegment(offset: draft.size - UInt64(draft.last.count), length: UInt32(draft.last.count),
                                              chunk: id, chunkOffset: 0))
            }
            let stored = StagedRecord(size: draft.size, md5: draft.md5, created: state.now(), payload: draft.payload,
                                      segments: segments)
            var refs = RefDelta()
            let full = StagedKeys.content(owner, table, record, key)
            if let old = try txn.get(.staged, full) { try StagedRecord(old).addReferences(to: &refs, -1) }
            try txn.put(.staged, full, stored.encode())
            stored.addReferences(to: &refs, +1)
            if let pending {
                for chunk in draft.pendingChunks {
                    try txn.delete(.pending, Key.u64(pending, chunk))
                    refs.add(chunk: chunk, -1)
                }
            }
            try refs.apply(txn)
            return stored.content(key: key)
        }
    }

    /// The MD5 of content made of `segments` (gaps read as zeros), read in 4 MiB pieces, each
    /// in its own read transaction (the chunks are held by pending rows meanwhile); sealed
    /// chunks are read with `keys`.
    func md5(of segments: [StagedSegment], size: UInt64, keys: ContentKeys) async throws -> [UInt8] {
        var hash = MD5()
        let piece: UInt64 = 4 << 20
        var position: UInt64 = 0
        var next = 0
        while position < size {
            try Task.checkCancellation()
            let end = min(size, position + piece)
            var buffer = [UInt8](repeating: 0, count: Int(end - position))
            let first = next
            try env.read { txn in
                try buffer.withUnsafeMutableBytes { out in
                    var i = first
                    while i < segments.count, segments[i].offset < end {
                        let s = segments[i]
                        let a = max(s.offset, position)
                        let b = min(s.end, end)
                        if a < b {
                            try Chunks.read(txn, id: s.chunk, offset: Int(s.chunkOffset) + Int(a - s.offset), count: Int(b - a),
                                            into: UnsafeMutableRawBufferPointer(rebasing: out[Int(a - position)..<Int(b - position)]),
                                            keys: keys)
                        }
                        i += 1
                    }
                }
            }
            while next < segments.count, segments[next].end <= end { next += 1 }
            hash.update(buffer)
            position = end
            await Task.yield()
        }
        return hash.finalize()
    }
}

extension Share {
    /// Turns content staged for record `record` of `table` into the file at `path`, in one
    /// transaction that copies no bytes: the contents named by `keys` are laid end to end, in
    /// that order, as the file's content (they share the staged chunks), and **every** content
    /// staged for the record, named or not, is consumed. An existing file at `path` is
    /// replaced (never a directory: `resourceAlreadyExists`); its parent directories must
    /// exist (`parentNotFound`) unless `createParents`. A leased file is replaced only with
    /// this handle's lease id.
    ///
    /// - Parameters:
    ///   - table: the front's record table.
    ///   - record: the record holding the content: it must exist and belong to this share
    ///     (`recordNotFound`).
    ///   - keys: the contents to assemble, in file order; at least one. A key with no staged
    ///     content is `stagedContentNotFound`.
    ///   - path: the file to create or replace.
    ///   - properties: the new file's content headers, metadata and other properties.
    ///   - objectETag: an opaque ETag kept with the file until its content changes
    ///     (``NodeInfo/objectETag``).
    ///   - createParents: whether missing parent directories are created in the same transaction.
    ///   - encryption: the file's ``NodeInfo/encryption``: how the staged contents were sealed.
    ///   - records: runs in the same transaction, after the file exists and the staged content
    ///     is consumed, with the contents `keys` named (in that order): the front checks them
    ///     (throwing undoes everything) and updates its records (for example deletes `record`).
    /// - Returns: the new file. Its ``NodeInfo/objectParts`` lists the sizes of the contents
    ///   it was assembled from; it has no known MD5 (``contentMD5(_:)`` computes it).
    /// Nothing changes when it fails; the quota is checked (`shareQuotaExceeded`).
    @discardableResult
    public func commitStaged(_ table: RecordTable, record: [UInt8], keys: [[UInt8]], to path: String,
                             properties: NodeProperties = NodeProperties(), objectETag: String? = nil, createParents: Bool = false,
                             encryption: ContentEncryption? = nil,
                             records: (@Sendable (RecordWriter, [StagedContent]) throws -> Void)? = nil) async throws -> NodeInfo {
        try requireLive()
        try table.validate()
        let target = try SharePath(path)
        guard !target.isRoot else { throw ShareCoreError(.notAFile, "the root is a directory") }
        try properties.metadata?.validate()
        try properties.annotations?.validate()
        guard !keys.isEmpty else { throw ShareCoreError(.invalidArgument, "a commit must name at least one staged content") }
        let leaseId = self.leaseId
        return try await mutate { m in
            let reader = RecordReader(txn: m.txn.read)
            guard try reader.stagingOwner(table, record) == m.share.id else {
                throw ShareCoreError(.recordNotFound, "record \(table) '\(RecordKeys.printable(record))' does not exist in share '\(m.share.name)'")
            }
            var stored: [StagedRecord] = []
            stored.reserveCapacity(keys.count)
            for key in keys {
                guard let raw = try m.txn.get(.staged, StagedKeys.content(m.share.id, table, record, key)) else {
                    throw ShareCoreError(.stagedContentNotFound, "record \(table) '\(RecordKeys.printable(record))' has no staged content '\(RecordKeys.printable(key))'")
                }
                stored.append(try StagedRecord(raw))
            }
            let total = stored.reduce(UInt64(0)) { $0 + $1.size }
            try Share.validateLength(total)
            if createParents { try m.createMissingParents(of: target) }
            try m.replaceableFile(at: target, overwrite: true, leaseId: leaseId)
            var node = try m.createNode(at: target, kind: .file, size: total, properties: properties)
            node.md5 = nil
            node.info.objectETag = objectETag
            node.info.objectParts = stored.map(\.size)
            node.info.encryption = encryption
            try m.putNode(node)
            try m.assemble(node: node.info.id, stored)
            try RecordWriter.discardStaged(m.txn, owner: m.share.id, table, record, refs: &m.refs)
            try records?(RecordWriter(txn: m.txn), zip(keys, stored).map { $1.content(key: $0) })
            try m.checkQuota()
            return node.info
        }
    }

    func requireLive() throws(ShareCoreError) {
        if let snapshot {
            throw ShareCoreError(.snapshotReadOnly, "snapshot '\(snapshot)' of share '\(name)' is read-only")
        }
    }
}

/// A source range taken for staging.
private struct TakenRange: Sendable {
    var owner: UInt64
    var size: UInt64
    var segments: [StagedSegment]
    var chunks: [UInt64]
}

/// Staged content whose chunks are held by pending rows, ready to be stored.
private struct StagedDraft: Sendable {
    var size: UInt64
    var md5: [UInt8]
    var payload: [UInt8]
    var segments: [StagedSegment]
    /// The chunks with a pending row (each once).
    var pendingChunks: [UInt64]
    /// The content's last bytes, to be stored as a chunk by the change that keeps the content
    /// (streamed content; empty otherwise), sealed with `lastSealing`.
    var last = ChunkBytes()
    var lastSealing: ChunkSealing? = nil
}

extension Mutation {
    /// Writes the extent maps of file `node` from the segments of `contents`, laid end to end:
    /// each segment becomes one run per extent it crosses. An extent that would hold more
    /// than `maxRuns` runs is compacted (touching runs merged into one chunk each) or, when
    /// its runs are separated by holes, materialised into one new chunk.
    mutating func assemble(node: UInt64, _ contents: [StagedRecord]) throws {
        var index: UInt64 = 0
        var runs: [Run] = []
        var base: UInt64 = 0
        for content in contents {
            for segment in content.segments {
                var position = base + segment.offset
                var left = UInt64(segment.length)
                var chunkOffset = segment.chunkOffset
                while left > 0 {
                    let i = position / extentSize
                    let inExtent = position - i * extentSize
                    let take = min(left, extentSize - inExtent)
                    if i != index, !runs.isEmpty {
                        try putAssembled(node: node, index: index, runs)
                        runs.removeAll(keepingCapacity: true)
                    }
                    index = i
                    runs.append(Run(offset: UInt32(inExtent), length: UInt32(take), chunk: segment.chunk, chunkOffset: chunkOffset))
                    position += take
                    left -= take
                    chunkOffset += UInt32(take)
                }
            }
            base += content.size
        }
        if !runs.isEmpty { try putAssembled(node: node, index: index, runs) }
    }

    private mutating func putAssembled(node: UInt64, index: UInt64, _ runs: [Run]) throws {
        var map = ExtentMap(runs: runs)
        if runs.count > maxRuns {
            // Compaction leaves one run per group of touching runs; decide before it stores anything.
            let groups = 1 + zip(runs, runs.dropFirst()).filter { $0.end != $1.offset }.count
            map = groups <= maxRuns ? try compact(map, node: node) : try materialise(map, node: node)
        }
        try putExtent(node: node, index: index, map, previous: nil)
    }

    /// One run over the span of `map`'s runs, its bytes (holes as zeros) in one new chunk.
    private func materialise(_ map: ExtentMap, node: UInt64) throws -> ExtentMap {
        guard let first = map.runs.first, let last = map.runs.last else { return map }
        let length = last.end - first.offset
        var bytes = [UInt8](repeating: 0, count: Int(length))
        try bytes.withUnsafeMutableBytes { buffer in
            for run in map.runs {
                let at = Int(run.offset - first.offset)
                try Chunks.read(txn.read, id: run.chunk, offset: Int(run.chunkOffset), count: Int(run.length),
                                into: UnsafeMutableRawBufferPointer(rebasing: buffer[at..<(at + Int(run.length))]), keys: keys)
            }
        }
        let sealing = try sealing(forNode: node)
        let chunk = try bytes.withUnsafeBytes { try storeChunk($0, sealing: sealing) }
        return ExtentMap(runs: [Run(offset: first.offset, length: length, chunk: chunk, chunkOffset: 0)])
    }
}
