// The engine benchmarks of issue #5. Every workload is registered twice, once against
// ShareCore and once against raw LMDB doing the same bytes ("<workload> · ShareCore" and
// "<workload> · LMDB"); package-benchmark runs each in its own process, one after the other,
// and each also writes its figures as JSON for Benchmarks/report/report.py.
//
// An iteration is one operation (one Put Range, one read, one List Ranges, one snapshot, one
// Copy File, one whole paged listing, or one batch of concurrent writes), so package-benchmark's
// wall-clock percentiles are per-operation latencies.

import Benchmark
import BenchSupport
import Foundation
import ShareCore

let benchmarks: @Sendable () -> Void = {
    // 1. Sequential writes of a 1 GiB file, 4 MiB and 64 KiB Put Ranges. The extra
    //    "ShareCore-noMD5" runs do the same writes after dropping the file's running MD5 (one
    //    1-byte write at the end of the file first), which isolates what the MD5 costs.
    for durability in [Durability.full, .fast] {
        sequentialWrite(size: 4 * MiB, durability: durability)
        sequentialWrite(size: 64 * KiB, durability: durability)
    }
    // 2. Random writes into a sparse 1 GiB file: 10,000 of 4 KiB, 10,000 of 64 KiB.
    for durability in [Durability.full, .fast] {
        randomWrite(size: 4 * KiB, count: 10_000, durability: durability)
        randomWrite(size: 64 * KiB, count: 10_000, durability: durability)
    }
    // 3. Reads from a fully written 1 GiB file.
    randomRead(size: 4 * KiB, count: 10_000)
    randomRead(size: 1 * MiB, count: 1_024)
    sequentialRead(passes: 2)
    // 4. List Ranges on a file of 10,000 runs.
    listRanges(count: 200)
    // 5. Snapshot creation: empty share, share of 100,000 files / 1 GiB.
    snapshots(count: 100)
    // 6. The first 4 KiB write into a 1 GiB file after a snapshot, and without one.
    firstWriteAfterSnapshot(count: 100)
    // 7. Copy File of a 1 GiB file (against writing 1 GiB: workload 1). The raw-LMDB physical
    //    copy (1 GiB read and rewritten, synced) runs twice.
    copyFile(count: 20, rawCount: 2)
    // 8. Listing 100,000 entries in pages of 5,000.
    listDirectory(count: 10)
    // 9. Group commit: 1, 8 and 64 concurrent writers of 4 KiB ranges, `full` durability.
    for writers in [1, 8, 64] {
        groupCommit(writers: writers, writesPerBatch: 2_048, batches: 3)
    }
    // The write-size sweep behind the plot: sequential writes of up to 64 MiB in ranges of
    // 4 KiB to 4 MiB (at most 2,048 ranges per point).
    for durability in [Durability.full, .fast] {
        for size in [4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB] {
            sweep(size: size, total: 64 * MiB, maxOps: 2_048, durability: durability)
        }
    }
}

// MARK: Helpers

/// A benchmark's state, created when the benchmarks are registered (in every process) and
/// filled by its setup (only in the process that runs it).
final class Context: @unchecked Sendable {
    var dir = ""
    var store: ShareStore?
    var share: Share { store!.share(shareName) }
    var shareName = "bench"
    var env: RawLMDB?
    var rng = SplitMix64(seed: 0x5EED)
    var index = 0
    var data: [UInt8] = []

    func openStore(_ name: String, durability: Durability, from prepared: String? = nil) async throws {
        dir = try Paths.fresh(name)
        if let prepared { try Prepared.copy(prepared, to: dir) }
        store = try await ShareStore.open(at: dir, options: StoreOptions(durability: durability))
    }

    func openEnv(_ name: String, durability: Durability, from prepared: String? = nil) throws {
        dir = try Paths.fresh(name)
        if let prepared { try Prepared.copy(prepared, to: dir) }
        env = try RawLMDB(path: dir, fast: durability == .fast)
    }

