import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// A website of the minimal `/api/webserver/websites` subset: a name, a root directory and
/// bindings that are stored and echoed (nothing listens on them). Kept as a front record.
struct Website: Sendable {
    var key: UInt64
    var name: String
    var root: ItemPath
    var bindings: JSON

    var json: JSON {
        .object([("name", .string(name)), ("share", .string(root.share)), ("path", .array(root.components.map(JSON.string))),
                 ("bindings", bindings)])
    }

    init(key: UInt64, name: String, root: ItemPath, bindings: JSON) {
        self.key = key
        self.name = name
        self.root = root
        self.bindings = bindings
    }

    init?(key: UInt64, json: JSON) {
        guard let name = json["name"]?.stringValue, let share = json["share"]?.stringValue,
              case .array(let names)? = json["path"] else { return nil }
        self.init(key: key, name: name, root: ItemPath(share: share, components: names.compactMap(\.stringValue)),
                  bindings: json["bindings"] ?? .array([]))
    }

    static func recordKey(_ key: UInt64) -> [UInt8] { withUnsafeBytes(of: key.bigEndian) { Array($0) } }

    static func all(_ store: ShareStore) throws -> [Website] {
        var out: [Website] = []
        try store.readRecords { reader in
            try reader.scan(IISTables.websites) { k, v in
                if k.count == 8, let json = JSON.parse(v), let site = Website(key: k.reduce(0) { $0 << 8 | UInt64($1) }, json: json) {
                    out.append(site)
                }
                return true
            }
        }
        return out
    }

    static func find(_ c: IISContext, _ id: String) throws -> Website? {
        guard let key = c.ids.websiteKey(id) else { return nil }
        return try all(c.store).first { $0.key == key }
    }
}

/// `/api/webserver/websites`: create, list, get and delete websites.
enum WebsiteOperations {
    static func ref(_ c: IISContext, _ site: Website) -> JSON {
        let id = c.ids.website(site.key)
        return .object([("name", .string(site.name)), ("id", .string(id)), ("status", .string("started"))]
                       + c.links([("self", "/api/webserver/websites/\(id)")]))
    }

    static func model(_ c: IISContext, _ site: Website, caseSensitive: Bool) -> JSON {
        let id = c.ids.website(site.key)
        let root = c.ids.webFile(site: site.key, [], caseSensitive: caseSensitive)
        return .object([("name", .string(site.name)), ("id", .string(id)), ("physical_path", .string(c.physical(site.root))),
                        ("key", .int(Int64(site.key))), ("status", .string("started")), ("bindings", site.bindings)]
                       + c.links([("files", "/api/webserver/files/\(root)"), ("self", "/api/webserver/websites/\(id)")]))
    }

    static func list(_ c: IISContext) async throws -> FrontResponse {
        c.json(.object([("websites", .array(try Website.all(c.store).map { ref(c, $0) }))]))
    }

    static func get(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        guard let site = try Website.find(c, id) else { throw IISError.notFound() }
        return c.json(model(c, site, caseSensitive: await c.caseSensitive(site.root.share)))
    }

    static func create(_ c: IISContext) async throws -> FrontResponse {
        let body = try await c.jsonBody()
        guard let name = body["name"]?.stringValue, !name.trimmingCharacters(in: .whitespaces).isEmpty,
              !name.unicodeScalars.contains(where: { $0.value < 0x20 || "/\\?;:@&=+$,|\"<>*".unicodeScalars.contains($0) })
        else { throw IISError.invalidParameter("name") }
        guard let physical = body["physical_path"]?.stringValue, let (account, path) = PhysicalPath.parse(physical) else {
            throw IISError.invalidParameter("physical_path")
        }
        guard case .array? = body["bindings"] else { throw IISError.invalidParameter("bindings") }
        guard account.lowercased() == c.configuration.account.lowercased() else { throw IISError.forbidden(physical) }
        let cs = await c.caseSensitive(path.share)
        try c.authorize(path, caseSensitive: cs, .read)
        guard let item = try await c.item(at: path, caseSensitive: cs), item.isDirectory else { throw IISError.notFound("physical_path") }
        let existing = try Website.all(c.store)
        if existing.contains(where: { $0.name.lowercased() == name.lowercased() }) { throw IISError.conflict("name") }
        let bindings = body["bindings"] ?? .array([])
        let lowered = name.lowercased()
        let site: Website = try await c.store.writeRecords { writer in
            var highest: UInt64 = 0
            var taken = false
            try writer.scan(IISTables.websites) { k, v in
                highest = max(highest, k.reduce(0) { $0 << 8 | UInt64($1) })
                if JSON.parse(v)?["name"]?.stringValue?.lowercased() == lowered { taken = true }
                return true
            }
            if taken { throw IISError.conflict("name") }
            let site = Website(key: highest + 1, name: name, root: item.path, bindings: bindings)
            try writer.put(IISTables.websites, Website.recordKey(site.key), site.json.bytes, owner: item.path.share)
            return site
        }
        let id = c.ids.website(site.key)
        return c.json(model(c, site, caseSensitive: cs), status: .created, headers: [("Location", "/api/webserver/websites/\(id)")])
    }

    static func delete(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        if let site = try Website.find(c, id) {
            let key = Website.recordKey(site.key)
            _ = try await c.store.writeRecords { try $0.delete(IISTables.websites, key) }
        }
        return FrontResponse(status: .noContent)
    }
}

