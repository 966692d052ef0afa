import Foundation
import FrontKit
import ShareCore

/// The `LifecycleConfiguration` document of Put/GetBucketLifecycleConfiguration, read with S3's
/// validation and written back in the form it was given.
enum LifecycleXML {
    /// The most rules a configuration may have.
    static let maxRules = 1000
    /// The longest rule ID.
    static let maxIdLength = 255

    /// Elements a `Rule` may contain.
    static let ruleElements: Set<String> = ["ID", "Prefix", "Filter", "Status", "Expiration", "Transition",
                                            "NoncurrentVersionTransition", "NoncurrentVersionExpiration",
                                            "AbortIncompleteMultipartUpload"]

    /// Reads and validates a configuration: `MalformedXML` for what breaks S3's schema,
    /// `InvalidArgument` / `InvalidRequest` for values S3 refuses, `NotImplemented` for
    /// actions this server does not have (transitions, noncurrent versions, delete markers);
    /// filter tags follow the tagging rules (`InvalidTag`).
    static func parse(_ root: FrontKit.XMLElement) throws -> LifecycleConfiguration {
        guard root.name == "LifecycleConfiguration", root.children.allSatisfy({ $0.name == "Rule" }) else {
            throw S3Error.malformedXML()
        }
        let elements = root.children("Rule")
        guard !elements.isEmpty, elements.count <= maxRules else { throw S3Error.malformedXML() }
        var rules: [LifecycleRule] = []
        var ids = Set<String>()
        for element in elements {
            let rule = try parseRule(element)
            guard ids.insert(rule.id).inserted else {
                throw S3Error.invalidArgument("Rule ID must be unique. Found same ID for more than one rule", name: "ID", value: rule.id)
            }
            rules.append(rule)
        }
        return LifecycleConfiguration(rules: rules)
    }

