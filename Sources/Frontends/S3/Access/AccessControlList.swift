import Foundation
import FrontKit

/// A permission an ACL grants.
enum ACLPermission: String, Sendable, Codable, CaseIterable {
    case read = "READ", write = "WRITE", readACP = "READ_ACP", writeACP = "WRITE_ACP", fullControl = "FULL_CONTROL"

    /// Whether a grant of `self` gives `wanted`.
    func includes(_ wanted: ACLPermission) -> Bool { self == .fullControl || self == wanted }
}

/// Who a grant is for.
enum ACLGrantee: Sendable, Hashable, Codable {
    /// A user by canonical id.
    case user(id: String)
    /// A predefined group, by URI.
    case group(uri: String)

    static let allUsers = "http://acs.amazonaws.com/groups/global/AllUsers"
    static let authenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
    static let logDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery"
    static let groups: Set<String> = [allUsers, authenticatedUsers, logDelivery]

    /// Whether the grantee is everyone or every signed-in user (a *public* grant).
    var isPublic: Bool {
        if case .group(let uri) = self { return uri == Self.allUsers || uri == Self.authenticatedUsers }
        return false
    }

    /// Whether `requester` (nil: anonymous) is this grantee.
    func matches(_ requester: S3Identity?) -> Bool {
        switch self {
        case .user(let id): requester?.canonicalId == id
        case .group(let uri):
            uri == Self.allUsers || (uri == Self.authenticatedUsers && requester != nil)
        }
    }
}

/// One grant of an ACL.
struct ACLGrant: Sendable, Hashable, Codable {
    let grantee: ACLGrantee
    let permission: ACLPermission
}

/// An access control list: the owner and the grants (S3's `AccessControlPolicy`).
struct AccessControlList: Sendable, Hashable, Codable {
    /// The owner's canonical id (the owner may always read and write the ACL).
    var ownerId: String
    /// The grants, in order.
    var grants: [ACLGrant]

    /// The canned ACLs S3 knows and this front applies.
    static let cannedNames: Set<String> = ["private", "public-read", "public-read-write", "authenticated-read",
                                           "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"]

    /// The ACL a canned name stands for, for a resource owned by `ownerId` in a bucket owned by
    /// `bucketOwnerId`. Unknown names are `InvalidArgument`; `aws-exec-read` (EC2's AMI bundles)
    /// is `NotImplemented`.
    static func canned(_ name: String, ownerId: String, bucketOwnerId: String) throws -> AccessControlList {
        // Group grants come first and the owner's last, in the order Ceph's RGW lists them.
        var grants: [ACLGrant] = []
        switch name {
        case "private": break
        case "public-read": grants.append(ACLGrant(grantee: .group(uri: ACLGrantee.allUsers), permission: .read))
        case "public-read-write":
            grants.append(ACLGrant(grantee: .group(uri: ACLGrantee.allUsers), permission: .read))
            grants.append(ACLGrant(grantee: .group(uri: ACLGrantee.allUsers), permission: .write))
        case "authenticated-read":
            grants.append(ACLGrant(grantee: .group(uri: ACLGrantee.authenticatedUsers), permission: .read))
        case "bucket-owner-read":
            if bucketOwnerId != ownerId { grants.append(ACLGrant(grantee: .user(id: bucketOwnerId), permission: .read)) }
        case "bucket-owner-full-control":
            if bucketOwnerId != ownerId { grants.append(ACLGrant(grantee: .user(id: bucketOwnerId), permission: .fullControl)) }
        case "log-delivery-write":
            grants.append(ACLGrant(grantee: .group(uri: ACLGrantee.logDelivery), permission: .write))
            grants.append(ACLGrant(grantee: .group(uri: ACLGrantee.logDelivery), permission: .readACP))
        case "aws-exec-read":
            throw S3Error(.notImplemented, "NotImplemented", "The canned ACL aws-exec-read is not implemented by this server.")
        default:
            throw S3Error.invalidArgument("", name: "x-amz-acl", value: name)
        }
        let owner = ACLGrant(grantee: .user(id: ownerId), permission: .fullControl)
        let groups = grants.filter { if case .group = $0.grantee { true } else { false } }
        let users = grants.filter { if case .user = $0.grantee { true } else { false } }
        return AccessControlList(ownerId: ownerId, grants: groups + [owner] + users)
    }

