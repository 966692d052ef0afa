import Foundation
import Testing
@testable import FrontKit

/// Request ids: random version 4 UUIDs in lower case, as Azure writes its request ids.
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
}
