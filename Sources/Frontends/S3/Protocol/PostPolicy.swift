import Foundation

/// The policy document of a browser form upload (POST Object): when it expires and the
/// conditions the form's fields and file must meet. It arrives base64-encoded in the `policy`
/// field and is what the form's signature signs.
///
/// Errors are S3's: a document that cannot be read is 400 `InvalidPolicyDocument` ("Invalid
/// Policy: ..."); an expired policy, a failed condition or a field no condition names is 403
/// `AccessDenied` ("Invalid according to Policy: ..."); a file outside `content-length-range` is
/// 400 `EntityTooSmall` / `EntityTooLarge` (checked while the file streams, see ``lengthRange``).
struct PostPolicy: Sendable {
    /// One condition.
    enum Condition: Sendable, Equatable {
        /// `{"field": "value"}` or `["eq", "$field", "value"]`.
        case equals(field: String, value: String, text: String)
        /// `["starts-with", "$field", "prefix"]`.
        case startsWith(field: String, prefix: String, text: String)
        /// `["content-length-range", min, max]`.
        case lengthRange(ClosedRange<UInt64>)
        /// A condition S3 reads but that can never hold (e.g. a range whose bounds are not
        /// numbers): it fails when checked.
        case unsatisfiable(text: String)
    }

    /// After this instant the policy no longer authorizes anything.
    let expiration: Date
    /// The conditions, in order.
    let conditions: [Condition]

    /// Form fields no condition needs to name: the signature's own, the file, and `x-ignore-*`.
    static let exemptFields: Set<String> = ["x-amz-signature", "signature", "awsaccesskeyid", "file", "policy"]

    /// The bounds the file's length must be within (of all `content-length-range` conditions
    /// together; a minimum above the maximum admits no file), or nil when there is none.
    var lengthRange: (min: UInt64, max: UInt64)? {
        var low: UInt64?
        var high: UInt64?
        for case .lengthRange(let range) in conditions {
            low = max(low ?? 0, range.lowerBound)
            high = min(high ?? .max, range.upperBound)
        }
        guard let low, let high else { return nil }
        return (low, high)
    }

    // MARK: Reading

