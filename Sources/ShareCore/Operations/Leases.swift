extension Share {
    /// Runs a lease operation on file `path`. File leases are infinite: acquire takes no
    /// duration. Lease operations change neither the file's ETag nor its last-modified time.
    @discardableResult
    public func lease(_ path: String, _ action: LeaseAction) async throws -> LeaseResult {
        let p = try SharePath(path)
        return try await mutate { m in
            var node = try m.view.resolveFile(p)
            let (lease, id, breakLeft) = try LeaseMachine.apply(action, to: node.info.lease, now: m.now, infiniteOnly: true)
            node.info.lease = lease
            try m.putNode(node)
            return LeaseResult(id: id, breakSecondsLeft: breakLeft, etag: node.info.etag, lastModified: node.info.lastModified)
        }
    }
}

extension ShareStore {
    /// Runs a lease operation on share `name` (15 to 60 seconds, or infinite). While the lease
    /// is active, deleting the share and changing its properties, metadata or access policies
    /// need the lease id (as in Azure Files, which answers `LeaseIdMissing` otherwise).
    @discardableResult
    public func leaseShare(_ name: String, _ action: LeaseAction) async throws -> LeaseResult {
        try await mutate(share: name) { m in
            let (lease, id, breakLeft) = try LeaseMachine.apply(action, to: m.share.lease, now: m.now, infiniteOnly: false)
            m.share.lease = lease
            return LeaseResult(id: id, breakSecondsLeft: breakLeft, etag: ETag.string(ticks: m.share.etagTicks),
                               lastModified: m.share.lastModified)
        }
    }
}

extension Mutation {
    /// Checks a share-level change presenting `leaseId`: it must match an active share lease
    /// when given; without one the change is allowed unless `required`.
    func authorizeShare(_ leaseId: String?, required: Bool = false) throws {
        let active = share.lease.map { $0.isActive(at: now) } ?? false
        if leaseId == nil && !(required && active) { return }
        try LeaseMachine.authorize(share.lease, leaseId: leaseId, now: now, what: "share '\(share.name)'")
    }
}
