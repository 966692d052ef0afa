/// A multipart upload in progress: parts are staged, invisible in the share, until
/// ``Share/completeMultipartUpload(_:parts:etag:minimumPartSize:createParents:)`` assembles them into one file.
public struct MultipartUpload: Sendable, Hashable {
    /// The upload id: 32 lowercase hex characters, random and unguessable.
    public var id: String
    /// The share the upload belongs to.
    public var share: String
    /// The file the completion creates (or replaces), relative to the share's root.
    public var path: String
    /// Content headers, metadata and other properties for the completed file.
    public var properties: NodeProperties
    /// When the upload was created.
    public var initiated: FileTime
    /// An opaque value kept for the front (e.g. the checksum algorithm the client chose).
    public var tag: String?

    /// An upload description.
    public init(id: String, share: String, path: String, properties: NodeProperties, initiated: FileTime, tag: String?) {
        self.id = id
        self.share = share
        self.path = path
        self.properties = properties
        self.initiated = initiated
        self.tag = tag
    }
}

/// A part staged for a multipart upload.
public struct UploadedPart: Sendable, Hashable {
    /// The part number (1 to 10,000).
    public var number: Int
    /// The part's length in bytes.
    public var size: UInt64
    /// The MD5 (16 bytes) of the part's content: its S3 ETag.
    public var md5: [UInt8]
    /// When the part was stored.
    public var lastModified: FileTime
    /// An opaque checksum the front computed while the part streamed, if any.
    public var checksum: String?

    /// A part description.
    public init(number: Int, size: UInt64, md5: [UInt8], lastModified: FileTime, checksum: String?) {
        self.number = number
        self.size = size
        self.md5 = md5
        self.lastModified = lastModified
        self.checksum = checksum
    }
}

extension Share {
    /// The highest part number (S3's limit).
    public static let maxPartNumber = 10_000
    /// The largest part, 5 GiB (S3's limit); a larger part is `fileTooLarge`.
    public static let maxPartSize: UInt64 = 5 << 30

    /// Starts a multipart upload of file `path` (not created until completion; its parent
    /// directories need to exist only then). Uploads belong to the live share: a snapshot
    /// handle is `snapshotReadOnly`.
    /// - Parameters:
    ///   - path: the file the completed upload becomes.
    ///   - properties: content headers, metadata and other properties of the completed file.
    ///   - tag: an opaque value returned with the upload (e.g. a checksum algorithm).
    public func createMultipartUpload(_ path: String, properties: NodeProperties = NodeProperties(),
                                      tag: String? = nil) async throws -> MultipartUpload {
        let p = try SharePath(path)
        guard !p.isRoot else { throw ShareCoreError(.notAFile, "the root is a directory") }
        try properties.metadata?.validate()
        try requireLive()
        let store = self.store
        let name = self.name
        return try await store.write { txn in
            let share = try store.loadShare(txn.read, name)
            var id = MultipartKeys.newId()
            while try txn.get(.uploads, MultipartKeys.upload(share.id, id)) != nil { id = MultipartKeys.newId() }
            let record = UploadRecord(path: p.description, properties: properties, initiated: store.state.now(), tag: tag)
            try txn.put(.uploads, MultipartKeys.upload(share.id, id), record.encode())
            return record.upload(id: id, share: name)
        }
    }

