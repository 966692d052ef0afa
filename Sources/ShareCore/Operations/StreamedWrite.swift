/// The length a file gets after a streamed write at an offset (`Share.write(_:at:from:length:)`).
public enum LengthAfterWrite: Sendable, Hashable {
    /// The file keeps its length, or grows to the end of the written range.
    case keepOrGrow
    /// The file is truncated or extended (with a hole) to exactly this length.
    case exactly(UInt64)
    /// The file ends where the written range ends (what it held beyond is dropped).
    case endOfWrite
}

extension Share {
    /// Writes a body of any size at `offset` of existing file `path`, streaming: the bytes are
    /// stored in chunks while they arrive, and the file changes atomically only once the
    /// sequence has ended (a body that throws, is cancelled or has the wrong length changes
    /// nothing, and its chunks are reclaimed).
    /// - Parameters:
    ///   - path: an existing file.
    ///   - offset: where the body goes; at most the file's current length (no holes before it).
    ///   - content: the bytes, in buffers of any size.
    ///   - length: the file's length afterwards.
    ///   - expectedCount: when given, the body must have exactly this many bytes
    ///     (`invalidRange` otherwise).
    ///   - precondition: checked against the file's current properties inside the same
    ///     transaction as the change; throwing refuses the write.
    @discardableResult
    public func write<S: AsyncSequence>(
        _ path: String, at offset: UInt64, from content: S, length: LengthAfterWrite,
        expectedCount: UInt64? = nil, precondition: (@Sendable (NodeInfo) throws -> Void)? = nil
    ) async throws -> NodeInfo where S.Element: Collection, S.Element.Element == UInt8 {
        let p = try SharePath(path)
        if case .exactly(let n) = length { try Share.validateLength(n) }
        if let snapshot {
            throw ShareCoreError(.snapshotReadOnly, "snapshot '\(snapshot)' of share '\(name)' is read-only")
        }
        let leaseId = self.leaseId
        let keys = store.keys(customerKey)
        let encryption: ContentEncryption? = try read { view in
            let node = try view.resolveFile(p)
            try precondition?(node.info)
            guard offset <= node.info.size else {
                throw ShareCoreError(.invalidRange, "offset \(offset) is beyond the end of '\(p)' (\(node.info.size) bytes)")
            }
            return node.info.encryption
        }
        let sealing = try keys.sealing(for: encryption, what: "file '\(p)'")
        let store = self.store
        let stored = try await store.storeStream(content, sealing: sealing) { total in
            try Share.validateLength(offset + total)
            if let expectedCount, total > expectedCount {
                throw ShareCoreError(.invalidRange, "the body is longer than the \(expectedCount) bytes announced")
            }
        }
        do {
            if let expectedCount, stored.total != expectedCount {
                throw ShareCoreError(.invalidRange, "the body has \(stored.total) bytes, not the \(expectedCount) announced")
            }
            let pieces = stored.chunks
            let upload = stored.upload
            let last = stored.last
            let total = stored.total
            return try await mutate { m in
                var node = try m.view.resolveFile(p)
                try m.authorize(node, leaseId)
                try precondition?(node.info)
                guard node.info.encryption == encryption else {
                    throw ShareCoreError(.conditionNotMet, "'\(p)' was replaced by a file encrypted otherwise while the body streamed")
                }
                guard offset <= node.info.size else {
                    throw ShareCoreError(.invalidRange, "offset \(offset) is beyond the end of '\(p)' (\(node.info.size) bytes)")
                }
                var position = offset
                for piece in pieces {
                    try m.spliceChunk(node: node.info.id, offset: position, chunk: piece.id, length: UInt64(piece.length))
                    if let upload {
                        m.refs.add(chunk: piece.id, -1)
                        try m.txn.delete(.pending, Key.u64(upload, piece.id))
                    }
                    position += UInt64(piece.length)
                }
                if !last.isEmpty {
                    // The last chunk is stored by this change itself (see StreamedChunks).
                    let id = try last.withUnsafeBytes { try m.storeChunk($0, sealing: sealing) }
                    try m.spliceChunk(node: node.info.id, offset: position, chunk: id, length: UInt64(last.count))
                }
                let end = offset + total
                let reached = max(node.info.size, end)
                let newSize: UInt64
                switch length {
                case .keepOrGrow: newSize = reached
                case .exactly(let n): newSize = n
                case .endOfWrite: newSize = end
                }
                if newSize < reached { try m.truncate(node.info.id, to: newSize) }
                node.info.size = newSize
                node.touchContent(m.now)
                try m.putNode(node)
                try m.checkQuota()
                return node.info
            }
        } catch {
            if let upload = stored.upload { try? await store.reclaimAbandonedUploads(upload) }
            throw error
        }
    }

    /// The items along `path` from the share's root down (the root itself excluded), with
    /// their names as stored: in a case-insensitive share, the spelling a path was created
    /// with whatever case `path` uses.
    public func itemsAlong(_ path: String) async throws -> [NodeInfo] {
        let p = try SharePath(path)
        return try read { view in
            var out: [NodeInfo] = []
            var prefix = SharePath.root
            for component in p.components {
                prefix = prefix.appending(component)
                out.append(try view.resolve(prefix).info)
            }
            return out
        }
    }

    /// Deletes the file or directory at `path` with everything below it, in one atomic change.
    /// Returns false when nothing was there (its parent must still be a directory or missing).
    @discardableResult
    public func deleteRecursively(_ path: String) async throws -> Bool {
        let p = try SharePath(path)
        guard !p.isRoot else { throw ShareCoreError(.invalidMove, "the root directory cannot be deleted") }
        let leaseId = self.leaseId
        return try await mutate { m in
            let node: NodeRecord
            do {
                node = try m.view.resolve(p)
            } catch let error as ShareCoreError where [.resourceNotFound, .parentNotFound].contains(error.code) {
                return false
            }
            try m.deleteTree(node, leaseId: leaseId)
            return true
        }
    }
}

extension Mutation {
    /// Puts `length` bytes of stored chunk `chunk` (from its start) at `offset` of file `node`.
    mutating func spliceChunk(node: UInt64, offset: UInt64, chunk: UInt64, length: UInt64) throws {
        // Compaction may fold every run of the new chunk into another chunk; registering it
        // (with no change) lets `refs.apply` delete it then instead of leaking it.
        refs.add(chunk: chunk, 0)
        try Pieces.forEach(offset..<(offset + length), size: extentSize) { index, base, segment in
            let old = try view.extent(node: node, index: index)
            var map = old ?? ExtentMap(runs: [])
            let start = UInt32(segment.lowerBound - base)
            let stop = UInt32(segment.upperBound - base)
            map.remove(start, stop)
            map.insert(Run(offset: start, length: stop - start, chunk: chunk, chunkOffset: UInt32(segment.lowerBound - offset)))
            if map.runs.count > maxRuns { map = try compact(map, node: node) }
            try putExtent(node: node, index: index, map, previous: old)
        }
    }

    /// Deletes `node` and, for a directory, everything below it (files first, then directories).
    mutating func deleteTree(_ node: NodeRecord, leaseId: String?) throws {
        if node.info.kind == .directory {
            var children: [UInt64] = []
            try view.children(of: node.info.id) { _, entry in
                children.append(entry.nodeId)
                return true
            }
            for id in children {
                guard let child = try view.node(id) else {
                    throw ShareCoreError(.dataCorrupted, "directory '\(node.info.name)' names node \(id), which is missing")
                }
                try deleteTree(child, leaseId: leaseId)
            }
        } else {
            try authorize(node, leaseId)
        }
        try deleteNode(node)
    }
}
