extension ShareStore {
    /// Replaces the stored access policies of share `name` (at most 5, ids of 1 to 64
    /// characters, unique).
    @discardableResult
    public func setShareAccessPolicies(_ name: String, _ policies: [AccessPolicy], leaseId: String? = nil) async throws -> ShareInfo {
        guard policies.count <= 5 else {
            throw ShareCoreError(.invalidArgument, "\(policies.count) access policies given; a share holds at most 5")
        }
        for policy in policies where policy.id.isEmpty || policy.id.count > 64 {
            throw ShareCoreError(.invalidArgument, "access policy id '\(policy.id)' must be 1 to 64 characters")
        }
        guard Set(policies.map(\.id)).count == policies.count else {
            throw ShareCoreError(.invalidArgument, "access policy ids must be unique")
        }
        return try await mutate(share: name) { m in
            try m.authorizeShare(leaseId, required: true)
            m.share.accessPolicies = policies
            m.touchShare()
            return m.share.info()
        }
    }

    /// Stores a security descriptor (SDDL) for share `name` and returns its key; storing the
    /// same descriptor again returns the same key.
    public func createPermission(share name: String, _ descriptor: String) async throws -> String {
        guard !descriptor.isEmpty, descriptor.utf8.count <= 64 * 1024 else {
            throw ShareCoreError(.invalidArgument, "a permission must be 1 byte to 64 KiB")
        }
        let key = Self.permissionKey(descriptor)
        return try await mutate(share: name) { m in
            try m.txn.put(.permissions, Key.u64(m.share.id) + Array(key.utf8), Array(descriptor.utf8))
            return key
        }
    }

    /// The security descriptor stored under `key` for share `name`.
    public func permission(share name: String, key: String) async throws -> String {
        try env.read { txn in
            let record = try loadShare(txn, name)
            guard let raw = try txn.get(.permissions, Key.u64(record.id) + Array(key.utf8)) else {
                throw ShareCoreError(.resourceNotFound, "share '\(name)' has no permission with key '\(key)'")
            }
            return String(decoding: raw, as: UTF8.self)
        }
    }

    /// The key ``createPermission(share:_:)`` stores `descriptor` under: two decimal numbers
    /// joined by `*` (Azure's shape), derived from the descriptor so equal descriptors share a key.
    public static func permissionKey(_ descriptor: String) -> String {
        let bytes = Array(descriptor.utf8)
        let first = XXH3.hash(bytes)
        let second = XXH3.hash(bytes + [0x2A])
        return "\(first)*\(second)"
    }

    /// A small named value kept in the store for a front's service-wide settings.
    public func setting(_ name: String) async throws -> [UInt8]? {
        try env.read { txn in try txn.get(.meta, Array(("setting/" + name).utf8)).map { Array($0) } }
    }

    /// Stores (or with nil removes) a service-wide setting.
    public func setSetting(_ name: String, _ value: [UInt8]?) async throws {
        try await write { txn in
            let key = Array(("setting/" + name).utf8)
            if let value { try txn.put(.meta, key, value) } else { try txn.delete(.meta, key) }
        }
    }
}

