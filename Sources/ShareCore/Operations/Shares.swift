import Foundation

extension ShareStore {
    /// Creates share `name` with its root directory. `records` runs in the same transaction,
    /// after the share exists (so it may own records). A name a front record claims (an S3
    /// bucket mapped to a directory, say) is refused with `shareAlreadyExists`.
    @discardableResult
    public func createShare(_ name: String, options: ShareOptions = ShareOptions(),
                            records: RecordChanges? = nil) async throws -> ShareInfo {
        try Names.validateShare(name)
        try Self.validateQuota(options.quotaGiB)
        try options.metadata.validate()
        let state = self.state
        return try await write { txn in
            if try txn.get(.shares, Keys.share(name)) != nil {
                throw ShareCoreError(.shareAlreadyExists, "share '\(name)' already exists")
            }
            // A name never means two things: a name a front record claims is taken.
            if try ShareStore.isShareNameClaimed(txn.read, name) {
                throw ShareCoreError(.shareAlreadyExists, "'\(name)' is claimed by a front's record (a mapped bucket?)")
            }
            let now = state.now()
            let id = try ShareStore.nextCounter(txn, "nextShareId")
            let record = ShareRecord(id: id, name: name, options: options, now: now)
            let root = NodeInfo(kind: .directory, id: Node.rootId, parentId: 0, name: "", size: 0,
                                contentHeaders: ContentHeaders(),
                                smb: SMBProperties(attributes: .directory, creationTime: now, lastWriteTime: now, changeTime: now),
                                nfs: NFSProperties(), metadata: Metadata(), etag: "", lastModified: now)
            try Versioned.put(txn, .nodes, Keys.node(id, Node.rootId), NodeRecord(info: root).encode(), share: record)
            try txn.put(.shares, Keys.share(name), record.encode())
            try records?(RecordWriter(txn: txn))
            return record.info()
        }
    }

    static func validateQuota(_ quota: UInt32) throws(ShareCoreError) {
        guard (1...ShareOptions.maxQuotaGiB).contains(quota) else {
            throw ShareCoreError(.invalidArgument, "quota \(quota) GiB is outside 1 to \(ShareOptions.maxQuotaGiB) GiB")
        }
    }

    /// Properties of share `name`, or of its snapshot `snapshot`.
    public func shareInfo(_ name: String, snapshot: String? = nil) async throws -> ShareInfo {
        try env.read { txn in
            let view = try view(txn, share: name, snapshot: snapshot)
            var info = view.share.info(snapshot: snapshot)
            if snapshot == nil { info.snapshots = try snapshotRecords(txn, share: view.share).map(\.name) }
            return info
        }
    }

    /// Changes quota, access tier or root squash of share `name`.
    @discardableResult
    public func setShareProperties(_ name: String, _ update: ShareUpdate, leaseId: String? = nil) async throws -> ShareInfo {
        if let quota = update.quotaGiB { try Self.validateQuota(quota) }
        return try await mutate(share: name) { m in
            try m.authorizeShare(leaseId, required: true)
            if let quota = update.quotaGiB { m.share.quotaGiB = quota }
            if let tier = update.accessTier, tier != m.share.accessTier {
                m.share.accessTier = tier
                m.share.accessTierChangeTime = m.now
            }
            if let squash = update.rootSquash { m.share.rootSquash = squash }
            m.touchShare()
            return m.share.info()
        }
    }

    /// Replaces the metadata of share `name`.
    @discardableResult
    public func setShareMetadata(_ name: String, _ metadata: Metadata, leaseId: String? = nil) async throws -> ShareInfo {
        try metadata.validate()
        return try await mutate(share: name) { m in
            try m.authorizeShare(leaseId, required: true)
            m.share.metadata = metadata
            m.touchShare()
            return m.share.info()
        }
    }

