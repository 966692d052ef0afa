import ShareCore

/// A bucket name mapped to a directory of a share (besides every share being a bucket of its
/// own name). Object keys of the bucket are relative to that directory.
///
/// The mapping names the directory by path. If the directory is later deleted or renamed, the
/// mapping stays but no longer resolves: the S3 front answers `NoSuchBucket` for it until a
/// directory exists at that path again (or the mapping is removed). Deleting the share removes
/// its mappings in the same transaction.
///
/// Mappings are the S3 front's own records (table `s3.buckets`, keyed by bucket name), kept
/// through the engine's ``RecordWriter``: each is owned by its share and claims its bucket name,
/// so no share can be created under a mapped bucket's name.
public struct BucketMapping: Sendable, Hashable {
    /// The bucket name.
    public var name: String
    /// The share holding the directory.
    public var share: String
    /// The directory, relative to the share's root (empty for the root itself).
    public var path: String
    /// When the mapping was added.
    public var created: FileTime

    /// A mapping description.
    public init(name: String, share: String, path: String, created: FileTime) {
        self.name = name
        self.share = share
        self.path = path
        self.created = created
    }

    /// The record table holding the mappings.
    public static let table = RecordTable("s3.buckets")

    /// The stored form: format 2 · share (u16 length + UTF-8) · path (u16 length + UTF-8) ·
    /// created ticks (i64, big-endian).
    func encode() -> [UInt8] {
        var out: [UInt8] = [2]
        for text in [share, path] {
            let u = Array(text.utf8)
            out += [UInt8(truncatingIfNeeded: u.count >> 8), UInt8(truncatingIfNeeded: u.count)] + u
        }
        let ticks = UInt64(bitPattern: created.ticks)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: ticks >> UInt64(shift))) }
        return out
    }

    /// Decodes a stored mapping of bucket `name`.
    init(name: String, stored bytes: [UInt8]) throws(ShareCoreError) {
        func corrupt() -> ShareCoreError { ShareCoreError(.dataCorrupted, "the mapping of bucket '\(name)' is malformed") }
        guard bytes.first == 2 else { throw corrupt() }
        var position = 1
        var texts: [String] = []
        for _ in 0..<2 {
            guard position + 2 <= bytes.count else { throw corrupt() }
            let count = Int(bytes[position]) << 8 | Int(bytes[position + 1])
            position += 2
            guard position + count <= bytes.count else { throw corrupt() }
            texts.append(String(decoding: bytes[position..<(position + count)], as: UTF8.self))
            position += count
        }
        guard position + 8 == bytes.count else { throw corrupt() }
        var ticks: UInt64 = 0
        for b in bytes[position...] { ticks = ticks << 8 | UInt64(b) }
        self.init(name: name, share: texts[0], path: texts[1], created: FileTime(ticks: Int64(bitPattern: ticks)))
    }

    /// Checks a stored mapping for `sharecore check`: a valid bucket name, a decodable record
    /// and a valid path.
    public static let verifier: RecordVerifier = { key, value in
        let name = String(decoding: key, as: UTF8.self)
        try ShareStore.validateBucketName(name)
        let mapping = try BucketMapping(name: name, stored: value)
        _ = try SharePath(mapping.path)
    }
}

extension ShareStore {
    /// Maps bucket `name` to directory `path` of share `share`.
    ///
    /// Errors: `invalidArgument` when `name` breaks S3's bucket naming rules
    /// (``validateBucketName(_:)``); `shareAlreadyExists` when a share has that name;
    /// `resourceAlreadyExists` when the name is already mapped; `shareNotFound`;
    /// `resourceNotFound` when no directory exists at `path`; `notADirectory` when a file does.
    @discardableResult
    public func addBucket(_ name: String, share: String, path: String) async throws -> BucketMapping {
        try Self.validateBucketName(name)
        let p = try SharePath(path)
        let info: NodeInfo
        do {
            info = try await self.share(share).info(p.description)
        } catch let error as ShareCoreError where error.code == .parentNotFound {
            throw ShareCoreError(.resourceNotFound, "directory '\(p)' does not exist in share '\(share)'")
        }
        guard info.isDirectory else { throw ShareCoreError(.notADirectory, "'\(p)' is a file, not a directory") }
        return try await writeRecords { records in
            if try records.get(BucketMapping.table, Array(name.utf8)) != nil {
                throw ShareCoreError(.resourceAlreadyExists, "bucket '\(name)' is already mapped")
            }
            let mapping = BucketMapping(name: name, share: share, path: p.description, created: FileTime.now())
            try records.put(BucketMapping.table, Array(name.utf8), mapping.encode(), owner: share, claimingShareName: name)
            return mapping
        }
    }

