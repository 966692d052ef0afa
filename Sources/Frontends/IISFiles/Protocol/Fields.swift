/// The `fields` query (`name,parent.name`, `*` for all): which members a model keeps. `id` is
/// always kept, and `_links` too.
struct Fields: Sendable {
    /// The requested names; nil means every field.
    let names: Set<String>?

    /// Every field.
    static let all = Fields(names: nil)

    /// Fields from the query value (nil or `*`: all).
    init(query: String?) {
        guard let query, !query.isEmpty else { names = nil; return }
        let parts = Set(query.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        names = parts.contains("*") || parts.isEmpty ? nil : parts
    }

    private init(names: Set<String>?) { self.names = names }

    /// Whether member `key` is kept.
    func has(_ key: String) -> Bool {
        guard let names else { return true }
        return key == "id" || key == "_links" || names.contains(key) || names.contains { $0.hasPrefix(key + ".") }
    }

    /// The fields of nested member `key`: those named `key.x`, or all when none is.
    func nested(_ key: String) -> Fields {
        guard let names else { return .all }
        let inner = Set(names.compactMap { $0.hasPrefix(key + ".") ? String($0.dropFirst(key.count + 1)) : nil })
        return inner.isEmpty ? .all : Fields(names: inner)
    }

    /// `value` with only the kept members (recursively for nested objects).
    func apply(_ value: JSON) -> JSON {
        guard names != nil, case .object(let members) = value else { return value }
        return .object(members.compactMap { key, member in
            guard has(key) else { return nil }
            if case .object = member, key != "_links" { return (key, nested(key).apply(member)) }
            return (key, member)
        })
    }
}
