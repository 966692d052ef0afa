import Foundation
import FrontKit
import HTTPTypes
import Testing
@testable import FileREST
@testable import ShareCore

/// SAS tokens made by the real SDK (azure-storage-file-share 12.27.1) with the development key,
/// fixed start/expiry and permissions, so the server must verify exactly what the SDK signs:
///
/// ```python
/// from datetime import datetime, timezone
/// from azure.storage.fileshare import (generate_account_sas, generate_share_sas, generate_file_sas,
///     ResourceTypes, AccountSasPermissions, Services)
/// A = "devstoreaccount1"; K = "<development key>"
/// def t(y, m, d): return datetime(y, m, d, tzinfo=timezone.utc)
/// S, E = t(2020, 1, 1), t(2099, 1, 1)
/// accountAll = generate_account_sas(A, K, ResourceTypes(service=True, container=True, object=True),
///     AccountSasPermissions(read=True, write=True, delete=True, list=True, create=True), E, start=S)
/// accountReadList = generate_account_sas(A, K, "sco", "rl", E, start=S)
/// accountObjectOnly = generate_account_sas(A, K, "o", "rwdlc", E, start=S)
/// accountBlobOnly = generate_account_sas(A, K, "sco", "rwdlc", E, start=S, services=Services(blob=True))
/// accountExpired = generate_account_sas(A, K, "sco", "rwdlc", t(2021, 1, 1), start=S)
/// accountExpiredNoStart = generate_account_sas(A, K, "sco", "rwdlc", t(2021, 1, 1))
/// accountStartInFuture = generate_account_sas(A, K, "sco", "rwdlc", E, start=t(2098, 1, 1))
/// accountIPRange = generate_account_sas(A, K, "sco", "rwdlc", E, start=S, ip="10.0.0.1-10.0.0.9")
/// accountHTTPSOnly = generate_account_sas(A, K, "sco", "rwdlc", E, start=S, protocol="https")
/// accountCreateOnly = generate_account_sas(A, K, "sco", "c", E, start=S)
/// shareAll = generate_share_sas(A, "docs", K, permission="rcwdl", expiry=E, start=S)
/// shareRead = generate_share_sas(A, "docs", K, permission="r", expiry=E, start=S)
/// shareCreate = generate_share_sas(A, "docs", K, permission="c", expiry=E, start=S)
/// sharePolicy = generate_share_sas(A, "docs", K, policy_id="readers")
/// sharePolicyWithPermission = generate_share_sas(A, "docs", K, policy_id="readers", permission="r")
/// fileRead = generate_file_sas(A, "docs", ["dir", "a.txt"], K, permission="r", expiry=E, start=S,
///     cache_control="no-cache", content_disposition="attachment; filename=a.txt",
///     content_encoding="identity", content_language="fr", content_type="text/plain")
/// fileReadWrite = generate_file_sas(A, "docs", ["b.txt"], K, permission="rw", expiry=E, start=S)
/// ```
///
/// The two legacy tokens are signed by hand in Python (`hmac.new(b64decode(K), sts, sha256)`)
/// over the older strings-to-sign: an account SAS of 2019-02-02 (no encryption-scope line)
/// and a share SAS of 2015-02-21 (no `sip`/`spr` lines, short time forms).
enum SASVectors {
    static let accountAll = "st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=rwdlc&sv=2026-10-06&ss=f&srt=sco&sig=BR9NX1H6D8Bl9KL7036jajUUvt4q9k7nLzsBX6h7q/I%3D"
    static let accountReadList = "st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=rl&sv=2026-10-06&ss=f&srt=sco&sig=kKW/7UjRYNl4NsZORDXa8gjrUEucyPeGfOfzVgiXAbU%3D"
    static let accountObjectOnly = "st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=rwdlc&sv=2026-10-06&ss=f&srt=o&sig=dTRxFyR4vaaafWNoS0/8cHgGfBTDFREHLNO5CLGrPrw%3D"
    static let accountBlobOnly = "st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=rwdlc&sv=2026-10-06&ss=b&srt=sco&sig=81rjVWYXbuoXVouZlCvoC2zHVem2NfoErcpFiEkwDk4%3D"
    static let accountExpired = "st=2020-01-01T00%3A00%3A00Z&se=2021-01-01T00%3A00%3A00Z&sp=rwdlc&sv=2026-10-06&ss=f&srt=sco&sig=yjgAf2VLnGG75bBUoSNv16T9NrZlgrDUoi4C0WyItmA%3D"
    static let accountExpiredNoStart = "se=2021-01-01T00%3A00%3A00Z&sp=rwdlc&sv=2026-10-06&ss=f&srt=sco&sig=J9o6%2BkIAwWvOkMDKObEBVGpQ%2BHIK2BPy754J3upjrVA%3D"
    static let accountStartInFuture = "st=2098-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=rwdlc&sv=2026-10-06&ss=f&srt=sco&sig=vdDMDWIBJQW8J5TKLz6NYpQyTZ4Ui1AqRkwBRyF1LJo%3D"
    static let accountIPRange = "st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=rwdlc&sip=10.0.0.1-10.0.0.9&sv=2026-10-06&ss=f&srt=sco&sig=/AqAR4bkH4vnzE0Be0nJg68PucaasKn6HTjZODcGnDE%3D"
    static let accountHTTPSOnly = "st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=rwdlc&spr=https&sv=2026-10-06&ss=f&srt=sco&sig=UEtqJfZdZqSE/Ujg8wCtbftFOM0FZxMnNiT%2BlPtTojA%3D"
    static let accountCreateOnly = "st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=c&sv=2026-10-06&ss=f&srt=sco&sig=swKt2an923PVAVYOYYZ1IkofrH4FwfDSYilSPPjUxJ8%3D"
    static let shareAll = "st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=rcwdl&sv=2026-10-06&sr=s&sig=H3Z8bgfzxgQ6nSYh9ym4en3G667ASftcbrPl94ZUP1c%3D"
    static let shareRead = "st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=r&sv=2026-10-06&sr=s&sig=sJ7E7vZg3ScWQwHVv9Oh2zec9KDay0AZwfG8%2BGtQJrI%3D"
    static let shareCreate = "st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=c&sv=2026-10-06&sr=s&sig=7akRSL/5RA69cXfi6aCyIDd2jecZR849ZsL3OWAsgac%3D"
    static let sharePolicy = "sv=2026-10-06&si=readers&sr=s&sig=xw2IhfCF3bRbFT1cth6LY88qC9D1bQQrIqA8RRzgDFo%3D"
    static let sharePolicyWithPermission = "sp=r&sv=2026-10-06&si=readers&sr=s&sig=qww57BhtWCD7MrM4iREwMFRCG1y3nI1eyAyY3u0wEAs%3D"
    static let fileRead = "st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=r&sv=2026-10-06&sr=f&rscc=no-cache&rscd=attachment%3B%20filename%3Da.txt&rsce=identity&rscl=fr&rsct=text/plain&sig=LLqOIMMqWE29kVMj6nyrdmYUuE0RdBl/a0O6WLFZKV0%3D"
    static let fileReadWrite = "st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sp=rw&sv=2026-10-06&sr=f&sig=9Bs%2BfHUfmLc1ASDG%2BJld2cFPpzIEWWjN6Z55exZF6N0%3D"
    static let legacyAccount = "sv=2019-02-02&ss=f&srt=sco&sp=rl&st=2020-01-01T00%3A00%3A00Z&se=2099-01-01T00%3A00%3A00Z&sig=3S7Yc8k5stXdAoeOqlbFtHp9D8McW0msCL6vDuJDuuo%3D"
    static let legacyShare = "sv=2015-02-21&sr=s&sp=rl&st=2020-01-01&se=2099-01-01T00%3A00Z&sig=iYoBjTa1tt//Fltbi3%2BnXpnKZTODnSrypW9SQwpWj2E%3D"

