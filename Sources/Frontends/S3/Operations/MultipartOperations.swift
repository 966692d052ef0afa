import Crypto
import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// Multipart upload: parts are staged in the store, invisible as files, until
/// CompleteMultipartUpload assembles them into the file without copying their bytes.
enum MultipartOperations {
    /// Parts are numbered 1 to 10,000.
    static let partNumbers = 1...10_000
    /// Every part but the last has at least 5 MiB.
    static let minimumPartSize: UInt64 = 5 << 20

    /// `POST ?uploads`: starts an upload, keeping the content headers, metadata and checksum
    /// algorithm the object will have.
    static func create(_ context: S3Context) async throws -> FrontResponse {
        let request = context.request
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        guard !key.isDirectory else {
            throw S3Error.invalidArgument("Object key '\(key.key)' ends with '/', so it names a directory, which cannot have content.",
                                          name: "key", value: key.key)
        }
        let metadata = try ObjectHeaders.metadata(request)
        var algorithm: ChecksumAlgorithm?
        if let name = request.header("x-amz-checksum-algorithm") {
            guard let known = ChecksumAlgorithm(rawValue: name.uppercased()) else {
                throw S3Error.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            algorithm = known
        }
        try await ObjectOperations.refuseConflicts(key, in: bucket, onlyIfAbsent: false, parents: false)
        // Tags, `Expires` and the ACL wait in the upload record with the rest, applied at completion.
        let annotations = try TaggingOperations.newObjectAnnotations(request)
            .merging(ObjectACLs.writeChanges(context, bucket: bucket.name))
        let properties = NodeProperties(contentHeaders: ObjectHeaders.contentHeaders(request), metadata: metadata,
                                        annotations: annotations)
        let (encryption, _) = try await ObjectEncryption.forWrite(context, bucket: bucket)
        let upload: MultipartUpload
        do {
            upload = try await bucket.share.createMultipartUpload(key.path, properties: properties, tag: algorithm?.rawValue,
                                                                  encryption: encryption)
        } catch let error as ShareCoreError {
            throw S3Error(error, bucket: bucket.name, key: key.key)
        }
        var xml = XMLWriter()
        xml.open("InitiateMultipartUploadResult", ["xmlns": S3XML.namespace])
        xml.element("Bucket", bucket.name)
        xml.element("Key", key.key)
        xml.element("UploadId", upload.id)
        xml.close("InitiateMultipartUploadResult")
        var fields = HTTPFields()
        if let algorithm { fields.set("x-amz-checksum-algorithm", algorithm.rawValue) }
        ObjectEncryption.addHeaders(upload.encryption, to: &fields)
        LifecycleOperations.addAbortDate(&fields, bucket: bucket, key: key.key, initiated: upload.initiated, store: context.store)
        return context.xml(xml, headers: fields)
    }

    /// The upload `uploadId` names, which must be for the request's key.
    static func upload(_ context: S3Context, _ bucket: ResolvedBucket, _ key: ObjectKey) async throws -> MultipartUpload {
        let id = context.request.query("uploadId") ?? ""
        do {
            let upload = try await bucket.share.multipartUpload(id)
            guard upload.path == key.path else { throw S3Error.noSuchUpload(id) }
            return upload
        } catch let error as ShareCoreError where error.code == .uploadNotFound || error.code == .shareNotFound {
            throw S3Error.noSuchUpload(id)
        }
    }

    static func partNumber(_ request: S3Request) throws -> Int {
        let text = request.query("partNumber") ?? ""
        guard let number = Int(text), partNumbers.contains(number) else {
            throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive",
                                          name: "partNumber", value: text)
        }
        return number
    }

