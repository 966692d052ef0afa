import Foundation
import Testing
@testable import FileREST
@testable import ShareCore

/// Lease Share and Lease File, and how leases guard other operations.
@Suite struct FileRESTLeaseTests {
    static let idA = "e9890485-bf47-4d9a-b3d0-aceb18506124"
    static let idB = "0f3b4c1e-7d2a-4e55-9d10-2b9a1c3e5f70"

    func lease(_ h: Harness, _ target: String, _ action: String, _ headers: [String: String] = [:]) async throws -> Harness.Reply {
        var all = headers
        all["x-ms-lease-action"] = action
        return try await h.send(.put, target + (target.contains("?") ? "&" : "?") + "comp=lease", headers: all)
    }

    @Test func shareLeaseLifeCycle() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share")
        let acquired = try await lease(h, "docs?restype=share", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idA])
        #expect(acquired.status == 201)
        #expect(acquired.header("x-ms-lease-id") == Self.idA)
        #expect(acquired.header("ETag")?.hasPrefix("\"0x") == true && acquired.header("Last-Modified") != nil)
        let props = try await h.send(.get, "docs?restype=share")
        #expect(props.header("x-ms-lease-status") == "locked")
        #expect(props.header("x-ms-lease-state") == "leased")
        #expect(props.header("x-ms-lease-duration") == "infinite")
        #expect(props.header("ETag") == acquired.header("ETag"))
        let listed = try await h.send(.get, "?comp=list")
        let properties = try #require(listed.xml?.child("Shares")?.child("Share")?.child("Properties"))
        #expect(properties.value("LeaseStatus") == "locked" && properties.value("LeaseState") == "leased")
        #expect(properties.value("LeaseDuration") == "infinite")

        let same = try await lease(h, "docs?restype=share", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idA])
        #expect(same.status == 201)
        let other = try await lease(h, "docs?restype=share", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idB])
        #expect(other.status == 409 && other.errorCode == "LeaseAlreadyPresent")
        let renewed = try await lease(h, "docs?restype=share", "renew", ["x-ms-lease-id": Self.idA])
        #expect(renewed.status == 200 && renewed.header("x-ms-lease-id") == Self.idA)
        let wrongRenew = try await lease(h, "docs?restype=share", "renew", ["x-ms-lease-id": Self.idB])
        #expect(wrongRenew.status == 409 && wrongRenew.errorCode == "LeaseIdMismatchWithLeaseOperation")
        let changed = try await lease(h, "docs?restype=share", "change", ["x-ms-lease-id": Self.idA, "x-ms-proposed-lease-id": Self.idB])
        #expect(changed.status == 200 && changed.header("x-ms-lease-id") == Self.idB)
        let staleRelease = try await lease(h, "docs?restype=share", "release", ["x-ms-lease-id": Self.idA])
        #expect(staleRelease.status == 409 && staleRelease.errorCode == "LeaseIdMismatchWithLeaseOperation")
        let released = try await lease(h, "docs?restype=share", "release", ["x-ms-lease-id": Self.idB])
        #expect(released.status == 200 && released.header("x-ms-lease-id") == nil)
        let after = try await h.send(.get, "docs?restype=share")
        #expect(after.header("x-ms-lease-status") == "unlocked" && after.header("x-ms-lease-state") == "available")
        let again = try await lease(h, "docs?restype=share", "release", ["x-ms-lease-id": Self.idB])
        #expect(again.status == 409 && again.errorCode == "LeaseNotPresentWithLeaseOperation")
        let breakNothing = try await lease(h, "docs?restype=share", "break")
        #expect(breakNothing.status == 409 && breakNothing.errorCode == "LeaseNotPresentWithLeaseOperation")
        let changeNothing = try await lease(h, "docs?restype=share", "change", ["x-ms-lease-id": Self.idA, "x-ms-proposed-lease-id": Self.idB])
        #expect(changeNothing.status == 409 && changeNothing.errorCode == "LeaseNotPresentWithLeaseOperation")
        try await h.finish()
    }

    @Test func breakingAndBrokenShareLeases() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share")
        _ = try await lease(h, "docs?restype=share", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idA])
        let broken = try await lease(h, "docs?restype=share", "break")
        #expect(broken.status == 202 && broken.header("x-ms-lease-time") == "0")
        #expect(try await h.send(.get, "docs?restype=share").header("x-ms-lease-state") == "broken")
        let renew = try await lease(h, "docs?restype=share", "renew", ["x-ms-lease-id": Self.idA])
        #expect(renew.status == 409 && renew.errorCode == "LeaseIsBrokenAndCannotBeRenewed")
        #expect(try await lease(h, "docs?restype=share", "break").status == 202)
        #expect(try await lease(h, "docs?restype=share", "release", ["x-ms-lease-id": Self.idA]).status == 200)

        let finite = try await lease(h, "docs?restype=share", "acquire", ["x-ms-lease-duration": "15", "x-ms-proposed-lease-id": Self.idA])
        #expect(finite.status == 201)
        #expect(try await h.send(.get, "docs?restype=share").header("x-ms-lease-duration") == "fixed")
        let breaking = try await lease(h, "docs?restype=share", "break", ["x-ms-lease-break-period": "10", "x-ms-lease-id": Self.idA])
        #expect(breaking.status == 202 && breaking.header("x-ms-lease-time") == "10")
        let state = try await h.send(.get, "docs?restype=share")
        #expect(state.header("x-ms-lease-state") == "breaking" && state.header("x-ms-lease-status") == "locked")
        let acquire = try await lease(h, "docs?restype=share", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idA])
        #expect(acquire.status == 409 && acquire.errorCode == "LeaseIsBreakingAndCannotBeAcquired")
        let change = try await lease(h, "docs?restype=share", "change", ["x-ms-lease-id": Self.idA, "x-ms-proposed-lease-id": Self.idB])
        #expect(change.status == 409 && change.errorCode == "LeaseIsBreakingAndCannotBeChanged")
        let wrongBreak = try await lease(h, "docs?restype=share", "break", ["x-ms-lease-id": Self.idB])
        #expect(wrongBreak.status == 409 && wrongBreak.errorCode == "LeaseIdMismatchWithLeaseOperation")
        try await h.finish()
    }

    @Test func badLeaseRequestsAreRefused() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share")
        let cases: [([String: String], String, Int, String)] = [
            (["x-ms-lease-duration": "10"], "acquire", 400, "InvalidHeaderValue"),
            (["x-ms-lease-duration": "61"], "acquire", 400, "InvalidHeaderValue"),
            (["x-ms-lease-duration": "forever"], "acquire", 400, "InvalidHeaderValue"),
            (["x-ms-proposed-lease-id": "not-a-guid"], "acquire", 400, "InvalidHeaderValue"),
            ([:], "renew", 400, "MissingRequiredHeader"),
            (["x-ms-lease-id": Self.idA], "change", 400, "MissingRequiredHeader"),
            ([:], "steal", 400, "InvalidHeaderValue"),
            (["x-ms-lease-break-period": "61"], "break", 400, "InvalidHeaderValue"),
        ]
        for (headers, action, status, code) in cases {
            let reply = try await lease(h, "docs?restype=share", action, headers)
            #expect(reply.status == status && reply.errorCode == code, "\(action) \(headers)")
        }
        let noAction = try await h.send(.put, "docs?restype=share&comp=lease")
        #expect(noAction.status == 400 && noAction.errorCode == "MissingRequiredHeader")
        let missing = try await lease(h, "nothing?restype=share", "acquire", ["x-ms-lease-duration": "-1"])
        #expect(missing.status == 404 && missing.errorCode == "ShareNotFound")
        #expect(try await h.send(.get, "docs?restype=share").header("x-ms-lease-state") == "available")
        try await h.finish()
    }

    @Test func aLeasedShareNeedsItsLeaseIdForChanges() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share")
        _ = try await lease(h, "docs?restype=share", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idA])
        let changes: [(String, [UInt8])] = [("docs?restype=share&comp=metadata", []), ("docs?restype=share&comp=properties", []),
                                             ("docs?restype=share&comp=acl", Array("<SignedIdentifiers/>".utf8))]
        for (target, body) in changes {
            let missing = try await h.send(.put, target, headers: ["x-ms-share-quota": "9"], body: body)
            #expect(missing.status == 412 && missing.errorCode == "LeaseIdMissing", "\(target)")
            let wrong = try await h.send(.put, target, headers: ["x-ms-share-quota": "9", "x-ms-lease-id": Self.idB], body: body)
            #expect(wrong.status == 412 && wrong.errorCode == "LeaseIdMismatchWithContainerOperation", "\(target)")
            let right = try await h.send(.put, target, headers: ["x-ms-share-quota": "9", "x-ms-lease-id": Self.idA], body: body)
            #expect(right.status == 200, "\(target)")
        }
        let read = try await h.send(.get, "docs?restype=share", headers: ["x-ms-lease-id": Self.idB])
        #expect(read.status == 412 && read.errorCode == "LeaseIdMismatchWithContainerOperation")
        #expect(try await h.send(.get, "docs?restype=share", headers: ["x-ms-lease-id": Self.idA]).status == 200)
        let delete = try await h.send(.delete, "docs?restype=share")
        #expect(delete.status == 412 && delete.errorCode == "LeaseIdMissing")
        let wrongDelete = try await h.send(.delete, "docs?restype=share", headers: ["x-ms-lease-id": Self.idB])
        #expect(wrongDelete.status == 412 && wrongDelete.errorCode == "LeaseIdMismatchWithContainerOperation")
        // A snapshot of a leased share needs no lease id.
        #expect(try await h.send(.put, "docs?restype=share&comp=snapshot").status == 201)
        #expect(try await h.send(.delete, "docs?restype=share", headers: ["x-ms-lease-id": Self.idA, "x-ms-delete-snapshots": "include"]).status == 202)

        _ = try await h.send(.put, "free?restype=share")
        let notLeased = try await h.send(.get, "free?restype=share", headers: ["x-ms-lease-id": Self.idA])
        #expect(notLeased.status == 412 && notLeased.errorCode == "LeaseNotPresentWithContainerOperation")
        let notLeasedWrite = try await h.send(.put, "free?restype=share&comp=metadata", headers: ["x-ms-lease-id": Self.idA])
        #expect(notLeasedWrite.status == 412 && notLeasedWrite.errorCode == "LeaseNotPresentWithContainerOperation")
        try await h.finish()
    }

    @Test func fileLeaseLifeCycle() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share")
        try await h.store.share("docs").createFile("a.txt", length: 5)
        let bad = try await lease(h, "docs/a.txt", "acquire", ["x-ms-lease-duration": "20"])
        #expect(bad.status == 400 && bad.errorCode == "InvalidHeaderValue")
        let acquired = try await lease(h, "docs/a.txt", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idA])
        #expect(acquired.status == 201 && acquired.header("x-ms-lease-id") == Self.idA)
        #expect(try await h.store.share("docs").info("a.txt").lease?.id == Self.idA)
        let renew = try await lease(h, "docs/a.txt", "renew", ["x-ms-lease-id": Self.idA])
        #expect(renew.status == 400 && renew.errorCode == "InvalidHeaderValue")
        let other = try await lease(h, "docs/a.txt", "acquire", ["x-ms-proposed-lease-id": Self.idB])
        #expect(other.status == 409 && other.errorCode == "LeaseAlreadyPresent")
        let changed = try await lease(h, "docs/a.txt", "change", ["x-ms-lease-id": Self.idA, "x-ms-proposed-lease-id": Self.idB])
        #expect(changed.status == 200 && changed.header("x-ms-lease-id") == Self.idB)
        let broken = try await lease(h, "docs/a.txt", "break")
        #expect(broken.status == 202 && broken.header("x-ms-lease-time") == nil)
        #expect(try await h.store.share("docs").info("a.txt").lease?.state(at: .now()) == .broken)
        #expect(try await lease(h, "docs/a.txt", "acquire", ["x-ms-proposed-lease-id": Self.idA]).status == 201)
        #expect(try await lease(h, "docs/a.txt", "release", ["x-ms-lease-id": Self.idA]).status == 200)
        let missing = try await lease(h, "docs/none.txt", "acquire", [:])
        #expect(missing.status == 404 && missing.errorCode == "ResourceNotFound")
        try await h.finish()
    }

    @Test func aLeasedFileNeedsItsLeaseIdForWrites() async throws {
        let h = try await Harness.make()
        _ = try await h.send(.put, "docs?restype=share")
        try await h.store.share("docs").createFile("a.txt", length: 5)
        try await h.store.share("docs").createFile("b.txt", length: 5)
        _ = try await lease(h, "docs/a.txt", "acquire", ["x-ms-proposed-lease-id": Self.idA])
        let missing = try await h.send(.put, "docs/a.txt?comp=metadata", headers: ["x-ms-meta-a": "1"])
        #expect(missing.status == 412 && missing.errorCode == "LeaseIdMissing")
        let wrong = try await h.send(.put, "docs/a.txt?comp=metadata", headers: ["x-ms-meta-a": "1", "x-ms-lease-id": Self.idB])
        #expect(wrong.status == 412 && wrong.errorCode == "LeaseIdMismatchWithFileOperation")
        let right = try await h.send(.put, "docs/a.txt?comp=metadata", headers: ["x-ms-meta-a": "1", "x-ms-lease-id": Self.idA])
        #expect(right.status == 200)
        let unleased = try await h.send(.put, "docs/b.txt?comp=metadata", headers: ["x-ms-meta-a": "1", "x-ms-lease-id": Self.idA])
        #expect(unleased.status == 412 && unleased.errorCode == "LeaseNotPresentWithFileOperation")
        let delete = try await h.send(.delete, "docs/a.txt")
        #expect(delete.status == 412 && delete.errorCode == "LeaseIdMissing")
        try await h.finish()
    }
}
