import Foundation

/// A bucket policy: the JSON document as given, and its statements as parsed and checked by
/// ``BucketPolicy/parse(_:bucket:identities:)``. Evaluation is ``PolicyEvaluator``'s.
struct BucketPolicy: Sendable, Equatable {
    /// The document as the client sent it (returned by GetBucketPolicy).
    let text: String
    /// The statements, in order.
    let statements: [PolicyStatement]
}

/// One statement of a policy.
struct PolicyStatement: Sendable, Equatable {
    enum Effect: String, Sendable { case allow = "Allow", deny = "Deny" }

    /// Whom a statement is about.
    enum Principals: Sendable, Equatable {
        /// `"*"` or `{"AWS": "*"}`: everyone, signed or not.
        case anyone
        /// Named identities (their canonical ids).
        case identities(Set<String>)
    }

    let effect: Effect
    /// `Principal`, or `NotPrincipal` when `principalNegated`.
    let principals: Principals
    let principalNegated: Bool
    /// `Action` patterns (lower-cased), or `NotAction` when `actionNegated`.
    let actions: [String]
    let actionNegated: Bool
    /// `Resource` ARN patterns, or `NotResource` when `resourceNegated`.
    let resources: [String]
    let resourceNegated: Bool
    /// `Condition`: every one must hold.
    let conditions: [PolicyCondition]
}

/// One test of a `Condition` block: `operator: { key: values }`.
struct PolicyCondition: Sendable, Equatable {
    /// The operator without `IfExists` and set qualifiers, e.g. `StringLike`.
    let operation: PolicyConditionOperator
    /// `…IfExists`: true when the request has no such key.
    let ifExists: Bool
    /// `ForAllValues:` (every request value must match) rather than the default (any).
    let forAllValues: Bool
    /// The condition key, lower-cased except after `/` (tag keys keep their case).
    let key: String
    /// The values, any of which may match.
    let values: [String]
}

/// The condition operators the evaluator knows.
enum PolicyConditionOperator: String, Sendable, CaseIterable {
    case stringEquals = "StringEquals", stringNotEquals = "StringNotEquals"
    case stringEqualsIgnoreCase = "StringEqualsIgnoreCase", stringNotEqualsIgnoreCase = "StringNotEqualsIgnoreCase"
    case stringLike = "StringLike", stringNotLike = "StringNotLike"
    case numericEquals = "NumericEquals", numericNotEquals = "NumericNotEquals"
    case numericLessThan = "NumericLessThan", numericLessThanEquals = "NumericLessThanEquals"
    case numericGreaterThan = "NumericGreaterThan", numericGreaterThanEquals = "NumericGreaterThanEquals"
    case ipAddress = "IpAddress", notIpAddress = "NotIpAddress"
    /// ARN comparisons (e.g. on `aws:SourceArn`): as the string operators, case-sensitive.
    case arnEquals = "ArnEquals", arnNotEquals = "ArnNotEquals", arnLike = "ArnLike", arnNotLike = "ArnNotLike"
    case bool = "Bool", null = "Null"

    /// Negated operators hold for a request without the key.
    var isNegated: Bool {
        [.stringNotEquals, .stringNotEqualsIgnoreCase, .stringNotLike, .numericNotEquals, .notIpAddress,
         .arnNotEquals, .arnNotLike].contains(self)
    }
}

extension BucketPolicy {
    /// S3's answer to a policy it cannot take.
    static func malformed(_ message: String) -> S3Error { S3Error(.badRequest, "MalformedPolicy", message) }

