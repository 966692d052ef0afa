import Crypto
import Foundation
import HTTPTypes
import ShareCore

/// Server-side encryption as S3 clients ask for it, translated to the engine's
/// ``ContentEncryption``: `x-amz-server-side-encryption: AES256` (SSE-S3, the store's key),
/// `aws:kms` with one of the KMS key ids the server is configured with (SSE-KMS, a key the
/// store derives and manages), the `x-amz-server-side-encryption-customer-*` headers (SSE-C,
/// the client's key on every request; the store keeps only its MD5), and a bucket's default
/// encryption. DSSE-KMS and encryption contexts are `NotImplemented`.
enum ObjectEncryption {
    static let customerPrefix = "x-amz-server-side-encryption-customer-"
    static let copySourcePrefix = "x-amz-copy-source-server-side-encryption-customer-"

    /// The SSE-C key a request presents with the headers under `prefix` (the object's, or with
    /// ``copySourcePrefix`` the copy source's); nil without any of them. Checked as S3 does:
    /// algorithm `AES256`, a base64 256-bit key, its MD5, and a secure connection (unless the
    /// server allows SSE-C over HTTP).
    /// `lookup` reads a header (default) or, for POST Object, a form field.
    static func customerKey(_ context: S3Context, prefix: String = customerPrefix,
                            lookup: ((String) -> String?)? = nil) throws -> CustomerKey? {
        let request = context.request
        let value = lookup ?? { request.header($0) }
        let algorithm = value(prefix + "algorithm")
        let key = value(prefix + "key")
        let md5 = value(prefix + "key-md5")
        guard algorithm != nil || key != nil || md5 != nil else { return nil }
        if request.head.scheme != "https", !context.configuration.customerKeysOverHTTP {
            throw S3Error.invalidRequest("Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")
        }
        guard let algorithm else {
            throw S3Error.invalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
                                          name: prefix + "algorithm", value: "null")
        }
        guard algorithm == "AES256" else {
            throw S3Error(.badRequest, "InvalidEncryptionAlgorithmError",
                          "The encryption request you specified is not valid. The valid value is AES256.",
                          details: [("ArgumentName", prefix + "algorithm"), ("ArgumentValue", algorithm)])
        }
        guard let key else {
            throw S3Error.invalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
                                          name: prefix + "key", value: "null")
        }
        guard let bytes = Data(base64Encoded: key), let customer = try? CustomerKey(Array(bytes)) else {
            throw S3Error.invalidArgument("The secret key was invalid for the specified algorithm.", name: prefix + "key", value: "<hidden>")
        }
        guard let md5 else {
            throw S3Error.invalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
                                          name: prefix + "key-MD5", value: "null")
        }
        guard Data(base64Encoded: md5).map(Array.init) == customer.md5 else {
            throw S3Error.invalidArgument("The calculated MD5 hash of the key did not match the hash that was provided.",
                                          name: prefix + "key-MD5", value: md5)
        }
        return customer
    }

    /// How new content of `bucket` is to be encrypted: SSE-C when the request gives a key,
    /// SSE-S3 when it asks for `AES256`, SSE-KMS for `aws:kms` with a configured key id, else
    /// the bucket's default; the customer key to write with. (Contradictory headers were
    /// refused by ``UnsupportedOptions``.)
    static func forWrite(_ context: S3Context, bucket: ResolvedBucket,
                         lookup: ((String) -> String?)? = nil) async throws -> (ContentEncryption?, CustomerKey?) {
        let request = context.request
        let value = lookup ?? { request.header($0) }
        if let key = try customerKey(context, lookup: lookup) {
            if value("x-amz-server-side-encryption") != nil {
                throw S3Error.invalidArgument("Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
                                              name: "x-amz-server-side-encryption", value: value("x-amz-server-side-encryption"))
            }
            return (.customerKey(keyMD5: key.md5), key)
        }
        try checkManagedOptions(value)
        let keyId = value("x-amz-server-side-encryption-aws-kms-key-id")
        switch value("x-amz-server-side-encryption") {
        case "AES256"?:
            if let keyId {
                throw S3Error.invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                                              name: "x-amz-server-side-encryption-aws-kms-key-id", value: keyId)
            }
            return (.storeKey, nil)
        case "aws:kms"?:
            return (.managedKey(name: try kmsKey(keyId, context.configuration)), nil)
        case nil:
            if let keyId {
                throw S3Error.invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                                              name: "x-amz-server-side-encryption-aws-kms-key-id", value: keyId)
            }
            return (try await BucketEncryption.get(bucket.name, in: context.store), nil)
        case let method?:
            throw S3Error.invalidArgument("The encryption method specified is not supported",
                                          name: "x-amz-server-side-encryption", value: method)
        }
    }

    /// The KMS key `keyId` names: one of the server's (`--s3-kms-key-id`), else `400
    /// KMS.NotFoundException`; without one `400 InvalidArgument` (there is no AWS managed key).
    static func kmsKey(_ keyId: String?, _ configuration: S3Configuration) throws -> String {
        guard let keyId, !keyId.isEmpty else {
            throw S3Error.invalidArgument("This server has no AWS managed key: name one of its KMS keys in x-amz-server-side-encryption-aws-kms-key-id.",
                                          name: "x-amz-server-side-encryption-aws-kms-key-id", value: "null")
        }
        guard configuration.kmsKeyIds.contains(keyId) else {
            throw S3Error(.badRequest, "KMS.NotFoundException", "Invalid keyId '\(keyId)'")
        }
        return keyId
    }

    /// DSSE-KMS, encryption contexts and S3 Bucket Keys are not offered (`NotImplemented`);
    /// `value` reads a header or form field.
    static func checkManagedOptions(_ value: (String) -> String?) throws {
        if value("x-amz-server-side-encryption") == "aws:kms:dsse" {
            throw UnsupportedOptions.notImplemented("x-amz-server-side-encryption")
        }
        if value("x-amz-server-side-encryption-context") != nil {
            throw UnsupportedOptions.notImplemented("x-amz-server-side-encryption-context")
        }
        if let enabled = value("x-amz-server-side-encryption-bucket-key-enabled"), enabled.lowercased() != "false" {
            throw UnsupportedOptions.notImplemented("x-amz-server-side-encryption-bucket-key-enabled")
        }
    }

    /// Checks that a read of an object encrypted as `encryption` presents the right key:
    /// an SSE-C object needs its key (`400 InvalidRequest` without it or with another, as
    /// ceph/s3-tests expects of S3); any other object refuses SSE-C headers (`400 InvalidRequest`).
    static func checkRead(_ encryption: ContentEncryption?, key: CustomerKey?) throws {
        switch (encryption, key) {
        case (.customerKey(let md5)?, let key?):
            guard key.md5 == md5 else {
                throw mismatch
            }
        case (.customerKey?, nil):
            throw S3Error.invalidRequest("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
        case (_, _?):
            throw S3Error.invalidRequest("The encryption parameters are not applicable to this object.")
        default:
            break
        }
    }

    static let mismatch = S3Error.invalidRequest("The provided encryption parameters did not match the ones used originally.")

    /// The response headers that tell a client how an object is encrypted.
    static func addHeaders(_ encryption: ContentEncryption?, to fields: inout HTTPFields) {
        switch encryption {
        case .storeKey?:
            fields.set("x-amz-server-side-encryption", "AES256")
        case .managedKey(let name)?:
            fields.set("x-amz-server-side-encryption", "aws:kms")
            fields.set("x-amz-server-side-encryption-aws-kms-key-id", name)
        case .customerKey(let md5)?:
            fields.set("x-amz-server-side-encryption-customer-algorithm", "AES256")
            fields.set("x-amz-server-side-encryption-customer-key-MD5", Data(md5).base64EncodedString())
        case nil:
            break
        }
    }

    /// The S3 error for an engine encryption error (a key missing or not matching).
    static func translate(_ error: ShareCoreError) -> S3Error? {
        switch error.code {
        case .encryptionKeyRequired:
            S3Error.invalidRequest("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
        case .encryptionKeyMismatch: mismatch
        default: nil
        }
    }
}

/// Default bucket encryption (Put/Get/DeleteBucketEncryption): the S3 front's records (table
/// `s3.bucketencryption`, keyed by bucket name, the value the stored form of a
/// ``ContentEncryption``: the store's key or a managed (KMS) key), owned by the bucket's share.
/// Objects written without encryption headers into such a bucket are sealed with it.
public enum BucketEncryption {
    /// The record table holding default bucket encryption.
    public static let table = RecordTable("s3.bucketencryption")

    /// The default encryption of bucket `name`, or nil when it has none.
    static func get(_ name: String, in store: ShareStore) async throws -> ContentEncryption? {
        try store.readRecords { records in
            try records.get(table, Array(name.utf8)).map { try ContentEncryption(storedForm: $0) }
        }
    }

    /// Gives bucket `name` (of share `share`) default encryption `encryption`; nil removes it.
    static func set(_ encryption: ContentEncryption?, bucket name: String, share: String, in store: ShareStore) async throws {
        try await store.writeRecords { records in
            if let encryption {
                try records.put(table, Array(name.utf8), encryption.storedForm, owner: share)
            } else {
                _ = try records.delete(table, Array(name.utf8))
            }
        }
    }

    /// Checks a stored setting for `sharecore check`: a valid bucket name and the store's key
    /// or a managed key (a customer key cannot be a default).
    public static let verifier: RecordVerifier = { key, value in
        let name = String(decoding: key, as: UTF8.self)
        try ShareStore.validateBucketName(name)
        switch try ContentEncryption(storedForm: Array(value)) {
        case .storeKey, .managedKey: break
        case .customerKey: throw ShareCoreError(.dataCorrupted, "the default encryption of bucket '\(name)' names a customer key")
        }
    }
}

/// The bytes of a file read in pieces of at most 4 MiB as they are pulled: the source of a
/// copy that cannot share chunks because the copy is encrypted otherwise than its source.
struct FileBytes: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let share: Share
    let fileId: UInt64
    let range: Range<UInt64>

    struct AsyncIterator: AsyncIteratorProtocol {
        let share: Share
        let fileId: UInt64
        var position: UInt64
        let end: UInt64

        mutating func next() async throws -> [UInt8]? {
            guard position < end else { return nil }
            let stop = Swift.min(end, position + UInt64(ShareStore.maxRangeBytes))
            let bytes = try await share.read(fileId: fileId, range: position..<stop)
            position = stop
            return bytes
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(share: share, fileId: fileId, position: range.lowerBound, end: range.upperBound)
    }
}
