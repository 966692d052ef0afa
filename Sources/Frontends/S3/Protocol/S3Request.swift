import FrontKit
import HTTPTypes

/// A request to the S3 front, with its bucket and key found in the path (path style,
/// `/bucket/key`) or in the host name (virtual-host style, `bucket.localhost/key`).
struct S3Request: Sendable {
    /// The request as it arrived.
    let front: FrontRequest
    /// The path and query, parsed.
    let target: RequestTarget
    /// The bucket named, if any.
    let bucket: String?
    /// The object key named (percent-decoded, slashes kept), if any.
    let key: String?

    var head: HTTPRequest { front.head }
    var method: HTTPRequest.Method { front.head.method }

    /// Parses `request`; `virtualHostSuffixes` are the host names under which
    /// `<bucket>.<suffix>` addresses a bucket (e.g. `localhost`).
    static func parse(_ request: FrontRequest, virtualHostSuffixes: [String]) throws -> S3Request {
        guard let path = request.head.path, let target = RequestTarget(path) else {
            throw S3Error.invalidArgument("The request path is not valid percent-encoded UTF-8.")
        }
        let rawPath = target.rawPath.hasPrefix("/") ? String(target.rawPath.dropFirst()) : target.rawPath
        var bucket: String?
        var keyPart: Substring = rawPath[...]
        if let host = hostName(request.head), let name = virtualHostBucket(host, suffixes: virtualHostSuffixes) {
            bucket = name
        } else if !rawPath.isEmpty {
            let slash = rawPath.firstIndex(of: "/")
            let raw = slash.map { rawPath[..<$0] } ?? rawPath[...]
            guard let decoded = RequestTarget.percentDecode(String(raw)) else {
                throw S3Error.invalidArgument("The bucket name is not valid percent-encoded UTF-8.")
            }
            bucket = decoded
            keyPart = slash.map { rawPath[rawPath.index(after: $0)...] } ?? ""
        }
        var key: String?
        if !keyPart.isEmpty {
            guard let decoded = RequestTarget.percentDecode(String(keyPart)) else {
                throw S3Error.invalidArgument("The object key is not valid percent-encoded UTF-8.")
            }
            key = decoded
        }
        return S3Request(front: request, target: target, bucket: bucket, key: key)
    }

    /// The host name without the port.
    static func hostName(_ head: HTTPRequest) -> String? {
        guard let authority = head.authority else { return nil }
        if authority.hasPrefix("[") { return nil }  // an IPv6 literal never names a bucket
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "").lowercased()
    }

    /// The bucket of a virtual-host style host name, if `host` is `<bucket>.<suffix>`.
    static func virtualHostBucket(_ host: String, suffixes: [String]) -> String? {
        for suffix in suffixes where host.hasSuffix("." + suffix) {
            let name = host.dropLast(suffix.count + 1)
            if !name.isEmpty { return String(name) }
        }
        return nil
    }

    /// Header `name`, if present.
    func header(_ name: String) -> String? {
        HTTPField.Name(name).flatMap { front.head.headerFields.value($0) }
    }

    /// Query parameter `name`, if present.
    func query(_ name: String) -> String? { target.value(name) }

    /// Whether query parameter `name` is present (with or without a value).
    func has(_ name: String) -> Bool { target.query.contains { $0.name == name } }

    /// The resource named in error bodies: `/bucket/key`.
    var resource: String {
        "/" + (bucket ?? "") + (key.map { "/" + $0 } ?? "")
    }
}
