import Foundation
import FrontKit
import HTTPTypes
import ShareCore

enum ShareOperations {
    /// Create Share: `PUT ?restype=share` with quota, access tier, protocols and metadata.
    static func createShare(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        var options = ShareOptions()
        if let quota = request.header("x-ms-share-quota") {
            guard let value = UInt32(quota), (1...ShareOptions.maxQuotaGiB).contains(value) else {
                throw FileRESTError.invalidHeader("x-ms-share-quota", quota)
            }
            options.quotaGiB = value
        }
        options.accessTier = request.header("x-ms-access-tier")
        if let protocols = request.header("x-ms-enabled-protocols") {
            // NFS shares are refused as on a standard account (see docs/FILEREST.md, "NFS").
            guard protocols.uppercased() == "SMB" else { throw FileRESTError.invalidHeader("x-ms-enabled-protocols", protocols) }
            options.enabledProtocols = "SMB"
        }
        options.rootSquash = request.header("x-ms-root-squash")
        if let metadata = try Headers.metadata(request) { options.metadata = metadata }
        let info = try await context.store.createShare(try context.shareName(), options: options)
        var fields = HTTPFields()
        fields.set("ETag", Headers.etag(info.etag))
        fields.set("Last-Modified", Headers.httpDate(info.lastModified))
        return context.response(.created, fields)
    }

    /// Snapshot Share: `PUT ?restype=share&comp=snapshot`, optionally with metadata for the
    /// snapshot (otherwise it keeps the share's). 201 with `x-ms-snapshot`.
    static func snapshotShare(_ context: OperationContext) async throws -> FrontResponse {
        let name = try context.shareName()
        let metadata = try Headers.metadata(context.request)
        let snapshot = try await context.store.createSnapshot(of: name, metadata: metadata)
        let info = try await context.store.shareInfo(name, snapshot: snapshot.name)
        var fields = HTTPFields()
        fields.set("x-ms-snapshot", snapshot.name)
        fields.set("ETag", Headers.etag(info.etag))
        fields.set("Last-Modified", Headers.httpDate(info.lastModified))
        return context.response(.created, fields)
    }

    /// Delete Share: one snapshot with `sharesnapshot=`, or the share, which with snapshots
    /// needs `x-ms-delete-snapshots: include` (or `include-leased`). A leased share needs its
    /// lease id. 202 Accepted.
    static func deleteShare(_ context: OperationContext) async throws -> FrontResponse {
        let name = try context.shareName()
        if let snapshot = try snapshotParameter(context) {
            try await context.store.deleteSnapshot(of: name, snapshot, leaseId: context.request.header("x-ms-lease-id"))
            return context.response(.accepted)
        }
        let mode: SnapshotDeletion
        switch context.request.header("x-ms-delete-snapshots") {
        case nil: mode = .refuse
        case let value? where value.lowercased() == "include": mode = .include
        case let value? where value.lowercased() == "include-leased": mode = .includeLeased
        case let value?: throw FileRESTError.invalidHeader("x-ms-delete-snapshots", value)
        }
        let leaseId = context.request.header("x-ms-lease-id")
        do {
            try await onShare { try await context.store.deleteShare(name, snapshots: mode, leaseId: leaseId) }
        } catch let error as ShareCoreError where error.code == .snapshotLeased {
            throw FileRESTError(.conflict, "DeleteShareWhenSnapshotLeased",
                                "Unable to delete share because one or more share snapshots have active leases. Release the share snapshot leases or delete the share with the include-leased parameter for x-ms-delete-snapshots.")
        }
        return context.response(.accepted)
    }

