/// Options for a new share.
public struct ShareOptions: Sendable, Hashable {
    /// Quota in GiB (1 to 102,400).
    public var quotaGiB: UInt32
    /// Access tier, as the front names it (e.g. `TransactionOptimized`, `Hot`, `Cool`).
    public var accessTier: String?
    /// Enabled protocols (e.g. `SMB`, `NFS`).
    public var enabledProtocols: String?
    /// NFS root squash setting.
    public var rootSquash: String?
    /// Metadata of the new share.
    public var metadata: Metadata
    /// Whether names compare case-sensitively (default: no, as on Azure Files).
    public var caseSensitive: Bool

    /// Options for a new share; the defaults match Azure Files (5 TiB quota, case-insensitive).
    public init(quotaGiB: UInt32 = 5120, accessTier: String? = nil, enabledProtocols: String? = nil,
                rootSquash: String? = nil, metadata: Metadata = Metadata(), caseSensitive: Bool = false) {
        self.quotaGiB = quotaGiB
        self.accessTier = accessTier
        self.enabledProtocols = enabledProtocols
        self.rootSquash = rootSquash
        self.metadata = metadata
        self.caseSensitive = caseSensitive
    }

    /// The largest quota, in GiB.
    public static let maxQuotaGiB: UInt32 = 102_400
}

/// A change of share properties; nil fields stay as they are.
public struct ShareUpdate: Sendable, Hashable {
    /// The new quota in GiB (1 to 102,400).
    public var quotaGiB: UInt32?
    /// The new access tier; a change records the access tier change time.
    public var accessTier: String?
    /// The new NFS root squash setting.
    public var rootSquash: String?

    /// A change of the given properties.
    public init(quotaGiB: UInt32? = nil, accessTier: String? = nil, rootSquash: String? = nil) {
        self.quotaGiB = quotaGiB
        self.accessTier = accessTier
        self.rootSquash = rootSquash
    }
}

/// A share (or one of its snapshots) as the store describes it.
public struct ShareInfo: Sendable, Hashable {
    /// The share's name.
    public var name: String
    /// The snapshot's name when this describes a snapshot.
    public var snapshot: String?
    /// Quota in GiB.
    public var quotaGiB: UInt32
    /// The access tier (e.g. `TransactionOptimized`, `Hot`, `Cool`), if one was set.
    public var accessTier: String?
    /// When the access tier last changed.
    public var accessTierChangeTime: FileTime?
    /// Enabled protocols, as set at creation.
    public var enabledProtocols: String?
    /// NFS root squash setting.
    public var rootSquash: String?
    /// User metadata (empty when a listing did not ask for it).
    public var metadata: Metadata
    /// Whether names compare case-sensitively.
    public var caseSensitive: Bool
    /// When the share was created (for a snapshot too: the share's creation time).
    public var created: FileTime
    /// When the share's properties or metadata last changed.
    public var lastModified: FileTime
    /// `0x` followed by hex FILETIME ticks; changes whenever properties or metadata change.
    public var etag: String
    /// Snapshots of the share, oldest first (filled by listings that ask for them).
    public var snapshots: [String]
    /// The share's lease, if one was taken and not released.
    public var lease: Lease?
    /// Stored access policies (signed identifiers), in the order set.
    public var accessPolicies: [AccessPolicy]
}

/// A stored access policy of a share: a named set of constraints that shared access
/// signatures can refer to.
public struct AccessPolicy: Sendable, Hashable {
    /// The policy's id (at most 64 characters).
    public var id: String
    /// When signatures under it become valid.
    public var start: FileTime?
    /// When they stop being valid.
    public var expiry: FileTime?
    /// Permission letters (e.g. `rwdl`).
    public var permissions: String?

    /// A policy.
    public init(id: String, start: FileTime? = nil, expiry: FileTime? = nil, permissions: String? = nil) {
        self.id = id
        self.start = start
        self.expiry = expiry
        self.permissions = permissions
    }

    var flattened: [String] {
        [id, start.map { String($0.ticks) } ?? "", expiry.map { String($0.ticks) } ?? "", permissions.map { "p" + $0 } ?? ""]
    }

    static func unflatten(_ items: [String]) -> [AccessPolicy] {
        stride(from: 0, to: items.count - 3, by: 4).map { i in
            AccessPolicy(id: items[i], start: Int64(items[i + 1]).map(FileTime.init(ticks:)),
                         expiry: Int64(items[i + 2]).map(FileTime.init(ticks:)),
                         permissions: items[i + 3].isEmpty ? nil : String(items[i + 3].dropFirst()))
        }
    }
}

/// A page of shares.
public struct SharePage: Sendable {
    /// Shares in name order; when snapshots were asked for, each share's snapshots precede
    /// the share as separate entries, oldest first (as Azure lists them).
    public var shares: [ShareInfo]
    /// Pass back as `marker` to continue; nil when complete.
    public var nextMarker: String?
}

/// Usage of a share.
public struct ShareStats: Sendable, Hashable {
    /// Bytes of file content stored in the live share (written ranges, not holes).
    public var usedBytes: UInt64
    /// Files and directories in the live share, the root excluded.
    public var nodeCount: UInt64
}

/// A share snapshot.
public struct SnapshotInfo: Sendable, Hashable {
    /// The name of the share the snapshot belongs to.
    public var share: String
    /// The snapshot's name: a UTC timestamp with seven fractional digits, unique in the share.
    public var name: String
    /// When the snapshot was taken.
    public var created: FileTime
    /// The share's metadata at the snapshot, or the metadata given for the snapshot.
    public var metadata: Metadata
}

/// What deleting a share does with its snapshots.
public enum SnapshotDeletion: Sendable {
    /// Refuse with `shareHasSnapshots` when the share has snapshots.
    case refuse
    /// Delete the share and all its snapshots, unless one has an active lease (`snapshotLeased`).
    case include
    /// Delete the share and all its snapshots, leased or not.
    case includeLeased
}
