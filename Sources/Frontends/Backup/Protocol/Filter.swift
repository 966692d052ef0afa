/// An OData-style `$filter` as Azure Backup takes it: `name eq 'value'` clauses joined by `and`.
struct BackupFilter {
    /// The clauses, names lower-cased, values as written.
    var clauses: [(name: String, value: String)] = []

    /// Parses `text` (nil or empty: no clauses); 400 `BMSUserErrorInvalidInput` on a syntax error.
    init(_ text: String?) throws(BackupError) {
        guard let text else { return }
        var rest = Substring(text)
        func skipSpaces() { rest = rest.drop { $0 == " " } }
        skipSpaces()
        while !rest.isEmpty {
            let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            guard !name.isEmpty else { throw .invalidInput("The $filter '\(text)' is malformed.") }
            rest = rest.dropFirst(name.count)
            skipSpaces()
            guard rest.lowercased().hasPrefix("eq ") || rest.lowercased().hasPrefix("eq'") else {
                throw .invalidInput("The $filter '\(text)' is malformed: only 'eq' comparisons are supported.")
            }
            rest = rest.dropFirst(2)
            skipSpaces()
            guard rest.first == "'" else { throw .invalidInput("The $filter '\(text)' is malformed: values are quoted with '.") }
            rest = rest.dropFirst()
            var value = ""
            while true {
                guard let c = rest.first else { throw .invalidInput("The $filter '\(text)' has an unterminated value.") }
                rest = rest.dropFirst()
                if c == "'" {
                    if rest.first == "'" {
                        value.append("'")
                        rest = rest.dropFirst()
                        continue
                    }
                    break
                }
                value.append(c)
            }
            clauses.append((String(name).lowercased(), value))
            skipSpaces()
            if rest.isEmpty { break }
            guard rest.lowercased().hasPrefix("and ") else { throw .invalidInput("The $filter '\(text)' is malformed: clauses are joined with 'and'.") }
            rest = rest.dropFirst(4)
            skipSpaces()
            if rest.isEmpty { throw .invalidInput("The $filter '\(text)' ends with 'and'.") }
        }
    }

    /// The value of clause `name` (lower-case), if present.
    func value(_ name: String) -> String? { clauses.first { $0.name == name }?.value }

    /// Fails when a clause is not one of `names`.
    func allow(_ names: Set<String>) throws(BackupError) {
        for clause in clauses where !names.contains(clause.name) {
            throw .invalidInput("The $filter property '\(clause.name)' is not supported.")
        }
    }

    /// A date clause parsed, 400 when unparsable.
    func date(_ name: String) throws(BackupError) -> FileTimeValue? {
        guard let text = value(name) else { return nil }
        guard let time = ARMTime.parse(text) else { throw .invalidInput("The $filter date '\(text)' of '\(name)' cannot be parsed.") }
        return FileTimeValue(ticks: time.ticks)
    }
}

/// A parsed filter date (ticks since 1970).
struct FileTimeValue {
    var ticks: Int64
}
