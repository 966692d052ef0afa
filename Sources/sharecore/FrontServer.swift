import Foundation
import FrontKit
import HTTPTypes
import HummingbirdCore
import HummingbirdTLS
import Logging
import CoreMetrics
import NIOCore
import NIOHTTPTypes
import NIOPosix
import ServiceLifecycle
import ShareCore

/// Binds an ``HTTPFront`` to a server of its own (Hummingbird's server core with
/// ``FrontChildChannel`` connections): bodies stream both ways, each request is logged on one
/// line (method, path, status, bytes, duration, with the front's request id) and counted in
/// ``ServerMetrics``.
enum FrontServer {
    /// The server of one front: plain HTTP, or HTTPS when `tls` is given.
    static func application(_ front: any HTTPFront, host: String, port: Int, tls: TLSConfiguration?,
                            logger: Logger, banner: String, policy: ConnectionPolicy) throws -> some Service {
        let responder = FrontResponder(front: front, logger: logger, scheme: tls == nil ? "http" : "https",
                                       bodyBytes: BodyByteCounters(front: front.name))
        let name = front.name
        let connections = FrontChildChannel(
            additionalHandlers: { [ConnectionGuard(policy: policy, front: name, logger: logger)] },
            serve: { request, channel, remoteAddress in await responder.serve(request, on: channel, from: remoteAddress) })
        let configuration = ServerConfiguration(address: .hostname(host, port: port), serverName: "ShareCore")
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try tls.map {
            try TLSChannel(connections, tlsConfiguration: $0).server(configuration: configuration, eventLoopGroup: group, logger: logger)
        } ?? connections.server(configuration: configuration, eventLoopGroup: group, logger: logger)
        return AnnouncedService(server: server, banner: banner)
    }
}

/// Prints the front's URL once its server is about to listen.
struct AnnouncedService: Service {
    let server: any Service
    let banner: String

    func run() async throws {
        FileHandle.standardOutput.write(Data((banner + "\n").utf8))
        try await server.run()
    }
}

/// Turns requests of a connection into ``FrontRequest``s, hands them to the front and writes
/// its answers.
struct FrontResponder: Sendable {
    let front: any HTTPFront
    let logger: Logger
    /// `http` or `https`: what the client used, so fronts can build absolute URLs.
    let scheme: String
    /// Made after the metrics backend is bootstrapped (`Serve.run`).
    let bodyBytes: BodyByteCounters

    /// Answers `request`, sent from `remoteAddress`, and writes the response to `channel`;
    /// returns once the response is handed to the channel whole (a streamed body: once its
    /// last piece is written).
    func serve(_ request: FrontChannelHandler.Incoming, on channel: any Channel, from remoteAddress: String?) async {
        let start = ContinuousClock.now
        let name = front.name
        var head = request.head
        // `Expect: 100-continue` is the connection's business (FrontHTTPCodec), not the front's.
        let expectsContinue = ExpectContinue.expectsContinue(head)
        if expectsContinue { head.headerFields[.expect] = nil }
        let body: FrontKit.RequestBody
        if let stream = request.body {
            let expected = head.headerFields.value(.contentLength).flatMap { Int($0) }
            let received = bodyBytes.received
            let piece: @Sendable (ByteBuffer) -> [UInt8] = { buffer in
                received.increment(by: buffer.readableBytes)
                return Array(buffer.readableBytesView)
            }
            if expectsContinue {
                let continuing = ContinueOnFirstRead(base: stream, channel: channel)
                body = FrontKit.RequestBody(CompleteBody(base: continuing, expected: expected), bytes: piece)
            } else {
                body = FrontKit.RequestBody(CompleteBody(base: stream, expected: expected), bytes: piece)
            }
        } else {
            body = .empty
        }
        // The codec made the head with `http`; setting a pseudo-header field checks it again.
        if head.scheme != scheme { head.scheme = scheme }
        if head.authority == nil, let host = head.headerFields.value(Self.host) {
            head.authority = host
        }
        let frontRequest = FrontRequest(head: head, body: body, remoteAddress: remoteAddress)
        let answer = await front.respond(to: frontRequest)
        let bytes = answer.body.length
        let elapsed = ContinuousClock.now - start
        ServerMetrics.request(front: name, operation: answer.operation, status: answer.head.status.code, duration: elapsed)
        let operation = answer.operation
        let answerFields = answer.head.headerFields
        let target = head.path
        // The path, the request id and the request's metadata are made only for a line that is
        // written (info, or a failure): for every response they were 2% of a small GET (issue #14).
        let path: @Sendable () -> String = { target.map { String($0.prefix { $0 != "?" }) } ?? "/" }
        let tagged: @Sendable () -> Logger = { [logger] in
            var logger = logger
            logger[metadataKey: "front"] = "\(name)"
            if let requestId = Self.requestId(answerFields) { logger[metadataKey: "request-id"] = "\(requestId)" }
            if let operation { logger[metadataKey: "operation"] = "\(operation)" }
            return logger
        }
        if logger.logLevel <= .info {
            tagged().info("\(head.method) \(path()) \(answer.head.status.code) \(bytes.map(String.init) ?? "-") bytes \(elapsed)")
        }
        var response = answer.head
        // Appended when missing: the subscript's setter would look for the field again.
        if let bytes, !response.headerFields.contains(.contentLength) {
            response.headerFields.append(HTTPField(name: .contentLength, value: String(bytes)))
        }
        // Most fronts set the date already; a field made again would be checked again.
        if !response.headerFields.contains(.date) { response.headerFields.append(HTTPField(name: .date, value: HTTPDate.now())) }
        if !response.headerFields.contains(.server) { response.headerFields.append(Self.serverField) }
        await write(response, answer.body, on: channel, failed: { error in
            // Stored data failing its checksum is the server's fault; anything else is the client going away.
            let corrupt = (error as? ShareCoreError)?.code == .dataCorrupted
            tagged().log(level: corrupt ? .error : .info, "the response body ended early after the status was sent",
                         metadata: ["path": "\(path())", "error": "\(error)"])
        })
    }

