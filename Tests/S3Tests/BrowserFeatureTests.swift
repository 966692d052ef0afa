import Crypto
import Foundation
import FrontKit
import HTTPTypes
import Testing
@testable import S3
@testable import ShareCore

/// POST policies and form signatures (POST Object), and CORS rules: parsing with S3's errors,
/// and evaluation.
struct PostPolicyTests {
    static func policy(_ json: String) throws -> PostPolicy { try PostPolicy.parse(json: Array(json.utf8)) }

    static func code(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as S3Error {
            return "\(error.status.code) \(error.code)"
        } catch {
            return "\(error)"
        }
    }

    /// The message of the S3 error `body` throws; nil when it throws none.
    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as S3Error {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("malformed policies are 400 InvalidPolicyDocument", arguments: [
        "not json",
        #"{"conditions": []}"#,
        #"{"expiration": "2030-01-01T00:00:00Z"}"#,
        #"{"EXPIRATION": "2030-01-01T00:00:00Z", "conditions": []}"#,
        #"{"expiration": "2030-01-01T00:00:00Z", "CONDITIONS": []}"#,
        #"{"expiration": "2030-01-01 00:00:00.123456+00:00", "conditions": []}"#,
        #"{"expiration": "2030-01-01T00:00:00+02:00", "conditions": []}"#,
        #"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{}]}"#,
        #"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"a": "1", "b": "2"}]}"#,
        #"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"a": 5}]}"#,
        #"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 0]]}"#,
        #"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", -1, 0]]}"#,
        #"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 0, 512.5]]}"#,
        #"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["between", "$key", "a"]]}"#,
        #"{"expiration": "2030-01-01T00:00:00Z", "conditions": "all"}"#,
    ])
    func malformed(_ json: String) {
        #expect(Self.code { _ = try Self.policy(json) } == "400 InvalidPolicyDocument", "\(json)")
    }

    @Test("conditions: exact, starts-with, Content-Type lists, case of names, the bucket, extra fields, expiry")
    func conditions() throws {
        let policy = try Self.policy("""
            {"expiration": "2030-01-01T00:00:00.000Z", "conditions": [
              {"bUcKeT": "photos"}, ["StArTs-WiTh", "$KeY", "user/"], {"acl": "private"},
              ["starts-with", "$Content-Type", "image/"], ["eq", "$x-amz-meta-tag", "a\\"b"],
              ["content-length-range", "10", 100], ["content-length-range", 0, 50]]}
            """)
        #expect(policy.lengthRange?.min == 10 && policy.lengthRange?.max == 50)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let good = ["key": "user/a.jpg", "acl": "private", "content-type": "image/png,image/gif", "x-amz-meta-tag": "a\"b",
                    "policy": "…", "x-amz-signature": "…", "x-ignore-me": "1", "file": ""]
        #expect(Self.code { try policy.check(fields: good, bucket: "photos", now: now) } == nil)
        #expect(Self.code { try policy.check(fields: good, bucket: "other", now: now) } == "403 AccessDenied")
        var wrongKey = good
        wrongKey["key"] = "admin/a.jpg"
        #expect(Self.code { try policy.check(fields: wrongKey, bucket: "photos", now: now) } == "403 AccessDenied")
        var typeList = good
        typeList["content-type"] = "image/jpg,text/plain"
        #expect(Self.code { try policy.check(fields: typeList, bucket: "photos", now: now) } == "403 AccessDenied")
        var missing = good
        missing["x-amz-meta-tag"] = nil
        #expect(Self.code { try policy.check(fields: missing, bucket: "photos", now: now) } == "403 AccessDenied")
        var extra = good
        extra["x-amz-meta-other"] = "1"
        #expect(Self.message { try policy.check(fields: extra, bucket: "photos", now: now) }
                == "Invalid according to Policy: Extra input fields: x-amz-meta-other")
        #expect(Self.message { try policy.check(fields: good, bucket: "photos", now: Date(timeIntervalSince1970: 1_900_000_000)) }
                == "Invalid according to Policy: Policy expired.")
        var wrongMeta = good
        wrongMeta["x-amz-meta-tag"] = "ab"
        #expect(Self.message { try policy.check(fields: wrongMeta, bucket: "photos", now: now) }
                == #"Invalid according to Policy: Policy Condition failed: ["eq", "$x-amz-meta-tag", "a\"b"]"#)
    }

    @Test("a content-length-range bound that is not a number fails as a condition (403)")
    func nonNumericRange() throws {
        let policy = try Self.policy(#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", "test", "10"]]}"#)
        #expect(Self.code { try policy.check(fields: [:], bucket: "b", now: Date(timeIntervalSince1970: 0)) } == "403 AccessDenied")
    }

    @Test("the SigV4 form signature of AWS's published example verifies; a changed policy does not")
    func awsExampleSignature() throws {
        let policy = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
        let secrets = ["AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]
        var fields = ["policy": policy, "x-amz-algorithm": "AWS4-HMAC-SHA256",
                      "x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request", "x-amz-date": "20151229T000000Z",
                      "x-amz-signature": "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"]
        #expect(try PostFormSignature.verify(fields, secrets: secrets) == "AKIAIOSFODNN7EXAMPLE")
        // The example policy is itself readable, with its CRLF line ends.
        let parsed = try PostPolicy.parse(base64: policy)
        #expect(parsed.conditions.count == 11)
        fields["policy"] = String(policy.dropLast(2))
        #expect(Self.code { _ = try PostFormSignature.verify(fields, secrets: secrets) } == "403 SignatureDoesNotMatch")
        fields["policy"] = policy
        fields["x-amz-credential"] = "AKIAOTHER/20151229/us-east-1/s3/aws4_request"
        #expect(Self.code { _ = try PostFormSignature.verify(fields, secrets: secrets) } == "403 InvalidAccessKeyId")
        fields["x-amz-credential"] = "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1"
        #expect(Self.code { _ = try PostFormSignature.verify(fields, secrets: secrets) } == "400 InvalidArgument")
        fields["x-amz-signature"] = nil
        #expect(Self.code { _ = try PostFormSignature.verify(fields, secrets: secrets) } == "400 InvalidArgument")
    }

    @Test("Signature Version 2 forms: base64 HMAC-SHA1 of the policy; no signature fields at all is anonymous")
    func version2() throws {
        let policy = Data(#"{"expiration": "2030-01-01T00:00:00Z", "conditions": []}"#.utf8).base64EncodedString()
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(policy.utf8), using: SymmetricKey(data: Array("secret".utf8)))
        var fields = ["policy": policy, "awsaccesskeyid": "me", "signature": Data(mac).base64EncodedString()]
        #expect(try PostFormSignature.verify(fields, secrets: ["me": "secret"]) == "me")
        fields["signature"] = String(Data(mac).base64EncodedString().reversed())
        #expect(Self.code { _ = try PostFormSignature.verify(fields, secrets: ["me": "secret"]) } == "403 SignatureDoesNotMatch")
        fields["signature"] = nil
        #expect(Self.code { _ = try PostFormSignature.verify(fields, secrets: ["me": "secret"]) } == "400 InvalidArgument")
        #expect(try PostFormSignature.verify(["policy": policy, "key": "k"], secrets: ["me": "secret"]) == nil)
    }
}

struct CorsRuleTests {
    static func code(_ xml: String) -> String? {
        do {
            _ = try CorsConfiguration.parse(Array(xml.utf8))
            return nil
        } catch {
            return "\(error.status.code) \(error.code)"
        }
    }

    static func rules(_ body: String) -> String {
        "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(body)</CORSConfiguration>"
    }

    @Test("PutBucketCors documents S3 refuses, with its codes")
    func refused() {
        #expect(Self.code(Self.rules("")) == "400 MalformedXML")
        #expect(Self.code(Self.rules("<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>")) == "400 MalformedXML")
        #expect(Self.code(Self.rules("<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>")) == "400 MalformedXML")
        #expect(Self.code(Self.rules("<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Colour>red</Colour></CORSRule>"))
            == "400 MalformedXML")
        #expect(Self.code(Self.rules("<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule>"))
            == "400 MalformedXML")
        let oneRule = "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
        #expect(Self.code(Self.rules(String(repeating: oneRule, count: 101))) == "400 MalformedXML")
        #expect(Self.code(Self.rules(String(repeating: oneRule, count: 100))) == nil)
        #expect(Self.code(Self.rules("<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>OPTIONS</AllowedMethod></CORSRule>"))
            == "400 InvalidRequest")
        #expect(Self.code(Self.rules("<CORSRule><AllowedOrigin>*example*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"))
            == "400 InvalidRequest")
        #expect(Self.code(Self.rules("<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader></CORSRule>"))
            == "400 InvalidRequest")
        #expect(Self.code(Self.rules("<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>*</ExposeHeader></CORSRule>"))
            == "400 InvalidRequest")
        #expect(Self.code(Self.rules("<CORSRule><ID>\(String(repeating: "i", count: 256))</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"))
            == "400 InvalidArgument")
    }

    @Test("a configuration survives its stored form")
    func roundTrip() throws {
        let configuration = try CorsConfiguration.parse(Array(Self.rules("""
            <CORSRule><ID>web</ID><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>
            <AllowedMethod>POST</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>
            <MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>
            """).utf8))
        #expect(try CorsConfiguration(stored: configuration.encode()) == configuration)
        #expect(configuration.rules[0] == CorsRule(id: "web", allowedOrigins: ["https://*.example.com"], allowedMethods: ["PUT", "POST"],
                                                   allowedHeaders: ["*"], exposeHeaders: ["ETag"], maxAgeSeconds: 3000))
    }

    @Test("origins with one wildcard match as s3-tests expects", arguments: [
        ("*suffix", "foo.suffix", true), ("*suffix", "foo.suffix.get", false), ("start*end", "startend", true),
        ("start*end", "start12end", true), ("start*end", "0start12end", false), ("prefix*", "prefix", true),
        ("prefix*", "bla.prefix", false), ("*", "anything", true), ("http://a.com", "http://a.com", true),
        ("http://a.com", "https://a.com", false), ("http://a.com", "http://A.com", false), ("http://*.a.com", "http://x.a.com/", false),
    ])
    func origins(_ pattern: String, _ origin: String, _ expected: Bool) {
        #expect(CorsMatching.matches(pattern, origin) == expected)
    }

    @Test("the first rule that admits origin, method and every requested header wins")
    func firstMatch() {
        let rules = [
            CorsRule(id: "a", allowedOrigins: ["https://app.example"], allowedMethods: ["PUT"], allowedHeaders: ["x-amz-*", "Content-Type"]),
            CorsRule(id: "b", allowedOrigins: ["*"], allowedMethods: ["GET", "HEAD"], exposeHeaders: ["ETag"], maxAgeSeconds: 60),
        ]
        #expect(CorsMatching.firstMatch(rules, origin: "https://app.example", method: "PUT",
                                        headers: CorsMatching.requestedHeaders("X-Amz-Date,content-type"))?.id == "a")
        #expect(CorsMatching.firstMatch(rules, origin: "https://app.example", method: "PUT", headers: ["authorization"]) == nil)
        #expect(CorsMatching.firstMatch(rules, origin: "https://other.example", method: "PUT", headers: []) == nil)
        #expect(CorsMatching.firstMatch(rules, origin: "https://other.example", method: "GET", headers: [])?.id == "b")
        #expect(CorsMatching.firstMatch(rules, origin: "https://other.example", method: "GET", headers: ["x-amz-date"]) == nil)
        let wildcard = Dictionary(CorsMatching.responseHeaders(rules[1], origin: "https://x", requestedHeaders: []), uniquingKeysWith: { a, _ in a })
        #expect(wildcard["Access-Control-Allow-Origin"] == "*")
        #expect(wildcard["Access-Control-Allow-Credentials"] == nil)
        #expect(wildcard["Access-Control-Allow-Methods"] == "GET, HEAD")
        #expect(wildcard["Access-Control-Expose-Headers"] == "ETag")
        #expect(wildcard["Access-Control-Max-Age"] == "60")
        let echoed = Dictionary(CorsMatching.responseHeaders(rules[0], origin: "https://app.example", requestedHeaders: ["x-amz-date"]),
                                uniquingKeysWith: { a, _ in a })
        #expect(echoed["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(echoed["Access-Control-Allow-Credentials"] == "true")
        #expect(echoed["Access-Control-Allow-Headers"] == "x-amz-date")
        #expect(echoed["Vary"] == "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
    }
}

