import Testing
@testable import ShareCore

@Suite struct SmokeTests {
    @Test func basicLifecycle() async throws {
        let t = try await TempStore.make()
        let store = t.store
        try await store.createShare("docs")
        let docs = store.share("docs")
        try await docs.createDirectory("a")
        try await docs.createFile("a/b.txt", length: 10)
        try await docs.write("a/b.txt", at: 2, Array("hello".utf8))
        let bytes = try await docs.read("a/b.txt")
        #expect(bytes == [0, 0] + Array("hello".utf8) + [0, 0, 0])
        #expect(try await docs.ranges("a/b.txt") == [2..<7])
        let snap = try await store.createSnapshot(of: "docs")
        try await docs.write("a/b.txt", at: 0, Array("XY".utf8))
        let old = store.share("docs", snapshot: snap.name)
        #expect(try await old.read("a/b.txt") == [0, 0] + Array("hello".utf8) + [0, 0, 0])
        #expect(try await docs.read("a/b.txt") == Array("XYhello".utf8) + [0, 0, 0])
        let diff = try await docs.changedRanges("a/b.txt", since: snap.name)
        #expect(diff.changed == [0..<2])
        let page = try await docs.list("a")
        #expect(page.entries.map(\.name) == ["b.txt"])
        try await t.finish()
    }
}
