extension Share {
    /// The MD5 (16 bytes) of the current content of file `path` (at this handle's snapshot,
    /// for a snapshot handle), holes reading as zeros.
    ///
    /// Cost: each file keeps a running MD5 of a prefix of its content that no change has
    /// touched since it was computed. Writes never hash: a write, clear or resize after that
    /// prefix keeps it; one that reaches into it drops it. This call extends the kept state by
    /// reading the rest of the file in 4 MiB pieces (holes are hashed as zeros without being
    /// read; hashing runs at about 2 ms per MiB in a release build), and on the live share keeps
    /// the extended state with the file by one small write, unless the file changed meanwhile,
    /// so the next call is one lookup. After in-order writes (Create File, then Put Range from
    /// offset 0 on) the first call therefore reads the file once and the next ones read
    /// nothing; a streaming upload (``upload(_:from:properties:overwrite:finalize:createParents:encryption:)``) hashes
    /// while it streams, so its file needs no read at all. Copies and restores carry the state.
    /// A file that keeps changing while it is read is `conditionNotMet` after a few attempts.
    public func contentMD5(_ path: String) async throws -> [UInt8] {
        guard let md5 = try await contentMD5(path, hashingAtMost: .max) else {
            throw ShareCoreError(.conditionNotMet, "file '\(path)' has no MD5 within the limit")
        }
        return md5
    }

    /// The MD5 of file `path` as ``contentMD5(_:)`` gives it, when at most `limit` bytes of the
    /// file (holes included) are left to hash; nil, without hashing anything, when more are.
    /// Callers that answer requests use this so that no request costs work proportional to a
    /// file's size (a sparse file of terabytes would otherwise be hashed whole). Cancellable:
    /// a cancelled task stops between 4 MiB pieces with `CancellationError`.
    public func contentMD5(_ path: String, hashingAtMost limit: UInt64) async throws -> [UInt8]? {
        let p = try SharePath(path)
        let leaseId = self.leaseId
        for _ in 0..<4 {
            let node = try read { view in
                let node = try view.resolveFile(p)
                if leaseId != nil { try LeaseMachine.authorize(node.info.lease, leaseId: leaseId, now: .now(), what: "file '\(p)'") }
                return node
            }
            let size = node.info.size
            let kept = node.md5.flatMap { $0.count <= size ? $0 : nil } ?? MD5()
            if kept.count == size { return kept.finalize() }
            guard size - kept.count <= limit else { return nil }
            guard let hashed = try await extendByReading(kept, node: node) else { continue }
            // A snapshot's content never changes and is never written to.
            guard snapshot == nil else { return hashed.finalize() }
            let id = node.info.id
            let lastModified = node.info.lastModified
            try await mutate { m in
                // Keep it only if the content is still what was hashed (same ETag, same length).
                guard var live = try m.view.node(id), live.info.kind == .file,
                      live.info.lastModified == lastModified, live.info.size == size else { return }
                live.md5 = hashed
                try m.putNode(live)
            }
            return hashed.finalize()
        }
        throw ShareCoreError(.conditionNotMet, "file '\(p)' kept changing while its MD5 was computed")
    }

    /// Extends `state` (the MD5 of the first `state.count` bytes of `node`) to the whole file
    /// by reading the rest in 4 MiB pieces, each in its own read transaction; nil when the
    /// file changed meanwhile (another ETag or length).
    private func extendByReading(_ state: MD5, node: NodeRecord) async throws -> MD5? {
        let piece: UInt64 = 4 << 20
        let id = node.info.id
        let size = node.info.size
        let lastModified = node.info.lastModified
        var state = state
        var position = state.count
        while position < size {
            let end = min(size, position + piece)
            let same = try read { view in
                guard let current = try view.node(id), current.info.kind == .file,
                      current.info.lastModified == lastModified, current.info.size == size else { return false }
                try view.hashContent(node: id, position..<end, into: &state)
                return true
            }
            guard same else { return nil }
            position = end
            // Hashing a large file takes a while: let other tasks of the pool run between pieces,
            // and stop when the task is cancelled.
            if position < size {
                await Task.yield()
                try Task.checkCancellation()
            }
        }
        return state
    }

    /// The running MD5 kept with file `path`, when valid (tests use it to see how much of the
    /// file the next ``contentMD5(_:)`` has to read).
    func runningMD5(_ path: String) throws -> MD5? {
        let p = try SharePath(path)
        return try read { view in
            let node = try view.resolveFile(p)
            guard let md5 = node.md5, md5.count <= node.info.size else { return nil }
            return md5
        }
    }
}
