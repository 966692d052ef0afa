import Foundation
import FrontKit
import ShareCore

/// `POST …/recoveryPoints/{rp}/restore` (contract §5): every check before the 202, then the
/// restore runs as a job in one engine transaction.
extension BackupContext {
    func restore(_ item: ItemPath, _ pointName: String) async throws -> FrontResponse {
        let share = try await share(of: item)
        let snapshot = try await snapshot(share, named: pointName)
        let p = try JSON.properties(try bodyObject())
        guard try JSON.string(p, "objectType") == "AzureFileShareRestoreRequest" else {
            throw BackupError.invalidInput("'objectType' must be 'AzureFileShareRestoreRequest'.")
        }
        let recoveryType = try JSON.string(p, "recoveryType")
        guard let recoveryType, ["OriginalLocation", "AlternateLocation"].contains(recoveryType) else {
            throw BackupError.invalidInput("'recoveryType' must be 'OriginalLocation' or 'AlternateLocation', not '\(recoveryType ?? "")'.")
        }
        let copy: RestoreCopyOption
        switch try JSON.string(p, "copyOptions") {
        case "Overwrite": copy = .overwrite
        case "Skip": copy = .skip
        case "FailOnConflict": copy = .failOnConflict
        case let other: throw BackupError.invalidInput("'copyOptions' must be 'Overwrite', 'Skip' or 'FailOnConflict', not '\(other ?? "")'.")
        }
        if let source = try JSON.string(p, "sourceResourceId"), !namesServedAccount(source) {
            throw BackupError.invalidInput("'sourceResourceId' must name the storage account '\(account)'.")
        }
        // restoreFileSpecs
        var specs: [(path: String?, kind: NodeKind, folder: String)] = []
        if let raw = p["restoreFileSpecs"], !(raw is NSNull) {
            guard let list = raw as? [Any] else { throw BackupError.invalidInput("'restoreFileSpecs' must be an array.") }
            for entry in list {
                guard let spec = entry as? [String: Any] else { throw BackupError.invalidInput("Each of 'restoreFileSpecs' must be an object.") }
                let path = try JSON.string(spec, "path").map { text throws(BackupError) in try RestorePath.normalize(text) }
                let kind: NodeKind
                switch try JSON.string(spec, "fileSpecType") {
                case nil, "File": kind = .file
                case "Directory": kind = .directory
                case let other: throw BackupError.invalidInput("'fileSpecType' must be 'File' or 'Directory', not '\(other ?? "")'.")
                }
                let folder = try RestorePath.normalize(try JSON.string(spec, "targetFolderPath"))
                specs.append((path.flatMap { $0.isEmpty ? nil : $0 }, kind, folder))
            }
        }
        let requestType: String
        switch try JSON.string(p, "restoreRequestType") {
        case nil: requestType = specs.contains { $0.path != nil } ? "ItemLevelRestore" : "FullShareRestore"
        case "FullShareRestore": requestType = "FullShareRestore"
        case "ItemLevelRestore": requestType = "ItemLevelRestore"
        case let other: throw BackupError.invalidInput("'restoreRequestType' must be 'FullShareRestore' or 'ItemLevelRestore', not '\(other ?? "")'.")
        }
        let original = recoveryType == "OriginalLocation"
        if original && specs.contains(where: { !$0.folder.isEmpty }) {
            throw BackupError.invalidInput("'targetFolderPath' must be empty for a restore to the original location.")
        }
        var folder = ""
        if requestType == "FullShareRestore" {
            guard !specs.contains(where: { $0.path != nil }) else {
                throw BackupError.invalidInput("A FullShareRestore takes no 'path' in 'restoreFileSpecs'.")
            }
            if !original {
                guard specs.count <= 1 else { throw BackupError.invalidInput("An alternate-location FullShareRestore takes at most one restoreFileSpec.") }
                folder = specs.first?.folder ?? ""
            }
        } else {
            guard (1...100).contains(specs.count) else {
                throw BackupError.invalidInput("An ItemLevelRestore takes 1 to 100 'restoreFileSpecs'.")
            }
            guard specs.allSatisfy({ $0.path != nil }) else {
                throw BackupError.invalidInput("Each restoreFileSpec of an ItemLevelRestore needs a non-empty 'path'.")
            }
            if !original {
                let folders = Set(specs.map(\.folder))
                guard folders.count == 1 else {
                    throw BackupError.invalidInput("All restoreFileSpecs of an alternate-location restore must have the same 'targetFolderPath'.")
                }
                folder = specs[0].folder
            }
        }
        // Target.
        var target = share
        if !original {
            guard let details = p["targetDetails"] as? [String: Any], let name = try JSON.string(details, "name"), !name.isEmpty else {
                throw BackupError.invalidInput("'targetDetails.name' is required for a restore to an alternate location.")
            }
            if let id = try JSON.string(details, "targetResourceId"), !namesServedAccount(id) {
                throw BackupError.invalidInput("'targetDetails.targetResourceId' must name the storage account '\(account)'.")
            }
            do {
                try Names.validateShare(name.lowercased())
            } catch {
                throw BackupError.invalidInput("The target file share name '\(name)' is invalid: \(error.message)")
            }
            guard let existing = try await existingShare(name) else {
                throw BackupError(.badRequest, "TargetFileShareNotFound", "Target file share not found.")
            }
            target = existing
        }
        // Spec paths must exist in the snapshot with their kind; the folder must not name a file.
        let source = store.share(share, snapshot: snapshot.name)
        var selections: [RestoreSelection] = []
        if requestType == "ItemLevelRestore" {
            for spec in specs {
                guard let path = spec.path else { continue }
                let info: NodeInfo
                do {
                    info = try await source.info(path)
                } catch let error as ShareCoreError where error.code != .closed {
                    throw BackupError(.badRequest, "DataTransferServiceSourceUriNotValid",
                                      "Restore fails because one of the files in the source does not exist: '\(path)'.")
                }
                guard info.kind == spec.kind else {
                    throw BackupError(.badRequest, "DataTransferServiceSourceUriNotValid",
                                      "Restore fails because one of the files in the source does not exist: '\(path)' is not a \(spec.kind == .file ? "file" : "directory").")
                }
                selections.append(RestoreSelection(path: path, kind: spec.kind))
            }
        }
        if !folder.isEmpty {
            let dest = store.share(target)
            var prefix = ""
            for component in folder.split(separator: "/") {
                prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
                guard let info = try? await dest.info(prefix) else { break }
                guard info.kind == .directory else {
                    throw BackupError.invalidInput("The target folder path '\(folder)' names a file ('\(prefix)').")
                }
            }
        }
        // The job exists from the 202 on.
        var bag = ["Source File Share Name": share, "Source Storage Account Name": account]
        if original {
            bag["Job Type"] = "Recover to the original file share"
            bag["RestoreDestination"] = "\(account)/\(share)"
        } else {
            bag["Job Type"] = "Recover to an alternate file share"
            bag["RestoreDestination"] = "\(account)/\(target)" + (folder.isEmpty ? "" : "/\(folder)")
            bag["Target File Share Name"] = target
            bag["Target Storage Account Name"] = account
        }
        let job = runner.newJob(vault, operation: "Restore", share: share, activityId: activityId, bag: bag)
        let operation = runner.newOperation(vault, job: job.id, scope: "item:\(share)")
        try await runner.record(job, operation)
        runner.startRestore(job, SnapshotRestore(share: share, snapshot: snapshot.name, selections: selections,
                                                 targetShare: target, targetFolder: folder, copyOption: copy))
        let path = itemPath(share)
        return accepted(location: "\(path)/operationResults/\(operation.id)", asyncOperation: "\(path)/operationsStatus/\(operation.id)")
    }
}