    func close(keep: Bool = false) async {
        if let store { await store.close() }
        env?.close()
        store = nil
        env = nil
        if !keep, !dir.isEmpty { Paths.remove(dir) }
    }
}

enum System: String {
    case shareCore = "ShareCore"
    case lmdb = "LMDB"
    /// ShareCore writing in order after the file's running MD5 was dropped.
    case shareCoreNoMD5 = "ShareCore-noMD5"
    /// ShareCore listing names, ids and sizes (`listSummaries`) rather than whole entries.
    case shareCoreSummaries = "ShareCore-summaries"

    var isShareCore: Bool { self != .lmdb }
}

/// Drops the running MD5 of file `f` (length `length`): a write anywhere but at the end of the
/// hashed prefix forgets it, and later in-order writes no longer hash.
func dropRunningMD5(_ share: Share, length: Int) async throws {
    try await share.write("f", at: UInt64(length - 1), [0])
}

func benchName(_ workload: String, _ system: System) -> String { "\(workload) · \(system.rawValue)" }

// MARK: 1. Sequential writes

func sequentialWrite(size: Int, durability: Durability, count: Int? = nil) {
    let ops = count ?? Prepared.fileSize / size
    let workload = "w1-seq-write-\(sizeLabel(size))-\(durability.rawValue)"
    for system in [System.shareCore, .lmdb, .shareCoreNoMD5] {
        let c = Context()
        let r = Recorder(workload: workload, system: system.rawValue, durability: durability.rawValue,
                         unit: "\(sizeLabel(size)) write, in order, 1 GiB file" + (ops * size < Prepared.fileSize ? " (first \(ops * size / MiB) MiB)" : ""))
        register(benchName(workload, system), iterations: ops, recorder: r, setup: {
            c.data = payload(size)
            if system.isShareCore {
                try await c.openStore(workload + "-" + system.rawValue, durability: durability)
                try await c.store!.createShare("bench")
                try await c.share.createFile("f", length: UInt64(Prepared.fileSize))
                if system == .shareCoreNoMD5 { try await dropRunningMD5(c.share, length: Prepared.fileSize) }
                r.storeBytesBefore = c.store!.storedBytes
            } else {
                try c.openEnv(workload + "-lmdb", durability: durability)
                r.storeBytesBefore = c.env!.usedBytes
            }
        }, iteration: { b in
            let i = c.index
            c.index += 1
            if system.isShareCore {
                let share = c.share
                try await r.op(b, bytes: size) { try await share.write("f", at: UInt64(i * size), c.data) }
            } else {
                try await r.op(b, bytes: size) {
                    try c.data.withUnsafeBytes { try c.env!.put(key(1, UInt64(i)), $0) }
                }
            }
        }, teardown: {
            r.storeBytesAfter = system.isShareCore ? c.store!.storedBytes : c.env!.usedBytes
            await c.close()
        })
    }
}

// MARK: 2. Random writes

func randomWrite(size: Int, count: Int, durability: Durability) {
    let slots = Prepared.fileSize / size
    let workload = "w2-rand-write-\(sizeLabel(size))-\(durability.rawValue)"
    for system in [System.shareCore, .lmdb] {
        let c = Context()
        let r = Recorder(workload: workload, system: system.rawValue, durability: durability.rawValue,
                         unit: "\(sizeLabel(size)) write at a random aligned offset, sparse 1 GiB file")
        register(benchName(workload, system), iterations: count, recorder: r, setup: {
            c.data = payload(size)
            if system == .shareCore {
                try await c.openStore(workload + "-sc", durability: durability)
                try await c.store!.createShare("bench")
                try await c.share.createFile("f", length: UInt64(Prepared.fileSize))
                r.storeBytesBefore = c.store!.storedBytes
            } else {
                try c.openEnv(workload + "-lmdb", durability: durability)
                r.storeBytesBefore = c.env!.usedBytes
            }
        }, iteration: { b in
            let slot = c.rng.below(slots)
            if system == .shareCore {
                let share = c.share
                try await r.op(b, bytes: size) { try await share.write("f", at: UInt64(slot * size), c.data) }
            } else {
                try await r.op(b, bytes: size) {
                    try c.data.withUnsafeBytes { try c.env!.put(key(1, UInt64(slot)), $0) }
                }
            }
        }, teardown: {
            r.storeBytesAfter = system == .shareCore ? c.store!.storedBytes : c.env!.usedBytes
            await c.close()
        })
    }
}

