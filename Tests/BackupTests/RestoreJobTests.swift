import Foundation
import HTTPTypes
import Testing
@testable import Backup
@testable import ShareCore

@Suite struct RestoreJobTests {
    /// A share `docs` with a.txt and dir/b.txt, a snapshot, then a.txt changed and dir/b.txt deleted.
    func fixture() async throws -> (Harness, String) {
        let h = try await Harness.make()
        try await h.store.createShare("docs")
        try await h.write("docs", "a.txt", "a-old")
        _ = try await h.store.share("docs").createDirectory("dir")
        try await h.write("docs", "dir/b.txt", "b-old")
        let snap = try await h.store.createSnapshot(of: "docs")
        try await h.write("docs", "a.txt", "a-new")
        try await h.store.share("docs").deleteFile("dir/b.txt")
        try await h.write("docs", "new.txt", "new")
        return (h, String(snap.created.ticks))
    }

    func restoreBody(_ properties: [String: Any]) -> [String: Any] {
        var p = properties
        p["objectType"] = p["objectType"] ?? "AzureFileShareRestoreRequest"
        return ["properties": p]
    }

    @Test func fullShareRestoreToOriginalLocation() async throws {
        let (h, rp) = try await fixture()
        let reply = try await h.send(.post, "\(itemPath("docs"))/recoveryPoints/\(rp)/restore", json: restoreBody([
            "recoveryType": "OriginalLocation", "copyOptions": "Overwrite", "restoreRequestType": "FullShareRestore",
            "sourceResourceId": "/subscriptions/\(subscription)/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1",
        ]), headers: ["x-ms-client-request-id": "client-1"])
        #expect(reply.status == 202)
        #expect(reply.body.isEmpty && reply.header("Content-Length") == "0")
        #expect(reply.header("Retry-After") == "1")
        let location = try #require(reply.header("Location"))
        let async = try #require(reply.header("Azure-AsyncOperation"))
        #expect(location.hasPrefix("http://127.0.0.1:10005\(itemPath("docs"))/operationResults/"))
        #expect(location.hasSuffix("?api-version=2019-05-13"))
        #expect(async.hasPrefix("http://127.0.0.1:10005\(itemPath("docs"))/operationsStatus/"))
        let status = try await h.waitForOperation(async)
        #expect(status.json["status"] as? String == "Succeeded")
        let jobId = try #require((status.json["properties"] as? [String: Any])?["jobId"] as? String)
        #expect(try await h.read("docs", "a.txt") == "a-old")
        #expect(try await h.read("docs", "dir/b.txt") == "b-old")
        #expect(try await h.read("docs", "new.txt") == "new", "a restore merges, it does not revert")

        let job = try await h.send(.get, "\(vaultPath)/backupJobs/\(jobId)")
        #expect(job.properties["status"] as? String == "Completed")
        #expect(job.properties["operation"] as? String == "Restore")
        #expect(job.properties["activityId"] as? String == "client-1")
        let bag = try #require((job.properties["extendedInfo"] as? [String: Any])?["propertyBag"] as? [String: String])
        #expect(bag["Number Of Restored Files"] == "2")
        #expect(bag["Job Type"] == "Recover to the original file share")
        #expect(bag["RestoreDestination"] == "devstoreaccount1/docs")

        // The vault-level operation and the Location agree.
        let opId = String(async.split(separator: "/").last!.split(separator: "?").first!)
        let vaultOp = try await h.send(.get, "\(vaultPath)/backupOperations/\(opId)", version: "2016-12-01")
        #expect(vaultOp.json["status"] as? String == "Succeeded")
        let result = try await h.send(.get, "\(itemPath("docs"))/operationResults/\(opId)")
        #expect(result.status == 204)
        let opResults = try await h.send(.get, "\(vaultPath)/backupOperationResults/\(opId)")
        #expect(opResults.status == 204)
        try await h.finish()
    }

