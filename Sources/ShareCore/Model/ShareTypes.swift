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
    public var metadata: Metadata
    /// Whether names compare case-sensitively (default: no, as on Azure Files).
    public var caseSensitive: Bool

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
    public var quotaGiB: UInt32?
    public var accessTier: String?
    public var rootSquash: String?

    public init(quotaGiB: UInt32? = nil, accessTier: String? = nil, rootSquash: String? = nil) {
        self.quotaGiB = quotaGiB
        self.accessTier = accessTier
        self.rootSquash = rootSquash
    }
}

/// A share (or one of its snapshots) as the store describes it.
public struct ShareInfo: Sendable, Hashable {
    public var name: String
    /// The snapshot's name when this describes a snapshot.
    public var snapshot: String?
    public var quotaGiB: UInt32
    public var accessTier: String?
    public var accessTierChangeTime: FileTime?
    public var enabledProtocols: String?
    public var rootSquash: String?
    public var metadata: Metadata
    public var caseSensitive: Bool
    public var created: FileTime
    public var lastModified: FileTime
    /// `0x` followed by hex FILETIME ticks; changes whenever properties or metadata change.
    public var etag: String
    /// Snapshots of the share, oldest first (filled by listings that ask for them).
    public var snapshots: [String]
}

/// A page of shares.
public struct SharePage: Sendable {
    /// Shares in name order; when snapshots were asked for, each share's snapshots follow
    /// the share as separate entries, oldest first.
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
    public var share: String
    /// The snapshot's name: a UTC timestamp with seven fractional digits, unique in the share.
    public var name: String
    public var created: FileTime
    /// The share's metadata at the snapshot, or the metadata given for the snapshot.
    public var metadata: Metadata
}

/// What deleting a share does with its snapshots.
public enum SnapshotDeletion: Sendable {
    /// Refuse with `shareHasSnapshots` when the share has snapshots.
    case refuse
    /// Delete the share and all its snapshots.
    case include
}
