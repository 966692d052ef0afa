import FrontKit
import HTTPTypes
import ShareCore

/// Put/Get/DeleteBucketEncryption: a bucket's default encryption. `AES256` (SSE-S3) or
/// `aws:kms` with one of the server's KMS key ids is kept (``BucketEncryption``) and applied to
/// objects written without encryption headers; `aws:kms:dsse` is `NotImplemented`.
enum EncryptionOperations {
    /// `GET /bucket?encryption`; `ServerSideEncryptionConfigurationNotFoundError` (404) without one.
    static func get(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        guard let encryption = try await BucketEncryption.get(bucket.name, in: context.store) else {
            throw S3Error(.notFound, "ServerSideEncryptionConfigurationNotFoundError",
                          "The server side encryption configuration was not found", details: [("BucketName", bucket.name)])
        }
        var xml = XMLWriter()
        xml.open("ServerSideEncryptionConfiguration", ["xmlns": S3XML.namespace])
        xml.open("Rule")
        xml.open("ApplyServerSideEncryptionByDefault")
        if case .managedKey(let keyId) = encryption {
            xml.element("SSEAlgorithm", "aws:kms")
            xml.element("KMSMasterKeyID", keyId)
        } else {
            xml.element("SSEAlgorithm", "AES256")
        }
        xml.close("ApplyServerSideEncryptionByDefault")
        xml.element("BucketKeyEnabled", "false")
        xml.close("Rule")
        xml.close("ServerSideEncryptionConfiguration")
        return context.xml(xml)
    }

    /// `PUT /bucket?encryption`: one rule whose `SSEAlgorithm` is `AES256`, or `aws:kms` with a
    /// `KMSMasterKeyID` the server has; 200.
    static func put(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let root = try await TaggingOperations.document(context)
        guard root.name == "ServerSideEncryptionConfiguration" else { throw S3Error.malformedXML() }
        let rules = root.children("Rule")
        guard rules.count == 1, let rule = rules.first,
              let apply = rule.children("ApplyServerSideEncryptionByDefault").first,
              let algorithm = apply.value("SSEAlgorithm") else { throw S3Error.malformedXML() }
        let encryption: ContentEncryption
        switch algorithm {
        case "AES256":
            if apply.value("KMSMasterKeyID") != nil {
                throw S3Error.invalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
                                              name: "ApplyServerSideEncryptionByDefault")
            }
            encryption = .storeKey
        case "aws:kms":
            encryption = .managedKey(name: try ObjectEncryption.kmsKey(apply.value("KMSMasterKeyID"), context.configuration))
        case "aws:kms:dsse":
            throw S3Error.notImplemented("Dual-layer encryption with KMS keys (DSSE-KMS) is not implemented by this server.")
        default:
            throw S3Error.malformedXML()
        }
        if rule.value("BucketKeyEnabled") == "true" {
            throw S3Error.notImplemented("S3 Bucket Keys apply to KMS encryption, which this server does not implement.")
        }
        try await BucketEncryption.set(encryption, bucket: bucket.name, share: bucket.share.name, in: context.store)
        return FrontResponse(status: .ok, headers: [.contentLength: "0"])
    }

    /// `DELETE /bucket?encryption`: objects written from now on are not encrypted unless they
    /// ask; 204, also when there was no configuration.
    static func delete(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        try await BucketEncryption.set(nil, bucket: bucket.name, share: bucket.share.name, in: context.store)
        return FrontResponse(status: .noContent)
    }
}
