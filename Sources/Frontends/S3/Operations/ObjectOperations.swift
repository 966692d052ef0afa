import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// GetObject, HeadObject and PutObject.
enum ObjectOperations {
    // MARK: Reading

    /// `GET` or `HEAD` of an object: the file (or, for a key ending in `/`, the directory as an
    /// empty object), with conditionals, a `Range` and `response-*` overrides.
    static func get(_ context: S3Context, head: Bool) async throws -> FrontResponse {
        let request = context.request
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        let customerKey = try ObjectEncryption.customerKey(context)
        let share = bucket.share.withCustomerKey(customerKey)
        // The properties, the kept MD5 and the first bytes come from one transaction, so the
        // headers (ETag included) describe the bytes sent. What the request asks to read is
        // worked out there too; an error in it waits until the conditionals had their say.
        var choice: Result<ReadChoice, any Error> = .success(ReadChoice(span: 0..<0))
        let opened: OpenedItem
        do {
            opened = try await share.open(key.path, contentMD5: true, firstBytes: head ? 0 : ResponseBody.streamPieceBytes) { info in
                guard info.isDirectory == key.isDirectory, !key.path.isEmpty || key.isDirectory else { throw S3Error.noSuchKey(key.key) }
                try ObjectEncryption.checkRead(info.encryption, key: customerKey)
                choice = Result { try readChoice(request, info: info) }
                return try? choice.get().span
            }
        } catch let error as ShareCoreError where error.code != .dataCorrupted {
            // Damaged data stays the engine's error, logged as such with the request's id.
            throw objectError(error, key: key, bucket: bucket)
        }
        let info = opened.info
        let etag: String
        if !info.isDirectory, info.objectETag == nil, let md5 = opened.contentMD5 {
            etag = "\"" + ObjectHeaders.hex(md5) + "\""
        } else {
            etag = try await ObjectHeaders.etag(info, share: share, path: key.path)
        }
        var fields = HTTPFields()
        fields.reserveCapacity(24)  // an object's headers and the common ones, without regrowing
        ObjectHeaders.add(info, etag: etag, to: &fields, overrides: head ? nil : request)
        ObjectEncryption.addHeaders(info.encryption, to: &fields)
        TaggingOperations.addHeaders(info, to: &fields, overrides: head ? nil : request)
        LifecycleOperations.addExpiration(&fields, bucket: bucket, key: key.key, info: info, store: context.store)
        switch Conditions.evaluate(request, etag: etag, lastModified: info.lastModified) {
        case .notModified?:
            var notModified = HTTPFields()
            notModified.set("ETag", etag)
            notModified.set("Last-Modified", HTTPDate.format(info.lastModified.date))
            return FrontResponse(status: .notModified, headers: notModified)
        case .failed(let condition)?:
            throw S3Error.preconditionFailed(condition)
        case nil:
            break
        }
        let read = try choice.get()
        for field in read.fields { fields.append(field) }
        fields[.contentLength] = String(read.span.count)
        if head || read.span.isEmpty {
            return FrontResponse(status: read.status, headers: fields)
        }
        return FrontResponse(status: read.status, headers: fields, body: .openedFileContent(share, opened, path: key.path))
    }

    /// What a GET or HEAD reads: the span, its status and the headers that describe it.
    struct ReadChoice {
        var span: Range<UInt64>
        var status = HTTPResponse.Status.ok
        var fields = HTTPFields()
    }

    /// The span a GET or HEAD of `info` reads: a part (`partNumber`), a `Range`, or all of it.
    static func readChoice(_ request: S3Request, info: NodeInfo) throws -> ReadChoice {
        let size = info.isDirectory ? 0 : info.size
        var choice = ReadChoice(span: 0..<size)
        if let part = try partSpan(request, info: info, size: size) {
            choice.span = part.span
            if !part.span.isEmpty {
                choice.status = .partialContent
                choice.fields.set("Content-Range", "bytes \(part.span.lowerBound)-\(part.span.upperBound - 1)/\(size)")
            }
            if let count = part.count { choice.fields.set("x-amz-mp-parts-count", String(count)) }
            if request.header("x-amz-checksum-mode")?.uppercased() == "ENABLED" {
                addPartChecksum(&choice.fields, request: request, info: info, wholeObject: part.count == nil)
            }
        } else if let range = request.header("Range"), let requested = try ObjectRange.span(range, size: size) {
            choice.span = requested
            choice.status = .partialContent
            choice.fields.set("Content-Range", "bytes \(requested.lowerBound)-\(requested.upperBound - 1)/\(size)")
        } else if request.header("x-amz-checksum-mode")?.uppercased() == "ENABLED", let checksum = info.objectChecksum {
            // Checksums cover the whole object: they are returned only for whole-object reads.
            if let (name, value) = ChecksumField.parse(checksum) {
                choice.fields.set(name, value)
                choice.fields.set("x-amz-checksum-type", ChecksumField.isComposite(value) ? "COMPOSITE" : "FULL_OBJECT")
            }
        }
        return choice
    }