    /// Get Share Properties (`GET`/`HEAD ?restype=share`), also at `sharesnapshot`: metadata,
    /// quota, access tier, protocols, lease state, ETag and Last-Modified as headers.
    static func getShareProperties(_ context: OperationContext) async throws -> FrontResponse {
        let info = try await shareInfo(context)
        var fields = HTTPFields()
        Headers.addMetadata(info.metadata, to: &fields)
        fields.set("ETag", Headers.etag(info.etag))
        fields.set("Last-Modified", Headers.httpDate(info.lastModified))
        fields.set("x-ms-share-quota", String(info.quotaGiB))
        fields.set("x-ms-access-tier", accessTier(info))
        fields.set("x-ms-access-tier-change-time", Headers.httpDate(info.accessTierChangeTime ?? info.created))
        fields.set("x-ms-enabled-protocols", enabledProtocols(info))
        if let squash = rootSquash(info) { fields.set("x-ms-root-squash", squash) }
        LeaseOperations.addStatus(info.lease, to: &fields)
        return context.response(.ok, fields)
    }

    /// Set Share Properties (`PUT ?restype=share&comp=properties`): quota, access tier, root
    /// squash. A leased share needs its lease id.
    static func setShareProperties(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        var update = ShareUpdate()
        if let quota = request.header("x-ms-share-quota") {
            guard let value = UInt32(quota), (1...ShareOptions.maxQuotaGiB).contains(value) else {
                throw FileRESTError.invalidHeader("x-ms-share-quota", quota)
            }
            update.quotaGiB = value
        }
        if let tier = request.header("x-ms-access-tier") {
            guard let canonical = canonical(tier, among: accessTiers) else { throw FileRESTError.invalidHeader("x-ms-access-tier", tier) }
            update.accessTier = canonical
        }
        if let squash = request.header("x-ms-root-squash") {
            guard let canonical = canonical(squash, among: rootSquashValues) else { throw FileRESTError.invalidHeader("x-ms-root-squash", squash) }
            update.rootSquash = canonical
        }
        let name = try context.shareName()
        let info = try await onShare {
            try await context.store.setShareProperties(name, update, leaseId: request.header("x-ms-lease-id"))
        }
        return context.response(.ok, changedFields(info))
    }

    /// Get Share Metadata (`GET`/`HEAD ?restype=share&comp=metadata`), also at a snapshot.
    static func getShareMetadata(_ context: OperationContext) async throws -> FrontResponse {
        let info = try await shareInfo(context)
        var fields = changedFields(info)
        Headers.addMetadata(info.metadata, to: &fields)
        return context.response(.ok, fields)
    }

    /// Set Share Metadata: replaces all metadata with the `x-ms-meta-*` headers (none clears it).
    static func setShareMetadata(_ context: OperationContext) async throws -> FrontResponse {
        let metadata = try Headers.metadata(context.request) ?? Metadata()
        let name = try context.shareName()
        let leaseId = context.request.header("x-ms-lease-id")
        let info = try await onShare { try await context.store.setShareMetadata(name, metadata, leaseId: leaseId) }
        return context.response(.ok, changedFields(info))
    }

    /// Get Share ACL: the stored access policies as `SignedIdentifiers` XML.
    static func getShareACL(_ context: OperationContext) async throws -> FrontResponse {
        let info = try await shareInfo(context)
        if context.request.method == .head { return context.response(.ok, changedFields(info)) }
        return context.xml(.ok, AccessPolicies.document(info.accessPolicies), changedFields(info))
    }

    /// Set Share ACL: replaces the stored access policies with the body's (at most 5; an empty
    /// body or `<SignedIdentifiers/>` removes them all).
    static func setShareACL(_ context: OperationContext) async throws -> FrontResponse {
        let policies = try AccessPolicies.parse(try await context.smallBody())
        let name = try context.shareName()
        let leaseId = context.request.header("x-ms-lease-id")
        let info = try await onShare { try await context.store.setShareAccessPolicies(name, policies, leaseId: leaseId) }
        return context.response(.ok, changedFields(info))
    }

    /// Get Share Stats: `ShareStats` XML with the bytes stored in the live share.
    static func getShareStats(_ context: OperationContext) async throws -> FrontResponse {
        let info = try await shareInfo(context)
        let stats = try await context.store.shareStats(info.name)
        var xml = XMLWriter(byteOrderMark: true)
        xml.open("ShareStats")
        xml.element("ShareUsageBytes", String(stats.usedBytes))
        xml.close("ShareStats")
        return context.xml(.ok, xml, changedFields(info))
    }

