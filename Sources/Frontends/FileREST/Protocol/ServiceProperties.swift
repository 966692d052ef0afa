import Foundation
import FrontKit
import ShareCore

/// The file service properties of Get/Set File Service Properties: metrics settings, CORS
/// rules, the share soft-delete policy and protocol settings. Kept in the store as one
/// service-wide setting (JSON) and rendered as the service writes them.
struct ServiceProperties: Codable, Sendable, Equatable {
    /// A retention policy (`<Enabled>`, `<Days>` when enabled).
    struct RetentionPolicy: Codable, Sendable, Equatable {
        var enabled = false
        var days: Int?
    }

    /// Hour or minute metrics settings.
    struct Metrics: Codable, Sendable, Equatable {
        var version = "1.0"
        var enabled = false
        var includeAPIs: Bool?
        var retentionPolicy = RetentionPolicy()
    }

    /// One CORS rule; the lists are kept as given (comma-separated).
    struct CorsRule: Codable, Sendable, Equatable {
        var allowedOrigins: String
        var allowedMethods: String
        var allowedHeaders: String
        var exposedHeaders: String
        var maxAgeInSeconds: Int
    }

    /// An XML subtree kept as given (protocol settings).
    struct Node: Codable, Sendable, Equatable {
        var name: String
        var text: String
        var children: [Node]
    }

    var hourMetrics = Metrics()
    var minuteMetrics = Metrics()
    var cors: [CorsRule] = []
    /// Stored once set; never set means absent from the document.
    var shareDeleteRetentionPolicy: RetentionPolicy?
    /// Stored once set; never set means absent from the document.
    var protocolSettings: Node?

    /// The store setting the properties live under.
    static let settingName = "filerest/service-properties"
    /// The methods a CORS rule may allow.
    static let corsMethods: Set<String> = ["DELETE", "GET", "HEAD", "MERGE", "POST", "OPTIONS", "PUT", "PATCH"]

    /// The stored properties, or the defaults (everything off, no CORS rules) when never set.
    static func load(_ store: ShareStore) async throws -> ServiceProperties {
        guard let raw = try await store.setting(settingName),
              let decoded = try? JSONDecoder().decode(ServiceProperties.self, from: Data(raw))
        else { return ServiceProperties() }
        return decoded
    }

    /// Stores the properties.
    func save(_ store: ShareStore) async throws {
        let data = try JSONEncoder().encode(self)
        try await store.setSetting(Self.settingName, Array(data))
    }

    // MARK: Parsing (Set File Service Properties)

    /// Applies a `StorageServiceProperties` document: each element given replaces the stored
    /// one, elements left out keep their values (an empty `<Cors/>` removes all rules).
    mutating func apply(_ body: [UInt8]) throws(FileRESTError) {
        guard let root = XMLElement.parse(body) else { throw ServiceProperties.invalidDocument("The body is not well-formed XML.") }
        guard root.name == "StorageServiceProperties" else {
            throw ServiceProperties.invalidDocument("The root element must be StorageServiceProperties.")
        }
        var updated = self
        if let e = root.child("HourMetrics") { updated.hourMetrics = try Self.metrics(e) }
        if let e = root.child("MinuteMetrics") { updated.minuteMetrics = try Self.metrics(e) }
        if let e = root.child("Cors") { updated.cors = try Self.corsRules(e) }
        if let e = root.child("ShareDeleteRetentionPolicy") { updated.shareDeleteRetentionPolicy = try Self.retention(e) }
        if let e = root.child("ProtocolSettings") { updated.protocolSettings = Self.node(e) }
        self = updated
    }

    static func metrics(_ e: XMLElement) throws(FileRESTError) -> Metrics {
        var m = Metrics()
        guard let version = e.value("Version"), !version.isEmpty else { throw invalidDocument("\(e.name) needs a Version.") }
        m.version = version
        m.enabled = try bool(e, "Enabled")
        if e.child("IncludeAPIs") != nil {
            m.includeAPIs = try bool(e, "IncludeAPIs")
        } else if m.enabled {
            throw invalidDocument("\(e.name) is enabled and needs IncludeAPIs.")
        }
        if !m.enabled { m.includeAPIs = nil }
        guard let policy = e.child("RetentionPolicy") else { throw invalidDocument("\(e.name) needs a RetentionPolicy.") }
        m.retentionPolicy = try retention(policy)
        return m
    }

    static func retention(_ e: XMLElement) throws(FileRESTError) -> RetentionPolicy {
        var policy = RetentionPolicy()
        policy.enabled = try bool(e, "Enabled")
        guard policy.enabled else { return policy }
        guard let text = e.value("Days") else { throw invalidDocument("\(e.name) is enabled and needs Days.") }
        guard let days = Int(text), (1...365).contains(days) else { throw invalidValue("Days", text) }
        policy.days = days
        return policy
    }

    static func corsRules(_ e: XMLElement) throws(FileRESTError) -> [CorsRule] {
        let rules = e.children("CorsRule")
        guard rules.count == e.children.count else { throw invalidDocument("Cors may hold only CorsRule elements.") }
        guard rules.count <= 5 else { throw invalidDocument("At most 5 CORS rules are allowed; \(rules.count) were given.") }
        var out: [CorsRule] = []
        for rule in rules { out.append(try corsRule(rule)) }
        return out
    }