    /// The bytes of part `partNumber` (1 to 10,000; else `InvalidArgument`) of a completed
    /// multipart object, and its part count; part 1 of any other object is all of it. nil
    /// without `partNumber`. A part the object does not have is `InvalidPartNumber` (416);
    /// `partNumber` with `Range` is `InvalidRequest`.
    /// The checksum of the part a `partNumber` read serves, as S3 gives it with
    /// `x-amz-checksum-mode: ENABLED`: the part's own checksum (kept from its upload) with the
    /// object's checksum type for a multipart object, the object's for a single-part object
    /// (its one part is all of it); none when the part's checksum was not kept.
    static func addPartChecksum(_ fields: inout HTTPFields, request: S3Request, info: NodeInfo, wholeObject: Bool) {
        guard let checksum = info.objectChecksum, let (name, value) = ChecksumField.parse(checksum) else { return }
        if wholeObject {
            fields.set(name, value)
            fields.set("x-amz-checksum-type", ChecksumField.isComposite(value) ? "COMPOSITE" : "FULL_OBJECT")
            return
        }
        guard let parts = info.objectParts, let checksums = PartChecksums(info), checksums.algorithm.headerName == name,
              checksums.values.count == parts.count, let raw = request.query("partNumber"), let number = Int(raw),
              (1...checksums.values.count).contains(number) else { return }
        fields.set(name, checksums.values[number - 1])
        fields.set("x-amz-checksum-type", ChecksumField.isComposite(value) ? "COMPOSITE" : "FULL_OBJECT")
    }

