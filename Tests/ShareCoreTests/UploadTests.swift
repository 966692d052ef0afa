import Foundation
import Testing
@testable import ShareCore

private let MiB = 1024 * 1024

/// A thread-safe counter.
private final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func bump() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    /// Waits until the count reaches `target`. No deadline: a machine under load may be slow,
    /// and a real hang is caught by the suite's time limit.
    func wait(for target: Int) async throws {
        while value < target {
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// A byte stream that counts how often the consumer asked for the next buffer.
private struct ProbedStream: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let stream: AsyncThrowingStream<[UInt8], any Error>
    let pulls: Tally

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<[UInt8], any Error>.Iterator
        let pulls: Tally

        mutating func next() async throws -> [UInt8]? {
            pulls.bump()
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), pulls: pulls)
    }

    /// A probed stream and the continuation that feeds it.
    static func make() -> (ProbedStream, AsyncThrowingStream<[UInt8], any Error>.Continuation, Tally) {
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let pulls = Tally()
        return (ProbedStream(stream: stream, pulls: pulls), continuation, pulls)
    }
}

/// `data` cut into buffers of the given sizes, cycling through them.
private func pieces(_ data: [UInt8], sizes: [Int]) -> [[UInt8]] {
    var out: [[UInt8]] = []
    var offset = 0
    var i = 0
    while offset < data.count {
        let n = min(sizes[i % sizes.count], data.count - offset)
        out.append(Array(data[offset..<(offset + n)]))
        offset += n
        i += 1
    }
    return out
}

private func stream(_ buffers: [[UInt8]]) -> AsyncStream<[UInt8]> {
    AsyncStream { continuation in
        for b in buffers { continuation.yield(b) }
        continuation.finish()
    }
}

private struct StreamBroke: Error {}

private func setup(extentSize: Int = ShareStore.maxRangeBytes) async throws -> (TempStore, Share) {
    let t = try await TempStore.make(extentSize: extentSize)
    try await t.store.createShare("upl")
    return (t, t.store.share("upl"))
}

