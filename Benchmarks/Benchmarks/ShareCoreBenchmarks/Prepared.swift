import BenchSupport
import Foundation
import ShareCore

/// Stores that several benchmarks start from, built once per run (in `fast` mode, to keep the
/// setup short) under `<data>/prepared/<name>` and marked complete with a `READY` file.
/// Benchmarks that only read use them in place; benchmarks that change them work on a copy
/// of the data file. `make bench` deletes them before every run.
enum Prepared {
    /// The 1 GiB file: 256 extents of 4 MiB.
    static let fileSize = GiB
    static let extent = 4 * MiB
    /// The 100,000-file share: 100,000 files of 10,738 bytes in one directory (1.0 GiB).
    static let manyFiles = 100_000
    static let manyFileSize = 10_738
    /// The fragmented file: 10,000 runs of 4 KiB separated by holes.
    static let fragments = 10_000
    static let fragmentStride = 26 * 4 * KiB

    static func name(_ i: Int) -> String {
        let digits = String(i)
        return "file-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    private static func ready(_ name: String, build: (String) async throws -> Void) async throws -> String {
        let dir = Paths.data + "/prepared/" + name
        if FileManager.default.fileExists(atPath: dir + "/READY") { return dir }
        Paths.remove(dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try await build(dir)
        _ = FileManager.default.createFile(atPath: dir + "/READY", contents: Data())
        return dir
    }

    /// Copies the data file of prepared store `from` into the empty directory `to`.
    static func copy(_ from: String, to: String) throws {
        try copySynced(from + "/data.mdb", to: to + "/data.mdb")
    }

    /// ShareCore: share `bench`, file `f` of 1 GiB written in 4 MiB ranges.
    static func file1GShareCore() async throws -> String {
        try await ready("file1g-sharecore") { dir in
            let store = try await ShareStore.open(at: dir, options: StoreOptions(durability: .fast))
            try await store.createShare("bench")
            let share = store.share("bench")
            try await share.createFile("f", length: UInt64(fileSize))
            let data = payload(extent)
            for i in 0..<(fileSize / extent) {
                try await share.write("f", at: UInt64(i * extent), data)
            }
            await store.close()
        }
    }

    /// Raw LMDB: the same 1 GiB as 256 values of 4 MiB under (file 1, extent index).
    static func file1GLMDB() async throws -> String {
        try await ready("file1g-lmdb") { dir in
            let env = try RawLMDB(path: dir, fast: true)
            let data = payload(extent)
            try data.withUnsafeBytes { bytes in
                for i in 0..<(fileSize / extent) { try env.put(key(1, UInt64(i)), bytes) }
            }
            env.close()
        }
    }

    /// ShareCore: file `f` of 1 GiB holding 10,000 separate 4 KiB runs.
    static func fragmentedShareCore() async throws -> String {
        try await ready("frag10k-sharecore") { dir in
            let store = try await ShareStore.open(at: dir, options: StoreOptions(durability: .fast))
            try await store.createShare("bench")
            let share = store.share("bench")
            try await share.createFile("f", length: UInt64(fileSize))
            let data = payload(4 * KiB)
            try await concurrently(fragments, workers: 32) { i in
                try await share.write("f", at: UInt64(i * fragmentStride), data)
            }
            await store.close()
        }
    }

    /// Raw LMDB: the same runs, one value per run under (file 1, offset).
    static func fragmentedLMDB() async throws -> String {
        try await ready("frag10k-lmdb") { dir in
            let env = try RawLMDB(path: dir, fast: true)
            let data = payload(4 * KiB)
            try env.write { txn in
                try data.withUnsafeBytes { bytes in
                    for i in 0..<fragments { try txn.put(key(1, UInt64(i * fragmentStride)), bytes) }
                }
            }
            env.close()
        }
    }

    /// ShareCore: share `big` with directory `d` of 100,000 files of 10,738 bytes (1.0 GiB).
    static func share100kShareCore() async throws -> String {
        try await ready("share100k-sharecore") { dir in
            let store = try await ShareStore.open(at: dir, options: StoreOptions(durability: .fast))
            try await store.createShare("big")
            let share = store.share("big")
            try await share.createDirectory("d")
            let data = payload(manyFileSize)
            try await concurrently(manyFiles, workers: 32) { i in
                let path = "d/" + name(i)
                try await share.createFile(path, length: UInt64(manyFileSize))
                try await share.write(path, at: 0, data)
            }
            await store.close()
        }
    }

    /// Raw LMDB: the same 100,000 names under (directory 2, name), each with a 96-byte record
    /// (about the size of ShareCore's node record for such a file) holding the file's size.
    static func dir100kLMDB() async throws -> String {
        try await ready("dir100k-lmdb") { dir in
            let env = try RawLMDB(path: dir, fast: true)
            var record = [UInt8](repeating: 0x5a, count: 96)
            withUnsafeBytes(of: UInt64(manyFileSize).bigEndian) { record.replaceSubrange(0..<8, with: $0) }
            try env.write { txn in
                try record.withUnsafeBytes { value in
                    for i in 0..<manyFiles {
                        try txn.put(key(2) + Array(name(i).utf8), value)
                    }
                }
            }
            env.close()
        }
    }
}

/// Runs `body(0..<count)` on `workers` concurrent tasks (each takes the next index).
func concurrently(_ count: Int, workers: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    let next = Counter()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<workers {
            group.addTask {
                while true {
                    let i = next.take()
                    if i >= count { return }
                    try await body(i)
                }
            }
        }
        try await group.waitForAll()
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
