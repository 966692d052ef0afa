import Foundation
import FrontKit
import HTTPTypes
import Testing
@testable import FileREST
@testable import ShareCore

/// Microsoft Entra bearer tokens: form, lifetime, issuer and audience are checked (not the
/// signature), only over HTTPS, with `x-ms-file-request-intent: backup` on file data operations.
@Suite struct BearerTokenTests {
    static let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

    static func token(_ claims: [String: Any], header: [String: Any] = ["alg": "RS256", "typ": "JWT"]) -> String {
        func part(_ object: [String: Any]) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
            return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        return part(header) + "." + part(claims) + ".c2lnbmF0dXJl"
    }

    static func claims(_ changes: [String: Any] = [:]) -> [String: Any] {
        let now = Date().timeIntervalSince1970
        var claims: [String: Any] = ["aud": "https://storage.azure.com", "iss": "https://sts.windows.net/\(tenant)/",
                                     "tid": tenant, "iat": Int(now) - 60, "nbf": Int(now) - 60, "exp": Int(now) + 3600]
        for (key, value) in changes { claims[key] = value }
        return claims
    }

    func send(_ h: Harness, _ method: HTTPRequest.Method = .get, _ path: String, token: String, intent: String? = "backup",
              scheme: String = "https", version: String = FileRESTService.newestVersion, headers: [String: String] = [:]) async throws -> Harness.Reply {
        var all = headers
        all["Authorization"] = "Bearer \(token)"
        if let intent { all["x-ms-file-request-intent"] = intent }
        return try await h.send(method, path, headers: all, sign: false, version: version, scheme: scheme)
    }

    @Test func aWellFormedTokenAuthorizesFileOperations() async throws {
        let h = try await Harness.make()
        #expect(try await h.send(.put, "docs?restype=share").status == 201)
        let good = Self.token(Self.claims())
        let create = try await send(h, .put, "docs/f.txt", token: good, headers: ["x-ms-type": "file", "x-ms-content-length": "5"])
        #expect(create.status == 201)
        #expect(try await send(h, .head, "docs/f.txt", token: good).status == 200)
        // Every audience form Entra issues for storage, and the v2.0 issuer.
        for audience in ["https://storage.azure.com/", "https://devstoreaccount1.file.core.windows.net",
                         "https://127.0.0.1:10004/devstoreaccount1", "https://127.0.0.1:10004/"] {
            let token = Self.token(Self.claims(["aud": audience, "iss": "https://login.microsoftonline.com/\(Self.tenant)/v2.0"]))
            #expect(try await send(h, .head, "docs/f.txt", token: token).status == 200, "\(audience)")
        }
        // Service and share operations need no intent (from 2024-11-04).
        #expect(try await send(h, .get, "docs?restype=share", token: good, intent: nil).status == 200)
        let old = try await send(h, .get, "docs?restype=share", token: good, intent: nil, version: "2023-01-03")
        #expect(old.status == 403 && old.errorCode == "AuthorizationFailure")
        try await h.finish()
    }

    @Test func badTokensAreRefusedWithAChallenge() async throws {
        let h = try await Harness.make()
        #expect(try await h.send(.put, "docs?restype=share").status == 201)
        let now = Int(Date().timeIntervalSince1970)
        let cases: [(String, String)] = [
            (Self.token(Self.claims(["exp": now - 10])), "Lifetime validation failed. The token is expired."),
            (Self.token(Self.claims(["nbf": now + 600])), "Lifetime validation failed. The token is not yet valid."),
            (Self.token(Self.claims(["aud": "https://vault.azure.net"])), "Audience validation failed. Audience did not match."),
            (Self.token(Self.claims(["aud": "https://otheraccount.file.core.windows.net"])), "Audience validation failed. Audience did not match."),
            (Self.token(Self.claims(["iss": "https://evil.example.com/\(Self.tenant)/"])), "Issuer validation failed. Issuer did not match."),
            (Self.token(Self.claims(["iss": "https://sts.windows.net/not-a-tenant/"])), "Issuer validation failed. Issuer did not match."),
            (Self.token(["aud": "https://storage.azure.com", "iss": "https://sts.windows.net/\(Self.tenant)/"]), "The token has no lifetime (nbf and exp)."),
            ("not.a.jwt", "The token is not a JSON Web Token."),
            ("abc", "The token is not a JSON Web Token."),
        ]
        for (token, detail) in cases {
            let reply = try await send(h, .get, "docs?restype=directory&comp=list", token: token)
            #expect(reply.status == 401 && reply.errorCode == "InvalidAuthenticationInfo", "\(detail)")
            #expect(reply.text.contains("<AuthenticationErrorDetail>\(detail)</AuthenticationErrorDetail>"), "\(reply.text)")
            #expect(reply.header("WWW-Authenticate")?.hasPrefix("Bearer authorization_uri=https://login.microsoftonline.com/") == true)
            #expect(reply.header("WWW-Authenticate")?.hasSuffix(" resource_id=https://storage.azure.com") == true)
        }
        let good = Self.token(Self.claims())
        let noIntent = try await send(h, .put, "docs/x", token: good, intent: nil, headers: ["x-ms-type": "file", "x-ms-content-length": "1"])
        #expect(noIntent.status == 400 && noIntent.errorCode == "MissingRequiredHeader")
        let badIntent = try await send(h, .put, "docs/x", token: good, intent: "restore", headers: ["x-ms-type": "file", "x-ms-content-length": "1"])
        #expect(badIntent.status == 400 && badIntent.errorCode == "InvalidHeaderValue")
        let overHTTP = try await send(h, .put, "docs/x", token: good, scheme: "http", headers: ["x-ms-type": "file", "x-ms-content-length": "1"])
        #expect(overHTTP.status == 403 && overHTTP.errorCode == "AuthenticationFailed")
        #expect(try await h.store.share("docs").exists("x") == false)
        try await h.finish()
    }

