/// A body read from a stream for a whole-file upload, a streamed write or staged content: the
/// chunks stored while it streamed in, and its last bytes, kept for the caller's final change.
///
/// A body of at most one chunk (every small PUT) is therefore stored by that one final change
/// alone: no transaction of its own, no `pending` rows, no upload id. Only the chunks before
/// the last, which must leave memory while the rest streams in, are stored ahead, each held by
/// a `pending` row of the stream's upload (so a crash or a throw reclaims them).
struct StreamedChunks {
    /// The chunks stored ahead, in order, each held by a `pending` row of `upload`.
    var chunks: [(id: UInt64, length: Int)] = []
    /// The upload whose `pending` rows hold `chunks`; nil when none were stored.
    var upload: UInt64?
    /// The body's last bytes (at most one chunk, empty only for an empty body), stored by
    /// nobody yet: the caller stores them in its final transaction (``Mutation/storeChunk(_:sealing:)``).
    var last = ChunkBytes()
    /// Bytes read.
    var total: UInt64 = 0
    /// The MD5 of those bytes.
    var md5 = MD5()
}

extension ShareStore {
    /// Reads `content` to its end, storing every extent-sized chunk but the last (sealed with
    /// `sealing`, if any) as soon as the bytes after it arrive, one write each, held by
    /// `pending` rows of an upload allocated with the first (see ``StreamedChunks``). `check`
    /// sees the running total after each piece and throws to refuse a body that grew too
    /// large. If reading or storing throws, what was stored is reclaimed before the error is
    /// rethrown; once this returns, the caller reclaims `upload` if its final change fails.
    func storeStream<S: AsyncSequence>(_ content: S, sealing: ChunkSealing? = nil,
                                       check: (UInt64) throws -> Void) async throws -> StreamedChunks
    where S.Element: Collection, S.Element.Element == UInt8 {
        let chunkSize = Int(extentSize)
        var stored = StreamedChunks()
        var buffer = ChunkBytes()
        do {
            for try await piece in content {
                try Task.checkCancellation()
                var rest = piece[...]
                while !rest.isEmpty {
                    if buffer.count == chunkSize {
                        // More bytes follow a full chunk: it is not the last, store it now.
                        buffer.withUnsafeBytes { stored.md5.update($0) }
                        let (upload, id) = try await storePendingChunk(buffer, upload: stored.upload, sealing: sealing)
                        stored.upload = upload
                        stored.chunks.append((id, buffer.count))
                        buffer.removeAll()
                    }
                    let take = min(chunkSize - buffer.count, rest.count)
                    let end = rest.index(rest.startIndex, offsetBy: take)
                    buffer.append(rest[rest.startIndex..<end], chunkSize: chunkSize)
                    rest = rest[end...]
                    stored.total += UInt64(take)
                    try check(stored.total)
                }
            }
            try Task.checkCancellation()
        } catch {
            if let upload = stored.upload { try? await reclaimAbandonedUploads(upload) }
            throw error
        }
        buffer.withUnsafeBytes { stored.md5.update($0) }
        stored.last = buffer
        return stored
    }

    /// Stores `bytes` as a new chunk held by a `pending` row (one reference) of upload `upload`,
    /// or of a new upload allocated in the same transaction when `upload` is nil; returns the
    /// upload and the chunk.
    private func storePendingChunk(_ bytes: ChunkBytes, upload: UInt64?,
                                   sealing: ChunkSealing?) async throws -> (upload: UInt64, chunk: UInt64) {
        let state = self.state
        return try await write { txn in
            let upload = try upload ?? ShareStore.nextCounter(txn, "nextUploadId")
            let id = state.allocateChunk()
            try bytes.withUnsafeBytes { try Chunks.put(txn, id: id, bytes: $0, sealing: sealing) }
            try txn.put(.pending, Key.u64(upload, id), [])
            try txn.put(.refs, Chunks.key(id), Key.u64(1))
            return (upload, id)
        }
    }
}

/// Bytes gathered for one chunk: in a heap array while they fit in 64 KiB (every small body),
/// then in a ``ChunkBuffer`` of a whole chunk (a larger body, whose buffer is reused for each of
/// its chunks). Reserving a whole chunk for every small body made each a fresh 4 MiB mapping,
/// faulted in and unmapped per request.
struct ChunkBytes: Sendable {
    /// What the heap array holds at most.
    static let smallLimit = 64 * 1024
    private var small: [UInt8] = []
    private var large: ChunkBuffer?

    init() {}

    var count: Int { large?.count ?? small.count }
    var isEmpty: Bool { count == 0 }

    /// Appends `bytes`; `count + bytes.count` must be at most `chunkSize`.
    mutating func append<C: Collection>(_ bytes: C, chunkSize: Int) where C.Element == UInt8 {
        if large == nil, small.count + bytes.count > Self.smallLimit, let buffer = ChunkBuffer(capacity: chunkSize) {
            small.withUnsafeBytes { buffer.append($0) }
            small = []
            large = buffer
        }
        guard let large else {
            small.append(contentsOf: bytes)
            return
        }
        let appended: Void? = bytes.withContiguousStorageIfAvailable { large.append(UnsafeRawBufferPointer($0)) }
        if appended == nil { Array(bytes).withUnsafeBytes { large.append($0) } }
    }

    /// Forgets the bytes held, keeping the storage for the next chunk.
    mutating func removeAll() {
        if let large { large.removeAll() } else { small.removeAll(keepingCapacity: true) }
    }

    /// Calls `body` with the bytes held.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let large { return try large.withUnsafeBytes(body) }
        return try small.withUnsafeBytes(body)
    }
}
