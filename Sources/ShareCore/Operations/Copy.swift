/// What a copy takes from its source.
public struct CopyOptions: Sendable, Hashable {
    /// Metadata for the copy; nil copies the source's.
    public var metadata: Metadata?
    /// Properties that override the source's (content headers, SMB attributes and times).
    public var properties: NodeProperties
    /// Whether an existing file at the destination is replaced (default true, as Azure's Copy File).
    public var overwrite: Bool
    /// When set, the copy is recorded on the destination as ``CopyInfo`` with this id.
    public var copyId: String?
    /// The source URL recorded with ``copyId``.
    public var copySource: String?
    /// Whether an existing destination file with the read-only attribute may be replaced
    /// (default true); when false such a copy fails with `readOnly`.
    public var ignoreReadOnly: Bool = true
    /// Whether missing parent directories of the destination are created, in the same
    /// transaction as the copy (default false: the parent must exist).
    public var createParents: Bool = false

    /// Copy options; the defaults copy everything from the source and replace an existing file.
    public init(metadata: Metadata? = nil, properties: NodeProperties = NodeProperties(), overwrite: Bool = true,
                copyId: String? = nil, copySource: String? = nil) {
        self.metadata = metadata
        self.properties = properties
        self.overwrite = overwrite
        self.copyId = copyId
        self.copySource = copySource
    }
}

extension Share {
    /// Copies file `path` of `source` (any share, live or a snapshot) to `destination` in this
    /// share. The copy shares the source's chunks: no file data is copied, whatever its size,
    /// and the copy is encrypted as the source is (``NodeInfo/encryption``).
    @discardableResult
    public func copy(from source: Share, _ path: String, to destination: String,
                     options: CopyOptions = CopyOptions()) async throws -> NodeInfo {
        let sourcePath = try SharePath(path)
        let target = try SharePath(destination)
        try options.metadata?.validate()
        try options.properties.metadata?.validate()
        try options.properties.annotations?.validate()
        guard !target.isRoot else { throw ShareCoreError(.notAFile, "the root is a directory") }
        let store = self.store
        let leaseId = self.leaseId
        return try await mutate { m in
            let sourceView = try store.view(m.txn.read, share: source.name, snapshot: source.snapshot)
            let node = try sourceView.resolveFile(sourcePath)
            if options.createParents { try m.createMissingParents(of: target) }
            return try m.copyFile(node, from: sourceView, to: target, options: options, leaseId: leaseId).info
        }
    }
}

extension Mutation {
    /// Copies `node` as seen by `source` to `target` in this share, sharing its chunks.
    mutating func copyFile(_ node: NodeRecord, from source: View, to target: SharePath,
                           options: CopyOptions, leaseId: String? = nil) throws -> NodeRecord {
        if source.snapshot == nil, source.shareId == share.id,
           let existing = try? view.resolve(target), existing.info.id == node.info.id {
            // A copy onto itself changes only what the options ask for.
            try authorize(existing, leaseId)
            var same = existing
            var properties = options.properties
            properties.metadata = options.metadata ?? properties.metadata
            same.apply(properties, now: now)
            same.info.copy = options.record(size: same.info.size, now: now)
            try putNode(same)
            return same
        }
        if !options.ignoreReadOnly, let existing = try? view.resolve(target), existing.info.kind == .file,
           existing.info.smb.attributes.contains(.readOnly) {
            throw ShareCoreError(.readOnly, "'\(target)' is read-only and cannot be replaced")
        }
        try replaceableFile(at: target, overwrite: options.overwrite, leaseId: leaseId)
        var properties = options.properties
        let s = node.info
        properties.contentHeaders = properties.contentHeaders ?? s.contentHeaders
        properties.attributes = properties.attributes ?? s.smb.attributes
        properties.creationTime = properties.creationTime ?? s.smb.creationTime
        properties.lastWriteTime = properties.lastWriteTime ?? s.smb.lastWriteTime
        properties.permissionKey = properties.permissionKey ?? s.smb.permissionKey
        properties.nfs = properties.nfs ?? s.nfs
        properties.metadata = options.metadata ?? properties.metadata ?? s.metadata
        var copy = try createNode(at: target, kind: .file, size: s.size, properties: properties)
        copy.info.copy = options.record(size: s.size, now: now)
        copy.md5 = node.md5  // same content, same running MD5 and S3 ETag
        copy.info.objectETag = node.info.objectETag
        copy.info.objectParts = node.info.objectParts
        copy.info.encryption = node.info.encryption  // the shared chunks stay sealed as they were
        if options.properties.objectChecksum == nil { copy.info.objectChecksum = node.info.objectChecksum }
        // The copy starts with the source's annotations; the options' changes apply on top.
        copy.info.annotations = (options.properties.annotations ?? AnnotationChanges()).applied(to: s.annotations)
        try putNode(copy)
        var maps: [(UInt64, ExtentMap)] = []
        try source.extents(node: s.id) { index, map in
            maps.append((index, map))
            return true
        }
        for (index, map) in maps {
            try putExtent(node: copy.info.id, index: index, map, previous: nil)
        }
        try checkQuota()
        return copy
    }
}

extension CopyOptions {
    /// The record to keep on the destination, when the caller asked for one.
    func record(size: UInt64, now: FileTime) -> CopyInfo? {
        guard let copyId else { return nil }
        return CopyInfo(id: copyId, source: copySource ?? "", bytesCopied: size, totalBytes: size, completionTime: now)
    }
}
