import HTTPTypes

extension HTTPFields {
    /// Sets (replacing) header `name`; a name that is not a valid field name is ignored.
    public mutating func set(_ name: String, _ value: String) {
        guard let field = HTTPField.Name(name) else { return }
        self[field] = value
    }
}