// MARK: 3. Reads

/// Opens the prepared 1 GiB file in place (reads change nothing).
func openPreparedFile(_ c: Context, _ system: System) async throws {
    if system == .shareCore {
        c.dir = try await Prepared.file1GShareCore()
        c.store = try await ShareStore.open(at: c.dir, options: StoreOptions(durability: .fast))
    } else {
        c.dir = try await Prepared.file1GLMDB()
        c.env = try RawLMDB(path: c.dir, fast: true)
    }
}

/// Raw LMDB read of `range` of the file stored as 4 MiB values: one read transaction, the
/// bytes copied out into a new array (as ShareCore returns them).
func rawRead(_ env: RawLMDB, _ range: Range<Int>) throws -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(range.count)
    try env.read { txn in
        var offset = range.lowerBound
        while offset < range.upperBound {
            let index = offset / Prepared.extent
            let within = offset % Prepared.extent
            let take = min(Prepared.extent - within, range.upperBound - offset)
            guard let value = try txn.get(key(1, UInt64(index))) else {
                throw RawLMDB.Failure(description: "extent \(index) missing")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: value[within..<(within + take)]))
            offset += take
        }
    }
    return out
}

func randomRead(size: Int, count: Int) {
    let slots = Prepared.fileSize / size
    let workload = "w3-rand-read-\(sizeLabel(size))"
    for system in [System.shareCore, .lmdb] {
        let c = Context()
        let r = Recorder(workload: workload, system: system.rawValue, durability: "-",
                         unit: "\(sizeLabel(size)) read at a random aligned offset, written 1 GiB file")
        register(benchName(workload, system), iterations: count, recorder: r, syncs: false, setup: {
            try await openPreparedFile(c, system)
        }, iteration: { b in
            let offset = c.rng.below(slots) * size
            if system == .shareCore {
                let share = c.share
                try await r.op(b, bytes: size) {
                    blackHole(try await share.read("f", range: UInt64(offset)..<UInt64(offset + size)))
                }
            } else {
                try await r.op(b, bytes: size) { blackHole(try rawRead(c.env!, offset..<(offset + size))) }
            }
        }, teardown: {
            await c.close(keep: true)
        })
    }
}

func sequentialRead(passes: Int) {
    let size = 4 * MiB
    let pieces = Prepared.fileSize / size
    let workload = "w3-seq-read-4MiB"
    for system in [System.shareCore, .lmdb] {
        let c = Context()
        let r = Recorder(workload: workload, system: system.rawValue, durability: "-",
                         unit: "4 MiB read, in order, whole 1 GiB file (\(passes) passes)")
        register(benchName(workload, system), iterations: pieces * passes, recorder: r, syncs: false, setup: {
            try await openPreparedFile(c, system)
        }, iteration: { b in
            let offset = (c.index % pieces) * size
            c.index += 1
            if system == .shareCore {
                let share = c.share
                try await r.op(b, bytes: size) {
                    blackHole(try await share.read("f", range: UInt64(offset)..<UInt64(offset + size)))
                }
            } else {
                try await r.op(b, bytes: size) { blackHole(try rawRead(c.env!, offset..<(offset + size))) }
            }
        }, teardown: {
            await c.close(keep: true)
        })
    }
}

// MARK: 4. List Ranges

