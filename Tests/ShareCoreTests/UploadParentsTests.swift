import Foundation
import Testing
@testable import ShareCore

/// Uploads that create their missing parent directories do so in the transaction that makes
/// the file appear (issue #10, item 5: S3 PUTs under new prefixes created the directories
/// first, so they showed as empty while the body streamed and stayed after a failure).
@Suite struct UploadParentsTests {
    @Test func parentsAppearWithTheFileNotBefore() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let (taken, tookFirst) = AsyncStream<Void>.makeStream()
        let upload = Task { try await docs.upload("a1/b1/c1/file", from: Announcing(base: stream, taken: tookFirst), createParents: true) }
        continuation.yield(pattern(5 << 20, seed: 1))
        // Once the upload has taken the first piece (and asks for the next), nothing is visible yet.
        var waiting = taken.makeAsyncIterator()
        _ = await waiting.next()
        _ = await waiting.next()
        await expectError(.resourceNotFound) { try await docs.info("a1") }
        #expect(try await docs.list("").entries.isEmpty)
        continuation.yield([1, 2, 3])
        continuation.finish()
        let info = try await upload.value
        #expect(info.size == (5 << 20) + 3)
        #expect(try await docs.info("a1").isDirectory)
        #expect(try await docs.info("a1/b1/c1").isDirectory)
        #expect(try await docs.read("a1/b1/c1/file", range: (5 << 20)..<((5 << 20) + 3)) == [1, 2, 3])
        try await t.finish()
    }

    @Test func aFailedUploadLeavesNoParents() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createDirectory("a1")
        struct Aborted: Error {}
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        continuation.yield(pattern(100_000, seed: 2))
        continuation.finish(throwing: Aborted())
        await #expect(throws: Aborted.self) { try await docs.upload("a1/b1/c1/file", from: stream, createParents: true) }
        #expect(try await docs.list("a1").entries.isEmpty)
        try await t.finish()
    }

    @Test func aFileInTheWayIsRefused() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("a1", length: 0)
        await expectError(.notADirectory) {
            try await docs.upload("a1/b1/file", from: AsyncStream<[UInt8]> { $0.yield([1]); $0.finish() }, createParents: true)
        }
        #expect(try await docs.info("a1").isDirectory == false)
        try await t.finish()
    }

    @Test func multipartCompletionAndCopyCreateParentsInTheirTransaction() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.upload("src", from: AsyncStream<[UInt8]> { $0.yield([7, 7, 7]); $0.finish() })
        var options = CopyOptions()
        options.createParents = true
        try await docs.copy(from: docs, "src", to: "x/y/copy", options: options)
        #expect(try await docs.read("x/y/copy") == [7, 7, 7])
        await expectError(.parentNotFound) { try await docs.copy(from: docs, "src", to: "p/q/copy") }
        await expectError(.resourceNotFound) { try await docs.info("p") }
        try await t.finish()
    }
}

/// Passes `base` through and yields to `taken` each time the reader asks for an element.
private struct Announcing: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let base: AsyncThrowingStream<[UInt8], any Error>
    let taken: AsyncStream<Void>.Continuation

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        let taken: AsyncStream<Void>.Continuation
        mutating func next() async throws -> [UInt8]? {
            taken.yield()
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), taken: taken) }
}
