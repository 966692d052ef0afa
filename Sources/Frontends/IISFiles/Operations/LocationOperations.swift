import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// `/api/files/locations`: list, get, create, change and remove locations.
enum LocationOperations {
    static func model(_ c: IISContext, _ location: Location, caseSensitive: Bool) -> JSON {
        let id = c.fileId(location.path, caseSensitive: caseSensitive)
        return .object([("alias", .string(location.alias)), ("id", .string(id)), ("path", .string(c.physical(location.path))),
                        ("claims", .array(location.claims.map { .string($0.rawValue) }))]
                       + c.links([("directory", "/api/files/\(id)"), ("self", "/api/files/locations/\(id)")]))
    }

    static func list(_ c: IISContext) async throws -> FrontResponse {
        var models: [JSON] = []
        for location in c.locations { models.append(model(c, location, caseSensitive: await c.caseSensitive(location.path.share))) }
        return c.json(.object([("locations", .array(models))]))
    }

    /// The location whose id is `id` (the id of its root directory).
    static func find(_ c: IISContext, _ id: String) async throws -> Location {
        guard let path = c.ids.filePath(id) else { throw IISError.notFound() }
        let cs = await c.caseSensitive(path.share)
        guard let location = c.locationRooted(at: path, caseSensitive: cs) else { throw IISError.notFound() }
        return location
    }

    static func get(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        let location = try await find(c, id)
        return c.json(model(c, location, caseSensitive: await c.caseSensitive(location.path.share)))
    }

    static func create(_ c: IISContext) async throws -> FrontResponse {
        let body = try await c.jsonBody()
        guard let pathValue = body["path"], pathValue != .null else { throw IISError.invalidParameter("path") }
        let location = Location(alias: try alias(body) ?? "", path: try path(c, pathValue), claims: try claims(body, required: true) ?? [])
        let saved = try await save(c, location, replacing: nil)
        let cs = await c.caseSensitive(saved.path.share)
        let id = c.fileId(saved.path, caseSensitive: cs)
        return c.json(model(c, saved, caseSensitive: cs), status: .created, headers: [("Location", "/api/files/locations/\(id)")])
    }

    static func patch(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        let existing = try await find(c, id)
        let body = try await c.jsonBody()
        var changed = existing
        if let a = try alias(body) { changed.alias = a }
        if let p = body["path"], p != .null { changed.path = try path(c, p) }
        if let cl = try claims(body, required: false) { changed.claims = cl }
        let saved = try await save(c, changed, replacing: existing)
        let cs = await c.caseSensitive(saved.path.share)
        let newId = c.fileId(saved.path, caseSensitive: cs)
        if newId != id {
            return c.json(model(c, saved, caseSensitive: cs), status: HTTPResponse.Status(code: 209, reasonPhrase: "Contents of Related"),
                          headers: [("Location", "/api/files/locations/\(newId)")])
        }
        return c.json(model(c, saved, caseSensitive: cs))
    }

    static func delete(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        if let location = try? await find(c, id) { try await Locations.remove(location, from: c.store) }
        return FrontResponse(status: .noContent)
    }

    private static func save(_ c: IISContext, _ location: Location, replacing previous: Location?) async throws -> Location {
        do {
            return try await Locations.save(location, replacing: previous, in: c.store)
        } catch Locations.Problem.aliasTaken {
            throw IISError.conflict("alias")
        } catch Locations.Problem.pathTaken {
            throw IISError.conflict("path")
        } catch let error as ShareCoreError where [.notADirectory, .invalidName, .invalidShareName].contains(error.code) {
            throw IISError.invalidParameter("path", error.message)
        }
    }

    private static func alias(_ body: JSON) throws -> String? {
        guard let value = body["alias"], value != .null else { return nil }
        guard let a = value.stringValue, a.count <= 255, !a.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw IISError.invalidParameter("alias")
        }
        return a
    }

    private static func path(_ c: IISContext, _ value: JSON) throws -> ItemPath {
        guard let text = value.stringValue, !text.isEmpty else { throw IISError.invalidParameter("path") }
        guard let (account, path) = PhysicalPath.parse(text) else { throw IISError.invalidParameter("path") }
        guard account.lowercased() == c.configuration.account.lowercased() else { throw IISError.notFound("path") }
        return path
    }

    private static func claims(_ body: JSON, required: Bool) throws -> [Claim]? {
        guard let value = body["claims"], value != .null else {
            if required { throw IISError.invalidParameter("claims", "Expected array") }
            return nil
        }
        guard case .array(let items) = value else { throw IISError.invalidParameter("claims", "Expected array") }
        var out: [Claim] = []
        for item in items {
            guard let text = item.stringValue, let claim = Claim(rawValue: text.lowercased()) else { throw IISError.invalidParameter("claim") }
            if !out.contains(claim) { out.append(claim) }
        }
        return out
    }
}
