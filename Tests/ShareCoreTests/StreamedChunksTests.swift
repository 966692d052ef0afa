import Foundation
import Testing
@testable import ShareCore

/// Streamed bodies (whole-file uploads, streamed writes, staged content) store every chunk but
/// the last while they stream and the last with the change that makes them visible: a body of
/// at most one chunk costs one transaction, a longer one one more per chunk before the last,
/// and none leaves `pending` rows or unreferenced chunks behind.
@Suite("Streamed chunks")
struct StreamedChunksTests {
    // Above ChunkBytes.smallLimit, so that bodies pass from the heap array to a ChunkBuffer.
    static let extent = 262_144
    static let table = RecordTable("test.streamed")
    /// Body sizes around the chunk boundaries, with the commits each should take.
    static let sizes: [(bytes: Int, commits: Int)] = [
        (0, 1), (1, 1), (extent - 1, 1), (extent, 1), (extent + 1, 2), (3 * extent, 3), (3 * extent + 5, 4),
    ]

    func setup() async throws -> TempStore {
        let t = try await TempStore.make(extentSize: Self.extent)
        try await t.store.createShare("str")
        return t
    }

    /// The id of the store's last commit.
    func lastCommit(_ store: ShareStore) throws -> Int { try store.env.read { $0.snapshotId } }

    /// `data` in buffers of 30,000 bytes, so chunk boundaries fall inside buffers.
    func body(_ data: [UInt8]) -> ByteChunks {
        ByteChunks(chunks: stride(from: 0, to: data.count, by: 30_000).map { Array(data[$0..<min($0 + 30_000, data.count)]) })
    }

    @Test("an upload takes one commit per chunk, the last with the file")
    func uploads() async throws {
        let t = try await setup()
        let s = t.store.share("str")
        for (i, size) in Self.sizes.enumerated() {
            let data = pattern(size.bytes, seed: UInt64(i + 1))
            let before = try lastCommit(t.store)
            let info = try await s.upload("f\(i)", from: body(data))
            #expect(try lastCommit(t.store) - before == size.commits, "\(size.bytes) bytes")
            #expect(info.size == UInt64(size.bytes))
            #expect(try await s.read("f\(i)") == data)
            #expect(try await s.contentMD5("f\(i)") == MD5.digest(data))
        }
        // Overwriting replaces every chunk of the old file.
        let data = pattern(2 * Self.extent + 9, seed: 99)
        try await s.upload("f5", from: body(data))
        #expect(try await s.read("f5") == data)
        let report = try await t.store.check()
        #expect(report.problems == [])
        // 0 + 1 + 1 + 1 + 2 + 3 + 4 chunks; f5's three replaced by three.
        #expect(report.chunks == 12)
        #expect(try rowCount(t.store, .pending) == 0)
        try await t.finish()
    }

    @Test("a streamed write takes one commit per chunk, the last with the change")
    func streamedWrites() async throws {
        let t = try await setup()
        let s = t.store.share("str")
        for (i, size) in Self.sizes.enumerated() {
            let head = pattern(1_000, seed: 50)
            try await s.upload("w\(i)", from: body(head))
            let data = pattern(size.bytes, seed: UInt64(i + 20))
            let before = try lastCommit(t.store)
            let info = try await s.write("w\(i)", at: 500, from: body(data), length: .keepOrGrow)
            #expect(try lastCommit(t.store) - before == size.commits, "\(size.bytes) bytes")
            var expected = head
            if 500 + data.count > expected.count { expected += [UInt8](repeating: 0, count: 500 + data.count - expected.count) }
            expected.replaceSubrange(500..<(500 + data.count), with: data)
            #expect(info.size == UInt64(expected.count))
            #expect(try await s.read("w\(i)") == expected)
        }
        #expect(try await t.store.check().problems == [])
        #expect(try rowCount(t.store, .pending) == 0)
        try await t.finish()
    }

    @Test("staged content takes one commit per chunk, the last with the record")
    func staging() async throws {
        let t = try await setup()
        try await t.store.writeRecords { w in try w.put(Self.table, Array("r".utf8), [1], owner: "str") }
        for (i, size) in Self.sizes.enumerated() {
            let data = pattern(size.bytes, seed: UInt64(i + 40))
            let before = try lastCommit(t.store)
            let staged = try await t.store.stage(Self.table, record: Array("r".utf8), key: [UInt8(i)], from: body(data))
            #expect(try lastCommit(t.store) - before == size.commits, "\(size.bytes) bytes")
            #expect(staged.size == UInt64(size.bytes) && staged.md5 == MD5.digest(data))
        }
        let s = t.store.share("str")
        let keys = Self.sizes.indices.map { [UInt8($0)] }
        _ = try await s.commitStaged(Self.table, record: Array("r".utf8), keys: keys, to: "joined")
        let all = Self.sizes.enumerated().flatMap { pattern($1.bytes, seed: UInt64($0 + 40)) }
        #expect(try await s.read("joined") == all)
        #expect(try await t.store.check().problems == [])
        #expect(try rowCount(t.store, .pending) == 0)
        try await t.finish()
    }

