import ArgumentParser
import Foundation
import ShareCore

/// What the admin commands (`sharecore bucket`, `sharecore location`) share: opening a stopped
/// store, printing, and turning errors into a message on standard error and an exit code.
enum AdminCommand {
    /// A refusal of the command itself (not of the engine), shown as its message.
    struct Failure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Opens the store at `data`, runs `body`, closes it. A store that cannot be opened exits
    /// with 2; an engine error or a ``Failure`` from `body` exits with 1. Messages start with
    /// `sharecore <command>:`.
    static func withStore(_ data: String, command: String, _ body: (ShareStore) async throws -> Void) async throws {
        func fail(_ message: String, _ code: Int32) -> ExitCode {
            FileHandle.standardError.write(Data("sharecore \(command): \(message)\n".utf8))
            return ExitCode(code)
        }
        let store: ShareStore
        do {
            store = try await ShareStore.open(at: data)
        } catch let error as ShareCoreError {
            throw fail(error.message, 2)
        }
        do {
            try await body(store)
            await store.close()
        } catch let error as ShareCoreError {
            await store.close()
            throw fail(error.message, 1)
        } catch let error as Failure {
            await store.close()
            throw fail(error.message, 1)
        }
    }
}
