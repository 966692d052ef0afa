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

    func reopen() async throws -> ShareStore {
        await store.close()
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
