import Foundation
import Testing
@testable import S3

/// The policy evaluator as a table: policies × requests × expected decisions.
@Suite("bucket policy evaluator")
struct PolicyEvaluatorTests {
    static let account = S3Identity(canonicalId: "devstoreaccount1", displayName: "devstoreaccount1",
                                    accessKeyId: "devstoreaccount1", secretKey: "s", isAccount: true)
    static let alt = S3Identity(canonicalId: String(repeating: "ab", count: 32), displayName: "alt",
                                accessKeyId: "SCALTKEY", secretKey: "t", isAccount: false)
    static let identities = S3Identities(account: account, all: [account, alt])

    static func policy(_ statements: String) throws -> BucketPolicy {
        try BucketPolicy.parse(Array("{\"Version\":\"2012-10-17\",\"Statement\":[\(statements)]}".utf8), bucket: "bkt",
                               identities: identities)
    }

    static func request(_ who: S3Identity?, _ action: String, _ resource: String,
                        _ context: [String: [String]] = [:]) -> PolicyRequest {
        PolicyRequest(requester: who, action: action, resource: "arn:aws:s3:::" + resource, context: context)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let statements: String
        let request: PolicyRequest
        let expected: PolicyDecision
        var testDescription: String { name }
    }

    static let publicRead = #"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}"#
    static let altOnly = #"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::alt:root"},"Action":"s3:*","Resource":["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"]}"#
    static let denySecret = #"{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/secret/*"}"#

