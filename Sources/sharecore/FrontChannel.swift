import FrontKit
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// One connection of a front's server: NIO's HTTP/1 request decoder, ``FrontHTTPCodec`` (which
/// converts requests, writes responses, and handles `100 Continue`, closing and shutting down)
/// and ``ConnectionGuard``, ending in a ``FrontChannelHandler`` instead of an `NIOAsyncChannel`.
///
/// Why not `NIOAsyncChannel`: it carries every request part and every response part across
/// an asynchronous writer and reader of its own, with their locks and wake-ups. For the small
/// requests of issue #14 that machinery cost about as much as everything else the server did
/// (`docs/PERFORMANCE.md`, "The HTTP stack's floor"). Here a request crosses from the event
/// loop to Swift concurrency once (its head, with a body stream), and a response crosses back
/// once (head, body and end written together) unless its body is a stream.
struct FrontChildChannel: ServerChildChannel {
    /// The connection as ``handle(value:logger:)`` sees it.
    struct Connection: ServerChildChannelValue {
        let channel: any Channel
        /// The requests of the connection, one at a time, in order.
        let requests: AsyncStream<FrontChannelHandler.Incoming>
    }

    /// Extra handlers between the codec and the front (made for each connection).
    let additionalHandlers: @Sendable () -> [any RemovableChannelHandler]
    /// Answers one request and writes its response; given the connection and the client's IP
    /// address (nil when the socket has none).
    let serve: @Sendable (FrontChannelHandler.Incoming, any Channel, String?) async -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Connection> {
        channel.eventLoop.makeCompletedFuture {
            // NIO's request decoder, then ShareCore's codec, which also writes the responses and
            // answers malformed requests (NIO's encoder and error handler are not used).
            // Requests are answered in turn by `handle`; FrontChannelHandler bounds how many wait.
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
            try channel.pipeline.syncOperations.addHandler(FrontHTTPCodec())
            try channel.pipeline.syncOperations.addHandlers(additionalHandlers())
            let (requests, continuation) = AsyncStream<FrontChannelHandler.Incoming>.makeStream()
            try channel.pipeline.syncOperations.addHandler(FrontChannelHandler(requests: continuation))
            return Connection(channel: channel, requests: requests)
        }
    }

    /// Serves the connection's requests in turn until the client ends its side or the
    /// connection closes, then closes it; returns only when the last request read has been
    /// answered, so a server shutting down never leaves a request running.
    func handle(value: Connection, logger: Logger) async {
        // Formatted once per connection: asking the channel for it took a lock and formatted
        // the address for every request (1% of a small GET, issue #14).
        let remoteAddress = value.channel.remoteAddress?.ipAddress
        await withTaskCancellationHandler {
            for await request in value.requests {
                await serve(request, value.channel, remoteAddress)
            }
        } onCancel: {
            value.channel.close(promise: nil)
        }
        try? await value.channel.close()
    }
}

