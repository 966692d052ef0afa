/// What a snapshot restore does with a file whose destination already exists.
public enum RestoreCopyOption: String, Sendable, Hashable {
    /// Replace the destination file (content and every property) with the snapshot's.
    case overwrite
    /// Leave the destination file as it is and count it as skipped.
    case skip
    /// Change nothing at all when any destination exists with a file or kind conflict.
    case failOnConflict
}

/// One path of a snapshot to restore, with the kind the caller expects it to be.
public struct RestoreSelection: Sendable, Hashable {
    /// The path in the snapshot (`/`-separated, relative to the share root).
    public var path: String
    /// Whether the path must be a file or a directory in the snapshot.
    public var kind: NodeKind

    /// A selection of `path`, which must be of `kind` in the snapshot.
    public init(path: String, kind: NodeKind) {
        self.path = path
        self.kind = kind
    }
}

/// A restore of a share snapshot, whole or in part, merged into a folder of a live share.
///
/// Every restored path keeps its place relative to the share root: snapshot path `p` lands at
/// `targetFolder/p` in the target share (`p` when the folder is the root). Entries the target
/// has and the snapshot lacks are left alone (a merge, not a revert).
public struct SnapshotRestore: Sendable, Hashable {
    /// The share the snapshot belongs to.
    public var share: String
    /// The snapshot's name (its timestamp).
    public var snapshot: String
    /// Paths to restore; empty restores the whole share.
    public var selections: [RestoreSelection]
    /// The share to restore into; nil restores into ``share``.
    public var targetShare: String?
    /// The folder of the target share to restore into; empty is the root.
    public var targetFolder: String
    /// What to do with files that already exist at their destination.
    public var copyOption: RestoreCopyOption

    /// A restore; by default the whole snapshot into the root of its own share, overwriting.
    public init(share: String, snapshot: String, selections: [RestoreSelection] = [], targetShare: String? = nil,
                targetFolder: String = "", copyOption: RestoreCopyOption = .overwrite) {
        self.share = share
        self.snapshot = snapshot
        self.selections = selections
        self.targetShare = targetShare
        self.targetFolder = targetFolder
        self.copyOption = copyOption
    }

    /// The share restored into.
    public var destinationShare: String { targetShare ?? share }
}

/// What a snapshot restore did. Counts are of files only.
public struct SnapshotRestoreResult: Sendable, Hashable {
    /// Files written from the snapshot.
    public var restoredFiles = 0
    /// Files left as they were (``RestoreCopyOption/skip``).
    public var skippedFiles = 0
    /// Files that could not be restored (a directory in the way, or a leased file).
    public var failedFiles = 0
    /// Logical bytes of the restored files (none of them copied: the files share the snapshot's chunks).
    public var restoredBytes: UInt64 = 0
    /// Destination paths that failed, with the reason (at most 100 kept).
    public var failures: [RestoreFailure] = []
    /// Under ``RestoreCopyOption/failOnConflict``: the first destination path that exists.
    /// When set, the restore changed nothing.
    public var conflict: String?

    /// A result with nothing counted yet.
    public init() {}
}

extension ShareStore {
    /// Restores `request` in one atomic transaction: the target share ends either as before or
    /// with every restorable item restored, never in between. No file data is copied: restored
    /// files share the snapshot's chunks, so the time taken depends on the number of files,
    /// not their size. Under ``RestoreCopyOption/failOnConflict`` a conflict changes nothing
    /// and is reported in ``SnapshotRestoreResult/conflict``.
    ///
    /// `records`, when given, runs inside the same transaction after the share change with the
    /// result (also when a conflict changed nothing), so a front's record of the restore (a
    /// job, say) commits with it or not at all; if it throws, nothing is restored.
    ///
    /// Errors (nothing changed): `shareNotFound`, `snapshotNotFound`, `resourceNotFound` or
    /// `notAFile`/`notADirectory` when a selection is absent from the snapshot or of the other
    /// kind, `invalidArgument` for a malformed path, `notADirectory` when the target folder
    /// or one of its parents is a file.
    @discardableResult
    public func restoreSnapshot(_ request: SnapshotRestore,
                                records: (@Sendable (SnapshotRestoreResult, RecordWriter) throws -> Void)? = nil)
        async throws -> SnapshotRestoreResult {
        let folder = try SharePath(request.targetFolder)
        let selections = try request.selections.map { (try SharePath($0.path), $0.kind) }
        let roots: [(SharePath, NodeKind)] = selections.isEmpty ? [(.root, .directory)] : selections
        return try await mutate(share: request.destinationShare) { [self] m in
            let source = try self.view(m.txn.read, share: request.share, snapshot: request.snapshot)
            // Validate every selection before changing anything.
            for (path, kind) in roots where !path.isRoot {
                let node = try source.resolve(path)
                guard node.info.kind == kind else {
                    throw kind == .file
                        ? ShareCoreError(.notAFile, "'\(path)' is a directory in the snapshot, not a file")
                        : ShareCoreError(.notADirectory, "'\(path)' is a file in the snapshot, not a directory")
                }
            }
            try m.checkFolder(folder)
            var plan = RestoreWalk(source: source, folder: folder, option: request.copyOption)
            if request.copyOption == .failOnConflict {
                plan.dryRun = true
                for (path, _) in roots { try plan.restore(path, into: &m) }
                if plan.result.conflict != nil {
                    let result = plan.result
                    try records?(result, RecordWriter(txn: m.txn))
                    return result
                }
                plan = RestoreWalk(source: source, folder: folder, option: request.copyOption)
            }
            for (path, _) in roots { try plan.restore(path, into: &m) }
            let result = plan.result
            try records?(result, RecordWriter(txn: m.txn))
            return result
        }
    }
}