    /// Streams part `number` (1 to 10,000) of upload `uploadId`, replacing an existing part of
    /// the same number atomically. The content is stored in chunks while it streams (never
    /// held whole in memory); if the sequence throws or the task is cancelled, what was stored
    /// is reclaimed and the previous part, if any, stays. `checksum` is called once the content
    /// has been read, and its result is kept with the part.
    /// Errors: `uploadNotFound` (also when the upload was aborted or completed meanwhile),
    /// `invalidArgument` for a part number out of range, `fileTooLarge` over 5 GiB.
    public func uploadPart<S: AsyncSequence>(
        _ uploadId: String, number: Int, from content: S, checksum: (@Sendable () -> String?)? = nil
    ) async throws -> UploadedPart where S.Element: Collection, S.Element.Element == UInt8 {
        try requireLive()
        try Share.validatePartNumber(number)
        let id = try Share.uploadIdBytes(uploadId)
        let store = self.store
        let name = self.name
        // Fail fast, before any bytes move, when the upload does not exist.
        let shareId = try store.env.read { txn in try store.uploadRecord(txn, share: name, id: id, uploadId: uploadId).shareId }
        let pending: UInt64 = try await store.write { txn in try ShareStore.nextCounter(txn, "nextUploadId") }
        do {
            let stored = try await store.storeStream(content, upload: pending) { total in
                guard total <= Share.maxPartSize else {
                    throw ShareCoreError(.fileTooLarge, "part \(number) is over the \(Share.maxPartSize)-byte (5 GiB) limit")
                }
            }
            var segments: [PartSegment] = []
            var offset: UInt64 = 0
            for chunk in stored.chunks {
                segments.append(PartSegment(offset: offset, length: UInt32(chunk.length), chunk: chunk.id, chunkOffset: 0))
                offset += UInt64(chunk.length)
            }
            let part = PartDraft(number: number, size: stored.total, md5: stored.md5.finalize(), checksum: checksum?(),
                                 segments: segments, pendingChunks: segments.map(\.chunk))
            return try await store.storePart(share: name, shareId: shareId, upload: id, uploadId: uploadId,
                                             part, pending: pending)
        } catch {
            try? await store.reclaimAbandonedUploads(pending)
            throw error
        }
    }

    /// Makes part `number` of upload `uploadId` from `range` (nil: all) of file `path` of
    /// `source` (any share, live or a snapshot), sharing the source's chunks: no data is
    /// copied. The part's MD5 is computed by reading the range (unavoidable: it is the part's
    /// ETag). A later change of the source does not change the part.
    /// Errors: as ``uploadPart(_:number:from:checksum:)``, plus the source's `resourceNotFound`,
    /// `notAFile`, `shareNotFound`, `snapshotNotFound`, and `invalidRange` for a range past its end.
    public func uploadPartCopy(_ uploadId: String, number: Int, from source: Share, _ path: String,
                               range: Range<UInt64>? = nil) async throws -> UploadedPart {
        try requireLive()
        try Share.validatePartNumber(number)
        let id = try Share.uploadIdBytes(uploadId)
        let sourcePath = try SharePath(path)
        let store = self.store
        let name = self.name
        let pending: UInt64 = try await store.write { txn in try ShareStore.nextCounter(txn, "nextUploadId") }
        do {
            // Take the source's runs and hold their chunks (pending rows) so the source may change meanwhile.
            let taken: TakenRange = try await store.write { txn in
                let upload = try store.uploadRecord(txn.read, share: name, id: id, uploadId: uploadId)
                let view = try store.view(txn.read, share: source.name, snapshot: source.snapshot)
                let node = try view.resolveFile(sourcePath)
                if let lease = source.leaseId {
                    try LeaseMachine.authorize(node.info.lease, leaseId: lease, now: .now(), what: "file '\(sourcePath)'")
                }
                let r = range ?? 0..<node.info.size
                try Share.checkWithin(r, size: node.info.size, path: sourcePath)
                guard UInt64(r.count) <= Share.maxPartSize else {
                    throw ShareCoreError(.fileTooLarge, "part \(number) would be \(r.count) bytes, over the 5 GiB limit")
                }
                var segments: [PartSegment] = []
                if !r.isEmpty {
                    let es = view.extentSize
                    try view.extents(node: node.info.id, from: r.lowerBound / es, through: (r.upperBound - 1) / es) { index, map in
                        let base = index * es
                        for run in map.runs {
                            let start = max(base + UInt64(run.offset), r.lowerBound)
                            let end = min(base + UInt64(run.end), r.upperBound)
                            guard start < end else { continue }
                            segments.append(PartSegment(offset: start - r.lowerBound, length: UInt32(end - start), chunk: run.chunk,
                                                        chunkOffset: run.chunkOffset + UInt32(start - base - UInt64(run.offset))))
                        }
                        return true
                    }
                }
                let chunks = Set(segments.map(\.chunk)).sorted()
                var refs = RefDelta()
                for chunk in chunks {
                    try txn.put(.pending, Key.u64(pending, chunk), [])
                    refs.add(chunk: chunk, +1)
                }
                try refs.apply(txn)
                return TakenRange(shareId: upload.shareId, size: UInt64(r.count), segments: segments, chunks: chunks)
            }
            let md5 = try await store.md5(of: taken.segments, size: taken.size)
            let part = PartDraft(number: number, size: taken.size, md5: md5, checksum: nil,
                                 segments: taken.segments, pendingChunks: taken.chunks)
            return try await store.storePart(share: name, shareId: taken.shareId, upload: id, uploadId: uploadId,
                                             part, pending: pending)
        } catch {
            try? await store.reclaimAbandonedUploads(pending)
            throw error
        }
    }

