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
