extension Share {
    /// Changes the annotations of the existing file or directory at `path` in one commit:
    /// `changes` sets and removes named values; the others stay. Annotations are not visible
    /// properties, so the item's ETag, last-modified and SMB times do not change.
    ///
    /// - Parameters:
    ///   - path: the file or directory (the root too).
    ///   - changes: what to set and remove; names and values within ``FileAnnotations``'
    ///     limits (`invalidArgument`, also when the item's total would exceed them).
    ///   - kind: when given, the kind the item must have (`resourceNotFound` otherwise).
    ///   - ifETag: when given, the change is made only while the item's ETag is still this one
    ///     (`conditionNotMet` otherwise), so a caller can change what it has just read.
    /// - Returns: the item's properties, with its annotations as they now are.
    /// A leased file needs this handle's lease id; a snapshot is read-only.
    @discardableResult
    public func annotate(_ path: String, _ changes: AnnotationChanges, kind: NodeKind? = nil,
                         ifETag: String? = nil) async throws -> NodeInfo {
        let p = try SharePath(path)
        try requireLive()
        try changes.validate()
        let leaseId = self.leaseId
        return try await mutate { m in
            var node = try m.view.resolve(p)
            if let kind, node.info.kind != kind {
                throw ShareCoreError(.resourceNotFound, "'\(p)' is not a \(kind == .file ? "file" : "directory")")
            }
            if let ifETag, node.info.etag != ifETag {
                throw ShareCoreError(.conditionNotMet, "'\(p)' changed since its ETag was read")
            }
            if node.info.kind == .file { try m.authorize(node, leaseId) }
            guard !changes.isEmpty else { return node.info }
            node.info.annotations = changes.applied(to: node.info.annotations)
            try m.putNode(node)
            return node.info
        }
    }
}
