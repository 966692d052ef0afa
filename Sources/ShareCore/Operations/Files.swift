/// Ranges that changed between a snapshot and a later view of a file.
public struct RangeDiff: Sendable, Hashable {
    /// Ranges written (or rewritten) since the snapshot, merged and ascending.
    public var changed: [Range<UInt64>]
    /// Ranges that held data at the snapshot and are holes now, merged and ascending.
    public var cleared: [Range<UInt64>]
}

extension Share {
    // MARK: Files

    /// Creates file `path` of `length` bytes, all holes (reading as zeros) except `content`,
    /// which is written at offset 0 in the same transaction (at most 4 MiB and no longer than
    /// `length`). With `overwrite` an existing file is replaced, keeping its lease (the
    /// handle's lease id must match it); otherwise an existing name is `resourceAlreadyExists`.
    @discardableResult
    public func createFile(_ path: String, length: UInt64 = 0, properties: NodeProperties = NodeProperties(),
                           overwrite: Bool = false, content: [UInt8] = []) async throws -> NodeInfo {
        let p = try SharePath(path)
        try properties.metadata?.validate()
        try properties.annotations?.validate()
        try Share.validateLength(length)
        guard !p.isRoot else { throw ShareCoreError(.notAFile, "the root is a directory") }
        if !content.isEmpty {
            try Share.validateWrite(offset: 0, count: content.count)
            try Share.checkWithin(0..<UInt64(content.count), size: length, path: p)
        }
        let leaseId = self.leaseId
        return try await mutate { m in
            let lease = try m.replaceableFile(at: p, overwrite: overwrite, leaseId: leaseId)
            var node = try m.createNode(at: p, kind: .file, size: length, properties: properties)
            if let lease {
                node.info.lease = lease
                try m.putNode(node)
            }
            if !content.isEmpty {
                try content.withUnsafeBytes { try m.writeRange(node: node.info.id, offset: 0, bytes: $0, sealing: nil) }
                try m.checkQuota()
            }
            return node.info
        }
    }

    static func validateLength(_ length: UInt64) throws(ShareCoreError) {
        guard length <= ShareStore.maxFileSize else {
            throw ShareCoreError(.fileTooLarge, "length \(length) is over the \(ShareStore.maxFileSize)-byte (4 TiB) limit")
        }
    }

    /// Deletes file `path` and releases its content. With `ifETag`, only while the file's
    /// ETag is still that one (else `conditionNotMet`, and nothing changes), so a caller can
    /// check a condition on what it read and delete in one step.
    public func deleteFile(_ path: String, ifETag: String? = nil) async throws {
        let p = try SharePath(path)
        let leaseId = self.leaseId
        try await mutate { m in
            let node = try m.view.resolveFile(p)
            if let ifETag, node.info.etag != ifETag {
                throw ShareCoreError(.conditionNotMet, "'\(p)' changed since its ETag was read")
            }
            try m.authorize(node, leaseId)
            try m.deleteNode(node)
        }
    }

    /// Sets the length of file `path`: growing adds a hole, truncating drops what lies beyond.
    @discardableResult
    public func resize(_ path: String, to length: UInt64) async throws -> NodeInfo {
        let p = try SharePath(path)
        try Share.validateLength(length)
        let leaseId = self.leaseId
        return try await mutate { m in
            var node = try m.view.resolveFile(p)
            try m.authorize(node, leaseId)
            if length < node.info.size { try m.truncate(node.info.id, to: length) }
            let md5 = node.md5Kept(resizingTo: length)
            node.info.size = length
            node.touchContent(m.now)
            node.md5 = md5
            try m.putNode(node)
            return node.info
        }
    }

