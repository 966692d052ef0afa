import Crypto
import Foundation
import Testing
@testable import ShareCore

/// `contentMD5(_:hashingAtMost:)`: what a request may ask for without costing work in
/// proportion to a file's size (issue #10, item 2: an S3 HEAD of a 4 TiB sparse file hashed
/// 4 TiB of zeros).
@Suite struct ContentMD5LimitTests {
    @Test func aHugeSparseFileIsNotHashed() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("huge", length: 4 << 40)
        try await docs.write("huge", at: 1 << 40, [1, 2, 3])
        #expect(try await docs.contentMD5("huge", hashingAtMost: 16 << 20) == nil)
        // Nothing was kept: the file's running MD5 still covers nothing.
        #expect(try docs.runningMD5("huge")?.count ?? 0 == 0)
        try await t.finish()
    }

    @Test func aFileWithinTheLimitIsHashedAndKept() async throws {
        let (t, docs) = try await TempStore.withShare()
        let bytes = pattern(3 << 20, seed: 5)
        try await docs.createFile("small", length: UInt64(bytes.count))
        try await docs.write("small", at: 1 << 20, Array(bytes[(1 << 20)...]))
        try await docs.write("small", at: 0, Array(bytes[..<(1 << 20)]))
        let expected = Array(Insecure.MD5.hash(data: bytes))
        #expect(try await docs.contentMD5("small", hashingAtMost: 3 << 20) == expected)
        #expect(try docs.runningMD5("small")?.count == UInt64(bytes.count))
        // Complete now: any limit answers at once.
        #expect(try await docs.contentMD5("small", hashingAtMost: 0) == expected)
        try await t.finish()
    }

    @Test func hashingStopsWhenTheTaskIsCancelled() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("big", length: 1 << 40)
        try await docs.write("big", at: 0, [1])
        let task = Task { try await docs.contentMD5("big") }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        try await t.finish()
    }
}
