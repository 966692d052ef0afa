import FrontKit
import HTTPTypes
import ShareCore

enum FileOperations {
    static func createFile(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("createFile")
    }

    static func getFileProperties(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("getFileProperties")
    }

    static func setFileProperties(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("setFileProperties")
    }

    static func getFileMetadata(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("getFileMetadata")
    }

    static func setFileMetadata(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("setFileMetadata")
    }

    static func deleteFile(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("deleteFile")
    }

    static func renameFile(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("renameFile")
    }

    static func listFileHandles(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("listFileHandles")
    }

    static func forceCloseFileHandles(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("forceCloseFileHandles")
    }
}
