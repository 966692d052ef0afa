import Foundation
import FrontKit

/// Where the admin token comes from: `--admin-token`, else `DATA/admin-token`, else a new one
/// generated and written there (mode 0600), so that the token stays the same across restarts.
enum AdminTokenFile {
    static func token(given: String?, dataDirectory: String) throws -> AdminToken {
        if let given { return AdminToken(given) }
        let path = dataDirectory + "/admin-token"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty, !value.contains(where: \.isWhitespace) else {
                throw AdminTokenError("\(path) holds no usable token: remove it to have a new one generated")
            }
            return AdminToken(value)
        }
        let token = AdminToken.generate()
        // Created with mode 0600 at once, so the token is never readable by others.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AdminTokenError("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        let bytes = Array((token.text + "\n").utf8)
        guard write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
            throw AdminTokenError("cannot write \(path): errno \(errno)")
        }
        return token
    }
}

/// The admin token file could not be read or written.
struct AdminTokenError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
