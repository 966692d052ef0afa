import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// User delegation keys and the SAS they sign: Get User Delegation Key
/// (`POST /?restype=service&comp=userdelegationkey`, bearer token only) hands an Entra
/// identity a key valid for at most seven days, and a service SAS carrying that key's
/// `skoid`, `sktid`, `skt`, `ske`, `sks`, `skv` (and `skdutid`) is signed with it instead of
/// the account key. The key is not stored: its value is an HMAC of its own fields under the
/// account key, so the server recomputes it from the SAS, and changing the account key revokes
/// every key handed out.
enum UserDelegation {
    /// Keys live at most this long (Azure's limit).
    static let maximumLifetime: TimeInterval = 7 * 24 * 3600

    /// The fields a key is derived from, as the SAS repeats them.
    struct KeyFields: Equatable, Sendable {
        var oid: String
        var tid: String
        var start: String
        var expiry: String
        var service: String
        var version: String
        var delegatedUserTid: String?
    }

    /// The key's value: HMAC-SHA256 of its fields under the account key.
    static func keyValue(_ fields: KeyFields, accountKey: [UInt8]) -> [UInt8] {
        let text = ["userdelegationkey", fields.oid, fields.tid, fields.start, fields.expiry, fields.service,
                    fields.version, fields.delegatedUserTid ?? ""].joined(separator: "\n")
        return Array(Data(base64Encoded: SharedKey.sign(text, key: accountKey)) ?? Data())
    }

    /// Get User Delegation Key: only for a bearer token (whose `oid` and tenant the key names),
    /// with a `KeyInfo` body of `Start` (optional), `Expiry` and `DelegatedUserTid` (optional).
    static func getKey(_ context: OperationContext) async throws -> FrontResponse {
        let request = context.request
        guard let header = request.header("Authorization"), header.lowercased().hasPrefix("bearer "),
              let claims = try? BearerToken.parse(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) else {
            throw FileRESTError.authenticationFailed("Only a bearer token (Microsoft Entra ID) can get a user delegation key.")
        }
        let body = try await context.smallBody(limit: 64 << 10)
        guard let root = FrontKit.XMLElement.parse(body), root.name == "KeyInfo" else {
            throw FileRESTError(.badRequest, "InvalidXmlDocument", "XML specified is not syntactically valid.")
        }
        let now = Date()
        let start = try root.value("Start").map { try time($0, node: "Start") } ?? FileTime(now)
        guard let expiryText = root.value("Expiry") else { throw invalidNode("Expiry", "") }
        let expiry = try time(expiryText, node: "Expiry")
        guard expiry > start, expiry.date.timeIntervalSince(max(start.date, now)) <= maximumLifetime, expiry.date > now else {
            throw invalidNode("Expiry", expiryText)
        }
        let tid = claims.tenant ?? claims.issuer.flatMap(BearerToken.entraTenant) ?? ""
        let fields = KeyFields(oid: claims.objectId ?? "", tid: tid, start: iso(start), expiry: iso(expiry), service: "f",
                               version: context.version, delegatedUserTid: root.value("DelegatedUserTid"))
        var xml = XMLWriter(byteOrderMark: true)
        xml.open("UserDelegationKey")
        xml.element("SignedOid", fields.oid)
        xml.element("SignedTid", fields.tid)
        xml.element("SignedStart", fields.start)
        xml.element("SignedExpiry", fields.expiry)
        xml.element("SignedService", fields.service)
        xml.element("SignedVersion", fields.version)
        if let delegated = fields.delegatedUserTid { xml.element("SignedDelegatedUserTid", delegated) }
        xml.element("Value", Data(keyValue(fields, accountKey: context.configuration.accountKey)).base64EncodedString())
        xml.close("UserDelegationKey")
        return context.xml(.ok, xml)
    }

    /// The key fields of a user delegation SAS (nil for another SAS), checked: the service is
    /// `f` and the key is valid now. `sduoid` (a SAS only one user may use, with their own token
    /// as well) is not supported.
    static func keyFields(_ sas: SASFields, now: Date) throws -> KeyFields? {
        guard sas.raw("skoid") != nil else { return nil }
        let fields = KeyFields(oid: try sas.mandatory("skoid"), tid: try sas.mandatory("sktid"), start: try sas.mandatory("skt"),
                               expiry: try sas.mandatory("ske"), service: try sas.mandatory("sks"), version: try sas.mandatory("skv"),
                               delegatedUserTid: try sas.optional("skdutid"))
        guard fields.service == "f", sas.raw("si") == nil else { throw FileRESTError.authenticationFailed(SAS.notWellFormed) }
        guard sas.raw("sduoid") == nil else {
            throw FileRESTError.authenticationFailed("sduoid (a user delegation SAS for one end user) is not supported by this server.")
        }
        try checkValid(fields, now: now)
        return fields
    }

    /// Refuses a key that is not valid at `now` (or whose times do not parse).
    static func checkValid(_ fields: KeyFields, now: Date) throws {
        guard let start = SASFields.parseTime(fields.start), let expiry = SASFields.parseTime(fields.expiry) else {
            throw FileRESTError.authenticationFailed(SAS.notWellFormed)
        }
        let current = FileTime(now)
        guard current >= start, current < expiry else {
            throw FileRESTError.authenticationFailed("The user delegation key is not valid at this time: Start [\(fields.start)] - Expiry [\(fields.expiry)]")
        }
    }

    static func time(_ text: String, node: String) throws -> FileTime {
        guard let time = FileTime(iso8601: text) else { throw invalidNode(node, text) }
        return time
    }

    /// `yyyy-MM-ddTHH:mm:ssZ`, as Azure writes key times.
    static func iso(_ time: FileTime) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: time.date)
    }

    static func invalidNode(_ name: String, _ value: String) -> FileRESTError {
        FileRESTError(.badRequest, "InvalidXmlNodeValue", "The value for one of the XML nodes is not in the correct format.",
                      details: [("XmlNodeName", name), ("XmlNodeValue", value)])
    }
}
