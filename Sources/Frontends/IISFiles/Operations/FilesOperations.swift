import FrontKit
import HTTPTypes
import ShareCore

/// `/api/files`: roots, children, lookup by physical path, create; `/api/files/{id}`: get,
/// rename and set times, delete.
enum FilesOperations {
    // MARK: GET /api/files

    static func list(_ c: IISContext) async throws -> FrontResponse {
        let fields = Fields(query: c.target.value("fields"))
        if let physical = c.target.value("physical_path") {
            return try await byPhysicalPath(c, physical, fields: fields)
        }
        let nameFilter = c.target.value("name")
        if let nameFilter, !nameFilter.isEmpty, !FileName.isValidFilter(nameFilter) {
            throw IISError.invalidParameter("name")
        }
        var models: [JSON] = []
        if let parentId = c.target.value("parent.id") {
            guard let parentPath = c.ids.filePath(parentId) else { throw IISError.bareNotFound }
            let cs = await c.caseSensitive(parentPath.share)
            try c.authorize(parentPath, caseSensitive: cs, .read)
            guard let parent = try await c.item(at: parentPath, caseSensitive: cs), parent.isDirectory else {
                throw IISError.bareNotFound
            }
            var directories: [JSON] = []
            var files: [JSON] = []
            var marker: String?
            repeat {
                let page = try await c.store.share(parent.path.share).list(parent.path.sharePath, marker: marker)
                for entry in page.entries {
                    if !entry.info.smb.attributes.isDisjoint(with: [.hidden, .system]) { continue }
                    if let nameFilter, !nameFilter.isEmpty, entry.name.range(of: nameFilter, options: .caseInsensitive) == nil { continue }
                    let child = Item(path: parent.path.appending(entry.name), info: entry.info, caseSensitive: cs)
                    let model = try await c.model(child, full: false, fields: fields)
                    if entry.kind == .directory { directories.append(model) } else { files.append(model) }
                }
                marker = page.nextMarker
            } while marker != nil
            models = directories + files
        } else {
            for location in c.locations where location.grants(.read) {
                if let nameFilter, !nameFilter.isEmpty, location.path.name.range(of: nameFilter, options: .caseInsensitive) == nil { continue }
                let cs = await c.caseSensitive(location.path.share)
                let directory = (try await c.item(at: location.path, caseSensitive: cs))?.path ?? location.path
                if fields.names == nil {
                    models.append(c.ref(directory, directory: true, caseSensitive: cs))
                } else {
                    models.append(fields.apply(try await refOrModel(c, directory, cs, fields)))
                }
            }
        }
        return try paged(c, key: "files", models)
    }

    /// With `fields`, a root is the ref with the chosen fields of the full model.
    private static func refOrModel(_ c: IISContext, _ path: ItemPath, _ cs: Bool, _ fields: Fields) async throws -> JSON {
        guard let item = try await c.item(at: path, caseSensitive: cs) else { return c.ref(path, directory: true, caseSensitive: cs) }
        return try await c.model(item, full: false, fields: fields)
    }

    /// `Range: files=a-b` paging: `Content-Range: a-b/total`, `X-Total-Count`, `Accept-Ranges: files`.
    static func paged(_ c: IISContext, key: String, _ models: [JSON]) throws -> FrontResponse {
        var slice = models
        var headers: [(String, String)] = [("Accept-Ranges", "files")]
        if let range = c.header("Range") {
            guard let (start, end) = parseFilesRange(range), !models.isEmpty, start <= end, end < models.count else {
                throw IISError.invalidRange
            }
            slice = Array(models[start...end])
            headers.append(("Content-Range", "\(start)-\(end)/\(models.count)"))
        }
        headers.append(("X-Total-Count", String(slice.count)))
        return c.json(.object([(key, .array(slice))]), headers: headers)
    }

    static func parseFilesRange(_ value: String) -> (Int, Int)? {
        let v = value.trimmingCharacters(in: .whitespaces)
        guard v.lowercased().hasPrefix("files=") else { return nil }
        let parts = v.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let b = Int(parts[1].trimmingCharacters(in: .whitespaces)), a >= 0, b >= 0 else { return nil }
        return (a, b)
    }

    static func byPhysicalPath(_ c: IISContext, _ text: String, fields: Fields) async throws -> FrontResponse {
        guard let (account, path) = PhysicalPath.parse(text) else { throw IISError.invalidParameter("physical_path") }
        guard account.lowercased() == c.configuration.account.lowercased() else { throw IISError.forbidden(text) }
        let cs = await c.caseSensitive(path.share)
        try c.authorize(path, caseSensitive: cs, .read)
        guard let item = try await c.item(at: path, caseSensitive: cs) else { throw IISError.notFound("physical_path") }
        return c.json(try await c.model(item, full: true, fields: fields))
    }

    // MARK: GET /api/files/{id}

    static func get(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        let (path, cs) = try await c.resolve(id: id, .read)
        guard let item = try await c.item(at: path, caseSensitive: cs) else { throw IISError.bareNotFound }
        return c.json(try await c.model(item, full: true, fields: Fields(query: c.target.value("fields"))))
    }

    // MARK: POST /api/files