    /// Create Permission: `PUT ?restype=share&comp=filepermission` with a JSON body
    /// `{"permission": "<SDDL>"}` (newer versions add `"format": "sddl"|"binary"`). 201 with
    /// `x-ms-file-permission-key`; the same descriptor always gets the same key.
    static func createPermission(_ context: OperationContext) async throws -> FrontResponse {
        let body = try await context.smallBody(limit: 256 * 1024)
        let stored = try Permissions.parseCreateBody(body)
        let key = try await context.store.createPermission(share: try context.shareName(), stored)
        var fields = HTTPFields()
        fields.set("x-ms-file-permission-key", key)
        return context.response(.created, fields)
    }

    /// Get Permission: the descriptor stored under `x-ms-file-permission-key`, as JSON, in the
    /// format `x-ms-file-permission-format` asks for (SDDL when it is absent), converted when it
    /// was stored in the other.
    static func getPermission(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        guard let key = request.header("x-ms-file-permission-key") else { throw FileRESTError.missingHeader("x-ms-file-permission-key") }
        let requestedFormat = try request.header("x-ms-file-permission-format").map(Permissions.format)
        let name = try context.shareName()
        let stored: String
        if key == FileRESTService.defaultPermissionKey {
            _ = try await context.store.shareInfo(name)
            stored = FileRESTService.defaultPermission
        } else {
            do {
                stored = try await context.store.permission(share: name, key: key)
            } catch let error as ShareCoreError where error.code == .resourceNotFound {
                throw FileRESTError(.badRequest, "FileInvalidPermissionKey", "The specified file permission key doesn't exist in the share.")
            }
        }
        let body = try Permissions.responseBody(stored, format: requestedFormat)
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = String(body.count)
        var response = context.response(.ok, fields)
        response.body = .bytes(body)
        return response
    }

    // MARK: Helpers

    /// The access tiers a standard account offers, as Azure spells them.
    static let accessTiers = ["TransactionOptimized", "Hot", "Cool"]
    /// The NFS root squash settings, as Azure spells them.
    static let rootSquashValues = ["NoRootSquash", "RootSquash", "AllSquash"]

    /// `value` in Azure's spelling when it is one of `choices` (ignoring case).
    static func canonical(_ value: String, among choices: [String]) -> String? {
        choices.first { $0.lowercased() == value.lowercased() }
    }

    /// The access tier reported: the one set, else the default of standard accounts.
    static func accessTier(_ info: ShareInfo) -> String { info.accessTier ?? "TransactionOptimized" }

    /// The enabled protocols reported (`SMB` unless created otherwise).
    static func enabledProtocols(_ info: ShareInfo) -> String { info.enabledProtocols ?? "SMB" }

    /// The root squash reported: only for NFS shares (`NoRootSquash` unless set).
    static func rootSquash(_ info: ShareInfo) -> String? {
        guard enabledProtocols(info).uppercased().contains("NFS") else { return nil }
        return info.rootSquash ?? "NoRootSquash"
    }

    /// `ETag` and `Last-Modified` of a share.
    static func changedFields(_ info: ShareInfo) -> HTTPFields {
        var fields = HTTPFields()
        fields.set("ETag", Headers.etag(info.etag))
        fields.set("Last-Modified", Headers.httpDate(info.lastModified))
        return fields
    }

    /// The `sharesnapshot` parameter, checked to be a snapshot time.
    static func snapshotParameter(_ context: OperationContext) throws -> String? {
        guard let snapshot = context.request.snapshot else { return nil }
        guard FileTime(iso8601: snapshot) != nil else { throw FileRESTError.invalidQuery("sharesnapshot", snapshot) }
        return snapshot
    }