    @Test func userDelegationKeysSignServiceSAS() async throws {
        let h = try await Harness.make()
        #expect(try await h.send(.put, "docs?restype=share").status == 201)
        #expect(try await h.send(.put, "docs/f", headers: ["x-ms-type": "file", "x-ms-content-length": "3"]).status == 201)
        let token = Self.token(Self.claims(["oid": "11111111-2222-3333-4444-555555555555"]))
        let formatter = ISO8601DateFormatter()
        let body = Array("<KeyInfo><Expiry>\(formatter.string(from: Date().addingTimeInterval(3600)))</Expiry></KeyInfo>".utf8)
        let reply = try await h.send(.post, "?restype=service&comp=userdelegationkey",
                                     headers: ["Authorization": "Bearer \(token)"], body: body, sign: false, scheme: "https")
        #expect(reply.status == 200)
        let xml = try #require(reply.xml)
        #expect(xml.value("SignedOid") == "11111111-2222-3333-4444-555555555555")
        #expect(xml.value("SignedTid") == Self.tenant && xml.value("SignedService") == "f")
        let fields = UserDelegation.KeyFields(oid: try #require(xml.value("SignedOid")), tid: Self.tenant,
                                              start: try #require(xml.value("SignedStart")), expiry: try #require(xml.value("SignedExpiry")),
                                              service: "f", version: try #require(xml.value("SignedVersion")))
        let value = try #require(xml.value("Value"))
        #expect(value == Data(UserDelegation.keyValue(fields, accountKey: h.config.accountKey)).base64EncodedString())

        // A file SAS signed with the key, as the SDK builds it.
        let expiry = formatter.string(from: Date().addingTimeInterval(600))
        let v = FileRESTService.newestVersion
        let toSign = ["r", "", expiry, "/file/devstoreaccount1/docs/f", fields.oid, fields.tid, fields.start, fields.expiry, "f", fields.version,
                      "", "", "", "", v, "", "", "", "", ""].joined(separator: "\n")
        let signature = SharedKey.sign(toSign, key: try #require(Data(base64Encoded: value)).map { $0 })
        func query(_ signature: String, oid: String = fields.oid) -> String {
            let items = [("sv", v), ("se", expiry), ("sr", "f"), ("sp", "r"), ("skoid", oid), ("sktid", fields.tid), ("skt", fields.start),
                         ("ske", fields.expiry), ("sks", "f"), ("skv", fields.version), ("sig", signature)]
            return items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        }
        #expect(try await h.send(.get, "docs/f?" + query(signature), sign: false).status == 200)
        // Known from that request, the SAS is still refused once its key has expired.
        let parsed = try FileRequest.parse(FrontRequest(head: HTTPRequest(method: .get, scheme: "http", authority: "h",
                                                                          path: "/devstoreaccount1/docs/f?" + query(signature), headerFields: [:])),
                                           account: "devstoreaccount1")
        #expect(try ServiceSAS.checked(parsed.sasFields, request: parsed, accountKey: h.config.accountKey, now: Date()).delegation == fields)
        let expired = #expect(throws: FileRESTError.self) {
            try ServiceSAS.checked(parsed.sasFields, request: parsed, accountKey: h.config.accountKey, now: Date().addingTimeInterval(7200))
        }
        #expect(expired?.details.first?.1.hasPrefix("The user delegation key is not valid at this time") == true)
        let forged = try await h.send(.get, "docs/f?" + query(signature, oid: "99999999-2222-3333-4444-555555555555"), sign: false)
        #expect(forged.status == 403 && forged.errorCode == "AuthenticationFailed")
        let write = try await h.send(.put, "docs/f?comp=metadata&" + query(signature), sign: false)
        #expect(write.status == 403)

        // Only a bearer token gets a key.
        let sharedKey = try await h.send(.post, "?restype=service&comp=userdelegationkey", body: body)
        #expect(sharedKey.status == 403 && sharedKey.errorCode == "AuthenticationFailed")
        try await h.finish()
    }
}
