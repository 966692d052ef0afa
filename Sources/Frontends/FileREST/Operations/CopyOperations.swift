import FrontKit
import HTTPTypes
import ShareCore

enum CopyOperations {
    static func copyFile(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("copyFile")
    }

    static func abortCopyFile(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("abortCopyFile")
    }
}
