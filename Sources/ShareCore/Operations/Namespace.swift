/// A handle on one share's namespace: the live share, or a read-only snapshot of it.
/// Get one from ``ShareStore/share(_:snapshot:)``. Paths are `/`-separated (`"a/b/c.txt"`);
/// the empty path is the root directory.
public struct Share: Sendable {
    /// The store this handle reads and writes.
    public let store: ShareStore
    /// The share's name.
    public let name: String
    /// The snapshot this handle reads, or nil for the live share.
    public let snapshot: String?
    /// The lease id this handle presents: changes to a leased file need it, and reads that
    /// carry one succeed only while it matches the file's active lease.
    public var leaseId: String? = nil

    /// The customer-provided key this handle presents: content encrypted under it
    /// (``ContentEncryption/customerKey(keyMD5:)``) is read and written only with it.
    public var customerKey: CustomerKey? = nil

    /// This handle presenting customer key `key` (nil: none).
    public func withCustomerKey(_ key: CustomerKey?) -> Share {
        var copy = self
        copy.customerKey = key
        return copy
    }

    /// This handle presenting lease id `id` (nil: none).
    public func withLease(_ id: String?) -> Share {
        var copy = self
        copy.leaseId = id
        return copy
    }

    func read<T>(_ body: (View) throws -> T) throws -> T {
        try store.read(share: name, snapshot: snapshot, customer: customerKey, body)
    }

    /// Runs a live write, refusing when this handle is a snapshot.
    func mutate<T: Sendable>(_ body: @escaping @Sendable (inout Mutation) throws -> T) async throws -> T {
        if let snapshot {
            throw ShareCoreError(.snapshotReadOnly, "snapshot '\(snapshot)' of share '\(name)' is read-only")
        }
        return try await store.mutate(share: name, customer: customerKey, body)
    }

    // MARK: Reading

    /// Properties of the file or directory at `path`.
    public func info(_ path: String) async throws -> NodeInfo {
        let p = try SharePath(path)
        let leaseId = self.leaseId
        return try read { view in
            let node = try view.resolve(p)
            if leaseId != nil { try LeaseMachine.authorize(node.info.lease, leaseId: leaseId, now: .now(), what: "'\(p)'") }
            return node.info
        }
    }

    /// The properties of the items at `paths`, all read in one transaction (a consistent view;
    /// nil for a path where nothing is), each file's with its content MD5 when it is known
    /// without reading any content (nil otherwise: ``contentMD5(_:hashingAtMost:)`` computes it).
    /// For a caller that needs many items at once, such as a listing page's objects.
    public func infos(_ paths: [String]) async throws -> [ListedProperties?] {
        // Paths of a listing page share their directories: each parent is parsed and checked
        // once, then only each path's last name.
        var parents: [Substring: SharePath] = [:]
        let parsed = try paths.map { text throws(ShareCoreError) -> SharePath in
            guard !text.hasPrefix("/"), !text.hasSuffix("/"), let slash = text.lastIndex(of: "/") else {
                return try SharePath(text)
            }
            let parentText = text[..<slash]
            if let parent = parents[parentText] {
                return try SharePath(text, parent: parent, name: String(text[text.index(after: slash)...]))
            }
            let path = try SharePath(text)
            parents[parentText] = path.parent
            return path
        }
        return try read { view in try view.withNodeReader { nodes in
            // Paths of a listing page share their directories: each directory is resolved once
            // (its node id, or nil when it is missing or not a directory), not once per path.
            var directories: [ArraySlice<String>: UInt64?] = [[]: Node.rootId]
            return try parsed.map { p -> ListedProperties? in
                if let name = p.components.last {
                    let parentComponents = p.components.dropLast()
                    let parentId: UInt64?
                    if let known = directories[parentComponents] {
                        parentId = known
                    } else {
                        do {
                            let parent = try view.resolve(SharePath.root.appendingAll(parentComponents))
                            parentId = parent.info.kind == .directory ? parent.info.id : nil
                        } catch let error as ShareCoreError where [.resourceNotFound, .parentNotFound, .notADirectory].contains(error.code) {
                            parentId = nil
                        }
                        directories[parentComponents] = .some(parentId)
                    }
                    guard let parentId, let entry = try view.dirent(parent: parentId, name: name) else { return nil }
                    guard let found = try nodes.listed(entry.nodeId) else {
                        throw ShareCoreError(.dataCorrupted, "'\(p)' names node \(entry.nodeId), which is missing")
                    }
                    return found
                }
                // The root: a directory, so no MD5.
                return ListedProperties(info: try view.resolve(p).info, md5: nil)
            }
        } }
    }

