import Crypto
import Foundation
import Testing
@testable import ShareCore

/// Random operation sequences run against the engine and a simple in-memory model, compared
/// after every step (the touched items), fully every few hundred steps (live share and every
/// snapshot), again after closing and reopening the store, and finally by a clean `check`.
///
/// `SHARECORE_MODEL_OPS` sets the total number of operations (default 10,000), spread over
/// a few seeds.
@Suite struct ModelBasedTests {
    static var totalOperations: Int {
        ProcessInfo.processInfo.environment["SHARECORE_MODEL_OPS"].flatMap(Int.init) ?? 10_000
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func randomOperationsMatchTheModel(seed: UInt64) async throws {
        var harness = try await ModelHarness(seed: seed)
        try await harness.run(steps: Self.totalOperations / 4)
    }
}

/// The model: a tree of paths, files as ``SparseFileModel``s.
enum ModelEntry: Equatable {
    case directory
    case file(SparseFileModel)
}

struct ModelTree: Equatable {
    /// Path ("" is the root) to entry.
    var entries: [String: ModelEntry] = ["": .directory]

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    static func name(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    static func join(_ dir: String, _ name: String) -> String { dir.isEmpty ? name : dir + "/" + name }

    func children(_ dir: String) -> [String] {
        entries.keys.filter { !$0.isEmpty && ModelTree.parent($0) == dir }.sorted()
    }

    func subtree(_ path: String) -> [String] {
        entries.keys.filter { $0 == path || path.isEmpty || $0.hasPrefix(path + "/") }
    }

    var directories: [String] { entries.filter { $0.value == .directory }.map(\.key).sorted() }
    var files: [String] { entries.filter { $0.value != .directory }.map(\.key).sorted() }

    /// The error creating something at `path` meets, or nil when it can be created.
    func createError(_ path: String) -> ShareCoreError.Code? {
        let parent = ModelTree.parent(path)
        if let p = entries[parent] {
            if p != .directory { return .notADirectory }
        } else {
            return resolveError(parent) == .resourceNotFound ? .parentNotFound : resolveError(parent)
        }
        return entries[path] == nil ? nil : .resourceAlreadyExists
    }

    /// The error resolving `path` meets, or nil.
    func resolveError(_ path: String) -> ShareCoreError.Code? {
        if entries[path] != nil { return nil }
        let parts = path.split(separator: "/").map(String.init)
        var current = ""
        for (i, part) in parts.enumerated() {
            current = ModelTree.join(current, part)
            guard let entry = entries[current] else {
                return i == parts.count - 1 ? .resourceNotFound : .parentNotFound
            }
            if i < parts.count - 1 && entry != .directory { return .notADirectory }
        }
        return nil
    }
}

/// Drives one seeded sequence.
struct ModelHarness {
    var rng: SeededRandom
    let temp: TempStore
    var store: ShareStore
    var live = ModelTree()
    var snapshots: [(name: String, tree: ModelTree)] = []
    let shareName = "model"
    let names = ["a", "b", "c", "d", "e"]
    let extentSize = 64 * 1024
    let maxFile = 300 * 1024
    var step = 0
    var log: [String] = []

    init(seed: UInt64) async throws {
        rng = SeededRandom(state: seed)
        temp = try await TempStore.make(extentSize: 64 * 1024, maxRuns: 8)
        store = temp.store
        try await store.createShare(shareName)
    }

    var share: Share { store.share(shareName) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
    mutating func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[int(0...(items.count - 1))] }

    /// A path that usually exists (or whose parent does), sometimes not.
    mutating func randomPath(files: Bool) -> String {
        let pool = files ? live.files : live.directories.filter { !$0.isEmpty }
        if chance(80), let existing = pick(pool) { return existing }
        let dir = pick(live.directories) ?? ""
        let depth = dir.split(separator: "/").count
        if depth >= 3 { return dir.isEmpty ? "a" : dir }
        return ModelTree.join(dir, pick(names) ?? "a")
    }

    /// A file size: often on or next to an extent boundary, where off-by-one errors live.
    mutating func randomSize() -> Int {
        switch int(0...3) {
        case 0: return int(0...(maxFile / extentSize)) * extentSize
        case 1: return max(0, int(0...(maxFile / extentSize)) * extentSize + int(-2...2))
        default: return int(0...maxFile)
        }
    }

    mutating func newPath() -> String {
        let dir = chance(90) ? (pick(live.directories) ?? "") : ModelTree.join(pick(live.directories) ?? "", "zz")
        if dir.split(separator: "/").count >= 3 { return ModelTree.join("", pick(names) ?? "a") }
        return ModelTree.join(dir, pick(names) ?? "a")
    }

