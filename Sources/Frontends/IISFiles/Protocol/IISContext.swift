import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// An item found in the store: its path with the names as stored, and its properties.
struct Item: Sendable {
    var path: ItemPath
    var info: NodeInfo
    var caseSensitive: Bool
    var isDirectory: Bool { info.isDirectory }
}

/// Everything an operation needs: the store, the request, the locations, id sealing.
struct IISContext: Sendable {
    let store: ShareStore
    let configuration: IISFilesConfiguration
    let ids: IdScheme
    let operations: OperationBook
    let request: FrontRequest
    let target: RequestTarget
    /// Locations, longest path first.
    let locations: [Location]
    /// Whether the client asked for HAL (`Accept` containing `hal`).
    let hal: Bool

    init(service: IISFilesService, request: FrontRequest, target: RequestTarget) throws {
        store = service.store
        configuration = service.configuration
        ids = service.ids
        operations = service.operations
        self.request = request
        self.target = target
        locations = try Locations.all(service.store)
        hal = (request.head.headerFields[.accept] ?? "").lowercased().contains("hal")
    }

    var method: HTTPRequest.Method { request.head.method }

    /// A request header.
    func header(_ name: String) -> String? {
        HTTPField.Name(name).flatMap { request.head.headerFields[$0] }
    }

    // MARK: Paths, ids, access

    /// Whether `share` compares names with case (false for a share that does not exist).
    func caseSensitive(_ share: String) async -> Bool {
        (try? await store.shareInfo(share))?.caseSensitive ?? false
    }

    /// The UNC physical path of `path`.
    func physical(_ path: ItemPath) -> String { PhysicalPath.format(account: configuration.account, path) }

    /// The id of `path`.
    func fileId(_ path: ItemPath, caseSensitive: Bool) -> String { ids.file(path, caseSensitive: caseSensitive) }

    /// The path a file id names; 404 `{"title":"Not found"}` for anything not sealed by this store.
    func path(ofId id: String) throws -> ItemPath {
        guard let path = ids.filePath(id) else { throw IISError.notFound() }
        return path
    }

    /// The location governing `path`, or nil outside every location.
    func location(of path: ItemPath, caseSensitive: Bool) -> Location? {
        Locations.covering(path, in: locations, caseSensitive: caseSensitive)
    }

    /// The claims `path` has (empty outside every location).
    func claims(of path: ItemPath, caseSensitive: Bool) -> [Claim] {
        location(of: path, caseSensitive: caseSensitive)?.claims ?? []
    }

    /// Refuses (403) unless `path` lies in a location granting every claim of `needs`.
    func authorize(_ path: ItemPath, caseSensitive: Bool, _ needs: Claim...) throws {
        let granted = claims(of: path, caseSensitive: caseSensitive)
        for need in needs where !granted.contains(need) {
            if need == .write && granted.contains(.read) { throw IISError.forbidden(physical(path), "Read-Only") }
            throw IISError.forbidden(physical(path))
        }
    }

    /// Refuses (403) unless `path` and everything below it may be used with `needs`: a location
    /// nested below `path` that lacks a claim protects its tree from a delete, copy or move of
    /// a directory above it.
    func authorizeTree(_ path: ItemPath, caseSensitive: Bool, _ needs: [Claim]) throws {
        for need in needs { try authorize(path, caseSensitive: caseSensitive, need) }
        for nested in locations where nested.path.isWithin(path, caseSensitive: caseSensitive)
            && !nested.path.same(path, caseSensitive: caseSensitive) {
            for need in needs where !nested.grants(need) {
                throw IISError.forbidden(physical(nested.path), need == .write && nested.grants(.read) ? "Read-Only" : nil)
            }
        }
    }

    /// The location whose root is exactly `path`, if any.
    func locationRooted(at path: ItemPath, caseSensitive: Bool) -> Location? {
        locations.first { $0.path.same(path, caseSensitive: caseSensitive) }
    }

    /// The item at `path`, with its names as stored; nil when nothing is there.
    func item(at path: ItemPath, caseSensitive: Bool) async throws -> Item? {
        let share = store.share(path.share)
        do {
            if path.components.isEmpty {
                return Item(path: path, info: try await share.info(""), caseSensitive: caseSensitive)
            }
            let along = try await share.itemsAlong(path.sharePath)
            guard let last = along.last else { return nil }
            return Item(path: ItemPath(share: path.share, components: along.map(\.name)), info: last, caseSensitive: caseSensitive)
        } catch let error as ShareCoreError
            where [.resourceNotFound, .parentNotFound, .notADirectory, .shareNotFound, .invalidName].contains(error.code) {
            return nil
        }
    }

    /// Resolves a file id: the path and the share's case rule, after checking `needs`.
    func resolve(id: String, _ needs: Claim...) async throws -> (ItemPath, Bool) {
        let path = try path(ofId: id)
        let cs = await caseSensitive(path.share)
        for need in needs { try authorize(path, caseSensitive: cs, need) }
        return (path, cs)
    }

    // MARK: Request bodies

    /// The JSON object of the request body: 415 for an empty body or `null`, 400 for text that
    /// is not JSON.
    func jsonBody() async throws -> JSON {
        let bytes = try await request.body.collect(upTo: 1 << 20)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { throw IISError.invalidJSON }
        guard let json = JSON.parse(bytes) else { throw IISError.malformedJSON }
        if json == .null { throw IISError.invalidJSON }
        guard json.isObject else { throw IISError.malformedJSON }
        return json
    }

    /// The `id` of object member `key` of `body` (`{"key":{"id":"..."}}`), with IIS's errors.
    static func referencedId(_ body: JSON, _ key: String) throws -> String {
        guard let member = body[key], member != .null else { throw IISError.invalidParameter(key) }
        guard member.isObject else { throw IISError.invalidParameter(key, "Expected object") }
        guard let id = member["id"]?.stringValue, !id.isEmpty else { throw IISError.invalidParameter("\(key).id") }
        return id
    }

    // MARK: Responses

    /// A JSON response (`application/hal+json` when the client asked for HAL).
    func json(_ value: JSON, status: HTTPResponse.Status = .ok, headers: [(String, String)] = []) -> FrontResponse {
        var fields = HTTPFields()
        let bytes = value.bytes
        fields[.contentType] = hal ? "application/hal+json; charset=utf-8" : "application/json; charset=utf-8"
        fields[.contentLength] = String(bytes.count)
        for (name, v) in headers { fields.set(name, v) }
        return FrontResponse(status: status, headers: fields, body: .bytes(bytes))
    }

    /// `_links` for HAL clients: rels sorted by name; nothing when the client did not ask.
    func links(_ rels: [(String, String)]) -> [(String, JSON)] {
        guard hal else { return [] }
        let sorted = rels.sorted { $0.0 < $1.0 }
        return [("_links", .object(sorted.map { ($0.0, .object([("href", .string($0.1))])) }))]
    }
}

/// Times as IIS writes them: UTC with seven fractional digits.
enum IISTime {
    static func format(_ time: FileTime) -> String { time.iso8601 }

    /// Parses an ISO 8601 time (`Z` or an offset, any number of fractional digits).
    static func parse(_ text: String) -> FileTime? {
        if let t = FileTime(iso8601: text) { return t }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = withFraction.date(from: text) { return FileTime(d) }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let d = plain.date(from: text) { return FileTime(d) }
        return nil
    }
}