    /// Whether something exists at `path` (the share itself must exist).
    public func exists(_ path: String) async throws -> Bool {
        let p = try SharePath(path)
        return try read { view in
            do {
                _ = try view.resolve(p)
                return true
            } catch let error as ShareCoreError where [.resourceNotFound, .parentNotFound, .notADirectory].contains(error.code) {
                return false
            }
        }
    }

    /// Lists directory `path` in name order (case-folded in case-insensitive shares).
    /// - Parameters:
    ///   - path: the directory to list; the empty path is the root.
    ///   - prefix: only names starting with this (compared as names are in this share).
    ///   - marker: the `nextMarker` of the previous page. The next page resumes after the last
    ///     entry returned, so entries inserted or deleted meanwhile never cause an entry that
    ///     existed throughout to be skipped or listed twice.
    ///   - maxResults: entries per page (1 to 5,000).
    public func list(_ path: String = "", prefix: String = "", marker: String? = nil,
                     maxResults: Int = 5000) async throws -> DirectoryPage {
        let (entries, next, _) = try listPage(path, prefix: prefix, marker: marker, maxResults: maxResults) { nodes, entry in
            guard let info = try nodes.info(entry.nodeId) else {
                throw ShareCoreError(.dataCorrupted, "entry '\(entry.name)' names node \(entry.nodeId), which is missing")
            }
            return DirectoryEntry(name: entry.name, kind: entry.kind, info: info)
        }
        return DirectoryPage(entries: entries, nextMarker: next)
    }

    /// Lists directory `path` with each entry's name, kind, id and size: the same entries,
    /// order and markers as ``list(_:prefix:marker:maxResults:)`` (markers of one are valid for
    /// the other), read from the directory's own entries, which carry their files' sizes, rather
    /// than from every entry's node. What List Directories and Files returns without extended
    /// information, at a fraction of the cost of the full properties. An entry written before
    /// entries carried sizes has its node read instead.
    public func listSummaries(_ path: String = "", prefix: String = "", marker: String? = nil,
                              maxResults: Int = 5000) async throws -> DirectorySummaryPage {
        let (entries, next, _) = try listPage(path, prefix: prefix, marker: marker, maxResults: maxResults) { nodes, entry in
            var size: UInt64 = 0
            if entry.kind == .file {
                if let known = entry.size {
                    size = known
                } else if let listed = try nodes.listed(entry.nodeId) {
                    size = listed.size
                } else {
                    throw ShareCoreError(.dataCorrupted, "entry '\(entry.name)' names node \(entry.nodeId), which is missing")
                }
            }
            return DirectorySummary(name: entry.name, kind: entry.kind, id: entry.nodeId, size: size)
        }
        return DirectorySummaryPage(entries: entries, nextMarker: next)
    }

    /// Lists the names and kinds in directory `path`, without their properties: the same
    /// entries, order and markers as ``list(_:prefix:marker:maxResults:)`` (markers of one
    /// are valid for the other), at the cost of reading the directory alone, not every
    /// entry's node. For callers that need the properties of only some entries (an S3 page
    /// sorts a whole directory but returns at most 1,000 objects).
    ///
    /// With `from`, the listing starts at the first name whose key is at or after `from`'s (a
    /// seek: in a case-sensitive share, the first name at or after `from` in byte order), so a
    /// caller that knows where to resume reads only from there.
    ///
    /// With `withProperties`, each entry also carries its properties and known content MD5
    /// (as ``infos(_:)`` gives them), read in the same transaction: for a caller that returns
    /// the entries it lists, such as an S3 page of a case-sensitive directory, and should then
    /// ask for no more entries than it needs.
    public func listNames(_ path: String = "", prefix: String = "", marker: String? = nil, from: String? = nil,
                          maxResults: Int = 5000, withProperties: Bool = false) async throws -> DirectoryNamePage {
        let (entries, next, caseSensitive) = try listPage(path, prefix: prefix, marker: marker, from: from,
                                                          maxResults: maxResults) { nodes, entry in
            guard withProperties else { return DirectoryName(name: entry.name, kind: entry.kind) }
            guard let properties = try nodes.listed(entry.nodeId) else {
                throw ShareCoreError(.dataCorrupted, "entry '\(entry.name)' names node \(entry.nodeId), which is missing")
            }
            return DirectoryName(name: entry.name, kind: entry.kind, properties: properties)
        }
        return DirectoryNamePage(entries: entries, nextMarker: next, caseSensitive: caseSensitive)
    }

