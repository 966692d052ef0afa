import Foundation
import FrontKit
import HTTPTypes

/// CORS: the rules stored with the file service properties, evaluated for preflight
/// (`OPTIONS`) requests and applied to responses of requests that carry an `Origin` header.
/// Rules are tried in order; the first that allows the origin and method wins.
enum Cors {
    /// Adds `Access-Control-Allow-Origin`, `Access-Control-Expose-Headers` and, for rules that
    /// name their origins, `Access-Control-Allow-Credentials` and `Vary: Origin` to the response
    /// of a cross-origin request a rule allows. Responses to requests without `Origin`, and
    /// preflight responses, are left alone; when rules exist but none allows the request, only
    /// `Vary: Origin` is added.
    static func apply(_ context: OperationContext, to response: inout FrontResponse) async {
        let request = context.request
        guard request.method != .options, let origin = request.header("Origin") else { return }
        guard let properties = try? await ServiceProperties.load(context.store), !properties.cors.isEmpty else { return }
        let method = request.method.rawValue
        guard let rule = properties.cors.first(where: { allows($0, origin: origin) && allows($0, method: method) }) else {
            response.head.headerFields.set("Vary", "Origin")
            return
        }
        var fields = response.head.headerFields
        let exposed = exposedHeaders(rule, responseHeaders: fields.map(\.name.rawName))
        fields.set("Access-Control-Expose-Headers", exposed)
        if rule.allowedOrigins.trimmingCharacters(in: .whitespaces) == "*" {
            fields.set("Access-Control-Allow-Origin", "*")
        } else {
            fields.set("Access-Control-Allow-Origin", origin)
            fields.set("Access-Control-Allow-Credentials", "true")
            fields.set("Vary", "Origin")
        }
        response.head.headerFields = fields
    }

    /// The first rule that allows a preflight for `origin`, `method` and (when given) every
    /// header in `requestHeaders`.
    static func preflightRule(_ rules: [ServiceProperties.CorsRule], origin: String, method: String,
                              requestHeaders: String?) -> ServiceProperties.CorsRule? {
        rules.first { rule in
            guard allows(rule, origin: origin), allows(rule, method: method) else { return false }
            guard let requestHeaders else { return true }
            return ServiceProperties.list(requestHeaders).allSatisfy { allows(rule, header: $0) }
        }
    }

    /// Whether `rule` allows `origin`: `*`, or one of its origins compared ignoring case.
    static func allows(_ rule: ServiceProperties.CorsRule, origin: String) -> Bool {
        let wanted = origin.trimmingCharacters(in: .whitespaces).lowercased()
        return ServiceProperties.list(rule.allowedOrigins).contains { $0 == "*" || $0.lowercased() == wanted }
    }

    /// Whether `rule` allows the HTTP method `method`.
    static func allows(_ rule: ServiceProperties.CorsRule, method: String) -> Bool {
        let wanted = method.trimmingCharacters(in: .whitespaces).uppercased()
        return ServiceProperties.list(rule.allowedMethods).contains { $0.uppercased() == wanted }
    }

    /// Whether `rule` allows request header `header`: `*`, its exact name, or a prefix rule
    /// such as `x-ms-meta*`.
    static func allows(_ rule: ServiceProperties.CorsRule, header: String) -> Bool {
        let wanted = header.lowercased()
        return ServiceProperties.list(rule.allowedHeaders).contains { matches(wanted, pattern: $0.lowercased()) }
    }

    /// The `Access-Control-Expose-Headers` value: the response's headers that the rule's
    /// exposed headers match (`*` or prefix rules), then the rule's plain names not already
    /// listed, in order.
    static func exposedHeaders(_ rule: ServiceProperties.CorsRule, responseHeaders: [String]) -> String {
        let patterns = ServiceProperties.list(rule.exposedHeaders)
        var out: [String] = []
        var seen = Set<String>()
        func add(_ name: String) {
            if seen.insert(name.lowercased()).inserted { out.append(name) }
        }
        for name in responseHeaders where patterns.contains(where: { matches(name.lowercased(), pattern: $0.lowercased()) }) {
            add(name)
        }
        for pattern in patterns where !pattern.hasSuffix("*") { add(pattern) }
        return out.joined(separator: ",")
    }

    /// `name` against `pattern`: `*` matches everything, `prefix*` a prefix, anything else exactly.
    static func matches(_ name: String, pattern: String) -> Bool {
        if pattern.hasSuffix("*") { return name.hasPrefix(pattern.dropLast()) }
        return name == pattern
    }
}