    /// Writes `bytes` (1 byte to 4 MiB) at `offset` of file `path`; the range must lie within
    /// the file's length. With `preserveLastWriteTime` the SMB last-write time stays as it was.
    @discardableResult
    public func write(_ path: String, at offset: UInt64, _ bytes: [UInt8],
                      preserveLastWriteTime: Bool = false) async throws -> NodeInfo {
        let p = try SharePath(path)
        try Share.validateWrite(offset: offset, count: bytes.count)
        let leaseId = self.leaseId
        return try await mutate { m in
            var node = try m.view.resolveFile(p)
            try m.authorize(node, leaseId)
            try Share.checkWithin(offset..<(offset + UInt64(bytes.count)), size: node.info.size, path: p)
            let sealing = try m.sealing(for: node.info)
            try bytes.withUnsafeBytes { try m.writeRange(node: node.info.id, offset: offset, bytes: $0, sealing: sealing) }
            // The running MD5 covers bytes no write has touched since it was computed: a write
            // at or after them keeps it (no hashing here; `contentMD5` extends it lazily), a
            // write into them forgets it.
            let md5 = node.md5.flatMap { offset >= $0.count ? $0 : nil }
            node.touchContent(m.now, keepLastWriteTime: preserveLastWriteTime)
            node.md5 = md5
            try m.putNode(node)
            try m.checkQuota()
            return node.info
        }
    }

    static func validateWrite(offset: UInt64, count: Int) throws(ShareCoreError) {
        guard count > 0 else { throw ShareCoreError(.invalidRange, "a write must carry at least one byte") }
        guard count <= ShareStore.maxRangeBytes else {
            throw ShareCoreError(.invalidRange, "a write of \(count) bytes is over the 4 MiB (\(ShareStore.maxRangeBytes)-byte) limit")
        }
        guard offset <= ShareStore.maxFileSize else {
            throw ShareCoreError(.invalidRange, "offset \(offset) is beyond the 4 TiB file size limit")
        }
    }

    static func checkWithin(_ range: Range<UInt64>, size: UInt64, path: SharePath) throws(ShareCoreError) {
        guard range.upperBound <= size else {
            throw ShareCoreError(.invalidRange, "range \(range.lowerBound)-\(range.upperBound - 1) is beyond the end of '\(path)' (\(size) bytes)")
        }
    }

    /// Turns `range` of file `path` into a hole (it reads as zeros and is no longer listed).
    /// With `preserveLastWriteTime` the SMB last-write time stays as it was.
    @discardableResult
    public func clear(_ path: String, range: Range<UInt64>, preserveLastWriteTime: Bool = false) async throws -> NodeInfo {
        let p = try SharePath(path)
        guard !range.isEmpty else { throw ShareCoreError(.invalidRange, "the range to clear is empty") }
        let leaseId = self.leaseId
        return try await mutate { m in
            var node = try m.view.resolveFile(p)
            try m.authorize(node, leaseId)
            try Share.checkWithin(range, size: node.info.size, path: p)
            try m.clearRange(node: node.info.id, range)
            // Clearing only bytes after the hashed prefix leaves the prefix as it was.
            let md5 = node.md5.flatMap { range.lowerBound >= $0.count ? $0 : nil }
            node.touchContent(m.now, keepLastWriteTime: preserveLastWriteTime)
            node.md5 = md5
            try m.putNode(node)
            return node.info
        }
    }

    /// Reads `range` of file `path` (holes read as zeros). A range past the end is `invalidRange`;
    /// a chunk failing its checksum is `dataCorrupted`. At most 64 MiB per call.
    public func read(_ path: String, range: Range<UInt64>) async throws -> [UInt8] {
        guard range.count <= Share.maxReadBytes else {
            _ = try SharePath(path)  // a malformed path is reported first
            throw ShareCoreError(.invalidRange, "a read of \(range.count) bytes is over the \(Share.maxReadBytes)-byte limit per call")
        }
        let leaseId = self.leaseId
        return try store.readFile(share: name, snapshot: snapshot, customer: customerKey, path: path) { view, p, file in
            // Only the properties the read needs are taken from the resolved file.
            if leaseId != nil { try LeaseMachine.authorize(file.info.lease, leaseId: leaseId, now: .now(), what: "file '\(p)'") }
            try Share.checkWithin(range, size: file.info.size, path: p)
            return try view.readBytes(node: file.info.id, range)
        }
    }

