import Foundation
import Testing
@testable import ShareCore

/// A store in a fresh temporary directory, removed when the test ends.
struct TempStore {
    let path: String
    let store: ShareStore

    static func make(extentSize: Int = ShareStore.maxRangeBytes, maxRuns: Int = 64,
                     mapSize: Int = 64 << 30) async throws -> TempStore {
        let path = NSTemporaryDirectory() + "sharecore-test-" + UUID().uuidString
        let store = try await ShareStore.open(at: path, options: StoreOptions(
            durability: .fast, mapSize: mapSize, extentSize: extentSize, maxRunsPerExtent: maxRuns))
        return TempStore(path: path, store: store)
    }

    /// A fresh store holding one empty share `name`, and that share's handle: how most tests begin.
    static func withShare(_ name: String = "docs") async throws -> (TempStore, Share) {
        let t = try await make()
        try await t.store.createShare(name)
        return (t, t.store.share(name))
    }

    /// Closes `current` (default: the first store opened) and opens the store again.
    func reopen(closing current: ShareStore? = nil) async throws -> ShareStore {
        await (current ?? store).close()
        return try await ShareStore.open(at: path, options: StoreOptions(
            durability: .fast, mapSize: 64 << 30, extentSize: store.options.extentSize,
            maxRunsPerExtent: store.options.maxRunsPerExtent))
    }

    /// Checks the store is sound, then closes and deletes it.
    func finish(_ store: ShareStore? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let s = store ?? self.store
        let report = try await s.check()
        #expect(report.problems == [], sourceLocation: sourceLocation)
        await s.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Asserts that `body` throws a ShareCoreError with `code`.
func expectError<T>(_ code: ShareCoreError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () async throws -> T) async {
    do {
        _ = try await body()
        Issue.record("expected \(code), but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as ShareCoreError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// The number of rows of `table` in `store`.
func rowCount(_ store: ShareStore, _ table: Table) throws -> Int {
    try store.env.read { txn in try txn.count(table) }
}

/// Deterministic pseudo-random bytes.
func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
    var x = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        return UInt8(truncatingIfNeeded: x)
    }
}

/// A byte-exact model of a sparse file: its bytes and which of them are written.
struct SparseFileModel: Equatable {
    var bytes: [UInt8]
    var written: [Bool]

    init(size: Int) {
        bytes = [UInt8](repeating: 0, count: size)
        written = [Bool](repeating: false, count: size)
    }

    mutating func write(_ offset: Int, _ data: [UInt8]) {
        bytes.replaceSubrange(offset..<(offset + data.count), with: data)
        for i in offset..<(offset + data.count) { written[i] = true }
    }

    mutating func clear(_ range: Range<Int>) {
        for i in range {
            bytes[i] = 0
            written[i] = false
        }
    }

    mutating func resize(_ size: Int) {
        if size < bytes.count {
            bytes.removeLast(bytes.count - size)
            written.removeLast(written.count - size)
        } else {
            bytes += [UInt8](repeating: 0, count: size - bytes.count)
            written += [Bool](repeating: false, count: size - written.count)
        }
    }

    var ranges: [Range<UInt64>] {
        var out: [Range<UInt64>] = []
        var start: Int?
        for i in 0...written.count {
            let w = i < written.count && written[i]
            if w, start == nil { start = i }
            if !w, let s = start {
                out.append(UInt64(s)..<UInt64(i))
                start = nil
            }
        }
        return out
    }

    var usedBytes: UInt64 { UInt64(written.count { $0 }) }
}

/// A fixed list of byte buffers as an async sequence, for uploads.
struct ByteChunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let chunks: [[UInt8]]

    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: [[UInt8]]
        mutating func next() async throws -> [UInt8]? {
            rest.isEmpty ? nil : rest.removeFirst()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: chunks) }
}

/// A SplitMix64 generator: deterministic per seed, so a failure can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Share {
    /// Creates file `path` holding `bytes`, written in order from offset 0 in one write.
    func createFile(_ path: String, holding bytes: [UInt8]) async throws {
        try await createFile(path, length: UInt64(bytes.count))
        try await write(path, at: 0, bytes)
    }
}
