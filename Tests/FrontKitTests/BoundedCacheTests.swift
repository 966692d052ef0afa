import Testing
@testable import FrontKit

/// The bounded caches of verified signatures and derived keys.
@Suite struct BoundedCacheTests {
    @Test("remembers values, holds at most its limit and empties itself when full")
    func boundedAndEmptiedWhenFull() {
        let cache = BoundedCache<String, Int>(limit: 3)
        #expect(cache.value(for: "a") == nil)
        cache.remember(1, for: "a")
        cache.remember(2, for: "b")
        cache.remember(3, for: "c")
        #expect(cache.value(for: "a") == 1 && cache.value(for: "c") == 3 && cache.count == 3)
        // Replacing a value kept does not count as a new entry.
        cache.remember(4, for: "a")
        #expect(cache.value(for: "a") == 4 && cache.count == 3)
        // A fourth key: everything else is forgotten.
        cache.remember(5, for: "d")
        #expect(cache.count == 1 && cache.value(for: "d") == 5 && cache.value(for: "a") == nil)
    }
}
