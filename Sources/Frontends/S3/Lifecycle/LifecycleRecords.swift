import Foundation
import ShareCore

/// A bucket's lifecycle configuration as the S3 front keeps it: a front record (table
/// `s3.lifecycle`, keyed by bucket name, JSON) owned by the bucket's share, so deleting the
/// share deletes it; removing a bucket mapping deletes it too. The record names the share and
/// directory the bucket was when the configuration was set, so it never applies to another
/// bucket that later takes the name.
struct LifecycleRecord: Codable, Sendable, Hashable {
    /// The share holding the bucket.
    var share: String
    /// The bucket's directory in the share ("" for a share bucket).
    var base: String
    /// Changes on every PutBucketLifecycleConfiguration, so the background task knows to
    /// sweep the bucket again.
    var generation: String
    /// The rules.
    var configuration: LifecycleConfiguration

    /// The record table.
    static let table = RecordTable("s3.lifecycle")

    static func key(_ bucket: String) -> [UInt8] { Array(bucket.utf8) }

    func encode() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(self))
    }

    static func decode(_ bytes: [UInt8]) throws -> LifecycleRecord {
        do {
            return try JSONDecoder().decode(LifecycleRecord.self, from: Data(bytes))
        } catch {
            throw ShareCoreError(.dataCorrupted, "a lifecycle record is malformed: \(error)")
        }
    }

    /// Whether the record still describes `bucket` (the same share and directory).
    func describes(_ bucket: ResolvedBucket) -> Bool {
        share == bucket.share.name && base == bucket.base
    }
}

/// Reading and writing lifecycle records.
enum LifecycleStore {
    /// The configuration of `bucket`, or nil when it has none.
    static func configuration(of bucket: ResolvedBucket, in store: ShareStore) throws -> LifecycleConfiguration? {
        guard let record = try store.bucketRecords(bucket.name).lifecycle.get(), record.describes(bucket) else { return nil }
        return record.configuration
    }

    /// Replaces the configuration of `bucket`.
    static func put(_ configuration: LifecycleConfiguration, for bucket: ResolvedBucket, in store: ShareStore) async throws {
        let record = LifecycleRecord(share: bucket.share.name, base: bucket.base, generation: UUID().uuidString,
                                     configuration: configuration)
        let bytes = try record.encode()
        let name = bucket.name
        try await store.writeRecords { records in
            try records.put(LifecycleRecord.table, LifecycleRecord.key(name), bytes, owner: record.share)
        }
    }

    /// Deletes the configuration of bucket `name` (nothing when it has none).
    static func delete(bucket name: String, in store: ShareStore) async throws {
        try await store.writeRecords { records in
            _ = try records.delete(LifecycleRecord.table, LifecycleRecord.key(name))
        }
    }

    /// Every bucket that has a configuration, by name.
    static func all(in store: ShareStore) throws -> [(bucket: String, record: LifecycleRecord)] {
        try store.readRecords { records in
            var out: [(String, LifecycleRecord)] = []
            try records.scan(LifecycleRecord.table) { key, value in
                out.append((String(decoding: key, as: UTF8.self), try LifecycleRecord.decode(value)))
                return true
            }
            return out
        }
    }
}

extension S3Service {
    /// Checks a stored lifecycle record for `sharecore check`: a valid bucket name and a
    /// decodable configuration.
    public static let lifecycleVerifier: RecordVerifier = { key, value in
        try ShareStore.validateBucketName(String(decoding: key, as: UTF8.self))
        _ = try LifecycleRecord.decode(value)
    }

    /// The lifecycle record table (for `sharecore check`'s verifiers).
    public static let lifecycleTable = LifecycleRecord.table
}
