import FrontKit
import HTTPTypes

/// What a request path names below a vault. Segments are matched case-insensitively after
/// one percent-decoding (so `%3B` and `;` are the same); names keep the request's spelling.
enum BackupResource: Equatable {
    case jobs
    case job(String)
    case jobCancel(String)
    case jobOperationResult(job: String, operation: String)
    case backupOperation(String)
    case backupOperationResult(String)
    case policies
    case policy(String)
    case protectableItems
    case protectedItems
    case protectionContainers
    case protectableContainers(fabric: String)
    case refreshContainers(fabric: String)
    case fabricOperationResult(fabric: String, operation: String)
    case container(ContainerPath)
    case containerInquire(ContainerPath)
    case containerOperationResult(ContainerPath, operation: String)
    case item(ItemPath)
    case itemBackup(ItemPath)
    case itemOperationResult(ItemPath, operation: String)
    case itemOperationStatus(ItemPath, operation: String)
    case recoveryPoints(ItemPath)
    case recoveryPoint(ItemPath, String)
    case restore(ItemPath, String)

    /// The methods the resource answers.
    var methods: Set<HTTPRequest.Method> {
        switch self {
        case .jobCancel, .refreshContainers, .containerInquire, .itemBackup, .restore: [.post]
        case .policy, .item: [.get, .put, .delete]
        case .container: [.get, .put, .delete]
        default: [.get]
        }
    }
}

/// `backupFabrics/{fabric}/protectionContainers/{container}` as the request spelled them.
struct ContainerPath: Equatable {
    var fabric: String
    var container: String
}

/// A container path plus `protectedItems/{item}`.
struct ItemPath: Equatable {
    var container: ContainerPath
    var item: String
}

/// A parsed management request: the vault, the resource, the query.
struct BackupRoute {
    var vault: VaultNames
    var resource: BackupResource
    var apiVersion: String
    var query: [(name: String, value: String)]

    /// The first query value named `name` (case-insensitive).
    func query(_ name: String) -> String? {
        let lower = name.lowercased()
        return query.first { $0.name.lowercased() == lower }?.value
    }

    /// Parses `target`: api-version, subscription and route, in that order.
    static func parse(_ target: RequestTarget, method: HTTPRequest.Method) throws(BackupError) -> BackupRoute {
        let query = target.query
        guard let version = query.first(where: { $0.name.lowercased() == "api-version" })?.value else {
            throw BackupError(.badRequest, "MissingApiVersionParameter",
                              "The api-version query parameter (?api-version=) is required for all requests.")
        }
        guard isAPIVersion(version) else {
            throw BackupError(.badRequest, "InvalidApiVersionParameter",
                              "The api-version '\(version)' is invalid. The supported versions are dates such as '2019-05-13' or '2026-10-01'.")
        }
        let s = target.segments
        func at(_ i: Int, _ word: String) -> Bool { i < s.count && s[i].lowercased() == word.lowercased() }
        guard at(0, "subscriptions"), s.count > 1 else { throw notFound(target) }
        guard isGUID(s[1]) else {
            throw BackupError(.badRequest, "InvalidSubscriptionId", "The provided subscription identifier '\(s[1])' is malformed or invalid.")
        }
        guard s.count >= 8, at(2, "resourceGroups"), at(4, "providers"), at(5, "Microsoft.RecoveryServices"), at(6, "vaults"),
              !s[3].isEmpty, !s[7].isEmpty
        else { throw notFound(target) }
        let vault = VaultNames(subscription: s[1], resourceGroup: s[3], vault: s[7])
        let rest = Array(s[8...])
        guard let resource = resource(rest) else { throw notFound(target) }
        guard resource.methods.contains(method) else {
            throw BackupError(.methodNotAllowed, "MethodNotAllowed", "The method '\(method.rawValue)' is not allowed on this resource.")
        }
        return BackupRoute(vault: vault, resource: resource, apiVersion: version, query: query)
    }

