import HTTPTypes

extension HTTPFields {
    /// Sets (replacing) header `name`; a name that is not a valid field name is ignored.
    public mutating func set(_ name: String, _ value: String) {
        guard let field = HTTPField.Name(name) else { return }
        set(field, value)
    }

    /// Sets (replacing) header `name`. A name not there yet is appended: the general setter
    /// builds an array of the new fields and rewrites the list even then, which, over the
    /// twenty-odd headers of a small GET's answer, was 3% of its time (issue #14).
    public mutating func set(_ name: HTTPField.Name, _ value: String) {
        if contains(name) {
            self[name] = value
        } else {
            append(HTTPField(name: name, value: value))
        }
    }
}
