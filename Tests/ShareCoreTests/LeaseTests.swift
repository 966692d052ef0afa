import Testing
@testable import ShareCore

@Suite struct LeaseTests {
    func setup() async throws -> (TempStore, Share) {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let docs = t.store.share("docs")
        try await docs.createFile("f", length: 10)
        return (t, docs)
    }

    @Test func aLeasedFileRefusesChangesWithoutItsId() async throws {
        let (t, docs) = try await setup()
        let acquired = try await docs.lease("f", .acquire(proposedId: "lease-1", duration: nil))
        #expect(acquired.id == "lease-1")
        let before = try await docs.info("f")
        #expect(before.lease?.state(at: .now()) == .leased)
        #expect(acquired.etag == before.etag)
        await expectError(.leaseIdMissing) { try await docs.write("f", at: 0, [1]) }
        await expectError(.leaseIdMissing) { try await docs.resize("f", to: 2) }
        await expectError(.leaseIdMissing) { try await docs.clear("f", range: 0..<1) }
        await expectError(.leaseIdMissing) { try await docs.setMetadata("f", ["a": "b"]) }
        await expectError(.leaseIdMissing) { try await docs.deleteFile("f") }
        await expectError(.leaseIdMissing) { try await docs.createFile("f", length: 1, overwrite: true) }
        await expectError(.leaseIdMissing) { try await docs.rename("f", to: "g") }
        await expectError(.leaseIdMismatch) { try await docs.withLease("other").write("f", at: 0, [1]) }
        await expectError(.leaseIdMismatch) { try await docs.withLease("other").read("f") }
        #expect(try await docs.info("f") == before)
        // With the id everything works, and reads still need no id.
        let leased = docs.withLease("lease-1")
        try await leased.write("f", at: 0, [7])
        #expect(try await docs.read("f", range: 0..<1) == [7])
        #expect(try await leased.read("f", range: 0..<1) == [7])
        let renamed = try await docs.rename("f", to: "g", sourceLeaseId: "lease-1")
        #expect(renamed.lease?.id == "lease-1")
        try await t.finish()
    }

    @Test func changeReleaseAndBreak() async throws {
        let (t, docs) = try await setup()
        try await docs.lease("f", .acquire(proposedId: "a", duration: nil))
        await expectError(.leaseAlreadyPresent) { try await docs.lease("f", .acquire(proposedId: "b", duration: nil)) }
        // Acquiring again with the same id is allowed.
        #expect(try await docs.lease("f", .acquire(proposedId: "a", duration: nil)).id == "a")
        await expectError(.invalidArgument) { try await docs.lease("f", .acquire(proposedId: "a", duration: 30)) }
        await expectError(.leaseIdMismatch) { try await docs.lease("f", .change(id: "x", proposedId: "y")) }
        #expect(try await docs.lease("f", .change(id: "a", proposedId: "b")).id == "b")
        await expectError(.leaseIdMismatch) { try await docs.lease("f", .release(id: "a")) }
        try await docs.lease("f", .release(id: "b"))
        #expect(try await docs.info("f").lease == nil)
        await expectError(.leaseNotPresent) { try await docs.withLease("b").write("f", at: 0, [1]) }
        await expectError(.leaseNotPresent) { try await docs.lease("f", .breakLease(period: nil)) }
        // An infinite file lease breaks at once and then frees the file.
        try await docs.lease("f", .acquire(proposedId: "c", duration: nil))
        let broken = try await docs.lease("f", .breakLease(period: nil))
        #expect(broken.breakSecondsLeft == 0)
        #expect(try await docs.info("f").lease?.state(at: .now()) == .broken)
        try await docs.write("f", at: 0, [1])
        #expect(try await docs.lease("f", .acquire(proposedId: "d", duration: nil)).id == "d")
        try await t.finish()
    }

    @Test func leaseTimelinesFollowTheClock() throws {
        let t0 = FileTime(ticks: 1_000_000_000_000)
        func at(_ seconds: Int64) -> FileTime { FileTime(ticks: t0.ticks + seconds * 10_000_000) }
        // A 15-second share lease expires, after which another id may acquire it.
        var (lease, _, _) = try LeaseMachine.apply(.acquire(proposedId: "a", duration: 15), to: nil, now: t0, infiniteOnly: false)
        #expect(lease?.state(at: at(14)) == .leased)
        #expect(lease?.state(at: at(15)) == .expired)
        #expect(throws: ShareCoreError.self) { try LeaseMachine.apply(.acquire(proposedId: "b", duration: 15), to: lease, now: at(10), infiniteOnly: false) }
        let (other, id, _) = try LeaseMachine.apply(.acquire(proposedId: "b", duration: 20), to: lease, now: at(16), infiniteOnly: false)
        #expect(id == "b" && other?.state(at: at(30)) == .leased)
        // Renew restarts the duration; an expired lease may still be renewed by its holder.
        (lease, _, _) = try LeaseMachine.apply(.renew(id: "a"), to: lease, now: at(20), infiniteOnly: false)
        #expect(lease?.state(at: at(34)) == .leased)
        // A break with a period is "breaking" until it ends, then "broken".
        let (breaking, _, left) = try LeaseMachine.apply(.breakLease(period: 10), to: lease, now: at(21), infiniteOnly: false)
        #expect(left == 10)
        #expect(breaking?.state(at: at(25)) == .breaking)
        #expect(breaking?.state(at: at(31)) == .broken)
        #expect(throws: ShareCoreError.self) { try LeaseMachine.apply(.acquire(proposedId: "z", duration: nil), to: breaking, now: at(25), infiniteOnly: false) }
        #expect(throws: ShareCoreError.self) { try LeaseMachine.apply(.renew(id: "a"), to: breaking, now: at(25), infiniteOnly: false) }
        // A break without a period on a finite lease waits for its expiry.
        let (late, _, wait) = try LeaseMachine.apply(.breakLease(period: nil), to: lease, now: at(21), infiniteOnly: false)
        #expect(wait == 14 && late?.state(at: at(34)) == .breaking && late?.state(at: at(35)) == .broken)
        #expect(throws: ShareCoreError.self) { try LeaseMachine.apply(.acquire(proposedId: nil, duration: 14), to: nil, now: t0, infiniteOnly: false) }
        #expect(throws: ShareCoreError.self) { try LeaseMachine.apply(.acquire(proposedId: nil, duration: 61), to: nil, now: t0, infiniteOnly: false) }
    }

