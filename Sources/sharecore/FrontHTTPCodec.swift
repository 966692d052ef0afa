import FrontKit
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// The HTTP/1 codec of a front's connection, after NIO's request decoder: turns NIO's request
/// parts into swift-http-types parts, and writes responses straight to bytes.
///
/// Requests: as NIOHTTPTypesHTTP1's `HTTP1ToHTTPServerCodec(secure: false)` converts them,
/// except that a target in origin form (`/path?query`, what every client of the fronts sends)
/// is taken as it is. The general conversion parses each target with Foundation's
/// `URLComponents` to find an absolute form, which was 1% of a small GET (issue #14); any other
/// target still goes through it.
///
/// Responses: written by ``HTTP1ResponseHead`` from swift-http-types' fields, with the framing
/// rules of NIO's `HTTPResponseEncoder` (a body without `Content-Length` is chunked; none at all
/// after 1xx, `204`, `304`, and none sent to `HEAD` or `CONNECT`). Converting every response to
/// NIO's header list and encoding that was 8% of a small GET.
///
/// A request that does not keep the connection alive (`Connection: close`, or HTTP/1.0 without
/// `keep-alive`), and a response the server marks `Connection: close`, end the connection once
/// the response is written (RFC 9112 §9.6); the response then says `Connection: close`.
///
/// `Expect: 100-continue`: the interim `100 Continue` is sent only when the front starts reading
/// the body (``ContinueOnFirstRead`` sends ``ExpectContinue/SendContinue``), that is after the
/// request was authenticated and found acceptable. A request refused before that (unsigned,
/// wrongly signed, unknown bucket…) gets its final answer at once, without the client being
/// invited to send the body, and the connection closes after it, since the unsent body would
/// otherwise be expected next.
///
/// Shutting down (Hummingbird's `ChannelShouldQuiesceEvent`): an idle connection closes at once,
/// a busy one once the requests read have been answered.
///
/// Malformed requests: as NIO's `HTTPServerProtocolErrorHandler`, a `400` with
/// `Connection: close` unless a response has begun, then the connection closes; the error goes
/// on down the pipeline.
///
/// These were four handlers (NIO's encoder and error handler, ShareCore's Expect handler and
/// Hummingbird's connection state handler); every handler a request and its response pass
/// through costs a call and a boxed part each way (issue #14).
final class FrontHTTPCodec: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = IOData

    /// A request read and not yet answered.
    private struct Pending {
        let method: HTTPRequest.Method
        let keepAlive: Bool
        /// It asked for `100 Continue` and has had neither it nor a final answer.
        var continuePending: Bool
    }

    /// The requests read and not yet answered, oldest first.
    private var pending = CircularBuffer<Pending>(initialCapacity: 4)
    /// The head of the response being written, from its head to its end.
    private var current: HTTP1ResponseHead?
    /// Whether the connection closes once the current response is written.
    private var closeAfterResponse = false
    /// Whether the server is shutting down: the connection closes once no request waits.
    private var quiescing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            do {
                let request = try Self.request(head)
                pending.append(Pending(method: request.method, keepAlive: head.isKeepAlive,
                                       continuePending: ExpectContinue.expectsContinue(request)))
                context.fireChannelRead(wrapInboundOut(.head(request)))
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
        case .head(var response):
            let interim = response.status.kind == .informational && response.status.code != 101
            let request = interim ? nil : pending.popFirst()
            if let request {
                // A final answer before the body was asked for: the client will not send it.
                let says = Self.saysClose(response.headerFields)
                closeAfterResponse = !request.keepAlive || request.continuePending || (quiescing && pending.isEmpty) || says
                if closeAfterResponse && !says {
                    response.headerFields[.connection] = "close"
                }
            }
            let head = HTTP1ResponseHead(response, requestMethod: request?.method)
            if head.isFinal { current = head }
            context.write(wrapOutboundOut(.byteBuffer(Self.bytes(of: head, context))), promise: promise)
        case .body(let body):
            guard let head = current, !head.bodySuppressed else {
                // A response to HEAD cannot carry a body (RFC 9112 §6.3): refused, not dropped.
                promise?.fail(NIOHTTPResponseEncoderError.responseBodyNotAllowed)
                return
            }
            guard head.chunked, body.readableBytes > 0 else {
                context.write(wrapOutboundOut(.byteBuffer(body)), promise: promise)
                return
            }
            // An empty chunk would end the body, so none is written for an empty piece.
            var framed = context.channel.allocator.buffer(capacity: body.readableBytes + 20)
            framed.writeString(HTTP1ResponseHead.chunkHeader(size: body.readableBytes))
            var piece = body
            framed.writeBuffer(&piece)
            framed.writeStaticString("\r\n")
            context.write(wrapOutboundOut(.byteBuffer(framed)), promise: promise)
        case .end(let trailers):
            let chunked = current?.chunked ?? false
            current = nil
            var promise = promise
            if closeAfterResponse || (quiescing && pending.isEmpty) {
                closeAfterResponse = false
                let written = promise ?? context.eventLoop.makePromise()
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
                promise = written
            }
            if chunked {
                let last = context.channel.allocator.buffer(string: HTTP1ResponseHead.lastChunk(trailers: trailers))
                context.write(wrapOutboundOut(.byteBuffer(last)), promise: promise)
            } else if let promise {
                // Nothing to write, but the promise completes in order with the writes before it.
                context.write(wrapOutboundOut(.byteBuffer(context.channel.allocator.buffer(capacity: 0))), promise: promise)
            }
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is ExpectContinue.SendContinue else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        // The front reads the body of the request it answers: the oldest one waiting.
        guard !pending.isEmpty, pending[pending.startIndex].continuePending else {
            promise?.succeed()
            return
        }
        pending[pending.startIndex].continuePending = false
        let head = HTTP1ResponseHead(HTTPResponse(status: .continue), requestMethod: nil)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(Self.bytes(of: head, context))), promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        quiescing = true
        if pending.isEmpty && current == nil { context.close(promise: nil) }
    }

    /// The bytes of a response head.
    private static func bytes(of head: HTTP1ResponseHead, _ context: ChannelHandlerContext) -> ByteBuffer {
        let count = head.byteCount
        var buffer = context.channel.allocator.buffer(capacity: count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { head.write(into: $0) }
        return buffer
    }

    /// Whether `fields` carry a `Connection` field with the `close` option.
    private static func saysClose(_ fields: HTTPFields) -> Bool {
        guard let value = fields.value(.connection) else { return false }
        return value.split(separator: ",").contains { $0.filter { $0 != " " && $0 != "\t" }.lowercased() == "close" }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError, parserError == .closedConnection {
            // Bytes after a request that closes the connection: they are not read (RFC 9112
            // §9.6), and the answer to that request still goes out before the connection closes.
            return
        }
        if error is HTTPParserError && current == nil {
            // The request cannot be read, so nor can any after it.
            let response = HTTPResponse(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(Self.bytes(of: HTTP1ResponseHead(response, requestMethod: nil), context))))
                .whenComplete { _ in bound.value.close(promise: nil) }
        }
        context.fireErrorCaught(error)
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
