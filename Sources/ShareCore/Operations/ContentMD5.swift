extension Share {
    /// The MD5 (16 bytes) of the current content of file `path` (at this handle's snapshot,
    /// for a snapshot handle), holes reading as zeros.
    ///
    /// Cost: each file keeps a running MD5 of its content from offset 0, extended by writes
    /// that continue it (Create File then in-order Put Range, or an upload) and carried over
    /// by copies and restores. While it is valid, this is one read lookup plus hashing the
    /// zeros of the unwritten tail, if any (about 2 ms per MiB of tail in a release build, so a large file that
    /// is mostly holes is costly). Otherwise (after a write elsewhere, a clear of written
    /// bytes or a truncation of written bytes) the whole file is read in 4 MiB pieces and
    /// hashed, O(size); on the live share the result is then kept with the file by one small
    /// write, unless the file changed meanwhile, so that the next call is cheap again.
    /// A file that keeps changing while it is read is `conditionNotMet` after a few attempts.
    public func contentMD5(_ path: String) async throws -> [UInt8] {
        let p = try SharePath(path)
        let leaseId = self.leaseId
        for _ in 0..<4 {
            let node = try read { view in
                let node = try view.resolveFile(p)
                if leaseId != nil { try LeaseMachine.authorize(node.info.lease, leaseId: leaseId, now: .now(), what: "file '\(p)'") }
                return node
            }
            let size = node.info.size
            if var running = node.md5, running.count <= size {
                running.updateZeros(size - running.count)
                return running.finalize()
            }
            guard let hashed = try await hashByReading(fileId: node.info.id, size: size) else { continue }
            // A snapshot's content never changes; the live file may have changed while it was read.
            guard snapshot == nil else { return hashed.finalize() }
            let id = node.info.id
            let lastModified = node.info.lastModified
            let current = try read { view in try view.node(id) }
            guard let current, current.info.lastModified == lastModified, current.info.size == size else { continue }
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

    /// Hashes file `fileId` of `size` bytes by reading it in 4 MiB pieces; nil when the live
    /// file shrank meanwhile.
    private func hashByReading(fileId: UInt64, size: UInt64) async throws -> MD5? {
        let piece: UInt64 = 4 << 20
        var state = MD5()
        var position: UInt64 = 0
        while position < size {
            let end = min(size, position + piece)
            let bytes: [UInt8]
            do {
                bytes = try await read(fileId: fileId, range: position..<end)
            } catch let error as ShareCoreError where error.code == .invalidRange && snapshot == nil {
                return nil
            }
            state.update(bytes)
            position = end
        }
        return state
    }

    /// The running MD5 kept with file `path`, when valid (tests use it to see that no full
    /// read is needed).
    func runningMD5(_ path: String) throws -> MD5? {
        let p = try SharePath(path)
        return try read { view in
            let node = try view.resolveFile(p)
            guard let md5 = node.md5, md5.count <= node.info.size else { return nil }
            return md5
        }
    }
}
