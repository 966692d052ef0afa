import FrontKit
import HTTPTypes
import ShareCore

enum DataOperations {
    static func getFile(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("getFile")
    }

    static func putRange(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("putRange")
    }

    static func putRangeFromURL(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("putRangeFromURL")
    }

    static func listRanges(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("listRanges")
    }
}