    /// The upload `uploadId` of this share (`uploadNotFound` when it does not exist).
    public func multipartUpload(_ uploadId: String) async throws -> MultipartUpload {
        let id = try Share.uploadIdBytes(uploadId)
        let name = self.name
        return try store.env.read { txn in
            try store.uploadRecord(txn, share: name, id: id, uploadId: uploadId).record.upload(id: id, share: name)
        }
    }

    /// Parts of upload `uploadId` with numbers above `after`, ascending, at most `maxParts`
    /// (0 or more); `truncated` tells whether more follow.
    public func listParts(_ uploadId: String, after: Int = 0, maxParts: Int = 1000) async throws
        -> (parts: [UploadedPart], truncated: Bool)
    {
        let id = try Share.uploadIdBytes(uploadId)
        guard after >= 0 else { throw ShareCoreError(.invalidArgument, "part number marker \(after) is negative") }
        guard maxParts >= 0 else { throw ShareCoreError(.invalidArgument, "max parts \(maxParts) is negative") }
        let name = self.name
        return try store.env.read { txn in
            let shareId = try store.uploadRecord(txn, share: name, id: id, uploadId: uploadId).shareId
            var parts: [UploadedPart] = []
            var truncated = false
            let from = MultipartKeys.part(shareId, id, min(after, Share.maxPartNumber) + 1)
            try txn.scan(.parts, prefix: MultipartKeys.parts(shareId, id), from: from) { _, v in
                if parts.count == maxParts {
                    truncated = true
                    return false
                }
                parts.append(try PartRecord(v).uploaded)
                return true
            }
            return (parts, truncated)
        }
    }

    /// This share's uploads in progress, ordered by path (UTF-8 bytes), then initiation time, then id.
    public func listMultipartUploads() async throws -> [MultipartUpload] {
        let name = self.name
        return try store.env.read { txn in
            let share = try store.loadShare(txn, name)
            var out: [(key: [UInt8], upload: MultipartUpload)] = []
            try txn.scan(.uploads, prefix: MultipartKeys.uploads(share.id)) { k, v in
                let record = try UploadRecord(v)
                out.append((Array(record.path.utf8), record.upload(id: Array(k[8...]), share: name)))
                return true
            }
            out.sort { a, b in
                if a.key != b.key { return a.key.lexicographicallyPrecedes(b.key) }
                if a.upload.initiated != b.upload.initiated { return a.upload.initiated < b.upload.initiated }
                return a.upload.id < b.upload.id
            }
            return out.map(\.upload)
        }
    }

