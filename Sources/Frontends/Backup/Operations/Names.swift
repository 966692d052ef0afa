import ShareCore

/// Fabric, container and item names (contract §4).
extension BackupContext {
    /// The fabric must be `Azure`.
    func checkFabric(_ fabric: String) throws(BackupError) {
        guard fabric.lowercased() == "azure" else { throw .itemNotFound }
    }

    /// `StorageContainer;storage;{rg};{account}` with the served account, else 404.
    func checkContainer(_ path: ContainerPath) throws(BackupError) {
        try checkFabric(path.fabric)
        let parts = path.container.split(separator: ";", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].lowercased() == "storagecontainer", parts[1].lowercased() == "storage",
              parts[3].lowercased() == account.lowercased()
        else { throw .itemNotFound }
    }

    /// The share an item path names (`AzureFileShare;{share}`), which must exist; else 404.
    func share(of item: ItemPath) async throws -> String {
        try checkContainer(item.container)
        let parts = item.item.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].lowercased() == "azurefileshare", !parts[1].isEmpty else { throw BackupError.itemNotFound }
        guard let name = try await existingShare(String(parts[1])) else { throw BackupError.itemNotFound }
        return name
    }

    /// The stored name of share `name` (matched case-insensitively), or nil.
    func existingShare(_ name: String) async throws -> String? {
        for candidate in [name, name.lowercased()] {
            do {
                return try await store.shareInfo(candidate).name
            } catch let error as ShareCoreError where error.code == .shareNotFound || error.code == .invalidShareName {
                continue
            }
        }
        return nil
    }

    /// Whether `id` (an ARM resource id) names the served storage account: only its last segment counts.
    func namesServedAccount(_ id: String) -> Bool {
        let last = id.split(separator: "/").last.map(String.init) ?? ""
        return last.lowercased() == account.lowercased()
    }
}

/// Paths inside a share as restore requests write them (`/` or `\`, outer separators ignored).
enum RestorePath {
    /// The normalized `/`-separated path; 400 on empty, `.` or `..` segments.
    static func normalize(_ text: String?) throws(BackupError) -> String {
        guard let text else { return "" }
        var t = Substring(text.replacingOccurrences(of: "\\", with: "/"))
        while t.hasPrefix("/") { t = t.dropFirst() }
        while t.hasSuffix("/") { t = t.dropLast() }
        if t.isEmpty { return "" }
        let parts = t.split(separator: "/", omittingEmptySubsequences: false)
        for part in parts {
            guard !part.isEmpty, part != ".", part != ".." else {
                throw .invalidInput("The path '\(text)' has an empty, '.' or '..' segment.")
            }
            do {
                try Names.validateComponent(String(part))
            } catch {
                throw .invalidInput("The path '\(text)' has an invalid name: \(error.message)")
            }
        }
        return parts.joined(separator: "/")
    }
}
