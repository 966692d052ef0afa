/// A body stored as chunks while it streamed in: what a whole-file upload and a multipart part
/// do with their content before making it visible.
struct StreamedChunks {
    /// The chunks, in order, each held by a `pending` row of the stream's upload.
    var chunks: [(id: UInt64, length: Int)] = []
    /// Bytes read.
    var total: UInt64 = 0
    /// The MD5 of those bytes.
    var md5 = MD5()
}

extension ShareStore {
    /// Reads `content` to its end and stores it in extent-sized chunks (sealed with `sealing`,
    /// if any), one write each, held by `pending` rows of upload `upload` (so a crash or a
    /// throw reclaims them). `check` sees the running total after each piece and throws to
    /// refuse a body that grew too large.
    func storeStream<S: AsyncSequence>(_ content: S, upload: UInt64, sealing: ChunkSealing? = nil,
                                       check: (UInt64) throws -> Void) async throws -> StreamedChunks
    where S.Element: Collection, S.Element.Element == UInt8 {
        let chunkSize = Int(extentSize)
        var stored = StreamedChunks()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunkSize)
        func flush() async throws {
            guard !buffer.isEmpty else { return }
            stored.md5.update(buffer)
            let id = try await storePendingChunk(buffer, upload: upload, sealing: sealing)
            stored.chunks.append((id, buffer.count))
            buffer.removeAll(keepingCapacity: true)
        }
        for try await piece in content {
            try Task.checkCancellation()
            var rest = piece[...]
            while !rest.isEmpty {
                let take = min(chunkSize - buffer.count, rest.count)
                let end = rest.index(rest.startIndex, offsetBy: take)
                buffer.append(contentsOf: rest[rest.startIndex..<end])
                rest = rest[end...]
                stored.total += UInt64(take)
                try check(stored.total)
                if buffer.count == chunkSize { try await flush() }
            }
        }
        try Task.checkCancellation()
        try await flush()
        return stored
    }

    /// Stores `bytes` as a new chunk held by a `pending` row of upload `upload` (one reference).
    func storePendingChunk(_ bytes: [UInt8], upload: UInt64, sealing: ChunkSealing?) async throws -> UInt64 {
        let state = self.state
        return try await write { txn in
            let id = state.allocateChunk()
            try bytes.withUnsafeBytes { try Chunks.put(txn, id: id, bytes: $0, sealing: sealing) }
            try txn.put(.pending, Key.u64(upload, id), [])
            try txn.put(.refs, Chunks.key(id), Key.u64(1))
            return id
        }
    }
}