    static func corsRule(_ e: XMLElement) throws(FileRESTError) -> CorsRule {
        guard let origins = e.value("AllowedOrigins"), !origins.isEmpty else { throw invalidDocument("A CorsRule needs AllowedOrigins.") }
        guard let methods = e.value("AllowedMethods"), !methods.isEmpty else { throw invalidDocument("A CorsRule needs AllowedMethods.") }
        guard let maxAgeText = e.value("MaxAgeInSeconds") else { throw invalidDocument("A CorsRule needs MaxAgeInSeconds.") }
        guard let maxAge = Int(maxAgeText), maxAge >= 0 else { throw invalidValue("MaxAgeInSeconds", maxAgeText) }
        for method in list(methods) where !corsMethods.contains(method.uppercased()) { throw invalidValue("AllowedMethods", methods) }
        let allowedHeaders = e.value("AllowedHeaders") ?? ""
        let exposedHeaders = e.value("ExposedHeaders") ?? ""
        guard list(origins).count <= 64 else { throw invalidValue("AllowedOrigins", origins) }
        guard list(allowedHeaders).count <= 64 else { throw invalidValue("AllowedHeaders", allowedHeaders) }
        guard list(exposedHeaders).count <= 64 else { throw invalidValue("ExposedHeaders", exposedHeaders) }
        return CorsRule(allowedOrigins: origins, allowedMethods: methods, allowedHeaders: allowedHeaders,
                        exposedHeaders: exposedHeaders, maxAgeInSeconds: maxAge)
    }

    static func node(_ e: XMLElement) -> Node {
        let text = e.children.isEmpty ? e.text.trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return Node(name: e.name, text: text, children: e.children.map(node))
    }

    static func bool(_ e: XMLElement, _ name: String) throws(FileRESTError) -> Bool {
        guard let text = e.value(name) else { throw invalidDocument("\(e.name) needs \(name).") }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw invalidValue(name, text)
        }
    }

    /// The items of a comma-separated list, trimmed, empty ones dropped.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func invalidDocument(_ reason: String) -> FileRESTError {
        FileRESTError(.badRequest, "InvalidXmlDocument", "XML specified is not syntactically valid.",
                      details: [("LineNumber", "0"), ("LinePosition", "0"), ("Reason", reason)])
    }

    static func invalidValue(_ node: String, _ value: String) -> FileRESTError {
        FileRESTError(.badRequest, "InvalidXmlNodeValue", "The value for one of the XML nodes is not in the correct format.",
                      details: [("XmlNodeName", node), ("XmlNodeValue", value)])
    }

    // MARK: Rendering (Get File Service Properties)

    /// The document as Azure writes it: BOM, declaration, HourMetrics, MinuteMetrics, Cors,
    /// then ShareDeleteRetentionPolicy and ProtocolSettings once they were set.
    func document() -> XMLWriter {
        var xml = XMLWriter(byteOrderMark: true)
        xml.open("StorageServiceProperties")
        Self.write(hourMetrics, named: "HourMetrics", to: &xml)
        Self.write(minuteMetrics, named: "MinuteMetrics", to: &xml)
        if cors.isEmpty {
            xml.empty("Cors")
        } else {
            xml.open("Cors")
            for rule in cors { Self.write(rule, to: &xml) }
            xml.close("Cors")
        }
        if let policy = shareDeleteRetentionPolicy { Self.write(policy, named: "ShareDeleteRetentionPolicy", to: &xml) }
        if let settings = protocolSettings { Self.write(settings, to: &xml) }
        xml.close("StorageServiceProperties")
        return xml
    }

    static func write(_ m: Metrics, named name: String, to xml: inout XMLWriter) {
        xml.open(name)
        xml.element("Version", m.version)
        xml.element("Enabled", m.enabled ? "true" : "false")
        if m.enabled, let include = m.includeAPIs { xml.element("IncludeAPIs", include ? "true" : "false") }
        write(m.retentionPolicy, named: "RetentionPolicy", to: &xml)
        xml.close(name)
    }

    static func write(_ policy: RetentionPolicy, named name: String, to xml: inout XMLWriter) {
        xml.open(name)
        xml.element("Enabled", policy.enabled ? "true" : "false")
        if policy.enabled, let days = policy.days { xml.element("Days", String(days)) }
        xml.close(name)
    }

    static func write(_ rule: CorsRule, to xml: inout XMLWriter) {
        xml.open("CorsRule")
        xml.element("AllowedMethods", rule.allowedMethods)
        xml.element("AllowedOrigins", rule.allowedOrigins)
        xml.element("AllowedHeaders", rule.allowedHeaders)
        xml.element("ExposedHeaders", rule.exposedHeaders)
        xml.element("MaxAgeInSeconds", String(rule.maxAgeInSeconds))
        xml.close("CorsRule")
    }

    static func write(_ node: Node, to xml: inout XMLWriter) {
        if node.children.isEmpty {
            if node.text.isEmpty { xml.empty(node.name) } else { xml.element(node.name, node.text) }
            return
        }
        xml.open(node.name)
        for child in node.children { write(child, to: &xml) }
        xml.close(node.name)
    }
}