    /// What `sts_hook` reported for `accountCreateOnly` and `fileRead`.
    static let accountCreateOnlyStringToSign = "devstoreaccount1\nc\nf\nsco\n2020-01-01T00:00:00Z\n2099-01-01T00:00:00Z\n\n\n2026-10-06\n\n"
    static let fileReadStringToSign = "r\n2020-01-01T00:00:00Z\n2099-01-01T00:00:00Z\n/file/devstoreaccount1/docs/dir/a.txt\n\n\n\n2026-10-06\nno-cache\nattachment; filename=a.txt\nidentity\nfr\ntext/plain"
}

/// Error codes that mean authorization refused the request.
private let authCodes: Set<String> = ["AuthenticationFailed", "InvalidAuthenticationInfo", "AuthorizationFailure",
                                      "AuthorizationPermissionMismatch", "AuthorizationResourceTypeMismatch",
                                      "AuthorizationServiceMismatch", "AuthorizationSourceIPMismatch", "AuthorizationProtocolMismatch"]

extension Harness.Reply {
    /// Whether authorization let the request through (whatever the handler then answered).
    var passedAuthorization: Bool { !authCodes.contains(errorCode ?? "") }
    /// The `AuthenticationErrorDetail` of the error body.
    var authenticationDetail: String? { xml?.value("AuthenticationErrorDetail") }
}

extension Harness {
    /// Sends a request built exactly as given (no headers added, nothing signed unless
    /// `sign`), from `remoteAddress` over `scheme`: for the date, IP and protocol checks.
    func sendRaw(_ method: HTTPRequest.Method, _ pathAndQuery: String, headers: [(String, String)] = [],
                 sign: Bool = false, lite: Bool = false, scheme: String = "http", remoteAddress: String? = "127.0.0.1") async throws -> Reply {
        var fields = HTTPFields()
        for (name, value) in headers { fields.set(name, value) }
        var head = HTTPRequest(method: method, scheme: scheme, authority: "127.0.0.1:10004", path: "/\(account)/\(pathAndQuery)", headerFields: fields)
        if sign {
            let parsed = try FileRequest.parse(FrontRequest(head: head), account: account)
            let toSign = lite ? SharedKey.liteStringToSign(parsed) : SharedKey.stringToSign(parsed)
            head.headerFields.set("Authorization", "\(lite ? "SharedKeyLite" : "SharedKey") \(account):\(SharedKey.sign(toSign, key: config.accountKey))")
        }
        let response = await service.respond(to: FrontRequest(head: head, remoteAddress: remoteAddress))
        var body: [UInt8] = []
        if case .bytes(let b) = response.body { body = b }
        return Reply(status: Int(response.head.status.code), headers: response.head.headerFields, body: body)
    }

    /// Creates share `docs` with `dir/a.txt` and `b.txt` through the engine.
    func seedDocs() async throws {
        _ = try await store.createShare("docs")
        let share = store.share("docs")
        _ = try await share.createDirectory("dir")
        _ = try await share.createFile("dir/a.txt", length: 3)
        _ = try await share.createFile("b.txt")
    }
}

private func fileTime(_ text: String) -> FileTime? { FileTime(iso8601: text) }

@Suite struct SharedKeyAuthTests {
    static let version = ("x-ms-version", FileRESTService.newestVersion)

