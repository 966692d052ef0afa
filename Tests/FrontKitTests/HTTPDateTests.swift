import Foundation
import Testing
@testable import FrontKit

/// RFC 1123 dates, and the current one shared by every response of a second.
@Suite struct HTTPDateTests {
    @Test("format and parse agree, and now() is the current second")
    func nowIsTheCurrentSecond() {
        #expect(HTTPDate.format(secondsSince1970: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        let before = Int64(Date().timeIntervalSince1970.rounded(.down))
        let now = HTTPDate.now()
        let after = Int64(Date().timeIntervalSince1970.rounded(.down))
        let parsed = HTTPDate.parse(now)
        #expect(parsed != nil && before <= parsed! && parsed! <= after, "\(now)")
        #expect(HTTPDate.now() == now || HTTPDate.parse(HTTPDate.now())! > parsed!)
    }
}