    /// One page of directory `path`, each entry made by `make` (see `list`) with a reader of the
    /// view's nodes, starting at the key of name `seek` when given.
    private func listPage<T>(_ path: String, prefix: String, marker: String?, from seek: String? = nil, maxResults: Int,
                             _ make: (NodeReader, DirentRecord) throws -> T) throws -> (entries: [T], next: String?, caseSensitive: Bool) {
        let p = try SharePath(path)
        guard (1...5000).contains(maxResults) else {
            throw ShareCoreError(.invalidArgument, "maxResults \(maxResults) is outside 1 to 5000")
        }
        var start: [UInt8]?
        if let marker {
            guard let decoded = Markers.decode(marker, kind: "d") else {
                throw ShareCoreError(.invalidArgument, "marker '\(marker)' is not a marker this store issued")
            }
            start = decoded
        }
        return try read { view in try view.withNodeReader { nodes in
            let dir = try view.resolveDirectory(p)
            let prefixKey = NameFolding.prefixBytes(prefix, caseSensitive: view.share.caseSensitive)
            // Keys keep only a bounded prefix of each folded name: a longer prefix is matched
            // against the whole folded name of each candidate.
            let foldedPrefix = Array(NameFolding.fold(prefix, caseSensitive: view.share.caseSensitive).utf8)
            let prefixBeyondKey = foldedPrefix.count > prefixKey.count
            var entries: [T] = []
            entries.reserveCapacity(maxResults)
            var lastName = ""
            var next: String?
            var from = start.map { KeyOrder.max($0, prefixKey) }
            if let seek {
                // The folded name's bytes alone sort before every full key of that name.
                let seekKey = NameFolding.prefixBytes(seek, caseSensitive: view.share.caseSensitive)
                from = KeyOrder.max(from ?? prefixKey, seekKey)
            }
            // Name keys are compared where they lie in the map, not copied per entry.
            try view.childrenInPlace(of: dir.info.id, prefix: prefixKey, from: from) { nameKey, entry in
                // A marker names the last entry returned: resume after it, so that a name
                // inserted after it since the previous page is listed, and none twice.
                if let start, KeyOrder.equal(nameKey, start) { return true }
                if prefixBeyondKey,
                   !Array(NameFolding.fold(entry.name, caseSensitive: view.share.caseSensitive).utf8).starts(with: foldedPrefix) {
                    return true
                }
                if entries.count == maxResults {
                    // The last entry returned is stored under the key of its name.
                    next = Markers.encode(view.nameKey(lastName), kind: "d")
                    return false
                }
                entries.append(try make(nodes, entry))
                lastName = entry.name
                return true
            }
            return (entries, next, view.share.caseSensitive)
        } }
    }

    // MARK: Directories

    /// Creates directory `path`; its parent must exist.
    @discardableResult
    public func createDirectory(_ path: String, properties: NodeProperties = NodeProperties()) async throws -> NodeInfo {
        let p = try SharePath(path)
        try properties.metadata?.validate()
        try properties.annotations?.validate()
        guard !p.isRoot else { throw ShareCoreError(.resourceAlreadyExists, "the root directory always exists") }
        return try await mutate { m in
            try m.createNode(at: p, kind: .directory, size: 0, properties: properties).info
        }
    }

    /// Deletes directory `path`, which must be empty.
    public func deleteDirectory(_ path: String) async throws {
        let p = try SharePath(path)
        guard !p.isRoot else { throw ShareCoreError(.invalidMove, "the root directory cannot be deleted") }
        try await mutate { m in
            let node = try m.view.resolveDirectory(p)
            if try m.view.hasChildren(node.info.id) {
                throw ShareCoreError(.directoryNotEmpty, "directory '\(p)' is not empty")
            }
            try m.deleteNode(node)
        }
    }

    // MARK: Properties and metadata