    /// Reads `range` of the file with id `fileId` (from ``NodeInfo/id``), wherever it now is.
    /// A download that reads in pieces uses this to stay on one file: if the path is renamed
    /// or replaced meanwhile, the pieces still come from the same file, and a deleted file is
    /// `resourceNotFound` rather than another file's bytes.
    public func read(fileId: UInt64, range: Range<UInt64>) async throws -> [UInt8] {
        guard range.count <= Share.maxReadBytes else {
            throw ShareCoreError(.invalidRange, "a read of \(range.count) bytes is over the \(Share.maxReadBytes)-byte limit per call")
        }
        return try read { view in
            guard let info = try view.nodeInfo(fileId), info.kind == .file else {
                throw ShareCoreError(.resourceNotFound, "file \(fileId) does not exist in share '\(view.share.name)'")
            }
            try Share.checkWithin(range, size: info.size, path: SharePath.root.appending(info.name))
            return try view.readBytes(node: fileId, range)
        }
    }

    /// Opens the file or directory at `path` for a download: its properties, its content MD5
    /// when it is known without reading content (with `contentMD5`), and the first bytes of
    /// the span `span` picks from the properties (at most `firstBytes` of them), all read in one
    /// transaction, so the headers a download sends describe the bytes it starts with. `span`
    /// runs inside that transaction: it checks what the caller needs (the kind, a range against
    /// the size) and its errors are thrown unchanged; nil reads nothing. A span past the end of
    /// a file is `invalidRange`; stored data failing its checksum is `dataCorrupted`, naming
    /// the share, the path and the bytes read.
    ///
    /// A small GET used to read the properties, the MD5 and the first bytes in up to three
    /// transactions, each resolving the path again (issue #14).
    public func open(_ path: String, contentMD5: Bool = false, firstBytes: Int,
                     span: (NodeInfo) throws -> Range<UInt64>?) async throws -> OpenedItem {
        let p = try SharePath(path)
        let leaseId = self.leaseId
        let shareName = name
        return try read { view in
            let info: NodeInfo
            var md5: [UInt8]?
            if contentMD5 {
                (info, md5) = try view.resolveWithContentMD5(p)
            } else {
                do {
                    info = try view.resolveFileInfo(p)
                } catch let error as ShareCoreError where error.code == .notAFile {
                    info = try view.resolve(p).info
                }
            }
            if leaseId != nil { try LeaseMachine.authorize(info.lease, leaseId: leaseId, now: .now(), what: "'\(p)'") }
            guard let chosen = try span(info) else { return OpenedItem(info: info, contentMD5: md5, span: nil, first: []) }
            guard info.kind == .file || chosen.isEmpty else { throw ShareCoreError(.notAFile, "'\(p)' is a directory, not a file") }
            try Share.checkWithin(chosen, size: info.size, path: p)
            let first = chosen.lowerBound..<min(chosen.upperBound, chosen.lowerBound + UInt64(max(0, min(firstBytes, Share.maxReadBytes))))
            do {
                return OpenedItem(info: info, contentMD5: md5, span: chosen, first: try view.readBytes(node: info.id, first))
            } catch let error as ShareCoreError where error.code == .dataCorrupted {
                throw ShareCoreError(.dataCorrupted, "share '\(shareName)', file '\(p)', reading bytes \(first.lowerBound)..<\(first.upperBound): \(error.message)")
            }
        }
    }

    /// The most bytes one ``read(_:range:)`` returns.
    public static let maxReadBytes = 64 * 1024 * 1024

    /// Reads all of file `path` (at most 64 MiB).
    public func read(_ path: String) async throws -> [UInt8] {
        let size = try await info(path).size
        return try await read(path, range: 0..<size)
    }

    /// Written ranges of file `path`, merged and ascending, optionally only within `range`.
    public func ranges(_ path: String, within range: Range<UInt64>? = nil) async throws -> [Range<UInt64>] {
        let p = try SharePath(path)
        return try read { view in
            let node = try view.resolveFile(p)
            return try view.ranges(node: node.info.id, within: range ?? 0..<node.info.size)
        }
    }

