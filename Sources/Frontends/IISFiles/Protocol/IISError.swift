import HTTPTypes

/// An error of the IIS Administration API: a status and a `application/problem+json` body whose
/// keys come in the order IIS writes them (title, name, detail, status).
public struct IISError: Error, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The body's members, in order.
    public var body: [(String, JSON)]
    /// Extra headers (e.g. `WWW-Authenticate`).
    public var headers: [(String, String)] = []

    init(_ status: HTTPResponse.Status, _ body: [(String, JSON)], headers: [(String, String)] = []) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    /// 400 `{"title":"Invalid parameter","name":p[,"detail":d]}`.
    static func invalidParameter(_ name: String, _ detail: String? = nil) -> IISError {
        var body: [(String, JSON)] = [("title", .string("Invalid parameter")), ("name", .string(name))]
        if let detail { body.append(("detail", .string(detail))) }
        body.append(("status", .int(400)))
        return IISError(.badRequest, body)
    }

    /// 404 `{"title":"Not found"[,"name":p]}`.
    static func notFound(_ name: String? = nil) -> IISError {
        var body: [(String, JSON)] = [("title", .string("Not found"))]
        if let name { body.append(("name", .string(name))) }
        body.append(("status", .int(404)))
        return IISError(.notFound, body)
    }

    /// A bare 404 (`return NotFound()` in the controllers): ASP.NET Core's ProblemDetails.
    static let bareNotFound = IISError(.notFound, [
        ("type", .string("https://tools.ietf.org/html/rfc7231#section-6.5.4")),
        ("title", .string("Not Found")), ("status", .int(404)),
    ])

    /// 409 `{"title":"Conflict","detail":"Already exists","name":p}`.
    static func conflict(_ name: String) -> IISError {
        IISError(.conflict, [("title", .string("Conflict")), ("detail", .string("Already exists")),
                             ("name", .string(name)), ("status", .int(409))])
    }

    /// 403 `{"title":"Forbidden","name":p[,"detail":d]}`.
    static func forbidden(_ name: String, _ detail: String? = nil) -> IISError {
        var body: [(String, JSON)] = [("title", .string("Forbidden")), ("name", .string(name))]
        if let detail { body.append(("detail", .string(detail))) }
        body.append(("status", .int(403)))
        return IISError(.forbidden, body)
    }

    /// 405 `{"title":"Not Allowed","message":m}`.
    static func notAllowed(_ method: HTTPRequest.Method) -> IISError {
        IISError(.methodNotAllowed, [("title", .string("Not Allowed")),
                                     ("message", .string("The method \(method.rawValue) is not allowed on this resource")),
                                     ("status", .int(405))])
    }

    /// 412 `{"title":"Precondition Failed","name":header}`.
    static func preconditionFailed(_ header: String) -> IISError {
        IISError(.preconditionFailed, [("title", .string("Precondition Failed")), ("name", .string(header)), ("status", .int(412))])
    }

    /// 415: the body is JSON `null` or empty.
    static let invalidJSON = IISError(.unsupportedMediaType,
                                      [("title", .string("Invalid JSON request object")), ("status", .int(415))],
                                      headers: [("Accept-Patch", "application/json;charset=utf-8")])

    /// 400: the body is not JSON (ASP.NET Core's validation problem).
    static let malformedJSON = IISError(.badRequest, [
        ("type", .string("https://tools.ietf.org/html/rfc7231#section-6.5.1")),
        ("title", .string("One or more validation errors occurred.")), ("status", .int(400)),
        ("errors", .object([("", .array([.string("The request body is not valid JSON.")]))])),
    ])

    /// 416 `{"title":"Invalid Range"}`.
    static let invalidRange = IISError(HTTPResponse.Status(code: 416), [("title", .string("Invalid Range")), ("status", .int(416))])

    /// 403 for a missing or wrong access token, with `WWW-Authenticate: Bearer`.
    static let unauthorized = IISError(.forbidden, [("title", .string("Unauthorized")),
                                                    ("authentication_scheme", .string("Bearer")), ("status", .int(403))],
                                       headers: [("WWW-Authenticate", "Bearer")])

    /// 500 for an unexpected failure (the store's message is kept in the log, not sent).
    static func internalError(_ detail: String) -> IISError {
        IISError(.internalServerError, [("title", .string("Internal Server Error")), ("detail", .string(detail)), ("status", .int(500))])
    }
}