    /// Changes properties of the file or directory at `path` (nil fields stay). Content headers
    /// apply to files only. With `length`, a file is also resized in the same change (growing
    /// adds a hole, truncating drops what lies beyond; the last-write time becomes the time of
    /// the change unless `properties` gives one). `kind`, when given, is the kind the item must
    /// have (`resourceNotFound` otherwise).
    @discardableResult
    public func setProperties(_ path: String, _ properties: NodeProperties, length: UInt64? = nil,
                              kind: NodeKind? = nil) async throws -> NodeInfo {
        let p = try SharePath(path)
        try properties.metadata?.validate()
        try properties.annotations?.validate()
        if let length { try Share.validateLength(length) }
        let leaseId = self.leaseId
        return try await mutate { m in
            var node = try m.view.resolve(p)
            if let kind, node.info.kind != kind {
                throw ShareCoreError(.resourceNotFound, "'\(p)' is not a \(kind == .file ? "file" : "directory")")
            }
            if node.info.kind == .file { try m.authorize(node, leaseId) }
            if properties.contentHeaders != nil && node.info.kind == .directory {
                throw ShareCoreError(.notAFile, "'\(p)' is a directory and has no content headers")
            }
            if let length {
                guard node.info.kind == .file else { throw ShareCoreError(.notAFile, "'\(p)' is a directory and has no length") }
                if length < node.info.size { try m.truncate(node.info.id, to: length) }
                let md5 = node.md5Kept(resizingTo: length)
                node.info.size = length
                node.touchContent(m.now)
                node.md5 = md5
            }
            node.apply(properties, now: m.now)
            try m.putNode(node)
            return node.info
        }
    }

    /// Replaces the metadata of the file or directory at `path`.
    @discardableResult
    public func setMetadata(_ path: String, _ metadata: Metadata) async throws -> NodeInfo {
        try await setProperties(path, NodeProperties(metadata: metadata))
    }

    // MARK: Rename

    /// Moves or renames the file or directory at `from` to `to` within this share. An existing
    /// file at `to` is replaced only with `replaceIfExists`; an existing directory never is.
    /// A leased source file needs `sourceLeaseId`; a leased file being replaced needs
    /// `destinationLeaseId`. Without `ignoreReadOnly`, a file to be replaced that has the
    /// read-only attribute is `readOnly`. `properties`, when given, are applied to the moved
    /// item in the same change; `kind`, when given, is the kind the source must have
    /// (`resourceNotFound` otherwise).
    @discardableResult
    public func rename(_ from: String, to: String, replaceIfExists: Bool = false,
                       sourceLeaseId: String? = nil, destinationLeaseId: String? = nil,
                       ignoreReadOnly: Bool = true, kind: NodeKind? = nil,
                       properties: NodeProperties? = nil) async throws -> NodeInfo {
        let source = try SharePath(from)
        let target = try SharePath(to)
        guard !source.isRoot, !target.isRoot else {
            throw ShareCoreError(.invalidMove, "the root directory cannot be moved or replaced")
        }
        try properties?.metadata?.validate()
        try properties?.annotations?.validate()
        return try await mutate { m in
            var node = try m.view.resolve(source)
            if let kind, node.info.kind != kind {
                throw ShareCoreError(.resourceNotFound, "'\(source)' is not a \(kind == .file ? "file" : "directory")")
            }
            if properties?.contentHeaders != nil && node.info.kind == .directory {
                throw ShareCoreError(.notAFile, "'\(source)' is a directory and has no content headers")
            }
            if node.info.kind == .file { try m.authorize(node, sourceLeaseId) }
            let newParent = try m.view.resolveParent(target)
            if node.info.kind == .directory {
                // Refuse moving a directory into itself or below itself.
                var ancestor: UInt64 = newParent.info.id
                while ancestor != 0 {
                    if ancestor == node.info.id {
                        throw ShareCoreError(.invalidMove, "cannot move directory '\(source)' into itself ('\(target)')")
                    }
                    guard let up = try m.view.node(ancestor) else { break }
                    ancestor = up.info.parentId
                }
            }
            if let existing = try m.view.dirent(parent: newParent.info.id, name: target.name),
               existing.nodeId != node.info.id {
                guard replaceIfExists else {
                    throw ShareCoreError(.resourceAlreadyExists, "'\(target)' already exists")
                }
                guard existing.kind == .file, let victim = try m.view.node(existing.nodeId) else {
                    throw ShareCoreError(.resourceAlreadyExists, "'\(target)' is a directory and cannot be replaced")
                }
                // A directory may replace a file, as in Azure Files (Rename Directory with
                // replace-if-exists onto a file); nothing ever replaces a directory.
                try m.authorize(victim, destinationLeaseId)
                if !ignoreReadOnly && victim.info.smb.attributes.contains(.readOnly) {
                    throw ShareCoreError(.readOnly, "'\(target)' is read-only and cannot be replaced")
                }
                try m.deleteNode(victim)
            }
            try m.deleteDirent(parent: node.info.parentId, name: node.info.name)
            node.info.parentId = newParent.info.id
            node.info.name = target.name
            node.info.smb.changeTime = m.now
            node.info.lastModified = m.now
            node.info.etag = ETag.string(ticks: m.now.ticks)
            if let properties { node.apply(properties, now: m.now) }
            try m.putDirent(parent: newParent.info.id, DirentRecord(node.info))
            try m.putNode(node)
            return node.info
        }
    }
}