    static func create(_ c: IISContext) async throws -> FrontResponse {
        let body = try await c.jsonBody()
        let parentId = try IISContext.referencedId(body, "parent")
        guard let parentPath = c.ids.filePath(parentId) else { throw IISError.notFound("parent") }
        let cs = await c.caseSensitive(parentPath.share)
        try c.authorize(parentPath, caseSensitive: cs, .read)
        guard let parent = try await c.item(at: parentPath, caseSensitive: cs), parent.isDirectory else {
            throw IISError.notFound("parent")
        }
        guard let name = body["name"]?.stringValue, FileName.isValid(name) else { throw IISError.invalidParameter("model.name") }
        guard let type = body["type"]?.stringValue?.lowercased(), type == "file" || type == "directory" else {
            throw IISError.invalidParameter("model.type")
        }
        let times = try Timestamps(body)
        let path = parent.path.appending(name)
        try c.authorize(path, caseSensitive: cs, .write)
        let share = c.store.share(path.share)
        let properties = NodeProperties(creationTime: times.created, lastWriteTime: times.lastModified)
        let info: NodeInfo
        do {
            if type == "file" {
                info = try await share.createFile(path.sharePath, properties: properties)
            } else {
                info = try await share.createDirectory(path.sharePath, properties: properties)
            }
        } catch let error as ShareCoreError where error.code == .resourceAlreadyExists {
            throw IISError.conflict("name")
        }
        let item = Item(path: path, info: info, caseSensitive: cs)
        if let access = times.lastAccess { try await setLastAccess(c, item, access) }
        let newId = c.fileId(path, caseSensitive: cs)
        return c.json(try await c.model(item, full: true), status: .created, headers: [("Location", "/api/files/\(newId)")])
    }

    /// The times a POST or PATCH body may carry.
    struct Timestamps {
        var created: FileTime?
        var lastModified: FileTime?
        var lastAccess: FileTime?

        init(_ body: JSON) throws {
            func time(_ key: String) throws -> FileTime? {
                guard let value = body[key], value != .null else { return nil }
                guard let text = value.stringValue, let t = IISTime.parse(text) else { throw IISError.invalidParameter(key) }
                return t
            }
            created = try time("created")
            lastModified = try time("last_modified")
            lastAccess = try time("last_access")
        }

        var isEmpty: Bool { created == nil && lastModified == nil && lastAccess == nil }
    }

    static func setLastAccess(_ c: IISContext, _ item: Item, _ time: FileTime) async throws {
        let key = LastAccess.key(share: item.path.share, node: item.info.id)
        let share = item.path.share
        try await c.store.writeRecords { try $0.put(IISTables.lastAccess, key, LastAccess.encode(time), owner: share) }
    }

    // MARK: PATCH /api/files/{id}

    static func patch(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        let (path, cs) = try await c.resolve(id: id, .read)
        let body = try await c.jsonBody()
        guard let item = try await c.item(at: path, caseSensitive: cs) else { throw IISError.bareNotFound }
        var newName: String?
        if let value = body["name"], value != .null {
            guard let name = value.stringValue, FileName.isValid(name) else { throw IISError.invalidParameter("name") }
            newName = name
        }
        let times = try Timestamps(body)
        let renaming = newName.map { name in cs ? name != item.path.name : name.lowercased() != item.path.name.lowercased() } ?? false
        if renaming { try c.authorizeTree(item.path, caseSensitive: cs, [.write]) }
        if !times.isEmpty { try c.authorize(item.path, caseSensitive: cs, .write) }
        if renaming, item.path.parent == nil || c.locationRooted(at: item.path, caseSensitive: cs) != nil {
            throw IISError.forbidden(c.physical(item.path), "Location root")
        }
        let share = c.store.share(item.path.share)
        var target = item.path
        var info = item.info
        let properties = NodeProperties(creationTime: times.created, lastWriteTime: times.lastModified)
        let setsTimes = times.created != nil || times.lastModified != nil
        if renaming, let newName, let parent = item.path.parent {
            target = parent.appending(newName)
            try c.authorize(target, caseSensitive: cs, .write)
            do {
                info = try await share.rename(item.path.sharePath, to: target.sharePath, replaceIfExists: false,
                                              properties: setsTimes ? properties : nil)
            } catch let error as ShareCoreError where error.code == .resourceAlreadyExists {
                throw IISError.conflict("name")
            }
        } else if setsTimes {
            info = try await share.setProperties(item.path.sharePath, properties)
        }
        let updated = Item(path: target, info: info, caseSensitive: cs)
        if let access = times.lastAccess { try await setLastAccess(c, updated, access) }
        let newId = c.fileId(target, caseSensitive: cs)
        let model = try await c.model(updated, full: true)
        if newId != id && renaming {
            return c.json(model, status: HTTPResponse.Status(code: 209, reasonPhrase: "Contents of Related"),
                          headers: [("Location", "/api/files/\(newId)")])
        }
        return c.json(model)
    }

    // MARK: DELETE /api/files/{id}

    static func delete(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        let (path, cs) = try await c.resolve(id: id, .write)
        try c.authorizeTree(path, caseSensitive: cs, [.write])
        if path.components.isEmpty || c.locationRooted(at: path, caseSensitive: cs) != nil {
            throw IISError.forbidden(c.physical(path), "Location root")
        }
        do {
            try await c.store.share(path.share).deleteRecursively(path.sharePath)
        } catch let error as ShareCoreError where [.shareNotFound, .notADirectory, .parentNotFound].contains(error.code) {
            // Already absent: deleting is idempotent.
        }
        return FrontResponse(status: .noContent)
    }
}

extension FileName {
    /// Whether a `name=` filter has no character a name cannot hold.
    static func isValidFilter(_ filter: String) -> Bool {
        !filter.unicodeScalars.contains { $0.value < 0x20 || "\"\\/|<>*?".unicodeScalars.contains($0) }
    }
}