    /// The share (or snapshot) the request reads. A lease id presented on the live share must
    /// name its active lease.
    static func shareInfo(_ context: OperationContext) async throws -> ShareInfo {
        let snapshot = try snapshotParameter(context)
        let info = try await context.store.shareInfo(try context.shareName(), snapshot: snapshot)
        if snapshot == nil, let presented = context.request.header("x-ms-lease-id") {
            guard let lease = info.lease, lease.isActive(at: .now()) else { throw leaseNotPresent }
            guard lease.id == presented else { throw leaseMismatch }
        }
        return info
    }

    static let leaseMismatch = FileRESTError(.preconditionFailed, "LeaseIdMismatchWithContainerOperation",
                                             "The lease ID specified did not match the lease ID for the file share.")
    static let leaseNotPresent = FileRESTError(.preconditionFailed, "LeaseNotPresentWithContainerOperation",
                                               "There is currently no lease on the file share.")
    static let leaseMissing = FileRESTError(.preconditionFailed, "LeaseIdMissing",
                                            "There is currently a lease on the file share and no lease ID was specified in the request.")

    /// Runs a share-level change, reporting lease failures as Azure does for shares.
    static func onShare<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ShareCoreError {
            switch error.code {
            case .leaseIdMismatch: throw leaseMismatch
            case .leaseNotPresent: throw leaseNotPresent
            case .leaseIdMissing: throw leaseMissing
            default: throw error
            }
        }
    }
}

/// Stored access policies (`SignedIdentifiers`) in Azure's XML form.
enum AccessPolicies {
    /// The most policies a share holds.
    static let limit = 5

    /// Parses a Set Share ACL body; empty means no policies.
    static func parse(_ body: [UInt8]) throws -> [AccessPolicy] {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [] }
        guard let root = XMLElement.parse(body), root.name == "SignedIdentifiers" else {
            throw ServiceProperties.invalidDocument("The body must be a SignedIdentifiers document.")
        }
        let identifiers = root.children("SignedIdentifier")
        guard identifiers.count == root.children.count else {
            throw ServiceProperties.invalidDocument("SignedIdentifiers may hold only SignedIdentifier elements.")
        }
        guard identifiers.count <= limit else {
            throw ServiceProperties.invalidDocument("At most \(limit) signed identifiers are allowed; \(identifiers.count) were given.")
        }
        var policies: [AccessPolicy] = []
        for identifier in identifiers {
            let policy = try parse(identifier)
            guard !policies.contains(where: { $0.id == policy.id }) else { throw ServiceProperties.invalidValue("Id", policy.id) }
            policies.append(policy)
        }
        return policies
    }

    static func parse(_ identifier: XMLElement) throws -> AccessPolicy {
        guard let id = identifier.value("Id"), !id.isEmpty else { throw ServiceProperties.invalidDocument("A SignedIdentifier needs an Id.") }
        guard id.count <= 64 else { throw ServiceProperties.invalidValue("Id", id) }
        var policy = AccessPolicy(id: id)
        guard let element = identifier.child("AccessPolicy") else { return policy }
        if let start = element.value("Start"), !start.isEmpty { policy.start = try time(start, node: "Start") }
        if let expiry = element.value("Expiry"), !expiry.isEmpty { policy.expiry = try time(expiry, node: "Expiry") }
        if let permission = element.value("Permission"), !permission.isEmpty {
            guard permission.allSatisfy({ "rcwdl".contains($0) }) else { throw ServiceProperties.invalidValue("Permission", permission) }
            policy.permissions = permission
        }
        return policy
    }

    /// An ISO 8601 UTC time (`2024-05-01T10:00:00Z`, up to 7 fractional digits) or a date.
    static func time(_ text: String, node: String) throws -> FileTime {
        if let t = FileTime(iso8601: text) { return t }
        if text.count == 10, let t = FileTime(iso8601: text + "T00:00:00Z") { return t }
        throw ServiceProperties.invalidValue(node, text)
    }

    /// The Get Share ACL document; times with seven fractional digits, as the service writes them.
    static func document(_ policies: [AccessPolicy]) -> XMLWriter {
        var xml = XMLWriter(byteOrderMark: true)
        guard !policies.isEmpty else {
            xml.empty("SignedIdentifiers")
            return xml
        }
        xml.open("SignedIdentifiers")
        for policy in policies {
            xml.open("SignedIdentifier")
            xml.element("Id", policy.id)
            if policy.start == nil && policy.expiry == nil && policy.permissions == nil {
                xml.empty("AccessPolicy")
            } else {
                xml.open("AccessPolicy")
                xml.element("Start", ifPresent: policy.start?.iso8601)
                xml.element("Expiry", ifPresent: policy.expiry?.iso8601)
                xml.element("Permission", ifPresent: policy.permissions)
                xml.close("AccessPolicy")
            }
            xml.close("SignedIdentifier")
        }
        xml.close("SignedIdentifiers")
        return xml
    }
}