extension Mutation {
    /// Fails when `folder` or a directory above it exists in this share as a file.
    func checkFolder(_ folder: SharePath) throws {
        var current = Node.rootId
        for (i, component) in folder.components.enumerated() {
            guard let entry = try view.dirent(parent: current, name: component) else { return }
            guard entry.kind == .directory else {
                throw ShareCoreError(.notADirectory, "'\(SharePath.root.appendingAll(folder.components.prefix(i + 1)))' is a file, not a directory")
            }
            current = entry.nodeId
        }
    }
}

/// One pass of a restore over the selected parts of a snapshot (or, dry, only looking for a conflict).
private struct RestoreWalk {
    let source: View
    let folder: SharePath
    let option: RestoreCopyOption
    var dryRun = false
    var result = SnapshotRestoreResult()

    init(source: View, folder: SharePath, option: RestoreCopyOption) {
        self.source = source
        self.folder = folder
        self.option = option
    }

    /// Where snapshot path `path` lands.
    func destination(_ path: SharePath) -> SharePath { folder.appendingAll(path.components) }

    /// Restores snapshot path `path` (and, for a directory, all below it).
    mutating func restore(_ path: SharePath, into m: inout Mutation) throws {
        guard result.conflict == nil else { return }
        // Parents on the way: the folder's own components with defaults, the path's from the snapshot.
        var parentOK = true
        for depth in 0..<(folder.components.count + max(path.components.count - 1, 0)) where parentOK {
            let all = folder.components + path.components
            let dir = SharePath.root.appendingAll(all.prefix(depth + 1))
            let properties: NodeProperties
            if depth >= folder.components.count {
                let inSnapshot = SharePath.root.appendingAll(path.components.prefix(depth + 1 - folder.components.count))
                properties = Self.properties(of: try source.resolve(inSnapshot))
            } else {
                properties = NodeProperties()
            }
            parentOK = try ensureDirectory(dir, properties, into: &m)
        }
        let node = try source.resolve(path)
        guard parentOK else {
            try countBlocked(node, at: destination(path))
            return
        }
        var stack: [(NodeRecord, SharePath)] = [(node, destination(path))]
        while let (current, target) = stack.popLast() {
            if result.conflict != nil { return }
            if current.info.kind == .file {
                try restoreFile(current, to: target, into: &m)
                continue
            }
            guard try restoreDirectory(current, to: target, into: &m) else {
                try countBlocked(current, at: target)
                continue
            }
            var children: [DirentRecord] = []
            try source.children(of: current.info.id) { _, entry in
                children.append(entry)
                return true
            }
            for entry in children.reversed() {
                guard let child = try source.node(entry.nodeId) else {
                    throw ShareCoreError(.dataCorrupted, "snapshot entry '\(entry.name)' names node \(entry.nodeId), which is missing")
                }
                stack.append((child, target.appending(entry.name)))
            }
        }
    }

    /// The existing destination entry at `path`, if any (nil also when its parent is missing).
    func existing(_ path: SharePath, in m: Mutation) throws -> NodeRecord? {
        if path.isRoot { return try m.view.node(Node.rootId) }
        var current = Node.rootId
        for (i, component) in path.components.enumerated() {
            guard let entry = try m.view.dirent(parent: current, name: component) else { return nil }
            if i == path.components.count - 1 { return try m.view.node(entry.nodeId) }
            guard entry.kind == .directory else { return nil }
            current = entry.nodeId
        }
        return nil
    }

