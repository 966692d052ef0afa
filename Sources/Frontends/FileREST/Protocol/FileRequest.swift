import FrontKit
import HTTPTypes

/// What a request addresses.
enum ResourceKind: Sendable, Equatable {
    /// The account (the file service itself).
    case service
    case share
    case directory
    case file
}

/// A request parsed into the parts every operation needs.
struct FileRequest: Sendable {
    let head: HTTPRequest
    let target: RequestTarget
    let body: RequestBody
    let remoteAddress: String?
    /// The account named in the path (path style) or the Host header (host style).
    let account: String
    /// Whether the account came from the Host header.
    let hostStyle: Bool
    /// The share, when the request addresses one (or something in one).
    let share: String?
    /// Path components inside the share (empty for the share's root).
    let path: [String]
    /// The query's parameters as a SAS reads them (names lower-cased), made once: the SAS check
    /// and the response overrides of Get File each made them again (issue #14).
    let sasFields: SASFields

    var method: HTTPRequest.Method { head.method }
    var headers: HTTPFields { head.headerFields }

    /// A header's value (the first, when repeated).
    func header(_ name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return head.headerFields.value(field)
    }

    /// A query parameter's value.
    func query(_ name: String) -> String? { target.value(name) }

    var comp: String? { target.value("comp")?.lowercased() }
    var restype: String? { target.value("restype")?.lowercased() }
    /// The `sharesnapshot` parameter: reads go to that snapshot.
    var snapshot: String? { target.value("sharesnapshot") }
    /// The path inside the share, `/`-joined, naming the item: trailing dots of each name are
    /// dropped (`name.` is `name`, as on Azure) unless `x-ms-allow-trailing-dot: true`.
    var pathString: String {
        let allow = header("x-ms-allow-trailing-dot")?.lowercased() == "true"
        return FileRequest.itemPath(path, allowTrailingDot: allow)
    }

    /// The path inside the share exactly as the URL gives it (what a SAS signs).
    var addressedPath: String { path.joined(separator: "/") }

    /// `segments` joined with `/`, each without its trailing dots unless `allowTrailingDot`
    /// (a name of dots only is kept as it is).
    static func itemPath(_ segments: [String], allowTrailingDot: Bool) -> String {
        // Names without trailing dots (the usual case) are joined as they are, and a single
        // name is itself: a new list and string per request showed in a small GET (issue #14).
        guard !allowTrailingDot, segments.contains(where: { $0.utf8.last == UInt8(ascii: ".") }) else {
            return segments.count == 1 ? segments[0] : segments.joined(separator: "/")
        }
        return segments.map { segment in
            var trimmed = Substring(segment)
            while trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
            return trimmed.isEmpty ? segment : String(trimmed)
        }.joined(separator: "/")
    }

    /// Parses the addressing of `request` for `account` (the server's account name).
    static func parse(_ request: FrontRequest, account expected: String) throws -> FileRequest {
        guard let pathAndQuery = request.head.path, let target = RequestTarget(pathAndQuery) else {
            throw FileRESTError(.badRequest, "InvalidUri", "The requested URI does not represent any resource on the server.")
        }
        var segments = target.segments
        var account = expected
        var hostStyle = false
        let host = request.head.authority ?? request.head.headerFields.value(hostField) ?? ""
        if let named = hostStyleAccount(host) {
            account = named
            hostStyle = true
        } else {
            guard let first = segments.first else {
                throw FileRESTError(.badRequest, "InvalidUri", "The requested URI does not name an account.")
            }
            account = first
            segments.removeFirst()
        }
        let share = segments.first
        let path = Array(segments.dropFirst())
        return FileRequest(head: request.head, target: target, body: request.body, remoteAddress: request.remoteAddress,
                           account: account, hostStyle: hostStyle, share: share, path: path, sasFields: SASFields(target))
    }

    private static let hostField = HTTPField.Name("Host")!

    /// The account a host of the form `account.file.…` names (lower-cased), or nil for any
    /// other host (an address, `localhost`, a name with a port). Read byte by byte: splitting
    /// the host and lower-casing it was 1% of a small GET (issue #14).
    static func hostStyleAccount(_ host: String) -> String? {
        let bytes = host.utf8
        guard let dot = bytes.firstIndex(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }),
              bytes[dot] == UInt8(ascii: ".") else { return nil }
        let suffix = ".file.".utf8
        var index = dot
        for expected in suffix {
            guard index < bytes.endIndex,
                  bytes[index] | (bytes[index] >= UInt8(ascii: "A") && bytes[index] <= UInt8(ascii: "Z") ? 0x20 : 0) == expected
            else { return nil }
            index = bytes.index(after: index)
        }
        return String(host[..<dot]).lowercased()
    }

    /// What the request addresses, from the path and `restype`.
    var kind: ResourceKind {
        guard share != nil else { return .service }
        switch restype {
        case "share": return .share
        case "directory": return .directory
        default: return path.isEmpty ? .share : .file
        }
    }
}
