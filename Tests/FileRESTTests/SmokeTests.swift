import HTTPTypes
import Testing
@testable import FileREST

@Suite struct FileRESTSmokeTests {
    @Test func createShareThenConflict() async throws {
        let h = try await Harness.make()
        let created = try await h.send(.put, "docs?restype=share", headers: ["x-ms-share-quota": "10", "x-ms-meta-owner": "me"])
        #expect(created.status == 201)
        #expect(created.header("ETag")?.hasPrefix("\"0x") == true)
        #expect(created.header("x-ms-request-id") != nil)
        let again = try await h.send(.put, "docs?restype=share")
        #expect(again.status == 409)
        #expect(again.errorCode == "ShareAlreadyExists")
        #expect(again.xml?.value("Code") == "ShareAlreadyExists")
        try await h.finish()
    }

    @Test func unsignedAndBadlySignedRequestsAreRefused() async throws {
        let h = try await Harness.make()
        let unsigned = try await h.send(.put, "docs?restype=share", sign: false)
        #expect(unsigned.status == 403)
        #expect(unsigned.errorCode == "AuthenticationFailed")
        let forged = try await h.send(.put, "docs?restype=share", headers: ["Authorization": "SharedKey devstoreaccount1:AAAA"], sign: false)
        #expect(forged.status == 403)
        #expect(forged.errorCode == "AuthenticationFailed")
        #expect(try await h.store.listShares().shares.isEmpty)
        try await h.finish()
    }
}

@Suite struct FileRESTUnsupportedTests {
    @Test func nfsLinkOperationsAreRefusedNotMisread() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share")
        _ = try await h.send(.put, "docs/f", headers: ["x-ms-type": "file", "x-ms-content-length": "3"])
        for (method, query) in [(HTTPRequest.Method.get, "restype=symboliclink"), (.put, "restype=symboliclink"), (.put, "restype=hardlink")] {
            let r = try await h.send(method, "docs/f?\(query)")
            #expect(r.status == 400, "\(method) \(query)")
            #expect(r.errorCode == "InvalidQueryParameterValue")
            #expect(r.xml?.value("QueryParameterName") == "restype")
        }
        try await h.finish()
    }
}
