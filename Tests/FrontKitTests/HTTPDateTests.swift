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

    /// The form written byte by byte is Foundation's RFC 1123 form for random times of years
    /// 0 to 9999, and years beyond still format (in more digits).
    @Test func formatMatchesFoundation() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        var values: [Int64] = [0, -1, 86_399, 86_400, 951_782_400, 253_402_300_799]  // 2000-02-29, 9999-12-31T23:59:59
        for _ in 0..<1_000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            values.append(Int64(x >> 8) % 253_402_300_800)
        }
        for seconds in values {
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(HTTPDate.format(secondsSince1970: seconds) == expected, "\(seconds)")
            #expect(HTTPDate.parse(HTTPDate.format(secondsSince1970: seconds)) == seconds)
        }
        #expect(HTTPDate.format(secondsSince1970: 253_402_300_800) == "Sat, 01 Jan 10000 00:00:00 GMT")
    }
}
