import HTTPTypes

extension HTTPFields {
    /// Sets (replacing) header `name`; a name that is not a valid field name is ignored.
    public mutating func set(_ name: String, _ value: String) {
        guard let field = HTTPField.Name(name) else { return }
        self[field] = value
    }

    /// Sets (replacing) header `name`: every field is compared with `name` first.
    public mutating func set(_ name: HTTPField.Name, _ value: String) {
        self[name] = value
    }

    /// Appends a field `name` without looking for one already there: for building a set of
    /// fields whose names are known to be new (a response's properties). Building the 16
    /// fields of a file download so takes half the time of ``set(_:_:)-(HTTPField.Name,_)``,
    /// whose every call compares each field already set with the new name (issue #14).
    public mutating func add(_ name: HTTPField.Name, _ value: String) {
        append(HTTPField(name: name, value: value))
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