    /// Ranges of file `path` that changed since snapshot `since` of the same share (this
    /// handle's view is the later side: live, or a later snapshot). A file that did not exist
    /// at `since` (or was replaced by another since) has all its ranges changed; with
    /// `followRenames`, a file that was at another path at `since` is compared with itself there,
    /// and without it such a file is `movedSinceSnapshot`.
    public func changedRanges(_ path: String, since: String, within range: Range<UInt64>? = nil,
                              followRenames: Bool = false) async throws -> RangeDiff {
        let p = try SharePath(path)
        return try store.env.read { txn in
            let now = try store.view(txn, share: name, snapshot: snapshot)
            let before = try store.view(txn, share: name, snapshot: since)
            let node = try now.resolveFile(p)
            let limit = range ?? 0..<node.info.size
            var old: NodeRecord?
            if let candidate = try? before.resolve(p), candidate.info.id == node.info.id, candidate.info.kind == .file {
                old = candidate
            } else if let moved = try before.node(node.info.id), moved.info.kind == .file {
                guard followRenames else {
                    throw ShareCoreError(.movedSinceSnapshot, "'\(p)' was at another path in snapshot \(since)")
                }
                old = moved
            }
            return try RangeDiffer.diff(new: now, old: old == nil ? nil : before, node: node.info.id,
                                        size: node.info.size, within: limit)
        }
    }
}

extension NodeRecord {
    /// Marks content as changed now (which also forgets the copy that made the file, the
    /// running MD5, the S3 object ETag and the object checksum; a caller that knows the MD5 still holds sets it
    /// again afterwards).
    mutating func touchContent(_ now: FileTime, keepLastWriteTime: Bool = false) {
        info.lastModified = now
        info.etag = ETag.string(ticks: now.ticks)
        if !keepLastWriteTime { info.smb.lastWriteTime = now }
        info.smb.changeTime = now
        info.copy = nil
        info.objectETag = nil
        info.objectChecksum = nil
        info.objectParts = nil
        md5 = nil
    }

    /// The running MD5 that stays valid when the file's length becomes `length`: growing, or
    /// cutting only bytes after the hashed prefix, leaves the prefix intact.
    func md5Kept(resizingTo length: UInt64) -> MD5? {
        md5.flatMap { length >= $0.count ? $0 : nil }
    }
}

extension View {
    /// The bytes of `range` of file `node`, holes as zeros. The result is allocated
    /// uninitialised: runs are copied in and only the gaps between them are zeroed.
    func readBytes(node: UInt64, _ range: Range<UInt64>) throws -> [UInt8] {
        let total = Int(range.count)
        guard total > 0 else { return [] }
        let first = range.lowerBound / extentSize
        let last = (range.upperBound - 1) / extentSize
        return try [UInt8](unsafeUninitializedCapacity: total) { elements, initialized in
            let buffer = UnsafeMutableRawBufferPointer(elements)
            var filled = 0  // bytes [0, filled) are set; runs come in ascending order
            try extentRuns(node: node, from: first, through: last) { index, runs in
                let base = index * extentSize
                for run in runs {
                    let start = max(base + UInt64(run.offset), range.lowerBound)
                    let end = min(base + UInt64(run.end), range.upperBound)
                    guard start < end else { continue }
                    let from = Int(start - range.lowerBound)
                    let to = Int(end - range.lowerBound)
                    if from > filled { UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<from]).initializeMemory(as: UInt8.self, repeating: 0) }
                    let inChunk = Int(start - base - UInt64(run.offset)) + Int(run.chunkOffset)
                    try Chunks.read(txn, id: run.chunk, offset: inChunk, count: to - from,
                                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[from..<to]), keys: keys)
                    filled = max(filled, to)
                }
                return true
            }
            if filled < total { UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<total]).initializeMemory(as: UInt8.self, repeating: 0) }
            initialized = total
        }
    }

    /// Adds the bytes of `range` of file `node` to `state`, holes as zeros (hashed without
    /// reading anything); data is hashed where it lies in the store, after verifying its blocks.
    func hashContent(node: UInt64, _ range: Range<UInt64>, into state: inout MD5) throws {
        guard !range.isEmpty else { return }
        var position = range.lowerBound  // bytes before it are hashed; runs come in ascending order
        try extentRuns(node: node, from: range.lowerBound / extentSize, through: (range.upperBound - 1) / extentSize) { index, runs in
            let base = index * extentSize
            for run in runs {
                let start = max(base + UInt64(run.offset), position)
                let end = min(base + UInt64(run.end), range.upperBound)
                guard start < end else { continue }
                if start > position { state.updateZeros(start - position) }
                let inChunk = Int(start - base - UInt64(run.offset)) + Int(run.chunkOffset)
                try Chunks.visit(txn, id: run.chunk, offset: inChunk, count: Int(end - start), keys: keys) { _, bytes in
                    state.update(bytes)
                }
                position = end
            }
            return true
        }
        if position < range.upperBound { state.updateZeros(range.upperBound - position) }
    }

    func ranges(node: UInt64, within range: Range<UInt64>) throws -> [Range<UInt64>] {
        var out: [Range<UInt64>] = []
        guard !range.isEmpty else { return out }
        try extentRuns(node: node, from: range.lowerBound / extentSize, through: (range.upperBound - 1) / extentSize) { index, runs in
            let base = index * extentSize
            for run in runs {
                let start = max(base + UInt64(run.offset), range.lowerBound)
                let end = min(base + UInt64(run.end), range.upperBound)
                guard start < end else { continue }
                RangeList.append(&out, start..<end)
            }
            return true
        }
        return out
    }
}

