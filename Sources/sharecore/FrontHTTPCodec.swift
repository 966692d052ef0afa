import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Turns NIO's HTTP/1 request parts into swift-http-types parts and responses back, exactly as
/// NIOHTTPTypesHTTP1's `HTTP1ToHTTPServerCodec(secure: false)` does, except that a target in
/// origin form (`/path?query`, what every client of the fronts sends) is taken as it is. The
/// general conversion parses each target with Foundation's `URLComponents` to find an
/// absolute form, which was 1% of a small GET (issue #14); any other target still goes
/// through it.
final class FrontHTTPCodec: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            do {
                context.fireChannelRead(wrapInboundOut(.head(try Self.request(head))))
            } catch {
                context.fireErrorCaught(error)
            }
        case .body(let body):
            context.fireChannelRead(wrapInboundOut(.body(body)))
        case .end(let trailers):
            context.fireChannelRead(wrapInboundOut(.end(trailers.map { HTTPFields($0, splitCookie: false) })))
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            context.write(wrapOutboundOut(.head(HTTPResponseHead(response))), promise: promise)
        case .body(let body):
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: promise)
        case .end(let trailers):
            context.write(wrapOutboundOut(.end(trailers.map(HTTPHeaders.init))), promise: promise)
        }
    }

    /// The request `head` describes, with the scheme `http`, the first `Host` as its authority
    /// (and not among its fields) and its target as the path.
    static func request(_ head: HTTPRequestHead) throws -> HTTPRequest {
        guard head.uri.utf8.first == UInt8(ascii: "/") else {
            return try HTTPRequest(head, secure: false, splitCookie: false)
        }
        return HTTPRequest(method: try HTTPRequest.Method(head.method), scheme: "http",
                           authority: head.headers["Host"].first, path: head.uri,
                           headerFields: HTTPFields(head.headers, splitCookie: false))
    }
}
