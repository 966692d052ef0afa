/// A bucket name mapped to a directory of a share (besides every share being a bucket of its
/// own name). Object keys of the bucket are relative to that directory.
///
/// The mapping names the directory by path. If the directory is later deleted or renamed, the
/// mapping stays but no longer resolves: the S3 front answers `NoSuchBucket` for it until a
/// directory exists at that path again (or the mapping is removed). Deleting the share removes
/// its mappings.
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
        let state = self.state
        return try await write { [self] txn in
            if try txn.get(.shares, Keys.share(name)) != nil {
                throw ShareCoreError(.shareAlreadyExists, "a share is named '\(name)', so it is a bucket already")
            }
            if try txn.get(.buckets, MultipartKeys.bucket(name)) != nil {
                throw ShareCoreError(.resourceAlreadyExists, "bucket '\(name)' is already mapped")
            }
            let record = try loadShare(txn.read, share)
            let view = View(txn: txn.read, share: record, epoch: record.liveEpoch, snapshot: nil, extentSize: extentSize)
            let node: NodeRecord
            do {
                node = try view.resolve(p)
            } catch let error as ShareCoreError where error.code == .parentNotFound {
                throw ShareCoreError(.resourceNotFound, "directory '\(p)' does not exist in share '\(share)'")
            }
            guard node.info.kind == .directory else {
                throw ShareCoreError(.notADirectory, "'\(p)' is a file, not a directory")
            }
            let bucket = BucketRecord(share: share, shareId: record.id, path: p.description, created: state.now())
            try txn.put(.buckets, MultipartKeys.bucket(name), bucket.encode())
            return bucket.mapping(name: name)
        }
    }

    /// The mapping of bucket `name`, or nil when it is not mapped (a share of that name is not
    /// a mapping).
    public func bucketMapping(_ name: String) async throws -> BucketMapping? {
        try env.read { txn in
            guard let raw = try txn.get(.buckets, MultipartKeys.bucket(name)) else { return nil }
            return try BucketRecord(raw).mapping(name: name)
        }
    }

    /// Every bucket mapping, by name.
    public func bucketMappings() async throws -> [BucketMapping] {
        try env.read { txn in
            var out: [BucketMapping] = []
            try txn.scan(.buckets, prefix: []) { k, v in
                out.append(try BucketRecord(v).mapping(name: String(decoding: k, as: UTF8.self)))
                return true
            }
            return out
        }
    }

    /// Removes the mapping of bucket `name` (`resourceNotFound` when it is not mapped). The
    /// directory and its contents stay.
    public func removeBucket(_ name: String) async throws {
        try await write { txn in
            guard try txn.delete(.buckets, MultipartKeys.bucket(name)) else {
                throw ShareCoreError(.resourceNotFound, "bucket '\(name)' is not mapped")
            }
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

    /// Deletes the bucket mappings of share `id` (part of deleting the share).
    static func deleteBucketMappings(_ txn: WriteTxn, share id: UInt64) throws {
        var doomed: [[UInt8]] = []
        try txn.scan(.buckets, prefix: []) { k, v in
            if try BucketRecord(v).shareId == id { doomed.append(Array(k)) }
            return true
        }
        for key in doomed { try txn.delete(.buckets, key) }
    }
}

extension BucketRecord {
    func mapping(name: String) -> BucketMapping {
        BucketMapping(name: name, share: share, path: path, created: created)
    }
}