/// CORS through the front itself: the configuration is a front record that `sharecore check`
/// verifies and that goes with its bucket; a preflight needs no signature.
struct CorsServiceTests {
    static let document = Array("""
        <CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>\
        <AllowedHeader>x-amz-*</AllowedHeader></CORSRule></CORSConfiguration>
        """.utf8)

    static func putCors(_ h: S3Harness, _ bucket: String) async throws -> S3Harness.Reply {
        let md5 = Data(Insecure.MD5.hash(data: document)).base64EncodedString()
        return try await h.send(.put, "/\(bucket)?cors", headers: [("Content-MD5", md5)], body: document)
    }

    @Test("a preflight is answered from the rules without a signature; the record passes check")
    func preflightAndCheck() async throws {
        let h = try await S3Harness.make()
        #expect(try await h.send(.put, "/site").status == 200)
        #expect(try await h.send(.put, "/site?cors", body: Self.document).code == "InvalidRequest")  // no Content-MD5
        #expect(try await Self.putCors(h, "site").status == 200)
        var fields = HTTPFields()
        fields.set("Origin", "https://www.example.com")
        fields.set("Access-Control-Request-Method", "PUT")
        fields.set("Access-Control-Request-Headers", "X-Amz-Date")
        let head = HTTPRequest(method: .options, scheme: "http", authority: "127.0.0.1:9000", path: "/site/a.txt", headerFields: fields)
        let response = await h.service.respond(to: FrontRequest(head: head))
        #expect(response.head.status.code == 200)
        #expect(response.head.headerFields[.accessControlAllowOrigin] == "https://www.example.com")
        #expect(response.head.headerFields[.accessControlAllowHeaders] == "x-amz-date")
        #expect(response.operation == "OptionsObject")
        let report = try await h.store.check(verifiers: S3Service.corsRecordVerifiers)
        #expect(report.problems == [])
        try await h.finish()
    }

    @Test("removing a mapped bucket removes its CORS configuration; deleting a bucket does too")
    func goesWithTheBucket() async throws {
        let h = try await S3Harness.make()
        #expect(try await h.send(.put, "/docs").status == 200)
        #expect(try await h.send(.put, "/docs/web/").status == 200)
        try await h.store.addBucket("web-site", share: "docs", path: "web")
        #expect(try await Self.putCors(h, "web-site").status == 200)
        #expect(try await h.send(.get, "/web-site?cors").status == 200)
        try await h.store.removeBucket("web-site")
        try await h.store.addBucket("web-site", share: "docs", path: "web")
        #expect(try await h.send(.get, "/web-site?cors").code == "NoSuchCORSConfiguration")
        #expect(try await Self.putCors(h, "docs").status == 200)
        try await h.store.removeBucket("web-site")
        #expect(try await h.send(.delete, "/docs/web/").status == 204)
        #expect(try await h.send(.delete, "/docs").status == 204)
        #expect(try await h.send(.put, "/docs").status == 200)
        #expect(try await h.send(.get, "/docs?cors").code == "NoSuchCORSConfiguration")
        try await h.finish()
    }
}
