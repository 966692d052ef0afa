import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// Operation status and results (contract §6): an operation mirrors its job.
extension BackupContext {
    /// The operation `id` of this vault with scope `scope` (nil: any), else 404.
    func operation(_ id: String, scope: String?) throws -> OperationRecord {
        let found = try store.readRecords {
            try $0.decoded(OperationRecord.self, BackupTables.operations, BackupTables.operationKey(vault, id))
        }
        guard let found, scope == nil || found.scope == scope?.lowercased() else {
            throw BackupError.resourceNotFound("operations/\(id)")
        }
        return found
    }

    /// The operation's job, if it has one.
    func job(of operation: OperationRecord) throws -> JobRecord? {
        guard let id = operation.jobId else { return nil }
        return try store.readRecords { try $0.decoded(JobRecord.self, BackupTables.jobs, BackupTables.jobKey(operation.vault, id)) }
    }

    /// `InProgress`, `Succeeded`, `Failed` or `Canceled`.
    func status(of job: JobRecord?) -> String {
        switch job?.status {
        case nil, "Completed", "CompletedWithWarnings": "Succeeded"
        case "Failed": "Failed"
        case "Cancelled": "Canceled"
        default: "InProgress"
        }
    }

    /// An OperationStatus body.
    func operationStatus(_ operation: OperationRecord) throws -> FrontResponse {
        let job = try job(of: operation)
        let status = status(of: job)
        var body: [String: Any] = ["id": operation.id, "name": operation.id, "status": status,
                                   "startTime": ARMTime.format(FileTime(ticks: operation.start))]
        if status != "InProgress" { body["endTime"] = ARMTime.format(FileTime(ticks: job?.end ?? operation.start)) }
        if status == "Failed" { body["error"] = ["code": job?.errorCode ?? "InternalError", "message": job?.errorMessage ?? ""] }
        if let id = operation.jobId {
            body["properties"] = ["objectType": "OperationStatusJobExtendedInfo", "jobId": id]
        }
        var response = json(body)
        if status == "InProgress" { response.head.headerFields[.retryAfter] = "1" }
        return response
    }

    /// `GET …/protectedItems/{item}/operationsStatus/{op}`.
    func itemOperationStatus(_ item: ItemPath, _ id: String) async throws -> FrontResponse {
        try checkContainer(item.container)
        return try operationStatus(try operation(id, scope: "item:\(try itemShareName(item))"))
    }

    /// `GET …/backupOperations/{op}`.
    func backupOperation(_ id: String) throws -> FrontResponse {
        try operationStatus(try operation(id, scope: nil))
    }

    /// 202 + Location (itself) while running, else `done()`.
    func operationResult(_ operation: OperationRecord, self path: String, done: () async throws -> FrontResponse) async throws -> FrontResponse {
        if status(of: try job(of: operation)) == "InProgress" { return accepted(location: path) }
        return try await done()
    }

    /// `GET …/protectedItems/{item}/operationResults/{op}`: 204, or 200 + the item for protect/modify/stop.
    func itemOperationResult(_ item: ItemPath, _ id: String) async throws -> FrontResponse {
        try checkContainer(item.container)
        let share = try itemShareName(item)
        let op = try operation(id, scope: "item:\(share)")
        return try await operationResult(op, self: "\(itemPath(share))/operationResults/\(id)") {
            if op.result == "item", let resource = try await protectedItemResource(share) { return json(resource) }
            return empty(.noContent)
        }
    }

    /// `GET …/backupOperationResults/{op}`: 202 while running, 204 after.
    func backupOperationResult(_ id: String) async throws -> FrontResponse {
        let op = try operation(id, scope: nil)
        return try await operationResult(op, self: "\(vault.path)/backupOperationResults/\(id)") { empty(.noContent) }
    }

    /// `GET …/backupJobs/{job}/operationResults/{op}` (cancellation): 202 while cancelling, 204 after.
    func jobOperationResult(_ jobId: String, _ id: String) async throws -> FrontResponse {
        let op = try operation(id, scope: "job:\(jobId)")
        return try await operationResult(op, self: "\(vault.path)/backupJobs/\(jobId)/operationResults/\(id)") { empty(.noContent) }
    }

    /// `GET …/protectionContainers/{c}/operationResults/{op}`: the container when registered, else 204.
    func containerOperationResult(_ container: ContainerPath, _ id: String) async throws -> FrontResponse {
        try checkContainer(container)
        let op = try operation(id, scope: "container")
        return try await operationResult(op, self: "\(containerPath)/operationResults/\(id)") {
            if op.result == "container", let resource = try containerResource() { return json(resource) }
            return empty(.noContent)
        }
    }

    /// `GET …/backupFabrics/{f}/operationResults/{op}` (refresh): 204.
    func fabricOperationResult(_ fabric: String, _ id: String) throws -> FrontResponse {
        try checkFabric(fabric)
        _ = try operation(id, scope: "fabric")
        return empty(.noContent)
    }

    /// The share name an item path names, lower-cased, without requiring the share to exist.
    func itemShareName(_ item: ItemPath) throws(BackupError) -> String {
        let parts = item.item.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].lowercased() == "azurefileshare", !parts[1].isEmpty else { throw .itemNotFound }
        return parts[1].lowercased()
    }
}
