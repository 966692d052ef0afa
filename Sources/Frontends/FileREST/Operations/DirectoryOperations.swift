import FrontKit
import HTTPTypes
import ShareCore

enum DirectoryOperations {
    static func createDirectory(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("createDirectory")
    }

    static func getDirectoryProperties(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("getDirectoryProperties")
    }

    static func setDirectoryProperties(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("setDirectoryProperties")
    }

    static func getDirectoryMetadata(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("getDirectoryMetadata")
    }

    static func setDirectoryMetadata(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("setDirectoryMetadata")
    }

    static func deleteDirectory(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("deleteDirectory")
    }

    static func listDirectory(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("listDirectory")
    }

    static func renameDirectory(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("renameDirectory")
    }

    static func listDirectoryHandles(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("listDirectoryHandles")
    }

    static func forceCloseDirectoryHandles(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("forceCloseDirectoryHandles")
    }
}
