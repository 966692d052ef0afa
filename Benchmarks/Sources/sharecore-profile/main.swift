// Runs one engine workload without the benchmark harness, so that a profiler sees only it.
// The measured part runs inside `measuredPhase`, so callgrind can collect just that:
//
//   swift build -c release --product sharecore-profile        (in Benchmarks/)
//   valgrind --tool=callgrind --zero-before='*profileStart*' \
//       .build/release/sharecore-profile seq-write --size 4MiB --total 256MiB --durability fast --map 8GiB
//   mkfifo /tmp/ctl; PERF_CTL_FIFO=/tmp/ctl perf record -e cpu-clock -g -D -1 --control fifo:/tmp/ctl \
//       .build/release/sharecore-profile seq-read --total 1GiB --passes 4   (records the measured part)
//
// Workloads:
//   seq-write  --size S --total T [--durability full|fast] [--system sharecore|lmdb] [--drop-md5 1]
//   rand-write --size S --count N [--durability full|fast] [--system sharecore|lmdb]
//   seq-read   --total T --passes P [--system sharecore|lmdb]   (writes the file first, fast)
//   rand-read  --size S --count N --total T [--system sharecore|lmdb] [--per-task 1]
//              (writes the file first, fast; --per-task 1 runs each read in a new task started
//              from a global dispatch queue, as package-benchmark runs each iteration)
//   list-ranges --count N [--passes P]   (a file of N separate 4 KiB runs, 104 KiB apart, written
//              first; then P List Ranges of it, as `make bench`'s workload 4)
//   make-dir   --store DIR [--count N]   (the store `list` reads: share big, directory d, N files)
//   list       --store DIR [--share big] [--dir d] [--passes P] [--names 1] (a prepared ShareCore store;
//              --names 1 lists names only, as an S3 page reads a directory; --names 2 names with
//              the listed properties, as an S3 page of a case-sensitive directory returns them;
//              --names 3 names, ids and sizes, as List Directories and Files without include)
// Prints the measured time and throughput.

import BenchSupport
import Foundation
import ShareCore

