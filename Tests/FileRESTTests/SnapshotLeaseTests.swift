import Foundation
import FrontKit
import Testing
@testable import FileREST
@testable import ShareCore

/// Lease Share with `sharesnapshot`: a share snapshot has its own lease, as on Azure.
@Suite struct SnapshotLeaseTests {
    static let leaseId = "5c1a0f2e-0000-4000-8000-00000000000a"

    @Test func aSnapshotCanBeLeasedAndItsLeaseGuardsDeletes() async throws {
        let h = try await Harness.make()
        try await h.store.createShare("docs")
        let snapshot = try await h.store.createSnapshot(of: "docs").name
        let acquired = try await h.send(.put, "docs?restype=share&comp=lease&sharesnapshot=\(snapshot)",
                                        headers: ["x-ms-lease-action": "acquire", "x-ms-lease-duration": "-1",
                                                  "x-ms-proposed-lease-id": Self.leaseId])
        #expect(acquired.status == 201 && acquired.header("x-ms-lease-id") == Self.leaseId)
        let properties = try await h.send(.get, "docs?restype=share&sharesnapshot=\(snapshot)")
        #expect(properties.header("x-ms-lease-state") == "leased")
        // The live share is not leased.
        #expect(try await h.send(.get, "docs?restype=share").header("x-ms-lease-state") == "available")
        let deleteSnapshot = try await h.send(.delete, "docs?restype=share&sharesnapshot=\(snapshot)")
        #expect(deleteSnapshot.status == 412 && deleteSnapshot.errorCode == "LeaseIdMissing")
        let deleteShare = try await h.send(.delete, "docs?restype=share", headers: ["x-ms-delete-snapshots": "include"])
        #expect(deleteShare.status == 409 && deleteShare.errorCode == "DeleteShareWhenSnapshotLeased")
        #expect(try await h.store.listSnapshots(of: "docs").count == 1)
        let released = try await h.send(.put, "docs?restype=share&comp=lease&sharesnapshot=\(snapshot)",
                                        headers: ["x-ms-lease-action": "release", "x-ms-lease-id": Self.leaseId])
        #expect(released.status == 200)
        _ = try await h.send(.put, "docs?restype=share&comp=lease&sharesnapshot=\(snapshot)",
                             headers: ["x-ms-lease-action": "acquire", "x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.leaseId])
        let withLease = try await h.send(.delete, "docs?restype=share&sharesnapshot=\(snapshot)", headers: ["x-ms-lease-id": Self.leaseId])
        #expect(withLease.status == 202)
        let again = try await h.store.createSnapshot(of: "docs").name
        _ = try await h.send(.put, "docs?restype=share&comp=lease&sharesnapshot=\(again)",
                             headers: ["x-ms-lease-action": "acquire", "x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.leaseId])
        #expect(try await h.send(.delete, "docs?restype=share", headers: ["x-ms-delete-snapshots": "include-leased"]).status == 202)
        try await h.finish()
    }
}