    /// Parses and checks a policy for bucket `bucket`: JSON; a `Statement` (one or a list);
    /// each with `Effect` `Allow` or `Deny`, a `Principal` (or `NotPrincipal`) that is `*` or
    /// names known identities, one of `Action`/`NotAction` with `s3:` actions, one of
    /// `Resource`/`NotResource` with ARNs of this bucket or its objects, and known condition
    /// operators. Anything else is `MalformedPolicy`.
    ///
    /// With `strict` false (a stored policy being evaluated), a principal naming a key removed
    /// since matches nobody instead of failing.
    static func parse(_ bytes: [UInt8], bucket: String, identities: S3Identities, strict: Bool = true) throws -> BucketPolicy {
        guard let text = String(validating: bytes, as: UTF8.self), let document = JSONValue.parse(bytes)?.object
        else { throw malformed("Policies must be valid JSON and the first byte must be '{'") }
        if let version = document["Version"] {
            guard let v = version.string, v == "2012-10-17" || v == "2008-10-17" else {
                throw malformed("Invalid policy document version")
            }
        }
        for key in document.keys where !["Version", "Id", "Statement"].contains(key) {
            throw malformed("Unknown field \(key)")
        }
        let rawStatements: [JSONValue]
        if let list = document["Statement"]?.array { rawStatements = list }
        else if let one = document["Statement"], one.object != nil { rawStatements = [one] }
        else { throw malformed("Missing required field Statement") }
        guard !rawStatements.isEmpty else { throw malformed("Missing required field Statement") }
        var statements: [PolicyStatement] = []
        for raw in rawStatements {
            guard let statement = raw.object else { throw malformed("Statement is not an object") }
            statements.append(try parseStatement(statement, bucket: bucket, identities: identities, strict: strict))
        }
        return BucketPolicy(text: text, statements: statements)
    }

    /// A string or a list of strings; nil otherwise.
    static func strings(_ value: JSONValue?) -> [String]? {
        if let one = value?.string { return [one] }
        if let list = value?.array {
            let texts = list.compactMap(\.string)
            return texts.count == list.count && !texts.isEmpty ? texts : nil
        }
        return nil
    }

    static func parseStatement(_ s: [String: JSONValue], bucket: String, identities: S3Identities, strict: Bool) throws -> PolicyStatement {
        let known: Set<String> = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                                  "NotResource", "Condition"]
        for key in s.keys where !known.contains(key) { throw malformed("Unknown field \(key)") }
        guard let effectText = s["Effect"]?.string else { throw malformed("Missing required field Effect") }
        guard let effect = PolicyStatement.Effect(rawValue: effectText) else { throw malformed("Invalid effect: \(effectText)") }

        guard (s["Principal"] == nil) != (s["NotPrincipal"] == nil) else {
            throw malformed(s["Principal"] == nil ? "Missing required field Principal" : "Statement has both Principal and NotPrincipal")
        }
        let principalNegated = s["Principal"] == nil
        // AWS takes NotPrincipal only with Deny.
        if principalNegated && effect == .allow { throw malformed("NotPrincipal is allowed only with \"Effect\": \"Deny\"") }
        let principals = try parsePrincipal(s["Principal"] ?? s["NotPrincipal"] ?? .null, identities: identities, strict: strict)

        guard (s["Action"] == nil) != (s["NotAction"] == nil) else {
            throw malformed(s["Action"] == nil ? "Missing required field Action" : "Statement has both Action and NotAction")
        }
        let actionNegated = s["Action"] == nil
        guard let actions = strings(s["Action"] ?? s["NotAction"]) else { throw malformed("Policy has invalid action") }
        for action in actions {
            let lower = action.lowercased()
            guard lower == "*" || (lower.hasPrefix("s3:") && lower.count > 3) else {
                throw malformed("Policy has invalid action")
            }
        }

