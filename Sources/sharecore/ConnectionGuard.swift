import Foundation
import HTTPTypes
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes

/// How long a connection may keep the server waiting, and how many may be open at once
/// (`sharecore serve --header-timeout --body-timeout --idle-timeout --max-connections`).
struct ConnectionPolicy: Sendable {
    /// From accepting a connection to having read its first request head.
    var headerTimeout: TimeAmount = .seconds(60)
    /// The longest pause while a request body is being read.
    var bodyTimeout: TimeAmount = .seconds(60)
    /// From the end of a response to the next request head (keep-alive).
    var idleTimeout: TimeAmount = .seconds(75)
    /// Connections open at once, over all fronts; beyond it each new one is answered 503 and closed.
    var maxConnections: Int = 1024
    /// The open connections, shared by every front's server.
    let counter = ConnectionCounter()
}

/// The number of open connections of the process.
final class ConnectionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var open = 0

    /// Counts a new connection; false when that makes more than `limit`.
    func enter(limit: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        open += 1
        return open <= limit
    }

    /// Counts a connection closed.
    func leave() {
        lock.lock()
        open -= 1
        lock.unlock()
    }
}

/// Closes connections that keep the server waiting and refuses connections beyond the cap.
///
/// Sits right after the HTTP/1 codec, so it sees whole request heads: a connection must send
/// its first head within the header timeout and each next one within the keep-alive timeout
/// of the previous response's end (a slow sender cannot stretch either: the clock runs from
/// when the server started waiting), and may pause at most the body timeout while it sends a
/// body (counted from when the server asks for more of it), or stop taking a response for
/// longer than the body timeout. While the server works on a request nothing is timed. A connection over the cap gets
/// `503` in its front's error format with `Connection: close` when its first head arrives.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let policy: ConnectionPolicy
    private let front: String
    private let logger: Logger
    private var counted = false
    private var overCap = false
    private var refused = false
    /// A request head was read and its end not yet.
    private var requestOpen = false
    /// Request heads read whose response has not ended.
    private var responsesPending = 0
    private var responsesSent = 0
    /// When the connection is closed unless what it waits for comes first, and why; nil while
    /// the server itself is working.
    private var deadline: (at: NIODeadline, reason: String)?
    /// The one scheduled check and when it runs. Moving the deadline later leaves it alone (it
    /// reschedules itself when it finds the deadline not reached), so the usual request (the
    /// deadline cleared, then set again) schedules nothing: cancelling and scheduling a timer
    /// for every request was 2% of a small GET (issue #14).
    private var timer: (task: Scheduled<Void>, at: NIODeadline)?

    init(policy: ConnectionPolicy, front: String, logger: Logger) {
        self.policy = policy
        self.front = front
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        ServerMetrics.connectionOpened(front: front)
        overCap = !policy.counter.enter(limit: policy.maxConnections)
        if overCap {
            logger.warning("refusing a connection: \(policy.maxConnections) connections are open (--max-connections)",
                           metadata: ["front": "\(front)"])
        }
        update(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        deadline = nil
        if counted {
            policy.counter.leave()
            ServerMetrics.connectionClosed(front: front)
        }
        counted = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if overCap {
            if case .head = part, !refused {
                refused = true
                refuse(context)
            }
            return
        }
        switch part {
        case .head:
            requestOpen = true
            responsesPending += 1
            update(context)
        case .body:
            // Bytes came: the body clock restarts when the server next asks for more (`read`),
            // so a server slow to take the body never counts against the client.
            deadline = nil
        case .end:
            requestOpen = false
            update(context)
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        if requestOpen && !overCap { arm(context, policy.bodyTimeout, "no request body bytes for the body timeout") }
        context.read()
    }

    /// A client that stops taking a response (the socket's buffer stays full) gets the body
    /// timeout too: a download to a reader that never reads would hold the connection forever.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !context.channel.isWritable && responsesPending > 0 && !requestOpen {
            arm(context, policy.bodyTimeout, "the client took no response bytes for the body timeout")
        } else if context.channel.isWritable {
            update(context)
        }
        context.fireChannelWritabilityChanged()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        // The response is over once its end has been written to the socket, not when it is
        // queued: megabytes may still wait in the outbound buffer of a slow reader, and the
        // keep-alive clock must not close the connection under them.
        let written = promise ?? context.eventLoop.makePromise()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in
            let (handler, context) = bound.value
            handler.responseEnded(context)
        }
        context.write(data, promise: written)
    }

    private func responseEnded(_ context: ChannelHandlerContext) {
        guard counted else { return }  // the connection is gone
        responsesPending = max(0, responsesPending - 1)
        responsesSent += 1
        update(context)
    }

    /// Arms the timer for what the connection is waiting for now.
    private func update(_ context: ChannelHandlerContext) {
        if requestOpen {
            arm(context, policy.bodyTimeout, "no request body bytes for the body timeout")
        } else if responsesPending > 0 && !overCap {
            deadline = nil
        } else if responsesSent == 0 {
            arm(context, policy.headerTimeout, "no request head within the header timeout")
        } else {
            arm(context, policy.idleTimeout, "idle for the keep-alive timeout")
        }
    }

    private func arm(_ context: ChannelHandlerContext, _ delay: TimeAmount, _ reason: String) {
        let at = NIODeadline.now() + delay
        deadline = (at, reason)
        if let timer {
            guard at < timer.at else { return }  // the check already scheduled comes first
            timer.task.cancel()
        }
        schedule(context, at: at)
    }

    private func schedule(_ context: ChannelHandlerContext, at: NIODeadline) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let task = context.eventLoop.scheduleTask(deadline: at) {
            let (handler, context) = bound.value
            handler.timerFired(context)
        }
        timer = (task, at)
    }

    /// Closes the connection if its deadline has passed; otherwise checks again at the deadline.
    private func timerFired(_ context: ChannelHandlerContext) {
        timer = nil
        guard counted, let deadline else { return }
        guard deadline.at <= .now() else {
            schedule(context, at: deadline.at)
            return
        }
        logger.debug("closing a connection: \(deadline.reason)", metadata: ["front": "\(front)"])
        context.close(promise: nil)
    }

    /// Answers 503 in the front's error format and closes the connection.
    private func refuse(_ context: ChannelHandlerContext) {
        let message = "The server has too many open connections. Retry later."
        let code = front == "S3" ? "SlowDown" : "ServerBusy"
        var xml = front == "FileREST" ? "\u{FEFF}" : ""
        xml += "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>\(code)</Code><Message>\(message)</Message></Error>"
        let body = Array(xml.utf8)
        var fields: HTTPFields = [.contentType: "application/xml", .contentLength: String(body.count),
                                  .connection: "close", .retryAfter: "1"]
        if front == "FileREST" { fields[HTTPField.Name("x-ms-error-code")!] = code }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .serviceUnavailable, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }
}

extension ConnectionPolicy {
    /// Raises the process's descriptor limit to its hard limit, then lowers `maxConnections`
    /// so that the connections and the store's own descriptors fit under it.
    mutating func fitDescriptorLimit(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(resourceNoFile, &limit) == 0 else { return }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resourceNoFile, &raised) == 0 { limit = raised }
        }
        let reserved: rlim_t = 64
        let available = limit.rlim_cur > reserved ? Int(clamping: limit.rlim_cur - reserved) : 1
        if available < maxConnections {
            logger.warning("the descriptor limit is \(limit.rlim_cur): accepting at most \(available) connections instead of \(maxConnections)")
            maxConnections = available
        }
    }

    #if os(Linux)
    private var resourceNoFile: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
    #else
    private var resourceNoFile: Int32 { RLIMIT_NOFILE }
    #endif
}
