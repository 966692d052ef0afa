import FrontKit
import HTTPTypes
import ShareCore

enum ServiceOperations {
    static func listShares(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("listShares")
    }

    static func getServiceProperties(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("getServiceProperties")
    }

    static func setServiceProperties(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("setServiceProperties")
    }

    static func preflight(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("preflight")
    }
}