func listRanges(count: Int) {
    let workload = "w4-list-ranges-10k-runs"
    for system in [System.shareCore, .lmdb] {
        let c = Context()
        let r = Recorder(workload: workload, system: system.rawValue, durability: "-",
                         unit: "List Ranges of a file of 10,000 runs")
        register(benchName(workload, system), iterations: count, recorder: r, syncs: false, setup: {
            if system == .shareCore {
                c.dir = try await Prepared.fragmentedShareCore()
                c.store = try await ShareStore.open(at: c.dir, options: StoreOptions(durability: .fast))
            } else {
                c.dir = try await Prepared.fragmentedLMDB()
                c.env = try RawLMDB(path: c.dir, fast: true)
            }
        }, iteration: { b in
            var found = 0
            if system == .shareCore {
                let share = c.share
                try await r.op(b, items: Prepared.fragments) {
                    let ranges = try await share.ranges("f")
                    found = ranges.count
                    blackHole(ranges)
                }
            } else {
                try await r.op(b, items: Prepared.fragments) {
                    // One value per run under (file, offset): a cursor scan of the file's keys,
                    // each key giving the offset and the value's size the length.
                    var ranges: [Range<UInt64>] = []
                    try c.env!.read { txn in
                        try txn.scan(from: key(1, 0)) { k, v in
                            guard k.count == 16, k.loadUnaligned(as: UInt64.self).bigEndian == 1 else { return false }
                            let offset = k.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian
                            ranges.append(offset..<(offset + UInt64(v.count)))
                            return true
                        }
                    }
                    found = ranges.count
                    blackHole(ranges)
                }
            }
            if found != Prepared.fragments { throw RawLMDB.Failure(description: "listed \(found) ranges, not \(Prepared.fragments)") }
        }, teardown: {
            await c.close(keep: true)
        })
    }
}

// MARK: 5. Snapshots

func snapshots(count: Int) {
    // ShareCore on an empty share and on the 100,000-file share; raw LMDB: one small record
    // (the size of a snapshot record) put in its own transaction, the floor of any commit.
    let durability = Durability.fast
    for (variant, system) in [("empty", System.shareCore), ("100k-files", System.shareCore), ("record", System.lmdb)] {
        let workload = "w5-snapshot"
        let c = Context()
        let r = Recorder(workload: workload, system: system.rawValue + (system == .shareCore ? "-\(variant)" : ""),
                         durability: durability.rawValue,
                         unit: system == .lmdb ? "put of one 200-byte record, own transaction" : "snapshot of the \(variant) share")
        let name = system == .shareCore ? "\(workload)-\(variant) · ShareCore" : benchName(workload, .lmdb)
        register(name, iterations: count, recorder: r, setup: {
            if system == .shareCore {
                if variant == "empty" {
                    try await c.openStore(workload + "-empty", durability: durability)
                    try await c.store!.createShare("bench")
                } else {
                    let prepared = try await Prepared.share100kShareCore()
                    try await c.openStore(workload + "-big", durability: durability, from: prepared)
                    c.shareName = "big"
                    let stats = try await c.store!.shareStats("big")
                    r.extra["share_files"] = stats.nodeCount
                    r.extra["share_used_bytes"] = stats.usedBytes
                }
            } else {
                try c.openEnv(workload + "-lmdb", durability: durability)
                c.data = payload(200)
            }
        }, iteration: { b in
            if system == .shareCore {
                let store = c.store!
                let shareName = c.shareName
                try await r.op(b) { blackHole(try await store.createSnapshot(of: shareName)) }
            } else {
                let i = c.index
                c.index += 1
                try await r.op(b) { try c.data.withUnsafeBytes { try c.env!.put(key(3, UInt64(i)), $0) } }
            }
        }, teardown: {
            await c.close()
        })
    }
}

// MARK: 6. First write after a snapshot

