import FrontKit

/// Runs the operation a route names.
enum BackupDispatcher {
    static func run(_ c: BackupContext) async throws -> FrontResponse {
        switch (c.route.resource, c.method) {
        case (.jobs, _): return try c.listJobs()
        case (.job(let id), _): return try c.getJob(id)
        case (.jobCancel(let id), _): return try await c.cancelJob(id)
        case (.jobOperationResult(let job, let op), _): return try await c.jobOperationResult(job, op)
        case (.backupOperation(let op), _): return try c.backupOperation(op)
        case (.backupOperationResult(let op), _): return try await c.backupOperationResult(op)
        case (.policies, _): return try c.listPolicies()
        case (.policy(let name), .put): return try await c.putPolicy(name)
        case (.policy(let name), .delete): return try await c.deletePolicy(name)
        case (.policy(let name), _): return try c.getPolicy(name)
        case (.protectableItems, _): return try await c.listProtectableItems()
        case (.protectedItems, _): return try await c.listProtectedItems()
        case (.protectionContainers, _): return try c.listContainers()
        case (.protectableContainers(let fabric), _): return try c.protectableContainers(fabric)
        case (.refreshContainers(let fabric), _): return try await c.refresh(fabric)
        case (.fabricOperationResult(let fabric, let op), _): return try c.fabricOperationResult(fabric, op)
        case (.container(let container), .put): return try await c.registerContainer(container)
        case (.container(let container), .delete): return try await c.unregisterContainer(container)
        case (.container(let container), _): return try c.getContainer(container)
        case (.containerInquire(let container), _): return try await c.inquire(container)
        case (.containerOperationResult(let container, let op), _): return try await c.containerOperationResult(container, op)
        case (.item(let item), .put): return try await c.putItem(item)
        case (.item(let item), .delete): return try await c.deleteItem(item)
        case (.item(let item), _): return try await c.getItem(item)
        case (.itemBackup(let item), _): return try await c.backupNow(item)
        case (.itemOperationResult(let item, let op), _): return try await c.itemOperationResult(item, op)
        case (.itemOperationStatus(let item, let op), _): return try await c.itemOperationStatus(item, op)
        case (.recoveryPoints(let item), _): return try await c.listRecoveryPoints(item)
        case (.recoveryPoint(let item, let name), _): return try await c.getRecoveryPoint(item, name)
        case (.restore(let item, let name), _): return try await c.restore(item, name)
        }
    }
}