    /// `PUT ?partNumber&uploadId`: streams one part (replacing an earlier part of that number).
    static func uploadPart(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        let number = try partNumber(context.request)
        let upload = try await upload(context, bucket, key)
        // A part of an upload with SSE-C needs the upload's key, and is sealed with it.
        let customerKey = try ObjectEncryption.customerKey(context)
        try ObjectEncryption.checkRead(upload.encryption, key: customerKey)
        // A part of an upload started with a checksum algorithm gets that checksum even when
        // the client sends none for the part.
        let (body, result) = try S3Payload.open(context.request, auth: context.auth, computeMD5: false,
                                                computeChecksum: upload.tag.flatMap(ChecksumAlgorithm.init(rawValue:)))
        let part: UploadedPart
        do {
            part = try await bucket.share.withCustomerKey(customerKey).uploadPart(upload.id, number: number, from: body, checksum: {
                result.checksum.map { ChecksumField.format($0.algorithm, $0.base64) }
            }, encryption: upload.encryption)
        } catch let error as ShareCoreError {
            if error.code == .uploadNotFound { throw S3Error.noSuchUpload(upload.id) }
            throw S3Error(error, bucket: bucket.name, key: key.key)
        }
        var fields = HTTPFields()
        fields.set("ETag", "\"" + ObjectHeaders.hex(part.md5) + "\"")
        if let checksum = result.checksum { fields.set(checksum.algorithm.headerName, checksum.base64) }
        ObjectEncryption.addHeaders(upload.encryption, to: &fields)
        fields[.contentLength] = "0"
        return FrontResponse(status: .ok, headers: fields)
    }

    /// `PUT ?partNumber&uploadId` with `x-amz-copy-source` (and `x-amz-copy-source-range`):
    /// a part sharing the source file's chunks.
    static func uploadPartCopy(_ context: S3Context) async throws -> FrontResponse {
        let request = context.request
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        let number = try partNumber(request)
        let upload = try await upload(context, bucket, key)
        let customerKey = try ObjectEncryption.customerKey(context)
        try ObjectEncryption.checkRead(upload.encryption, key: customerKey)
        let sourceKey = try ObjectEncryption.customerKey(context, prefix: ObjectEncryption.copySourcePrefix)
        let source = try await CopyOperations.source(context)
        try ObjectEncryption.checkRead(source.info.encryption, key: sourceKey)
        var range: Range<UInt64>?
        if let text = request.header("x-amz-copy-source-range") {
            range = try copyRange(text, size: source.info.size)
        }
        let part: UploadedPart
        let sourceShare = source.bucket.share.withCustomerKey(sourceKey)
        do {
            if source.info.encryption == upload.encryption {
                // Sealed alike: the part shares the source's chunks.
                part = try await bucket.share.uploadPartCopy(upload.id, number: number, from: sourceShare,
                                                             source.key.path, range: range)
            } else {
                // Sealed otherwise: the bytes are read with the source's key and sealed as the upload's.
                let bytes = FileBytes(share: sourceShare, fileId: source.info.id, range: range ?? 0..<source.info.size)
                part = try await bucket.share.withCustomerKey(customerKey).uploadPart(upload.id, number: number, from: bytes,
                                                                                      encryption: upload.encryption)
            }
        } catch let error as ShareCoreError {
            if error.code == .uploadNotFound { throw S3Error.noSuchUpload(upload.id) }
            throw S3Error(error, bucket: source.bucket.name, key: source.key.key)
        }
        var xml = XMLWriter()
        xml.open("CopyPartResult", ["xmlns": S3XML.namespace])
        xml.element("LastModified", S3XML.timestamp(part.lastModified))
        xml.element("ETag", "\"" + ObjectHeaders.hex(part.md5) + "\"")
        xml.close("CopyPartResult")
        var fields = HTTPFields()
        ObjectEncryption.addHeaders(upload.encryption, to: &fields)
        return context.xml(xml, headers: fields)
    }