func firstWriteAfterSnapshot(count: Int) {
    let durability = Durability.fast
    let size = 4 * KiB
    let slots = Prepared.fileSize / size
    let workload = "w6-first-write"
    for (variant, system) in [("after-snapshot", System.shareCore), ("no-snapshot", System.shareCore), ("put", System.lmdb)] {
        let c = Context()
        let r = Recorder(workload: workload, system: system.rawValue + (system == .shareCore ? "-\(variant)" : ""),
                         durability: durability.rawValue,
                         unit: system == .lmdb
                             ? "4 KiB put in its own transaction (store holding the 1 GiB file)"
                             : "4 KiB write into the written 1 GiB file, \(variant == "after-snapshot" ? "first after a new snapshot" : "no snapshot")")
        let name = system == .shareCore ? "\(workload)-\(variant) · ShareCore" : benchName(workload, .lmdb)
        register(name, iterations: count, recorder: r, setup: {
            c.data = payload(size, seed: 7)
            if system == .shareCore {
                let prepared = try await Prepared.file1GShareCore()
                try await c.openStore(workload + "-" + variant, durability: durability, from: prepared)
            } else {
                let prepared = try await Prepared.file1GLMDB()
                try c.openEnv(workload + "-lmdb", durability: durability, from: prepared)
            }
        }, iteration: { b in
            let offset = c.rng.below(slots) * size
            if system == .shareCore {
                let share = c.share
                if variant == "after-snapshot" {
                    // Not measured: the snapshot that makes the next write copy-on-write.
                    try await c.store!.createSnapshot(of: "bench")
                }
                try await r.op(b, bytes: size) { try await share.write("f", at: UInt64(offset), c.data) }
            } else {
                try await r.op(b, bytes: size) {
                    try c.data.withUnsafeBytes { try c.env!.put(key(2, UInt64(offset / size)), $0) }
                }
            }
        }, teardown: {
            await c.close()
        })
    }
}

// MARK: 7. Copy File

func copyFile(count: Int, rawCount: Int) {
    let durability = Durability.full
    let workload = "w7-copy-file-1GiB"
    for system in [System.shareCore, .lmdb] {
        let c = Context()
        let r = Recorder(workload: workload, system: system.rawValue, durability: durability.rawValue,
                         unit: system == .lmdb
                             ? "copy of the 1 GiB file: 256 values of 4 MiB read and put under a new file id, one transaction each"
                             : "Copy File of the 1 GiB file to a new name")
        register(benchName(workload, system), iterations: system == .lmdb ? rawCount : count, recorder: r, setup: {
            if system == .shareCore {
                try await c.openStore(workload + "-sc", durability: durability, from: try await Prepared.file1GShareCore())
            } else {
                try c.openEnv(workload + "-lmdb", durability: durability, from: try await Prepared.file1GLMDB())
            }
        }, iteration: { b in
            let i = c.index
            c.index += 1
            if system == .shareCore {
                let share = c.share
                try await r.op(b, bytes: Prepared.fileSize) { try await share.copy(from: share, "f", to: "copy-\(i)") }
            } else {
                let env = c.env!
                try await r.op(b, bytes: Prepared.fileSize) {
                    for e in 0..<(Prepared.fileSize / Prepared.extent) {
                        try env.write { txn in
                            guard let value = try txn.read.get(key(1, UInt64(e))) else {
                                throw RawLMDB.Failure(description: "extent \(e) missing")
                            }
                            // The source bytes point into the map: copy them out before the put.
                            let bytes = [UInt8](value)
                            try bytes.withUnsafeBytes { try txn.put(key(UInt64(100 + i), UInt64(e)), $0) }
                        }
                    }
                }
            }
        }, teardown: {
            await c.close()
        })
    }
}

// MARK: 8. Listing a directory of 100,000 entries