    /// Completes upload `uploadId`: assembles the listed parts, in order, into its file,
    /// atomically replacing an existing file there (never a directory: `resourceAlreadyExists`);
    /// its parent directories must exist (`parentNotFound`). The file shares the parts' chunks
    /// (no data is copied: this is one short metadata transaction, whatever the size). Parts
    /// not listed are released; the upload is gone afterwards. The file gets the upload's
    /// properties, `objectETag` = `etag`, and no known MD5 (``contentMD5(_:)`` computes it).
    /// - Parameters:
    ///   - uploadId: the upload, as ``createMultipartUpload(_:properties:tag:)`` returned it.
    ///   - parts: part numbers in strictly ascending order (`invalidPartOrder` otherwise), each
    ///     uploaded with that MD5 (`invalidPart` otherwise).
    ///   - etag: the S3 ETag to keep with the file (e.g. `"<md5 of part md5s>-N"`).
    ///   - minimumPartSize: every part but the last must be at least this long (`partTooSmall`).
    ///   - createParents: whether missing parent directories are created in the same transaction.
    /// Nothing changes when it fails.
    @discardableResult
    public func completeMultipartUpload(_ uploadId: String, parts: [(number: Int, md5: [UInt8])], etag: String,
                                        minimumPartSize: UInt64 = 5 << 20, createParents: Bool = false) async throws -> NodeInfo {
        try requireLive()
        let id = try Share.uploadIdBytes(uploadId)
        guard !parts.isEmpty else { throw ShareCoreError(.invalidPart, "a completion must list at least one part") }
        for i in parts.indices.dropFirst() where parts[i].number <= parts[i - 1].number {
            throw ShareCoreError(.invalidPartOrder, "part \(parts[i].number) is listed after part \(parts[i - 1].number); parts must be in ascending order")
        }
        let listed = parts.map { ListedPart(number: $0.number, md5: $0.md5) }
        let leaseId = self.leaseId
        return try await mutate { m in
            guard let raw = try m.txn.get(.uploads, MultipartKeys.upload(m.share.id, id)) else {
                throw ShareCoreError(.uploadNotFound, "upload '\(uploadId)' does not exist in share '\(m.share.name)'")
            }
            let upload = try UploadRecord(raw)
            var records: [PartRecord] = []
            records.reserveCapacity(listed.count)
            for (i, part) in listed.enumerated() {
                guard (1...Share.maxPartNumber).contains(part.number),
                      let raw = try m.txn.get(.parts, MultipartKeys.part(m.share.id, id, part.number))
                else { throw ShareCoreError(.invalidPart, "part \(part.number) of upload '\(uploadId)' was not uploaded") }
                let record = try PartRecord(raw)
                guard record.md5 == part.md5 else {
                    throw ShareCoreError(.invalidPart, "part \(part.number) of upload '\(uploadId)' does not have the ETag given")
                }
                if i < listed.count - 1 && record.size < minimumPartSize {
                    throw ShareCoreError(.partTooSmall, "part \(part.number) has \(record.size) bytes, less than the minimum of \(minimumPartSize)")
                }
                records.append(record)
            }
            let total = records.reduce(UInt64(0)) { $0 + $1.size }
            try Share.validateLength(total)
            let target = try SharePath(upload.path)
            if createParents { try m.createMissingParents(of: target) }
            try m.replaceableFile(at: target, overwrite: true, leaseId: leaseId)
            var node = try m.createNode(at: target, kind: .file, size: total, properties: upload.properties)
            node.md5 = nil
            node.info.objectETag = etag
            node.info.objectParts = records.map(\.size)
            try m.putNode(node)
            try m.assemble(node: node.info.id, parts: records)
            _ = try ShareStore.deleteUpload(m.txn, share: m.share.id, id: id, refs: &m.refs)
            try m.checkQuota()
            return node.info
        }
    }

    /// Aborts upload `uploadId`: its parts are released and the upload is gone
    /// (`uploadNotFound` when it does not exist). A part still streaming fails when it ends.
    public func abortMultipartUpload(_ uploadId: String) async throws {
        try requireLive()
        let id = try Share.uploadIdBytes(uploadId)
        let store = self.store
        let name = self.name
        try await store.write { txn in
            let share = try store.loadShare(txn.read, name)
            var refs = RefDelta()
            guard try ShareStore.deleteUpload(txn, share: share.id, id: id, refs: &refs) else {
                throw ShareCoreError(.uploadNotFound, "upload '\(uploadId)' does not exist in share '\(name)'")
            }
            try refs.apply(txn)
        }
    }

    // MARK: Helpers

    func requireLive() throws(ShareCoreError) {
        if let snapshot {
            throw ShareCoreError(.snapshotReadOnly, "snapshot '\(snapshot)' of share '\(name)' is read-only")
        }
    }

    static func validatePartNumber(_ number: Int) throws(ShareCoreError) {
        guard (1...maxPartNumber).contains(number) else {
            throw ShareCoreError(.invalidArgument, "part number \(number) is outside 1 to \(maxPartNumber)")
        }
    }

    /// The bytes of an upload id; an id this store cannot have issued is `uploadNotFound`.
    static func uploadIdBytes(_ text: String) throws(ShareCoreError) -> [UInt8] {
        guard let id = MultipartKeys.parse(text) else {
            throw ShareCoreError(.uploadNotFound, "upload '\(text)' does not exist")
        }
        return id
    }
}

/// A part listed for completion.
private struct ListedPart: Sendable {
    var number: Int
    var md5: [UInt8]
}

/// A source range taken for a part copy.
private struct TakenRange: Sendable {
    var shareId: UInt64
    var size: UInt64
    var segments: [PartSegment]
    var chunks: [UInt64]
}

