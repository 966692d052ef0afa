import Foundation
import FrontKit
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle

/// Binds an ``HTTPFront`` to a Hummingbird server: bodies stream both ways, and each request
/// is logged on one line (method, path, status, bytes, duration).
enum FrontServer {
    /// The server of one front: plain HTTP, or HTTPS when `tls` is given.
    static func application(_ front: any HTTPFront, host: String, port: Int, tls: TLSConfiguration?,
                            logger: Logger, banner: String) throws -> some Service {
        let responder = FrontResponder(front: front, logger: logger, scheme: tls == nil ? "http" : "https")
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()]))
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

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

struct FrontResponder: HTTPResponder {
    typealias Context = FrontRequestContext
    let front: any HTTPFront
    let logger: Logger
    /// `http` or `https`: what the client used, so fronts can build absolute URLs.
    let scheme: String

    func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        let body = FrontKit.RequestBody(request.body) { buffer in Array(buffer.readableBytesView) }
        var head = request.head
        head.scheme = scheme
        if head.authority == nil, let host = HTTPField.Name("Host").flatMap({ head.headerFields[$0] }) {
            head.authority = host
        }
        let frontRequest = FrontRequest(head: head, body: body, remoteAddress: context.remoteAddress?.ipAddress)
        let answer = await front.respond(to: frontRequest)
        let bytes = answer.body.length
        logger.info("\(request.method) \(request.uri.path) \(answer.head.status.code) \(bytes.map(String.init) ?? "-") bytes \(ContinuousClock.now - start)",
                    metadata: ["front": "\(front.name)"])
        return Response(status: answer.head.status, headers: answer.head.headerFields, body: Self.body(answer.body))
    }

    static func body(_ body: FrontKit.ResponseBody) -> Hummingbird.ResponseBody {
        switch body {
        case .empty:
            return Hummingbird.ResponseBody()
        case .bytes(let bytes):
            return Hummingbird.ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        case .stream(let length, let chunks):
            return Hummingbird.ResponseBody(contentLength: length) { writer in
                var iterator = chunks.makeIterator()
                while let next = try await iterator.next() {
                    try await writer.write(ByteBuffer(bytes: next))
                }
                try await writer.finish(nil)
            }
        }
    }
}