    /// Makes sure directory `path` exists; false when a file stands there (a kind clash).
    mutating func ensureDirectory(_ path: SharePath, _ properties: NodeProperties, into m: inout Mutation) throws -> Bool {
        if let node = try existing(path, in: m) {
            if node.info.kind == .directory { return true }
            try clash(path)
            return false
        }
        if !dryRun { _ = try m.createNode(at: path, kind: .directory, size: 0, properties: properties) }
        return true
    }

    /// Restores directory `node` itself at `target`; false when a file stands there.
    mutating func restoreDirectory(_ node: NodeRecord, to target: SharePath, into m: inout Mutation) throws -> Bool {
        let properties = Self.properties(of: node)
        guard let existing = try existing(target, in: m) else {
            // Absent: in a dry run nothing below can conflict either.
            if !dryRun { _ = try m.createNode(at: target, kind: .directory, size: 0, properties: properties) }
            return !dryRun
        }
        guard existing.info.kind == .directory else {
            try clash(target)
            return false
        }
        if option == .overwrite && !dryRun && !target.isRoot {
            var updated = existing
            updated.apply(properties, now: m.now)
            updated.info.annotations = node.info.annotations
            try m.putNode(updated)
        }
        return true
    }

    /// Restores file `node` at `target`, following the copy option when something is there.
    mutating func restoreFile(_ node: NodeRecord, to target: SharePath, into m: inout Mutation) throws {
        if let existing = try existing(target, in: m) {
            guard existing.info.kind == .file else {
                try clash(target)
                if option != .failOnConflict { countFiles(1, as: option == .skip ? .skipped : .failed, target, "'\(target)' is a directory") }
                return
            }
            switch option {
            case .failOnConflict:
                result.conflict = result.conflict ?? target.description
                return
            case .skip:
                result.skippedFiles += 1
                return
            case .overwrite:
                if existing.info.lease.map({ $0.isActive(at: m.now) }) ?? false {
                    countFiles(1, as: .failed, target, "'\(target)' has an active lease")
                    return
                }
                try m.deleteNode(existing)
            }
        }
        if dryRun { return }
        _ = try m.copyFile(node, from: source, to: target, options: CopyOptions())
        result.restoredFiles += 1
        result.restoredBytes += node.info.size
    }

    /// A kind clash at `path`: under FailOnConflict the first one is the conflict.
    mutating func clash(_ path: SharePath) throws {
        if option == .failOnConflict { result.conflict = result.conflict ?? path.description }
    }

    enum Outcome { case skipped, failed }

    mutating func countFiles(_ count: Int, as outcome: Outcome, _ path: SharePath, _ message: String) {
        switch outcome {
        case .skipped: result.skippedFiles += count
        case .failed:
            result.failedFiles += count
            if result.failures.count < 100 {
                result.failures.append(RestoreFailure(path: path.description, code: .resourceAlreadyExists, message: message))
            }
        }
    }

    /// Counts the files of `node` (a file, or every file below a directory) as not restored
    /// because a file of the other kind stands at `target`.
    mutating func countBlocked(_ node: NodeRecord, at target: SharePath) throws {
        guard option != .failOnConflict, !dryRun || node.info.kind == .file else { return }
        var files = 0
        var stack = [node]
        while let current = stack.popLast() {
            if current.info.kind == .file {
                files += 1
                continue
            }
            try source.children(of: current.info.id) { _, entry in
                if entry.kind == .file {
                    files += 1
                } else if let child = try source.node(entry.nodeId) {
                    stack.append(child)
                }
                return true
            }
        }
        if files > 0 {
            countFiles(files, as: option == .skip ? .skipped : .failed, target, "a file of the other kind stands at '\(target)'")
        }
    }

    /// The properties a restored directory takes from the snapshot (annotations included).
    static func properties(of node: NodeRecord) -> NodeProperties {
        NodeProperties(attributes: node.info.smb.attributes, creationTime: node.info.smb.creationTime,
                       lastWriteTime: node.info.smb.lastWriteTime, permissionKey: node.info.smb.permissionKey,
                       nfs: node.info.nfs, metadata: node.info.metadata,
                       annotations: AnnotationChanges(setting: node.info.annotations.values))
    }
}
