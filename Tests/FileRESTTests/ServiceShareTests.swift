import Foundation
import Testing
@testable import FileREST
@testable import ShareCore

/// List Shares, file service properties and CORS, and the share-level operations.
@Suite struct FileRESTServiceShareTests {
    static let declaration = "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?>"

    // MARK: List Shares

    @Test func listSharesPagesWithOpaqueMarkers() async throws {
        let h = try await Harness.make()
        for name in ["alpha", "beta", "gamma"] {
            #expect(try await h.send(.put, "\(name)?restype=share", headers: ["x-ms-meta-owner": name]).status == 201)
        }
        let first = try await h.send(.get, "?comp=list&maxresults=2&include=metadata")
        #expect(first.status == 200)
        #expect(first.header("Content-Type") == "application/xml")
        #expect(first.text.hasPrefix(Self.declaration + "<EnumerationResults ServiceEndpoint=\"http://127.0.0.1:10004/devstoreaccount1/\">"))
        #expect(first.text.contains("<MaxResults>2</MaxResults><Shares><Share><Name>alpha</Name><Properties><Last-Modified>"))
        let xml = try #require(first.xml)
        let shares = try #require(xml.child("Shares")).children("Share")
        #expect(shares.map { $0.value("Name") } == ["alpha", "beta"])
        #expect(shares[0].child("Metadata")?.value("owner") == "alpha")
        let properties = try #require(shares[0].child("Properties"))
        #expect(properties.children.map(\.name) == ["Last-Modified", "Etag", "LeaseStatus", "LeaseState", "Quota",
                                                   "EnabledProtocols", "AccessTier", "AccessTierChangeTime"])
        #expect(properties.value("Etag")?.hasPrefix("\"0x") == true)
        #expect(properties.value("Quota") == "5120")
        #expect(properties.value("LeaseStatus") == "unlocked" && properties.value("LeaseState") == "available")
        #expect(properties.value("AccessTier") == "TransactionOptimized")
        let marker = try #require(xml.value("NextMarker"))
        #expect(!marker.isEmpty)

        let second = try await h.send(.get, "?comp=list&maxresults=2&marker=\(marker)")
        let page2 = try #require(second.xml)
        #expect(page2.value("Marker") == marker)
        #expect(page2.child("Shares")?.children("Share").map { $0.value("Name") } == ["gamma"])
        #expect(page2.child("Shares")?.children("Share").first?.child("Metadata") == nil)
        #expect(second.text.hasSuffix("</Shares><NextMarker /></EnumerationResults>"))

        let prefixed = try await h.send(.get, "?comp=list&prefix=be")
        #expect(prefixed.xml?.value("Prefix") == "be")
        #expect(prefixed.xml?.child("Shares")?.children("Share").map { $0.value("Name") } == ["beta"])
        try await h.finish()
    }

    @Test func listSharesIncludesSnapshotsBeforeTheirShare() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share", headers: ["x-ms-meta-a": "1"])
        let snap = try await h.send(.put, "docs?restype=share&comp=snapshot", headers: ["x-ms-meta-b": "2"])
        let snapshot = try #require(snap.header("x-ms-snapshot"))
        let listed = try await h.send(.get, "?comp=list&include=snapshots,metadata,deleted")
        #expect(listed.status == 200)
        let shares = try #require(listed.xml?.child("Shares")).children("Share")
        #expect(shares.count == 2)
        #expect(shares[0].value("Name") == "docs" && shares[0].value("Snapshot") == snapshot)
        #expect(shares[0].child("Metadata")?.value("b") == "2")
        #expect(shares[1].child("Snapshot") == nil && shares[1].child("Metadata")?.value("a") == "1")
        let plain = try await h.send(.get, "?comp=list")
        #expect(plain.xml?.child("Shares")?.children("Share").count == 1)
        try await h.finish()
    }

    @Test func listSharesCountsSnapshotsAgainstMaxResults() async throws {
        let h = try await Harness.make()
        for name in ["aaa", "bbb", "ccc"] { _ = try await h.send(.put, "\(name)?restype=share") }
        var expected: [String] = []
        for (name, count) in [("aaa", 3), ("bbb", 1), ("ccc", 0)] {
            for _ in 0..<count { expected.append(name + "@" + (try await h.store.createSnapshot(of: name)).name) }
            expected.append(name)
        }
        for size in 1...4 {
            var marker: String?
            var listed: [String] = []
            var pages = 0
            repeat {
                let query = "?comp=list&include=snapshots&maxresults=\(size)" + (marker.map { "&marker=\($0)" } ?? "")
                let reply = try await h.send(.get, query)
                #expect(reply.status == 200, "\(query): \(reply.text)")
                let shares = try #require(reply.xml?.child("Shares")).children("Share")
                #expect(shares.count <= size)
                listed += shares.map { entry in (entry.value("Name") ?? "") + (entry.value("Snapshot").map { "@" + $0 } ?? "") }
                marker = reply.xml?.value("NextMarker").flatMap { $0.isEmpty ? nil : $0 }
                pages += 1
            } while marker != nil && pages < 20
            #expect(listed == expected, "page size \(size)")
        }
        let bad = try await h.send(.get, "?comp=list&marker=~x")
        #expect(bad.status == 400 && bad.errorCode == "InvalidQueryParameterValue")
        try await h.finish()
    }

    @Test func listSharesRefusesBadParameters() async throws {
        let h = try await Harness.make()
        let zero = try await h.send(.get, "?comp=list&maxresults=0")
        #expect(zero.status == 400 && zero.errorCode == "OutOfRangeQueryParameterValue")
        #expect(zero.xml?.value("QueryParameterName") == "maxresults")
        let text = try await h.send(.get, "?comp=list&maxresults=many")
        #expect(text.status == 400 && text.errorCode == "InvalidQueryParameterValue")
        let include = try await h.send(.get, "?comp=list&include=bogus")
        #expect(include.status == 400 && include.errorCode == "InvalidQueryParameterValue")
        let marker = try await h.send(.get, "?comp=list&marker=%21%21")
        #expect(marker.status == 400 && marker.errorCode == "InvalidQueryParameterValue")
        let empty = try await h.send(.get, "?comp=list&maxresults=9000")
        #expect(empty.status == 200)
        #expect(empty.text.contains("<MaxResults>9000</MaxResults><Shares /><NextMarker /></EnumerationResults>"))
        try await h.finish()
    }

    // MARK: Service properties and CORS

    static let properties = """
        <?xml version="1.0" encoding="utf-8"?><StorageServiceProperties>\
        <HourMetrics><Version>1.0</Version><Enabled>true</Enabled><IncludeAPIs>true</IncludeAPIs>\
        <RetentionPolicy><Enabled>true</Enabled><Days>5</Days></RetentionPolicy></HourMetrics>\
        <Cors><CorsRule><AllowedOrigins>http://www.example.com</AllowedOrigins><AllowedMethods>GET,PUT</AllowedMethods>\
        <AllowedHeaders>x-ms-meta-*,content-type</AllowedHeaders><ExposedHeaders>x-ms-meta-*</ExposedHeaders>\
        <MaxAgeInSeconds>500</MaxAgeInSeconds></CorsRule>\
        <CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET</AllowedMethods><AllowedHeaders></AllowedHeaders>\
        <ExposedHeaders>*</ExposedHeaders><MaxAgeInSeconds>60</MaxAgeInSeconds></CorsRule></Cors>\
        <ShareDeleteRetentionPolicy><Enabled>true</Enabled><Days>7</Days></ShareDeleteRetentionPolicy>\
        <ProtocolSettings><SMB><Multichannel><Enabled>true</Enabled></Multichannel></SMB></ProtocolSettings>\
        </StorageServiceProperties>
        """

    @Test func servicePropertiesDefaultThenRoundTrip() async throws {
        let h = try await Harness.make()
        let initial = try await h.send(.get, "?restype=service&comp=properties")
        #expect(initial.status == 200)
        #expect(initial.text == Self.declaration + "<StorageServiceProperties>"
            + "<HourMetrics><Version>1.0</Version><Enabled>false</Enabled><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></HourMetrics>"
            + "<MinuteMetrics><Version>1.0</Version><Enabled>false</Enabled><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></MinuteMetrics>"
            + "<Cors /></StorageServiceProperties>")
        let set = try await h.send(.put, "?restype=service&comp=properties", body: Array(Self.properties.utf8))
        #expect(set.status == 202)
        let got = try await h.send(.get, "?restype=service&comp=properties")
        #expect(got.text.contains("<HourMetrics><Version>1.0</Version><Enabled>true</Enabled><IncludeAPIs>true</IncludeAPIs><RetentionPolicy><Enabled>true</Enabled><Days>5</Days></RetentionPolicy></HourMetrics>"))
        #expect(got.text.contains("<Cors><CorsRule><AllowedMethods>GET,PUT</AllowedMethods><AllowedOrigins>http://www.example.com</AllowedOrigins>"))
        #expect(got.text.hasSuffix("</Cors><ShareDeleteRetentionPolicy><Enabled>true</Enabled><Days>7</Days></ShareDeleteRetentionPolicy>"
            + "<ProtocolSettings><SMB><Multichannel><Enabled>true</Enabled></Multichannel></SMB></ProtocolSettings></StorageServiceProperties>"))
        // Elements left out keep their values; an empty Cors removes the rules.
        let minute = "<StorageServiceProperties><MinuteMetrics><Version>1.0</Version><Enabled>false</Enabled><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></MinuteMetrics></StorageServiceProperties>"
        #expect(try await h.send(.put, "?restype=service&comp=properties", body: Array(minute.utf8)).status == 202)
        #expect(try await h.send(.get, "?restype=service&comp=properties").xml?.child("Cors")?.children.count == 2)
        let clear = "<StorageServiceProperties><Cors/></StorageServiceProperties>"
        #expect(try await h.send(.put, "?restype=service&comp=properties", body: Array(clear.utf8)).status == 202)
        #expect(try await h.send(.get, "?restype=service&comp=properties").xml?.child("Cors")?.children.isEmpty == true)
        try await h.finish()
    }

    @Test func badServicePropertiesChangeNothing() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "?restype=service&comp=properties", body: Array(Self.properties.utf8))
        let before = try await h.send(.get, "?restype=service&comp=properties").text
        let rule = "<CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET</AllowedMethods><MaxAgeInSeconds>1</MaxAgeInSeconds></CorsRule>"
        let cases: [(String, String)] = [
            ("<StorageServiceProperties><Cors>" + String(repeating: rule, count: 6) + "</Cors></StorageServiceProperties>", "InvalidXmlDocument"),
            ("<StorageServiceProperties><Cors>", "InvalidXmlDocument"),
            ("<Other/>", "InvalidXmlDocument"),
            ("<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>FETCH</AllowedMethods><MaxAgeInSeconds>1</MaxAgeInSeconds></CorsRule></Cors></StorageServiceProperties>", "InvalidXmlNodeValue"),
            ("<StorageServiceProperties><HourMetrics><Version>1.0</Version><Enabled>true</Enabled><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></HourMetrics></StorageServiceProperties>", "InvalidXmlDocument"),
            ("<StorageServiceProperties><HourMetrics><Version>1.0</Version><Enabled>false</Enabled><RetentionPolicy><Enabled>true</Enabled><Days>400</Days></RetentionPolicy></HourMetrics></StorageServiceProperties>", "InvalidXmlNodeValue"),
            ("", "InvalidXmlDocument"),
        ]
        for (body, code) in cases {
            let reply = try await h.send(.put, "?restype=service&comp=properties", body: Array(body.utf8))
            #expect(reply.status == 400, "\(body)")
            #expect(reply.errorCode == code, "\(body)")
        }
        #expect(try await h.send(.get, "?restype=service&comp=properties").text == before)
        try await h.finish()
    }

    @Test func preflightIsAnsweredFromTheRules() async throws {
        let h = try await Harness.make()
        let none = try await h.send(.options, "docs/file.txt", headers: ["Origin": "http://www.example.com", "Access-Control-Request-Method": "GET"], sign: false)
        #expect(none.status == 403 && none.errorCode == "CorsPreflightFailure")
        _ = try await h.send(.put, "?restype=service&comp=properties", body: Array(Self.properties.utf8))
        let ok = try await h.send(.options, "docs/file.txt",
                                  headers: ["Origin": "http://www.example.com", "Access-Control-Request-Method": "PUT",
                                            "Access-Control-Request-Headers": "x-ms-meta-color,Content-Type"], sign: false)
        #expect(ok.status == 200)
        #expect(ok.header("Access-Control-Allow-Origin") == "http://www.example.com")
        #expect(ok.header("Access-Control-Allow-Methods") == "PUT")
        #expect(ok.header("Access-Control-Allow-Headers") == "x-ms-meta-color,Content-Type")
        #expect(ok.header("Access-Control-Max-Age") == "500")
        #expect(ok.header("Access-Control-Allow-Credentials") == "true")
        #expect(ok.header("x-ms-request-id") != nil)
        let wildcard = try await h.send(.options, "docs", headers: ["Origin": "http://other.example", "Access-Control-Request-Method": "GET"], sign: false)
        #expect(wildcard.status == 200 && wildcard.header("Access-Control-Max-Age") == "60")
        let badHeader = try await h.send(.options, "docs", headers: ["Origin": "http://other.example", "Access-Control-Request-Method": "GET",
                                                                     "Access-Control-Request-Headers": "x-custom"], sign: false)
        #expect(badHeader.status == 403 && badHeader.errorCode == "CorsPreflightFailure")
        let badMethod = try await h.send(.options, "docs", headers: ["Origin": "http://other.example", "Access-Control-Request-Method": "DELETE"], sign: false)
        #expect(badMethod.status == 403)
        let noOrigin = try await h.send(.options, "docs", headers: ["Access-Control-Request-Method": "GET"], sign: false)
        #expect(noOrigin.status == 400)
        let noMethod = try await h.send(.options, "docs", headers: ["Origin": "http://other.example"], sign: false)
        #expect(noMethod.status == 400)
        try await h.finish()
    }

    @Test func corsHeadersOnCrossOriginResponses() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "?restype=service&comp=properties", body: Array(Self.properties.utf8))
        _ = try await h.send(.put, "docs?restype=share", headers: ["x-ms-meta-color": "blue"])
        let named = try await h.send(.get, "docs?restype=share", headers: ["Origin": "http://www.example.com"])
        #expect(named.header("Access-Control-Allow-Origin") == "http://www.example.com")
        #expect(named.header("Access-Control-Allow-Credentials") == "true")
        #expect(named.header("Vary") == "Origin")
        #expect(named.header("Access-Control-Expose-Headers") == "x-ms-meta-color")
        let any = try await h.send(.get, "docs?restype=share", headers: ["Origin": "http://elsewhere.example"])
        #expect(any.header("Access-Control-Allow-Origin") == "*")
        #expect(any.header("Access-Control-Allow-Credentials") == nil)
        let exposed = try #require(any.header("Access-Control-Expose-Headers")).split(separator: ",")
        #expect(exposed.contains("x-ms-request-id") && exposed.contains("x-ms-share-quota"))
        let missing = try await h.send(.get, "nothing?restype=share", headers: ["Origin": "http://elsewhere.example"])
        #expect(missing.status == 404 && missing.header("Access-Control-Allow-Origin") == "*")
        let denied = try await h.send(.delete, "nothing?restype=share", headers: ["Origin": "http://elsewhere.example"])
        #expect(denied.header("Access-Control-Allow-Origin") == nil && denied.header("Vary") == "Origin")
        let plain = try await h.send(.get, "docs?restype=share")
        #expect(plain.header("Access-Control-Allow-Origin") == nil)
        try await h.finish()
    }

    // MARK: Share properties, metadata, snapshots

    @Test func sharePropertiesAndChanges() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share", headers: ["x-ms-share-quota": "10", "x-ms-meta-owner": "me"])
        let props = try await h.send(.get, "docs?restype=share")
        #expect(props.status == 200)
        #expect(props.header("x-ms-share-quota") == "10")
        #expect(props.header("x-ms-meta-owner") == "me")
        #expect(props.header("x-ms-access-tier") == "TransactionOptimized")
        #expect(props.header("x-ms-access-tier-change-time")?.hasSuffix(" GMT") == true)
        #expect(props.header("x-ms-enabled-protocols") == "SMB")
        #expect(props.header("x-ms-root-squash") == nil)
        // NFS shares are refused, as on a standard account; SMB may be named.
        for protocols in ["NFS", "nfs", "SMB,NFS"] {
            let nfs = try await h.send(.put, "nfsshare?restype=share", headers: ["x-ms-enabled-protocols": protocols])
            #expect(nfs.status == 400 && nfs.errorCode == "InvalidHeaderValue", "\(protocols)")
        }
        #expect(try await h.send(.get, "nfsshare?restype=share").status == 404)
        #expect(try await h.send(.put, "smbshare?restype=share", headers: ["x-ms-enabled-protocols": "smb"]).status == 201)
        #expect(try await h.send(.get, "smbshare?restype=share").header("x-ms-enabled-protocols") == "SMB")
        #expect(props.header("x-ms-lease-status") == "unlocked" && props.header("x-ms-lease-state") == "available")
        #expect(props.header("x-ms-lease-duration") == nil)
        #expect(props.header("ETag")?.hasPrefix("\"0x") == true)
        let head = try await h.send(.head, "docs?restype=share")
        #expect(head.status == 200 && head.header("x-ms-share-quota") == "10" && head.body.isEmpty)

        let set = try await h.send(.put, "docs?restype=share&comp=properties", headers: ["x-ms-share-quota": "20", "x-ms-access-tier": "hot"])
        #expect(set.status == 200)
        #expect(set.header("ETag") != props.header("ETag"))
        let after = try await h.send(.get, "docs?restype=share")
        #expect(after.header("x-ms-share-quota") == "20" && after.header("x-ms-access-tier") == "Hot")
        for (name, value) in [("x-ms-share-quota", "0"), ("x-ms-share-quota", "102401"), ("x-ms-share-quota", "ten"),
                              ("x-ms-access-tier", "Glacier"), ("x-ms-root-squash", "Squashy")] {
            let bad = try await h.send(.put, "docs?restype=share&comp=properties", headers: [name: value])
            #expect(bad.status == 400 && bad.errorCode == "InvalidHeaderValue", "\(name): \(value)")
            #expect(bad.xml?.value("HeaderName") == name)
        }
        #expect(try await h.send(.get, "docs?restype=share").header("x-ms-share-quota") == "20")
        let missing = try await h.send(.get, "nothing?restype=share")
        #expect(missing.status == 404 && missing.errorCode == "ShareNotFound")
        let missingHead = try await h.send(.head, "nothing?restype=share")
        #expect(missingHead.status == 404 && missingHead.errorCode == "ShareNotFound" && missingHead.body.isEmpty)
        try await h.finish()
    }

    @Test func shareMetadataRoundTrip() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share", headers: ["x-ms-meta-old": "1"])
        let set = try await h.send(.put, "docs?restype=share&comp=metadata", headers: ["x-ms-meta-Color": "blue", "x-ms-meta-size": "L"])
        #expect(set.status == 200 && set.header("ETag") != nil && set.header("Last-Modified") != nil)
        let got = try await h.send(.get, "docs?restype=share&comp=metadata")
        #expect(got.status == 200)
        #expect(got.header("x-ms-meta-Color") == "blue" && got.header("x-ms-meta-size") == "L" && got.header("x-ms-meta-old") == nil)
        let bad = try await h.send(.put, "docs?restype=share&comp=metadata", headers: ["x-ms-meta-1bad": "x"])
        #expect(bad.status == 400 && bad.errorCode == "InvalidMetadata")
        let cleared = try await h.send(.put, "docs?restype=share&comp=metadata")
        #expect(cleared.status == 200)
        #expect(try await h.send(.get, "docs?restype=share&comp=metadata").header("x-ms-meta-Color") == nil)
        let missing = try await h.send(.put, "nothing?restype=share&comp=metadata", headers: ["x-ms-meta-a": "b"])
        #expect(missing.status == 404 && missing.errorCode == "ShareNotFound")
        try await h.finish()
    }

    @Test func snapshotsAreTakenReadAndDeleted() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share", headers: ["x-ms-meta-v": "1"])
        let plain = try await h.send(.put, "docs?restype=share&comp=snapshot")
        #expect(plain.status == 201)
        let first = try #require(plain.header("x-ms-snapshot"))
        #expect(FileTime(iso8601: first) != nil && first.count == 28)
        #expect(plain.header("ETag") != nil && plain.header("Last-Modified") != nil)
        let tagged = try await h.send(.put, "docs?restype=share&comp=snapshot", headers: ["x-ms-meta-label": "nightly"])
        let second = try #require(tagged.header("x-ms-snapshot"))
        _ = try await h.send(.put, "docs?restype=share&comp=metadata", headers: ["x-ms-meta-v": "2"])

        let atFirst = try await h.send(.get, "docs?restype=share&sharesnapshot=\(first)")
        #expect(atFirst.status == 200 && atFirst.header("x-ms-meta-v") == "1")
        let atSecond = try await h.send(.get, "docs?restype=share&comp=metadata&sharesnapshot=\(second)")
        #expect(atSecond.header("x-ms-meta-label") == "nightly" && atSecond.header("x-ms-meta-v") == nil)
        let badSnapshot = try await h.send(.get, "docs?restype=share&sharesnapshot=yesterday")
        #expect(badSnapshot.status == 400 && badSnapshot.errorCode == "InvalidQueryParameterValue")
        let unknown = try await h.send(.get, "docs?restype=share&sharesnapshot=2001-01-01T00:00:00.0000000Z")
        #expect(unknown.status == 404)

        let refused = try await h.send(.delete, "docs?restype=share")
        #expect(refused.status == 409 && refused.errorCode == "ShareHasSnapshots")
        let badMode = try await h.send(.delete, "docs?restype=share", headers: ["x-ms-delete-snapshots": "some"])
        #expect(badMode.status == 400 && badMode.errorCode == "InvalidHeaderValue")
        let one = try await h.send(.delete, "docs?restype=share&sharesnapshot=\(first)")
        #expect(one.status == 202)
        #expect(try await h.send(.get, "docs?restype=share&sharesnapshot=\(first)").status == 404)
        #expect(try await h.send(.get, "docs?restype=share").status == 200)
        let all = try await h.send(.delete, "docs?restype=share", headers: ["x-ms-delete-snapshots": "include"])
        #expect(all.status == 202)
        #expect(try await h.send(.get, "docs?restype=share").status == 404)
        let gone = try await h.send(.put, "docs?restype=share&comp=snapshot")
        #expect(gone.status == 404 && gone.errorCode == "ShareNotFound")
        try await h.finish()
    }

    @Test func snapshotCountIsLimited() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share")
        for _ in 0..<ShareStore.maxSnapshotsPerShare { try await h.store.createSnapshot(of: "docs") }
        let over = try await h.send(.put, "docs?restype=share&comp=snapshot")
        #expect(over.status == 409 && over.errorCode == "ShareSnapshotCountExceeded")
        #expect(try await h.send(.delete, "docs?restype=share", headers: ["x-ms-delete-snapshots": "include-leased"]).status == 202)
        try await h.finish()
    }

    // MARK: ACL, stats, permissions

    @Test func accessPoliciesRoundTrip() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share")
        let empty = try await h.send(.get, "docs?restype=share&comp=acl")
        #expect(empty.status == 200 && empty.text == Self.declaration + "<SignedIdentifiers />")
        let body = """
            <?xml version="1.0" encoding="utf-8"?><SignedIdentifiers><SignedIdentifier><Id>read</Id><AccessPolicy>\
            <Start>2026-01-01T00:00:00Z</Start><Expiry>2026-02-01T12:30:00.5Z</Expiry><Permission>rl</Permission>\
            </AccessPolicy></SignedIdentifier><SignedIdentifier><Id>bare</Id></SignedIdentifier></SignedIdentifiers>
            """
        let set = try await h.send(.put, "docs?restype=share&comp=acl", body: Array(body.utf8))
        #expect(set.status == 200 && set.header("ETag") != nil)
        let got = try await h.send(.get, "docs?restype=share&comp=acl")
        #expect(got.header("ETag") == set.header("ETag"))
        #expect(got.text == Self.declaration + "<SignedIdentifiers><SignedIdentifier><Id>read</Id><AccessPolicy>"
            + "<Start>2026-01-01T00:00:00.0000000Z</Start><Expiry>2026-02-01T12:30:00.5000000Z</Expiry><Permission>rl</Permission>"
            + "</AccessPolicy></SignedIdentifier><SignedIdentifier><Id>bare</Id><AccessPolicy /></SignedIdentifier></SignedIdentifiers>")
        let identifier = "<SignedIdentifier><Id>ID</Id></SignedIdentifier>"
        let six = "<SignedIdentifiers>" + (0..<6).map { identifier.replacingOccurrences(of: "ID", with: "p\($0)") }.joined() + "</SignedIdentifiers>"
        let cases: [(String, String)] = [
            (six, "InvalidXmlDocument"),
            ("<SignedIdentifiers><SignedIdentifier>", "InvalidXmlDocument"),
            ("<SignedIdentifiers><SignedIdentifier><Id>a</Id><AccessPolicy><Start>soon</Start></AccessPolicy></SignedIdentifier></SignedIdentifiers>", "InvalidXmlNodeValue"),
            ("<SignedIdentifiers><SignedIdentifier><Id>" + String(repeating: "x", count: 65) + "</Id></SignedIdentifier></SignedIdentifiers>", "InvalidXmlNodeValue"),
            ("<SignedIdentifiers><SignedIdentifier></SignedIdentifier></SignedIdentifiers>", "InvalidXmlDocument"),
        ]
        for (bad, code) in cases {
            let reply = try await h.send(.put, "docs?restype=share&comp=acl", body: Array(bad.utf8))
            #expect(reply.status == 400 && reply.errorCode == code, "\(bad)")
        }
        #expect(try await h.send(.get, "docs?restype=share&comp=acl").text == got.text)
        #expect(try await h.send(.put, "docs?restype=share&comp=acl").status == 200)
        #expect(try await h.send(.get, "docs?restype=share&comp=acl").text == Self.declaration + "<SignedIdentifiers />")
        try await h.finish()
    }

    @Test func shareStatsCountStoredBytes() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share")
        let share = h.store.share("docs")
        try await share.createFile("a.bin", length: 10_000)
        try await share.write("a.bin", at: 0, Array(repeating: 7, count: 3000))
        let stats = try await h.send(.get, "docs?restype=share&comp=stats")
        #expect(stats.status == 200)
        #expect(stats.text == Self.declaration + "<ShareStats><ShareUsageBytes>3000</ShareUsageBytes></ShareStats>")
        #expect(stats.header("ETag") != nil)
        #expect(try await h.send(.get, "nothing?restype=share&comp=stats").errorCode == "ShareNotFound")
        try await h.finish()
    }

    @Test func permissionsAreCreatedAndRead() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share")
        let sddl = "O:S-1-5-21-1-2-3-500G:S-1-5-21-1-2-3-513D:P(A;;FA;;;SY)(A;OICI;0x1301bf;;;AU)"
        let created = try await h.send(.put, "docs?restype=share&comp=filepermission",
                                       headers: ["Content-Type": "application/json"], body: Array("{\"permission\": \"\(sddl)\"}".utf8))
        #expect(created.status == 201)
        let key = try #require(created.header("x-ms-file-permission-key"))
        let again = try await h.send(.put, "docs?restype=share&comp=filepermission",
                                     body: Array("{\"permission\": \"\(sddl)\", \"format\": \"sddl\"}".utf8))
        #expect(again.header("x-ms-file-permission-key") == key)
        let got = try await h.send(.get, "docs?restype=share&comp=filepermission", headers: ["x-ms-file-permission-key": key])
        #expect(got.status == 200 && got.header("Content-Type")?.hasPrefix("application/json") == true)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(got.body)) as? [String: String])
        #expect(json == ["permission": sddl])
        let formatted = try await h.send(.get, "docs?restype=share&comp=filepermission",
                                         headers: ["x-ms-file-permission-key": key, "x-ms-file-permission-format": "sddl"])
        #expect(try JSONSerialization.jsonObject(with: Data(formatted.body)) as? [String: String] == ["permission": sddl, "format": "Sddl"])
        let fallback = try await h.send(.get, "docs?restype=share&comp=filepermission",
                                        headers: ["x-ms-file-permission-key": FileRESTService.defaultPermissionKey])
        #expect(try JSONSerialization.jsonObject(with: Data(fallback.body)) as? [String: String] == ["permission": FileRESTService.defaultPermission])

        let unknown = try await h.send(.get, "docs?restype=share&comp=filepermission", headers: ["x-ms-file-permission-key": "1*2"])
        #expect(unknown.status == 400 && unknown.errorCode == "FileInvalidPermissionKey")
        let noKey = try await h.send(.get, "docs?restype=share&comp=filepermission")
        #expect(noKey.status == 400 && noKey.errorCode == "MissingRequiredHeader")
        for bad in ["{\"permission\": \"not sddl\"}", "{\"permission\": \"O:\"}", "{\"permission\": \"D:(A;;FA;;;SY\"}"] {
            let reply = try await h.send(.put, "docs?restype=share&comp=filepermission", body: Array(bad.utf8))
            #expect(reply.status == 400 && reply.errorCode == "FileInvalidPermission", "\(bad)")
        }
        for bad in ["permission", "{}", "{\"permission\": 5}"] {
            let reply = try await h.send(.put, "docs?restype=share&comp=filepermission", body: Array(bad.utf8))
            #expect(reply.status == 400 && reply.errorCode == "InvalidInput", "\(bad)")
        }
        let otherShare = try await h.send(.get, "nothing?restype=share&comp=filepermission", headers: ["x-ms-file-permission-key": key])
        #expect(otherShare.status == 404 && otherShare.errorCode == "ShareNotFound")
        try await h.finish()
    }

    @Test func sddlShapes() {
        #expect(Permissions.isValidSDDL(FileRESTService.defaultPermission))
        #expect(Permissions.isValidSDDL("O:BAG:SYD:PAI(A;OICI;FA;;;BA)S:NO_ACCESS_CONTROL"))
        #expect(Permissions.isValidSDDL("D:(A;;FA;;;WD)"))
        #expect(!Permissions.isValidSDDL(""))
        #expect(!Permissions.isValidSDDL("O:SYO:SY"))
        #expect(!Permissions.isValidSDDL("X:SY"))
        #expect(!Permissions.isValidSDDL("D:((A;;FA;;;WD))"))
    }
}