extension NodeRecord {
    /// Applies the non-nil fields of `properties`.
    mutating func apply(_ properties: NodeProperties, now: FileTime) {
        if let headers = properties.contentHeaders { info.contentHeaders = headers }
        if let attributes = properties.attributes {
            info.smb.attributes = info.kind == .directory ? attributes.union(.directory) : attributes.subtracting(.directory)
        }
        if let t = properties.creationTime { info.smb.creationTime = t }
        if let t = properties.lastWriteTime { info.smb.lastWriteTime = t }
        info.smb.changeTime = properties.changeTime ?? now
        if let key = properties.permissionKey { info.smb.permissionKey = key }
        if let nfs = properties.nfs {
            if let v = nfs.mode { info.nfs.mode = v }
            if let v = nfs.owner { info.nfs.owner = v }
            if let v = nfs.group { info.nfs.group = v }
        }
        if let metadata = properties.metadata { info.metadata = metadata }
        if let checksum = properties.objectChecksum, info.kind == .file { info.objectChecksum = checksum }
        if let changes = properties.annotations { info.annotations = changes.applied(to: info.annotations) }
        info.lastModified = now
        info.etag = ETag.string(ticks: now.ticks)
    }
}

extension Mutation {
    /// Checks that a change presenting `leaseId` may touch file `node`.
    func authorize(_ node: NodeRecord, _ leaseId: String?) throws {
        try LeaseMachine.authorize(node.info.lease, leaseId: leaseId, now: now, what: "file '\(node.info.name)'")
    }

    /// Creates a node under an existing parent directory; fails if the name is taken.
    /// Creates the directories of `path`'s parent chain that do not exist yet, in this
    /// transaction (so they appear with what is put at `path`, or not at all). A file on the
    /// way is `notADirectory`.
    mutating func createMissingParents(of path: SharePath) throws {
        var current: [String] = []
        for component in path.components.dropLast() {
            current.append(component)
            let directory = try SharePath(components: current)
            let parent = try view.resolveDirectory(directory.parent)
            if let entry = try view.dirent(parent: parent.info.id, name: component) {
                guard entry.kind == .directory else {
                    throw ShareCoreError(.notADirectory, "'\(directory)' is a file, not a directory")
                }
                continue
            }
            _ = try createNode(at: directory, kind: .directory, size: 0, properties: NodeProperties())
        }
    }

    mutating func createNode(at path: SharePath, kind: NodeKind, size: UInt64, properties: NodeProperties,
                             id reuse: UInt64? = nil) throws -> NodeRecord {
        let parent = try view.resolveParent(path)
        if try view.dirent(parent: parent.info.id, name: path.name) != nil {
            throw ShareCoreError(.resourceAlreadyExists, "'\(path)' already exists")
        }
        let id = reuse ?? allocateNodeId()
        let attributes = properties.attributes ?? (kind == .directory ? .directory : .archive)
        var node = NodeRecord(info: NodeInfo(
            kind: kind, id: id, parentId: parent.info.id, name: path.name, size: size,
            contentHeaders: ContentHeaders(),
            smb: SMBProperties(attributes: attributes, creationTime: now, lastWriteTime: now, changeTime: now),
            nfs: NFSProperties(), metadata: Metadata(), etag: "", lastModified: now))
        node.apply(properties, now: now)
        if properties.changeTime == nil { node.info.smb.changeTime = now }
        // A new file's running MD5 covers nothing yet (`contentMD5` hashes the rest lazily).
        if kind == .file { node.md5 = MD5() }
        try putDirent(parent: parent.info.id, DirentRecord(node.info))
        try putNode(node)
        share.nodeCount += 1
        return node
    }
}
