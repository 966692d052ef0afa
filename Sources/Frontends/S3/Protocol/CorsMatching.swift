import HTTPTypes

/// How S3 evaluates a cross-origin request against a bucket's CORS rules: the first rule whose
/// `AllowedOrigin`, `AllowedMethod` and `AllowedHeader` elements all admit the request wins,
/// and its headers go on the response.
enum CorsMatching {
    /// Whether `origin` matches `pattern`, where one `*` stands for any run of characters
    /// (also none: `prefix*` matches `prefix`). Case-sensitive, anchored at both ends.
    static func matches(_ pattern: String, _ value: String, ignoringCase: Bool = false) -> Bool {
        let p = Array((ignoringCase ? pattern.lowercased() : pattern).utf8)
        let v = Array((ignoringCase ? value.lowercased() : value).utf8)
        guard let star = p.firstIndex(of: 0x2A) else { return p == v }
        let head = p[..<star]
        let tail = p[(star + 1)...]
        return v.count >= head.count + tail.count && v.starts(with: head) && v.suffix(tail.count).elementsEqual(tail)
    }

    /// The header names of an `Access-Control-Request-Headers` value: comma-separated,
    /// trimmed, lower-cased, empty items dropped.
    static func requestedHeaders(_ value: String?) -> [String] {
        guard let value else { return [] }
        return value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    /// The first rule of `rules` that admits a request from `origin` for `method` that will
    /// send `headers` (lower-case names); nil when none does.
    static func firstMatch(_ rules: [CorsRule], origin: String, method: String, headers: [String]) -> CorsRule? {
        rules.first { rule in
            rule.allowedMethods.contains(method)
                && rule.allowedOrigins.contains { matches($0, origin) }
                && headers.allSatisfy { header in rule.allowedHeaders.contains { matches($0, header, ignoringCase: true) } }
        }
    }

    /// The headers S3 answers a request that `rule` admitted with: `Access-Control-Allow-Origin`
    /// (`*` when the rule allows every origin, else the request's origin, with
    /// `Access-Control-Allow-Credentials: true`), the rule's methods, the requested headers,
    /// the headers to expose, the maximum age and `Vary`.
    static func responseHeaders(_ rule: CorsRule, origin: String, requestedHeaders: [String]) -> [(String, String)] {
        var out: [(String, String)] = []
        let anyOrigin = rule.allowedOrigins.contains("*")
        out.append(("Access-Control-Allow-Origin", anyOrigin ? "*" : origin))
        if !anyOrigin { out.append(("Access-Control-Allow-Credentials", "true")) }
        out.append(("Access-Control-Allow-Methods", rule.allowedMethods.joined(separator: ", ")))
        if !requestedHeaders.isEmpty { out.append(("Access-Control-Allow-Headers", requestedHeaders.joined(separator: ", "))) }
        if !rule.exposeHeaders.isEmpty { out.append(("Access-Control-Expose-Headers", rule.exposeHeaders.joined(separator: ", "))) }
        if let seconds = rule.maxAgeSeconds { out.append(("Access-Control-Max-Age", String(seconds))) }
        out.append(("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"))
        return out
    }

    /// The CORS headers for an actual (not preflight) request to a bucket with `rules`: none
    /// when it carries no `Origin` or no rule admits it. The method matched is the
    /// request's, or the `Access-Control-Request-Method` it carries (S3 evaluates any request
    /// carrying that header as it would a preflight), and `Access-Control-Request-Headers`
    /// must be allowed too; the request's own headers are not checked.
    static func actualResponseHeaders(_ rules: [CorsRule], head: HTTPRequest) -> [(String, String)] {
        guard let origin = head.headerFields[.origin] else { return [] }
        let method = head.headerFields[.accessControlRequestMethod] ?? head.method.rawValue
        let headers = requestedHeaders(head.headerFields[.accessControlRequestHeaders])
        guard let rule = firstMatch(rules, origin: origin, method: method, headers: headers) else { return [] }
        return responseHeaders(rule, origin: origin, requestedHeaders: headers)
    }
}
