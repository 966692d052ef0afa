import Crypto
import Foundation
import FrontKit
import HTTPTypes
import Logging
import ShareCore

/// POST Object: a browser form upload (`POST /bucket`, `multipart/form-data`), what
/// `boto3.generate_presigned_post` prepares. The form's fields come first (the key, the
/// policy and its signature, content headers, metadata, ...), then the `file` part, whose
/// content streams into the object; fields after it are ignored, as S3 does.
///
/// It is authenticated by the form: the signature fields sign the `policy` field, and the
/// policy's conditions must admit every other field and the file's length. A form without a
/// signature is anonymous; like any request it is then authorized by ``AccessDecision``
/// (the bucket's policy and ACLs decide, e.g. a `public-read-write` bucket takes it).
enum PostObjectOperation {
    /// The fields before the file may take at most this many bytes, as in S3.
    static let preFileLimit = 20_480

    /// Answers a POST Object request to the bucket `request` names.
    static func run(_ request: S3Request, store: ShareStore, configuration: S3Configuration, requestId: String,
                    logger: Logger) async throws -> FrontResponse {
        guard let contentType = request.header("Content-Type"),
              contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw S3Error(.preconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                          details: [("Condition", "Bucket POST must be of the enclosure-type multipart/form-data")])
        }
        guard let boundary = MultipartFormReader.boundary(ofContentType: contentType) else { throw malformed() }
        let reader = MultipartFormReader(body: request.front.body, boundary: boundary)
        do {
            return try await upload(request, reader: reader, store: store, configuration: configuration, requestId: requestId, logger: logger)
        } catch {
            // Read the rest of the body, so that the client, which sends it all before reading, gets the answer.
            await reader.discardRest()
            if error is MultipartFormError { throw malformed() }
            throw error
        }
    }

    private static func upload(_ request: S3Request, reader: MultipartFormReader, store: ShareStore, configuration: S3Configuration,
                               requestId: String, logger: Logger) async throws -> FrontResponse {
        let (form, file) = try await readFields(reader)
        guard let file else {
            throw S3Error.invalidArgument("POST requires exactly one file upload per request.", name: "file", value: "0")
        }
        let fields = form.expandingFilename(file.filename)
        guard let keyText = fields["key"] else {
            throw S3Error.invalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
                                          name: "key", value: "")
        }
        // Authentication: the form's signature names the identity; a form without one is
        // anonymous, judged (like every anonymous request) by the bucket's policy and ACLs.
        let identities = try S3Identities.load(store, configuration)
        let accessKey = try PostFormSignature.verify(fields.dictionary, secrets: identities.secrets)
        var lengthRange: (min: UInt64, max: UInt64)?
        if accessKey != nil || fields["policy"] != nil {
            let policy = try PostPolicy.parse(base64: fields["policy"] ?? "")
            try policy.check(fields: fields.dictionary, bucket: request.bucket ?? "", now: Date())
            lengthRange = policy.lengthRange
        }
        try refuseUnsupported(fields)

        let auth = SigV4Auth(accessKey: accessKey ?? "", requestDate: Date(), timestamp: "", scope: "", signingKey: [],
                             seedSignature: "", canonicalRequest: "", payload: .unsigned, presigned: false)
        let requester = accessKey.flatMap { identities.signing($0) }
        let context = S3Context(store: store, request: request, operation: .postObject, auth: auth, requester: requester,
                                identities: identities, configuration: configuration, requestId: requestId, logger: logger)
        try await AccessDecision.authorize(context, requester: requester, requirement: AccessRequirement("s3:PutObject", .write),
                                           bucket: request.bucket ?? "", key: keyText)
        let bucket = try await context.bucket()
        let key = try ObjectKey.parse(keyText, base: bucket.base)
        guard !key.isDirectory else {
            throw S3Error.invalidArgument("Object key '\(key.key)' ends with '/', so it names a directory, which a form upload cannot create.",
                                          name: "key", value: key.key)
        }
        let metadataPairs: [(String, String)] = fields.values.compactMap { name, value in
            name.hasPrefix("x-amz-meta-") ? (String(name.dropFirst("x-amz-meta-".count)), value) : nil
        }
        let metadata = try ObjectHeaders.metadata(pairs: metadataPairs)
        var headers = ContentHeaders(contentType: fields["content-type"] ?? file.contentType ?? ObjectHeaders.defaultContentType,
                                     contentEncoding: fields["content-encoding"], contentLanguage: fields["content-language"],
                                     contentDisposition: fields["content-disposition"], cacheControl: fields["cache-control"])
        // The object's tags (the `tagging` field, a Tagging document), `Expires` and ACL (the
        // `acl` field, or `x-amz-grant-*` fields) are set in the same commit as its content.
        var annotations = try ObjectACLs.writeChanges(context, bucket: bucket.name,
                                                      lookup: { name in name == "x-amz-acl" ? fields["acl"] : fields[name] })
            .merging(ObjectExpires.change(value: fields["expires"]))
        if let tagging = fields["tagging"], !tagging.isEmpty {
            guard let root = FrontKit.XMLElement.parse(Array(tagging.utf8)) else { throw S3Error.malformedXML() }
            annotations = annotations.merging(try TagSet.parse(xml: root, limit: TagSet.objectLimit).annotationChange)
        } else {
            annotations = annotations.merging(TagSet().annotationChange)
        }
        let content = try FormFileContent(reader: reader, fields: fields, lengthRange: lengthRange)
        headers.contentMD5 = content.expectedMD5

        // SSE-S3 and SSE-C come as form fields, as their headers do on PutObject.
        let (encryption, customerKey) = try await ObjectEncryption.forWrite(context, bucket: bucket, lookup: { fields[$0] })
        try await ObjectOperations.refuseConflicts(key, in: bucket, onlyIfAbsent: false, parents: true)
        let info: NodeInfo
        do {
            let checksum = content.checksum
            info = try await bucket.share.withCustomerKey(customerKey).upload(key.path, from: content, properties: NodeProperties(contentHeaders: headers, metadata: metadata,
                                                                                             annotations: annotations),
                                                 overwrite: true, finalize: { _ in
                                                     guard let checksum else { return nil }
                                                     var properties = NodeProperties()
                                                     properties.objectChecksum = ChecksumField.format(checksum.algorithm, checksum.base64)
                                                     return properties
                                                 }, createParents: true, encryption: encryption)
        } catch {
            throw ObjectOperations.translate(error, key: key, bucket: bucket, onlyIfAbsent: false)
        }
        await reader.discardRest()
        let etag = try await ObjectHeaders.etag(info, share: bucket.share.withCustomerKey(customerKey), path: key.path)
        var response = respond(fields: fields, request: request, bucket: bucket.name, key: key.key, etag: etag, checksum: content.checksum)
        ObjectEncryption.addHeaders(info.encryption, to: &response.head.headerFields)
        return response
    }

    // MARK: The form

    /// Reads the fields before the `file` part; returns them and the file part's headers (nil
    /// when the body has no `file` part). More than ``preFileLimit`` bytes of fields is
    /// `MaxPostPreDataLengthExceeded`.
    static func readFields(_ reader: MultipartFormReader) async throws -> (FormFields, MultipartFormReader.PartHead?) {
        var fields = FormFields()
        var used = 0
        while let part = try await reader.nextPart() {
            guard let name = part.name else { throw malformed() }
            if name.lowercased() == "file" { return (fields, part) }
            var value: [UInt8] = []
            used += name.utf8.count
            while let piece = try await reader.readChunk() {
                used += piece.count
                guard used <= preFileLimit else {
                    throw S3Error(.badRequest, "MaxPostPreDataLengthExceeded", "Your POST request fields preceeding the upload file was too large.",
                                  details: [("MaxPostPreDataLengthBytes", String(preFileLimit))])
                }
                value += piece
            }
            fields.add(name, String(decoding: value, as: UTF8.self))
        }
        return (fields, nil)
    }

    /// Refuses fields asking for what the front does not give, as the same headers of PutObject
    /// are refused (`UnsupportedOptions`): KMS encryption, Object Lock, other storage classes,
    /// website redirects; and a session token (`InvalidToken`: there are no temporary
    /// credentials). Tags, `Expires`, ACLs and SSE-S3/SSE-C (``ObjectEncryption``) are applied.
    static func refuseUnsupported(_ fields: FormFields) throws {
        for (name, _) in fields.values {
            if name.hasPrefix(ObjectEncryption.copySourcePrefix)
                || ["x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-website-redirect-location"].contains(name) {
                throw UnsupportedOptions.notImplemented(name)
            }
        }
        if fields["x-amz-security-token"] != nil {
            // There are no temporary credentials here, so no session token can be valid.
            throw S3Error(.badRequest, "InvalidToken", "The provided token is malformed or otherwise invalid.")
        }
        if let hold = fields["x-amz-object-lock-legal-hold"], hold != "OFF" { throw UnsupportedOptions.notImplemented("x-amz-object-lock-legal-hold") }
        if let storageClass = fields["x-amz-storage-class"], storageClass != "STANDARD" {
            guard UnsupportedOptions.otherStorageClasses.contains(storageClass) else {
                throw S3Error(.badRequest, "InvalidStorageClass", "The storage class you specified is not valid",
                              details: [("StorageClassRequested", storageClass)])
            }
            throw UnsupportedOptions.notImplemented("x-amz-storage-class")
        }
    }

    static func malformed() -> S3Error {
        S3Error(.badRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")
    }

    // MARK: The answer

    /// `success_action_redirect` (or `redirect`): 303 to it with `bucket`, `key` and `etag`
    /// added to its query, when it is an absolute http(s) URL; else `success_action_status`:
    /// 200 or 204 empty, 201 with a `PostResponse` document; 204 for any other value.
    static func respond(fields: FormFields, request: S3Request, bucket: String, key: String, etag: String,
                        checksum: (algorithm: ChecksumAlgorithm, base64: String)?) -> FrontResponse {
        var headers = HTTPFields()
        headers.set("ETag", etag)
        let location = objectURL(request, bucket: bucket, key: key)
        headers.set("Location", location)
        if let checksum { headers.set(checksum.algorithm.headerName, checksum.base64) }
        if let target = fields["success_action_redirect"] ?? fields["redirect"], let url = URL(string: target),
           let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil {
            let query = "bucket=" + formEncode(bucket) + "&key=" + formEncode(key) + "&etag=" + formEncode(etag)
            headers.set("Location", target + (target.contains("?") ? "&" : "?") + query)
            headers[.contentLength] = "0"
            return FrontResponse(status: .seeOther, headers: headers)
        }
        switch fields["success_action_status"] {
        case "200":
            headers[.contentLength] = "0"
            return FrontResponse(status: .ok, headers: headers)
        case "201":
            var xml = XMLWriter()
            xml.open("PostResponse")
            xml.element("Location", location)
            xml.element("Bucket", bucket)
            xml.element("Key", key)
            xml.element("ETag", etag)
            xml.close("PostResponse")
            return S3XML.response(xml, status: .created, headers: headers)
        default:
            return FrontResponse(status: .noContent, headers: headers)
        }
    }

    /// The object's URL as the client addressed the bucket (path or virtual-host style), the
    /// key percent-encoded (`/` too, as S3 writes it).
    static func objectURL(_ request: S3Request, bucket: String, key: String) -> String {
        let scheme = request.head.scheme ?? "http"
        let authority = request.head.authority ?? "localhost"
        let pathStyle = !request.target.rawPath.dropFirst().isEmpty
        return scheme + "://" + authority + "/" + (pathStyle ? bucket + "/" : "") + percentEncode(key)
    }

    /// Percent-encodes everything but unreserved characters.
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E: out.append(Character(UnicodeScalar(byte)))
            default: out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// `application/x-www-form-urlencoded` encoding of a query value (a space is `+`).
    static func formEncode(_ text: String) -> String {
        percentEncode(text).replacingOccurrences(of: "%20", with: "+")
    }
}