    @Test func stringToSignMatchesTheSDK() throws {
        // Headers and URL as the SDK's SharedKeyCredentialPolicy saw them; its string to sign.
        let fields: [(String, String)] = [("x-ms-version", "2026-10-06"), ("x-ms-date", "Mon, 02 Mar 2026 10:00:00 GMT"),
                                          ("x-ms-meta-ab", "1"), ("x-ms-meta-a_b", "2"), ("x-ms-meta-a-c", "3"), ("x-ms-meta-A", "4"),
                                          ("x-ms-meta", "bare"), ("Content-Length", "0"), ("Content-Type", "text/plain")]
        var headers = HTTPFields()
        for (name, value) in fields { headers.set(name, value) }
        let head = HTTPRequest(method: .put, scheme: "http", authority: "127.0.0.1:10004",
                               path: "/devstoreaccount1/docs/dir%20x/a.txt?comp=metadata&timeout=30", headerFields: headers)
        let request = try FileRequest.parse(FrontRequest(head: head), account: "devstoreaccount1")
        let expected = "PUT\n\n\n\n\ntext/plain\n\n\n\n\n\n\nx-ms-date:Mon, 02 Mar 2026 10:00:00 GMT\nx-ms-meta:bare\nx-ms-meta-a:4\nx-ms-meta-a_b:2\nx-ms-meta-ab:1\nx-ms-meta-a-c:3\nx-ms-version:2026-10-06\n/devstoreaccount1/devstoreaccount1/docs/dir%20x/a.txt\ncomp:metadata\ntimeout:30"
        #expect(SharedKey.stringToSign(request) == expected)
        let key = try #require(FileRESTConfiguration()).accountKey
        #expect(SharedKey.sign(expected, key: key) == "ipUtXi5Hv87FK6YSr8i3TU1DLqC7mq4QkKVX8oeO7hM=")
    }

    @Test func requestDateIsRequiredAndMayNotBeStale() async throws {
        let h = try await Harness.make()
        let missing = try await h.sendRaw(.put, "docs?restype=share", headers: [Self.version], sign: true)
        #expect(missing.status == 403)
        #expect(missing.errorCode == "AuthenticationFailed")
        #expect(missing.authenticationDetail == "Request date header not specified")

        let garbled = try await h.sendRaw(.put, "docs?restype=share", headers: [Self.version, ("x-ms-date", "yesterday")], sign: true)
        #expect(garbled.errorCode == "AuthenticationFailed")
        #expect(garbled.authenticationDetail == "The Date header in the request is incorrect.")

        let old = HTTPDate.format(Date().addingTimeInterval(-16 * 60))
        let stale = try await h.sendRaw(.put, "docs?restype=share", headers: [Self.version, ("x-ms-date", old)], sign: true)
        #expect(stale.status == 403)
        #expect(stale.authenticationDetail == "Request date header too old: '\(old)'")
        #expect(try await h.store.listShares().shares.isEmpty)

        // More than 15 minutes ahead is refused too: such a request could be replayed until then.
        let farAhead = HTTPDate.format(Date().addingTimeInterval(16 * 60))
        let future = try await h.sendRaw(.put, "docs?restype=share", headers: [Self.version, ("x-ms-date", farAhead)], sign: true)
        #expect(future.status == 403)
        #expect(future.errorCode == "AuthenticationFailed")
        #expect(future.authenticationDetail?.hasPrefix("Request date header too far in the future: '\(farAhead)'") == true)
        let yearAhead = HTTPDate.format(Date().addingTimeInterval(365 * 24 * 3600))
        #expect(try await h.sendRaw(.put, "docs?restype=share", headers: [Self.version, ("x-ms-date", yearAhead)], sign: true).status == 403)
        #expect(try await h.store.listShares().shares.isEmpty)

        // 14 minutes old, a `Date` header instead of x-ms-date, or a clock up to 14 minutes ahead: all accepted.
        let recent = HTTPDate.format(Date().addingTimeInterval(-14 * 60))
        #expect(try await h.sendRaw(.put, "datea1?restype=share", headers: [Self.version, ("x-ms-date", recent)], sign: true).status == 201)
        #expect(try await h.sendRaw(.put, "datea2?restype=share", headers: [Self.version, ("Date", HTTPDate.format(Date()))], sign: true).status == 201)
        let ahead = HTTPDate.format(Date().addingTimeInterval(14 * 60))
        #expect(try await h.sendRaw(.put, "datea3?restype=share", headers: [Self.version, ("x-ms-date", ahead)], sign: true).status == 201)
        try await h.finish()
    }

    @Test func malformedAuthorizationHeaders() async throws {
        let h = try await Harness.make()
        for value in ["SharedKey devstoreaccount1", "SharedKey", "SharedKey a:b:c", "SharedKey devstoreaccount1:not*base64"] {
            let reply = try await h.send(.put, "docs?restype=share", headers: ["Authorization": value], sign: false)
            #expect(reply.status == 400, "\(value)")
            #expect(reply.errorCode == "InvalidAuthenticationInfo", "\(value)")
            #expect(reply.xml?.value("Message")?.hasPrefix("Authentication information is not given in the correct format.") == true)
        }
        let bearer = try await h.send(.put, "docs?restype=share", headers: ["Authorization": "Bearer abc"], sign: false)
        #expect(bearer.status == 403)
        // Bearer tokens are taken over HTTPS only (BearerTokenTests).
        #expect(bearer.authenticationDetail == "Authentication scheme Bearer is not allowed with HTTP.")
        let wrongKey = try await h.send(.put, "docs?restype=share", headers: ["Authorization": "SharedKey devstoreaccount1:AAAA"], sign: false)
        #expect(wrongKey.status == 403)
        #expect(wrongKey.authenticationDetail?.hasPrefix("The MAC signature found in the HTTP request 'AAAA' is not the same as any computed signature. Server used following string to sign: 'PUT\n") == true)
        #expect(try await h.store.listShares().shares.isEmpty)
        try await h.finish()
    }

    @Test func sharedKeyLiteIsAccepted() async throws {
        let h = try await Harness.make()
        let headers = [Self.version, ("x-ms-date", HTTPDate.format(Date())), ("x-ms-meta-owner", "me"), ("Content-Length", "0")]
        let created = try await h.sendRaw(.put, "lite?restype=share", headers: headers, sign: true, lite: true)
        #expect(created.status == 201)
        let parsed = try FileRequest.parse(FrontRequest(head: HTTPRequest(method: .get, scheme: "http", authority: "h",
                                                                          path: "/devstoreaccount1/lite?restype=share&comp=metadata", headerFields: [:])),
                                           account: "devstoreaccount1")
        #expect(SharedKey.liteStringToSign(parsed) == "GET\n\n\n\n/devstoreaccount1/devstoreaccount1/lite?comp=metadata")
        try await h.finish()
    }
}

