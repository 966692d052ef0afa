import FrontKit
import Testing

@Suite("Admin token")
struct AdminTokenTests {
    @Test("matches only the exact token")
    func matching() {
        let token = AdminToken("s3cr3t-token")
        #expect(token.matches("s3cr3t-token"))
        for wrong in ["", "s3cr3t-toke", "s3cr3t-tokenX", "S3cr3t-token", "s3cr3t-tokem", String(repeating: "x", count: 268)] {
            #expect(!token.matches(wrong), "\(wrong)")
        }
        // Lengths differing by a multiple of 256 are still different.
        let long = AdminToken(String(repeating: "a", count: 300))
        #expect(!long.matches(String(repeating: "a", count: 44)))
        #expect(!AdminToken("").matches(""), "an empty token never matches")
    }

    @Test("parses Bearer header values")
    func bearer() {
        #expect(AdminToken.bearer("Bearer abc") == "abc")
        #expect(AdminToken.bearer("bearer   abc  ") == "abc")
        #expect(AdminToken.bearer("BEARER abc") == "abc")
        for bad in [nil, "", "Bearer", "Bearer ", "Basic abc", "Bearerabc", "Token abc"] as [String?] {
            #expect(AdminToken.bearer(bad) == nil, "\(String(describing: bad))")
        }
    }

    @Test("generated tokens are 43 base64url characters and differ")
    func generate() {
        let a = AdminToken.generate().text
        let b = AdminToken.generate().text
        #expect(a.count == 43 && b.count == 43)
        #expect(a != b)
        #expect(a.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }
}
