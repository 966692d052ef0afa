import FrontKit
import HTTPTypes

/// The resource a request addresses (IIS v6 attribute routes plus the `?id=` query forms of
/// v2.3 that the IIS Web Manager uses).
enum IISRoute: Equatable, Sendable {
    /// `/api/files` (with `?id=`: the item, see ``item``).
    case files
    /// `/api/files/{id}` or `/api/files?id=` for GET, PATCH, DELETE.
    case item(String)
    /// `/api/files/content/{id}` or `/api/files/content?id=`.
    case content(String?)
    /// `/api/files/copy[/{op}]`, `/api/files/move[/{op}]`.
    case copy(String?), move(String?)
    /// `/api/files/downloads` (and the singular `/api/files/download` of the docs page).
    case fileDownloads
    /// `/downloads/{id}` (anonymous).
    case download(String)
    /// `/api/files/locations[/{id}]`.
    case locations(String?)
    /// `/api/webserver/websites[/{id}]`.
    case websites(String?)
    /// `/api/webserver/files[/{id}]`.
    case webFiles(String?)

    /// Whether the route needs the access token (everything but download links).
    var needsToken: Bool {
        if case .download = self { return false }
        return true
    }

    /// Routes `target`; nil when no route matches.
    static func match(_ target: RequestTarget) -> IISRoute? {
        let s = target.segments
        let queryId = target.value("id").flatMap { $0.isEmpty ? nil : $0 }
        func tail(_ n: Int) -> String?? {
            if s.count == n { return .some(nil) }
            if s.count == n + 1, !s[n].isEmpty { return .some(s[n]) }
            return nil
        }
        if s.count == 2, s[0] == "downloads", !s[1].isEmpty { return .download(s[1]) }
        guard s.count >= 2, s[0].lowercased() == "api" else { return nil }
        switch s[1].lowercased() {
        case "files":
            if s.count == 2 { return queryId.map { .item($0) } ?? .files }
            switch s[2].lowercased() {
            case "content":
                guard let id = tail(3) else { return nil }
                return .content(id ?? queryId)
            case "copy":
                guard let id = tail(3) else { return nil }
                return .copy(id)
            case "move":
                guard let id = tail(3) else { return nil }
                return .move(id)
            case "downloads", "download":
                return s.count == 3 ? .fileDownloads : nil
            case "locations":
                guard let id = tail(3) else { return nil }
                return .locations(id)
            default:
                return s.count == 3 ? .item(s[2]) : nil
            }
        case "webserver":
            guard s.count >= 3 else { return nil }
            switch s[2].lowercased() {
            case "websites":
                guard let id = tail(3) else { return nil }
                return .websites(id)
            case "files":
                guard let id = tail(3) else { return nil }
                return .webFiles(id ?? queryId)
            default: return nil
            }
        default:
            return nil
        }
    }
}