@Suite struct AccountSASTests {
    @Test func stringToSignMatchesTheSDK() throws {
        let target = try #require(RequestTarget("/x?" + SASVectors.accountCreateOnly))
        #expect(AccountSAS.stringToSign(SASFields(target), account: "devstoreaccount1", version: "2026-10-06") == SASVectors.accountCreateOnlyStringToSign)
    }

    @Test func permittedOperationsPass() async throws {
        let h = try await Harness.make()
        let created = try await h.send(.put, "docs?restype=share&" + SASVectors.accountAll, sign: false)
        #expect(created.status == 201)
        #expect(try await h.store.shareInfo("docs").name == "docs")
        for (method, path) in [(HTTPRequest.Method.get, "?comp=list&"), (.get, "?restype=service&comp=properties&"),
                               (.put, "docs/dir?restype=directory&"), (.put, "docs/f.txt?"), (.get, "docs?restype=directory&comp=list&"),
                               (.delete, "docs/f.txt?")] {
            let reply = try await h.send(method, path + SASVectors.accountAll, sign: false)
            #expect(reply.passedAuthorization, "\(method) \(path): \(reply.errorCode ?? "")")
        }
        let legacy = try await h.send(.get, "?comp=list&" + SASVectors.legacyAccount, sign: false)
        #expect(legacy.passedAuthorization)
        try await h.finish()
    }

    @Test func permissionResourceTypeAndServiceMismatches() async throws {
        let h = try await Harness.make()
        let readOnly = try await h.send(.put, "docs?restype=share&" + SASVectors.accountReadList, sign: false)
        #expect(readOnly.status == 403)
        #expect(readOnly.errorCode == "AuthorizationPermissionMismatch")
        #expect(readOnly.xml?.value("Message")?.hasPrefix("This request is not authorized to perform this operation using this permission.") == true)
        #expect(try await h.send(.get, "?comp=list&" + SASVectors.accountReadList, sign: false).passedAuthorization)

        let objectOnly = try await h.send(.put, "docs?restype=share&" + SASVectors.accountObjectOnly, sign: false)
        #expect(objectOnly.errorCode == "AuthorizationResourceTypeMismatch")
        let listing = try await h.send(.get, "?comp=list&" + SASVectors.accountObjectOnly, sign: false)
        #expect(listing.errorCode == "AuthorizationResourceTypeMismatch")
        #expect(try await h.send(.put, "docs/dir?restype=directory&" + SASVectors.accountObjectOnly, sign: false).passedAuthorization)

        let blob = try await h.send(.put, "docs?restype=share&" + SASVectors.accountBlobOnly, sign: false)
        #expect(blob.status == 403)
        #expect(blob.errorCode == "AuthorizationServiceMismatch")
        #expect(try await h.store.listShares().shares.isEmpty)

        // Share ACLs are for the account owner only.
        let acl = try await h.send(.get, "docs?restype=share&comp=acl&" + SASVectors.accountAll, sign: false)
        #expect(acl.errorCode == "AuthorizationFailure")
        try await h.finish()
    }

    @Test func createPermissionOnlyCreatesNewFiles() async throws {
        let h = try await Harness.make()
        try await h.seedDocs()
        let existing = try await h.send(.put, "docs/b.txt?" + SASVectors.accountCreateOnly, headers: ["x-ms-type": "file", "x-ms-content-length": "0"], sign: false)
        #expect(existing.errorCode == "AuthorizationPermissionMismatch")
        let fresh = try await h.send(.put, "docs/new.txt?" + SASVectors.accountCreateOnly, headers: ["x-ms-type": "file", "x-ms-content-length": "0"], sign: false)
        #expect(fresh.passedAuthorization)
        let write = try await h.send(.put, "docs/b.txt?comp=range&" + SASVectors.accountCreateOnly, sign: false)
        #expect(write.errorCode == "AuthorizationPermissionMismatch")
        try await h.finish()
    }

