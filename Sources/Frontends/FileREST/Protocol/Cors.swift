import FrontKit

/// CORS: the rules stored with the file service properties, applied to responses of
/// requests that carry an `Origin` header.
enum Cors {
    static func apply(_ context: OperationContext, to response: inout FrontResponse) {}
}