/// Helpers for ascending lists of ranges.
enum RangeList {
    /// Appends `range`, merging it into the last range when they touch.
    static func append(_ list: inout [Range<UInt64>], _ range: Range<UInt64>) {
        if let last = list.last, last.upperBound >= range.lowerBound {
            list[list.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
        } else {
            list.append(range)
        }
    }
}

extension Mutation {
    /// Fails unless `path` is free or holds a file that `overwrite` allows replacing (which is
    /// then deleted); returns the replaced file's lease, which a replacement may keep.
    @discardableResult
    mutating func replaceableFile(at path: SharePath, overwrite: Bool, leaseId: String? = nil) throws -> Lease? {
        let parent = try view.resolveParent(path)
        guard let entry = try view.dirent(parent: parent.info.id, name: path.name) else { return nil }
        guard entry.kind == .file else {
            throw ShareCoreError(.resourceAlreadyExists, "'\(path)' is an existing directory")
        }
        guard overwrite else { throw ShareCoreError(.resourceAlreadyExists, "'\(path)' already exists") }
        guard let old = try view.node(entry.nodeId) else {
            throw ShareCoreError(.dataCorrupted, "'\(path)' names node \(entry.nodeId), which is missing")
        }
        try authorize(old, leaseId)
        try deleteNode(old)
        return old.info.lease
    }

    /// Stores `bytes` as one chunk (sealed with `sealing`, the file's) and splices it into the
    /// extents it covers.
    mutating func writeRange(node: UInt64, offset: UInt64, bytes: UnsafeRawBufferPointer, sealing: ChunkSealing?) throws {
        let chunk = try storeChunk(bytes, sealing: sealing)
        try spliceChunk(node: node, offset: offset, chunk: chunk, length: UInt64(bytes.count))
    }

    /// Makes `range` a hole.
    mutating func clearRange(node: UInt64, _ range: Range<UInt64>) throws {
        var doomed: [(UInt64, ExtentMap)] = []
        try view.extents(node: node, from: range.lowerBound / extentSize, through: (range.upperBound - 1) / extentSize) { index, map in
            doomed.append((index, map))
            return true
        }
        for (index, old) in doomed {
            let base = index * extentSize
            var map = old
            let start = UInt32(max(range.lowerBound, base) - base)
            let stop = UInt32(min(range.upperBound, base + extentSize) - base)
            map.remove(start, stop)
            if map != old { try putExtent(node: node, index: index, map, previous: old) }
        }
    }

