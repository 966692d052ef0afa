import FrontKit

/// Sends each operation to its handler. Handlers are grouped by what they address, one file
/// per group under `Operations/`.
enum Dispatcher {
    static func run(_ operation: Operation, _ context: OperationContext) async throws -> FrontResponse {
        switch operation {
        case .listShares: try await ServiceOperations.listShares(context)
        case .getUserDelegationKey: try await UserDelegation.getKey(context)
        case .getServiceProperties: try await ServiceOperations.getServiceProperties(context)
        case .setServiceProperties: try await ServiceOperations.setServiceProperties(context)
        case .preflight: try await ServiceOperations.preflight(context)
        case .createShare: try await ShareOperations.createShare(context)
        case .snapshotShare: try await ShareOperations.snapshotShare(context)
        case .deleteShare: try await ShareOperations.deleteShare(context)
        case .getShareProperties: try await ShareOperations.getShareProperties(context)
        case .setShareProperties: try await ShareOperations.setShareProperties(context)
        case .getShareMetadata: try await ShareOperations.getShareMetadata(context)
        case .setShareMetadata: try await ShareOperations.setShareMetadata(context)
        case .getShareACL: try await ShareOperations.getShareACL(context)
        case .setShareACL: try await ShareOperations.setShareACL(context)
        case .getShareStats: try await ShareOperations.getShareStats(context)
        case .createPermission: try await ShareOperations.createPermission(context)
        case .getPermission: try await ShareOperations.getPermission(context)
        case .createDirectory: try await DirectoryOperations.createDirectory(context)
        case .getDirectoryProperties: try await DirectoryOperations.getDirectoryProperties(context)
        case .setDirectoryProperties: try await DirectoryOperations.setDirectoryProperties(context)
        case .getDirectoryMetadata: try await DirectoryOperations.getDirectoryMetadata(context)
        case .setDirectoryMetadata: try await DirectoryOperations.setDirectoryMetadata(context)
        case .deleteDirectory: try await DirectoryOperations.deleteDirectory(context)
        case .listDirectory: try await DirectoryOperations.listDirectory(context)
        case .renameDirectory: try await DirectoryOperations.renameDirectory(context)
        case .listDirectoryHandles: try await DirectoryOperations.listDirectoryHandles(context)
        case .forceCloseDirectoryHandles: try await DirectoryOperations.forceCloseDirectoryHandles(context)
        case .createFile: try await FileOperations.createFile(context)
        case .getFileProperties: try await FileOperations.getFileProperties(context)
        case .setFileProperties: try await FileOperations.setFileProperties(context)
        case .getFileMetadata: try await FileOperations.getFileMetadata(context)
        case .setFileMetadata: try await FileOperations.setFileMetadata(context)
        case .deleteFile: try await FileOperations.deleteFile(context)
        case .renameFile: try await FileOperations.renameFile(context)
        case .listFileHandles: try await FileOperations.listFileHandles(context)
        case .forceCloseFileHandles: try await FileOperations.forceCloseFileHandles(context)
        case .getFile: try await DataOperations.getFile(context)
        case .putRange: try await DataOperations.putRange(context)
        case .putRangeFromURL: try await DataOperations.putRangeFromURL(context)
        case .listRanges: try await DataOperations.listRanges(context)
        case .copyFile: try await CopyOperations.copyFile(context)
        case .abortCopyFile: try await CopyOperations.abortCopyFile(context)
        case .leaseFile: try await LeaseOperations.leaseFile(context)
        case .leaseShare: try await LeaseOperations.leaseShare(context)
        }
    }
}