    @Test func timeFrame() async throws {
        let h = try await Harness.make()
        let expired = try await h.send(.put, "docs?restype=share&" + SASVectors.accountExpired, sign: false)
        #expect(expired.status == 403)
        #expect(expired.errorCode == "AuthenticationFailed")
        #expect(expired.authenticationDetail?.hasPrefix(
            "Signature not valid in the specified time frame: Start [Wed, 01 Jan 2020 00:00:00 GMT] - Expiry [Fri, 01 Jan 2021 00:00:00 GMT] - Current [") == true)

        let expiredNoStart = try await h.send(.put, "docs?restype=share&" + SASVectors.accountExpiredNoStart, sign: false)
        #expect(expiredNoStart.errorCode == "AuthenticationFailed")
        #expect(expiredNoStart.authenticationDetail?.hasPrefix("Signed expiry time [Fri, 01 Jan 2021 00:00:00 GMT] has to be after signed start time [") == true)

        let early = try await h.send(.put, "docs?restype=share&" + SASVectors.accountStartInFuture, sign: false)
        #expect(early.authenticationDetail?.hasPrefix("Signature not valid in the specified time frame: Start [Wed, 01 Jan 2098 00:00:00 GMT]") == true)
        #expect(try await h.store.listShares().shares.isEmpty)
        try await h.finish()
    }

    @Test func sourceAddressAndProtocol() async throws {
        let h = try await Harness.make()
        let outside = try await h.sendRaw(.get, "?comp=list&" + SASVectors.accountIPRange, remoteAddress: "127.0.0.1")
        #expect(outside.status == 403)
        #expect(outside.errorCode == "AuthorizationSourceIPMismatch")
        #expect(outside.xml?.value("Message")?.hasPrefix("This request is not authorized to perform this operation using this source IP 127.0.0.1.") == true)
        #expect(try await h.sendRaw(.get, "?comp=list&" + SASVectors.accountIPRange, remoteAddress: nil).errorCode == "AuthorizationSourceIPMismatch")
        #expect(try await h.sendRaw(.get, "?comp=list&" + SASVectors.accountIPRange, remoteAddress: "10.0.0.5").passedAuthorization)
        #expect(try await h.sendRaw(.get, "?comp=list&" + SASVectors.accountIPRange, remoteAddress: "::ffff:10.0.0.9").passedAuthorization)
        #expect(try await h.sendRaw(.get, "?comp=list&" + SASVectors.accountIPRange, remoteAddress: "10.0.0.10").errorCode == "AuthorizationSourceIPMismatch")

        let http = try await h.sendRaw(.get, "?comp=list&" + SASVectors.accountHTTPSOnly)
        #expect(http.status == 403)
        #expect(http.errorCode == "AuthorizationProtocolMismatch")
        #expect(try await h.sendRaw(.get, "?comp=list&" + SASVectors.accountHTTPSOnly, scheme: "https").passedAuthorization)
        try await h.finish()
    }

    @Test func badSignaturesAndFields() async throws {
        let h = try await Harness.make()
        let tampered = SASVectors.accountAll.replacingOccurrences(of: "sp=rwdlc", with: "sp=rwdlcu")
        let forged = try await h.send(.put, "docs?restype=share&" + tampered, sign: false)
        #expect(forged.status == 403)
        #expect(forged.errorCode == "AuthenticationFailed")
        // (The XML reader trims the detail's trailing newlines.)
        #expect(forged.authenticationDetail == "Signature did not match. String to sign used was devstoreaccount1\nrwdlcu\nf\nsco\n2020-01-01T00:00:00Z\n2099-01-01T00:00:00Z\n\n\n2026-10-06")
        #expect(forged.text.contains("2026-10-06\n\n</AuthenticationErrorDetail>"))

        let cases: [(String, String)] = [
            (SASVectors.accountAll.replacingOccurrences(of: "&se=2099-01-01T00%3A00%3A00Z", with: ""), "se is mandatory. Cannot be empty"),
            (SASVectors.accountAll.replacingOccurrences(of: "sv=2026-10-06", with: "sv=2014-02-14"),
             "sv is either not in the correct format or is not equal or later than version 2015-04-05"),
            (SASVectors.accountAll.replacingOccurrences(of: "srt=sco", with: "srt=scx"), "Signature fields not well formed."),
            (SASVectors.accountAll.replacingOccurrences(of: "sp=rwdlc", with: "sp=rrw"), "Signature fields not well formed."),
            (SASVectors.accountAll.replacingOccurrences(of: "se=2099-01-01T00%3A00%3A00Z", with: "se=tomorrow"), "Signature fields not well formed."),
            (SASVectors.accountAll + "&spr=http", "Signature fields not well formed."),
            ("sv=2026-10-06&ss=f&srt=sco&sp=r&se=2099-01-01&sig=AAAA", "Signature size is invalid"),
        ]
        for (token, detail) in cases {
            let reply = try await h.send(.put, "docs?restype=share&" + token, sign: false)
            #expect(reply.errorCode == "AuthenticationFailed", "\(token)")
            #expect(reply.authenticationDetail == detail, "\(token)")
        }
        #expect(try await h.store.listShares().shares.isEmpty)
        try await h.finish()
    }
}