/// A part whose chunks are held by pending rows, ready to be stored.
struct PartDraft: Sendable {
    var number: Int
    var size: UInt64
    var md5: [UInt8]
    var checksum: String?
    var segments: [PartSegment]
    /// The chunks with a pending row (each once).
    var pendingChunks: [UInt64]
}

extension UploadRecord {
    func upload(id: [UInt8], share: String) -> MultipartUpload {
        MultipartUpload(id: MultipartKeys.text(id), share: share, path: path, properties: properties,
                        initiated: initiated, tag: tag)
    }
}

extension PartRecord {
    var uploaded: UploadedPart {
        UploadedPart(number: number, size: size, md5: md5, lastModified: lastModified, checksum: checksum)
    }
}

extension ShareStore {
    /// Aborts every upload (of any share) initiated before `date`, releasing its parts;
    /// returns how many were aborted. Cost: one scan of the uploads, then one small write per
    /// batch of uploads. The engine does not call this by itself: the front decides when.
    @discardableResult
    public func reclaimMultipartUploads(initiatedBefore date: FileTime) async throws -> Int {
        let old: [[UInt8]] = try env.read { txn in
            var keys: [[UInt8]] = []
            try txn.scan(.uploads, prefix: []) { k, v in
                if try UploadRecord(v).initiated < date { keys.append(Array(k)) }
                return true
            }
            return keys
        }
        var aborted = 0
        var start = 0
        while start < old.count {
            let batch = Array(old[start..<min(old.count, start + 64)])
            start += batch.count
            aborted += try await write { txn -> Int in
                var refs = RefDelta()
                var count = 0
                for key in batch {
                    guard let raw = try txn.get(.uploads, key), try UploadRecord(raw).initiated < date else { continue }
                    if try ShareStore.deleteUpload(txn, share: key.beUInt64(at: 0), id: Array(key[8...]), refs: &refs) {
                        count += 1
                    }
                }
                try refs.apply(txn)
                return count
            }
        }
        return aborted
    }

    /// The upload record `id` of live share `name`, with the share's id.
    func uploadRecord(_ txn: ReadTxn, share name: String, id: [UInt8], uploadId: String) throws
        -> (shareId: UInt64, record: UploadRecord)
    {
        let share = try loadShare(txn, name)
        guard let raw = try txn.get(.uploads, MultipartKeys.upload(share.id, id)) else {
            throw ShareCoreError(.uploadNotFound, "upload '\(uploadId)' does not exist in share '\(name)'")
        }
        return (share.id, try UploadRecord(raw))
    }

    /// Deletes upload `id` of share `share` and all its parts, releasing one reference per
    /// segment; returns whether the upload existed.
    static func deleteUpload(_ txn: WriteTxn, share: UInt64, id: [UInt8], refs: inout RefDelta) throws -> Bool {
        var parts: [([UInt8], PartRecord)] = []
        try txn.scan(.parts, prefix: MultipartKeys.parts(share, id)) { k, v in
            parts.append((Array(k), try PartRecord(v)))
            return true
        }
        for (key, part) in parts {
            try txn.delete(.parts, key)
            part.addReferences(to: &refs, -1)
        }
        return try txn.delete(.uploads, MultipartKeys.upload(share, id))
    }

    /// Stores `part` for upload `id`, replacing a part of the same number, and moves the
    /// references of its chunks from the pending rows of `pending` to the part's segments.
    func storePart(share name: String, shareId: UInt64, upload id: [UInt8], uploadId: String,
                   _ part: PartDraft, pending: UInt64) async throws -> UploadedPart {
        let state = self.state
        return try await write { [self] txn in
            let share = try loadShare(txn.read, name)
            let uploadKey = MultipartKeys.upload(shareId, id)
            guard share.id == shareId, try txn.get(.uploads, uploadKey) != nil else {
                throw ShareCoreError(.uploadNotFound, "upload '\(uploadId)' does not exist in share '\(name)'")
            }
            let record = PartRecord(number: part.number, size: part.size, md5: part.md5, lastModified: state.now(),
                                    checksum: part.checksum, segments: part.segments)
            var refs = RefDelta()
            let key = MultipartKeys.part(shareId, id, part.number)
            if let old = try txn.get(.parts, key) { try PartRecord(old).addReferences(to: &refs, -1) }
            try txn.put(.parts, key, record.encode())
            record.addReferences(to: &refs, +1)
            for chunk in part.pendingChunks {
                try txn.delete(.pending, Key.u64(pending, chunk))
                refs.add(chunk: chunk, -1)
            }
            try refs.apply(txn)
            return record.uploaded
        }
    }