    /// Runs the operation; compares its outcome (success or error code) with the model's.
    mutating func expect<T>(_ what: String, _ expected: ShareCoreError.Code?, _ body: () async throws -> T) async throws -> T? {
        log.append("\(step): \(what) -> \(expected.map(\.description) ?? "ok")")
        do {
            let value = try await body()
            #expect(expected == nil, "step \(step) \(what): expected \(expected!) but it succeeded\n\(log.suffix(12).joined(separator: "\n"))")
            return expected == nil ? value : nil
        } catch let error as ShareCoreError {
            #expect(error.code == expected, "step \(step) \(what): \(error)\n\(log.suffix(12).joined(separator: "\n"))")
            if error.code != expected { throw error }
            return nil
        }
    }

    mutating func run(steps: Int) async throws {
        for i in 0..<steps {
            step = i
            let touched = try await randomOperation()
            for path in touched { try await compare(path, model: live, view: share) }
            if i % 250 == 249 { try await compareAll() }
            if i % 1000 == 999 {
                store = try await temp.reopen(closing: store)
                try await compareAll()
            }
        }
        try await compareAll()
        store = try await temp.reopen(closing: store)
        try await compareAll()
        try await temp.finish(store)
    }

    /// One random operation; returns the live paths it touched.
    mutating func randomOperation() async throws -> [String] {
        let share = self.share
        switch int(0...99) {
        case 0..<10: // create directory
            let path = newPath()
            let code = live.createError(path)
            if try await expect("mkdir \(path)", code, { try await share.createDirectory(path) }) != nil {
                live.entries[path] = .directory
            }
            return [path, ModelTree.parent(path)]
        case 10..<20: // create file
            let path = newPath()
            let size = randomSize()
            let overwrite = chance(30)
            var code = live.createError(path)
            if code == .resourceAlreadyExists, overwrite, case .file = live.entries[path] { code = nil }
            if try await expect("create \(path) \(size)", code, { try await share.createFile(path, length: UInt64(size), overwrite: overwrite) }) != nil {
                live.entries[path] = .file(SparseFileModel(size: size))
            }
            return [path, ModelTree.parent(path)]
        case 20..<45: // write
            let path = randomPath(files: true)
            guard case .file(var file)? = live.entries[path] else {
                let code = live.resolveError(path) ?? .notAFile
                _ = try await expect("write \(path)", code, { try await share.write(path, at: 0, [1]) })
                return []
            }
            let length = int(1...(chance(10) ? 140_000 : 5000))
            let offset = chance(5) ? file.bytes.count : int(0...max(0, file.bytes.count - 1))
            let bytes = pattern(length, seed: rng.next())
            let fits = offset + length <= file.bytes.count
            if try await expect("write \(path) @\(offset)+\(length)", fits ? nil : .invalidRange, {
                try await share.write(path, at: UInt64(offset), bytes)
            }) != nil {
                file.bytes.replaceSubrange(offset..<(offset + length), with: bytes)
                for i in offset..<(offset + length) { file.written[i] = true }
                live.entries[path] = .file(file)
            }
            return [path]
        case 45..<52: // clear
            let path = randomPath(files: true)
            guard case .file(var file)? = live.entries[path], !file.bytes.isEmpty else { return [] }
            let start = int(0...(file.bytes.count - 1))
            let end = min(file.bytes.count + (chance(5) ? 1 : 0), start + int(1...100_000))
            let fits = end <= file.bytes.count
            if try await expect("clear \(path) \(start)..<\(end)", fits ? nil : .invalidRange, {
                try await share.clear(path, range: UInt64(start)..<UInt64(end))
            }) != nil {
                for i in start..<end {
                    file.bytes[i] = 0
                    file.written[i] = false
                }
                live.entries[path] = .file(file)
            }
            return [path]
        case 52..<58: // resize
            let path = randomPath(files: true)
            guard case .file(var file)? = live.entries[path] else { return [] }
            let size = randomSize()
            _ = try await expect("resize \(path) \(size)", nil, { try await share.resize(path, to: UInt64(size)) })
            file.resize(size)
            live.entries[path] = .file(file)
            return [path]
        case 58..<65: // rename
            let isFile = chance(70)
            let from = randomPath(files: isFile)
            let to = newPath()
            let replace = chance(50)
            let code = renameError(from: from, to: to, replace: replace)
            if try await expect("rename \(from) -> \(to) replace=\(replace)", code, {
                try await share.rename(from, to: to, replaceIfExists: replace)
            }) != nil, from != to {
                let moved = live.subtree(from)
                if let victim = live.entries[to], victim != .directory { live.entries[to] = nil }
                var updated = live.entries
                for path in moved { updated[path] = nil }
                for path in moved {
                    updated[to + path.dropFirst(from.count)] = live.entries[path]
                }
                live.entries = updated
            }
            return [from, to, ModelTree.parent(from), ModelTree.parent(to)]
        case 65..<72: // delete
            if chance(60) {
                let path = randomPath(files: true)
                let code = live.resolveError(path) ?? (live.entries[path] == .directory ? .notAFile : nil)
                if try await expect("rm \(path)", code, { try await share.deleteFile(path) }) != nil {
                    live.entries[path] = nil
                }
                return [path, ModelTree.parent(path)]
            }
            let path = randomPath(files: false)
            var code = live.resolveError(path)
            if code == nil {
                if case .file = live.entries[path] { code = .notADirectory } else if !live.children(path).isEmpty { code = .directoryNotEmpty }
            }
            if try await expect("rmdir \(path)", code, { try await share.deleteDirectory(path) }) != nil {
                live.entries[path] = nil
            }
            return [path, ModelTree.parent(path)]
        case 72..<78: // snapshot
            if snapshots.count >= 6 { return [] }
            let info = try await store.createSnapshot(of: shareName)
            log.append("\(step): snapshot \(info.name)")
            snapshots.append((info.name, live))
            return []
        case 78..<81: // delete a snapshot
            guard !snapshots.isEmpty else { return [] }
            let index = int(0...(snapshots.count - 1))
            log.append("\(step): delete snapshot \(snapshots[index].name)")
            try await store.deleteSnapshot(of: shareName, snapshots[index].name)
            snapshots.remove(at: index)
            return []
        case 81..<88: // copy (from live or a snapshot)
            let fromSnapshot = !snapshots.isEmpty && chance(50)
            let source = fromSnapshot ? snapshots[int(0...(snapshots.count - 1))] : (name: "", tree: live)
            guard let from = pick(source.tree.files) else { return [] }
            let to = newPath()
            var code = live.createError(to)
            if code == .resourceAlreadyExists, case .file = live.entries[to] { code = nil }
            let handle = fromSnapshot ? store.share(shareName, snapshot: source.name) : share
            if try await expect("copy \(source.name):\(from) -> \(to)", code, {
                try await share.copy(from: handle, from, to: to)
            }) != nil {
                live.entries[to] = source.tree.entries[from]
            }
            return [to, ModelTree.parent(to)]
        case 88..<93: // restore an item or the whole share to its original place
            guard let snap = pick(snapshots) else { return [] }
            let candidates = snap.tree.entries.keys.sorted()
            let item = chance(20) ? "" : (pick(candidates) ?? "")
            let policy: ConflictPolicy = [.overwrite, .skip, .fail][int(0...2)]
            let expected = modelRestore(snap.tree, item: item, policy: policy)
            log.append("\(step): restore \(snap.name) '\(item)' \(policy)")
            let report = try await store.restore(RestoreRequest(share: shareName, snapshot: snap.name,
                                                                items: item.isEmpty ? [] : [item], conflict: policy))
            let got: [Int] = [report.restored, report.skipped, report.failed]
            let want: [Int] = [expected.restored, expected.skipped, expected.failed]
            #expect(got == want,
                    "step \(step) restore \(item) \(policy): \(report.failures)\n\(log.suffix(12).joined(separator: "\n"))")
            return Array(snap.tree.subtree(item).prefix(20))
        default: // read something and compare
            return [randomPath(files: chance(70))]
        }
    }

