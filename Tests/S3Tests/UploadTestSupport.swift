import Foundation
import S3
import Testing
@testable import ShareCore

/// A store in a fresh temporary directory, removed when the test ends (for the multipart tests).
struct UploadStore {
    let path: String
    let store: ShareStore

    static func make(extentSize: Int = ShareStore.maxRangeBytes, maxRuns: Int = 64) async throws -> UploadStore {
        let path = NSTemporaryDirectory() + "sharecore-s3-test-" + UUID().uuidString
        let store = try await ShareStore.open(at: path, options: StoreOptions(
            durability: .fast, mapSize: 8 << 30, extentSize: extentSize, maxRunsPerExtent: maxRuns))
        return UploadStore(path: path, store: store)
    }

    /// Closes the first store opened and opens the store again.
    func reopen() async throws -> ShareStore {
        await store.close()
        return try await ShareStore.open(at: path, options: StoreOptions(
            durability: .fast, mapSize: 8 << 30, extentSize: store.options.extentSize,
            maxRunsPerExtent: store.options.maxRunsPerExtent))
    }

    /// Checks the store is sound (the S3 verifiers included), then closes and deletes it.
    func finish(_ store: ShareStore? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let s = store ?? self.store
        let report = try await s.check(verifiers: [MultipartUpload.table: MultipartUpload.verifier])
        #expect(report.problems == [], sourceLocation: sourceLocation)
        await s.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Asserts that `body` throws a ShareCoreError with `code`.
func expectCode<T>(_ code: ShareCoreError.Code, sourceLocation: SourceLocation = #_sourceLocation,
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

/// A byte-exact model of a sparse file's bytes.
struct SparseFileModel: Equatable {
    var bytes: [UInt8]

    init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }

    mutating func write(_ offset: Int, _ data: [UInt8]) {
        bytes.replaceSubrange(offset..<(offset + data.count), with: data)
    }
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