    /// The private ACL of `ownerId`.
    static func ownerOnly(_ ownerId: String) -> AccessControlList {
        AccessControlList(ownerId: ownerId, grants: [ACLGrant(grantee: .user(id: ownerId), permission: .fullControl)])
    }

    /// Whether `requester` holds `permission` by this ACL. The owner always holds `READ_ACP`
    /// and `WRITE_ACP`. With `ignoringPublic`, grants to everyone or to every signed-in user
    /// count for nothing (``PublicAccessBlock/ignorePublicAcls``).
    func allows(_ requester: S3Identity?, _ permission: ACLPermission, ignoringPublic: Bool = false) -> Bool {
        if let requester, requester.canonicalId == ownerId, permission == .readACP || permission == .writeACP { return true }
        return grants.contains { grant in
            grant.permission.includes(permission) && grant.grantee.matches(requester)
                && !(ignoringPublic && grant.grantee.isPublic)
        }
    }

    /// Whether any grant is to everyone or to every signed-in user.
    var isPublic: Bool { grants.contains { $0.grantee.isPublic } }

    // MARK: Requests

    /// The grant headers S3 takes, with the permission each grants.
    static let grantHeaders: [(String, ACLPermission)] = [
        ("x-amz-grant-read", .read), ("x-amz-grant-write", .write), ("x-amz-grant-read-acp", .readACP),
        ("x-amz-grant-write-acp", .writeACP), ("x-amz-grant-full-control", .fullControl),
    ]

    /// The ACL a request's `x-amz-acl` or `x-amz-grant-*` headers ask for, or nil when it has
    /// neither. Both at once is `InvalidRequest`, as in S3.
    static func fromHeaders(_ request: S3Request, ownerId: String, bucketOwnerId: String,
                            identities: S3Identities) throws -> AccessControlList? {
        try fromHeaders(lookup: { request.header($0) }, ownerId: ownerId, bucketOwnerId: bucketOwnerId, identities: identities)
    }

    /// ``fromHeaders(_:ownerId:bucketOwnerId:identities:)`` with the values `lookup` gives for
    /// the header names (a browser form's fields stand in for headers).
    static func fromHeaders(lookup: (String) -> String?, ownerId: String, bucketOwnerId: String,
                            identities: S3Identities) throws -> AccessControlList? {
        let canned = lookup("x-amz-acl")
        let granted = grantHeaders.compactMap { name, permission in lookup(name).map { (name, permission, $0) } }
        if canned != nil, !granted.isEmpty {
            throw S3Error.invalidRequest("Specifying both Canned ACLs and Header Grants is not allowed")
        }
        if let canned { return try Self.canned(canned, ownerId: ownerId, bucketOwnerId: bucketOwnerId) }
        guard !granted.isEmpty else { return nil }
        var grants: [ACLGrant] = []
        for (name, permission, value) in granted {
            for grantee in try parseGrantees(value, header: name, identities: identities) {
                grants.append(ACLGrant(grantee: grantee, permission: permission))
            }
        }
        // Group grants first, as for canned ACLs.
        let groups = grants.filter { if case .group = $0.grantee { true } else { false } }
        return AccessControlList(ownerId: ownerId, grants: groups + grants.filter { !groups.contains($0) })
    }

