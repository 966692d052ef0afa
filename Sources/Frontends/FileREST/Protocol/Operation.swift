import HTTPTypes

/// Every FileREST operation this front serves.
enum Operation: String, Sendable, CaseIterable {
    // Service
    case listShares, getServiceProperties, setServiceProperties, preflight, getUserDelegationKey
    // Share
    case createShare, snapshotShare, deleteShare, getShareProperties, setShareProperties
    case getShareMetadata, setShareMetadata, getShareACL, setShareACL, getShareStats
    case createPermission, getPermission, leaseShare
    // Directory
    case createDirectory, getDirectoryProperties, setDirectoryProperties, getDirectoryMetadata
    case setDirectoryMetadata, deleteDirectory, listDirectory, renameDirectory
    case listDirectoryHandles, forceCloseDirectoryHandles
    // File
    case createFile, getFile, getFileProperties, setFileProperties, getFileMetadata, setFileMetadata
    case deleteFile, putRange, putRangeFromURL, listRanges, copyFile, abortCopyFile, leaseFile, renameFile
    case listFileHandles, forceCloseFileHandles

    /// Whether the operation changes something (refused at a snapshot).
    var isWrite: Bool {
        switch self {
        case .listShares, .getServiceProperties, .preflight, .getUserDelegationKey, .getShareProperties, .getShareMetadata, .getShareACL,
             .getShareStats, .getPermission, .getDirectoryProperties, .getDirectoryMetadata, .listDirectory,
             .listDirectoryHandles, .getFile, .getFileProperties, .getFileMetadata, .listRanges, .listFileHandles:
            false
        default:
            true
        }
    }

    /// Identifies the operation of `request`, or fails with Azure's error for an unknown one.
    static func classify(_ request: FileRequest) throws -> Operation {
        let method = request.method
        let comp = request.comp
        if method == .options { return .preflight }
        if let restype = request.restype, !["share", "directory", "service"].contains(restype) {
            // `symboliclink` and `hardlink` are NFS-only operations this server does not offer.
            throw FileRESTError(.badRequest, "InvalidQueryParameterValue",
                                "Value for one of the query parameters specified in the request URI is invalid.",
                                details: [("QueryParameterName", "restype"), ("QueryParameterValue", restype),
                                          ("Reason", "Symbolic and hard links (NFS) are not supported by this server.")])
        }
        switch request.kind {
        case .service:
            switch (method, comp, request.restype) {
            case (.get, "list", _): return .listShares
            case (.get, "properties", "service"), (.head, "properties", "service"): return .getServiceProperties
            case (.put, "properties", "service"): return .setServiceProperties
            case (.post, "userdelegationkey", "service"): return .getUserDelegationKey
            default: break
            }
        case .share:
            switch (method, comp) {
            case (.put, nil): return .createShare
            case (.put, "snapshot"): return .snapshotShare
            case (.delete, nil): return .deleteShare
            case (.get, nil), (.head, nil): return .getShareProperties
            case (.put, "properties"): return .setShareProperties
            case (.get, "metadata"), (.head, "metadata"): return .getShareMetadata
            case (.put, "metadata"): return .setShareMetadata
            case (.get, "acl"), (.head, "acl"): return .getShareACL
            case (.put, "acl"): return .setShareACL
            case (.get, "stats"): return .getShareStats
            case (.put, "filepermission"): return .createPermission
            case (.get, "filepermission"): return .getPermission
            case (.put, "lease"): return .leaseShare
            // The share's root directory, addressed as a directory of the share.
            case (.get, "list"): return .listDirectory
            case (.get, "listhandles"): return .listDirectoryHandles
            case (.put, "forceclosehandles"): return .forceCloseDirectoryHandles
            default: break
            }
        case .directory:
            switch (method, comp) {
            case (.put, nil): return .createDirectory
            case (.get, nil), (.head, nil): return .getDirectoryProperties
            case (.put, "properties"): return .setDirectoryProperties
            case (.get, "metadata"), (.head, "metadata"): return .getDirectoryMetadata
            case (.put, "metadata"): return .setDirectoryMetadata
            case (.delete, nil): return .deleteDirectory
            case (.get, "list"): return .listDirectory
            case (.put, "rename"): return .renameDirectory
            case (.get, "listhandles"): return .listDirectoryHandles
            case (.put, "forceclosehandles"): return .forceCloseDirectoryHandles
            default: break
            }
        case .file:
            switch (method, comp) {
            case (.put, nil):
                return request.header("x-ms-copy-source") != nil ? .copyFile : .createFile
            case (.get, nil): return .getFile
            case (.head, nil): return .getFileProperties
            case (.put, "properties"): return .setFileProperties
            case (.get, "metadata"), (.head, "metadata"): return .getFileMetadata
            case (.put, "metadata"): return .setFileMetadata
            case (.delete, nil): return .deleteFile
            case (.put, "range"):
                return request.header("x-ms-copy-source") != nil ? .putRangeFromURL : .putRange
            case (.get, "rangelist"): return .listRanges
            case (.put, "copy"): return .abortCopyFile
            case (.put, "lease"): return .leaseFile
            case (.put, "rename"): return .renameFile
            case (.get, "listhandles"): return .listFileHandles
            case (.put, "forceclosehandles"): return .forceCloseFileHandles
            default: break
            }
        }
        if [.get, .head, .put, .delete, .options].contains(method) {
            throw FileRESTError(.badRequest, "InvalidQueryParameterValue",
                                "Value for one of the query parameters specified in the request URI is invalid.",
                                details: [("QueryParameterName", "comp"), ("QueryParameterValue", comp ?? "")])
        }
        throw FileRESTError.unsupportedVerb()
    }
}
