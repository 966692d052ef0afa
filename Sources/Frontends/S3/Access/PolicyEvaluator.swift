import Foundation

/// What a request is, as a policy sees it.
struct PolicyRequest: Sendable {
    /// The requester (nil: anonymous).
    var requester: S3Identity?
    /// The action, e.g. `s3:GetObject`.
    var action: String
    /// The resource ARN: `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`.
    var resource: String
    /// Condition keys (as ``PolicyEvaluator/normalizedKey(_:)`` writes them) and their values.
    var context: [String: [String]] = [:]
}

/// The outcome of evaluating a policy for a request.
enum PolicyDecision: Sendable, Equatable {
    /// A statement denies it (this wins over everything else).
    case explicitDeny
    /// A statement allows it and none denies it.
    case allow
    /// No statement applies.
    case noOpinion
}

/// Evaluates bucket policies: pure functions of a policy and a ``PolicyRequest``.
enum PolicyEvaluator {
    /// The decision of `policy` for `request`: any matching `Deny` wins, then any matching
    /// `Allow`; otherwise no opinion.
    static func evaluate(_ policy: BucketPolicy, _ request: PolicyRequest) -> PolicyDecision {
        var allowed = false
        for statement in policy.statements where applies(statement, to: request) {
            if statement.effect == .deny { return .explicitDeny }
            allowed = true
        }
        return allowed ? .allow : .noOpinion
    }

    /// Whether every part of `statement` (principal, action, resource, conditions) matches.
    static func applies(_ statement: PolicyStatement, to request: PolicyRequest) -> Bool {
        let principalMatches: Bool
        switch statement.principals {
        case .anyone: principalMatches = true
        case .identities(let ids): principalMatches = request.requester.map { ids.contains($0.canonicalId) } ?? false
        }
        guard principalMatches != statement.principalNegated else { return false }
        let action = request.action.lowercased()
        let actionMatches = statement.actions.contains { glob($0, matches: action, ignoringCase: true) }
        guard actionMatches != statement.actionNegated else { return false }
        let resourceMatches = statement.resources.contains { glob($0, matches: request.resource, ignoringCase: false) }
        guard resourceMatches != statement.resourceNegated else { return false }
        return statement.conditions.allSatisfy { holds($0, request.context) }
    }

    /// A condition key as the evaluator compares it: the part before any `/` lower-cased (keys
    /// are case-insensitive), the rest (a tag key) as written.
    static func normalizedKey(_ key: String) -> String {
        guard let slash = key.firstIndex(of: "/") else { return key.lowercased() }
        return key[..<slash].lowercased() + key[slash...]
    }

    /// Whether `condition` holds for a request whose condition keys are `context`.
    static func holds(_ condition: PolicyCondition, _ context: [String: [String]]) -> Bool {
        if condition.operation == .null {
            let isNull = context[condition.key] == nil
            return condition.values.contains { ($0.lowercased() == "true") == isNull }
        }
        guard let present = context[condition.key], !present.isEmpty else {
            return condition.ifExists || condition.operation.isNegated
        }
        let matchesOne: (String) -> Bool = { value in
            if condition.operation.isNegated {
                // A negated operator holds when the value matches none of the condition's values.
                return !condition.values.contains { compare(positive(of: condition.operation), $0, value) }
            }
            return condition.values.contains { compare(condition.operation, $0, value) }
        }
        return condition.forAllValues ? present.allSatisfy(matchesOne) : present.contains(where: matchesOne)
    }

    /// The positive operator a negated one negates.
    static func positive(of operation: PolicyConditionOperator) -> PolicyConditionOperator {
        switch operation {
        case .stringNotEquals: .stringEquals
        case .stringNotEqualsIgnoreCase: .stringEqualsIgnoreCase
        case .stringNotLike: .stringLike
        case .numericNotEquals: .numericEquals
        case .notIpAddress: .ipAddress
        case .arnNotEquals: .arnEquals
        case .arnNotLike: .arnLike
        default: operation
        }
    }