@Suite(.timeLimit(.minutes(5))) struct UploadTests {
    static let oddSizes = [1, 7, MiB + 3, 65_536, 12_345, 3, 2 * MiB - 1, 100_000]

    @Test func oddSizedBuffersMakeAMultiExtentFile() async throws {
        let (t, s) = try await setup()
        try await s.createDirectory("dir")
        let data = pattern(10 * MiB + 17, seed: 1)
        let info = try await s.upload("dir/big.bin", from: stream(pieces(data, sizes: Self.oddSizes)))
        #expect(info.size == UInt64(data.count))
        #expect(try await s.info("dir/big.bin").size == UInt64(data.count))
        #expect(try await s.read("dir/big.bin") == data)
        #expect(try await s.read("dir/big.bin", range: UInt64(4 * MiB - 5)..<UInt64(8 * MiB + 5)) == Array(data[(4 * MiB - 5)..<(8 * MiB + 5)]))
        #expect(try await s.ranges("dir/big.bin") == [0..<UInt64(data.count)])
        #expect(try await t.store.shareStats("upl") == ShareStats(usedBytes: UInt64(data.count), nodeCount: 2))
        // Ranges can be rewritten afterwards like any file.
        try await s.write("dir/big.bin", at: UInt64(4 * MiB - 1), [1, 2])
        var changed = data
        changed[4 * MiB - 1] = 1
        changed[4 * MiB] = 2
        #expect(try await s.read("dir/big.bin") == changed)
        try await t.finish()
    }

    @Test func oddSizedBuffersWithSmallExtents() async throws {
        let (t, s) = try await setup(extentSize: 65536)
        let data = pattern(3 * MiB + 12_345, seed: 2)
        try await s.upload("f", from: stream(pieces(data, sizes: [1, 7, 65_537, 3, 65_535, 200_001, 9])))
        #expect(try await s.read("f") == data)
        #expect(try await s.ranges("f") == [0..<UInt64(data.count)])
        #expect(try await s.ranges("f", within: 65_530..<65_540) == [65_530..<65_540])
        #expect(try await t.store.shareStats("upl").usedBytes == UInt64(data.count))
        // Slices and other collections of bytes work too.
        let slices = AsyncStream<ArraySlice<UInt8>> { c in
            c.yield(data[0..<10])
            c.yield(data[10..<70_000])
            c.finish()
        }
        try await s.upload("g", from: slices)
        #expect(try await s.read("g") == Array(data[0..<70_000]))
        try await t.finish()
    }

    @Test func fileIsInvisibleUntilTheStreamEnds() async throws {
        let (t, s) = try await setup(extentSize: 65536)
        try await s.createFile("replace.bin", length: 3)
        try await s.write("replace.bin", at: 0, [1, 2, 3])
        let first = pattern(200_000, seed: 3)
        let second = pattern(50_001, seed: 4)

        for path in ["new.bin", "replace.bin"] {
            let (probe, feed, pulls) = ProbedStream.make()
            let upload = Task { try await s.upload(path, from: probe) }
            feed.yield(first)
            // Once the uploader asks for a second buffer it has stored the first one's chunks.
            try await pulls.wait(for: 2)
            let chunksDuring = try await t.store.check().chunks
            #expect(chunksDuring >= 3)
            #expect(try await t.store.check().problems == [])
            if path == "new.bin" {
                #expect(try await s.exists(path) == false)
                await expectError(.resourceNotFound) { try await s.read(path) }
            } else {
                #expect(try await s.read(path) == [1, 2, 3])
            }
            #expect(try await s.list().entries.map(\.name).contains("new.bin") == (path != "new.bin"))
            feed.yield(second)
            feed.finish()
            let info = try await upload.value
            #expect(info.size == 250_001)
            #expect(try await s.read(path) == first + second)
        }
        #expect(try await t.store.shareStats("upl") == ShareStats(usedBytes: 500_002, nodeCount: 2))
        try await t.finish()
    }

    @Test func aStreamThatThrowsLeavesNothing() async throws {
        let (t, s) = try await setup(extentSize: 65536)
        try await s.createFile("existing", length: 4)
        try await s.write("existing", at: 0, [4, 3, 2, 1])
        let chunksBefore = try await t.store.check().chunks
        let statsBefore = try await t.store.shareStats("upl")

        for path in ["fresh", "existing"] {
            let (probe, feed, pulls) = ProbedStream.make()
            let upload = Task { try await s.upload(path, from: probe) }
            feed.yield(pattern(300_000, seed: 5))
            try await pulls.wait(for: 2)
            feed.yield(pattern(10, seed: 6))
            feed.finish(throwing: StreamBroke())
            do {
                _ = try await upload.value
                Issue.record("the upload should have failed")
            } catch {
                #expect(error is StreamBroke, "\(error)")
            }
            let report = try await t.store.check()
            #expect(report.problems == [])
            #expect(report.chunks == chunksBefore, "the stored chunks are reclaimed")
        }
        #expect(try await s.exists("fresh") == false)
        #expect(try await s.read("existing") == [4, 3, 2, 1])
        #expect(try await t.store.shareStats("upl") == statsBefore)
        let pending = try t.store.env.read { txn in
            var count = 0
            try txn.scan(.pending, prefix: []) { _, _ in
                count += 1
                return true
            }
            return count
        }
        #expect(pending == 0)
        try await t.finish()
    }

    @Test func aCancelledUploadLeavesNothing() async throws {
        let (t, s) = try await setup(extentSize: 65536)
        let (probe, feed, pulls) = ProbedStream.make()
        let upload = Task { try await s.upload("cancelled", from: probe) }
        feed.yield(pattern(200_000, seed: 7))
        try await pulls.wait(for: 2)
        upload.cancel()
        do {
            _ = try await upload.value
            Issue.record("the upload should have failed")
        } catch {
            #expect(error is CancellationError, "\(error)")
        }
        feed.finish()
        #expect(try await s.exists("cancelled") == false)
        let report = try await t.store.check()
        #expect(report.problems == [])
        #expect(report.chunks == 0)
        try await t.finish()
    }

    @Test func targetErrorsComeBeforeReadingTheStream() async throws {
        let (t, s) = try await setup()
        try await s.createFile("taken", length: 2)
        try await s.write("taken", at: 0, [7, 7])
        try await s.createDirectory("dir")
        let snap = try await t.store.createSnapshot(of: "upl")
        let cases: [(ShareCoreError.Code, Share, String, Bool)] = [
            (.resourceAlreadyExists, s, "taken", false),
            (.resourceAlreadyExists, s, "TAKEN", false),
            (.resourceAlreadyExists, s, "dir", true),
            (.parentNotFound, s, "nodir/f", true),
            (.notADirectory, s, "taken/f", true),
            (.notAFile, s, "", true),
            (.invalidName, s, "a<b", true),
            (.snapshotReadOnly, t.store.share("upl", snapshot: snap.name), "new", true),
            (.shareNotFound, t.store.share("nosuch"), "new", true),
        ]
        for (code, share, path, overwrite) in cases {
            let (probe, feed, pulls) = ProbedStream.make()
            feed.yield([1, 2, 3])
            feed.finish()
            await expectError(code) { try await share.upload(path, from: probe, overwrite: overwrite) }
            #expect(pulls.value == 0, "\(path): the stream must not be read")
        }
        #expect(try await s.read("taken") == [7, 7])
        #expect(try await s.info("dir").kind == .directory)
        #expect(try await t.store.check().chunks == 1)
        try await t.finish()
    }

    @Test func closingTheStoreMidUploadIsRecoveredOnReopen() async throws {
        let (t, s) = try await setup(extentSize: 65536)
        let (probe, feed, pulls) = ProbedStream.make()
        let upload = Task { try await s.upload("f", from: probe) }
        feed.yield(pattern(300_000, seed: 16))
        try await pulls.wait(for: 2)
        await t.store.close()
        feed.yield(pattern(100_000, seed: 17))
        feed.finish()
        await expectError(.closed) { try await upload.value }
        // The chunks stored before the close are reclaimed when the store next opens.
        let store = try await t.reopen()
        let report = try await store.check()
        #expect(report.problems == [])
        #expect(report.chunks == 0)
        #expect(try await store.share("upl").exists("f") == false)
        try await t.finish(store)
    }

    @Test func targetChangingWhileStreamingFailsCleanly() async throws {
        let (t, s) = try await setup(extentSize: 65536)
        try await s.createDirectory("dir")
        // The parent disappears while the upload streams.
        do {
            let (probe, feed, pulls) = ProbedStream.make()
            let upload = Task { try await s.upload("dir/f", from: probe) }
            feed.yield(pattern(100_000, seed: 8))
            try await pulls.wait(for: 2)
            try await s.deleteDirectory("dir")
            feed.finish()
            await expectError(.parentNotFound) { try await upload.value }
        }
        // Someone else creates the file while a no-overwrite upload streams.
        do {
            let (probe, feed, pulls) = ProbedStream.make()
            let upload = Task { try await s.upload("g", from: probe, overwrite: false) }
            feed.yield(pattern(100_000, seed: 9))
            try await pulls.wait(for: 2)
            try await s.createFile("g", length: 1)
            feed.finish()
            await expectError(.resourceAlreadyExists) { try await upload.value }
            #expect(try await s.read("g") == [0])
        }
        let report = try await t.store.check()
        #expect(report.problems == [])
        #expect(report.chunks == 0)
        try await t.finish()
    }

    @Test func finalizeSetsProperties() async throws {
        let (t, s) = try await setup()
        let data = pattern(5 * MiB + 1, seed: 10)
        let digest = (0..<16).map { UInt8($0 * 3) }
        let seen = Tally()
        let info = try await s.upload("f", from: stream(pieces(data, sizes: [MiB - 1])),
                                      properties: NodeProperties(metadata: ["by": "upload"]),
                                      finalize: { length in
            #expect(length == UInt64(5 * MiB + 1))
            seen.bump()
            return NodeProperties(contentHeaders: ContentHeaders(contentType: "application/octet-stream", contentMD5: digest))
        })
        #expect(seen.value == 1)
        #expect(info.contentHeaders.contentMD5 == digest)
        #expect(info.contentHeaders.contentType == "application/octet-stream")
        #expect(info.metadata == ["by": "upload"])
        #expect(try await s.info("f") == info)
        #expect(try await s.read("f") == data)

        // Properties without finalize; finalize returning nil changes nothing.
        let plain = try await s.upload("g", from: stream([[1]]), properties: NodeProperties(
            contentHeaders: ContentHeaders(contentType: "text/plain")), finalize: { _ in nil })
        #expect(plain.contentHeaders == ContentHeaders(contentType: "text/plain"))
        #expect(plain.smb.attributes == .archive)

        // Invalid metadata from finalize is refused like any other input, leaving nothing behind.
        let chunks = try await t.store.check().chunks
        await expectError(.invalidMetadata) {
            try await s.upload("bad", from: stream([pattern(100, seed: 1)]), finalize: { _ in
                NodeProperties(metadata: Metadata(trusted: [("not a token", "x")]))
            })
        }
        #expect(try await s.exists("bad") == false)
        #expect(try await t.store.check().chunks == chunks)
        try await t.finish()
    }

    @Test func emptyStreamMakesAnEmptyFile() async throws {
        let (t, s) = try await setup()
        let info = try await s.upload("empty", from: stream([]))
        #expect(info.size == 0)
        #expect(try await s.read("empty") == [])
        #expect(try await s.ranges("empty") == [])
        // Empty buffers are fine too; an empty upload replaces an existing file.
        try await s.createFile("full", length: 3)
        try await s.write("full", at: 0, [1, 2, 3])
        let replaced = try await s.upload("full", from: stream([[], [], []]))
        #expect(replaced.size == 0)
        #expect(try await s.read("full") == [])
        #expect(try await t.store.shareStats("upl") == ShareStats(usedBytes: 0, nodeCount: 2))
        #expect(try await t.store.check().chunks == 0)
        try await t.finish()
    }

    @Test func overwritingReleasesTheOldContent() async throws {
        let (t, s) = try await setup(extentSize: 65536)
        try await s.upload("f", from: stream(pieces(pattern(500_000, seed: 11), sizes: [77_777])))
        let replaced = try await s.upload("f", from: stream([pattern(1000, seed: 12)]))
        #expect(replaced.size == 1000)
        #expect(try await s.read("f") == pattern(1000, seed: 12))
        #expect(try await t.store.shareStats("upl") == ShareStats(usedBytes: 1000, nodeCount: 1))
        #expect(try await t.store.check().chunks == 1)
        try await t.finish()
    }

    @Test func uploadsCountAgainstTheQuota() async throws {
        let (t, s) = try await setup()
        try await t.store.setShareProperties("upl", ShareUpdate(quotaGiB: 1))
        // Fill 1 GiB minus 10 bytes without storing a GiB: copies share chunks but count.
        try await s.upload("f0", from: stream([pattern(4 * MiB, seed: 13)]))
        for i in 1..<255 { try await s.copy(from: s, "f0", to: "f\(i)") }
        try await s.upload("last", from: stream([pattern(4 * MiB - 10, seed: 14)]))
        #expect(try await t.store.shareStats("upl").usedBytes == (1 << 30) - 10)
        let chunks = try await t.store.check().chunks

        await expectError(.shareQuotaExceeded) { try await s.upload("over", from: stream([pattern(11, seed: 15)])) }
        #expect(try await s.exists("over") == false)
        #expect(try await t.store.check().chunks == chunks)
        try await s.upload("fits", from: stream([pattern(10, seed: 15)]))
        #expect(try await t.store.shareStats("upl").usedBytes == 1 << 30)
        try await t.finish()
    }
}
