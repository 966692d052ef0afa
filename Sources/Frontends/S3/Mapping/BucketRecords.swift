import ShareCore

/// The records of one bucket that nearly every request reads: its mapping (if it is one), its
/// access settings and its lifecycle record.
///
/// They are read together, in one read transaction, and the decoded value is kept for the
/// committed state of the store it was read from (``ShareStore/readRecords(derived:_:)``): a
/// small GET used to read them in three transactions and decode each one (issue #14). Any
/// commit, by this process or another, makes the next request read them again.
struct BucketRecords: Sendable {
    /// The bucket's mapping to a directory, or nil when it is not mapped.
    let mapping: Result<BucketMapping?, any Error>
    /// The bucket's access settings (the defaults when none are stored).
    let access: Result<BucketAccessSettings, any Error>
    /// The bucket's lifecycle record, or nil when it has none.
    let lifecycle: Result<LifecycleRecord?, any Error>
}

extension ShareStore {
    /// The records of bucket `name`, decoded once per committed state of the store. A record
    /// that does not decode fails only the requests that need it, as when each was read alone.
    func bucketRecords(_ name: String) throws -> BucketRecords {
        try readRecords(derived: "s3-bucket\n" + name) { records in
            let key = Array(name.utf8)
            let mapping = try records.get(BucketMapping.table, key)
            let access = try records.get(BucketAccessSettings.table, key)
            let lifecycle = try records.get(LifecycleRecord.table, LifecycleRecord.key(name))
            return BucketRecords(
                mapping: Result { try mapping.map { try BucketMapping(name: name, stored: $0) } },
                access: Result { try access.map { try BucketAccessSettings(stored: $0, bucket: name) } ?? BucketAccessSettings() },
                lifecycle: Result { try lifecycle.map(LifecycleRecord.decode) })
        }
    }
}