@Suite struct ServiceSASTests {
    @Test("SAS parameters are found in any letter case, the first of a name winning, values decoded")
    func fieldsInAnyCase() throws {
        let fields = SASFields(try #require(RequestTarget("/share/f?SV=2020-02-10&Sig=a%2Bb&sig=second&%C3%89t%C3%A9=1&sp=r")))
        #expect(fields.raw("sv") == "2020-02-10")
        #expect(fields.raw("sig") == "a+b")
        #expect(fields.raw("SP") == "r")
        #expect(fields.raw("été") == "1")
        #expect(fields.raw("se") == nil)
    }

    @Test("a signature found valid once is known again only for the same string, signature and key")
    func verifiedSignaturesAreKeptExactly() throws {
        let key = Array("a key for this test only".utf8)
        let text = "rw\n\n2099-01-01\n/file/account/share/verified-once"
        let signature = SharedKey.sign(text, key: key)
        try SAS.verify(signature, stringToSign: text, key: key)
        #expect(SAS.verified.value(for: .init(text: text, signature: signature, key: key)) != nil)
        try SAS.verify(signature, stringToSign: text, key: key)
        #expect(throws: FileRESTError.self) { try SAS.verify(signature, stringToSign: text, key: Array("another key".utf8)) }
        #expect(throws: FileRESTError.self) { try SAS.verify(signature, stringToSign: text + "x", key: key) }
        #expect(throws: FileRESTError.self) { try SAS.verify(SharedKey.sign(text + "x", key: key), stringToSign: text, key: key) }
    }

    @Test("a service SAS checked once is known again only for the same parameters, resource and key")
    func checkedSASAreKeptExactly() throws {
        let key = try #require(FileRESTConfiguration()).accountKey
        func request(_ pathAndQuery: String) throws -> FileRequest {
            try FileRequest.parse(FrontRequest(head: HTTPRequest(method: .get, scheme: "http", authority: "h", path: pathAndQuery,
                                                                 headerFields: [:])), account: "devstoreaccount1")
        }
        let file = try request("/devstoreaccount1/docs/dir/a.txt?" + SASVectors.fileRead)
        let checked = try ServiceSAS.checked(file.sasFields, request: file, accountKey: key, now: Date())
        #expect(checked.resource == "f" && checked.policy.permissions == "r" && checked.identifier == nil)
        #expect(ServiceSAS.checkedCache.value(for: .init(parameters: file.sasFields, account: "devstoreaccount1", share: "docs",
                                                         path: ["dir", "a.txt"], accountKey: key)) != nil)
        #expect(try ServiceSAS.checked(file.sasFields, request: file, accountKey: key, now: Date()).policy == checked.policy)
        // The same SAS for another file, under another key, or with a parameter changed: each
        // is checked afresh, and its signature does not match.
        let other = try request("/devstoreaccount1/docs/b.txt?" + SASVectors.fileRead)
        #expect(throws: FileRESTError.self) { try ServiceSAS.checked(other.sasFields, request: other, accountKey: key, now: Date()) }
        #expect(throws: FileRESTError.self) {
            try ServiceSAS.checked(file.sasFields, request: file, accountKey: Array("another key".utf8), now: Date())
        }
        let widened = try request("/devstoreaccount1/docs/dir/a.txt?" + SASVectors.fileRead.replacingOccurrences(of: "&sp=r&", with: "&sp=rw&"))
        #expect(throws: FileRESTError.self) { try ServiceSAS.checked(widened.sasFields, request: widened, accountKey: key, now: Date()) }
        #expect(ServiceSAS.checkedCache.value(for: .init(parameters: other.sasFields, account: "devstoreaccount1", share: "docs",
                                                         path: ["b.txt"], accountKey: key)) == nil)
    }

    /// A SAS served from the cache still has its time frame checked on every request.
    @Test func aKnownSASStillExpires() async throws {
        let h = try await Harness.make()
        try await h.seedDocs()
        let formatter = ISO8601DateFormatter()
        let expiry = Date().addingTimeInterval(2)
        let unsigned = "sp=r&se=\(formatter.string(from: expiry))&sv=2026-10-06&sr=f"
        let resource = "/file/devstoreaccount1/docs/dir/a.txt"
        let toSign = ServiceSAS.stringToSign(SASFields(try #require(RequestTarget("/x?" + unsigned))), resource: resource, modern: true)
        let signature = SharedKey.sign(toSign, key: h.config.accountKey)
        let sas = unsigned.replacingOccurrences(of: ":", with: "%3A") + "&sig="
            + (signature.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        #expect(try await h.send(.get, "docs/dir/a.txt?" + sas, sign: false).status == 200)
        #expect(try await h.send(.get, "docs/dir/a.txt?" + sas, sign: false).status == 200)
        try await Task.sleep(for: .seconds(max(0, expiry.timeIntervalSinceNow) + 1.1))
        let late = try await h.send(.get, "docs/dir/a.txt?" + sas, sign: false)
        #expect(late.status == 403 && late.errorCode == "AuthenticationFailed")
        // Without a start, the start is the current time, now after the expiry.
        #expect(late.authenticationDetail?.hasPrefix("Signed expiry time [") == true)
        try await h.finish()
    }

    @Test func stringToSignMatchesTheSDK() throws {
        let target = try #require(RequestTarget("/devstoreaccount1/docs/dir/a.txt?" + SASVectors.fileRead))
        let request = try FileRequest.parse(FrontRequest(head: HTTPRequest(method: .get, scheme: "http", authority: "h",
                                                                          path: "/devstoreaccount1/docs/dir/a.txt?" + SASVectors.fileRead, headerFields: [:])),
                                            account: "devstoreaccount1")
        let resource = ServiceSAS.canonicalResource(request, resource: "f")
        #expect(resource == "/file/devstoreaccount1/docs/dir/a.txt")
        #expect(ServiceSAS.stringToSign(SASFields(target), resource: resource, modern: true) == SASVectors.fileReadStringToSign)
    }

    /// The lines of a service SAS's string to sign in their order, empty where a parameter is
    /// absent, and a value's own line break kept whole.
    @Test func stringToSignKeepsEveryLine() throws {
        let target = try #require(RequestTarget("/a?sv=2026-10-06&sp=r&se=2027-01-01&rsct=text%2Fplain%0D"))
        let text = ServiceSAS.stringToSign(SASFields(target), resource: "/file/a/s", modern: true)
        #expect(text == "r\n\n2027-01-01\n/file/a/s\n\n\n\n2026-10-06\n\n\n\n\ntext/plain\r")
        let old = ServiceSAS.stringToSign(SASFields(target), resource: "/file/a/s", modern: false)
        #expect(old == "r\n\n2027-01-01\n/file/a/s\n\n2026-10-06\n\n\n\n\ntext/plain\r")
    }

    /// Permission letters of a service SAS: each once, in Azure's order (`c` and `w` either way
    /// round), `l` only for a share.
    @Test func permissionLetters() {
        for valid in ["", "r", "rcwd", "rwcd", "rd", "cw", "wc"] {
            #expect(ServiceSAS.validPermissions(valid, resource: "f"), "\(valid)")
        }
        #expect(ServiceSAS.validPermissions("rcwdl", resource: "s"))
        for invalid in ["rr", "dr", "wr", "rl", "x", "R", "rcwdl", "r w", "ŕ"] {
            #expect(!ServiceSAS.validPermissions(invalid, resource: "f"), "\(invalid)")
        }
        #expect(!ServiceSAS.validPermissions("lr", resource: "s"))
        #expect(!ServiceSAS.validPermissions("cc", resource: "s"))
    }

    @Test func shareSASCoversTheShare() async throws {
        let h = try await Harness.make()
        try await h.seedDocs()
        for (method, path, headers) in [(HTTPRequest.Method.get, "docs?restype=directory&comp=list&", [String: String]()),
                                        (.get, "docs/dir?restype=directory&comp=list&", [:]),
                                        (.put, "docs/dir2?restype=directory&", [:]),
                                        (.put, "docs/dir/c.txt?", ["x-ms-type": "file", "x-ms-content-length": "1"]),
                                        (.get, "docs/dir/a.txt?", [:]), (.delete, "docs/b.txt?", [:]),
                                        (.put, "docs?restype=share&comp=filepermission&", [:])] {
            let reply = try await h.send(method, path + SASVectors.shareAll, headers: headers, sign: false)
            #expect(reply.passedAuthorization, "\(method) \(path): \(reply.errorCode ?? "")")
        }
        // Share-level operations need an account SAS.
        for (method, path) in [(HTTPRequest.Method.get, "docs?restype=share&"), (.put, "docs?restype=share&comp=metadata&"),
                               (.delete, "docs?restype=share&"), (.get, "docs?restype=share&comp=stats&")] {
            let reply = try await h.send(method, path + SASVectors.shareAll, sign: false)
            #expect(reply.errorCode == "AuthorizationFailure", "\(method) \(path)")
        }
        // Another share: the signature covers the share's name.
        _ = try await h.store.createShare("other")
        let elsewhere = try await h.send(.get, "other?restype=directory&comp=list&" + SASVectors.shareAll, sign: false)
        #expect(elsewhere.errorCode == "AuthenticationFailed")
        #expect(elsewhere.authenticationDetail?.contains("\n/file/devstoreaccount1/other\n") == true)
        #expect(try await h.send(.get, "docs?restype=directory&comp=list&" + SASVectors.legacyShare, sign: false).passedAuthorization)
        try await h.finish()
    }

    @Test func shareSASPermissions() async throws {
        let h = try await Harness.make()
        try await h.seedDocs()
        let create = try await h.send(.put, "docs/c.txt?" + SASVectors.shareRead, headers: ["x-ms-type": "file", "x-ms-content-length": "0"], sign: false)
        #expect(create.status == 403)
        #expect(create.errorCode == "AuthorizationPermissionMismatch")
        #expect(try await h.send(.head, "docs/b.txt?" + SASVectors.shareRead, sign: false).passedAuthorization)
        #expect(try await h.send(.get, "docs?restype=directory&comp=list&" + SASVectors.shareRead, sign: false).errorCode == "AuthorizationPermissionMismatch")
        #expect(try await h.send(.delete, "docs/b.txt?" + SASVectors.shareRead, sign: false).errorCode == "AuthorizationPermissionMismatch")

        #expect(try await h.send(.put, "docs/c.txt?" + SASVectors.shareCreate, headers: ["x-ms-type": "file", "x-ms-content-length": "0"], sign: false).passedAuthorization)
        #expect(try await h.send(.put, "docs/b.txt?" + SASVectors.shareCreate, headers: ["x-ms-type": "file", "x-ms-content-length": "0"], sign: false).errorCode == "AuthorizationPermissionMismatch")
        #expect(try await h.send(.put, "docs/newdir?restype=directory&" + SASVectors.shareCreate, sign: false).passedAuthorization)
        try await h.finish()
    }

    @Test func fileSASCoversOneFile() async throws {
        let h = try await Harness.make()
        try await h.seedDocs()
        #expect(try await h.send(.head, "docs/dir/a.txt?" + SASVectors.fileRead, sign: false).passedAuthorization)
        #expect(try await h.send(.get, "docs/dir/a.txt?" + SASVectors.fileRead, sign: false).passedAuthorization)
        let delete = try await h.send(.delete, "docs/dir/a.txt?" + SASVectors.fileRead, sign: false)
        #expect(delete.errorCode == "AuthorizationPermissionMismatch")
        let other = try await h.send(.get, "docs/b.txt?" + SASVectors.fileRead, sign: false)
        #expect(other.errorCode == "AuthenticationFailed")
        #expect(other.authenticationDetail?.hasPrefix("Signature did not match. String to sign used was r\n") == true)
        // The same path addressed as a directory: a file SAS does not cover directories.
        let asDirectory = try await h.send(.get, "docs/dir/a.txt?restype=directory&" + SASVectors.fileRead, sign: false)
        #expect(asDirectory.errorCode == "AuthorizationResourceTypeMismatch")
        #expect(try await h.send(.put, "docs/b.txt?comp=range&" + SASVectors.fileReadWrite,
                                 headers: ["x-ms-range": "bytes=0-0", "x-ms-write": "update"], body: [1], sign: false).passedAuthorization)
        #expect(try await h.send(.delete, "docs/b.txt?" + SASVectors.fileReadWrite, sign: false).errorCode == "AuthorizationPermissionMismatch")
        try await h.finish()
    }

    @Test func responseOverrides() throws {
        func overrides(_ query: String, authorization: String? = nil) throws -> HTTPFields {
            var fields = HTTPFields()
            if let authorization { fields.set("Authorization", authorization) }
            let head = HTTPRequest(method: .get, scheme: "http", authority: "h", path: "/devstoreaccount1/docs/dir/a.txt?" + query, headerFields: fields)
            return SAS.responseOverrides(try FileRequest.parse(FrontRequest(head: head), account: "devstoreaccount1"))
        }
        let given = try overrides(SASVectors.fileRead)
        #expect(given[HTTPField.Name("Cache-Control")!] == "no-cache")
        #expect(given[HTTPField.Name("Content-Disposition")!] == "attachment; filename=a.txt")
        #expect(given[HTTPField.Name("Content-Encoding")!] == "identity")
        #expect(given[HTTPField.Name("Content-Language")!] == "fr")
        #expect(given[HTTPField.Name("Content-Type")!] == "text/plain")
        #expect(try overrides(SASVectors.shareAll).isEmpty)
        #expect(try overrides("rsct=x&sig=y&ss=f&srt=o").isEmpty)  // an account SAS does not sign them
        #expect(try overrides(SASVectors.fileRead, authorization: "SharedKey a:b").isEmpty)
    }

    @Test func storedAccessPolicies() async throws {
        let h = try await Harness.make()
        try await h.seedDocs()
        let missing = try await h.send(.get, "docs?restype=directory&comp=list&" + SASVectors.sharePolicy, sign: false)
        #expect(missing.errorCode == "AuthenticationFailed")
        #expect(missing.authenticationDetail == "SAS identifier cannot be found for specified signed identifier")

        let readers = AccessPolicy(id: "readers", start: fileTime("2020-01-01T00:00:00Z"), expiry: fileTime("2099-01-01T00:00:00Z"), permissions: "rl")
        try await h.store.setShareAccessPolicies("docs", [readers])
        #expect(try await h.send(.get, "docs?restype=directory&comp=list&" + SASVectors.sharePolicy, sign: false).passedAuthorization)
        #expect(try await h.send(.head, "docs/b.txt?" + SASVectors.sharePolicy, sign: false).passedAuthorization)
        let write = try await h.send(.put, "docs/dir2?restype=directory&" + SASVectors.sharePolicy, sign: false)
        #expect(write.errorCode == "AuthorizationPermissionMismatch")
        let both = try await h.send(.get, "docs?restype=directory&comp=list&" + SASVectors.sharePolicyWithPermission, sign: false)
        #expect(both.authenticationDetail == "Access policy fields can be associated with signature or SAS identifier but not both")

        // Revoked by moving the expiry into the past.
        try await h.store.setShareAccessPolicies("docs", [AccessPolicy(id: "readers", start: fileTime("2020-01-01T00:00:00Z"),
                                                                      expiry: fileTime("2021-01-01T00:00:00Z"), permissions: "rl")])
        let expired = try await h.send(.get, "docs?restype=directory&comp=list&" + SASVectors.sharePolicy, sign: false)
        #expect(expired.authenticationDetail?.hasPrefix("Signature not valid in the specified time frame: Start [Wed, 01 Jan 2020 00:00:00 GMT] - Expiry [Fri, 01 Jan 2021 00:00:00 GMT]") == true)

        // The policy gives the expiry, the signature the permissions.
        try await h.store.setShareAccessPolicies("docs", [AccessPolicy(id: "readers", expiry: fileTime("2099-01-01T00:00:00Z"))])
        #expect(try await h.send(.head, "docs/b.txt?" + SASVectors.sharePolicyWithPermission, sign: false).passedAuthorization)
        #expect(try await h.send(.get, "docs/b.txt?" + SASVectors.sharePolicy, sign: false).authenticationDetail
                == "Signed permission must be specified in signature or SAS identifier")
        try await h.store.setShareAccessPolicies("docs", [AccessPolicy(id: "readers", permissions: "r")])
        #expect(try await h.send(.get, "docs/b.txt?" + SASVectors.sharePolicy, sign: false).authenticationDetail
                == "Signed expiry must be specified in signature or SAS identifier")
        try await h.finish()
    }

    @Test func malformedServiceFields() async throws {
        let h = try await Harness.make()
        try await h.seedDocs()
        let sig = "sig=" + String(repeating: "A", count: 43) + "%3D"
        let cases: [(String, String)] = [
            ("sv=2026-10-06&sr=s&sp=wr&se=2099-01-01&" + sig, "Signature fields not well formed."),
            ("sv=2026-10-06&sr=f&sp=rl&se=2099-01-01&" + sig, "Signature fields not well formed."),
            ("sv=2026-10-06&sr=b&sp=r&se=2099-01-01&" + sig, "Signature fields not well formed."),
            ("sv=2026-10-06&sr=s&se=2099-01-01&" + sig, "sp is mandatory. Cannot be empty"),
            ("sv=2026-10-06&sr=s&sp=r&" + sig, "se is mandatory. Cannot be empty"),
            ("sv=2026-10-06&sr=s&sp=r&se=2099-01-01&si=&" + sig, "si is optional but cannot be empty"),
            ("sr=s&sp=r&se=2099-01-01&" + sig, "sv is mandatory. Cannot be empty"),
            // Blank is what Foundation's .whitespaces trims: spaces (any Zs) and tabs.
            ("sv=2026-10-06&sr=s&sp=%20%09&se=2099-01-01&" + sig, "sp is mandatory. Cannot be empty"),
            ("sv=2026-10-06&sr=s&sp=r&se=%C2%A0%E2%80%83&" + sig, "se is mandatory. Cannot be empty"),
            ("sv=2026-10-06&sr=s&sp=r&se=2099-01-01&si=%20&" + sig, "si is optional but cannot be empty"),
        ]
        for (token, detail) in cases {
            let reply = try await h.send(.get, "docs/b.txt?" + token, sign: false)
            #expect(reply.errorCode == "AuthenticationFailed", "\(token)")
            #expect(reply.authenticationDetail == detail, "\(token)")
        }
        try await h.finish()
    }
}

