import FrontKit
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// `Expect: 100-continue` as the connection handles it: ``FrontHTTPCodec`` sends the interim
/// `100 Continue` only when the front starts reading the body (``ContinueOnFirstRead`` asks for
/// it with ``SendContinue``), that is after the request was authenticated and found acceptable;
/// a request refused before that gets its final answer at once and the connection closes.
///
/// The `Expect` header stays in the head that goes on, so that the connection's task knows
/// whether the body needs ``ContinueOnFirstRead`` (a round trip to the event loop on the first
/// read); `FrontResponder` removes it before the front sees the request.
enum ExpectContinue {
    /// The outbound event that asks for the interim `100 Continue`, if the request expects one.
    struct SendContinue: Sendable {}

    /// Whether `head` asks for `100 Continue` before its body is sent.
    static func expectsContinue(_ head: HTTPRequest) -> Bool {
        guard let expect = head.headerFields.value(.expect) else { return false }
        return expect.lowercased() == "100-continue"
    }
}

/// A request body that, when first read, asks ``FrontHTTPCodec`` to send `100 Continue`
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
                try await channel.triggerUserOutboundEvent(ExpectContinue.SendContinue()).get()
            }
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), channel: channel) }
}
