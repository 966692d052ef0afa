import Foundation
import Testing
@testable import ShareCore

/// A real full disk: the store lives on an 8 MiB tmpfs. Mounting needs root (as CI runs);
/// elsewhere the test is reported as disabled with this reason.
@Suite(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
struct DiskFullTests {
    @Test func aFullDiskIsAClearErrorAndLosesNothing() async throws {
        let mountPoint = NSTemporaryDirectory() + "sharecore-full-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        #expect(try run("/bin/mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint]) == 0)
        defer {
            _ = try? run("/bin/umount", [mountPoint])
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        let store = try await ShareStore.open(at: mountPoint + "/data", options: StoreOptions(durability: .fast, mapSize: 1 << 30))
        try await store.createShare("docs")
        let docs = store.share("docs")
        var written: [String: [UInt8]] = [:]
        var failure: ShareCoreError?
        for i in 0..<64 {
            let name = "f\(i)"
            let bytes = pattern(512 * 1024, seed: UInt64(i))
            do {
                try await docs.createFile(name, length: UInt64(bytes.count))
                try await docs.write(name, at: 0, bytes)
                written[name] = bytes
            } catch let error as ShareCoreError {
                failure = error
                break
            }
        }
        let error = try #require(failure, "8 MiB should not hold 32 MiB")
        #expect(error.code == .storageFull, "\(error)")
        #expect(error.message.contains("disk"))
        #expect(written.count >= 2)
        // Everything committed before the failure reads back intact.
        for (name, bytes) in written {
            #expect(try await docs.read(name) == bytes)
        }
        #expect(try await store.check().problems == [])
        await store.close()
    }
}

private func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