func listDirectory(count: Int) {
    let workload = "w8-list-100k-dir"
    let page = 5_000
    for system in [System.shareCore, .shareCoreSummaries, .lmdb] {
        let c = Context()
        let r = Recorder(workload: workload, system: system.rawValue, durability: "-",
                         unit: "whole listing of 100,000 entries in pages of 5,000 (one read transaction per page)")
        register(benchName(workload, system), iterations: count, recorder: r, syncs: false, setup: {
            if system.isShareCore {
                c.dir = try await Prepared.share100kShareCore()
                c.store = try await ShareStore.open(at: c.dir, options: StoreOptions(durability: .fast))
                c.shareName = "big"
            } else {
                c.dir = try await Prepared.dir100kLMDB()
                c.env = try RawLMDB(path: c.dir, fast: true)
            }
        }, iteration: { b in
            var listed = 0
            if system.isShareCore {
                let share = c.share
                // `ShareCore-summaries` lists what the raw scan returns, names and sizes (with
                // kinds and ids), from the directory's entries alone; `ShareCore` whole entries.
                let summaries = system == .shareCoreSummaries
                try await r.op(b, items: Prepared.manyFiles) {
                    var marker: String?
                    repeat {
                        if summaries {
                            let result = try await share.listSummaries("d", marker: marker, maxResults: page)
                            listed += result.entries.count
                            marker = result.nextMarker
                            blackHole(result)
                        } else {
                            let result = try await share.list("d", marker: marker, maxResults: page)
                            listed += result.entries.count
                            marker = result.nextMarker
                            blackHole(result)
                        }
                    } while marker != nil
                }
            } else {
                let env = c.env!
                try await r.op(b, items: Prepared.manyFiles) {
                    // Pages of 5,000 (name, size) entries, each page its own read transaction
                    // resuming after the last key of the previous one.
                    var from = key(2)
                    var more = true
                    while more {
                        var entries: [(String, UInt64)] = []
                        entries.reserveCapacity(page)
                        var last: [UInt8] = []
                        more = false
                        try env.read { txn in
                            try txn.scan(from: from) { k, v in
                                guard k.count > 8, k.loadUnaligned(as: UInt64.self).bigEndian == 2 else { return false }
                                if entries.count == page {
                                    more = true
                                    return false
                                }
                                let name = String(decoding: UnsafeRawBufferPointer(rebasing: k[8...]), as: UTF8.self)
                                entries.append((name, v.loadUnaligned(as: UInt64.self).bigEndian))
                                last = Array(k)
                                return true
                            }
                        }
                        listed += entries.count
                        from = last + [0]
                        blackHole(entries)
                    }
                }
            }
            if listed != Prepared.manyFiles { throw RawLMDB.Failure(description: "listed \(listed) entries") }
        }, teardown: {
            await c.close(keep: true)
        })
    }
}

// MARK: 9. Group commit

