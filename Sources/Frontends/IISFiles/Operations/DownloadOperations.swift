import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// `POST /api/files/downloads` makes a temporary link; `/downloads/{id}` serves it without a
/// token until it expires. Links are front records, so they outlive a restart of the server.
enum DownloadOperations {
    static func create(_ c: IISContext) async throws -> FrontResponse {
        let body = try await c.jsonBody()
        let fileId = try IISContext.referencedId(body, "file")
        var ttl = Int64(c.configuration.defaultDownloadTTL.components.seconds * 1000
            + c.configuration.defaultDownloadTTL.components.attoseconds / 1_000_000_000_000_000)
        if let value = body["ttl"], value != .null {
            switch value {
            case .int(let ms): ttl = ms
            case .string(let s):
                guard let ms = Int64(s.trimmingCharacters(in: .whitespaces)) else { throw IISError.invalidParameter("ttl") }
                ttl = ms
            default: throw IISError.invalidParameter("ttl")
            }
            guard ttl >= 0 else { throw IISError.invalidParameter("ttl") }
        }
        let path = try c.path(ofId: fileId)
        let cs = await c.caseSensitive(path.share)
        try c.authorize(path, caseSensitive: cs, .read)
        guard let item = try await c.item(at: path, caseSensitive: cs), !item.isDirectory else {
            throw IISError.notFound(c.physical(path).lowercased())
        }
        let link = Base64URL.random()
        let now = FileTime.now()
        let expires = FileTime(ticks: now.ticks &+ min(ttl, Int64.max / 20_000) * 10_000)
        let record = JSON.object([("share", .string(item.path.share)), ("path", .array(item.path.components.map(JSON.string))),
                                  ("expires", .int(expires.ticks))]).bytes
        let share = item.path.share
        try await c.store.writeRecords { writer in
            // Drop expired links while here, so the table stays small.
            var expired: [[UInt8]] = []
            try writer.scan(IISTables.downloads) { key, value in
                if let e = JSON.parse(value)?["expires"], case .int(let t) = e, t <= now.ticks { expired.append(key) }
                return true
            }
            for key in expired { try writer.delete(IISTables.downloads, key) }
            try writer.put(IISTables.downloads, Array(link.utf8), record, owner: share)
        }
        var fields = HTTPFields()
        fields.set("Location", "/downloads/\(link)")
        fields.set("Pragma", "attachment")
        fields[.contentLength] = "0"
        return FrontResponse(status: .created, headers: fields)
    }

    /// The live link `id`: its file path, or nil when unknown or expired.
    static func lookup(_ c: IISContext, _ id: String) throws -> ItemPath? {
        guard let raw = try c.store.readRecords({ try $0.get(IISTables.downloads, Array(id.utf8)) }),
              let json = JSON.parse(raw), let share = json["share"]?.stringValue,
              case .array(let names)? = json["path"], case .int(let expires)? = json["expires"],
              expires > FileTime.now().ticks
        else { return nil }
        return ItemPath(share: share, components: names.compactMap(\.stringValue))
    }

    static func get(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        guard let path = try lookup(c, id) else { throw IISError.bareNotFound }
        let cs = await c.caseSensitive(path.share)
        // The location may have been removed since the link was made: confinement still holds.
        guard c.claims(of: path, caseSensitive: cs).contains(.read),
              let item = try await c.item(at: path, caseSensitive: cs), !item.isDirectory
        else { throw IISError.bareNotFound }
        let inline = c.target.query.contains { $0.name.lowercased() == "inline" }
        return try ContentOperations.serve(c, item, id: c.fileId(item.path, caseSensitive: cs), rfcRanges: true, inline: inline)
    }

    /// Revokes the link (IIS answers 204 but keeps the link until its expiry; we remove it).
    static func delete(_ c: IISContext, _ id: String) async throws -> FrontResponse {
        let key = Array(id.utf8)
        _ = try await c.store.writeRecords { try $0.delete(IISTables.downloads, key) }
        return FrontResponse(status: .noContent)
    }
}
