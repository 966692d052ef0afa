import Foundation
import FrontKit
import HTTPTypes
import Logging
import Synchronization
import Testing
@testable import FileREST
@testable import ShareCore

/// What the FileREST front logs about a request carries the request id the client was given.
@Suite struct RequestLoggingTests {
    /// The lines logged, shared by a handler's copies.
    final class Lines: Sendable {
        let all = Mutex<[(message: String, metadata: Logger.Metadata)]>([])
    }

    /// Keeps every line logged through it.
    struct Capture: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            lines.all.withLock { $0.append(("\(event.message)", all)) }
        }
    }

    /// A body that ends before its announced length.
    struct Truncated: AsyncSequence, Sendable {
        struct AsyncIterator: AsyncIteratorProtocol {
            var sent = false
            mutating func next() async throws -> [UInt8]? {
                guard !sent else { throw IncompleteBody(expected: 8, received: 4) }
                sent = true
                return [1, 2, 3, 4]
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
    }

    @Test func aLoggedFailureCarriesTheRequestId() async throws {
        let base = try await Harness.make()
        let lines = Lines()
        let sink = Capture(lines: lines)
        let logger = Logger(label: "test") { _ in sink }
        let service = FileRESTService(store: base.store, configuration: base.config, logger: logger)
        try await base.store.createShare("logs")
        let share = base.store.share("logs")
        try await share.createFile("f", length: 8)

        var fields = HTTPFields()
        fields.set("x-ms-version", FileRESTService.newestVersion)
        fields.set("x-ms-date", HTTPDate.format(Date()))
        fields.set("x-ms-range", "bytes=0-7")
        fields.set("x-ms-write", "update")
        fields.set("Content-Length", "8")
        var head = HTTPRequest(method: .put, scheme: "http", authority: "127.0.0.1:10004",
                               path: "/\(base.account)/logs/f?comp=range", headerFields: fields)
        let parsed = try FileRequest.parse(FrontRequest(head: head), account: base.account)
        head.headerFields.set("Authorization", "SharedKey \(base.account):\(SharedKey.sign(SharedKey.stringToSign(parsed), key: base.config.accountKey))")
        let response = await service.respond(to: FrontRequest(head: head, body: RequestBody(Truncated()) { $0 }))

        #expect(response.head.status == .badRequest)
        let requestId = try #require(response.head.headerFields[HTTPField.Name("x-ms-request-id")!])
        let logged = lines.all.withLock { $0 }
        let line = try #require(logged.first { $0.message == "incomplete request body" })
        #expect(line.metadata["request-id"] == .string(requestId))
        #expect(try await share.read("f") == [UInt8](repeating: 0, count: 8))
        try await base.finish()
    }
}
