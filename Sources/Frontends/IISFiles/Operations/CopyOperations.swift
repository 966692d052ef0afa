import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// A running copy or move, as `GET /api/files/copy/{id}` reports it until it finishes.
struct FileOperation: Sendable {
    let id: String
    let isMove: Bool
    let created: FileTime
    var currentSize: UInt64
    let totalSize: UInt64
    let destination: ItemPath
    let destinationIsDirectory: Bool
    let caseSensitive: Bool
}

/// The copies and moves in progress. An operation is dropped when it ends, successfully or
/// not, so polling it gives 404 from then on (as in IIS).
actor OperationBook {
    private var running: [String: FileOperation] = [:]

    func add(_ op: FileOperation) { running[op.id] = op }
    func get(_ id: String) -> FileOperation? { running[id] }
    func progress(_ id: String, _ bytes: UInt64) { running[id]?.currentSize += bytes }
    func finish(_ id: String) { running[id] = nil }
}

/// `POST /api/files/copy` and `/api/files/move`: asynchronous, polled until 404. Copies share
/// the source's chunks, so no file data is copied whatever the size.
enum CopyOperations {
    static func start(_ c: IISContext, move: Bool) async throws -> FrontResponse {
        let body = try await c.jsonBody()
        let fileId = try IISContext.referencedId(body, "file")
        let parentId = try IISContext.referencedId(body, "parent")
        var newName: String?
        if let value = body["name"], value != .null {
            guard let name = value.stringValue else { throw IISError.invalidParameter("name") }
            if !name.isEmpty {
                guard FileName.isValid(name) else { throw IISError.invalidParameter("name") }
                newName = name
            }
        }
        guard let sourcePath = c.ids.filePath(fileId) else { throw IISError.notFound("file") }
        let sourceCS = await c.caseSensitive(sourcePath.share)
        try c.authorize(sourcePath, caseSensitive: sourceCS, .read)
        if move { try c.authorize(sourcePath, caseSensitive: sourceCS, .write) }
        guard let source = try await c.item(at: sourcePath, caseSensitive: sourceCS) else { throw IISError.notFound("file") }
        guard let parentPath = c.ids.filePath(parentId) else { throw IISError.notFound("parent") }
        let destCS = await c.caseSensitive(parentPath.share)
        try c.authorize(parentPath, caseSensitive: destCS, .read)
        guard let parent = try await c.item(at: parentPath, caseSensitive: destCS), parent.isDirectory else {
            throw IISError.notFound("parent")
        }
        let destination = parent.path.appending(newName ?? source.path.name)
        try c.authorizeTree(source.path, caseSensitive: sourceCS, move ? [.read, .write] : [.read])
        try c.authorizeTree(destination, caseSensitive: destCS, [.write])
        if source.isDirectory, parent.path.isWithin(source.path, caseSensitive: sourceCS) {
            throw IISError.invalidParameter("parent", "The destination folder is a subfolder of the source")
        }
        if move, source.path.components.isEmpty || c.locationRooted(at: source.path, caseSensitive: sourceCS) != nil {
            throw IISError.forbidden(c.physical(source.path), "Location root")
        }
        let same = destination.same(source.path, caseSensitive: destCS)
        if !same, let existing = try await c.item(at: destination, caseSensitive: destCS) {
            if existing.isDirectory != source.isDirectory { throw IISError.conflict("name") }
            if move && existing.isDirectory { throw IISError.conflict("name") }
        }
        let total = try await size(c, source)
        let op = FileOperation(id: Base64URL.random(), isMove: move, created: FileTime.now(), currentSize: 0, totalSize: total,
                               destination: destination, destinationIsDirectory: source.isDirectory, caseSensitive: destCS)
        await c.operations.add(op)
        let store = c.store
        let book = c.operations
        Task {
            do {
                if !same {
                    if move {
                        try await moveItem(store, source, to: destination)
                    } else {
                        try await copyTree(store, source, to: destination, op: op.id, book: book)
                    }
                }
            } catch {
                // As in IIS, a failed operation simply disappears; the client finds the
                // destination missing (or partly copied).
            }
            await book.finish(op.id)
        }
        let kind = move ? "move" : "copy"
        return c.json(model(c, op), status: .accepted, headers: [("Location", "/api/files/\(kind)/\(op.id)")])
    }

