import Foundation
import Testing
@testable import FrontKit

/// Request ids: version 4 UUIDs in lower case, as Azure writes its request ids, never repeated.
@Suite struct RequestIDTests {
    @Test("a lower-case version 4 UUID, different each time")
    func uuidForm() throws {
        var seen = Set<String>()
        for _ in 0..<1_000 {
            let id = RequestID.uuid()
            #expect(id.range(of: #"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"#,
                             options: .regularExpression) != nil, "\(id)")
            let parsed = try #require(UUID(uuidString: id))
            #expect(parsed.uuidString.lowercased() == id)
            seen.insert(id)
        }
        #expect(seen.count == 1_000)
    }

    @Test("no id repeats within a process, and consecutive ids differ in more than the last digit")
    func unique() {
        expectUniqueAndScrambled(RequestID.uuid)
    }

    @Test("S3's ids: sixteen upper-case hex digits, none repeated within a process")
    func hex16() {
        for _ in 0..<1_000 {
            let id = RequestID.hex16()
            #expect(id.utf8.count == 16 && id.utf8.allSatisfy { (48...57).contains($0) || (65...70).contains($0) }, "\(id)")
        }
        expectUniqueAndScrambled(RequestID.hex16)
    }

    /// 200,000 ids from `make` are all different, and most differ from the one before in more
    /// than three digits (a sequence number shows through unscrambled otherwise).
    private func expectUniqueAndScrambled(_ make: () -> String) {
        var seen = Set<String>()
        var previous = make()
        var manyDigitsChanged = 0
        for _ in 0..<200_000 {
            let id = make()
            seen.insert(id)
            if zip(id.utf8, previous.utf8).filter({ $0 != $1 }).count > 3 { manyDigitsChanged += 1 }
            previous = id
        }
        #expect(seen.count == 200_000)
        #expect(manyDigitsChanged > 150_000)
    }
}