    @Test func aLeasedShareIsDeletedOnlyWithItsId() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let result = try await t.store.leaseShare("docs", .acquire(proposedId: nil, duration: 60))
        let id = try #require(result.id)
        #expect(try await t.store.shareInfo("docs").lease?.state(at: .now()) == .leased)
        await expectError(.leaseIdMissing) { try await t.store.deleteShare("docs") }
        await expectError(.leaseIdMismatch) { try await t.store.deleteShare("docs", leaseId: "nope") }
        await expectError(.leaseIdMismatch) { try await t.store.setShareMetadata("docs", ["a": "b"], leaseId: "nope") }
        // Without the id, other share changes are refused while leased (as in Azure Files).
        await expectError(.leaseIdMissing) { try await t.store.setShareMetadata("docs", ["a": "b"]) }
        await expectError(.leaseIdMissing) { try await t.store.setShareProperties("docs", ShareUpdate(quotaGiB: 7)) }
        await expectError(.leaseIdMissing) { try await t.store.setShareAccessPolicies("docs", [AccessPolicy(id: "p")]) }
        try await t.store.setShareMetadata("docs", ["a": "b"], leaseId: id)
        #expect(try await t.store.shareInfo("docs").metadata == ["a": "b"])
        try await t.store.deleteShare("docs", leaseId: id)
        await expectError(.shareNotFound) { try await t.store.shareInfo("docs") }
        try await t.finish()
    }

    @Test func accessPoliciesRoundTrip() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        let policies = [AccessPolicy(id: "read-only", start: FileTime(ticks: 10_000_000), expiry: FileTime(ticks: 90_000_000), permissions: "rl"),
                        AccessPolicy(id: "bare")]
        try await t.store.setShareAccessPolicies("docs", policies)
        #expect(try await t.store.shareInfo("docs").accessPolicies == policies)
        let reopened = try await t.reopen()
        #expect(try await reopened.shareInfo("docs").accessPolicies == policies)
        let six = (0..<6).map { AccessPolicy(id: "p\($0)") }
        await expectError(.invalidArgument) { try await reopened.setShareAccessPolicies("docs", six) }
        await expectError(.invalidArgument) { try await reopened.setShareAccessPolicies("docs", [AccessPolicy(id: String(repeating: "x", count: 65))]) }
        await expectError(.invalidArgument) { try await reopened.setShareAccessPolicies("docs", [AccessPolicy(id: "a"), AccessPolicy(id: "a")]) }
        #expect(try await reopened.shareInfo("docs").accessPolicies == policies)
        try await reopened.setShareAccessPolicies("docs", [])
        #expect(try await reopened.shareInfo("docs").accessPolicies == [])
        try await t.finish(reopened)
    }

    @Test func permissionsAreStoredByKeyPerShare() async throws {
        let t = try await TempStore.make()
        try await t.store.createShare("docs")
        try await t.store.createShare("other")
        let sddl = "O:S-1-5-21-1G:S-1-5-21-2D:(A;;FA;;;SY)"
        let key = try await t.store.createPermission(share: "docs", sddl)
        #expect(key.split(separator: "*").count == 2)
        #expect(try await t.store.createPermission(share: "docs", sddl) == key)
        #expect(try await t.store.permission(share: "docs", key: key) == sddl)
        await expectError(.resourceNotFound) { try await t.store.permission(share: "other", key: key) }
        await expectError(.invalidArgument) { try await t.store.createPermission(share: "docs", "") }
        try await t.store.deleteShare("docs")
        try await t.store.createShare("docs")
        await expectError(.resourceNotFound) { try await t.store.permission(share: "docs", key: key) }
        try await t.finish()
    }

    @Test func settingsPersist() async throws {
        let t = try await TempStore.make()
        #expect(try await t.store.setting("cors") == nil)
        try await t.store.setSetting("cors", [1, 2, 3])
        let reopened = try await t.reopen()
        #expect(try await reopened.setting("cors") == [1, 2, 3])
        try await reopened.setSetting("cors", nil)
        #expect(try await reopened.setting("cors") == nil)
        try await t.finish(reopened)
    }
}