/// The fields of a form, names lower-cased (S3 reads them ignoring case); a repeated field's
/// values are joined with commas.
struct FormFields: Sendable {
    /// (name, value) in the order the form sent them.
    private(set) var values: [(String, String)] = []

    /// The value of field `name` (lower-case).
    subscript(_ name: String) -> String? { values.first { $0.0 == name }?.1 }

    /// Adds a field.
    mutating func add(_ name: String, _ value: String) {
        let lower = name.lowercased()
        if let index = values.firstIndex(where: { $0.0 == lower }) {
            values[index].1 += "," + value
        } else {
            values.append((lower, value))
        }
    }

    /// The fields with `${filename}` replaced by the file's name (after its last `/` or `\`);
    /// without a file name the fields are kept as sent.
    func expandingFilename(_ filename: String?) -> FormFields {
        guard let filename else { return self }
        let base = filename.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == "\\" }.last.map(String.init) ?? filename
        var out = FormFields()
        out.values = values.map { ($0.0, $0.1.replacingOccurrences(of: "${filename}", with: base)) }
        return out
    }

    /// The fields as a dictionary (for the policy check).
    var dictionary: [String: String] { Dictionary(values, uniquingKeysWith: { first, _ in first }) }
}

/// The `file` part's content as the object's bytes: its length is held to the policy's
/// `content-length-range` (`EntityTooLarge` as soon as it is exceeded, `EntityTooSmall` at the
/// end), and a `Content-MD5` or `x-amz-checksum-*` field is verified at the end (`BadDigest`),
/// all before the sequence ends, so a failing file is never stored.
struct FormFileContent: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let reader: MultipartFormReader
    let lengthRange: (min: UInt64, max: UInt64)?
    /// The MD5 the `Content-MD5` field gives.
    let expectedMD5: [UInt8]?
    /// The checksum an `x-amz-checksum-*` field gives.
    let checksum: (algorithm: ChecksumAlgorithm, base64: String)?

    init(reader: MultipartFormReader, fields: FormFields, lengthRange: (min: UInt64, max: UInt64)?) throws {
        self.reader = reader
        self.lengthRange = lengthRange
        if let md5 = fields["content-md5"] {
            guard let data = Data(base64Encoded: md5), data.count == 16 else { throw S3Error.invalidDigest() }
            expectedMD5 = Array(data)
        } else {
            expectedMD5 = nil
        }
        let given = fields.values.compactMap { name, value in ChecksumAlgorithm(headerName: name).map { ($0, value) } }
        guard given.count <= 1 else {
            throw S3Error.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        }
        if let (algorithm, value) = given.first {
            guard algorithm.isValidValue(value) else {
                throw S3Error.invalidRequest("Value for \(algorithm.headerName) header is invalid.")
            }
            if let named = fields["x-amz-checksum-algorithm"], ChecksumAlgorithm(named: named) != algorithm {
                throw S3Error.invalidRequest("Value for x-amz-checksum-algorithm does not match the checksum given.")
            }
            checksum = (algorithm, value)
        } else {
            if let named = fields["x-amz-checksum-algorithm"] {
                throw S3Error.invalidRequest("x-amz-checksum-algorithm \(named) needs the matching x-amz-checksum-* field.")
            }
            checksum = nil
        }
    }

    func makeAsyncIterator() -> Iterator {
        Iterator(content: self, md5: expectedMD5 == nil ? nil : Insecure.MD5(), hasher: checksum.map { ChecksumHasher($0.algorithm) })
    }

    struct Iterator: AsyncIteratorProtocol {
        let content: FormFileContent
        var md5: Insecure.MD5?
        var hasher: ChecksumHasher?
        var length: UInt64 = 0
        var finished = false

        mutating func next() async throws -> [UInt8]? {
            if finished { return nil }
            guard let piece = try await content.reader.readChunk() else {
                finished = true
                try finish()
                return nil
            }
            length += UInt64(piece.count)
            if let range = content.lengthRange, length > range.max {
                throw S3Error(.badRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
                              details: [("ProposedSize", String(length)), ("MaxSizeAllowed", String(range.max))])
            }
            md5?.update(data: piece)
            hasher?.update(piece)
            return piece
        }

        private func finish() throws {
            if let range = content.lengthRange, length < range.min {
                throw S3Error(.badRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
                              details: [("ProposedSize", String(length)), ("MinSizeAllowed", String(range.min))])
            }
            if let md5, let expected = content.expectedMD5, Array(md5.finalize()) != expected { throw S3Error.badDigest() }
            if let hasher, let checksum = content.checksum, Data(hasher.finalize()).base64EncodedString() != checksum.base64 {
                throw S3Error.badDigest("The \(checksum.algorithm.rawValue) you specified did not match the calculated checksum.")
            }
        }
    }
}
