import FrontKit
import HTTPTypes
import ShareCore

enum ShareOperations {
    /// Create Share: `PUT ?restype=share` with quota, access tier, protocols and metadata.
    static func createShare(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        var options = ShareOptions()
        if let quota = request.header("x-ms-share-quota") {
            guard let value = UInt32(quota), (1...ShareOptions.maxQuotaGiB).contains(value) else {
                throw FileRESTError.invalidHeader("x-ms-share-quota", quota)
            }
            options.quotaGiB = value
        }
        options.accessTier = request.header("x-ms-access-tier")
        options.enabledProtocols = request.header("x-ms-enabled-protocols")
        options.rootSquash = request.header("x-ms-root-squash")
        if let metadata = try Headers.metadata(request) { options.metadata = metadata }
        let info = try await context.store.createShare(try context.shareName(), options: options)
        var fields = HTTPFields()
        fields.set("ETag", Headers.etag(info.etag))
        fields.set("Last-Modified", Headers.httpDate(info.lastModified))
        return context.response(.created, fields)
    }

    static func snapshotShare(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("snapshotShare")
    }

    static func deleteShare(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("deleteShare")
    }

    static func getShareProperties(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("getShareProperties")
    }

    static func setShareProperties(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("setShareProperties")
    }

    static func getShareMetadata(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("getShareMetadata")
    }

    static func setShareMetadata(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("setShareMetadata")
    }

    static func getShareACL(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("getShareACL")
    }

    static func setShareACL(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("setShareACL")
    }

    static func getShareStats(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("getShareStats")
    }

    static func createPermission(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("createPermission")
    }

    static func getPermission(_ context: OperationContext) async throws -> FrontResponse {
        throw FileRESTError.notImplemented("getPermission")
    }
}