    static func partSpan(_ request: S3Request, info: NodeInfo, size: UInt64) throws -> (span: Range<UInt64>, count: Int?)? {
        guard let raw = request.query("partNumber") else { return nil }
        guard let number = Int(raw), (1...10_000).contains(number) else {
            throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive",
                                          name: "partNumber", value: raw)
        }
        if request.header("Range") != nil {
            throw S3Error.invalidRequest("Cannot specify both Range header and partNumber query parameter")
        }
        let notSatisfiable = S3Error(.rangeNotSatisfiable, "InvalidPartNumber", "The requested partnumber is not satisfiable",
                                     details: [("PartNumberRequested", raw), ("ActualPartCount", String(info.objectParts?.count ?? 1))])
        guard let parts = info.objectParts else {
            if info.objectETag != nil {
                // Completed before part sizes were kept: the boundaries are unknown.
                throw S3Error.notImplemented("This object was completed before its part boundaries were kept; it cannot be read by part.")
            }
            guard number == 1 else { throw notSatisfiable }
            return (0..<size, nil)
        }
        guard number <= parts.count else { throw notSatisfiable }
        let start = parts.prefix(number - 1).reduce(0, +)
        return (start..<(start + parts[number - 1]), parts.count)
    }

    /// The file (or, for a directory key, the directory) `key` names; `NoSuchKey` otherwise.
    static func existing(_ key: ObjectKey, in bucket: ResolvedBucket) async throws -> NodeInfo {
        let info: NodeInfo
        do {
            info = try await bucket.share.info(key.path)
        } catch let error as ShareCoreError {
            throw objectError(error, key: key, bucket: bucket)
        }
        guard info.isDirectory == key.isDirectory, !key.path.isEmpty || key.isDirectory else { throw S3Error.noSuchKey(key.key) }
        return info
    }

    /// The S3 error for an engine error reading `key`: `NoSuchKey` when nothing is at its path.
    static func objectError(_ error: ShareCoreError, key: ObjectKey, bucket: ResolvedBucket) -> S3Error {
        if [.resourceNotFound, .parentNotFound, .notADirectory, .notAFile].contains(error.code) {
            return S3Error.noSuchKey(key.key)
        }
        return S3Error(error, bucket: bucket.name, key: key.key)
    }

    // MARK: Writing

    /// `PUT` of an object: streams the body into the file (replacing it atomically only once
    /// every byte arrived and every checksum held), creating missing parent directories. A key
    /// ending in `/` with an empty body creates the directory.
    static func put(_ context: S3Context) async throws -> FrontResponse {
        let request = context.request
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        let metadata = try ObjectHeaders.metadata(request)
        let onlyIfAbsent = try ifNoneMatchStar(request)
        // Tags, `Expires` and the object's ACL are set (or cleared) in the same commit as its content.
        let annotations = try TaggingOperations.newObjectAnnotations(request)
            .merging(ObjectACLs.writeChanges(context, bucket: bucket.name))
        if key.isDirectory {
            return try await putDirectory(context, key: key, in: bucket, onlyIfAbsent: onlyIfAbsent, annotations: annotations)
        }
        var headers = ObjectHeaders.contentHeaders(request)
        let (body, result) = try S3Payload.open(request, auth: context.auth, computeMD5: false)
        // `open` has checked its syntax; the body is checked against it as it streams.
        if let md5 = request.header("Content-MD5"), let decoded = Data(base64Encoded: md5) {
            headers.contentMD5 = Array(decoded)
        }
        let (encryption, customerKey) = try await ObjectEncryption.forWrite(context, bucket: bucket)
        try await refuseConflicts(key, in: bucket, onlyIfAbsent: onlyIfAbsent, ifMatch: request.header("If-Match"), parents: true)
        let info: NodeInfo
        let contentMD5: [UInt8]
        do {
            // The checksum is known once the body has been read: `finalize` keeps it with the
            // file in the same transaction that makes the file (and its missing parents) visible.
            (info, contentMD5) = try await bucket.share.withCustomerKey(customerKey).uploadReturningMD5(
                key.path, from: body,
                properties: NodeProperties(contentHeaders: headers, metadata: metadata, annotations: annotations),
                overwrite: !onlyIfAbsent, finalize: { _ in ChecksumField.properties(result) }, createParents: true,
                encryption: encryption)
        } catch {
            throw translate(error, key: key, bucket: bucket, onlyIfAbsent: onlyIfAbsent)
        }
        let etag = ObjectHeaders.etag(info, contentMD5: contentMD5)
        var fields = HTTPFields()
        fields.set("ETag", etag)
        if let checksum = result.checksum { fields.set(checksum.algorithm.headerName, checksum.base64) }
        ObjectEncryption.addHeaders(info.encryption, to: &fields)
        LifecycleOperations.addExpiration(&fields, bucket: bucket, key: key.key, info: info, store: context.store)
        fields[.contentLength] = "0"
        return FrontResponse(status: .ok, headers: fields)
    }

    /// `PUT` of a key ending in `/`: the directory, created with its missing parents. A body is refused.
    /// Its tags and `Expires` (`annotations`) are set once it exists.
    static func putDirectory(_ context: S3Context, key: ObjectKey, in bucket: ResolvedBucket, onlyIfAbsent: Bool,
                             annotations: AnnotationChanges) async throws -> FrontResponse {
        let (body, _) = try S3Payload.open(context.request, auth: context.auth, computeMD5: false)
        for try await piece in body where !piece.isEmpty {
            throw S3Error.invalidArgument("Object key '\(key.key)' ends with '/', so it names a directory, which cannot have content.",
                                          name: "key", value: key.key)
        }
        if onlyIfAbsent, (try? await bucket.share.info(key.path))?.isDirectory == true {
            throw S3Error.preconditionFailed("If-None-Match")
        }
        _ = try await Parents.ensure(key.path, for: key, in: bucket)
        try await TaggingOperations.annotate(key, in: bucket, annotations)
        var fields = HTTPFields()
        fields.set("ETag", ObjectHeaders.emptyETag)
        fields[.contentLength] = "0"
        return FrontResponse(status: .ok, headers: fields)
    }

    /// `If-None-Match: *` (write only if absent); other values are not something S3 supports on PUT.
    static func ifNoneMatchStar(_ request: S3Request) throws -> Bool {
        guard let value = request.header("If-None-Match") else { return false }
        guard value.trimmingCharacters(in: .whitespaces) == "*" else {
            throw S3Error.notImplemented("If-None-Match on a write supports only '*'.")
        }
        return true
    }

    /// Refuses, before any byte is read, a write onto a directory (`ExistingObjectIsDirectory`),
    /// with `If-None-Match: *` onto an existing object, and with `If-Match` onto an object whose
    /// ETag differs (`PreconditionFailed`; `NoSuchKey` when there is no object, as S3 answers).
    /// With `parents`, then a key whose parent path runs into an existing object
    /// (`ObjectParentIsFile`); missing directories are left to the write, which creates them in
    /// its own transaction. The key and the directories on its path are read in one transaction.
    /// `If-None-Match: *` is enforced again atomically by the write; `If-Match` is checked here
    /// only, just before the write.
    static func refuseConflicts(_ key: ObjectKey, in bucket: ResolvedBucket, onlyIfAbsent: Bool,
                                ifMatch: String? = nil, parents: Bool) async throws {
        var ancestors: [String] = []
        var current = ""
        for segment in key.parentPath.split(separator: "/") where parents {
            current = current.isEmpty ? String(segment) : current + "/" + segment
            ancestors.append(current)
        }
        let found = try await bucket.share.infos(ancestors + [key.path])
        if let object = found[ancestors.count] {
            if object.isDirectory { throw existingDirectory(key) }
            if onlyIfAbsent { throw S3Error.preconditionFailed("If-None-Match") }
            if let ifMatch {
                let etag = try await ObjectHeaders.etag(object.info, share: bucket.share, path: key.path)
                guard Conditions.matches(ifMatch, etag) else { throw S3Error.preconditionFailed("If-Match") }
            }
        } else if ifMatch != nil {
            throw S3Error.noSuchKey(key.key)
        }
        for (index, path) in ancestors.enumerated() {
            guard let directory = found[index] else { return }
            guard directory.isDirectory else { throw Parents.parentIsFile(key, path: path, bucket: bucket) }
        }
    }

    static func existingDirectory(_ key: ObjectKey) -> S3Error {
        S3Error(.conflict, "ExistingObjectIsDirectory",
                "Object key '\(key.key)' names an existing directory; delete the directory's contents first or use another key.",
                details: [("Key", key.key)])
    }

    /// The S3 error for a failed write of `key`.
    static func translate(_ error: any Error, key: ObjectKey, bucket: ResolvedBucket, onlyIfAbsent: Bool) -> any Error {
        guard let engine = error as? ShareCoreError else { return error }
        switch engine.code {
        case .resourceAlreadyExists:
            return onlyIfAbsent ? S3Error.preconditionFailed("If-None-Match") : existingDirectory(key)
        case .parentNotFound, .notADirectory:
            return S3Error(.conflict, "OperationAborted", "A parent directory of '\(key.key)' was removed or replaced during the request; retry.")
        default:
            return S3Error(engine, bucket: bucket.name, key: key.key)
        }
    }
}