    /// `id="…", uri="…", emailAddress="…"`, comma-separated.
    static func parseGrantees(_ value: String, header: String, identities: S3Identities) throws -> [ACLGrantee] {
        var out: [ACLGrantee] = []
        for item in value.split(separator: ",") {
            let text = item.trimmingCharacters(in: .whitespaces)
            guard let eq = text.firstIndex(of: "=") else {
                throw S3Error.invalidArgument("Invalid grant", name: header, value: value)
            }
            let kind = text[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let operand = text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            out.append(try grantee(kind: kind, operand, identities: identities))
        }
        guard !out.isEmpty else { throw S3Error.invalidArgument("Invalid grant", name: header, value: value) }
        return out
    }

    /// A grantee by kind (`id`, `uri`, `emailaddress`), checked against the known identities.
    static func grantee(kind: String, _ operand: String, identities: S3Identities) throws -> ACLGrantee {
        switch kind {
        case "id":
            guard identities.canonical(operand) != nil else {
                throw S3Error.invalidArgument("Invalid id", name: "CanonicalUser/ID", value: operand)
            }
            return .user(id: operand)
        case "uri":
            guard ACLGrantee.groups.contains(operand) else {
                throw S3Error.invalidArgument("Invalid group uri", name: "Group/URI", value: operand)
            }
            return .group(uri: operand)
        case "emailaddress":
            throw S3Error(.badRequest, "UnresolvableGrantByEmailAddress",
                          "The e-mail address you provided does not match any account on record.",
                          details: [("EmailAddress", operand)])
        default:
            throw S3Error.invalidArgument("Invalid grantee type", name: "Grantee", value: kind)
        }
    }

    /// Parses an `AccessControlPolicy` document. A grant naming an unknown user is
    /// `InvalidArgument`; a document of the wrong shape `MalformedACLError`.
    static func parse(_ root: FrontKit.XMLElement, identities: S3Identities) throws -> AccessControlList {
        func malformed() -> S3Error {
            S3Error(.badRequest, "MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema.")
        }
        guard root.name == "AccessControlPolicy", let list = root.child("AccessControlList") else { throw malformed() }
        let ownerId = root.child("Owner")?.value("ID")
        var grants: [ACLGrant] = []
        for grant in list.children("Grant") {
            guard let grantee = grant.child("Grantee"), let permissionText = grant.value("Permission"),
                  let permission = ACLPermission(rawValue: permissionText) else { throw malformed() }
            let type = grantee.attributes["xsi:type"] ?? grantee.attributes["type"]
            let parsed: ACLGrantee
            if let id = grantee.value("ID"), type == nil || type == "CanonicalUser" {
                parsed = try Self.grantee(kind: "id", id, identities: identities)
            } else if let uri = grantee.value("URI"), type == nil || type == "Group" {
                parsed = try Self.grantee(kind: "uri", uri, identities: identities)
            } else if let email = grantee.value("EmailAddress"), type == nil || type == "AmazonCustomerByEmail" {
                parsed = try Self.grantee(kind: "emailaddress", email, identities: identities)
            } else {
                throw malformed()
            }
            grants.append(ACLGrant(grantee: parsed, permission: permission))
        }
        // Group grants first, as for canned ACLs and grant headers; otherwise in document order.
        let groups = grants.filter { if case .group = $0.grantee { true } else { false } }
        let others = grants.filter { if case .group = $0.grantee { false } else { true } }
        return AccessControlList(ownerId: ownerId ?? "", grants: groups + others)
    }

    /// The `AccessControlPolicy` document.
    func render(identities: S3Identities) -> XMLWriter {
        var xml = XMLWriter()
        xml.open("AccessControlPolicy", ["xmlns": S3XML.namespace])
        xml.open("Owner")
        xml.element("ID", ownerId)
        xml.element("DisplayName", identities.canonical(ownerId)?.displayName ?? ownerId)
        xml.close("Owner")
        xml.open("AccessControlList")
        for grant in grants {
            xml.open("Grant")
            switch grant.grantee {
            case .user(let id):
                xml.open("Grantee", ["xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "xsi:type": "CanonicalUser"])
                xml.element("ID", id)
                xml.element("DisplayName", identities.canonical(id)?.displayName ?? id)
            case .group(let uri):
                xml.open("Grantee", ["xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "xsi:type": "Group"])
                xml.element("URI", uri)
            }
            xml.close("Grantee")
            xml.element("Permission", grant.permission.rawValue)
            xml.close("Grant")
        }
        xml.close("AccessControlList")
        xml.close("AccessControlPolicy")
        return xml
    }
}