    /// The mapping of bucket `name`, or nil when it is not mapped (a share of that name is not
    /// a mapping).
    public func bucketMapping(_ name: String) async throws -> BucketMapping? {
        try readRecords { records in
            try records.get(BucketMapping.table, Array(name.utf8)).map { try BucketMapping(name: name, stored: $0) }
        }
    }

    /// Every bucket mapping, by name.
    public func bucketMappings() async throws -> [BucketMapping] {
        try readRecords { records in
            var out: [BucketMapping] = []
            try records.scan(BucketMapping.table) { key, value in
                out.append(try BucketMapping(name: String(decoding: key, as: UTF8.self), stored: value))
                return true
            }
            return out
        }
    }

    /// Removes the mapping of bucket `name` (`resourceNotFound` when it is not mapped), with
    /// the bucket's tag set and lifecycle configuration. The directory and its contents stay.
    public func removeBucket(_ name: String) async throws {
        try await writeRecords { records in
            guard try records.delete(BucketMapping.table, Array(name.utf8)) else {
                throw ShareCoreError(.resourceNotFound, "bucket '\(name)' is not mapped")
            }
            _ = try records.delete(LifecycleRecord.table, LifecycleRecord.key(name))
            _ = try records.delete(BucketTags.table, Array(name.utf8))
            _ = try records.delete(BucketEncryption.table, Array(name.utf8))
            // Its ACL, policy and other access settings go with it.
            _ = try records.delete(BucketAccessSettings.table, Array(name.utf8))
            // The bucket's CORS configuration goes with it (it would otherwise apply to a later bucket of that name).
            try records.delete(CorsConfiguration.table, Array(name.utf8))
        }
    }

    /// Checks S3's rules for a general purpose bucket name: 3 to 63 characters of lowercase
    /// letters, digits, `.` and `-`; starting and ending with a letter or digit; no `..`; not
    /// formatted as an IPv4 address; none of the reserved prefixes (`xn--`, `sthree-`,
    /// `amzn-s3-demo-`) or suffixes (`-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3`).
    /// Throws `invalidArgument` naming the rule broken.
    public static func validateBucketName(_ name: String) throws(ShareCoreError) {
        func bad(_ why: String) -> ShareCoreError {
            ShareCoreError(.invalidArgument, "bucket name '\(name)' is invalid: \(why)")
        }
        let u = Array(name.utf8)
        guard (3...63).contains(u.count) else { throw bad("it must be 3 to 63 characters long") }
        func isLetterOrDigit(_ c: UInt8) -> Bool { (97...122).contains(c) || (48...57).contains(c) }
        for c in u where !isLetterOrDigit(c) && c != 0x2E && c != 0x2D {
            throw bad("only lowercase letters, digits, '.' and '-' are allowed")
        }
        guard let first = u.first, let last = u.last, isLetterOrDigit(first), isLetterOrDigit(last) else {
            throw bad("it must start and end with a letter or digit")
        }
        if name.contains("..") { throw bad("it must not contain two adjacent periods") }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count == 4, labels.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (48...57).contains($0) } }) {
            throw bad("it must not be formatted as an IP address")
        }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(prefix) {
            throw bad("the prefix '\(prefix)' is reserved")
        }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where name.hasSuffix(suffix) {
            throw bad("the suffix '\(suffix)' is reserved")
        }
    }
}