        guard (s["Resource"] == nil) != (s["NotResource"] == nil) else {
            throw malformed(s["Resource"] == nil ? "Missing required field Resource" : "Statement has both Resource and NotResource")
        }
        let resourceNegated = s["Resource"] == nil
        guard let resources = strings(s["Resource"] ?? s["NotResource"]) else { throw malformed("Policy has invalid resource") }
        for resource in resources where resource != "*" {
            guard resource.hasPrefix("arn:aws:s3:::") else { throw malformed("Policy has invalid resource") }
            // Every resource must fall within this bucket, as S3 requires of a bucket policy.
            let path = resource.dropFirst("arn:aws:s3:::".count)
            let bucketPart = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]
            guard PolicyEvaluator.glob(String(bucketPart), matches: bucket, ignoringCase: false) else {
                throw malformed("Policy has invalid resource")
            }
        }

        var conditions: [PolicyCondition] = []
        if let rawConditions = s["Condition"] {
            guard let block = rawConditions.object else { throw malformed("Invalid Condition block") }
            for (operatorText, rawTests) in block {
                guard let tests = rawTests.object else { throw malformed("Invalid Condition block") }
                var name = operatorText
                var forAll = false
                if name.hasPrefix("ForAllValues:") { forAll = true; name.removeFirst("ForAllValues:".count) }
                else if name.hasPrefix("ForAnyValue:") { name.removeFirst("ForAnyValue:".count) }
                let ifExists = name.hasSuffix("IfExists")
                if ifExists { name.removeLast("IfExists".count) }
                guard let operation = PolicyConditionOperator(rawValue: name) else {
                    throw malformed("Invalid Condition type : \(operatorText)")
                }
                for (key, rawValues) in tests {
                    let values: [String]
                    if let list = rawValues.array { values = try list.map(conditionValue) } else { values = [try conditionValue(rawValues)] }
                    guard !values.isEmpty else { throw malformed("Invalid Condition value for \(key)") }
                    if operation == .ipAddress || operation == .notIpAddress {
                        for value in values where IPAddressRange(value) == nil {
                            throw malformed("Invalid IP address: \(value)")
                        }
                    }
                    conditions.append(PolicyCondition(operation: operation, ifExists: ifExists, forAllValues: forAll,
                                                      key: PolicyEvaluator.normalizedKey(key), values: values))
                }
            }
        }
        return PolicyStatement(effect: effect, principals: principals, principalNegated: principalNegated,
                               actions: actions.map { $0.lowercased() }, actionNegated: actionNegated,
                               resources: resources, resourceNegated: resourceNegated, conditions: conditions)
    }

    static func conditionValue(_ value: JSONValue) throws -> String {
        guard let text = value.scalarText else { throw malformed("Invalid Condition value") }
        return text
    }

    static func parsePrincipal(_ value: JSONValue, identities: S3Identities, strict: Bool = true) throws -> PolicyStatement.Principals {
        if let text = value.string {
            guard text == "*" else { throw malformed("Invalid principal in policy") }
            return .anyone
        }
        guard let map = value.object, !map.isEmpty else { throw malformed("Invalid principal in policy") }
        var ids: Set<String> = []
        for (kind, raw) in map {
            guard kind == "AWS" || kind == "CanonicalUser" || kind == "Service", let names = strings(raw) else {
                throw malformed("Invalid principal in policy")
            }
            // AWS services (log delivery, say) never call this server: such a principal matches nobody.
            if kind == "Service" { continue }
            for name in names {
                if name == "*" && kind == "AWS" { return .anyone }
                if let identity = identities.principal(name) {
                    ids.insert(identity.canonicalId)
                } else if strict && !name.hasPrefix("arn:aws:iam::") {
                    // A well-formed ARN of an account this server does not know matches nobody;
                    // anything else that names no identity is refused.
                    throw malformed("Invalid principal in policy")
                }
            }
        }
        return .identities(ids)
    }

    /// Whether a condition tests `s3:ExistingObjectTag/<key>` (so the object's tags are needed).
    var mentionsObjectTags: Bool {
        statements.contains { $0.conditions.contains { $0.key.hasPrefix("s3:existingobjecttag/") } }
    }

    /// Whether the policy grants access to everyone: an `Allow` whose principal is `*` and whose
    /// conditions do not pin the caller down to fixed addresses or accounts (S3's definition of
    /// a *public* policy, for GetBucketPolicyStatus and ``PublicAccessBlock``).
    var isPublic: Bool {
        let restricting: Set<String> = ["aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceaccount",
                                        "aws:sourcearn", "aws:sourceowner", "aws:principalaccount", "aws:principalarn",
                                        "aws:principalorgid", "aws:userid", "aws:username"]
        return statements.contains { statement in
            guard statement.effect == .allow, statement.principals == .anyone, !statement.principalNegated else {
                return false
            }
            return !statement.conditions.contains { condition in
                guard restricting.contains(condition.key) else { return false }
                switch condition.operation {
                case .ipAddress: return !condition.values.contains { $0.hasSuffix("/0") }
                case .stringEquals, .stringEqualsIgnoreCase, .arnEquals: return true
                case .stringLike, .arnLike: return !condition.values.contains("*")
                default: return false
                }
            }
        }
    }
}