    /// Drops content at and beyond `length`.
    mutating func truncate(_ node: UInt64, to length: UInt64) throws {
        let firstWhole = (length + extentSize - 1) / extentSize
        try deleteExtents(node: node, from: firstWhole)
        if length % extentSize != 0 {
            let index = length / extentSize
            if let old = try view.extent(node: node, index: index) {
                var map = old
                map.remove(UInt32(length - index * extentSize), UInt32(extentSize))
                if map != old { try putExtent(node: node, index: index, map, previous: old) }
            }
        }
    }

    /// Merges runs that touch: runs continuing the same chunk become one run; other touching
    /// groups are rewritten into one new chunk each (sealed as file `node`'s new content is).
    func compact(_ map: ExtentMap, node: UInt64) throws -> ExtentMap {
        var groups: [[Run]] = []
        for run in map.runs {
            if let last = groups.last?.last, last.end == run.offset {
                groups[groups.count - 1].append(run)
            } else {
                groups.append([run])
            }
        }
        var out: [Run] = []
        for group in groups {
            guard group.count > 1, let first = group.first, let last = group.last else {
                out.append(contentsOf: group)
                continue
            }
            let contiguous = group.indices.dropFirst().allSatisfy {
                group[$0].chunk == first.chunk && group[$0].chunkOffset == group[$0 - 1].chunkOffset + group[$0 - 1].length
            }
            let length = last.end - first.offset
            if contiguous {
                out.append(Run(offset: first.offset, length: length, chunk: first.chunk, chunkOffset: first.chunkOffset))
                continue
            }
            var bytes = [UInt8](repeating: 0, count: Int(length))
            try bytes.withUnsafeMutableBytes { buffer in
                for run in group {
                    let at = Int(run.offset - first.offset)
                    try Chunks.read(txn.read, id: run.chunk, offset: Int(run.chunkOffset), count: Int(run.length),
                                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[at..<(at + Int(run.length))]), keys: keys)
                }
            }
            let sealing = try sealing(forNode: node)
            let chunk = try bytes.withUnsafeBytes { try storeChunk($0, sealing: sealing) }
            out.append(Run(offset: first.offset, length: length, chunk: chunk, chunkOffset: 0))
        }
        return ExtentMap(runs: out)
    }
}

/// Computes which ranges of a file differ between two views.
enum RangeDiffer {
    static func diff(new: View, old: View?, node: UInt64, size: UInt64, within range: Range<UInt64>) throws -> RangeDiff {
        var result = RangeDiff(changed: [], cleared: [])
        let limit = range.clamped(to: 0..<size)
        guard !limit.isEmpty else { return result }
        let extentSize = new.extentSize
        let first = limit.lowerBound / extentSize
        let last = (limit.upperBound - 1) / extentSize
        var newMaps: [UInt64: ExtentMap] = [:]
        var oldMaps: [UInt64: ExtentMap] = [:]
        try new.extents(node: node, from: first, through: last) { i, m in newMaps[i] = m; return true }
        try old?.extents(node: node, from: first, through: last) { i, m in oldMaps[i] = m; return true }
        for index in Set(newMaps.keys).union(oldMaps.keys).sorted() {
            let a = newMaps[index]?.runs ?? []
            let b = oldMaps[index]?.runs ?? []
            if a == b { continue }
            let base = index * extentSize
            var cuts = Set<UInt32>()
            for r in a + b {
                cuts.insert(r.offset)
                cuts.insert(r.end)
            }
            let points = cuts.sorted()
            for (lo, hi) in zip(points, points.dropFirst()) {
                let x = a.first { $0.offset <= lo && $0.end >= hi }
                let y = b.first { $0.offset <= lo && $0.end >= hi }
                let start = max(base + UInt64(lo), limit.lowerBound)
                let end = min(base + UInt64(hi), limit.upperBound)
                guard start < end else { continue }
                if let x {
                    let same = y.map { $0.chunk == x.chunk && $0.chunkOffset + (lo - $0.offset) == x.chunkOffset + (lo - x.offset) } ?? false
                    if !same { RangeList.append(&result.changed, start..<end) }
                } else if y != nil {
                    RangeList.append(&result.cleared, start..<end)
                }
            }
        }
        if let old {
            let rewritten = try clearedSinceWritten(new: new, old: old, node: node, newMaps: newMaps, within: limit)
            if !rewritten.isEmpty {
                var merged: [Range<UInt64>] = []
                for r in (result.cleared + rewritten).sorted(by: { $0.lowerBound < $1.lowerBound }) { RangeList.append(&merged, r) }
                result.cleared = merged
            }
        }
        return result
    }

