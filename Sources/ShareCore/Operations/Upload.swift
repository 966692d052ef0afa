extension Share {
    /// Writes a whole file from a sequence of byte buffers of any length, streaming: content
    /// is stored in extent-sized chunks while it arrives, and the file appears (or replaces an
    /// existing one, with `overwrite`) atomically only when the sequence ends, in one
    /// transaction with its last chunk (a file of at most one chunk costs that one transaction).
    /// If the sequence throws or the task is cancelled, the chunks already stored are reclaimed
    /// and nothing changes.
    /// - Parameters:
    ///   - path: the file to write; its parent directory must exist unless `createParents`.
    ///   - content: the file's bytes, in buffers of any size, read once from start to end.
    ///   - properties: properties of the new file.
    ///   - overwrite: whether an existing file at `path` is replaced (default true); an
    ///     existing directory never is.
    ///   - finalize: called with the total length once the content is stored; the
    ///     properties it returns (e.g. a content MD5 computed while streaming) apply to the file.
    ///   - createParents: whether missing parent directories are created, in the same
    ///     transaction that makes the file appear (S3 keys under new prefixes).
    ///   - encryption: how the content is encrypted at rest (nil: not encrypted); a customer
    ///     key must be the one this handle presents (``withCustomerKey(_:)``).
    @discardableResult
    public func upload<S: AsyncSequence>(
        _ path: String, from content: S, properties: NodeProperties = NodeProperties(), overwrite: Bool = true,
        finalize: (@Sendable (UInt64) -> NodeProperties?)? = nil, createParents: Bool = false,
        encryption: ContentEncryption? = nil
    ) async throws -> NodeInfo where S.Element: Collection, S.Element.Element == UInt8 {
        try await uploadReturningMD5(path, from: content, properties: properties, overwrite: overwrite,
                                     finalize: finalize, createParents: createParents, encryption: encryption).info
    }

    /// ``upload(_:from:properties:overwrite:finalize:createParents:encryption:)``, returning also
    /// the file's content MD5, which the upload computes as the content streams: a caller that
    /// answers with it (S3's ETag) needs no read of the file afterwards.
    public func uploadReturningMD5<S: AsyncSequence>(
        _ path: String, from content: S, properties: NodeProperties = NodeProperties(), overwrite: Bool = true,
        finalize: (@Sendable (UInt64) -> NodeProperties?)? = nil, createParents: Bool = false,
        encryption: ContentEncryption? = nil
    ) async throws -> (info: NodeInfo, contentMD5: [UInt8]) where S.Element: Collection, S.Element.Element == UInt8 {
        let p = try SharePath(path)
        try properties.metadata?.validate()
        try properties.annotations?.validate()
        guard !p.isRoot else { throw ShareCoreError(.notAFile, "the root is a directory") }
        if let snapshot {
            throw ShareCoreError(.snapshotReadOnly, "snapshot '\(snapshot)' of share '\(name)' is read-only")
        }
        // Fail fast, before any bytes move, when the target cannot be written.
        try read { view in
            let parent: NodeRecord
            do {
                parent = try view.resolveParent(p)
            } catch let error as ShareCoreError where createParents && error.code == .parentNotFound {
                return  // created with the file
            }
            if let entry = try view.dirent(parent: parent.info.id, name: p.name) {
                if entry.kind == .directory { throw ShareCoreError(.resourceAlreadyExists, "'\(p)' is an existing directory") }
                if !overwrite { throw ShareCoreError(.resourceAlreadyExists, "'\(p)' already exists") }
            }
        }
        let store = self.store
        let leaseId = self.leaseId
        let sealing = try store.keys(customerKey).sealing(for: encryption, what: "the content of '\(p)'")
        let stored = try await store.storeStream(content, sealing: sealing) { total in
            try Share.validateLength(total)
        }
        do {
            let pieces = stored.chunks
            let upload = stored.upload
            let last = stored.last
            let size = stored.total
            let hashed = stored.md5
            let contentMD5 = hashed.finalize()
            let extra = finalize?(size)
            // Properties from `finalize` are input like any other: refuse invalid metadata.
            try extra?.metadata?.validate()
            try extra?.annotations?.validate()
            return try await mutate { m in
                if createParents { try m.createMissingParents(of: p) }
                try m.replaceableFile(at: p, overwrite: overwrite, leaseId: leaseId)
                var node = try m.createNode(at: p, kind: .file, size: size, properties: properties)
                if let extra { node.apply(extra, now: m.now) }
                node.md5 = hashed
                node.info.encryption = encryption
                try m.putNode(node)
                for (index, piece) in pieces.enumerated() {
                    let map = ExtentMap(runs: [Run(offset: 0, length: UInt32(piece.length), chunk: piece.id, chunkOffset: 0)])
                    try m.putExtent(node: node.info.id, index: UInt64(index), map, previous: nil)
                    if let upload {
                        m.refs.add(chunk: piece.id, -1)
                        try m.txn.delete(.pending, Key.u64(upload, piece.id))
                    }
                }
                if !last.isEmpty {
                    // The last chunk is stored by this change itself (see StreamedChunks).
                    let id = try last.withUnsafeBytes { try m.storeChunk($0, sealing: sealing) }
                    let map = ExtentMap(runs: [Run(offset: 0, length: UInt32(last.count), chunk: id, chunkOffset: 0)])
                    try m.putExtent(node: node.info.id, index: UInt64(pieces.count), map, previous: nil)
                }
                try m.checkQuota()
                return (node.info, contentMD5)
            }
        } catch {
            if let upload = stored.upload { try? await store.reclaimAbandonedUploads(upload) }
            throw error
        }
    }
}
