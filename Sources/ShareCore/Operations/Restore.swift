/// What a restore does where the target already holds something.
public enum ConflictPolicy: String, Sendable, Hashable {
    /// Replace the existing file (and update an existing directory's properties).
    case overwrite
    /// Leave the existing item and count it as skipped.
    case skip
    /// Leave the existing item and count it as failed.
    case fail
}

/// A restore from a share snapshot into a live share.
public struct RestoreRequest: Sendable, Hashable {
    /// The share the snapshot belongs to.
    public var share: String
    /// The snapshot to restore from.
    public var snapshot: String
    /// Paths in the snapshot to restore (files or directories); empty restores the whole share.
    public var items: [String]
    /// The share to restore into; nil restores into `share`.
    public var targetShare: String?
    /// The folder to restore into; nil restores each item to its original path. With a folder,
    /// each item lands at `targetFolder/<item's name>` (the whole share lands in the folder).
    public var targetFolder: String?
    /// What to do where the target already holds something (default `.overwrite`).
    public var conflict: ConflictPolicy

    /// A restore request; by default the whole share, in place, overwriting.
    public init(share: String, snapshot: String, items: [String] = [], targetShare: String? = nil,
                targetFolder: String? = nil, conflict: ConflictPolicy = .overwrite) {
        self.share = share
        self.snapshot = snapshot
        self.items = items
        self.targetShare = targetShare
        self.targetFolder = targetFolder
        self.conflict = conflict
    }
}

/// Counts of a restore so far.
public struct RestoreProgress: Sendable, Hashable {
    /// Items restored so far.
    public var restored: Int
    /// Items skipped so far (conflict policy `.skip`).
    public var skipped: Int
    /// Items that failed so far.
    public var failed: Int
    /// The target path most recently handled.
    public var lastPath: String
}

/// One item a restore could not restore.
public struct RestoreFailure: Sendable, Hashable {
    /// The target path.
    public var path: String
    /// Why it failed.
    public var code: ShareCoreError.Code
    /// The error's message.
    public var message: String
}

/// The outcome of a restore.
public struct RestoreReport: Sendable, Hashable {
    /// Items (files and directories) restored.
    public var restored: Int
    /// Items left in place because of conflict policy `.skip`.
    public var skipped: Int
    /// Items that could not be restored.
    public var failed: Int
    /// Each item that could not be restored, with the reason.
    public var failures: [RestoreFailure]
}

extension ShareStore {
    /// Restores items of a snapshot into a live share: a whole share, directory subtrees or
    /// single files, to their original place or into another share and folder. No file data is
    /// copied: restored files share the snapshot's chunks. Each item is restored atomically;
    /// `progress` is called after each one.
    public func restore(_ request: RestoreRequest,
                        progress: (@Sendable (RestoreProgress) -> Void)? = nil) async throws -> RestoreReport {
        let source = share(request.share, snapshot: request.snapshot)
        let target = share(request.targetShare ?? request.share)
        let folder = try request.targetFolder.map { try SharePath($0) }
        let items = try (request.items.isEmpty ? [""] : request.items).map { try SharePath($0) }
        // Validate everything before changing anything.
        let kinds: [NodeKind] = try source.read { view in try items.map { try view.resolve($0).info.kind } }
        _ = try await shareInfo(target.name)
        var report = RestoreReport(restored: 0, skipped: 0, failed: 0, failures: [])
        if let folder {
            try await target.makeDirectories(folder)
        }
        for (item, kind) in zip(items, kinds) {
            let destination: SharePath
            if let folder {
                destination = item.isRoot ? folder : folder.appending(item.name)
            } else {
                destination = item
            }
            if kind == .file {
                try await restoreItem(.file, from: source, item, to: target, destination, request.conflict, &report, progress)
            } else {
                var queue: [(SharePath, SharePath)] = [(item, destination)]
                while !queue.isEmpty {
                    let (dir, dest) = queue.removeFirst()
                    let descend = try await restoreItem(.directory, from: source, dir, to: target, dest, request.conflict, &report, progress)
                    guard descend else { continue }
                    var marker: String?
                    repeat {
                        let page = try await source.list(dir.description, marker: marker, maxResults: 1000)
                        for entry in page.entries {
                            if entry.kind == .directory {
                                queue.append((dir.appending(entry.name), dest.appending(entry.name)))
                            } else {
                                try await restoreItem(.file, from: source, dir.appending(entry.name), to: target,
                                                      dest.appending(entry.name), request.conflict, &report, progress)
                            }
                        }
                        marker = page.nextMarker
                    } while marker != nil
                }
            }
        }
        return report
    }