/// The last handler of a front's connection: hands each request head to the connection's task
/// with a stream of its body, and feeds that stream as the body arrives, reading from the
/// socket only while the stream wants more (at most ``highWatermark`` pieces wait in it).
final class FrontChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    typealias Body = NIOThrowingAsyncSequenceProducer<ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, BodyDemand>

    /// A request as the connection's task receives it.
    struct Incoming: Sendable {
        let head: HTTPRequest
        /// Nil when the request has no body (no `Content-Length` above 0, no `Transfer-Encoding`).
        let body: Body?
    }

    /// The body pieces that may wait for the front before the socket is no longer read.
    static let highWatermark = 10
    static let lowWatermark = 2
    /// Requests read ahead of their answers (pipelined) before the socket is no longer read.
    static let maxUnanswered = 16

    private let requests: AsyncStream<Incoming>.Continuation
    /// The body stream of the request being read, until its end (or its reader stopped).
    private var body: Body.Source?
    /// Whether the socket may be read: false while the body stream is full.
    private var demand = true
    /// A read asked for while the body stream was full.
    private var readPending = false
    /// Counts requests, so that a late word from an earlier body stream is ignored.
    private var generation = 0
    /// Requests read whose response has not been written to its end.
    private var unanswered = 0
    /// A request with a body, held until its first piece (or its end, or the end of this read
    /// from the socket) so that the task that answers it finds the piece waiting: its first
    /// read then takes it without asking the event loop for more.
    private var heldRequest: Incoming?

    init(requests: AsyncStream<Incoming>.Continuation) {
        self.requests = requests
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        endBody(failure: ChannelError.ioOnClosedChannel)
        requests.finish()
    }

    func channelInactive(context: ChannelHandlerContext) {
        endBody(failure: ChannelError.eof)
        requests.finish()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client sent all it will: the requests read are answered, then the connection closes.
            endBody(failure: ChannelError.eof)
            requests.finish()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            endBody(failure: ChannelError.inappropriateOperationForState)
            generation &+= 1
            unanswered += 1
            guard Self.hasBody(head) else {
                requests.yield(Incoming(head: head, body: nil))
                return
            }
            let current = generation
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            let contextBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let made = Body.makeSequence(
                backPressureStrategy: .init(lowWatermark: Self.lowWatermark, highWatermark: Self.highWatermark),
                finishOnDeinit: false,
                delegate: BodyDemand(eventLoop: context.eventLoop) {
                    guard bound.value.generation == current else { return }
                    bound.value.bodyDemand(context: contextBound.value)
                })
            body = made.source
            demand = true
            heldRequest = Incoming(head: head, body: made.sequence)
        case .body(let buffer):
            // Pieces after the reader stopped (the front answered without reading the whole
            // body) are dropped, as the rest of the body is read to reach the next request.
            if let body, body.yield(buffer) == .stopProducing { demand = false }
            releaseHeldRequest()
        case .end:
            body?.finish()
            body = nil
            releaseHeldRequest()
            bodyDemand(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // The body has not begun in this read (a client waiting for `100 Continue`, or a slow one).
        releaseHeldRequest()
        context.fireChannelReadComplete()
    }

    /// Hands the request held for its first body piece to the connection's task.
    private func releaseHeldRequest() {
        if let held = heldRequest {
            heldRequest = nil
            requests.yield(held)
        }
    }

    func read(context: ChannelHandlerContext) {
        if demand && unanswered <= Self.maxUnanswered {
            context.read()
        } else {
            readPending = true
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered -= 1
            if readPending && demand && unanswered <= Self.maxUnanswered {
                readPending = false
                context.read()
            }
        }
        context.write(data, promise: promise)
    }

    /// Whether a request head announces a body: a `Content-Length` above 0 or a `Transfer-Encoding`.
    static func hasBody(_ head: HTTPRequest) -> Bool {
        if head.headerFields.contains(.transferEncoding) { return true }
        guard let length = head.headerFields.value(.contentLength) else { return false }
        return length != "0"
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        endBody(failure: error)
        context.fireErrorCaught(error)
    }

    /// The body stream wants more, or its reader is gone: the socket may be read again.
    private func bodyDemand(context: ChannelHandlerContext) {
        demand = true
        if readPending && unanswered <= Self.maxUnanswered {
            readPending = false
            context.read()
        }
    }

    private func endBody(failure: any Error) {
        body?.finish(failure)
        body = nil
        demand = true
        releaseHeldRequest()
    }

    /// The body stream's delegate: brings demand back to the event loop.
    struct BodyDemand: NIOAsyncSequenceProducerDelegate {
        let eventLoop: any EventLoop
        let resume: @Sendable () -> Void

        func produceMore() {
            eventLoop.execute(resume)
        }

        func didTerminate() {
            // The reader is gone: read on, dropping the rest of the body.
            eventLoop.execute(resume)
        }
    }
}