    @Test("a body refused after its first chunks leaves nothing, however it ends")
    func refusals() async throws {
        let t = try await setup()
        let s = t.store.share("str")
        try await t.store.writeRecords { w in try w.put(Self.table, Array("r".utf8), [1], owner: "str") }
        let data = pattern(3 * Self.extent + 5, seed: 7)
        // Too long for the staging limit: refused while streaming, after two chunks were stored.
        await expectError(.fileTooLarge) {
            _ = try await t.store.stage(Self.table, record: Array("r".utf8), key: [1], from: body(data),
                                        maxSize: UInt64(2 * Self.extent + 1))
        }
        // Refused by the final change (an existing file, no overwrite), after three chunks were stored.
        try await s.upload("taken", from: body([1, 2, 3]))
        let (stream, feed) = AsyncStream<[UInt8]>.makeStream()
        let upload = Task { try await s.upload("late", from: stream, overwrite: false) }
        feed.yield(data)
        while try rowCount(t.store, .pending) < 3 { try await Task.sleep(for: .milliseconds(2)) }
        try await s.upload("late", from: body([9]))
        feed.finish()
        await expectError(.resourceAlreadyExists) { _ = try await upload.value }
        // A streamed write announcing more than it sends.
        await expectError(.invalidRange) {
            try await s.write("taken", at: 0, from: body(data), length: .keepOrGrow, expectedCount: UInt64(data.count + 1))
        }
        #expect(try await s.read("late") == [9])
        #expect(try await s.read("taken") == [1, 2, 3])
        let report = try await t.store.check()
        #expect(report.problems == [])
        #expect(report.chunks == 2)
        #expect(try rowCount(t.store, .pending) == 0)
        try await t.finish()
    }

    @Test("chunk bytes keep their order from the heap array into a chunk buffer, and are reused")
    func chunkBytes() throws {
        let chunk = 1 << 20
        let data = pattern(chunk, seed: 3)
        var bytes = ChunkBytes()
        // Contiguous pieces, a piece that crosses the heap array's limit, and pieces without
        // contiguous storage (a lazily mapped collection).
        bytes.append(data[0..<40_000], chunkSize: chunk)
        bytes.append(data[40_000..<100_000], chunkSize: chunk)
        bytes.append(data[100_000..<200_000].lazy.map { $0 }, chunkSize: chunk)
        bytes.append(data[200_000...], chunkSize: chunk)
        #expect(bytes.count == chunk)
        #expect(bytes.withUnsafeBytes { Array($0) } == data)
        bytes.removeAll()
        #expect(bytes.isEmpty)
        bytes.append(data[5...9], chunkSize: chunk)
        #expect(bytes.withUnsafeBytes { Array($0) } == Array(data[5...9]))
        let buffer = try #require(ChunkBuffer(capacity: 3 << 20))
        buffer.append(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(buffer.isEmpty && buffer.capacity == 3 << 20)
    }

    @Test("a chunk buffer's mapping is kept for the next buffer, a bounded number of them, until released")
    func chunkBufferReuse() throws {
        let pool = ChunkBufferPool(limit: 3)
        let capacity = 3 << 20
        do {
            var buffers: [ChunkBuffer] = []
            for seed in 0..<5 {
                let buffer = try #require(ChunkBuffer(capacity: capacity, pool: pool))
                pattern(capacity, seed: UInt64(seed)).withUnsafeBytes { buffer.append($0) }
                buffers.append(buffer)
            }
            #expect(pool.count == 0)
        }
        #expect(pool.count == 3)
        // Only a mapping of the same capacity is reused.
        let other = try #require(ChunkBuffer(capacity: 1 << 20, pool: pool))
        #expect(pool.count == 3 && other.isEmpty)
        // A reused mapping starts empty and shows only what is appended to it.
        let reused = try #require(ChunkBuffer(capacity: capacity, pool: pool))
        #expect(pool.count == 2)
        #expect(reused.isEmpty && reused.capacity == capacity)
        let data = pattern(100_000, seed: 9)
        data.withUnsafeBytes { reused.append($0) }
        #expect(reused.withUnsafeBytes { Array($0) } == data)
        pool.releaseAll()
        #expect(pool.count == 0)
    }
}