func parseSize(_ text: String) -> Int {
    let units: [(String, Int)] = [("GiB", GiB), ("MiB", MiB), ("KiB", KiB)]
    for (suffix, factor) in units where text.hasSuffix(suffix) {
        return Int(text.dropLast(suffix.count))! * factor
    }
    return Int(text)!
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let workload = arguments.first else {
    FileHandle.standardError.write("usage: sharecore-profile seq-write|rand-write|seq-read|list [options]\n".data(using: .utf8)!)
    exit(2)
}
arguments.removeFirst()
var options: [String: String] = [:]
while arguments.count >= 2 {
    options[String(arguments[0].drop(while: { $0 == "-" }))] = arguments[1]
    arguments.removeFirst(2)
}
let size = parseSize(options["size"] ?? "4MiB")
let total = parseSize(options["total"] ?? "256MiB")
let count = Int(options["count"] ?? "10000")!
let passes = Int(options["passes"] ?? "1")!
let durability: Durability = options["durability"] == "full" ? .full : .fast
let system = options["system"] ?? "sharecore"
let dir = options["store"] ?? NSTemporaryDirectory() + "sharecore-profile-\(getpid())"
let scratch = options["store"] == nil
/// The map's address space: valgrind cannot follow LMDB's default 1 TiB map; use `--map 8GiB` there.
let mapSize = parseSize(options["map"] ?? "1024GiB")

/// Called once when the measured part starts: `--zero-before='*profileStart*'` makes callgrind
/// drop the counts of the setup (of every thread; the writer thread does most of the work).
/// With PERF_CTL_FIFO set, it also tells `perf record -D -1 --control fifo:$PERF_CTL_FIFO` to start.
@inline(never)
func profileStart() {
    setbuf(stdout, nil)
    if let fifo = ProcessInfo.processInfo.environment["PERF_CTL_FIFO"] {
        let fd = open(fifo, O_WRONLY)
        if fd >= 0 {
            _ = "enable\n".withCString { write(fd, $0, 7) }
            close(fd)
        }
    }
}

/// The measured part.
func measuredPhase(_ body: () async throws -> Void) async throws -> Double {
    profileStart()
    let t0 = nanos()
    try await body()
    return Double(nanos() - t0) / 1e9
}

/// Runs one read and returns its time in nanoseconds: in place, or with `--per-task 1` in a new
/// task started from a global dispatch queue, as package-benchmark runs each iteration of an
/// async benchmark, so that a read's cost there can be told from its cost in a tight loop.
func timedRead(_ body: @escaping @Sendable () async throws -> Void) async throws -> UInt64 {
    guard options["per-task"] == "1" else {
        let t0 = nanos()
        try await body()
        return nanos() - t0
    }
    return try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            Task {
                do {
                    let t0 = nanos()
                    try await body()
                    continuation.resume(returning: nanos() - t0)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// Prints the median and 90th percentile of `latencies` (nanoseconds).
func reportLatencies(_ latencies: [UInt64]) {
    guard !latencies.isEmpty else { return }
    let sorted = latencies.sorted()
    func us(_ p: Double) -> String { String(format: "%.2f", Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e3) }
    print("  each read: p50 \(us(0.5)) µs, p90 \(us(0.9)) µs")
}

func report(_ seconds: Double, bytes: Int, ops: Int) {
    let mbs = Double(bytes) / seconds / 1e6
    print("\(workload) \(system) \(durability.rawValue): \(ops) ops in \(String(format: "%.3f", seconds)) s, "
        + "\(String(format: "%.1f", mbs)) MB/s, \(String(format: "%.1f", Double(ops) / seconds)) ops/s")
}

func run() async throws {
    defer { if scratch { try? FileManager.default.removeItem(atPath: dir) } }
    let data = payload(size)
    switch (workload, system) {
    case ("seq-write", "sharecore"), ("rand-write", "sharecore"), ("seq-read", "sharecore"), ("rand-read", "sharecore"):
        let reading = workload == "seq-read" || workload == "rand-read"
        let store = try await ShareStore.open(at: dir, options: StoreOptions(durability: reading ? .fast : durability, mapSize: mapSize))
        try await store.createShare("bench")
        let share = store.share("bench")
        let length = workload == "rand-write" ? GiB : total
        try await share.createFile("f", length: UInt64(length))
        if options["drop-md5"] == "1" {
            // A first write away from offset 0 drops the file's running MD5, so that the writes
            // measured below do not extend it: the difference is the MD5's cost.
            try await share.write("f", at: UInt64(length - 1), [0])
        }
        if workload == "rand-read" {
            let piece = payload(4 * MiB)
            for i in 0..<(total / (4 * MiB)) { try await share.write("f", at: UInt64(i * 4 * MiB), piece) }
            var rng = SplitMix64(seed: 0x5EED)
            var latencies: [UInt64] = []
            latencies.reserveCapacity(count)
            let seconds = try await measuredPhase {
                for _ in 0..<count {
                    let offset = UInt64(rng.below(total / size) * size)
                    latencies.append(try await timedRead {
                        let bytes = try await share.read("f", range: offset..<(offset + UInt64(size)))
                        precondition(bytes.count == size)
                    })
                }
            }
            report(seconds, bytes: count * size, ops: count)
            reportLatencies(latencies)
        } else if workload == "seq-read" {
            let piece = payload(4 * MiB)
            for i in 0..<(total / (4 * MiB)) { try await share.write("f", at: UInt64(i * 4 * MiB), piece) }
            let seconds = try await measuredPhase {
                for _ in 0..<passes {
                    for i in 0..<(total / (4 * MiB)) {
                        let bytes = try await share.read("f", range: UInt64(i * 4 * MiB)..<UInt64((i + 1) * 4 * MiB))
                        precondition(bytes.count == 4 * MiB)
                    }
                }
            }
            report(seconds, bytes: total * passes, ops: total / (4 * MiB) * passes)
        } else if workload == "seq-write" {
            let seconds = try await measuredPhase {
                for i in 0..<(total / size) { try await share.write("f", at: UInt64(i * size), data) }
            }
            report(seconds, bytes: total, ops: total / size)
        } else {
            var rng = SplitMix64(seed: 0x5EED)
            let seconds = try await measuredPhase {
                for _ in 0..<count { try await share.write("f", at: UInt64(rng.below(GiB / size) * size), data) }
            }
            report(seconds, bytes: count * size, ops: count)
        }
        await store.close()
    case ("seq-write", "lmdb"), ("rand-write", "lmdb"), ("seq-read", "lmdb"), ("rand-read", "lmdb"):
        let reading = workload == "seq-read" || workload == "rand-read"
        let env = try RawLMDB(path: dir, fast: reading || durability == .fast, mapSize: mapSize)
        if workload == "rand-read" {
            // As the engine benchmark's raw baseline reads: the slice of the 4 MiB value, copied out.
            let piece = payload(4 * MiB)
            try piece.withUnsafeBytes { b in for i in 0..<(total / (4 * MiB)) { try env.put(key(1, UInt64(i)), b) } }
            var rng = SplitMix64(seed: 0x5EED)
            var latencies: [UInt64] = []
            latencies.reserveCapacity(count)
            let seconds = try await measuredPhase {
                for _ in 0..<count {
                    let offset = rng.below(total / size) * size
                    let within = offset % (4 * MiB)
                    latencies.append(try await timedRead {
                        let bytes: [UInt8] = try env.read { txn in
                            guard let value = try txn.get(key(1, UInt64(offset / (4 * MiB)))) else { return [] }
                            return [UInt8](UnsafeRawBufferPointer(rebasing: value[within..<(within + size)]))
                        }
                        precondition(bytes.count == size)
                    })
                }
            }
            report(seconds, bytes: count * size, ops: count)
            reportLatencies(latencies)
        } else if workload == "seq-read" {
            let piece = payload(4 * MiB)
            try piece.withUnsafeBytes { b in for i in 0..<(total / (4 * MiB)) { try env.put(key(1, UInt64(i)), b) } }
            let seconds = try await measuredPhase {
                for _ in 0..<passes {
                    for i in 0..<(total / (4 * MiB)) {
                        let bytes: [UInt8] = try env.read { txn in [UInt8](try txn.get(key(1, UInt64(i)))!) }
                        precondition(bytes.count == 4 * MiB)
                    }
                }
            }
            report(seconds, bytes: total * passes, ops: total / (4 * MiB) * passes)
        } else if workload == "seq-write" {
            let seconds = try await measuredPhase {
                try data.withUnsafeBytes { b in for i in 0..<(total / size) { try env.put(key(1, UInt64(i)), b) } }
            }
            report(seconds, bytes: total, ops: total / size)
        } else {
            var rng = SplitMix64(seed: 0x5EED)
            let seconds = try await measuredPhase {
                try data.withUnsafeBytes { b in
                    for _ in 0..<count { try env.put(key(1, UInt64(rng.below(GiB / size))), b) }
                }
            }
            report(seconds, bytes: count * size, ops: count)
        }
        env.close()
    case ("list-ranges", _):
        let store = try await ShareStore.open(at: dir, options: StoreOptions(durability: .fast, mapSize: mapSize))
        try await store.createShare("bench")
        let share = store.share("bench")
        try await share.createFile("f", length: UInt64(count * 104 * KiB))
        let data = payload(4 * KiB)
        for i in 0..<count { try await share.write("f", at: UInt64(i * 104 * KiB), data) }
        var listed = 0
        let seconds = try await measuredPhase {
            for _ in 0..<passes { listed += try await share.ranges("f").count }
        }
        precondition(listed == count * passes)
        report(seconds, bytes: 0, ops: passes)
        await store.close()
    case ("make-dir", _):
        // The store `list` reads, as `make bench` prepares it (Prepared.share100kShareCore):
        // share `big`, directory `d`, `--count` files (default 100,000) of 10,738 bytes, written
        // by 32 concurrent writers.
        let count = Int(options["count"] ?? "100000") ?? 100_000
        let store = try await ShareStore.open(at: dir, options: StoreOptions(durability: .fast, mapSize: mapSize))
        try await store.createShare("big")
        let share = store.share("big")
        try await share.createDirectory("d")
        let data = payload(10_738)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<32 {
                group.addTask {
                    var i = worker
                    while i < count {
                        let digits = String(i)
                        let path = "d/file-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
                        try await share.createFile(path, length: UInt64(data.count))
                        try await share.write(path, at: 0, data)
                        i += 32
                    }
                }
            }
            try await group.waitForAll()
        }
        await store.close()
    case ("list", _):
        let store = try await ShareStore.open(at: dir, options: StoreOptions(durability: .fast, mapSize: mapSize))
        let share = store.share(options["share"] ?? "big")
        let path = options["dir"] ?? "d"
        var listed = 0
        let seconds = try await measuredPhase {
            for _ in 0..<passes {
                var marker: String?
                repeat {
                    if options["names"] == "3" {
                        let page = try await share.listSummaries(path, marker: marker, maxResults: 5000)
                        listed += page.entries.count
                        marker = page.nextMarker
                    } else if options["names"] == "1" || options["names"] == "2" {
                        let page = try await share.listNames(path, marker: marker, maxResults: 5000,
                                                             withProperties: options["names"] == "2")
                        listed += page.entries.count
                        marker = page.nextMarker
                    } else {
                        let page = try await share.list(path, marker: marker, maxResults: 5000)
                        listed += page.entries.count
                        marker = page.nextMarker
                    }
                } while marker != nil
            }
        }
        print("list: \(listed) entries in \(String(format: "%.3f", seconds)) s, \(String(format: "%.0f", Double(listed) / seconds)) entries/s")
        await store.close()
    default:
        FileHandle.standardError.write("unknown workload \(workload) or system \(system)\n".data(using: .utf8)!)
        exit(2)
    }
}

// A synchronous main waiting on a semaphore: valgrind 3.19 crashes in libdispatch's
// dispatch_main, which an async top-level main uses.
let finished = DispatchSemaphore(value: 0)
Task {
    do {
        try await run()
    } catch {
        FileHandle.standardError.write("failed: \(error)\n".data(using: .utf8)!)
        exit(1)
    }
    finished.signal()
}
finished.wait()