    /// The MD5 of a part made of `segments` (gaps read as zeros), read in 4 MiB pieces, each
    /// in its own read transaction (the chunks are held by pending rows meanwhile).
    func md5(of segments: [PartSegment], size: UInt64) async throws -> [UInt8] {
        var hash = MD5()
        let piece: UInt64 = 4 << 20
        var position: UInt64 = 0
        var next = 0
        while position < size {
            try Task.checkCancellation()
            let end = min(size, position + piece)
            var buffer = [UInt8](repeating: 0, count: Int(end - position))
            let first = next
            try env.read { txn in
                try buffer.withUnsafeMutableBytes { out in
                    var i = first
                    while i < segments.count, segments[i].offset < end {
                        let s = segments[i]
                        let a = max(s.offset, position)
                        let b = min(s.end, end)
                        if a < b {
                            try Chunks.read(txn, id: s.chunk, offset: Int(s.chunkOffset) + Int(a - s.offset), count: Int(b - a),
                                            into: UnsafeMutableRawBufferPointer(rebasing: out[Int(a - position)..<Int(b - position)]))
                        }
                        i += 1
                    }
                }
            }
            while next < segments.count, segments[next].end <= end { next += 1 }
            hash.update(buffer)
            position = end
            await Task.yield()
        }
        return hash.finalize()
    }
}

extension Mutation {
    /// Writes the extent maps of file `node` from the segments of `parts`, laid end to end:
    /// each segment becomes one run per extent it crosses. An extent that would hold more
    /// than `maxRuns` runs is compacted (touching runs merged into one chunk each) or, when
    /// its runs are separated by holes, materialised into one new chunk.
    mutating func assemble(node: UInt64, parts: [PartRecord]) throws {
        var index: UInt64 = 0
        var runs: [Run] = []
        var base: UInt64 = 0
        for part in parts {
            for segment in part.segments {
                var position = base + segment.offset
                var left = UInt64(segment.length)
                var chunkOffset = segment.chunkOffset
                while left > 0 {
                    let i = position / extentSize
                    let inExtent = position - i * extentSize
                    let take = min(left, extentSize - inExtent)
                    if i != index, !runs.isEmpty {
                        try putAssembled(node: node, index: index, runs)
                        runs.removeAll(keepingCapacity: true)
                    }
                    index = i
                    runs.append(Run(offset: UInt32(inExtent), length: UInt32(take), chunk: segment.chunk, chunkOffset: chunkOffset))
                    position += take
                    left -= take
                    chunkOffset += UInt32(take)
                }
            }
            base += part.size
        }
        if !runs.isEmpty { try putAssembled(node: node, index: index, runs) }
    }

    private mutating func putAssembled(node: UInt64, index: UInt64, _ runs: [Run]) throws {
        var map = ExtentMap(runs: runs)
        if runs.count > maxRuns {
            // Compaction leaves one run per group of touching runs; decide before it stores anything.
            let groups = 1 + zip(runs, runs.dropFirst()).filter { $0.end != $1.offset }.count
            map = groups <= maxRuns ? try compact(map) : try materialise(map)
        }
        try putExtent(node: node, index: index, map, previous: nil)
    }

    /// One run over the span of `map`'s runs, its bytes (holes as zeros) in one new chunk.
    private func materialise(_ map: ExtentMap) throws -> ExtentMap {
        guard let first = map.runs.first, let last = map.runs.last else { return map }
        let length = last.end - first.offset
        var bytes = [UInt8](repeating: 0, count: Int(length))
        try bytes.withUnsafeMutableBytes { buffer in
            for run in map.runs {
                let at = Int(run.offset - first.offset)
                try Chunks.read(txn.read, id: run.chunk, offset: Int(run.chunkOffset), count: Int(run.length),
                                into: UnsafeMutableRawBufferPointer(rebasing: buffer[at..<(at + Int(run.length))]))
            }
        }
        let chunk = try bytes.withUnsafeBytes { try storeChunk($0) }
        return ExtentMap(runs: [Run(offset: first.offset, length: length, chunk: chunk, chunkOffset: 0)])
    }
}
