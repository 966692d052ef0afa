import Foundation

// What the engine benchmarks and the profiling tool share.

public let KiB = 1024
public let MiB = 1024 * 1024
public let GiB = 1024 * 1024 * 1024

public func sizeLabel(_ bytes: Int) -> String {
    if bytes >= MiB, bytes % MiB == 0 { return "\(bytes / MiB)MiB" }
    if bytes >= KiB, bytes % KiB == 0 { return "\(bytes / KiB)KiB" }
    return "\(bytes)B"
}

/// Deterministic random numbers, so that ShareCore and raw LMDB see the same offsets.
public struct SplitMix64 {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// `count` bytes of pseudo-random (incompressible) data.
public func payload(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { raw in
        let words = raw.bindMemory(to: UInt64.self)
        for i in 0..<words.count { words[i] = rng.next() }
    }
    return bytes
}

public enum ProcStats {
    /// Bytes this process has passed to write(2)/pwrite(2)/writev(2) so far (`wchar` of
    /// /proc/self/io, summed over all threads). LMDB writes its data file only through these
    /// calls (no MDB_WRITEMAP), so the delta over an operation is what it wrote to data.mdb.
    public static func writtenBytes() -> Int {
        field("/proc/self/io", "wchar:")
    }

    /// Peak resident set (VmHWM) in bytes.
    public static func peakResident() -> Int { field("/proc/self/status", "VmHWM:") * 1024 }

    /// Current resident set (VmRSS) in bytes.
    public static func resident() -> Int { field("/proc/self/status", "VmRSS:") * 1024 }

    /// Current anonymous (heap, stacks, LMDB's dirty pages) and file-backed (mapped page
    /// cache: the LMDB map, the binaries) parts of the resident set, in bytes.
    public static func residentParts() -> (anon: Int, file: Int) {
        (field("/proc/self/status", "RssAnon:") * 1024, field("/proc/self/status", "RssFile:") * 1024)
    }

    /// Resets VmHWM to the current resident set (Linux: `5` to /proc/self/clear_refs).
    public static func resetPeak() {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return }
        _ = "5".withCString { write(fd, $0, 1) }
        close(fd)
    }

    private static func field(_ file: String, _ name: String) -> Int {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let digits = line.dropFirst(name.count).filter { $0.isNumber }
            return Int(digits) ?? 0
        }
        return 0
    }
}

@inline(__always) public func nanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Copies file `from` to `to` and syncs the copy, so that a later commit's sync in `full`
/// mode does not pay for flushing the copied bytes.
public func copySynced(_ from: String, to: String) throws {
    let input = open(from, O_RDONLY)
    guard input >= 0 else { throw RawLMDB.Failure(description: "cannot open \(from)") }
    defer { close(input) }
    let output = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard output >= 0 else { throw RawLMDB.Failure(description: "cannot create \(to)") }
    defer { close(output) }
    var buffer = [UInt8](repeating: 0, count: 4 * MiB)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
        if n == 0 { break }
        if n < 0 { throw RawLMDB.Failure(description: "reading \(from): errno \(errno)") }
        var done = 0
        while done < n {
            let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + done, n - done) }
            if w < 0 { throw RawLMDB.Failure(description: "writing \(to): errno \(errno)") }
            done += w
        }
    }
    guard fsync(output) == 0 else { throw RawLMDB.Failure(description: "fsync \(to): errno \(errno)") }
}
