import HTTPTypes

extension HTTPFields {
    /// Sets (replacing) header `name`; a name that is not a valid field name is ignored.
    public mutating func set(_ name: String, _ value: String) {
        guard let field = HTTPField.Name(name) else { return }
        self[field] = value
    }

    /// Sets (replacing) header `name`.
    ///
    /// Through the subscript on purpose: it is inlined here and appends a new name directly,
    /// where `HTTPFields`' public `append` goes through `RangeReplaceableCollection`'s generic,
    /// unspecialised `insert`, which profiled slower (issue #14).
    public mutating func set(_ name: HTTPField.Name, _ value: String) {
        self[name] = value
    }
}

extension HTTPFields {
    /// The value of field `name`, as `self[name]` gives it (the values of every field of that
    /// name, joined as HTTP joins them), but without building a new string when there is one
    /// such field, the usual case: the subscript joins even a single value, which made each
    /// header lookup of a small request cost a string (issue #14).
    public func value(_ name: HTTPField.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            if found != nil { return self[name] }
            found = field.value
        }
        return found
    }
}