    static let cases: [Case] = [
        Case(name: "public read allows anonymous GetObject", statements: publicRead,
             request: request(nil, "s3:GetObject", "bkt/a.txt"), expected: .allow),
        Case(name: "public read says nothing about PutObject", statements: publicRead,
             request: request(nil, "s3:PutObject", "bkt/a.txt"), expected: .noOpinion),
        Case(name: "object resource does not cover the bucket", statements: publicRead,
             request: request(nil, "s3:GetObject", "bkt"), expected: .noOpinion),
        Case(name: "actions compare without case", statements: publicRead,
             request: request(nil, "S3:getobject", "bkt/x"), expected: .allow),
        Case(name: "named principal: alt allowed", statements: altOnly,
             request: request(alt, "s3:ListBucket", "bkt"), expected: .allow),
        Case(name: "named principal: anonymous not", statements: altOnly,
             request: request(nil, "s3:ListBucket", "bkt"), expected: .noOpinion),
        Case(name: "named principal: account not", statements: altOnly,
             request: request(account, "s3:ListBucket", "bkt"), expected: .noOpinion),
        Case(name: "explicit deny beats allow", statements: publicRead + "," + denySecret,
             request: request(nil, "s3:GetObject", "bkt/secret/k"), expected: .explicitDeny),
        Case(name: "deny elsewhere leaves allow", statements: publicRead + "," + denySecret,
             request: request(nil, "s3:GetObject", "bkt/public/k"), expected: .allow),
        Case(name: "action wildcard s3:Get*",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::bkt/*"}"#,
             request: request(nil, "s3:GetObjectAcl", "bkt/k"), expected: .allow),
        Case(name: "question mark matches one character",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/a?c"}"#,
             request: request(nil, "s3:GetObject", "bkt/abbc"), expected: .noOpinion),
        Case(name: "NotAction allows everything else",
             statements: #"{"Effect":"Allow","Principal":"*","NotAction":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/*"}"#,
             request: request(nil, "s3:PutObject", "bkt/k"), expected: .allow),
        Case(name: "NotAction excludes its action",
             statements: #"{"Effect":"Allow","Principal":"*","NotAction":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/*"}"#,
             request: request(nil, "s3:DeleteObject", "bkt/k"), expected: .noOpinion),
        Case(name: "NotResource denies outside a prefix",
             statements: #"{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::bkt/pub/*"}"#,
             request: request(alt, "s3:GetObject", "bkt/priv/k"), expected: .explicitDeny),
        Case(name: "StringEquals on s3:prefix holds",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt","Condition":{"StringEquals":{"s3:prefix":"home/"}}}"#,
             request: request(nil, "s3:ListBucket", "bkt", ["s3:prefix": ["home/"]]), expected: .allow),
        Case(name: "StringEquals on s3:prefix fails for another prefix",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt","Condition":{"StringEquals":{"s3:prefix":"home/"}}}"#,
             request: request(nil, "s3:ListBucket", "bkt", ["s3:prefix": ["etc/"]]), expected: .noOpinion),
        Case(name: "StringEquals on an absent key fails",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt","Condition":{"StringEquals":{"s3:prefix":"home/"}}}"#,
             request: request(nil, "s3:ListBucket", "bkt"), expected: .noOpinion),
        Case(name: "StringNotEquals on an absent key holds",
             statements: #"{"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt","Condition":{"StringNotEquals":{"s3:delimiter":"/"}}}"#,
             request: request(nil, "s3:ListBucket", "bkt"), expected: .explicitDeny),
        Case(name: "StringNotEquals with the value fails",
             statements: #"{"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt","Condition":{"StringNotEquals":{"s3:delimiter":"/"}}}"#,
             request: request(nil, "s3:ListBucket", "bkt", ["s3:delimiter": ["/"]]), expected: .noOpinion),
        Case(name: "StringLike with a wildcard",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt","Condition":{"StringLike":{"s3:prefix":["docs/*","pub*"]}}}"#,
             request: request(nil, "s3:ListBucket", "bkt", ["s3:prefix": ["public/"]]), expected: .allow),
        Case(name: "StringNotLike excludes a match",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt","Condition":{"StringNotLike":{"s3:prefix":"secret*"}}}"#,
             request: request(nil, "s3:ListBucket", "bkt", ["s3:prefix": ["secret/"]]), expected: .noOpinion),
        Case(name: "NumericLessThanEquals on s3:max-keys",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt","Condition":{"NumericLessThanEquals":{"s3:max-keys":"10"}}}"#,
             request: request(nil, "s3:ListBucket", "bkt", ["s3:max-keys": ["11"]]), expected: .noOpinion),
        Case(name: "IpAddress in range",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"IpAddress":{"aws:SourceIp":"10.1.0.0/16"}}}"#,
             request: request(nil, "s3:GetObject", "bkt/k", ["aws:sourceip": ["10.1.200.3"]]), expected: .allow),
        Case(name: "IpAddress out of range",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"IpAddress":{"aws:SourceIp":"10.1.0.0/16"}}}"#,
             request: request(nil, "s3:GetObject", "bkt/k", ["aws:sourceip": ["10.2.0.1"]]), expected: .noOpinion),
        Case(name: "NotIpAddress denies others",
             statements: #"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bkt/*","Condition":{"NotIpAddress":{"aws:SourceIp":["127.0.0.1/32","::1"]}}}"#,
             request: request(alt, "s3:PutObject", "bkt/k", ["aws:sourceip": ["192.0.2.7"]]), expected: .explicitDeny),
        Case(name: "IPv6 range",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}}"#,
             request: request(nil, "s3:GetObject", "bkt/k", ["aws:sourceip": ["2001:db8:1::5"]]), expected: .allow),
        Case(name: "Bool aws:SecureTransport false denies plain HTTP",
             statements: #"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bkt/*","Condition":{"Bool":{"aws:SecureTransport":false}}}"#,
             request: request(alt, "s3:GetObject", "bkt/k", ["aws:securetransport": ["false"]]), expected: .explicitDeny),
        Case(name: "Bool aws:SecureTransport over HTTPS",
             statements: #"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bkt/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
             request: request(alt, "s3:GetObject", "bkt/k", ["aws:securetransport": ["true"]]), expected: .noOpinion),
        Case(name: "ExistingObjectTag matches the tag",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/security":"public"}}}"#,
             request: request(nil, "s3:GetObject", "bkt/k", ["s3:existingobjecttag/security": ["public"]]), expected: .allow),
        Case(name: "ExistingObjectTag: an untagged object does not match",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/security":"public"}}}"#,
             request: request(nil, "s3:GetObject", "bkt/k"), expected: .noOpinion),
        Case(name: "RequestObjectTag matches the tag a write asks for",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"StringEquals":{"s3:RequestObjectTag/team":"web"}}}"#,
             request: request(alt, "s3:PutObject", "bkt/k", ["s3:requestobjecttag/team": ["web"]]), expected: .allow),
        Case(name: "IfExists holds without the key",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt","Condition":{"StringEqualsIfExists":{"s3:prefix":"a"}}}"#,
             request: request(nil, "s3:ListBucket", "bkt"), expected: .allow),
        Case(name: "NotPrincipal excludes the named identity",
             statements: #"{"Effect":"Deny","NotPrincipal":{"AWS":"alt"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}"#,
             request: request(alt, "s3:GetObject", "bkt/k"), expected: .noOpinion),
        Case(name: "ArnLike matches a source ARN with wildcards",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::logs-*"}}}"#,
             request: request(nil, "s3:PutObject", "bkt/k", ["aws:sourcearn": ["arn:aws:s3:::logs-source"]]), expected: .allow),
        Case(name: "ArnLike does not hold for a request without a source ARN",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::logs-*"}}}"#,
             request: request(nil, "s3:PutObject", "bkt/k"), expected: .noOpinion),
        Case(name: "ArnNotEquals denies every other ARN",
             statements: #"{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::trusted"}}}"#,
             request: request(alt, "s3:PutObject", "bkt/k", ["aws:sourcearn": ["arn:aws:s3:::other"]]), expected: .explicitDeny),
        Case(name: "two conditions must both hold",
             statements: #"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bkt","Condition":{"StringEquals":{"s3:prefix":"a/"},"StringLike":{"s3:delimiter":"/"}}}"#,
             request: request(nil, "s3:ListBucket", "bkt", ["s3:prefix": ["a/"], "s3:delimiter": ["|"]]), expected: .noOpinion),
    ]

    @Test("decisions", arguments: cases)
    func decision(_ testCase: Case) throws {
        let policy = try Self.policy(testCase.statements)
        #expect(PolicyEvaluator.evaluate(policy, testCase.request) == testCase.expected)
    }

    static let malformed: [String] = [
        "not json",
        "[]",
        #"{"Statement":[]}"#,
        #"{"Version":"2000-01-01","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        #"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        #"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        #"{"Statement":[{"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}"#,
        #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}"#,
        #"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"nobody"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
        #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"StringSorta":{"s3:prefix":"a"}}}]}"#,
        #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"IpAddress":{"aws:SourceIp":"300.1.1.1/8"}}}]}"#,
        #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Extra":1}]}"#,
        #"{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"alt"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
    ]

    @Test("malformed policies are MalformedPolicy", arguments: malformed)
    func malformedPolicy(_ text: String) {
        do {
            _ = try BucketPolicy.parse(Array(text.utf8), bucket: "bkt", identities: Self.identities)
            Issue.record("accepted: \(text)")
        } catch let error as S3Error {
            #expect(error.code == "MalformedPolicy")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("public policies: principal * without pinning conditions")
    func publicPolicy() throws {
        #expect(try Self.policy(Self.publicRead).isPublic)
        #expect(try !Self.policy(Self.altOnly).isPublic)
        let pinned = #"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#
        #expect(try !Self.policy(pinned).isPublic)
        #expect(try !Self.policy(Self.denySecret).isPublic)
    }

    @Test("address ranges")
    func addresses() {
        #expect(IPAddressRange("192.168.1.0/24")?.contains([192, 168, 1, 77]) == true)
        #expect(IPAddressRange("192.168.1.0/24")?.contains([192, 168, 2, 1]) == false)
        #expect(IPAddressRange("0.0.0.0/0")?.contains([8, 8, 8, 8]) == true)
        #expect(IPAddressRange("::ffff:10.0.0.1")?.address == [10, 0, 0, 1])
        #expect(IPAddressRange("::1")?.address == Array(repeating: 0, count: 15) + [1])
        #expect(IPAddressRange("1.2.3") == nil)
        #expect(IPAddressRange("1.2.3.4/33") == nil)
        #expect(IPAddressRange("1::2::3") == nil)
    }
}