/// Share-level permissions (security descriptors) of Create/Get Permission.
enum Permissions {
    /// Binary descriptors are stored base64-encoded behind this tag, SDDL as given.
    static let binaryTag = "binary:"

    /// `sddl` or `binary` (ignoring case) as the tag the request means.
    static func format(_ raw: String) throws -> String {
        switch raw.lowercased() {
        case "sddl": return "Sddl"
        case "binary": return "Binary"
        default: throw FileRESTError.invalidHeader("x-ms-file-permission-format", raw)
        }
    }

    /// The descriptor to store from a Create Permission body: SDDL as given, binary as
    /// `binaryTag` + base64. Either must read as a security descriptor (400
    /// `FileInvalidPermission` otherwise).
    static func parseCreateBody(_ body: [UInt8]) throws -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw FileRESTError(.badRequest, "InvalidInput", "One of the request inputs is not valid. The body must be a JSON object.")
        }
        guard let permission = object["permission"] as? String else {
            throw FileRESTError(.badRequest, "InvalidInput", "One of the request inputs is not valid. The body needs a \"permission\".")
        }
        let format = (object["format"] as? String)?.lowercased() ?? "sddl"
        switch format {
        case "sddl":
            guard isValidSDDL(permission) else { throw invalidPermission }
            return permission
        case "binary":
            guard isValidBinary(permission) else { throw invalidPermission }
            return binaryTag + permission
        default:
            throw FileRESTError(.badRequest, "InvalidInput", "One of the request inputs is not valid. Unknown permission format '\(format)'.")
        }
    }

    static let invalidPermission = FileRESTError(.badRequest, "FileInvalidPermission", "The specified file permission is not valid.")

    /// The Get Permission body: `{"permission": …}` in `format` (`Sddl` or `Binary`; SDDL when
    /// nil), with `"format"` when the request asked for one (versions 2024-11-04 and later).
    static func responseBody(_ stored: String, format: String?) throws -> [UInt8] {
        let isBinary = stored.hasPrefix(binaryTag)
        let value: String
        do {
            switch (isBinary, format == "Binary") {
            case (true, true): value = String(stored.dropFirst(binaryTag.count))
            case (false, false): value = stored
            case (true, false):
                let bytes = Data(base64Encoded: String(stored.dropFirst(binaryTag.count))) ?? Data()
                value = try SecurityDescriptor(binary: Array(bytes)).sddl
            case (false, true):
                value = Data(try SecurityDescriptor(sddl: stored).binary).base64EncodedString()
            }
        } catch {
            // Only descriptors stored before they were fully validated can get here.
            throw FileRESTError(.badRequest, "FileInvalidPermission", "The stored file permission cannot be converted to the requested format.")
        }
        var object: [String: String] = ["permission": value]
        if let format { object["format"] = format }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Array(data)
    }

    /// Whether `text` is an SDDL security descriptor this front can read (and so convert).
    static func isValidSDDL(_ text: String) -> Bool {
        (try? SecurityDescriptor(sddl: text)) != nil
    }

    /// Whether `text` is base64 of a self-relative security descriptor.
    static func isValidBinary(_ text: String) -> Bool {
        guard let data = Data(base64Encoded: text) else { return false }
        return (try? SecurityDescriptor(binary: Array(data))) != nil
    }
}