    func renameError(from: String, to: String, replace: Bool) -> ShareCoreError.Code? {
        if let code = live.resolveError(from) { return code }
        if from.isEmpty || to.isEmpty { return .invalidMove }
        let parent = ModelTree.parent(to)
        if let p = live.entries[parent] {
            if p != .directory { return .notADirectory }
        } else {
            let code = live.resolveError(parent)
            return code == .resourceNotFound ? .parentNotFound : code
        }
        if live.entries[from] == .directory && (to == from || to.hasPrefix(from + "/")) {
            return to == from ? nil : .invalidMove
        }
        if let existing = live.entries[to], to != from {
            if !replace { return .resourceAlreadyExists }
            if existing == .directory { return .resourceAlreadyExists }
            // A directory may replace a file, as in Azure Files.
        }
        return nil
    }

    /// Applies a same-place restore to the model; returns the counts the engine must report.
    mutating func modelRestore(_ tree: ModelTree, item: String, policy: ConflictPolicy) -> (restored: Int, skipped: Int, failed: Int) {
        var counts = (restored: 0, skipped: 0, failed: 0)
        var queue = [item]
        while !queue.isEmpty {
            let path = queue.removeFirst()
            guard let source = tree.entries[path] else { continue }
            let isDirectory = source == .directory
            if !path.isEmpty, live.entries[path] == nil, live.createError(path) != nil {
                counts.failed += 1
                continue
            }
            if let existing = live.entries[path] {
                if existing == .directory && isDirectory {
                    counts.restored += 1
                    queue.append(contentsOf: tree.children(path))
                    continue
                }
                switch policy {
                case .skip:
                    counts.skipped += 1
                    continue
                case .fail:
                    counts.failed += 1
                    continue
                case .overwrite:
                    if existing == .directory && !live.children(path).isEmpty {
                        counts.failed += 1
                        continue
                    }
                    live.entries[path] = nil
                }
            }
            live.entries[path] = source
            counts.restored += 1
            if isDirectory { queue.append(contentsOf: tree.children(path)) }
        }
        return counts
    }

