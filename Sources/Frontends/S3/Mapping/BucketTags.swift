import ShareCore

/// Bucket tag sets: the S3 front's records (table `s3.buckettags`, keyed by bucket name, the
/// value a ``TagSet`` in its stored form), owned by the bucket's share, so deleting the share
/// (or the bucket) removes them; removing a mapped bucket removes its tags too.
public enum BucketTags {
    /// The record table holding bucket tag sets.
    public static let table = RecordTable("s3.buckettags")

    /// The tag set of bucket `name`, or nil when it has none.
    static func get(_ name: String, in store: ShareStore) async throws -> TagSet? {
        try store.readRecords { records in
            guard let stored = try records.get(table, Array(name.utf8)) else { return nil }
            guard let tags = TagSet(stored: stored) else {
                throw ShareCoreError(.dataCorrupted, "the tag set of bucket '\(name)' is malformed")
            }
            return tags
        }
    }

    /// Gives bucket `name` (of share `share`) the tag set `tags`; an empty set removes it.
    static func set(_ tags: TagSet, bucket name: String, share: String, in store: ShareStore) async throws {
        try await store.writeRecords { records in
            if tags.isEmpty {
                _ = try records.delete(table, Array(name.utf8))
            } else {
                try records.put(table, Array(name.utf8), tags.storedForm, owner: share)
            }
        }
    }

    /// Checks a stored tag set for `sharecore check`: a valid bucket name and a decodable,
    /// non-empty set within S3's bucket limit.
    public static let verifier: RecordVerifier = { key, value in
        let name = String(decoding: key, as: UTF8.self)
        try ShareStore.validateBucketName(name)
        guard let tags = TagSet(stored: value), !tags.isEmpty, tags.count <= TagSet.bucketLimit else {
            throw ShareCoreError(.dataCorrupted, "the tag set of bucket '\(name)' is malformed")
        }
    }
}
