import Synchronization

/// A process-wide map of at most ``limit`` entries, emptied whole when it fills. For results
/// that are a pure function of their key and cost more to compute than to look up: a signing
/// key derived from a secret, a signature found valid over exact bytes under an exact key.
/// Emptying it whole keeps it simple and bounded; the working set refills it at once.
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// The most entries kept.
    public let limit: Int
    private let entries = Mutex<[Key: Value]>([:])

    /// An empty cache of at most `limit` entries.
    public init(limit: Int) {
        self.limit = limit
    }

    /// The value remembered for `key`, if any.
    public func value(for key: Key) -> Value? {
        entries.withLock { $0[key] }
    }

    /// Remembers `value` for `key`, first forgetting everything if the cache is full.
    public func remember(_ value: Value, for key: Key) {
        entries.withLock {
            if $0.count >= limit, $0[key] == nil { $0.removeAll(keepingCapacity: true) }
            $0[key] = value
        }
    }

    /// The number of entries kept now.
    public var count: Int { entries.withLock { $0.count } }
}