    /// `x-amz-copy-source-range: bytes=first-last`, which must lie within the source.
    static func copyRange(_ text: String, size: UInt64) throws -> Range<UInt64> {
        let parts = text.hasPrefix("bytes=") ? text.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false) : []
        guard parts.count == 2, let first = UInt64(parts[0]), let last = UInt64(parts[1]), first <= last else {
            throw S3Error.invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                                          name: "x-amz-copy-source-range", value: text)
        }
        guard last < size else {
            throw S3Error.invalidArgument("Range specified is not valid for source object of size: \(size)",
                                          name: "x-amz-copy-source-range", value: text)
        }
        return first..<(last + 1)
    }

    /// `POST ?uploadId`: assembles the listed parts into the object. Its ETag is the MD5 of the
    /// parts' MD5s followed by `-` and the number of parts.
    static func complete(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        let id = context.request.query("uploadId") ?? ""
        let upload: MultipartUpload
        do {
            upload = try await self.upload(context, bucket, key)
        } catch let error as S3Error where error.code == "NoSuchUpload" {
            // A completion repeated after it succeeded answers as the first did, as S3 does
            // for a while after completing, so a client retrying a lost response is not failed.
            if let repeated = try await repeatedCompletion(context, bucket, key, uploadId: id) { return repeated }
            throw error
        }
        // SSE-C headers are optional on a completion; given, they must be the upload's.
        let customerKey = try ObjectEncryption.customerKey(context)
        if customerKey != nil { try ObjectEncryption.checkRead(upload.encryption, key: customerKey) }
        // The x-amz-checksum-* header of a completion is the whole object's, not the XML's.
        let (body, _) = try S3Payload.open(context.request, auth: context.auth, computeMD5: false,
                                           checksumHeadersDescribeBody: false)
        let bytes = try await body.collect(upTo: 4 << 20)
        guard let root = FrontKit.XMLElement.parse(bytes), root.name == "CompleteMultipartUpload" else { throw S3Error.malformedXML() }
        var parts: [(number: Int, md5: [UInt8])] = []
        for element in root.children("Part") {
            guard let numberText = element.value("PartNumber"), let number = Int(numberText),
                  let etag = element.value("ETag") else { throw S3Error.malformedXML() }
            guard let md5 = md5(fromETag: etag) else { throw invalidPart(number) }
            parts.append((number, md5))
        }
        guard !parts.isEmpty else {
            throw S3Error.malformedXML()
        }
        var joined: [UInt8] = []
        for part in parts { joined += part.md5 }
        let etag = ObjectHeaders.hex(Array(Insecure.MD5.hash(data: joined))) + "-" + String(parts.count)
        let objectChecksum = try await checkObjectChecksum(context, bucket, upload, parts: parts)
        let partChecksums = await partChecksums(bucket, upload, parts: parts, etag: etag)
        try await ObjectOperations.refuseConflicts(key, in: bucket, onlyIfAbsent: ObjectOperations.ifNoneMatchStar(context.request),
                                                  ifMatch: context.request.header("If-Match"), parents: true)
        let info: NodeInfo
        do {
            info = try await bucket.share.withCustomerKey(customerKey).completeMultipartUpload(upload.id, parts: parts, etag: etag, minimumPartSize: minimumPartSize,
                                                                  createParents: true,
                                                                  objectChecksum: objectChecksum.map { ChecksumField.format($0.algorithm, $0.value) },
                                                                  annotations: partChecksums.change)
        } catch let error as ShareCoreError {
            switch error.code {
            case .uploadNotFound: throw S3Error.noSuchUpload(upload.id)
            case .invalidPart: throw S3Error(.badRequest, "InvalidPart",
                                             "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag. \(error.message)")
            case .invalidPartOrder: throw S3Error(.badRequest, "InvalidPartOrder",
                                                  "The list of parts was not in ascending order. Parts must be ordered by part number.")
            case .partTooSmall: throw S3Error(.badRequest, "EntityTooSmall",
                                              "Your proposed upload is smaller than the minimum allowed object size. \(error.message)")
            default: throw ObjectOperations.translate(error, key: key, bucket: bucket, onlyIfAbsent: false)
            }
        }
        var response = completionResult(context, bucket, key, etag: info.objectETag ?? etag, checksum: objectChecksum)
        ObjectEncryption.addHeaders(info.encryption, to: &response.head.headerFields)
        LifecycleOperations.addExpiration(&response.head.headerFields, bucket: bucket, key: key.key, info: info, store: context.store)
        return response
    }

    /// The whole object's checksum a completion verified: `value` is base64, with `-N` for a
    /// composite; `type` is `COMPOSITE` or `FULL_OBJECT`.
    struct ObjectChecksum {
        var algorithm: ChecksumAlgorithm
        var value: String
        var type: String
    }

    /// Verifies CompleteMultipartUpload's `x-amz-checksum-<algorithm>` header, which describes
    /// the whole object, and returns what the completion reports. A composite value
    /// (`base64-N`) is the checksum of the listed parts' checksums, in order. A full-object
    /// value (`x-amz-checksum-type: FULL_OBJECT`, or no `-N`) is the CRC of the assembled
    /// content, which follows from the parts' CRCs and sizes (``CRCCombine``) without reading
    /// the data again; with `x-amz-checksum-type: FULL_OBJECT` and no value, it is computed
    /// with the upload's algorithm and returned. Either must match (`BadDigest`); the parts
    /// must have been uploaded with that algorithm, and SHA-1/SHA-256 have no full-object form
    /// (`InvalidRequest`).
    static func checkObjectChecksum(_ context: S3Context, _ bucket: ResolvedBucket, _ upload: MultipartUpload,
                                    parts: [(number: Int, md5: [UInt8])]) async throws -> ObjectChecksum? {
        let request = context.request
        let type = request.header("x-amz-checksum-type")?.uppercased()
        if let type, type != "COMPOSITE", type != "FULL_OBJECT" {
            throw S3Error.invalidRequest("Value for x-amz-checksum-type header is invalid.")
        }
        let given = ChecksumAlgorithm.allCases.compactMap { algorithm in request.header(algorithm.headerName).map { (algorithm, $0) } }
        guard given.count <= 1 else {
            throw S3Error.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        }
        guard !given.isEmpty || type == "FULL_OBJECT" else {
            return try await defaultObjectChecksum(bucket, upload, parts: parts)
        }
        guard let algorithm = given.first?.0 ?? upload.tag.flatMap(ChecksumAlgorithm.init(rawValue:)) else {
            throw S3Error.invalidRequest("The upload was created without a checksum algorithm, so it has no FULL_OBJECT checksum.")
        }
        let value = given.first?.1
        let pieces = value?.split(separator: "-", omittingEmptySubsequences: false) ?? []
        let composite = pieces.count == 2 ? Int(pieces[1]) : nil
        if let value {
            let digest = composite == nil ? value : String(pieces[0])
            // The value's form must agree with x-amz-checksum-type when that is given.
            if !algorithm.isValidValue(digest) || composite != nil && type == "FULL_OBJECT" || composite == nil && type == "COMPOSITE" {
                throw S3Error.invalidRequest("Value for \(algorithm.headerName) header is invalid.")
            }
        }
        let digests = try await partDigests(bucket, upload, parts: parts, algorithm: algorithm)
        if let count = composite {
            var joined: [UInt8] = []
            for digest in digests { joined += digest.digest }
            let computed = Data(ChecksumHasher.checksum(algorithm, of: joined)).base64EncodedString() + "-" + String(parts.count)
            guard count == parts.count, computed == value else {
                throw S3Error.badDigest("The \(algorithm.headerName) you specified did not match the calculated checksum.")
            }
            return ObjectChecksum(algorithm: algorithm, value: computed, type: "COMPOSITE")
        }
        guard let full = CRCCombine.fullObject(algorithm, parts: digests) else {
            throw S3Error.invalidRequest("The FULL_OBJECT checksum type cannot be used with the \(algorithm.rawValue.lowercased()) checksum algorithm.")
        }
        let computed = Data(full).base64EncodedString()
        if let value, value != computed {
            throw S3Error.badDigest("The \(algorithm.headerName) you specified did not match the calculated checksum.")
        }
        return ObjectChecksum(algorithm: algorithm, value: computed, type: "FULL_OBJECT")
    }

    /// The checksum S3 gives an object whose upload was created with a checksum algorithm when
    /// the completion names none: for CRC-64/NVME the full-object CRC, for the others the
    /// composite (`base64-N`, the checksum of the parts' checksums in order). nil for an upload
    /// without an algorithm, or when a listed part lacks its checksum (the completion then
    /// fails on that part).
    static func defaultObjectChecksum(_ bucket: ResolvedBucket, _ upload: MultipartUpload,
                                      parts: [(number: Int, md5: [UInt8])]) async throws -> ObjectChecksum? {
        guard let algorithm = upload.tag.flatMap(ChecksumAlgorithm.init(rawValue:)),
              let digests = try? await partDigests(bucket, upload, parts: parts, algorithm: algorithm) else { return nil }
        if algorithm == .crc64nvme {
            guard let full = CRCCombine.fullObject(algorithm, parts: digests) else { return nil }
            return ObjectChecksum(algorithm: algorithm, value: Data(full).base64EncodedString(), type: "FULL_OBJECT")
        }
        var joined: [UInt8] = []
        for digest in digests { joined += digest.digest }
        let value = Data(ChecksumHasher.checksum(algorithm, of: joined)).base64EncodedString() + "-" + String(parts.count)
        return ObjectChecksum(algorithm: algorithm, value: value, type: "COMPOSITE")
    }

    /// The checksums of the listed parts, for GetObjectAttributes (none unless the upload has a
    /// checksum algorithm and every listed part its checksum).
    static func partChecksums(_ bucket: ResolvedBucket, _ upload: MultipartUpload, parts: [(number: Int, md5: [UInt8])],
                              etag: String) async -> PartChecksums {
        guard let algorithm = upload.tag.flatMap(ChecksumAlgorithm.init(rawValue:)),
              let digests = try? await partDigests(bucket, upload, parts: parts, algorithm: algorithm) else {
            return PartChecksums(etag: etag, algorithm: .crc32, values: [])
        }
        return PartChecksums(etag: etag, algorithm: algorithm, values: digests.map { Data($0.digest).base64EncodedString() })
    }

    /// The `algorithm` digests and sizes the listed parts were stored with, in the listed order.
    static func partDigests(_ bucket: ResolvedBucket, _ upload: MultipartUpload, parts: [(number: Int, md5: [UInt8])],
                            algorithm: ChecksumAlgorithm) async throws -> [(digest: [UInt8], size: UInt64)] {
        var stored: [Int: UploadedPart] = [:]
        var after = 0
        while true {
            let page = try await bucket.share.listParts(upload.id, after: after, maxParts: 1000)
            for part in page.parts { stored[part.number] = part }
            guard page.truncated, let last = page.parts.last else { break }
            after = last.number
        }
        return try parts.map { part in
            guard let uploaded = stored[part.number], let field = uploaded.checksum.flatMap(ChecksumField.decode),
                  field.algorithm == algorithm, let raw = Data(base64Encoded: field.base64) else {
                throw S3Error.invalidRequest("The upload's part \(part.number) has no \(algorithm.rawValue) checksum, so the object's checksum cannot be verified.")
            }
            return (Array(raw), uploaded.size)
        }
    }

    /// The answer to a completion of an upload that is gone, when the object at the key is what
    /// that upload made: the request's parts give the same multipart ETag the file keeps.
    static func repeatedCompletion(_ context: S3Context, _ bucket: ResolvedBucket, _ key: ObjectKey,
                                   uploadId: String) async throws -> FrontResponse? {
        let bytes = try await context.request.front.body.collect(upTo: 4 << 20)
        guard let root = FrontKit.XMLElement.parse(bytes), root.name == "CompleteMultipartUpload" else { return nil }
        var joined: [UInt8] = []
        let parts = root.children("Part")
        for element in parts {
            guard let md5 = element.value("ETag").flatMap(md5(fromETag:)) else { return nil }
            joined += md5
        }
        guard !parts.isEmpty else { return nil }
        let etag = ObjectHeaders.hex(Array(Insecure.MD5.hash(data: joined))) + "-" + String(parts.count)
        guard let info = try? await bucket.share.info(key.path), !info.isDirectory, info.objectETag == etag else { return nil }
        // The checksum the first completion reported is the one kept with the object.
        let checksum = info.objectChecksum.flatMap(ChecksumField.decode).map { kept in
            ObjectChecksum(algorithm: kept.algorithm, value: kept.base64,
                           type: ChecksumField.isComposite(kept.base64) ? "COMPOSITE" : "FULL_OBJECT")
        }
        return completionResult(context, bucket, key, etag: etag, checksum: checksum)
    }

    static func completionResult(_ context: S3Context, _ bucket: ResolvedBucket, _ key: ObjectKey, etag: String,
                                 checksum: ObjectChecksum? = nil) -> FrontResponse {
        var xml = XMLWriter()
        xml.open("CompleteMultipartUploadResult", ["xmlns": S3XML.namespace])
        xml.element("Location", "/" + bucket.name + "/" + RequestTarget.percentEncode(key.key, keepSlash: true))
        xml.element("Bucket", bucket.name)
        xml.element("Key", key.key)
        xml.element("ETag", "\"" + etag + "\"")
        if let checksum {
            xml.element("Checksum" + checksum.algorithm.rawValue, checksum.value)
            xml.element("ChecksumType", checksum.type)
        }
        xml.close("CompleteMultipartUploadResult")
        return context.xml(xml)
    }

    static func invalidPart(_ number: Int) -> S3Error {
        S3Error(.badRequest, "InvalidPart",
                "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
                details: [("PartNumber", String(number))])
    }

    /// The MD5 a part's ETag (`"hex"`, quotes optional) carries.
    static func md5(fromETag etag: String) -> [UInt8]? {
        let hex = Array(etag.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")).utf8)
        guard hex.count == 32 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: 32, by: 2) {
            guard let high = hexValue(hex[i]), let low = hexValue(hex[i + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }

    /// `DELETE ?uploadId`: drops the upload and its parts.
    static func abort(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        let upload = try await upload(context, bucket, key)
        do {
            try await bucket.share.abortMultipartUpload(upload.id)
        } catch let error as ShareCoreError where error.code == .uploadNotFound {
            throw S3Error.noSuchUpload(upload.id)
        }
        return FrontResponse(status: .noContent)
    }

    /// `GET ?uploadId`: the parts uploaded so far, by number, paged by `part-number-marker`.
    static func listParts(_ context: S3Context) async throws -> FrontResponse {
        let request = context.request
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        let upload = try await upload(context, bucket, key)
        var maxParts = 1000
        if let text = request.query("max-parts") {
            guard let value = Int(text), value >= 0 else {
                throw S3Error.invalidArgument("Provided max-parts not an integer or within integer range", name: "max-parts", value: text)
            }
            maxParts = min(value, 1000)
        }
        var marker = 0
        if let text = request.query("part-number-marker") {
            guard let value = Int(text), value >= 0 else {
                throw S3Error.invalidArgument("Provided part-number-marker not an integer or within integer range",
                                              name: "part-number-marker", value: text)
            }
            marker = value
        }
        let (parts, truncated) = maxParts == 0 ? ([], false) : try await bucket.share.listParts(upload.id, after: marker, maxParts: maxParts)
        var xml = XMLWriter()
        xml.open("ListPartsResult", ["xmlns": S3XML.namespace])
        xml.element("Bucket", bucket.name)
        xml.element("Key", key.key)
        xml.element("UploadId", upload.id)
        S3XML.owner(&xml, context.configuration, element: "Initiator")
        S3XML.owner(&xml, context.configuration)
        xml.element("StorageClass", "STANDARD")
        xml.element("PartNumberMarker", String(marker))
        if let last = parts.last { xml.element("NextPartNumberMarker", String(last.number)) }
        xml.element("MaxParts", String(maxParts))
        xml.element("IsTruncated", truncated ? "true" : "false")
        if let algorithm = upload.tag { xml.element("ChecksumAlgorithm", algorithm) }
        for part in parts {
            xml.open("Part")
            xml.element("PartNumber", String(part.number))
            xml.element("LastModified", S3XML.timestamp(part.lastModified))
            xml.element("ETag", "\"" + ObjectHeaders.hex(part.md5) + "\"")
            xml.element("Size", String(part.size))
            if let stored = part.checksum, let checksum = ChecksumField.decode(stored) {
                xml.element("Checksum" + checksum.algorithm.rawValue, checksum.base64)
            }
            xml.close("Part")
        }
        xml.close("ListPartsResult")
        return context.xml(xml)
    }

    /// The uploads in progress in `bucket`, with keys relative to its base, in key order.
    static func uploads(in bucket: ResolvedBucket) async throws -> [(key: String, upload: MultipartUpload)] {
        let all = try await bucket.share.listMultipartUploads()
        var out: [(key: String, upload: MultipartUpload)] = []
        for upload in all {
            if bucket.base.isEmpty {
                out.append((upload.path, upload))
            } else if upload.path.hasPrefix(bucket.base + "/") {
                out.append((String(upload.path.dropFirst(bucket.base.count + 1)), upload))
            }
        }
        return out.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
    }

    /// `GET ?uploads`: uploads in progress, filtered by `prefix`, rolled up by `delimiter`,
    /// paged by `key-marker` and `upload-id-marker`.
    static func listUploads(_ context: S3Context) async throws -> FrontResponse {
        let request = context.request
        let bucket = try await context.bucket()
        let p = try ListOperations.parameters(request)
        var maxUploads = 1000
        if let text = request.query("max-uploads") {
            guard let value = Int(text), value >= 0 else {
                throw S3Error.invalidArgument("Provided max-uploads not an integer or within integer range", name: "max-uploads", value: text)
            }
            maxUploads = min(value, 1000)
        }
        let keyMarker = request.query("key-marker") ?? ""
        let idMarker = request.query("upload-id-marker") ?? ""
        var entries: [(key: String, upload: MultipartUpload?)] = []
        var seenPrefixes = Set<String>()
        for (key, upload) in try await uploads(in: bucket) where key.hasPrefix(p.prefix) {
            if !keyMarker.isEmpty {
                let order = compare(key, keyMarker)
                if order < 0 || (order == 0 && (idMarker.isEmpty || upload.id <= idMarker)) { continue }
            }
            if let delimiter = p.delimiter, let range = key.dropFirst(p.prefix.count).range(of: delimiter) {
                let common = String(key[..<range.upperBound])
                if seenPrefixes.insert(common).inserted, compare(common, keyMarker) > 0 { entries.append((common, nil)) }
                continue
            }
            entries.append((key, upload))
        }
        let truncated = entries.count > maxUploads
        let page = Array(entries.prefix(maxUploads))
        var xml = XMLWriter()
        xml.open("ListMultipartUploadsResult", ["xmlns": S3XML.namespace])
        xml.element("Bucket", bucket.name)
        xml.element("KeyMarker", keyMarker)
        xml.element("UploadIdMarker", idMarker)
        if truncated, let last = page.last {
            xml.element("NextKeyMarker", ListOperations.encoded(last.key, p))
            xml.element("NextUploadIdMarker", last.upload?.id ?? "")
        }
        xml.element("Prefix", ListOperations.encoded(p.prefix, p))
        if let delimiter = p.delimiter { xml.element("Delimiter", ListOperations.encoded(delimiter, p)) }
        xml.element("MaxUploads", String(maxUploads))
        if p.encodeURL { xml.element("EncodingType", "url") }
        xml.element("IsTruncated", truncated ? "true" : "false")
        var prefixes: [String] = []
        for entry in page {
            guard let upload = entry.upload else {
                prefixes.append(entry.key)
                continue
            }
            xml.open("Upload")
            xml.element("Key", ListOperations.encoded(entry.key, p))
            xml.element("UploadId", upload.id)
            S3XML.owner(&xml, context.configuration, element: "Initiator")
            S3XML.owner(&xml, context.configuration)
            xml.element("StorageClass", "STANDARD")
            xml.element("Initiated", S3XML.timestamp(upload.initiated))
            if let algorithm = upload.tag { xml.element("ChecksumAlgorithm", algorithm) }
            xml.close("Upload")
        }
        ListOperations.writeCommonPrefixes(prefixes, p, to: &xml)
        xml.close("ListMultipartUploadsResult")
        return context.xml(xml)
    }

    /// Compares two keys in S3 order (UTF-8 bytes).
    static func compare(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        if x == y { return 0 }
        return x.lexicographicallyPrecedes(y) ? -1 : 1
    }
}