    /// Whether request value `actual` satisfies positive operator `operation` with policy value `expected`.
    static func compare(_ operation: PolicyConditionOperator, _ expected: String, _ actual: String) -> Bool {
        switch operation {
        case .stringEquals, .arnEquals: return expected == actual
        case .stringEqualsIgnoreCase: return expected.lowercased() == actual.lowercased()
        case .stringLike, .arnLike: return glob(expected, matches: actual, ignoringCase: false)
        case .bool: return expected.lowercased() == actual.lowercased()
        case .ipAddress:
            guard let range = IPAddressRange(expected), let address = IPAddressRange(actual) else { return false }
            return range.contains(address.address)
        case .numericEquals, .numericLessThan, .numericLessThanEquals, .numericGreaterThan, .numericGreaterThanEquals:
            guard let e = Double(expected), let a = Double(actual) else { return false }
            switch operation {
            case .numericEquals: return a == e
            case .numericLessThan: return a < e
            case .numericLessThanEquals: return a <= e
            case .numericGreaterThan: return a > e
            default: return a >= e
            }
        default: return false
        }
    }

    /// Whether `text` matches `pattern`, where `*` is any run of characters and `?` any one.
    static func glob(_ pattern: String, matches text: String, ignoringCase: Bool) -> Bool {
        let p = Array(ignoringCase ? pattern.lowercased() : pattern)
        let t = Array(ignoringCase ? text.lowercased() : text)
        var pi = 0, ti = 0
        var star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

/// An IPv4 or IPv6 address or CIDR range (`192.0.2.0/24`, `2001:db8::/32`); IPv4-mapped IPv6
/// addresses count as IPv4.
struct IPAddressRange: Sendable, Equatable {
    /// The address bytes (4 or 16).
    let address: [UInt8]
    /// The prefix length.
    let prefix: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = Self.parseAddress(String(parts[0])) else { return nil }
        var length = bytes.count * 8
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...(parts[0].contains(":") ? 128 : 32)).contains(given) else { return nil }
            // An IPv4-mapped range keeps its prefix within the IPv4 part.
            length = parts[0].contains(":") && bytes.count == 4 ? max(0, given - 96) : given
        }
        address = bytes
        prefix = length
    }

    /// Whether `other` (address bytes) lies in this range.
    func contains(_ other: [UInt8]) -> Bool {
        guard other.count == address.count else { return false }
        var bits = prefix
        for i in 0..<address.count where bits > 0 {
            let take = min(8, bits)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if address[i] & mask != other[i] & mask { return false }
            bits -= take
        }
        return true
    }

    static func parseAddress(_ text: String) -> [UInt8]? {
        if !text.contains(":") {
            let octets = text.split(separator: ".", omittingEmptySubsequences: false)
            guard octets.count == 4 else { return nil }
            var out: [UInt8] = []
            for octet in octets {
                guard (1...3).contains(octet.count), let value = UInt8(octet) else { return nil }
                out.append(value)
            }
            return out
        }
        var text = text
        if let lastColon = text.lastIndex(of: ":"), text[lastColon...].contains(".") {
            // A trailing dotted IPv4 part (`::ffff:192.0.2.1`) is two groups.
            guard let v4 = parseAddress(String(text[text.index(after: lastColon)...])) else { return nil }
            let high = String(UInt16(v4[0]) << 8 | UInt16(v4[1]), radix: 16)
            let low = String(UInt16(v4[2]) << 8 | UInt16(v4[3]), radix: 16)
            text = text[...lastColon] + high + ":" + low
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(g.count), let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        let wanted = 8
        var all: [UInt16]
        if halves.count == 2 {
            guard let rest = groups(halves[1]), head.count + rest.count < wanted else { return nil }
            all = head + Array(repeating: 0, count: wanted - head.count - rest.count) + rest
        } else {
            guard head.count == wanted else { return nil }
            all = head
        }
        var bytes = all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        // ::ffff:a.b.c.d is an IPv4 address.
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            bytes = Array(bytes[12...])
        }
        return bytes
    }
}
