import FrontKit
import HTTPTypes
import ShareCore

enum LeaseOperations {
    static func leaseFile(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("leaseFile")
    }

    static func leaseShare(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("leaseShare")
    }
}