    @Test func alternateAndItemLevelRestores() async throws {
        let (h, rp) = try await fixture()
        try await h.store.createShare("other")
        let full = try await h.send(.post, "\(itemPath("docs"))/recoveryPoints/\(rp)/restore", json: restoreBody([
            "recoveryType": "AlternateLocation", "copyOptions": "Overwrite", "restoreRequestType": "FullShareRestore",
            "restoreFileSpecs": [["targetFolderPath": "restoredata"]],
            "targetDetails": ["name": "other", "targetResourceId": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/devstoreaccount1"],
        ]))
        #expect(full.status == 202)
        let status = try await h.waitForOperation(try #require(full.header("Azure-AsyncOperation")))
        #expect(status.json["status"] as? String == "Succeeded")
        #expect(try await h.read("other", "restoredata/a.txt") == "a-old")
        #expect(try await h.read("other", "restoredata/dir/b.txt") == "b-old")

        let item = try await h.send(.post, "\(itemPath("docs"))/recoveryPoints/\(rp)/restore", json: restoreBody([
            "recoveryType": "OriginalLocation", "copyOptions": "Overwrite",
            "restoreFileSpecs": [["path": "dir/b.txt", "fileSpecType": "File", "targetFolderPath": NSNull()]],
            "targetDetails": NSNull(),
        ]))
        #expect(item.status == 202)
        _ = try await h.waitForOperation(try #require(item.header("Azure-AsyncOperation")))
        #expect(try await h.read("docs", "dir/b.txt") == "b-old")
        #expect(try await h.read("docs", "a.txt") == "a-new", "only the selected item")
        try await h.finish()
    }

    @Test func copyOptions() async throws {
        let (h, rp) = try await fixture()
        func run(_ option: String) async throws -> (String, [String: String], [String: Any]) {
            let reply = try await h.send(.post, "\(itemPath("docs"))/recoveryPoints/\(rp)/restore", json: restoreBody([
                "recoveryType": "OriginalLocation", "copyOptions": option, "restoreRequestType": "FullShareRestore"]))
            #expect(reply.status == 202)
            let status = try await h.waitForOperation(try #require(reply.header("Azure-AsyncOperation")))
            let jobId = try #require((status.json["properties"] as? [String: Any])?["jobId"] as? String)
            let job = try await h.send(.get, "\(vaultPath)/backupJobs/\(jobId)")
            let bag = (job.properties["extendedInfo"] as? [String: Any])?["propertyBag"] as? [String: String] ?? [:]
            return (status.json["status"] as? String ?? "", bag, job.properties)
        }
        let (failStatus, _, failJob) = try await run("FailOnConflict")
        #expect(failStatus == "Failed")
        #expect(failJob["status"] as? String == "Failed")
        #expect((failJob["errorDetails"] as? [[String: Any]])?.first?["errorString"] as? String != nil)
        #expect(try await h.read("docs", "a.txt") == "a-new")
        #expect(try await h.store.share("docs").exists("dir/b.txt") == false, "FailOnConflict changes nothing")

        let (skipStatus, skipBag, _) = try await run("Skip")
        #expect(skipStatus == "Succeeded")
        #expect(skipBag["Number Of Skipped Files"] == "1" && skipBag["Number Of Restored Files"] == "1")
        #expect(try await h.read("docs", "a.txt") == "a-new")
        #expect(try await h.read("docs", "dir/b.txt") == "b-old")

        let (overStatus, overBag, _) = try await run("Overwrite")
        #expect(overStatus == "Succeeded" && overBag["Number Of Restored Files"] == "2")
        #expect(try await h.read("docs", "a.txt") == "a-old")
        try await h.finish()
    }

    @Test func badRestoreRequestsChangeNothingAndMakeNoJob() async throws {
        let (h, rp) = try await fixture()
        try await h.store.createShare("other")
        try await h.write("other", "file", "f")
        let url = "\(itemPath("docs"))/recoveryPoints/\(rp)/restore"
        let cases: [(Any?, String?, Int, String)] = [
            (nil, "{not json", 400, "InvalidRequestContent"),
            (["nope": 1], nil, 400, "BMSUserErrorInvalidInput"),
            (restoreBody(["objectType": "AzureWorkloadRestoreRequest", "recoveryType": "OriginalLocation", "copyOptions": "Overwrite"]), nil, 400, "BMSUserErrorInvalidInput"),
            (restoreBody(["recoveryType": "RestoreDisks", "copyOptions": "Overwrite"]), nil, 400, "BMSUserErrorInvalidInput"),
            (restoreBody(["recoveryType": "OriginalLocation", "copyOptions": "CreateCopy"]), nil, 400, "BMSUserErrorInvalidInput"),
            (restoreBody(["recoveryType": "OriginalLocation", "copyOptions": "Overwrite",
                          "restoreFileSpecs": [["path": "../etc/passwd", "fileSpecType": "File"]]]), nil, 400, "BMSUserErrorInvalidInput"),
            (restoreBody(["recoveryType": "OriginalLocation", "copyOptions": "Overwrite",
                          "restoreFileSpecs": [["path": "a//b", "fileSpecType": "File"]]]), nil, 400, "BMSUserErrorInvalidInput"),
            (restoreBody(["recoveryType": "OriginalLocation", "copyOptions": "Overwrite",
                          "restoreFileSpecs": [["path": "missing.txt", "fileSpecType": "File"]]]), nil, 400, "DataTransferServiceSourceUriNotValid"),
            (restoreBody(["recoveryType": "OriginalLocation", "copyOptions": "Overwrite",
                          "restoreFileSpecs": [["path": "dir", "fileSpecType": "File"]]]), nil, 400, "DataTransferServiceSourceUriNotValid"),
            (restoreBody(["recoveryType": "OriginalLocation", "copyOptions": "Overwrite", "restoreRequestType": "FullShareRestore",
                          "restoreFileSpecs": [["targetFolderPath": "x"]]]), nil, 400, "BMSUserErrorInvalidInput"),
            (restoreBody(["recoveryType": "AlternateLocation", "copyOptions": "Overwrite", "targetDetails": ["name": "absent"]]), nil, 400, "TargetFileShareNotFound"),
            (restoreBody(["recoveryType": "AlternateLocation", "copyOptions": "Overwrite", "targetDetails": ["name": "Bad_Name!"]]), nil, 400, "BMSUserErrorInvalidInput"),
            (restoreBody(["recoveryType": "AlternateLocation", "copyOptions": "Overwrite"]), nil, 400, "BMSUserErrorInvalidInput"),
            (restoreBody(["recoveryType": "AlternateLocation", "copyOptions": "Overwrite", "targetDetails": ["name": "other"],
                          "restoreFileSpecs": [["targetFolderPath": "file/sub"]]]), nil, 400, "BMSUserErrorInvalidInput"),
            (restoreBody(["recoveryType": "AlternateLocation", "copyOptions": "Overwrite",
                          "targetDetails": ["name": "other", "targetResourceId": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/elsewhere"]]),
             nil, 400, "BMSUserErrorInvalidInput"),
        ]
        for (json, raw, status, code) in cases {
            let reply = try await h.send(.post, url, json: json, raw: raw)
            #expect(reply.status == status && reply.errorCode == code, "\(json.map { "\($0)" } ?? raw ?? "") → \(reply.status) \(reply.errorCode ?? "")")
        }
        let unknownPoint = try await h.send(.post, "\(itemPath("docs"))/recoveryPoints/42/restore",
                                           json: restoreBody(["recoveryType": "OriginalLocation", "copyOptions": "Overwrite"]))
        #expect(unknownPoint.status == 404 && unknownPoint.errorCode == "UserErrorAFSSourceSnapshotNotFound")
        let jobs = try await h.send(.get, "\(vaultPath)/backupJobs")
        #expect(jobs.values.isEmpty, "rejected requests create no job")
        #expect(try await h.read("docs", "a.txt") == "a-new")
        #expect(try await h.read("other", "file") == "f")
        try await h.finish()
    }

    @Test func jobListingFiltersPagesAndCancel() async throws {
        let (h, rp) = try await fixture()
        for _ in 0..<3 {
            let reply = try await h.send(.post, "\(itemPath("docs"))/recoveryPoints/\(rp)/restore", json: restoreBody([
                "recoveryType": "OriginalLocation", "copyOptions": "Skip"]))
            _ = try await h.waitForOperation(try #require(reply.header("Azure-AsyncOperation")))
        }
        let all = try await h.send(.get, "\(vaultPath)/backupJobs")
        #expect(all.values.count == 3)
        let starts = all.values.compactMap { ($0["properties"] as? [String: Any])?["startTime"] as? String }
        #expect(starts == starts.sorted().reversed(), "newest first")
        let completed = try await h.send(.get, "\(vaultPath)/backupJobs?$filter=status%20eq%20%27completed%27%20and%20operation%20eq%20%27Restore%27")
        #expect(completed.values.count == 3)
        let backups = try await h.send(.get, "\(vaultPath)/backupJobs?$filter=operation%20eq%20%27Backup%27")
        #expect(backups.values.isEmpty)
        let badEnum = try await h.send(.get, "\(vaultPath)/backupJobs?$filter=status%20eq%20%27Sleeping%27")
        #expect(badEnum.status == 400 && badEnum.errorCode == "BMSUserErrorInvalidInput")
        let window = try await h.send(.get, "\(vaultPath)/backupJobs?$filter=startTime%20eq%20%272000-01-01%2000:00:00%20AM%27%20and%20endTime%20eq%20%272001-01-01%2000:00:00%20AM%27")
        #expect(window.status == 200 && window.values.isEmpty)
        // Paging: the service pages at 200; $skipToken skips.
        let skipped = try await h.send(.get, "\(vaultPath)/backupJobs?$skipToken=2")
        #expect(skipped.values.count == 1)
        // Cancel of a finished job: 202, job unchanged, its operation result 204.
        let id = try #require(all.values.first?["name"] as? String)
        let cancel = try await h.send(.post, "\(vaultPath)/backupJobs/\(id)/cancel")
        #expect(cancel.status == 202 && cancel.header("Retry-After") == "1")
        let location = try #require(cancel.header("Location"))
        #expect(location.contains("/backupJobs/\(id)/operationResults/"))
        let path = String(location.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
        #expect(try await h.send(.get, path).status == 204)
        #expect(try await h.send(.get, "\(vaultPath)/backupJobs/\(id)").properties["status"] as? String == "Completed")
        #expect(try await h.send(.post, "\(vaultPath)/backupJobs/unknown/cancel").status == 404)
        // Another vault sees none of it.
        let other = try await h.send(.get, "/subscriptions/\(subscription)/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/vault2/backupJobs/\(id)")
        #expect(other.status == 404)
        try await h.finish()
    }

    @Test func cancellingJobIsNotApplied() async throws {
        let (h, rp) = try await fixture()
        // A job asked to cancel before it ran: its restore's transaction is discarded.
        let runner = h.service.runner
        let vault = VaultNames(subscription: subscription, resourceGroup: "rg", vault: "vault1")
        var job = runner.newJob(vault, operation: "Restore", share: "docs", activityId: "x")
        job.status = "Cancelling"
        try await runner.record(job, nil)
        let snapshot = try await h.store.listSnapshots(of: "docs")[0].name
        _ = rp
        runner.startRestore(job, SnapshotRestore(share: "docs", snapshot: snapshot))
        for _ in 0..<200 {
            let current = try await h.send(.get, "\(vaultPath)/backupJobs/\(job.id)")
            if current.properties["status"] as? String != "Cancelling" { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try await h.send(.get, "\(vaultPath)/backupJobs/\(job.id)").properties["status"] as? String == "Cancelled")
        #expect(try await h.read("docs", "a.txt") == "a-new")
        try await h.finish()
    }

    @Test func jobPagesHaveANextLinkAndOldJobsAreSwept() async throws {
        let h = try await Harness.make()
        let clock = TestClock(FileTime.now())
        let scheduler = BackupScheduler(store: h.store, account: "devstoreaccount1", clock: { clock.now })
        let runner = h.service.runner
        let vault = VaultNames(subscription: subscription, resourceGroup: "rg", vault: "vault1")
        for _ in 0..<201 {
            var job = runner.newJob(vault, operation: "Backup", share: "docs", activityId: "x")
            job.status = "Completed"
            job.end = job.start
            try await runner.record(job, runner.newOperation(vault, job: job.id, scope: "item:docs"))
        }
        let first = try await h.send(.get, "\(vaultPath)/backupJobs?$filter=operation%20eq%20%27Backup%27")
        #expect(first.values.count == 200)
        let next = try #require(first.json["nextLink"] as? String)
        #expect(next.hasPrefix("http://127.0.0.1:10005\(vaultPath)/backupJobs?api-version=2019-05-13&$filter="))
        let path = String(next.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
        let second = try await h.send(.get, path)
        #expect(second.values.count == 1 && second.json["nextLink"] == nil)

        await scheduler.sweepJobs()
        #expect(try await h.send(.get, "\(vaultPath)/backupJobs").values.count == 200, "recent jobs stay")
        clock.set(FileTime(ticks: FileTime.now().ticks + BackupScheduler.jobRetentionTicks + day))
        await scheduler.sweepJobs()
        #expect(try await h.send(.get, "\(vaultPath)/backupJobs").values.isEmpty, "jobs are kept 180 days")
        try await h.finish()
    }
}