    static func notFound(_ target: RequestTarget) -> BackupError {
        BackupError(.notFound, "NotFound", "The requested resource '\(target.rawPath)' was not found.")
    }

    /// The resource named by the segments after `vaults/{vault}`.
    static func resource(_ r: [String]) -> BackupResource? {
        let w = r.map { $0.lowercased() }
        func named(_ i: Int) -> String? { i < r.count && !r[i].isEmpty ? r[i] : nil }
        guard let first = w.first else { return nil }
        switch (first, r.count) {
        case ("backupjobs", 1): return .jobs
        case ("backupjobs", 2): return named(1).map { .job($0) }
        case ("backupjobs", 3) where w[2] == "cancel": return named(1).map { .jobCancel($0) }
        case ("backupjobs", 4) where w[2] == "operationresults":
            guard let job = named(1), let op = named(3) else { return nil }
            return .jobOperationResult(job: job, operation: op)
        case ("backupoperations", 2): return named(1).map { .backupOperation($0) }
        case ("backupoperationresults", 2): return named(1).map { .backupOperationResult($0) }
        case ("backuppolicies", 1): return .policies
        case ("backuppolicies", 2): return named(1).map { .policy($0) }
        case ("backupprotectableitems", 1): return .protectableItems
        case ("backupprotecteditems", 1): return .protectedItems
        case ("backupprotectioncontainers", 1): return .protectionContainers
        case ("backupfabrics", _) where r.count >= 3:
            guard let fabric = named(1) else { return nil }
            return fabricResource(fabric, Array(r[2...]), Array(w[2...]))
        default: return nil
        }
    }

    static func fabricResource(_ fabric: String, _ r: [String], _ w: [String]) -> BackupResource? {
        func named(_ i: Int) -> String? { i < r.count && !r[i].isEmpty ? r[i] : nil }
        switch (w[0], r.count) {
        case ("protectablecontainers", 1): return .protectableContainers(fabric: fabric)
        case ("refreshcontainers", 1): return .refreshContainers(fabric: fabric)
        case ("operationresults", 2): return named(1).map { .fabricOperationResult(fabric: fabric, operation: $0) }
        case ("protectioncontainers", _) where r.count >= 2:
            guard let name = named(1) else { return nil }
            let container = ContainerPath(fabric: fabric, container: name)
            if r.count == 2 { return .container(container) }
            switch (w[2], r.count) {
            case ("inquire", 3): return .containerInquire(container)
            case ("operationresults", 4): return named(3).map { .containerOperationResult(container, operation: $0) }
            case ("protecteditems", _) where r.count >= 4:
                guard let itemName = named(3) else { return nil }
                let item = ItemPath(container: container, item: itemName)
                if r.count == 4 { return .item(item) }
                switch (w[4], r.count) {
                case ("backup", 5): return .itemBackup(item)
                case ("operationresults", 6): return named(5).map { .itemOperationResult(item, operation: $0) }
                case ("operationsstatus", 6): return named(5).map { .itemOperationStatus(item, operation: $0) }
                case ("recoverypoints", 5): return .recoveryPoints(item)
                case ("recoverypoints", 6): return named(5).map { .recoveryPoint(item, $0) }
                case ("recoverypoints", 7) where w[6] == "restore": return named(5).map { .restore(item, $0) }
                default: return nil
                }
            default: return nil
            }
        default: return nil
        }
    }

    /// `YYYY-MM-DD` or `YYYY-MM-DD-preview`.
    static func isAPIVersion(_ v: String) -> Bool {
        var text = Substring(v)
        if text.hasSuffix("-preview") { text = text.dropLast(8) }
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return false }
        return b.enumerated().allSatisfy { i, c in i == 4 || i == 7 || (48...57).contains(c) }
    }

    /// A GUID: 8-4-4-4-12 hex digits, optionally in braces.
    static func isGUID(_ text: String) -> Bool {
        var t = Substring(text)
        if t.hasPrefix("{") && t.hasSuffix("}") { t = t.dropFirst().dropLast() }
        let groups = t.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}