    static func status(_ c: IISContext, _ id: String, move: Bool) async throws -> FrontResponse {
        guard let op = await c.operations.get(id), op.isMove == move else { throw IISError.bareNotFound }
        return c.json(model(c, op))
    }

    static func model(_ c: IISContext, _ op: FileOperation) -> JSON {
        .object([("id", .string(op.id)), ("status", .string("running")), ("created", .string(IISTime.format(op.created))),
                 ("current_size", .int(Int64(op.currentSize))), ("total_size", .int(Int64(op.totalSize))),
                 ("file", c.ref(op.destination, directory: op.destinationIsDirectory, caseSensitive: op.caseSensitive))]
                + c.links([("self", "/api/files/\(op.isMove ? "move" : "copy")/\(op.id)")]))
    }

    /// The size of a file, or the sum of the files below a directory.
    static func size(_ c: IISContext, _ item: Item) async throws -> UInt64 {
        guard item.isDirectory else { return item.info.size }
        var total: UInt64 = 0
        try await walk(c.store.share(item.path.share), item.path.sharePath) { entry in
            if entry.kind == .file { total += entry.size }
        }
        return total
    }

    /// Visits every entry below directory `path`, by name, kind and size (the directories'
    /// own entries, no node read per entry).
    static func walk(_ share: Share, _ path: String, _ visit: (DirectorySummary) async throws -> Void) async throws {
        var marker: String?
        repeat {
            let page = try await share.listSummaries(path, marker: marker)
            for entry in page.entries {
                try await visit(entry)
                if entry.kind == .directory {
                    try await walk(share, path.isEmpty ? entry.name : path + "/" + entry.name, visit)
                }
            }
            marker = page.nextMarker
        } while marker != nil
    }

    /// Copies a file (sharing its chunks; an existing file is replaced) or a directory tree
    /// (merged into an existing directory).
    static func copyTree(_ store: ShareStore, _ source: Item, to destination: ItemPath, op: String, book: OperationBook) async throws {
        let from = store.share(source.path.share)
        let to = store.share(destination.share)
        if !source.isDirectory {
            // As in IIS, `current_size` counts finished files of directory copies only.
            try await to.copy(from: from, source.path.sharePath, to: destination.sharePath)
            return
        }
        try await copyDirectory(from, source.path.sharePath, to, destination.sharePath, op: op, book: book)
    }

    private static func copyDirectory(_ from: Share, _ sourcePath: String, _ to: Share, _ destinationPath: String,
                                      op: String, book: OperationBook) async throws {
        do {
            try await to.createDirectory(destinationPath)
        } catch let error as ShareCoreError where error.code == .resourceAlreadyExists {
            guard try await to.info(destinationPath).isDirectory else { throw error }
        }
        var marker: String?
        repeat {
            let page = try await from.listSummaries(sourcePath, marker: marker)
            for entry in page.entries {
                let s = sourcePath.isEmpty ? entry.name : sourcePath + "/" + entry.name
                let d = destinationPath + "/" + entry.name
                if entry.kind == .directory {
                    try await copyDirectory(from, s, to, d, op: op, book: book)
                } else {
                    try await to.copy(from: from, s, to: d)
                    await book.progress(op, entry.size)
                }
            }
            marker = page.nextMarker
        } while marker != nil
    }

    /// Moves within a share by renaming (atomic); across shares by copying, then deleting the source.
    static func moveItem(_ store: ShareStore, _ source: Item, to destination: ItemPath) async throws {
        if source.path.share == destination.share {
            try await store.share(source.path.share).rename(source.path.sharePath, to: destination.sharePath,
                                                            replaceIfExists: !source.isDirectory)
            return
        }
        let book = OperationBook()
        try await copyTree(store, source, to: destination, op: "", book: book)
        try await store.share(source.path.share).deleteRecursively(source.path.sharePath)
    }
}
