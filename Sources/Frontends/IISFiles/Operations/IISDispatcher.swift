import FrontKit
import HTTPTypes

/// Sends each route and method to its operation; other methods get 405.
enum IISDispatcher {
    static func run(_ route: IISRoute, _ c: IISContext) async throws -> FrontResponse {
        let m = c.method
        let read = m == .get || m == .head
        switch route {
        case .files:
            if read { return try await FilesOperations.list(c) }
            if m == .post { return try await FilesOperations.create(c) }
        case .item(let id):
            if read { return try await FilesOperations.get(c, id) }
            if m == .patch { return try await FilesOperations.patch(c, id) }
            if m == .delete { return try await FilesOperations.delete(c, id) }
        case .content(let id):
            guard let id else { throw IISError.bareNotFound }
            if read { return try await ContentOperations.get(c, id) }
            if m == .put { return try await ContentOperations.put(c, id) }
        case .copy(let op), .move(let op):
            let isMove: Bool = if case .move = route { true } else { false }
            if let op {
                if read { return try await CopyOperations.status(c, op, move: isMove) }
            } else if m == .post {
                return try await CopyOperations.start(c, move: isMove)
            }
        case .fileDownloads:
            if m == .post { return try await DownloadOperations.create(c) }
        case .download(let id):
            if read { return try await DownloadOperations.get(c, id) }
            if m == .delete { return try await DownloadOperations.delete(c, id) }
        case .locations(let id):
            if let id {
                if read { return try await LocationOperations.get(c, id) }
                if m == .patch { return try await LocationOperations.patch(c, id) }
                if m == .delete { return try await LocationOperations.delete(c, id) }
            } else {
                if read { return try await LocationOperations.list(c) }
                if m == .post { return try await LocationOperations.create(c) }
            }
        case .websites(let id):
            if let id {
                if read { return try await WebsiteOperations.get(c, id) }
                if m == .delete { return try await WebsiteOperations.delete(c, id) }
            } else {
                if read { return try await WebsiteOperations.list(c) }
                if m == .post { return try await WebsiteOperations.create(c) }
            }
        case .webFiles(let id):
            if read { return try await WebFilesOperations.get(c, id) }
        }
        throw IISError.notAllowed(m)
    }
}