/// Creating and tidying the directories a key's path goes through.
enum Parents {
    /// Makes directory `path` (and its missing ancestors) exist; returns the directories it
    /// created, deepest last. A file in the way is `ObjectParentIsFile`.
    static func ensure(_ path: String, for key: ObjectKey, in bucket: ResolvedBucket) async throws -> [String] {
        if path.isEmpty { return [] }
        if let info = try? await bucket.share.info(path) {
            if info.isDirectory { return [] }
            throw parentIsFile(key, path: path, bucket: bucket)
        }
        var created: [String] = []
        var current = ""
        for segment in path.split(separator: "/") {
            current = current.isEmpty ? String(segment) : current + "/" + segment
            do {
                _ = try await bucket.share.createDirectory(current)
                created.append(current)
            } catch let error as ShareCoreError where error.code == .resourceAlreadyExists {
                let info = try await bucket.share.info(current)
                guard info.isDirectory else {
                    await removeIfEmpty(created, in: bucket)
                    throw parentIsFile(key, path: current, bucket: bucket)
                }
            } catch let error as ShareCoreError where error.code == .notADirectory {
                await removeIfEmpty(created, in: bucket)
                throw parentIsFile(key, path: current, bucket: bucket)
            }
        }
        return created
    }

    static func parentIsFile(_ key: ObjectKey, path: String, bucket: ResolvedBucket) -> S3Error {
        let relative = bucket.base.isEmpty ? path : String(path.dropFirst(bucket.base.count + 1))
        return S3Error(.conflict, "ObjectParentIsFile",
                       "Object key '\(key.key)' needs '\(relative)' to be a directory, but it is an existing object.",
                       details: [("Key", key.key), ("ParentKey", relative)])
    }

    /// Removes `directories` (deepest first) while they are empty; stops at the first that is not.
    static func removeIfEmpty(_ directories: [String], in bucket: ResolvedBucket) async {
        for directory in directories.reversed() {
            do {
                try await bucket.share.deleteDirectory(directory)
            } catch {
                return
            }
        }
    }

    /// After an object is deleted, removes the directories above it that it leaves empty, up
    /// to (not including) the bucket's base directory, as an object store has no empty prefixes.
    static func pruneEmpty(above path: String, in bucket: ResolvedBucket) async {
        var components = path.split(separator: "/").map(String.init)
        let baseDepth = bucket.base.isEmpty ? 0 : bucket.base.split(separator: "/").count
        components.removeLast()
        while components.count > baseDepth {
            let directory = components.joined(separator: "/")
            do {
                let page = try await bucket.share.list(directory, maxResults: 1)
                guard page.entries.isEmpty else { return }
                try await bucket.share.deleteDirectory(directory)
            } catch {
                return
            }
            components.removeLast()
        }
    }
}