@Suite struct SASRequirementTests {
    @Test func everyOperationHasARequirement() {
        for operation in Operation.allCases {
            let requirement = SASRequirement.of(operation)
            if operation == .getShareACL || operation == .setShareACL {
                #expect(requirement == .ownerOnly)
            } else {
                #expect(requirement.resourceType != nil, "\(operation)")
                #expect(!requirement.permissions.isEmpty, "\(operation)")
            }
        }
        #expect(SASRequirement.of(.createFile, targetExists: true).permissions == "w")
        #expect(SASRequirement.of(.createFile).permissions == "cw")
        #expect(SASRequirement.of(.leaseFile, leaseAction: "break").permissions == "wd")
        #expect(SASRequirement.of(.listDirectory).resourceType == .container)
    }

    @Test func timesAndAddresses() {
        #expect(SASFields.parseTime("2020-01-02") == FileTime(iso8601: "2020-01-02T00:00:00Z"))
        #expect(SASFields.parseTime("2020-01-02T03:04Z") == FileTime(iso8601: "2020-01-02T03:04:00Z"))
        #expect(SASFields.parseTime("2020-01-02T03:04:05.1234567Z") != nil)
        #expect(SASFields.parseTime("2020-01-02T03:04:05") == nil)
        #expect(IPv4Range("10.0.0.1")?.contains("10.0.0.1") == true)
        #expect(IPv4Range("10.0.0.9-10.0.0.1") == nil)
        #expect(IPv4Range("10.0.0.256") == nil)
        #expect(IPv4Range("10.0.0.+1") == nil)
        #expect(IPv4Range("10.0.0.1-10.0.1.0")?.contains("10.0.0.200") == true)
        #expect(IPv4Range("10.0.0.1")?.contains("::1") == false)
    }
}
