import FrontKit
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` with an interim `100 Continue` only when the front starts
/// reading the body (``ContinueOnFirstRead`` sends ``SendContinue``), that is after the request
/// was authenticated and found acceptable. A request refused before that (unsigned, wrongly
/// signed, unknown bucket…) gets its final answer at once, without the client being invited to
/// send the body, and the connection is closed after it, since the unsent body would otherwise
/// be expected next. Sits after the HTTP/1 codec, where requests are swift-http-types parts.
///
/// The `Expect` header stays in the head that goes on, so that the connection's task knows
/// whether the body needs ``ContinueOnFirstRead`` (a round trip to the event loop on the first
/// read); `FrontResponder` removes it before the front sees the request.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The outbound event that asks for the interim `100 Continue`, if the request expects one.
    struct SendContinue: Sendable {}

    /// Whether the current request expects `100 Continue` and has not had it (nor a final answer).
    private var continuePending = false

    /// Whether `head` asks for `100 Continue` before its body is sent.
    static func expectsContinue(_ head: HTTPRequest) -> Bool {
        guard let expect = head.headerFields.value(.expect) else { return false }
        return expect.lowercased() == "100-continue"
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            continuePending = Self.expectsContinue(head)
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is SendContinue else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        if continuePending {
            continuePending = false
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: promise)
        } else {
            promise?.succeed()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head(var head) = unwrapOutboundIn(data), head.status.kind != .informational, continuePending {
            // A final answer before the body was asked for: the client will not send it.
            continuePending = false
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            return
        }
        context.write(data, promise: promise)
    }
}

/// A request body that, when first read, asks ``ExpectContinueHandler`` to send `100 Continue`
/// and waits until it is written. Only the body of a request that expects it is wrapped so:
/// the request costs a round trip to the event loop.
struct ContinueOnFirstRead<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element: Sendable {
    typealias Element = Base.Element
    let base: Base
    let channel: any Channel

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let channel: any Channel
        var asked = false

        mutating func next() async throws -> Element? {
            if !asked {
                asked = true
                try await channel.triggerUserOutboundEvent(ExpectContinueHandler.SendContinue()).get()
            }
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), channel: channel) }
}
