import Foundation
import FrontKit
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import CoreMetrics
import NIOCore
import ServiceLifecycle
import ShareCore

/// Binds an ``HTTPFront`` to a Hummingbird server: bodies stream both ways, each request is
/// logged on one line (method, path, status, bytes, duration, with the front's request id) and
/// counted in ``ServerMetrics``.
enum FrontServer {
    /// The server of one front: plain HTTP, or HTTPS when `tls` is given.
    static func application(_ front: any HTTPFront, host: String, port: Int, tls: TLSConfiguration?,
                            logger: Logger, banner: String, policy: ConnectionPolicy) throws -> some Service {
        let responder = FrontResponder(front: front, logger: logger, scheme: tls == nil ? "http" : "https",
                                       bodyBytes: BodyByteCounters(front: front.name))
        let name = front.name
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [
            ConnectionGuard(policy: policy, front: name, logger: logger), ExpectContinueHandler()]))
        var app = Application(responder: responder,
                              server: try tls.map { try .tls(http1, tlsConfiguration: $0) } ?? http1,
                              configuration: .init(address: .hostname(host, port: port), serverName: "ShareCore"),
                              logger: logger)
        app.addServices()
        return AnnouncedService(app: app, banner: banner, logger: logger)
    }
}

/// Prints the front's URL once its server is about to listen.
struct AnnouncedService<App: Service>: Service {
    let app: App
    let banner: String
    let logger: Logger

    func run() async throws {
        FileHandle.standardOutput.write(Data((banner + "\n").utf8))
        try await app.run()
    }
}

/// The request context: Hummingbird's core context plus the client's address.
struct FrontRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    /// The connection, through which `100 Continue` is asked for when the body is first read.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }
}

struct FrontResponder: HTTPResponder {
    typealias Context = FrontRequestContext
    let front: any HTTPFront
    let logger: Logger
    /// `http` or `https`: what the client used, so fronts can build absolute URLs.
    let scheme: String
    /// Made after the metrics backend is bootstrapped (`Serve.run`).
    let bodyBytes: BodyByteCounters

    func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        let name = front.name
        let expected = request.headers[.contentLength].flatMap { Int($0) }
        let continuing = ContinueOnFirstRead(base: request.body, channel: context.channel)
        let received = bodyBytes.received
        let body = FrontKit.RequestBody(CompleteBody(base: continuing, expected: expected)) { buffer in
            received.increment(by: buffer.readableBytes)
            return Array(buffer.readableBytesView)
        }
        var head = request.head
        head.scheme = scheme
        if head.authority == nil, let host = HTTPField.Name("Host").flatMap({ head.headerFields[$0] }) {
            head.authority = host
        }
        let frontRequest = FrontRequest(head: head, body: body, remoteAddress: context.remoteAddress?.ipAddress)
        let answer = await front.respond(to: frontRequest)
        let bytes = answer.body.length
        let elapsed = ContinuousClock.now - start
        ServerMetrics.request(front: name, operation: answer.operation, status: answer.head.status.code, duration: elapsed)
        var logger = logger
        logger[metadataKey: "front"] = "\(name)"
        if let id = Self.requestId(answer.head.headerFields) { logger[metadataKey: "request-id"] = "\(id)" }
        if let operation = answer.operation { logger[metadataKey: "operation"] = "\(operation)" }
        logger.info("\(request.method) \(request.uri.path) \(answer.head.status.code) \(bytes.map(String.init) ?? "-") bytes \(elapsed)")
        return Response(status: answer.head.status, headers: answer.head.headerFields,
                        body: Self.body(answer.body, sent: bodyBytes.sent, failed: { [logger, path = request.uri.path] error in
                            // Stored data failing its checksum is the server's fault; anything else is the client going away.
                            let corrupt = (error as? ShareCoreError)?.code == .dataCorrupted
                            logger.log(level: corrupt ? .error : .info, "the response body ended early after the status was sent",
                                       metadata: ["path": "\(path)", "error": "\(error)"])
                        }))
    }

    /// The request id a front put in its response (each protocol names its own header).
    static func requestId(_ fields: HTTPFields) -> String? {
        for name in requestIdFields {
            if let value = fields[name] { return value }
        }
        return nil
    }

    /// The fields a front puts its request id in (names parsed once).
    private static let requestIdFields = ["x-ms-request-id", "x-amz-request-id", "x-request-id"].compactMap { HTTPField.Name($0) }

    static func body(_ body: FrontKit.ResponseBody, sent: CoreMetrics.Counter,
                     failed: @escaping @Sendable (any Error) -> Void = { _ in }) -> Hummingbird.ResponseBody {
        switch body {
        case .empty:
            return Hummingbird.ResponseBody()
        case .bytes(let bytes):
            sent.increment(by: bytes.count)
            return Hummingbird.ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        case .stream(let length, let chunks):
            return Hummingbird.ResponseBody(contentLength: length) { writer in
                var iterator = chunks.makeIterator()
                do {
                    while let next = try await iterator.next() {
                        sent.increment(by: next.count)
                        try await writer.write(ByteBuffer(bytes: next))
                    }
                } catch {
                    failed(error)
                    throw error
                }
                try await writer.finish(nil)
            }
        }
    }
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