    /// Holes of the new view that content written after the old view once filled: each chunk
    /// the new view uses but the old one does not was written after the snapshot over its whole
    /// length, so the parts of its span that are holes now were cleared (or truncated) since.
    /// Azure reports those as `ClearRange` even where the snapshot had a hole.
    static func clearedSinceWritten(new: View, old: View, node: UInt64, newMaps: [UInt64: ExtentMap],
                                    within limit: Range<UInt64>) throws -> [Range<UInt64>] {
        let extentSize = new.extentSize
        var spans: [UInt64: Range<UInt64>] = [:]
        for (index, map) in newMaps {
            for run in map.runs where spans[run.chunk] == nil {
                let position = index * extentSize + UInt64(run.offset)
                guard position >= UInt64(run.chunkOffset) else { continue }
                let start = position - UInt64(run.chunkOffset)
                spans[run.chunk] = start..<(start + UInt64(try Chunks.length(new.txn, id: run.chunk)))
            }
        }
        guard let low = spans.values.map(\.lowerBound).min(), let high = spans.values.map(\.upperBound).max(), low < high else {
            return []
        }
        var oldChunks = Set<UInt64>()
        try old.extents(node: node, from: low / extentSize, through: (high - 1) / extentSize) { _, map in
            for run in map.runs { oldChunks.insert(run.chunk) }
            return true
        }
        var holes: [Range<UInt64>] = []
        for (chunk, span) in spans where !oldChunks.contains(chunk) {
            let window = span.clamped(to: limit)
            guard !window.isEmpty else { continue }
            holes += RangeDiffer.holes(in: window, maps: newMaps, extentSize: extentSize)
        }
        var merged: [Range<UInt64>] = []
        for r in holes.sorted(by: { $0.lowerBound < $1.lowerBound }) { RangeList.append(&merged, r) }
        return merged
    }

    /// The parts of `window` no run of `maps` covers.
    static func holes(in window: Range<UInt64>, maps: [UInt64: ExtentMap], extentSize: UInt64) -> [Range<UInt64>] {
        var covered: [Range<UInt64>] = []
        for index in (window.lowerBound / extentSize)...((window.upperBound - 1) / extentSize) {
            let base = index * extentSize
            for run in maps[index]?.runs ?? [] {
                let r = (base + UInt64(run.offset))..<(base + UInt64(run.end))
                if r.overlaps(window) { RangeList.append(&covered, r.clamped(to: window)) }
            }
        }
        var out: [Range<UInt64>] = []
        var position = window.lowerBound
        for r in covered {
            if r.lowerBound > position { out.append(position..<r.lowerBound) }
            position = max(position, r.upperBound)
        }
        if position < window.upperBound { out.append(position..<window.upperBound) }
        return out
    }
}

/// A file or directory as ``Share/open(_:contentMD5:firstBytes:span:)`` found it, in one
/// transaction: what a download needs before it sends its status line.
public struct OpenedItem: Sendable {
    /// The item's properties.
    public let info: NodeInfo
    /// The MD5 of the whole content when it was asked for and is kept with the file; nil when
    /// not asked for, for a directory, or when only reading content would give it
    /// (``Share/contentMD5(_:hashingAtMost:)``).
    public let contentMD5: [UInt8]?
    /// The bytes the download sends (nil: none were asked for).
    public let span: Range<UInt64>?
    /// The first bytes of ``span`` (at most the `firstBytes` asked for).
    public let first: [UInt8]

    /// Where the bytes of ``span`` after ``first`` start.
    public var rest: Range<UInt64> {
        guard let span else { return 0..<0 }
        return (span.lowerBound + UInt64(first.count))..<span.upperBound
    }
}