func groupCommit(writers: Int, writesPerBatch: Int, batches: Int) {
    let durability = Durability.full
    let size = 4 * KiB
    let fileLength = 64 * MiB
    let slots = fileLength / size
    let perWriter = writesPerBatch / writers
    let workload = "w9-group-commit-\(writers)-writers"
    for system in [System.shareCore, .lmdb] {
        let c = Context()
        let r = Recorder(workload: workload, system: system.rawValue, durability: durability.rawValue,
                         unit: "batch of \(writesPerBatch) 4 KiB writes by \(writers) concurrent writers (each its own file)")
        let inner = LatencyList()
        register(benchName(workload, system), iterations: batches, recorder: r, setup: {
            c.data = payload(size)
            r.extra["writers"] = writers
            r.extra["writes_per_batch"] = writesPerBatch
            if system == .shareCore {
                try await c.openStore(workload + "-sc", durability: durability)
                try await c.store!.createShare("bench")
                for w in 0..<writers {
                    try await c.share.createFile("w\(w)", length: UInt64(fileLength))
                }
            } else {
                try c.openEnv(workload + "-lmdb", durability: durability)
            }
        }, iteration: { b in
            let batch = c.index
            c.index += 1
            let data = c.data
            if system == .shareCore {
                let share = c.share
                try await r.op(b, bytes: writesPerBatch * size) {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for w in 0..<writers {
                            group.addTask {
                                var rng = SplitMix64(seed: UInt64(batch * 1000 + w))
                                for _ in 0..<perWriter {
                                    let offset = UInt64(rng.below(slots) * size)
                                    let t0 = nanos()
                                    try await share.write("w\(w)", at: offset, data)
                                    inner.add(nanos() - t0)
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
            } else {
                let env = c.env!
                try await r.op(b, bytes: writesPerBatch * size) {
                    // One thread per writer, one transaction per write: LMDB serialises writers
                    // and syncs every commit.
                    let done = DispatchGroup()
                    let failure = FailureBox()
                    for w in 0..<writers {
                        done.enter()
                        let thread = Thread {
                            defer { done.leave() }
                            var rng = SplitMix64(seed: UInt64(batch * 1000 + w))
                            do {
                                try data.withUnsafeBytes { bytes in
                                    for _ in 0..<perWriter {
                                        let slot = UInt64(rng.below(slots))
                                        let t0 = nanos()
                                        try env.put(key(UInt64(10 + w), slot), bytes)
                                        inner.add(nanos() - t0)
                                    }
                                }
                            } catch {
                                failure.set(error)
                            }
                        }
                        thread.start()
                    }
                    await withCheckedContinuation { (k: CheckedContinuation<Void, Never>) in
                        done.notify(queue: .global()) { k.resume() }
                    }
                    if let error = failure.error { throw error }
                }
            }
        }, teardown: {
            let all = inner.sorted()
            func pct(_ p: Double) -> Double {
                guard !all.isEmpty else { return 0 }
                return Double(all[min(all.count - 1, max(0, Int((p / 100 * Double(all.count)).rounded(.up)) - 1))]) / 1e9
            }
            r.extra["write_p50_s"] = pct(50)
            r.extra["write_p90_s"] = pct(90)
            r.extra["write_p99_s"] = pct(99)
            r.extra["writes"] = all.count
            await c.close()
        })
    }
}

final class LatencyList: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [UInt64] = []
    func add(_ v: UInt64) {
        lock.lock()
        values.append(v)
        lock.unlock()
    }
    func sorted() -> [UInt64] {
        lock.lock()
        defer { lock.unlock() }
        return values.sorted()
    }
}

final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: (any Error)?
    func set(_ e: any Error) {
        lock.lock()
        error = e
        lock.unlock()
    }
}

// MARK: The write-size sweep (the plot)

func sweep(size: Int, total wanted: Int, maxOps: Int, durability: Durability) {
    let ops = min(wanted / size, maxOps)
    let total = ops * size
    let workload = "sweep-seq-write-\(sizeLabel(size))-\(durability.rawValue)"
    for system in [System.shareCore, .lmdb, .shareCoreNoMD5] {
        let c = Context()
        let r = Recorder(workload: workload, system: system.rawValue, durability: durability.rawValue,
                         unit: "\(sizeLabel(size)) write, in order, \(sizeLabel(total)) in all")
        r.extra["write_size"] = size
        register(benchName(workload, system), iterations: ops, recorder: r, setup: {
            c.data = payload(size)
            if system.isShareCore {
                try await c.openStore(workload + "-sc", durability: durability)
                try await c.store!.createShare("bench")
                try await c.share.createFile("f", length: UInt64(total))
                if system == .shareCoreNoMD5 { try await dropRunningMD5(c.share, length: total) }
            } else {
                try c.openEnv(workload + "-lmdb", durability: durability)
            }
        }, iteration: { b in
            let i = c.index
            c.index += 1
            if system.isShareCore {
                let share = c.share
                try await r.op(b, bytes: size) { try await share.write("f", at: UInt64(i * size), c.data) }
            } else {
                try await r.op(b, bytes: size) {
                    try c.data.withUnsafeBytes { try c.env!.put(key(1, UInt64(i)), $0) }
                }
            }
        }, teardown: {
            await c.close()
        })
    }
}
