import ShareCore

/// A bucket's lifecycle configuration: the rules of PutBucketLifecycleConfiguration, as S3
/// documents them, limited to what this server can do (expiration of current objects by age or
/// date, aborting incomplete multipart uploads). Transitions, noncurrent-version actions and
/// delete-marker expiration need storage classes or versioning and are refused when set.
struct LifecycleConfiguration: Codable, Sendable, Hashable {
    /// The rules, in the order they were given.
    var rules: [LifecycleRule]

    /// The enabled rule that expires an object first, and when (seconds since 1970, a midnight
    /// UTC); nil when no enabled rule expires it.
    func expiration(key: String, size: UInt64, lastModified: FileTime, tags: [String: String] = [:]) -> (seconds: Int64, rule: String)? {
        var best: (seconds: Int64, rule: String)?
        for rule in rules where rule.enabled && rule.filter.matches(key: key, size: size, tags: tags) {
            let date: Int64
            if let days = rule.expirationDays {
                date = LifecycleClock.midnightAfter(LifecycleClock.seconds(lastModified) + Int64(days) * 86_400)
            } else if let fixed = rule.expirationDate {
                date = fixed
            } else {
                continue
            }
            if best == nil || date < best!.seconds { best = (date, rule.id) }
        }
        return best
    }

    /// The enabled rule that aborts an upload of `key` initiated at `initiated` first, and when
    /// (seconds since 1970, a midnight UTC); nil when none does.
    func abortDate(key: String, initiated: FileTime) -> (seconds: Int64, rule: String)? {
        var best: (seconds: Int64, rule: String)?
        for rule in rules where rule.enabled {
            guard let days = rule.abortDays, rule.filter.matchesPrefix(key) else { continue }
            let date = LifecycleClock.midnightAfter(LifecycleClock.seconds(initiated) + Int64(days) * 86_400)
            if best == nil || date < best!.seconds { best = (date, rule.id) }
        }
        return best
    }

    /// The tags of an object as rules compare them (its S3 tag set).
    static func tags(_ info: NodeInfo) -> [String: String] {
        Dictionary(TagSet(info).tags.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether an enabled rule expires objects.
    var expiresObjects: Bool { rules.contains { $0.enabled && ($0.expirationDays != nil || $0.expirationDate != nil) } }
    /// Whether an enabled rule aborts uploads.
    var abortsUploads: Bool { rules.contains { $0.enabled && $0.abortDays != nil } }

    /// The longest key prefix every enabled expiring rule requires: a sweep lists only below it.
    var expirationPrefix: String {
        let prefixes = rules.filter { $0.enabled && ($0.expirationDays != nil || $0.expirationDate != nil) }.map(\.filter.prefix)
        guard var common = prefixes.first.map({ Array($0.unicodeScalars) }) else { return "" }
        for prefix in prefixes.dropFirst() {
            let scalars = Array(prefix.unicodeScalars)
            var n = 0
            while n < common.count, n < scalars.count, common[n] == scalars[n] { n += 1 }
            common = Array(common.prefix(n))
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: common)
        return String(out)
    }
}

/// One lifecycle rule.
struct LifecycleRule: Codable, Sendable, Hashable {
    /// The rule's ID (given, or generated when the request had none).
    var id: String
    /// `Status` is `Enabled`.
    var enabled: Bool
    /// Which objects the rule applies to.
    var filter: LifecycleFilter
    /// `Expiration/Days`: objects expire at the midnight UTC after they are this many days old.
    var expirationDays: Int?
    /// `Expiration/Date`: objects expire at this midnight UTC (seconds since 1970).
    var expirationDate: Int64?
    /// `AbortIncompleteMultipartUpload/DaysAfterInitiation`.
    var abortDays: Int?
}

/// A rule's `Filter` (or legacy `Prefix`), kept in the form it was given so GET returns it so.
struct LifecycleFilter: Codable, Sendable, Hashable {
    /// The XML form the filter was given in.
    enum Form: String, Codable, Sendable {
        /// `<Prefix>` directly in the rule (the deprecated form).
        case legacyPrefix
        /// `<Filter/>`: every object.
        case empty
        /// `<Filter><Prefix/></Filter>`.
        case prefix
        /// `<Filter><Tag/></Filter>`.
        case tag
        /// `<Filter><ObjectSizeGreaterThan/></Filter>`.
        case sizeGreaterThan
        /// `<Filter><ObjectSizeLessThan/></Filter>`.
        case sizeLessThan
        /// `<Filter><And>…</And></Filter>`.
        case and
    }

    var form: Form
    /// Keys must start with these bytes ("" for any key).
    var prefix: String = ""
    /// Tags the object must have (key, value), in the order given.
    var tags: [LifecycleTag] = []
    /// Objects must be larger than this many bytes.
    var sizeGreaterThan: UInt64?
    /// Objects must be smaller than this many bytes.
    var sizeLessThan: UInt64?

    /// Whether an object of `key`, `size` bytes and `tags` is one the rule applies to.
    func matches(key: String, size: UInt64, tags objectTags: [String: String]) -> Bool {
        guard matchesPrefix(key) else { return false }
        if let sizeGreaterThan, size <= sizeGreaterThan { return false }
        if let sizeLessThan, size >= sizeLessThan { return false }
        return tags.allSatisfy { objectTags[$0.key] == $0.value }
    }

    /// Whether `key` starts with the prefix (a byte comparison, as S3's).
    func matchesPrefix(_ key: String) -> Bool {
        prefix.isEmpty || key.utf8.starts(with: prefix.utf8)
    }
}

/// A tag a filter requires.
struct LifecycleTag: Codable, Sendable, Hashable {
    var key: String
    var value: String
}

/// Day arithmetic of lifecycle rules: S3 rounds every action's time up to the next midnight UTC.
enum LifecycleClock {
    static let day: Int64 = 86_400

    /// Whole seconds since 1970 of `time` (rounded down).
    static func seconds(_ time: FileTime) -> Int64 {
        let (q, r) = time.ticks.quotientAndRemainder(dividingBy: 10_000_000)
        return r < 0 ? q - 1 : q
    }

    /// The first midnight UTC strictly after `seconds`.
    static func midnightAfter(_ seconds: Int64) -> Int64 {
        let (q, r) = seconds.quotientAndRemainder(dividingBy: day)
        return ((r < 0 ? q - 1 : q) + 1) * day
    }

    /// The day number (days since 1970-01-01, UTC) of `time`.
    static func dayNumber(_ time: FileTime) -> Int64 {
        let s = seconds(time)
        let (q, r) = s.quotientAndRemainder(dividingBy: day)
        return r < 0 ? q - 1 : q
    }
}
