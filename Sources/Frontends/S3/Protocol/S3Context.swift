import Foundation
import FrontKit
import HTTPTypes
import Logging
import ShareCore

/// A bucket as the front sees it: the share it lives in and the directory its keys start from.
struct ResolvedBucket: Sendable {
    /// The bucket's name.
    let name: String
    /// The live share holding it.
    let share: Share
    /// The directory of the share that is the bucket's root ("" for a share bucket).
    let base: String
    /// Whether this bucket is a mapping onto a directory (rather than a whole share).
    let isMapped: Bool
}

/// Everything an operation needs: the store, the parsed request, the verified signature.
struct S3Context: Sendable {
    let store: ShareStore
    let request: S3Request
    let operation: S3Operation
    let auth: SigV4Auth
    /// The identity that signed the request; nil when it is anonymous.
    let requester: S3Identity?
    /// Every identity known when the request arrived (ACL and policy names resolve to these).
    let identities: S3Identities
    let configuration: S3Configuration
    let requestId: String
    let logger: Logger

    /// The bucket the request names (NoSuchBucket when there is none).
    func bucket() async throws -> ResolvedBucket {
        guard let name = request.bucket else { throw S3Error.noSuchBucket("") }
        return try await resolve(bucket: name)
    }

    /// Resolves bucket `name`: a mapping first, else the share of that name.
    func resolve(bucket name: String) async throws -> ResolvedBucket {
        try await S3Context.resolve(bucket: name, in: store)
    }

    /// Resolves bucket `name` of `store` (the lifecycle task resolves buckets outside requests).
    static func resolve(bucket name: String, in store: ShareStore) async throws -> ResolvedBucket {
        if let mapping = try store.bucketRecords(name).mapping.get() {
            let share = store.share(mapping.share)
            do {
                let info = try await share.info(mapping.path)
                guard info.isDirectory else { throw S3Error.noSuchBucket(name) }
            } catch let error as ShareCoreError {
                if [.shareNotFound, .resourceNotFound, .parentNotFound, .notADirectory].contains(error.code) {
                    throw S3Error.noSuchBucket(name)
                }
                throw error
            }
            return ResolvedBucket(name: name, share: share, base: mapping.path, isMapped: true)
        }
        do {
            _ = try await store.shareInfo(name)
        } catch let error as ShareCoreError where error.code == .shareNotFound || error.code == .invalidShareName {
            throw S3Error.noSuchBucket(name)
        }
        return ResolvedBucket(name: name, share: store.share(name), base: "", isMapped: false)
    }

    /// The request's object key, checked and mapped into `bucket`.
    func objectKey(in bucket: ResolvedBucket) throws -> ObjectKey {
        try ObjectKey.parse(request.key ?? "", base: bucket.base)
    }

    /// An XML response with status 200 (or `status`).
    func xml(_ document: XMLWriter, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> FrontResponse {
        S3XML.response(document, status: status, headers: headers)
    }

    /// Reads a small XML request body (at most `limit` bytes) and parses it; MalformedXML otherwise.
    func xmlBody(limit: Int = 2 << 20) async throws -> FrontKit.XMLElement {
        let bytes = try await request.front.body.collect(upTo: limit)
        guard let root = FrontKit.XMLElement.parse(bytes) else { throw S3Error.malformedXML() }
        return root
    }
}

/// Names S3 uses in every XML document.
enum S3XML {
    /// The namespace of S3's XML documents.
    static let namespace = "http://s3.amazonaws.com/doc/2006-03-01/"
    /// A response carrying `document` (`Content-Type: application/xml`, its length), with
    /// `headers` besides.
    static func response(_ document: XMLWriter, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> FrontResponse {
        var fields = headers
        fields[.contentType] = "application/xml"
        fields[.contentLength] = String(document.count)
        return FrontResponse(status: status, headers: fields, body: document.body)
    }

    /// The owner id reported for everything (one account serves every bucket).
    static func ownerId(_ configuration: S3Configuration) -> String { configuration.accessKey }

    /// `<Owner><ID/><DisplayName/></Owner>`.
    static func owner(_ xml: inout XMLWriter, _ configuration: S3Configuration, element: String = "Owner") {
        xml.open(element)
        xml.element("ID", ownerId(configuration))
        xml.element("DisplayName", configuration.accessKey)
        xml.close(element)
    }

    /// S3's timestamp format in XML: `2009-10-12T17:50:30.000Z`.
    static func timestamp(_ time: FileTime) -> String {
        var bytes: [UInt8] = []
        time.appendISO8601UTF8(to: &bytes, fractionDigits: 3)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes ``timestamp(_:)`` into `xml` as text, without an array between (a listing
    /// writes one per object).
    static func writeTimestamp(_ time: FileTime, to xml: inout XMLWriter) {
        xml.text(time: time, fractionDigits: 3)
    }
}
