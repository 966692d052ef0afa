import Foundation
import FrontKit
import ShareCore

/// Jobs (contract §7).
extension BackupContext {
    /// A JobResource.
    func jobResource(_ job: JobRecord) -> [String: Any] {
        let end = job.end
        let now = runner.now().ticks
        var properties: [String: Any] = [
            "jobType": "AzureStorageJob", "operation": job.operation, "status": job.status,
            "entityFriendlyName": job.share, "backupManagementType": "AzureStorage",
            "startTime": ARMTime.format(FileTime(ticks: job.start)),
            "endTime": end.map { ARMTime.format(FileTime(ticks: $0)) as Any } ?? NSNull(),
            "duration": ARMTime.duration(ticks: (end ?? now) - job.start),
            "activityId": job.activityId,
            "actionsInfo": job.status == "InProgress" ? ["Cancellable"] : [String](),
            "storageAccountName": account, "storageAccountVersion": "Storage",
            "isUserTriggered": job.userTriggered,
        ]
        var errors: [Any] = []
        if let code = job.errorCode, job.status == "Failed" || job.status == "CompletedWithWarnings" {
            errors.append(["errorCode": job.status == "Failed" ? 500 : 207, "errorString": "\(code): \(job.errorMessage ?? "")",
                           "recommendations": [String]()])
        }
        properties["errorDetails"] = errors
        properties["extendedInfo"] = ["tasksList": [Any](), "propertyBag": job.propertyBag,
                                      "dynamicErrorMessage": job.errorMessage.map { $0 as Any } ?? NSNull()]
        return ["id": "\(vault.path)/backupJobs/\(job.id)", "name": job.id, "type": "Microsoft.RecoveryServices/vaults/backupJobs",
                "properties": properties]
    }

    /// The job `id` of this vault, else 404.
    func job(_ id: String) throws -> JobRecord {
        guard let job = try store.readRecords({ try $0.decoded(JobRecord.self, BackupTables.jobs, BackupTables.jobKey(vault, id)) }) else {
            throw BackupError.resourceNotFound("backupJobs/\(id)")
        }
        return job
    }

    /// `GET …/backupJobs/{id}`.
    func getJob(_ id: String) throws -> FrontResponse { json(jobResource(try job(id))) }

    static let jobStatuses = ["Invalid", "InProgress", "Completed", "Failed", "CompletedWithWarnings", "Cancelled", "Cancelling"]
    static let jobOperations = ["Invalid", "Register", "UnRegister", "ConfigureBackup", "Backup", "Restore", "DisableBackup",
                                "DeleteBackupData", "CrossRegionRestore", "Undelete", "UpdateCustomerManagedKey"]

    /// `GET …/backupJobs[?$filter&$skipToken]`: newest first, 200 a page.
    func listJobs() throws -> FrontResponse {
        let filterText = route.query("$filter")
        let filter = try BackupFilter(filterText)
        try filter.allow(["status", "operation", "backupmanagementtype", "starttime", "endtime", "jobid"])
        func enumValue(_ name: String, _ allowed: [String]) throws(BackupError) -> String? {
            guard let v = filter.value(name) else { return nil }
            guard let match = allowed.first(where: { $0.lowercased() == v.lowercased() }) else {
                throw .invalidInput("'\(v)' is not a valid value of '\(name)' in $filter.")
            }
            return match
        }
        let status = try enumValue("status", Self.jobStatuses)
        let operation = try enumValue("operation", Self.jobOperations)
        let managementType = filter.value("backupmanagementtype")
        let start = try filter.date("starttime")
        let end = try filter.date("endtime")
        let jobId = filter.value("jobid")?.lowercased()
        var jobs = try store.readRecords { try $0.all(JobRecord.self, BackupTables.jobs, prefix: BackupTables.vaultPrefix(vault)) }
        jobs = jobs.filter { job in
            if let status, job.status != status { return false }
            if let operation, job.operation != operation { return false }
            if let managementType, managementType.lowercased() != "azurestorage" { return false }
            if let start, job.start < start.ticks { return false }
            if let end, job.start > end.ticks { return false }
            if let jobId, job.id != jobId { return false }
            return true
        }
        jobs.sort { ($0.start, $0.id) > ($1.start, $1.id) }
        return try page(jobs.map(jobResource), path: "\(vault.path)/backupJobs", filter: filterText)
    }

    /// One page of `items` from `$skipToken`, with a `nextLink` when more remain.
    func page(_ items: [[String: Any]], path: String, filter: String?, size: Int = 200) throws(BackupError) -> FrontResponse {
        var offset = 0
        if let token = route.query("$skipToken") {
            guard let n = Int(token), n >= 0 else { throw .invalidInput("The $skipToken '\(token)' is not valid.") }
            offset = n
        }
        let slice = items.dropFirst(offset).prefix(size)
        var body: [String: Any] = ["value": Array(slice)]
        if offset + size < items.count {
            var link = url(path)
            if let filter { link += "&$filter=" + RequestTarget.percentEncode(filter) }
            link += "&$skipToken=\(offset + size)"
            body["nextLink"] = link
        }
        return json(body)
    }

    /// `POST …/backupJobs/{id}/cancel`: InProgress → Cancelling (the job's effect is then not applied).
    func cancelJob(_ id: String) async throws -> FrontResponse {
        let job = try job(id)
        let operation = runner.newOperation(vault, job: job.id, scope: "job:\(job.id)")
        try await store.writeRecords { w in
            let key = BackupTables.jobKey(job.vault, job.id)
            if var current = try w.decoded(JobRecord.self, BackupTables.jobs, key), current.status == "InProgress" {
                current.status = "Cancelling"
                try w.put(BackupTables.jobs, key, current)
            }
            try w.put(BackupTables.operations, BackupTables.operationKey(operation.vault, operation.id), operation)
        }
        return accepted(location: "\(vault.path)/backupJobs/\(job.id)/operationResults/\(operation.id)")
    }
}
