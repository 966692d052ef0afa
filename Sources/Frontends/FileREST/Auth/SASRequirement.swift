/// What an operation asks of a shared access signature: the account-SAS resource type it
/// belongs to, the permission letters of which any one suffices, and whether (and at which
/// scope) a service SAS may perform it.
///
/// The account-SAS column follows the File service table of "Create an account SAS"; the
/// service-SAS column follows "Create a service SAS" (permissions for a share and for a file),
/// where share-level operations other than listing are refused to a service SAS.
struct SASRequirement: Sendable, Equatable {
    /// The account-SAS signed resource type (`srt`) an operation needs.
    enum ResourceType: Character, Sendable {
        /// `s`: service-level operations (list shares, service properties).
        case service = "s"
        /// `c`: share-level operations and listing directories and files.
        case container = "c"
        /// `o`: directories and files.
        case object = "o"
    }

    /// Which service SAS (`sr`) may perform an operation.
    enum ServiceScope: Sendable, Equatable {
        /// No service SAS: only an account SAS (or Shared Key).
        case none
        /// A share SAS (`sr=s`) only: directories, listings, share permissions.
        case share
        /// A share SAS, or a file SAS (`sr=f`) for that very file.
        case shareOrFile
    }

    /// The account-SAS resource type; nil when no SAS at all may perform the operation.
    let resourceType: ResourceType?
    /// Permission letters, any one of which allows the operation.
    let permissions: String
    /// Which service SAS may perform it.
    let serviceScope: ServiceScope

    /// Refused to every SAS (Get/Set Share ACL: only the account owner may call them).
    static let ownerOnly = SASRequirement(resourceType: nil, permissions: "", serviceScope: .none)

    /// The requirement of `operation`. `targetExists` tells whether a file being created or
    /// copied onto already exists (then only `w` will do); `leaseAction` is `x-ms-lease-action`
    /// (breaking a lease is also allowed by `d`).
    static func of(_ operation: Operation, targetExists: Bool = false, leaseAction: String? = nil) -> SASRequirement {
        let breaking = leaseAction?.lowercased() == "break"
        switch operation {
        // Service
        case .listShares: return SASRequirement(resourceType: .service, permissions: "l", serviceScope: .none)
        // Never reached with a SAS: the Authorizer takes only a bearer token for it.
        case .getUserDelegationKey: return SASRequirement(resourceType: .service, permissions: "w", serviceScope: .none)
        case .getServiceProperties, .preflight: return SASRequirement(resourceType: .service, permissions: "r", serviceScope: .none)
        case .setServiceProperties: return SASRequirement(resourceType: .service, permissions: "w", serviceScope: .none)
        // Share
        case .createShare, .snapshotShare: return SASRequirement(resourceType: .container, permissions: "cw", serviceScope: .none)
        case .deleteShare: return SASRequirement(resourceType: .container, permissions: "d", serviceScope: .none)
        case .getShareProperties, .getShareMetadata, .getShareStats:
            return SASRequirement(resourceType: .container, permissions: "r", serviceScope: .none)
        case .setShareProperties, .setShareMetadata: return SASRequirement(resourceType: .container, permissions: "w", serviceScope: .none)
        case .getShareACL, .setShareACL: return .ownerOnly
        case .leaseShare: return SASRequirement(resourceType: .container, permissions: breaking ? "wd" : "w", serviceScope: .none)
        case .createPermission: return SASRequirement(resourceType: .container, permissions: "cw", serviceScope: .share)
        case .getPermission: return SASRequirement(resourceType: .container, permissions: "r", serviceScope: .share)
        case .listDirectory: return SASRequirement(resourceType: .container, permissions: "l", serviceScope: .share)
        // Directory
        case .createDirectory: return SASRequirement(resourceType: .object, permissions: "cw", serviceScope: .share)
        case .getDirectoryProperties, .getDirectoryMetadata:
            return SASRequirement(resourceType: .object, permissions: "r", serviceScope: .share)
        case .setDirectoryProperties, .setDirectoryMetadata, .renameDirectory, .forceCloseDirectoryHandles:
            return SASRequirement(resourceType: .object, permissions: "w", serviceScope: .share)
        case .deleteDirectory: return SASRequirement(resourceType: .object, permissions: "d", serviceScope: .share)
        case .listDirectoryHandles: return SASRequirement(resourceType: .object, permissions: "l", serviceScope: .share)
        // File
        case .createFile, .copyFile:
            return SASRequirement(resourceType: .object, permissions: targetExists ? "w" : "cw", serviceScope: .shareOrFile)
        case .getFile, .getFileProperties, .getFileMetadata, .listRanges, .listFileHandles:
            return SASRequirement(resourceType: .object, permissions: "r", serviceScope: .shareOrFile)
        case .setFileProperties, .setFileMetadata, .putRange, .putRangeFromURL, .abortCopyFile, .renameFile,
             .forceCloseFileHandles:
            return SASRequirement(resourceType: .object, permissions: "w", serviceScope: .shareOrFile)
        case .deleteFile: return SASRequirement(resourceType: .object, permissions: "d", serviceScope: .shareOrFile)
        case .leaseFile: return SASRequirement(resourceType: .object, permissions: breaking ? "wd" : "w", serviceScope: .shareOrFile)
        }
    }

    /// Whether `granted` (permission letters) includes one of the required letters.
    func isGranted(by granted: String) -> Bool {
        permissions.contains { granted.contains($0) }
    }
}