    /// Writes a response: in one turn of the event loop when its body is in memory; piece by
    /// piece when it streams, with at most two pieces queued on the connection (the next piece
    /// is made only when the one before the last has reached the socket).
    private func write(_ head: HTTPResponse, _ body: FrontKit.ResponseBody, on channel: any Channel,
                       failed: @escaping @Sendable (any Error) -> Void) async {
        let sent = bodyBytes.sent
        switch body {
        case .empty:
            channel.eventLoop.execute {
                channel.write(HTTPResponsePart.head(head), promise: nil)
                channel.writeAndFlush(HTTPResponsePart.end(nil), promise: nil)
            }
        case .bytes(let bytes):
            sent.increment(by: bytes.count)
            channel.eventLoop.execute {
                channel.write(HTTPResponsePart.head(head), promise: nil)
                channel.write(HTTPResponsePart.body(channel.allocator.buffer(bytes: bytes)), promise: nil)
                channel.writeAndFlush(HTTPResponsePart.end(nil), promise: nil)
            }
        case .stream(_, let chunks):
            // One piece ahead: the head goes with the first piece and the end with the last, so
            // a body of one piece (a small read) is written in one turn of the event loop, and
            // the task waits for the connection only between pieces of a longer body.
            var iterator = chunks.makeIterator()
            var previous: EventLoopFuture<Void>?
            do {
                var piece = try await iterator.next()
                var first = true
                if piece == nil {
                    channel.eventLoop.execute {
                        channel.write(HTTPResponsePart.head(head), promise: nil)
                        channel.writeAndFlush(HTTPResponsePart.end(nil), promise: nil)
                    }
                }
                while let current = piece {
                    sent.increment(by: current.count)
                    let next = try await iterator.next()
                    let written = channel.eventLoop.makePromise(of: Void.self)
                    let last = next == nil
                    channel.eventLoop.execute { [first] in
                        if first { channel.write(HTTPResponsePart.head(head), promise: nil) }
                        let body = HTTPResponsePart.body(channel.allocator.buffer(bytes: current))
                        if last {
                            channel.write(body, promise: nil)
                            channel.writeAndFlush(HTTPResponsePart.end(nil), promise: written)
                        } else {
                            channel.writeAndFlush(body, promise: written)
                        }
                    }
                    // At most two pieces wait on the connection: a slow reader holds back the next read.
                    try await previous?.get()
                    if last {
                        // Nothing waits for the last piece; a failure to send it is still told.
                        written.futureResult.whenFailure { failed($0) }
                    }
                    previous = written.futureResult
                    first = false
                    piece = next
                }
            } catch {
                failed(error)
                // The response cannot be finished: the connection cannot carry another one.
                channel.close(promise: nil)
            }
        }
    }

    private static let host = HTTPField.Name("Host")!
    /// `Server: ShareCore`, made once.
    private static let serverField = HTTPField(name: .server, value: "ShareCore")

    /// The request id a front put in its response (each protocol names its own header).
    static func requestId(_ fields: HTTPFields) -> String? {
        for name in requestIdFields {
            if let value = fields[name] { return value }
        }
        return nil
    }

    /// The fields a front puts its request id in (names parsed once).
    private static let requestIdFields = ["x-ms-request-id", "x-amz-request-id", "x-request-id"].compactMap { HTTPField.Name($0) }
}

/// A request body that ends only where it should: when the connection fails or closes before
/// the bytes `Content-Length` announced have arrived, iterating it throws ``IncompleteBody``
/// (the client's fault) instead of a transport error the fronts would answer with a 500.
struct CompleteBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let expected: Int?

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let expected: Int?
        var received = 0

        mutating func next() async throws -> ByteBuffer? {
            let buffer: ByteBuffer?
            do {
                buffer = try await base.next()
            } catch {
                throw IncompleteBody(expected: expected, received: received, reason: "\(error)")
            }
            guard let buffer else {
                if let expected, received < expected { throw IncompleteBody(expected: expected, received: received) }
                return nil
            }
            received += buffer.readableBytes
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), expected: expected) }
}