    /// Compares one path of `model` with `view`.
    func compare(_ path: String, model: ModelTree, view: Share) async throws {
        let label = "step \(step) \(view.snapshot ?? "live") '\(path)'"
        switch model.entries[path] {
        case nil:
            let exists = try await view.exists(path)
            #expect(!exists, "\(label) should not exist\n\(log.suffix(12).joined(separator: "\n"))")
        case .directory?:
            let page = try await view.list(path)
            let names = page.entries.map(\.name)
            let expected = model.children(path).map(ModelTree.name)
            #expect(names == expected, "\(label) listing\n\(log.suffix(12).joined(separator: "\n"))")
            // The names, ids and sizes of the directory's own entries agree with the nodes.
            let summaries = try await view.listSummaries(path).entries
            let fromNodes = page.entries.map(DirectorySummary.init(fromNode:))
            #expect(summaries == fromNodes, "\(label) summaries\n\(log.suffix(12).joined(separator: "\n"))")
        case .file(let file)?:
            let info = try await view.info(path)
            #expect(info.kind == .file && info.size == UInt64(file.bytes.count), "\(label) size \(info.size) != \(file.bytes.count)")
            let bytes = try await view.read(path, range: 0..<UInt64(file.bytes.count))
            let firstDifference = firstDifferingByte(bytes, file.bytes)
            #expect(firstDifference == nil, "\(label) content differs first at byte \(firstDifference ?? -1)\n\(log.suffix(12).joined(separator: "\n"))")
            let ranges = try await view.ranges(path)
            #expect(ranges == file.ranges, "\(label) ranges \(ranges) != \(file.ranges)\n\(log.suffix(12).joined(separator: "\n"))")
        }
    }

    /// Compares the live share and every snapshot completely, plus share statistics.
    func compareAll() async throws {
        for path in live.entries.keys.sorted() { try await compare(path, model: live, view: share) }
        for (path, entry) in live.entries.sorted(by: { $0.key < $1.key }) {
            guard case .file(let file) = entry else { continue }
            let md5 = try await share.contentMD5(path)
            #expect(md5 == Array(Insecure.MD5.hash(data: file.bytes)), "step \(step) contentMD5 of '\(path)'")
        }
        let listed = try await store.listSnapshots(of: shareName).map(\.name)
        #expect(listed == snapshots.map(\.name), "step \(step) snapshot list")
        for snap in snapshots {
            let view = store.share(shareName, snapshot: snap.name)
            for path in snap.tree.entries.keys.sorted() { try await compare(path, model: snap.tree, view: view) }
            for (path, entry) in snap.tree.entries.sorted(by: { $0.key < $1.key }) {
                guard case .file(let file) = entry else { continue }
                let md5 = try await view.contentMD5(path)
                #expect(md5 == Array(Insecure.MD5.hash(data: file.bytes)), "step \(step) \(snap.name) contentMD5 of '\(path)'")
            }
        }
        let stats = try await store.shareStats(shareName)
        let used = live.entries.values.reduce(0) { sum, entry in
            if case .file(let f) = entry { return sum + f.written.filter { $0 }.count }
            return sum
        }
        #expect(stats.usedBytes == UInt64(used), "step \(step) used bytes")
        #expect(stats.nodeCount == UInt64(live.entries.count - 1), "step \(step) node count")
        let report = try await store.check()
        #expect(report.problems == [], "step \(step) check")
    }
}

/// The first offset where two byte arrays differ (or the shorter length), nil when equal.
func firstDifferingByte(_ a: [UInt8], _ b: [UInt8]) -> Int? {
    for i in 0..<min(a.count, b.count) where a[i] != b[i] { return i }
    return a.count == b.count ? nil : min(a.count, b.count)
}