    /// Lists shares in name order.
    /// - Parameters:
    ///   - prefix: only shares whose names start with this.
    ///   - marker: the `nextMarker` of the previous page.
    ///   - maxResults: shares per page (1 to 5,000).
    ///   - includeSnapshots: also list each share's snapshots, oldest first, before the share (as Azure lists them).
    ///   - includeMetadata: fill in metadata (otherwise it is left empty).
    public func listShares(prefix: String = "", marker: String? = nil, maxResults: Int = 5000,
                           includeSnapshots: Bool = false, includeMetadata: Bool = false) async throws -> SharePage {
        guard (1...5000).contains(maxResults) else {
            throw ShareCoreError(.invalidArgument, "maxResults \(maxResults) is outside 1 to 5000")
        }
        let start: [UInt8]
        if let marker {
            guard let decoded = Markers.decode(marker, kind: "s") else {
                throw ShareCoreError(.invalidArgument, "marker '\(marker)' is not a marker this store issued")
            }
            start = decoded
        } else {
            start = Array(prefix.utf8)
        }
        return try env.read { txn in
            var shares: [ShareInfo] = []
            var next: String?
            var count = 0
            var lastKey: [UInt8] = []
            try txn.scan(.shares, prefix: Array(prefix.utf8), from: KeyOrder.max(start, Array(prefix.utf8))) { key, value in
                // A marker names the last share returned: resume after it.
                if marker != nil, key.elementsEqual(start) { return true }
                if count == maxResults {
                    next = Markers.encode(lastKey, kind: "s")
                    return false
                }
                count += 1
                lastKey = Array(key)
                let record = try ShareRecord(value)
                var info = record.info()
                if !includeMetadata { info.metadata = Metadata() }
                let snaps = try snapshotRecords(txn, share: record)
                info.snapshots = snaps.map(\.name)
                if includeSnapshots {
                    for snap in snaps {
                        var s = snap.share.info(snapshot: snap.name)
                        s.name = record.name
                        if !includeMetadata { s.metadata = Metadata() }
                        shares.append(s)
                    }
                }
                shares.append(info)
                return true
            }
            return SharePage(shares: shares, nextMarker: next)
        }
    }

    /// Bytes and items stored in the live share (or, with `snapshot`, in that snapshot).
    public func shareStats(_ name: String, snapshot: String? = nil) async throws -> ShareStats {
        try env.read { txn in
            let record = try view(txn, share: name, snapshot: snapshot).share
            return ShareStats(usedBytes: record.usedBytes, nodeCount: record.nodeCount)
        }
    }

    /// Deletes share `name`. With snapshots present this fails with `shareHasSnapshots`
    /// unless `snapshots` is `.include`. The share disappears at once; its contents are
    /// reclaimed before this returns (or, after a crash, when the store is next opened).
    /// A share with an active lease is deleted only when `leaseId` matches it. The front
    /// records it owns go with it (in the same transaction), and the content staged for them
    /// is released with its contents. `records` runs in the same transaction.
    public func deleteShare(_ name: String, snapshots: SnapshotDeletion = .refuse, leaseId: String? = nil,
                            records: RecordChanges? = nil) async throws {
        let id: UInt64 = try await write { [self] txn in
            let record = try loadShare(txn.read, name)
            let now = FileTime.now()
            if record.lease?.isActive(at: now) == true || leaseId != nil {
                try LeaseMachine.authorize(record.lease, leaseId: leaseId, now: now, what: "share '\(name)'")
            }
            if !record.snapshotEpochs.isEmpty && snapshots == .refuse {
                throw ShareCoreError(.shareHasSnapshots, "share '\(name)' has \(record.snapshotEpochs.count) snapshot(s)")
            }
            if snapshots == .include,
               let leased = try snapshotRecords(txn.read, share: record).first(where: { $0.share.lease?.isActive(at: now) == true }) {
                throw ShareCoreError(.snapshotLeased, "snapshot \(leased.name) of share '\(name)' has an active lease")
            }
            for key in try txn.keys(.snapshots, prefix: Key.u64(record.id)) { try txn.delete(.snapshots, key) }
            try txn.delete(.shares, Keys.share(name))
            try ShareStore.deleteOwnedRecords(txn, share: record.id)
            try records?(RecordWriter(txn: txn))
            try txn.put(.trash, Key.u64(record.id), [])
            return record.id
        }
        try await purgeShare(id)
    }

    func snapshotRecords(_ txn: ReadTxn, share: ShareRecord) throws -> [SnapshotRecord] {
        var out: [SnapshotRecord] = []
        try txn.scan(.snapshots, prefix: Key.u64(share.id)) { _, value in
            out.append(try SnapshotRecord(value))
            return true
        }
        return out
    }
}

/// Opaque continuation markers: a kind letter and the key to resume at, base64url-encoded.
enum Markers {
    static func encode(_ key: [UInt8], kind: Character) -> String {
        var raw = Array(String(kind).utf8)
        raw.append(contentsOf: key)
        return Data(raw).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ marker: String, kind: Character) -> [UInt8]? {
        var text = marker.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let first = data.first,
              first == Array(String(kind).utf8).first
        else { return nil }
        return Array(data.dropFirst())
    }
}
