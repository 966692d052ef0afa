import Foundation
import Testing
@testable import ShareCore

/// Pieces of a body, as a request body arrives.
struct Pieces: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let parts: [[UInt8]]
    var failAfter: Int? = nil
    struct Boom: Error {}
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(parts: parts, failAfter: failAfter) }
    struct AsyncIterator: AsyncIteratorProtocol {
        var parts: [[UInt8]]
        var failAfter: Int?
        var index = 0
        mutating func next() async throws -> [UInt8]? {
            if let failAfter, index == failAfter { throw Boom() }
            guard index < parts.count else { return nil }
            defer { index += 1 }
            return parts[index]
        }
    }
}

@Suite struct StreamedWriteTests {
    @Test func writesAtOffsetsWithEachLengthRule() async throws {
        let t = try await TempStore.make(extentSize: 4096)
        _ = try await t.store.createShare("sss")
        let share = t.store.share("sss")
        try await share.createFile("f")
        let a = (0..<10_000).map { UInt8($0 % 251) }
        try await share.write("f", at: 0, from: Pieces(parts: [Array(a[0..<7]), Array(a[7..<5000]), Array(a[5000...])]), length: .keepOrGrow)
        #expect(try await share.read("f") == a)
        // Overwrite in the middle keeps the length.
        try await share.write("f", at: 4090, from: Pieces(parts: [Array(repeating: 9, count: 20)]), length: .keepOrGrow)
        var expected = a
        expected[4090..<4110] = ArraySlice(repeating: 9, count: 20)
        #expect(try await share.read("f") == expected)
        // The last chunk sets the total: truncated here.
        try await share.write("f", at: 5000, from: Pieces(parts: [[1, 2]]), length: .exactly(5002))
        #expect(try await share.read("f") == Array(expected[0..<5000]) + [1, 2])
        // Extending leaves a hole.
        try await share.write("f", at: 0, from: Pieces(parts: [[5]]), length: .exactly(9000))
        #expect(try await share.info("f").size == 9000)
        #expect(try await share.read("f", range: 8990..<9000) == Array(repeating: 0, count: 10))
        // A whole write truncates to the body.
        try await share.write("f", at: 0, from: Pieces(parts: [[7, 7]]), length: .endOfWrite)
        #expect(try await share.read("f") == [7, 7])
        try await share.write("f", at: 0, from: Pieces(parts: []), length: .endOfWrite)
        #expect(try await share.info("f").size == 0)
        try await t.finish()
    }

    @Test func refusedWritesChangeNothing() async throws {
        let t = try await TempStore.make(extentSize: 4096)
        _ = try await t.store.createShare("sss")
        let share = t.store.share("sss")
        try await share.createFile("f")
        try await share.write("f", at: 0, from: Pieces(parts: [[1, 2, 3]]), length: .keepOrGrow)
        await expectError(.invalidRange) {
            try await share.write("f", at: 4, from: Pieces(parts: [[1]]), length: .keepOrGrow)
        }
        await expectError(.invalidRange) {
            try await share.write("f", at: 0, from: Pieces(parts: [[1, 2]]), length: .keepOrGrow, expectedCount: 3)
        }
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await share.write("f", at: 0, from: Pieces(parts: [Array(repeating: 4, count: 5000)]), length: .keepOrGrow) { _ in throw Refused() }
        }
        await #expect(throws: Pieces.Boom.self) {
            try await share.write("f", at: 0, from: Pieces(parts: [Array(repeating: 4, count: 5000), [1]], failAfter: 1), length: .keepOrGrow)
        }
        #expect(try await share.read("f") == [1, 2, 3])
        try await t.finish()
    }

    @Test func itemsAlongAndRecursiveDelete() async throws {
        let t = try await TempStore.make()
        _ = try await t.store.createShare("sss")
        let share = t.store.share("sss")
        try await share.createDirectory("Top")
        try await share.createDirectory("Top/Sub")
        try await share.createFile("Top/Sub/File.txt", length: 5)
        try await share.write("Top/Sub/File.txt", at: 0, [1, 2, 3, 4, 5])
        try await share.createFile("Top/b", length: 1)
        #expect(try await share.itemsAlong("top/sub/file.TXT").map(\.name) == ["Top", "Sub", "File.txt"])
        #expect(try await share.deleteRecursively("top"))
        #expect(!(try await share.deleteRecursively("top")))
        #expect(try await share.list().entries.isEmpty)
        try await t.finish()
    }
}