    /// Restores one item; returns whether a directory's children should be restored too.
    @discardableResult
    private func restoreItem(_ kind: NodeKind, from source: Share, _ path: SharePath, to target: Share,
                             _ destination: SharePath, _ policy: ConflictPolicy, _ report: inout RestoreReport,
                             _ progress: (@Sendable (RestoreProgress) -> Void)?) async throws -> Bool {
        enum Outcome: Sendable { case restored, skipped, failed(ShareCoreError) }
        let outcome: Outcome
        do {
            outcome = try await target.mutate { m in
                let sourceView = try self.view(m.txn.read, share: source.name, snapshot: source.snapshot)
                let node = try sourceView.resolve(path)
                let existing: NodeRecord? = destination.isRoot ? try m.view.node(Node.rootId) : try {
                    let parent = try m.view.resolveParent(destination)
                    guard let entry = try m.view.dirent(parent: parent.info.id, name: destination.name) else { return nil }
                    return try m.view.node(entry.nodeId)
                }()
                if let existing {
                    let conflict = ShareCoreError(.resourceAlreadyExists, "'\(destination)' already exists in share '\(target.name)'")
                    if existing.info.kind == .directory && kind == .directory {
                        if policy == .overwrite {
                            var updated = existing
                            updated.apply(NodeProperties(attributes: node.info.smb.attributes, creationTime: node.info.smb.creationTime,
                                                         lastWriteTime: node.info.smb.lastWriteTime, permissionKey: node.info.smb.permissionKey,
                                                         nfs: node.info.nfs, metadata: node.info.metadata), now: m.now)
                            updated.info.annotations = node.info.annotations
                            try m.putNode(updated)
                        }
                        return .restored
                    }
                    switch policy {
                    case .skip: return .skipped
                    case .fail: return .failed(conflict)
                    case .overwrite:
                        if existing.info.kind == .directory {
                            if try m.view.hasChildren(existing.info.id) {
                                return .failed(ShareCoreError(.directoryNotEmpty, "'\(destination)' is a directory that is not empty"))
                            }
                        }
                        if existing.info.kind == .file { try m.authorize(existing, nil) }
                        try m.deleteNode(existing)
                    }
                }
                if kind == .directory {
                    _ = try m.createNode(at: destination, kind: .directory, size: 0, properties: NodeProperties(
                        attributes: node.info.smb.attributes, creationTime: node.info.smb.creationTime,
                        lastWriteTime: node.info.smb.lastWriteTime, permissionKey: node.info.smb.permissionKey,
                        nfs: node.info.nfs, metadata: node.info.metadata,
                        annotations: AnnotationChanges(setting: node.info.annotations.values)))
                } else {
                    _ = try m.copyFile(node, from: sourceView, to: destination, options: CopyOptions())
                }
                return .restored
            }
        } catch let error as ShareCoreError where error.code != .closed && error.code != .storageFull {
            outcome = .failed(error)
        }
        var descend = false
        switch outcome {
        case .restored:
            report.restored += 1
            descend = true
        case .skipped:
            report.skipped += 1
        case .failed(let error):
            report.failed += 1
            report.failures.append(RestoreFailure(path: destination.description, code: error.code, message: error.message))
        }
        progress?(RestoreProgress(restored: report.restored, skipped: report.skipped, failed: report.failed,
                                  lastPath: destination.description))
        return descend
    }
}

extension Share {
    /// Creates `path` and any missing directories above it.
    func makeDirectories(_ path: SharePath) async throws {
        var current = SharePath.root
        for component in path.components {
            current = current.appending(component)
            let here = current
            try await mutate { m in
                let parent = try m.view.resolveDirectory(here.parent)
                if let entry = try m.view.dirent(parent: parent.info.id, name: here.name) {
                    guard entry.kind == .directory else {
                        throw ShareCoreError(.notADirectory, "'\(here)' is a file, not a directory")
                    }
                    return
                }
                _ = try m.createNode(at: here, kind: .directory, size: 0, properties: NodeProperties())
            }
        }
    }
}
