import HTTPTypes

/// An HTTP response as a front produces it.
public struct FrontResponse: Sendable {
    /// Status and header fields.
    public var head: HTTPResponse
    /// The body.
    public var body: ResponseBody
    /// The protocol operation the request was classified as (e.g. `PutObject`, see
    /// ``OperationLabel``), for metrics and logs; nil when the front could not tell (an
    /// unknown route, say).
    public var operation: String?

    /// A response.
    public init(head: HTTPResponse, body: ResponseBody = .empty) {
        self.head = head
        self.body = body
    }

    /// A response with `status`, `headers` and `body`.
    public init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: ResponseBody = .empty) {
        self.init(head: HTTPResponse(status: status, headerFields: headers), body: body)
    }
}

/// A response body: nothing, bytes in memory (small bodies), or a stream pulled buffer by
/// buffer as the client reads (large bodies), so that memory stays flat whatever the size.
public enum ResponseBody: Sendable {
    case empty
    case bytes([UInt8])
    /// `length` bytes (nil: unknown) produced by `chunks`, pulled only as fast as the client reads.
    case stream(length: Int?, chunks: ResponseChunks)

    /// The length, when known.
    public var length: Int? {
        switch self {
        case .empty: 0
        case .bytes(let b): b.count
        case .stream(let length, _): length
        }
    }
}

/// A pull-based source of response buffers. Each call of ``makeIterator()`` starts reading
/// from the beginning; `next()` returns nil at the end.
public struct ResponseChunks: Sendable {
    private let make: @Sendable () -> Iterator

    /// A source whose iterator is made by `make`.
    public init(_ make: @escaping @Sendable () -> Iterator) { self.make = make }

    /// Starts reading.
    public func makeIterator() -> Iterator { make() }

    /// Pulls buffers one at a time.
    public struct Iterator {
        private let nextBuffer: () async throws -> [UInt8]?

        /// An iterator calling `next` for each buffer.
        public init(_ next: @escaping () async throws -> [UInt8]?) { nextBuffer = next }

        /// The next buffer, or nil at the end.
        public mutating func next() async throws -> [UInt8]? { try await nextBuffer() }
    }
}

/// A protocol front: turns requests into responses. Errors become responses in the
/// protocol's own format, so `respond` does not throw.
public protocol HTTPFront: Sendable {
    /// The front's name, for logs (e.g. `FileREST`).
    var name: String { get }
    /// Answers one request.
    func respond(to request: FrontRequest) async -> FrontResponse
}