/// `/api/webserver/files`: a website's files by virtual path, bridged to `/api/files` by `file_info`.
enum WebFilesOperations {
    static func get(_ c: IISContext, _ id: String?) async throws -> FrontResponse {
        if let id { return try await item(c, id) }
        if let parentId = c.target.value("parent.id") { return try await children(c, parentId) }
        if let siteId = c.target.value("website.id") {
            guard let site = try Website.find(c, siteId) else { throw IISError.notFound("website") }
            return try await byPath(c, site, c.target.value("path") ?? "")
        }
        if let scope = c.target.value("scope") {
            let name = scope.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            guard let site = try Website.all(c.store).first(where: { $0.name.lowercased() == name.lowercased() }) else {
                throw IISError.notFound("scope")
            }
            return try await byPath(c, site, String(scope.dropFirst(name.count)))
        }
        throw IISError.bareNotFound
    }

    /// A virtual path's components, with `.` and `..` collapsed and never above `/`.
    static func normalize(_ path: String) -> [String]? {
        var out: [String] = []
        for part in path.replacingOccurrences(of: "\\", with: "/").split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !out.isEmpty { out.removeLast() }
            default:
                guard FileName.isValid(String(part)) else { return nil }
                out.append(String(part))
            }
        }
        return out
    }

    static func byPath(_ c: IISContext, _ site: Website, _ path: String) async throws -> FrontResponse {
        guard let names = normalize(path) else { throw IISError.invalidParameter("path") }
        let cs = await c.caseSensitive(site.root.share)
        let physical = ItemPath(share: site.root.share, components: site.root.components + names)
        try c.authorize(physical, caseSensitive: cs, .read)
        guard let found = try await c.item(at: physical, caseSensitive: cs) else { throw IISError.notFound("path") }
        return c.json(try await model(c, site, found, virtual: Array(found.path.components.dropFirst(site.root.components.count)), cs))
    }

    static func item(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        guard let (key, names) = c.ids.webFilePath(id), let site = try Website.all(c.store).first(where: { $0.key == key }) else {
            throw IISError.notFound()
        }
        let cs = await c.caseSensitive(site.root.share)
        let physical = ItemPath(share: site.root.share, components: site.root.components + names)
        try c.authorize(physical, caseSensitive: cs, .read)
        guard let found = try await c.item(at: physical, caseSensitive: cs) else { throw IISError.bareNotFound }
        return c.json(try await model(c, site, found, virtual: Array(found.path.components.dropFirst(site.root.components.count)), cs))
    }

    static func children(_ c: IISContext, _ parentId: String) async throws -> FrontResponse {
        guard let (key, names) = c.ids.webFilePath(parentId), let site = try Website.all(c.store).first(where: { $0.key == key }) else {
            throw IISError.bareNotFound
        }
        let cs = await c.caseSensitive(site.root.share)
        let physical = ItemPath(share: site.root.share, components: site.root.components + names)
        try c.authorize(physical, caseSensitive: cs, .read)
        guard let parent = try await c.item(at: physical, caseSensitive: cs), parent.isDirectory else { throw IISError.bareNotFound }
        let filter = c.target.value("name").flatMap { $0.isEmpty ? nil : $0 }
        var directories: [(String, JSON)] = []
        var files: [(String, JSON)] = []
        var marker: String?
        let virtual = Array(parent.path.components.dropFirst(site.root.components.count))
        repeat {
            let page = try await c.store.share(parent.path.share).list(parent.path.sharePath, marker: marker)
            for entry in page.entries {
                if !entry.info.smb.attributes.isDisjoint(with: [.hidden, .system]) { continue }
                if let filter, entry.name.range(of: filter, options: .caseInsensitive) == nil { continue }
                let r = ref(c, site, virtual + [entry.name], directory: entry.kind == .directory, cs)
                if entry.kind == .directory { directories.append((entry.name, r)) } else { files.append((entry.name, r)) }
            }
            marker = page.nextMarker
        } while marker != nil
        func sorted(_ list: [(String, JSON)]) -> [JSON] {
            list.sorted { $0.0.lowercased() < $1.0.lowercased() }.map(\.1)
        }
        return try FilesOperations.paged(c, key: "files", sorted(directories) + sorted(files))
    }

    static func ref(_ c: IISContext, _ site: Website, _ virtual: [String], directory: Bool, _ cs: Bool) -> JSON {
        let id = c.ids.webFile(site: site.key, virtual, caseSensitive: cs)
        let type = virtual.isEmpty ? "application" : (directory ? "directory" : "file")
        var members: [(String, JSON)] = [("name", .string(virtual.last ?? "")), ("id", .string(id)), ("type", .string(type)),
                                         ("path", .string("/" + virtual.joined(separator: "/")))]
        members += c.links([("self", "/api/webserver/files/\(id)")])
        return .object(members)
    }

    static func model(_ c: IISContext, _ site: Website, _ item: Item, virtual: [String], _ cs: Bool) async throws -> JSON {
        let id = c.ids.webFile(site: site.key, virtual, caseSensitive: cs)
        let type = virtual.isEmpty ? "application" : (item.isDirectory ? "directory" : "file")
        let parent: JSON = virtual.isEmpty ? .null : ref(c, site, Array(virtual.dropLast()), directory: true, cs)
        var rels = [("self", "/api/webserver/files/\(id)")]
        if item.isDirectory { rels.append(("files", "/api/webserver/files?parent.id=\(id)")) }
        return .object([("name", .string(virtual.last ?? "")), ("id", .string(id)), ("type", .string(type)),
                        ("path", .string("/" + virtual.joined(separator: "/"))), ("parent", parent),
                        ("website", WebsiteOperations.ref(c, site)),
                        ("file_info", c.ref(item.path, directory: item.isDirectory, caseSensitive: cs))] + c.links(rels))
    }
}
