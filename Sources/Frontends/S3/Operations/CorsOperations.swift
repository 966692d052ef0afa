import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// PutBucketCors, GetBucketCors, DeleteBucketCors, and the answers a bucket's CORS rules give:
/// preflight `OPTIONS` requests, and the `Access-Control-*` headers of actual requests.
enum CorsOperations {
    /// `PUT /bucket?cors`: replaces the bucket's configuration. The body must come with
    /// `Content-MD5` or an `x-amz-checksum-*` (verified as the body is read), as S3 requires.
    static func put(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let request = context.request
        let hasChecksum = request.head.headerFields.contains { $0.name.canonicalName.hasPrefix("x-amz-checksum-") }
            || request.header("x-amz-trailer") != nil
        guard request.header("Content-MD5") != nil || hasChecksum else {
            throw S3Error.invalidRequest("Missing required header for this request: Content-MD5")
        }
        let (body, _) = try S3Payload.open(request, auth: context.auth, computeMD5: false)
        let configuration = try CorsConfiguration.parse(try await body.collect(upTo: CorsConfiguration.maxDocumentBytes))
        try await context.store.setCorsConfiguration(configuration, bucket: bucket.name, share: bucket.share.name)
        var fields = HTTPFields()
        fields[.contentLength] = "0"
        return FrontResponse(status: .ok, headers: fields)
    }

    /// `GET /bucket?cors`: the configuration, or 404 `NoSuchCORSConfiguration`.
    static func get(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        guard let configuration = try context.store.corsConfiguration(bucket.name) else {
            throw S3Error(.notFound, "NoSuchCORSConfiguration", "The CORS configuration does not exist",
                          details: [("BucketName", bucket.name)])
        }
        return context.xml(configuration.document)
    }

    /// `DELETE /bucket?cors`: 204, whether or not there was a configuration.
    static func delete(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        try await context.store.setCorsConfiguration(nil, bucket: bucket.name, share: bucket.share.name)
        return FrontResponse(status: .noContent)
    }

    // MARK: Preflight

    /// A preflight `OPTIONS` on a bucket or object URL, answered from the bucket's rules with
    /// no signature asked for (a browser sends none), as S3 does: 400 `BadRequest` without an
    /// `Origin`, 403 `AccessForbidden` for a bucket that does not exist or has no
    /// configuration, 400 `BadRequest` without a valid `Access-Control-Request-Method`, 403
    /// `AccessForbidden` when no rule admits the request, else 200 with the matching rule's headers.
    static func preflight(_ request: S3Request, store: ShareStore) async throws -> FrontResponse {
        let fields = request.head.headerFields
        guard let origin = fields[.origin] else {
            throw S3Error(.badRequest, "BadRequest", "Insufficient information. Origin request header needed.")
        }
        let requestedMethod = fields[.accessControlRequestMethod]
        func forbidden(_ message: String, resourceType: String) -> S3Error {
            S3Error(.forbidden, "AccessForbidden", "CORSResponse: " + message,
                    details: [("Method", requestedMethod ?? "OPTIONS"), ("ResourceType", resourceType)])
        }
        guard let name = request.bucket else { throw forbidden("Bucket not found", resourceType: "BUCKET") }
        guard let configuration = try store.corsConfiguration(name) else {
            if try await bucketExists(name, store: store) {
                throw forbidden("CORS is not enabled for this bucket.", resourceType: "BUCKET")
            }
            throw forbidden("Bucket not found", resourceType: "BUCKET")
        }
        guard let method = requestedMethod, CorsConfiguration.methods.contains(method) else {
            throw S3Error(.badRequest, "BadRequest", "Invalid Access-Control-Request-Method: \(requestedMethod ?? "null")")
        }
        let headers = CorsMatching.requestedHeaders(fields[.accessControlRequestHeaders])
        guard let rule = CorsMatching.firstMatch(configuration.rules, origin: origin, method: method, headers: headers) else {
            throw forbidden("This CORS request is not allowed. This is usually because the evalution of Origin, request method / "
                + "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
                resourceType: request.key == nil ? "BUCKET" : "OBJECT")
        }
        var out = HTTPFields()
        for (name, value) in CorsMatching.responseHeaders(rule, origin: origin, requestedHeaders: headers) { out.set(name, value) }
        out[.contentLength] = "0"
        return FrontResponse(status: .ok, headers: out)
    }

    /// Whether bucket `name` exists (a mapping or a share of that name).
    static func bucketExists(_ name: String, store: ShareStore) async throws -> Bool {
        if try await store.bucketMapping(name) != nil { return true }
        do {
            _ = try await store.shareInfo(name)
            return true
        } catch let error as ShareCoreError where error.code == .shareNotFound || error.code == .invalidShareName {
            return false
        }
    }

    // MARK: Actual requests

    /// Adds the `Access-Control-*` headers to `response` (a success or an error) for a request
    /// that carries `Origin` to a bucket whose rules admit it; otherwise leaves it unchanged.
    static func addHeaders(to response: inout FrontResponse, for request: S3Request?, store: ShareStore) {
        guard let request, let name = request.bucket, request.head.headerFields[.origin] != nil,
              let configuration = try? store.corsConfiguration(name) else { return }
        for (field, value) in CorsMatching.actualResponseHeaders(configuration.rules, head: request.head) {
            response.head.headerFields.set(field, value)
        }
    }
}
