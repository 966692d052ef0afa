import HTTPTypes

/// An HTTP request as a front sees it: the head (swift-http-types) and a body that streams.
/// Fronts work on this type alone, so they run inside any server (the bundled Hummingbird
/// one, another Swift service's, or a test without sockets).
public struct FrontRequest: Sendable {
    /// Method, path with query, authority and header fields.
    public var head: HTTPRequest
    /// The body, read once, as it arrives.
    public var body: RequestBody
    /// The client's address, when the server knows it (for IP-restricted signatures).
    public var remoteAddress: String?

    /// A request.
    public init(head: HTTPRequest, body: RequestBody = .empty, remoteAddress: String? = nil) {
        self.head = head
        self.body = body
        self.remoteAddress = remoteAddress
    }
}

/// A request body: an async sequence of byte buffers that can be iterated once.
public struct RequestBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    private let make: @Sendable () -> Iterator

    /// Wraps any async sequence of buffers, converting each element with `bytes`.
    public init<Base: AsyncSequence & Sendable>(_ base: Base, bytes: @escaping @Sendable (Base.Element) -> [UInt8]) {
        make = {
            var iterator = base.makeAsyncIterator()
            return Iterator {
                guard let element = try await iterator.next() else { return nil }
                return bytes(element)
            }
        }
    }

    /// A body of the given bytes.
    public init(bytes: [UInt8]) {
        make = {
            var done = bytes.isEmpty
            return Iterator {
                if done { return nil }
                done = true
                return bytes
            }
        }
    }

    /// No body.
    public static let empty = RequestBody(bytes: [])

    public func makeAsyncIterator() -> Iterator { make() }

    /// Iterates the body.
    public struct Iterator: AsyncIteratorProtocol {
        let nextBuffer: () async throws -> [UInt8]?
        public mutating func next() async throws -> [UInt8]? { try await nextBuffer() }
    }

    /// Reads the whole body, refusing more than `limit` bytes (small bodies only: XML, JSON).
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var out: [UInt8] = []
        for try await buffer in self {
            out.append(contentsOf: buffer)
            if out.count > limit { throw BodyTooLarge(limit: limit) }
        }
        return out
    }
}

/// The client stopped sending a body before its end (the connection closed or failed, or fewer
/// bytes came than `Content-Length` announced): the client's fault, answered with a 400 and
/// nothing written.
public struct IncompleteBody: Error, Sendable, CustomStringConvertible {
    /// The bytes `Content-Length` announced, when it did.
    public let expected: Int?
    /// The bytes that arrived.
    public let received: Int
    /// What the connection reported, if anything.
    public let reason: String?

    /// An incomplete body.
    public init(expected: Int?, received: Int, reason: String? = nil) {
        self.expected = expected
        self.received = received
        self.reason = reason
    }

    /// What happened, for logs.
    public var description: String {
        "the request body ended after \(received) of \(expected.map(String.init) ?? "?") bytes" + (reason.map { " (\($0))" } ?? "")
    }
}

/// A body exceeded what ``RequestBody/collect(upTo:)`` allows.
public struct BodyTooLarge: Error, Sendable {
    /// The limit that was exceeded.
    public let limit: Int
}
