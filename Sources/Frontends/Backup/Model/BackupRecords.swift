import Foundation
import ShareCore

/// The names of a vault as a request spelled them: ids in responses use them. Vaults are
/// identified case-insensitively by ``key``.
struct VaultNames: Codable, Sendable, Hashable {
    var subscription: String
    var resourceGroup: String
    var vault: String

    /// The vault's identity: subscription, resource group and vault name, lower-cased.
    var key: String { "\(subscription)/\(resourceGroup)/\(vault)".lowercased() }

    /// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{vault}`.
    var path: String {
        "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/Microsoft.RecoveryServices/vaults/\(vault)"
    }
}

/// A backup policy of a vault: its name as first written and the `properties` object as sent.
struct PolicyRecord: Codable, Sendable {
    var vault: VaultNames
    var name: String
    /// The request's `properties` object, serialized.
    var properties: String
}

/// A share protected by a vault (a "protected item").
struct ItemRecord: Codable, Sendable {
    var vault: VaultNames
    var share: String
    /// The policy's stored name; empty when protection is stopped.
    var policy: String
    /// `Protected` or `ProtectionStopped`.
    var state: String
    /// The next scheduled backup (100-ns ticks since 1970), nil when none is planned.
    var nextRun: Int64?
    var lastBackupTime: Int64?
    var lastBackupStatus: String
}

/// A vault's registration of the served storage account.
struct ContainerRecord: Codable, Sendable {
    var vault: VaultNames
    var registered: Int64
}

/// A backup job (an `AzureStorageJob`).
struct JobRecord: Codable, Sendable {
    var id: String
    var vault: VaultNames
    /// `Restore`, `Backup`, `ConfigureBackup`, `DisableBackup`, `DeleteBackupData`, `Register`.
    var operation: String
    /// `InProgress`, `Completed`, `CompletedWithWarnings`, `Failed`, `Cancelling`, `Cancelled`.
    var status: String
    var share: String
    var start: Int64
    var end: Int64?
    var activityId: String
    var userTriggered: Bool
    var propertyBag: [String: String]
    var errorCode: String?
    var errorMessage: String?

    var isTerminal: Bool { !["InProgress", "Cancelling"].contains(status) }
}

/// An asynchronous operation: what its status URL reports follows its job.
struct OperationRecord: Codable, Sendable {
    var id: String
    var vault: VaultNames
    /// The job it follows; nil for operations that finish at once (refresh, inquire).
    var jobId: String?
    /// What it belongs to: `item:{share}`, `container`, `fabric`, `job:{id}` (lower-case).
    var scope: String
    var start: Int64
    /// What its `operationResults` returns when done: `none` (204), `item` or `container` (200 + resource).
    var result: String
}

/// A snapshot a vault took, with the time it expires (nil: suspended, protection stopped).
struct PointRecord: Codable, Sendable {
    var vault: VaultNames
    var share: String
    var snapshot: String
    var expiry: Int64?
}

/// The record tables of the Backup front, and their key layout.
enum BackupTables {
    static let policies = RecordTable("backup.policies")
    static let items = RecordTable("backup.items")
    static let containers = RecordTable("backup.containers")
    static let jobs = RecordTable("backup.jobs")
    static let operations = RecordTable("backup.operations")
    static let points = RecordTable("backup.points")

    static func policyKey(_ vault: VaultNames, _ name: String) -> [UInt8] { Array("\(vault.key)/\(name.lowercased())".utf8) }
    static func itemKey(_ vault: VaultNames, _ share: String) -> [UInt8] { Array("\(vault.key)/\(share.lowercased())".utf8) }
    static func containerKey(_ vault: VaultNames) -> [UInt8] { Array(vault.key.utf8) }
    static func jobKey(_ vault: VaultNames, _ id: String) -> [UInt8] { Array("\(vault.key)/\(id.lowercased())".utf8) }
    static func operationKey(_ vault: VaultNames, _ id: String) -> [UInt8] { Array("\(vault.key)/\(id.lowercased())".utf8) }
    static func pointKey(_ share: String, _ snapshot: String) -> [UInt8] { Array("\(share)/\(snapshot)".utf8) }
    static func vaultPrefix(_ vault: VaultNames) -> [UInt8] { Array("\(vault.key)/".utf8) }

    /// Every table with a verifier that decodes each record, for `sharecore check`.
    static var verifiers: [RecordTable: RecordVerifier] {
        func decodes<T: Decodable & Sendable>(_ type: T.Type) -> RecordVerifier {
            { _, value in _ = try Coding.decode(type, value) }
        }
        return [policies: decodes(PolicyRecord.self), items: decodes(ItemRecord.self),
                containers: decodes(ContainerRecord.self), jobs: decodes(JobRecord.self),
                operations: decodes(OperationRecord.self), points: decodes(PointRecord.self)]
    }
}

/// Record values are JSON.
enum Coding {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}

extension RecordReader {
    func decoded<T: Decodable>(_ type: T.Type, _ table: RecordTable, _ key: [UInt8]) throws -> T? {
        try get(table, key).map { try Coding.decode(type, $0) }
    }

    func all<T: Decodable>(_ type: T.Type, _ table: RecordTable, prefix: [UInt8] = []) throws -> [T] {
        var out: [T] = []
        try scan(table, prefix: prefix) { _, value in
            out.append(try Coding.decode(type, value))
            return true
        }
        return out
    }
}

extension RecordWriter {
    func decoded<T: Decodable>(_ type: T.Type, _ table: RecordTable, _ key: [UInt8]) throws -> T? {
        try reader.decoded(type, table, key)
    }

    func put<T: Encodable>(_ table: RecordTable, _ key: [UInt8], _ value: T, owner: String? = nil) throws {
        try put(table, key, try Coding.encode(value), owner: owner)
    }
}
