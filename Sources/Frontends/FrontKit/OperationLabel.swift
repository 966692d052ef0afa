import HTTPTypes

/// Names of protocol operations as metrics and logs show them (``FrontResponse/operation``):
/// upper camel case, like the protocols' own operation names (`PutObject`, `CreateShare`).
public enum OperationLabel {
    /// `name` with its first letter upper-cased (`listObjectsV2` becomes `ListObjectsV2`).
    public static func named(_ name: String) -> String {
        name.prefix(1).uppercased() + name.dropFirst()
    }

    /// The method and the kind of resource a route names, for fronts whose routes are
    /// resources rather than named operations: `GET` on `.recoveryPoints(item)` becomes
    /// `GetRecoveryPoints`. Associated values (names, ids) are left out, so the labels stay few.
    public static func route(_ method: HTTPRequest.Method, _ resource: some Sendable) -> String {
        let kind = Mirror(reflecting: resource).children.first?.label ?? String(describing: resource)
        return named(method.rawValue.lowercased()) + named(kind)
    }
}
