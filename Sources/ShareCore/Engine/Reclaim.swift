/// Reclaiming space: versions no snapshot sees any more, deleted shares, abandoned uploads.
///
/// Each runs in batches of bounded size (one transaction each) so that a large share never
/// needs one huge transaction, and each batch is safe to repeat: the `trash` table remembers
/// unfinished work, and ``ShareStore/open(at:options:)`` resumes it.
extension ShareStore {
    static let reclaimBatch = 2000
    static let versionedTables: [Table] = [.nodes, .dirents, .extents]

    /// Drops versions of share `id` that neither the live share nor any snapshot sees.
    func reclaimVersions(share name: String, id: UInt64) async throws {
        try await write { txn in try txn.put(.trash, Key.u64(id), Array(name.utf8)) }
        for table in Self.versionedTables {
            var from: [UInt8]? = Key.u64(id)
            while let start = from {
                from = try await write { [self] txn -> [UInt8]? in
                    guard let raw = try txn.get(.shares, Keys.share(name)) else { return nil }
                    let share = try ShareRecord(raw)
                    guard share.id == id else { return nil }
                    return try reclaimBatch(txn, table: table, share: share, from: start)
                }
            }
        }
        try await write { txn in
            if let raw = try txn.get(.trash, Key.u64(id)), !raw.isEmpty { try txn.delete(.trash, Key.u64(id)) }
        }
    }

    /// One batch of version reclamation; returns where the next batch starts, or nil when done.
    private func reclaimBatch(_ txn: WriteTxn, table: Table, share: ShareRecord, from: [UInt8]) throws -> [UInt8]? {
        let prefix = Key.u64(share.id)
        var groups: [[(key: [UInt8], epoch: UInt64, value: [UInt8])]] = []
        var next: [UInt8]?
        var visited = 0
        try txn.scan(table, prefix: prefix, from: from) { k, v in
            let item = Array(k[0..<(k.count - 8)])
            let entry = (key: Array(k), epoch: Epoch.of(key: k), value: table == .extents ? Array(v) : (v.isEmpty ? [] : [1]))
            if let last = groups.last?.first, Array(last.key[0..<(last.key.count - 8)]) == item {
                groups[groups.count - 1].append(entry)
            } else {
                if visited >= Self.reclaimBatch {
                    next = Array(k)
                    return false
                }
                groups.append([entry])
            }
            visited += 1
            return true
        }
        var refs = RefDelta()
        for versions in groups {
            var keepOlder = false
            var doomed: [Int] = []
            for i in 1..<max(1, versions.count) {
                let newer = versions[i - 1].epoch
                let mine = versions[i].epoch
                if share.snapshotEpochs.contains(where: { $0 >= mine && $0 < newer }) {
                    keepOlder = true
                } else {
                    doomed.append(i)
                }
            }
            if versions[0].value.isEmpty && !keepOlder { doomed.append(0) }
            for i in doomed {
                try txn.delete(table, versions[i].key)
                if table == .extents, !versions[i].value.isEmpty {
                    refs.add(try versions[i].value.withUnsafeBytes { try ExtentMap($0) }, -1)
                }
            }
        }
        try refs.apply(txn)
        return next
    }

    /// Tables keyed by share id first that a share purge empties.
    static let purgedTables: [Table] = versionedTables + [.permissions, .staged]

    /// Deletes everything of a deleted share (versions, permissions, content staged for its
    /// records), then its trash entry.
    func purgeShare(_ id: UInt64) async throws {
        for table in Self.purgedTables {
            var more = true
            while more {
                more = try await write { txn -> Bool in
                    var refs = RefDelta()
                    var doomed: [([UInt8], [UInt8])] = []
                    try txn.scan(table, prefix: Key.u64(id)) { k, v in
                        doomed.append((Array(k), table == .extents || table == .staged ? Array(v) : []))
                        return doomed.count < Self.reclaimBatch
                    }
                    for (key, value) in doomed {
                        try txn.delete(table, key)
                        if table == .staged {
                            try StagedRecord(value).addReferences(to: &refs, -1)
                        } else if !value.isEmpty {
                            refs.add(try value.withUnsafeBytes { try ExtentMap($0) }, -1)
                        }
                    }
                    try refs.apply(txn)
                    return doomed.count == Self.reclaimBatch
                }
            }
        }
        try await write { txn in _ = try txn.delete(.trash, Key.u64(id)) }
    }

    /// Finishes work an earlier process left: chunks of abandoned uploads, deleted shares and
    /// interrupted snapshot reclamation.
    func recover() async throws {
        try await reclaimAbandonedUploads(nil)
        let work: [(UInt64, String?)] = try env.read { txn in
            var out: [(UInt64, String?)] = []
            try txn.scan(.trash, prefix: []) { k, v in
                out.append((k.beUInt64(at: 0), v.isEmpty ? nil : String(decoding: v, as: UTF8.self)))
                return true
            }
            return out
        }
        for (id, name) in work {
            if let name {
                try await reclaimVersions(share: name, id: id)
            } else {
                try await purgeShare(id)
            }
        }
    }

    /// Deletes the chunks of upload `upload` (or of every upload, with nil) and their records.
    func reclaimAbandonedUploads(_ upload: UInt64?) async throws {
        var more = true
        while more {
            more = try await write { txn -> Bool in
                let prefix = upload.map { Key.u64($0) } ?? []
                let keys = try txn.keys(.pending, prefix: prefix, limit: Self.reclaimBatch)
                var refs = RefDelta()
                for key in keys {
                    try txn.delete(.pending, key)
                    refs.add(chunk: key.beUInt64(at: 8), -1)
                }
                try refs.apply(txn)
                return keys.count == Self.reclaimBatch
            }
        }
    }
}
