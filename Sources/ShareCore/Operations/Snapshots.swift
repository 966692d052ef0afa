extension ShareStore {
    /// Takes a snapshot of share `name` in constant time, whatever the share's size. The
    /// snapshot keeps the share's metadata unless `metadata` replaces it. `records` runs in the
    /// same transaction, after the snapshot exists (a front recording that it took it, say).
    @discardableResult
    public func createSnapshot(of name: String, metadata: Metadata? = nil,
                               records: RecordChanges? = nil) async throws -> SnapshotInfo {
        try await createSnapshot(of: name, metadata: metadata, recordsWith: { _, writer in try records?(writer) })
    }

    /// Takes a snapshot of share `name` as ``createSnapshot(of:metadata:records:)`` does, and
    /// runs `recordsWith` in the same transaction with the new snapshot, so a front can record
    /// which snapshot it took (a backup vault, say) atomically with taking it.
    @discardableResult
    public func createSnapshot(of name: String, metadata: Metadata? = nil,
                               recordsWith: @escaping @Sendable (SnapshotInfo, RecordWriter) throws -> Void) async throws -> SnapshotInfo {
        try metadata?.validate()
        return try await mutate(share: name) { m in
            guard m.share.snapshotEpochs.count < ShareStore.maxSnapshotsPerShare else {
                throw ShareCoreError(.snapshotCountExceeded, "share '\(name)' already has \(ShareStore.maxSnapshotsPerShare) snapshots")
            }
            let epoch = m.share.liveEpoch
            let created = m.now
            var copy = m.share
            if let metadata { copy.metadata = metadata }
            copy.lease = nil  // a snapshot has its own lease, none at first
            copy.snapshotEpochs = []
            let snapshotName = created.iso8601
            let record = SnapshotRecord(epoch: epoch, name: snapshotName, created: created, share: copy)
            try m.txn.put(.snapshots, Keys.snapshot(m.share.id, epoch), record.encode())
            m.share.snapshotEpochs.append(epoch)
            m.share.liveEpoch = epoch + 1
            let info = SnapshotInfo(share: name, name: snapshotName, created: created, metadata: copy.metadata)
            try recordsWith(info, RecordWriter(txn: m.txn))
            return info
        }
    }

    /// Snapshots of share `name`, oldest first.
    public func listSnapshots(of name: String) async throws -> [SnapshotInfo] {
        try env.read { txn in
            let record = try loadShare(txn, name)
            return try snapshotRecords(txn, share: record).map {
                SnapshotInfo(share: name, name: $0.name, created: $0.created, metadata: $0.share.metadata)
            }
        }
    }

    /// Deletes snapshot `snapshot` of share `name` and reclaims what only it still referenced.
    /// A leased snapshot needs its lease id. `records` runs in the same transaction.
    public func deleteSnapshot(of name: String, _ snapshot: String, leaseId: String? = nil,
                               records: RecordChanges? = nil) async throws {
        let id: UInt64 = try await mutate(share: name) { [self] m in
            let record = try loadSnapshot(m.txn.read, share: m.share, name: snapshot)
            if record.share.lease?.isActive(at: m.now) == true || leaseId != nil {
                try LeaseMachine.authorize(record.share.lease, leaseId: leaseId, now: m.now, what: "snapshot \(snapshot) of share '\(name)'")
            }
            try m.txn.delete(.snapshots, Keys.snapshot(m.share.id, record.epoch))
            m.share.snapshotEpochs.removeAll { $0 == record.epoch }
            try records?(RecordWriter(txn: m.txn))
            return m.share.id
        }
        try await reclaimVersions(share: name, id: id)
    }

    /// Runs a lease operation on snapshot `snapshot` of share `name` (15 to 60 seconds, or
    /// infinite), as Lease Share with `sharesnapshot` does in Azure Files. While the lease is
    /// active, deleting the snapshot needs the lease id, and deleting the share with its
    /// snapshots needs ``SnapshotDeletion/includeLeased``.
    @discardableResult
    public func leaseSnapshot(_ name: String, snapshot: String, _ action: LeaseAction) async throws -> LeaseResult {
        try await mutate(share: name) { [self] m in
            var record = try loadSnapshot(m.txn.read, share: m.share, name: snapshot)
            let (lease, id, breakLeft) = try LeaseMachine.apply(action, to: record.share.lease, now: m.now, infiniteOnly: false)
            record.share.lease = lease
            try m.txn.put(.snapshots, Keys.snapshot(m.share.id, record.epoch), record.encode())
            return LeaseResult(id: id, breakSecondsLeft: breakLeft, etag: ETag.string(ticks: record.share.etagTicks),
                               lastModified: record.share.lastModified)
        }
    }
}
