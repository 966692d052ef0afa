import Foundation

/// The epoch scheme. Every key of `nodes`, `dirents` and `extents` ends in an inverted epoch,
/// so a key's versions sort newest first. A view at epoch E sees, per key, the newest version
/// with epoch <= E; an empty value is a whiteout (the key is absent from that epoch on).
///
/// A live write replaces the newest version in place when it was written in the live epoch,
/// or when no snapshot sees it; otherwise it adds a version. A share without snapshots
/// therefore never holds more than one version of a key.
enum Versioned {
    static func key(_ prefix: [UInt8], epoch: UInt64) -> [UInt8] {
        var k = Key(capacity: prefix.count + 8)
        k.append(prefix)
        k.append(Epoch.inverted(epoch))
        return k.bytes
    }

    /// The value of `prefix` visible at `epoch`, or nil (absent or whited out).
    static func get(_ txn: ReadTxn, _ table: Table, _ prefix: [UInt8], epoch: UInt64) throws
        -> UnsafeRawBufferPointer?
    {
        try txn.withCursor(table) { cursor in
            guard let (k, v) = try cursor.seek(key(prefix, epoch: epoch)),
                  k.count == prefix.count + 8, k.starts(with: prefix)
            else { return nil }
            return v.isEmpty ? nil : v
        }
    }

    /// Writes `value` (nil deletes) as the live version of `prefix`. Returns the value of the
    /// version this physically removed, if any, so the caller can release what it referenced.
    @discardableResult
    static func put(_ txn: WriteTxn, _ table: Table, _ prefix: [UInt8], _ value: [UInt8]?,
                    share: ShareRecord) throws -> [UInt8]? {
        let live = share.liveEpoch
        let newestKey = key(prefix, epoch: UInt64.max)
        return try txn.withCursor(table) { cursor -> [UInt8]? in
            var removed: [UInt8]?
            var hasOlder = false
            if let (k, v) = try cursor.seek(newestKey), k.count == prefix.count + 8, k.starts(with: prefix) {
                let epoch = Epoch.of(key: k)
                let seenBySnapshot = share.snapshotEpochs.contains { $0 >= epoch }
                if epoch == live || !seenBySnapshot {
                    if !v.isEmpty { removed = Array(v) }
                    try cursor.deleteCurrent()
                    if let (k2, _) = try cursor.seek(newestKey), k2.count == prefix.count + 8, k2.starts(with: prefix) {
                        hasOlder = true
                    }
                } else {
                    hasOlder = true
                }
            }
            if let value {
                try txn.put(table, key(prefix, epoch: live), value)
            } else if hasOlder {
                try txn.put(table, key(prefix, epoch: live), [])
            }
            return removed
        }
    }

    /// Calls `body` with each item (key without its epoch) under `prefix` visible at `epoch`,
    /// in key order, starting at `from` (an item key) when given. Return false to stop.
    static func scan(_ txn: ReadTxn, _ table: Table, prefix: [UInt8], from: [UInt8]? = nil, epoch: UInt64,
                     _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        try prefix.withUnsafeBytes { prefix in
            guard let from else { return try scan(txn, table, prefix: prefix, from: nil, epoch: epoch, body) }
            try from.withUnsafeBytes { from in try scan(txn, table, prefix: prefix, from: from, epoch: epoch, body) }
        }
    }

    /// ``scan(_:_:prefix:from:epoch:_:)`` with the keys given as bytes in place, so that a
    /// caller can build them on the stack. In a read-only transaction the item being resolved
    /// is remembered where it lies in the map (LMDB keeps those bytes until the transaction
    /// ends); in a write transaction, whose pages a write in `body` may change, it is copied.
    static func scan(_ txn: ReadTxn, _ table: Table, prefix: UnsafeRawBufferPointer, from: UnsafeRawBufferPointer?,
                     epoch: UInt64, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        let inPlace = txn.isReadOnly
        try txn.withCursor(table) { cursor in
            let start = from ?? prefix
            var entry = try start.isEmpty ? cursor.first() : cursor.seek(raw: start)
            var started = false  // whether an item is being resolved
            var current = UnsafeRawBufferPointer(start: nil, count: 0)  // read-only: that item, in the map
            var copied: [UInt8] = []  // write transactions: a copy of it
            var resolved = false
            while let (k, v) = entry, k.count >= 8, Bytes.hasPrefix(k, prefix) {
                let item = UnsafeRawBufferPointer(rebasing: k[0..<(k.count - 8)])
                let same = started && (inPlace ? Bytes.equal(item, current) : copied.withUnsafeBytes { Bytes.equal(item, $0) })
                if !same {
                    started = true
                    if inPlace {
                        current = item
                    } else {
                        // Reuse the buffer: one allocation per scan, not per key.
                        copied.removeAll(keepingCapacity: true)
                        copied.append(contentsOf: item)
                    }
                    resolved = false
                }
                if !resolved, Epoch.of(key: k) <= epoch {
                    resolved = true
                    if !v.isEmpty, try !body(item, v) { return }
                }
                entry = try cursor.next()
            }
        }
    }
}

/// Comparisons of bytes in place, with `memcmp`.
enum Bytes {
    /// Whether `a` and `b` hold the same bytes.
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let left = a.baseAddress, let right = b.baseAddress else { return true }
        return memcmp(left, right, a.count) == 0
    }

    /// Whether `bytes` begins with `prefix`.
    static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= prefix.count else { return false }
        guard let left = bytes.baseAddress, let right = prefix.baseAddress else { return true }
        return memcmp(left, right, prefix.count) == 0
    }
}