    /// Decodes the `policy` field (base64 of a JSON document).
    static func parse(base64 text: String) throws(S3Error) -> PostPolicy {
        let cleaned = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: cleaned) else { throw invalid("invalid Base64 encoding.") }
        return try parse(json: Array(data))
    }

    /// Reads a policy document.
    static func parse(json bytes: [UInt8]) throws(S3Error) -> PostPolicy {
        guard let value = try? JSONDecoder().decode(PolicyJSONValue.self, from: Data(bytes)), case .object(let members) = value else {
            throw invalid("Invalid JSON.")
        }
        for (name, _) in members where name != "expiration" && name != "conditions" {
            throw invalid("Unexpected: '\(name.lowercased())'")
        }
        guard let expirationValue = members["expiration"] else { throw invalid("Policy missing expiration.") }
        guard case .string(let expirationText) = expirationValue, let expiration = parseExpiration(expirationText) else {
            throw invalid("Invalid 'expiration' value: '\(expirationValue.text)'")
        }
        guard let conditionsValue = members["conditions"] else { throw invalid("Policy missing conditions.") }
        guard case .array(let items) = conditionsValue else { throw invalid("Invalid 'conditions' value: must be a List.") }
        var conditions: [Condition] = []
        for item in items { conditions.append(try condition(item)) }
        return PostPolicy(expiration: expiration, conditions: conditions)
    }

    /// One condition: an object of one member (an exact match) or a list `[operation, ...]`.
    private static func condition(_ item: PolicyJSONValue) throws(S3Error) -> Condition {
        switch item {
        case .object(let members):
            guard members.count == 1, let (name, value) = members.first else {
                throw invalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
            }
            guard case .string(let text) = value else { throw invalid("Invalid Simple-Condition: value must be a string.") }
            let field = name.hasPrefix("$") ? String(name.dropFirst()) : name
            return .equals(field: field.lowercased(), value: text, text: display(["eq", "$" + field, text]))
        case .array(let list):
            guard let first = list.first else { throw invalid("Invalid Condition: missing operation identifier.") }
            guard case .string(let operation) = first else { throw invalid("Invalid JSON.") }
            switch operation.lowercased() {
            case "eq", "starts-with":
                guard list.count == 3 else { throw invalid("Invalid \(operation): wrong number of arguments.") }
                guard case .string(let name) = list[1], case .string(let value) = list[2] else { throw invalid("Invalid JSON.") }
                let text = display([operation, name, value])
                // A field is named with a leading '$'; without it the condition can never hold.
                guard name.hasPrefix("$") else { return .unsatisfiable(text: text) }
                let field = String(name.dropFirst()).lowercased()
                return operation.lowercased() == "eq" ? .equals(field: field, value: value, text: text)
                    : .startsWith(field: field, prefix: value, text: text)
            case "content-length-range":
                guard list.count == 3 else { throw invalid("Invalid content-length-range: wrong number of arguments.") }
                let text = display([operation, list[1].text, list[2].text])
                guard let low = try bound(list[1]), let high = try bound(list[2]) else { return .unsatisfiable(text: text) }
                guard low >= 0, high >= 0 else {
                    throw invalid("Invalid content-length-range: the bounds must not be negative.")
                }
                guard low <= high else { return .unsatisfiable(text: text) }
                return .lengthRange(UInt64(low)...UInt64(high))
            default:
                throw invalid("Invalid Condition: unknown operation '\(operation)'.")
            }
        default:
            throw invalid("Invalid condition test: must be a List or Object.")
        }
    }

    /// A bound of `content-length-range`: a whole number, or a string of one (nil when the
    /// string is not a number, which makes the condition fail); a fraction is invalid JSON to S3.
    private static func bound(_ value: PolicyJSONValue) throws(S3Error) -> Int64? {
        switch value {
        case .integer(let n): return n
        case .string(let s): return Int64(s)
        default: throw invalid("Invalid JSON.")
        }
    }

    /// `2026-12-04T12:00:00Z` or `2026-12-04T12:00:00.000Z` (UTC only).
    static func parseExpiration(_ text: String) -> Date? {
        let u = Array(text.utf8)
        guard u.count == 20 || (u.count > 21 && u.count <= 30 && u[19] == 0x2E), u.last == 0x5A else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            guard range.allSatisfy({ (48...57).contains(u[$0]) }) else { return nil }
            return range.reduce(0) { $0 * 10 + Int(u[$1] - 48) }
        }
        guard u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54, u[13] == 0x3A, u[16] == 0x3A,
              let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10),
              let hour = digits(11..<13), let minute = digits(14..<16), let second = digits(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if u.count > 20 {
            guard let f = digits(20..<(u.count - 1)) else { return nil }
            fraction = Double(f) / pow(10, Double(u.count - 21))
        }
        var components = DateComponents()
        (components.year, components.month, components.day) = (year, month, day)
        (components.hour, components.minute, components.second) = (hour, minute, second)
        var calendar = Calendar(identifier: .gregorian)
        guard let utc = TimeZone(identifier: "UTC") else { return nil }
        calendar.timeZone = utc
        return calendar.date(from: components).map { $0.addingTimeInterval(fraction) }
    }

    // MARK: Checking

    /// Checks the policy against the form: not expired at `now`, every condition met by
    /// `fields` (lower-case names; the bucket condition by `bucket`, the request's bucket), and
    /// every field named by some condition. The file's length is checked as it streams.
    func check(fields: [String: String], bucket: String, now: Date) throws(S3Error) {
        guard now < expiration else { throw Self.denied("Policy expired.") }
        var named: Set<String> = []
        for condition in conditions {
            switch condition {
            case .equals(let field, let value, let text):
                named.insert(field)
                let actual = field == "bucket" ? bucket : fields[field]
                guard actual == value else { throw Self.denied("Policy Condition failed: " + text) }
            case .startsWith(let field, let prefix, let text):
                named.insert(field)
                // An empty prefix admits any value, and no value: the field is optional.
                let actual = field == "bucket" ? bucket : fields[field] ?? (prefix.isEmpty ? "" : nil)
                guard let actual, Self.startsWith(actual, prefix, field: field) else { throw Self.denied("Policy Condition failed: " + text) }
            case .lengthRange:
                break
            case .unsatisfiable(let text):
                throw Self.denied("Policy Condition failed: " + text)
            }
        }
        let extra = fields.keys.filter { !Self.exemptFields.contains($0) && !$0.hasPrefix("x-ignore-") && !named.contains($0) }.sorted()
        if !extra.isEmpty { throw Self.denied("Extra input fields: " + extra.joined(separator: ", ")) }
    }

    /// `starts-with`: for `Content-Type`, a comma-separated list of types must all start with
    /// the prefix; any other value is one string.
    static func startsWith(_ value: String, _ prefix: String, field: String) -> Bool {
        guard field == "content-type", value.contains(",") else { return value.hasPrefix(prefix) }
        return value.split(separator: ",").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }
    }

    // MARK: Errors and display

    static func invalid(_ message: String) -> S3Error {
        S3Error(.badRequest, "InvalidPolicyDocument", "Invalid Policy: " + message)
    }

    static func denied(_ message: String) -> S3Error {
        S3Error(.forbidden, "AccessDenied", "Invalid according to Policy: " + message)
    }

    /// A condition as S3 prints it in errors: `["eq", "$key", "value"]`.
    static func display(_ items: [String]) -> String {
        "[" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ", ") + "]"
    }
}

/// A JSON value as the POST policy reader needs it: numbers are told apart as whole or not
/// (bucket policies use ``JSONValue``, where every number is a Double).
enum PolicyJSONValue: Decodable, Sendable {
    case string(String)
    case integer(Int64)
    case fraction(Double)
    case bool(Bool)
    case null
    case array([PolicyJSONValue])
    case object([String: PolicyJSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .fraction(value)
        } else if let value = try? container.decode([PolicyJSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: PolicyJSONValue].self))
        }
    }

    /// The value as text, for messages.
    var text: String {
        switch self {
        case .string(let s): s
        case .integer(let n): String(n)
        case .fraction(let d): String(d)
        case .bool(let b): String(b)
        case .null: "null"
        case .array: "[...]"
        case .object: "{...}"
        }
    }
}