    static func parseRule(_ element: FrontKit.XMLElement) throws -> LifecycleRule {
        for child in element.children {
            guard ruleElements.contains(child.name) else { throw S3Error.malformedXML() }
            if child.name != "Transition" && child.name != "NoncurrentVersionTransition" && element.children(child.name).count > 1 {
                throw S3Error.malformedXML()
            }
        }
        var id = element.value("ID") ?? ""
        if id.isEmpty { id = generatedId() }
        guard id.count <= maxIdLength else {
            throw S3Error.invalidArgument("ID length should not exceed allowed limit of \(maxIdLength)", name: "ID", value: id)
        }
        let enabled: Bool
        switch element.value("Status") {
        case "Enabled": enabled = true
        case "Disabled": enabled = false
        default: throw S3Error.malformedXML()
        }
        let filter: LifecycleFilter
        switch (element.child("Prefix"), element.child("Filter")) {
        case (let prefix?, nil): filter = LifecycleFilter(form: .legacyPrefix, prefix: prefix.text)
        case (nil, let f?): filter = try parseFilter(f)
        default: throw S3Error.malformedXML()
        }
        for name in ["Transition", "NoncurrentVersionTransition", "NoncurrentVersionExpiration"] where element.child(name) != nil {
            throw S3Error.notImplemented("Lifecycle \(name) actions are not implemented by this server: it has one storage class and no object versions.")
        }
        var rule = LifecycleRule(id: id, enabled: enabled, filter: filter)
        if let expiration = element.child("Expiration") {
            try parseExpiration(expiration, into: &rule)
        }
        if let abort = element.child("AbortIncompleteMultipartUpload") {
            guard abort.children.count == 1, let text = abort.value("DaysAfterInitiation") else { throw S3Error.malformedXML() }
            guard let days = Int(text) else { throw S3Error.malformedXML() }
            guard days > 0 else {
                throw S3Error.invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
                                              name: "DaysAfterInitiation", value: text)
            }
            if !filter.tags.isEmpty || filter.sizeGreaterThan != nil || filter.sizeLessThan != nil {
                throw S3Error.invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags or object size filters.")
            }
            rule.abortDays = days
        }
        guard rule.expirationDays != nil || rule.expirationDate != nil || rule.abortDays != nil else {
            throw S3Error.invalidArgument("At least one action needs to be specified in a rule", name: "Action", value: nil)
        }
        return rule
    }

    static func parseExpiration(_ element: FrontKit.XMLElement, into rule: inout LifecycleRule) throws {
        guard element.children.count == 1 else { throw S3Error.malformedXML() }
        let child = element.children[0]
        let text = child.text.trimmingCharacters(in: .whitespacesAndNewlines)
        switch child.name {
        case "Days":
            guard let days = Int(text) else { throw S3Error.malformedXML() }
            guard days > 0 else {
                throw S3Error.invalidArgument("'Days' for Expiration action must be a positive integer", name: "Days", value: text)
            }
            rule.expirationDays = days
        case "Date":
            guard let time = FileTime(iso8601: text) else { throw S3Error.malformedXML() }
            guard time.ticks % (LifecycleClock.day * 10_000_000) == 0 else {
                throw S3Error.invalidArgument("'Date' must be at midnight GMT", name: "Date", value: text)
            }
            rule.expirationDate = LifecycleClock.seconds(time)
        case "ExpiredObjectDeleteMarker":
            guard text == "true" || text == "false" else { throw S3Error.malformedXML() }
            throw S3Error.notImplemented("ExpiredObjectDeleteMarker is not implemented by this server: buckets have no versioning, so no delete markers.")
        default:
            throw S3Error.malformedXML()
        }
    }

    static func parseFilter(_ element: FrontKit.XMLElement) throws -> LifecycleFilter {
        guard element.children.count <= 1 else { throw S3Error.malformedXML() }
        guard let child = element.children.first else { return LifecycleFilter(form: .empty) }
        switch child.name {
        case "Prefix": return LifecycleFilter(form: .prefix, prefix: child.text)
        case "Tag": return LifecycleFilter(form: .tag, tags: [try parseTag(child)])
        case "ObjectSizeGreaterThan": return LifecycleFilter(form: .sizeGreaterThan, sizeGreaterThan: try size(child))
        case "ObjectSizeLessThan": return LifecycleFilter(form: .sizeLessThan, sizeLessThan: try lessThan(child))
        case "And":
            var filter = LifecycleFilter(form: .and)
            for part in child.children {
                switch part.name {
                case "Prefix" where child.children("Prefix").count == 1: filter.prefix = part.text
                case "Tag": filter.tags.append(try parseTag(part))
                case "ObjectSizeGreaterThan" where child.children(part.name).count == 1: filter.sizeGreaterThan = try size(part)
                case "ObjectSizeLessThan" where child.children(part.name).count == 1: filter.sizeLessThan = try lessThan(part)
                default: throw S3Error.malformedXML()
                }
            }
            if Set(filter.tags.map(\.key)).count != filter.tags.count {
                throw S3Error.invalidArgument("Duplicate Tag Keys are not allowed.", name: "Tag", value: nil)
            }
            if let above = filter.sizeGreaterThan, let below = filter.sizeLessThan, above >= below {
                throw S3Error.invalidArgument("The value for ObjectSizeGreaterThan must be less than ObjectSizeLessThan",
                                              name: "ObjectSizeGreaterThan", value: String(above))
            }
            return filter
        default:
            throw S3Error.malformedXML()
        }
    }

    static func parseTag(_ element: FrontKit.XMLElement) throws -> LifecycleTag {
        guard element.children.count == 2, let key = element.child("Key")?.text, let value = element.child("Value")?.text else {
            throw S3Error.malformedXML()
        }
        _ = try TagSet.checked([TagSet.Tag(key: key, value: value)], limit: TagSet.objectLimit)
        return LifecycleTag(key: key, value: value)
    }

    static func size(_ element: FrontKit.XMLElement) throws -> UInt64 {
        guard let value = UInt64(element.text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw S3Error.invalidArgument("Object size filters must be non-negative integers", name: element.name, value: element.text)
        }
        return value
    }

    static func lessThan(_ element: FrontKit.XMLElement) throws -> UInt64 {
        let value = try size(element)
        guard value > 0 else {
            throw S3Error.invalidArgument("ObjectSizeLessThan must be a positive integer", name: element.name, value: element.text)
        }
        return value
    }

    /// An ID for a rule given without one, as S3 makes them (random, 48 characters).
    static func generatedId() -> String {
        var generator = SystemRandomNumberGenerator()
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<48).map { _ in letters[Int(generator.next() % UInt64(letters.count))] })
    }

    /// The configuration as GetBucketLifecycleConfiguration returns it.
    static func render(_ configuration: LifecycleConfiguration) -> XMLWriter {
        var xml = XMLWriter()
        xml.open("LifecycleConfiguration", ["xmlns": S3XML.namespace])
        for rule in configuration.rules {
            xml.open("Rule")
            xml.element("ID", rule.id)
            renderFilter(rule.filter, to: &xml)
            xml.element("Status", rule.enabled ? "Enabled" : "Disabled")
            if let days = rule.expirationDays {
                xml.open("Expiration")
                xml.element("Days", String(days))
                xml.close("Expiration")
            } else if let date = rule.expirationDate {
                xml.open("Expiration")
                xml.element("Date", S3XML.timestamp(FileTime(ticks: date * 10_000_000)))
                xml.close("Expiration")
            }
            if let days = rule.abortDays {
                xml.open("AbortIncompleteMultipartUpload")
                xml.element("DaysAfterInitiation", String(days))
                xml.close("AbortIncompleteMultipartUpload")
            }
            xml.close("Rule")
        }
        xml.close("LifecycleConfiguration")
        return xml
    }

    static func renderFilter(_ filter: LifecycleFilter, to xml: inout XMLWriter) {
        func tag(_ tag: LifecycleTag) {
            xml.open("Tag")
            xml.element("Key", tag.key)
            xml.element("Value", tag.value)
            xml.close("Tag")
        }
        switch filter.form {
        case .legacyPrefix: xml.element("Prefix", filter.prefix)
        case .empty: xml.empty("Filter")
        case .prefix:
            xml.open("Filter")
            xml.element("Prefix", filter.prefix)
            xml.close("Filter")
        case .tag:
            xml.open("Filter")
            filter.tags.forEach(tag)
            xml.close("Filter")
        case .sizeGreaterThan, .sizeLessThan, .and:
            xml.open("Filter")
            if filter.form == .and { xml.open("And") }
            if filter.form == .and, !filter.prefix.isEmpty { xml.element("Prefix", filter.prefix) }
            filter.tags.forEach(tag)
            if let above = filter.sizeGreaterThan { xml.element("ObjectSizeGreaterThan", String(above)) }
            if let below = filter.sizeLessThan { xml.element("ObjectSizeLessThan", String(below)) }
            if filter.form == .and { xml.close("And") }
            xml.close("Filter")
        }
    }
}
