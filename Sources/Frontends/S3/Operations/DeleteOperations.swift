import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// DeleteObject and DeleteObjects.
enum DeleteOperations {
    /// `DELETE` of an object: 204 whether or not it existed, as S3 answers; with `If-Match`,
    /// `x-amz-if-match-last-modified-time` or `x-amz-if-match-size`, only an object that
    /// matches them is deleted (412 `PreconditionFailed` otherwise, 404 `NoSuchKey` when absent).
    static func deleteObject(_ context: S3Context) async throws -> FrontResponse {
        let request = context.request
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        var condition = DeleteCondition()
        condition.etag = request.header("If-Match")
        if let raw = request.header("x-amz-if-match-last-modified-time") {
            guard let seconds = HTTPDate.parse(raw) else {
                throw S3Error.invalidArgument("x-amz-if-match-last-modified-time is not a valid date",
                                              name: "x-amz-if-match-last-modified-time", value: raw)
            }
            condition.lastModified = seconds
        }
        if let raw = request.header("x-amz-if-match-size") {
            guard let size = UInt64(raw) else {
                throw S3Error.invalidArgument("x-amz-if-match-size is not a size", name: "x-amz-if-match-size", value: raw)
            }
            condition.size = size
        }
        try await delete(key, in: bucket, condition: condition)
        return FrontResponse(status: .noContent)
    }

    /// What a conditional delete requires of the object (nil: nothing).
    struct DeleteCondition {
        /// `If-Match` / `<ETag>`: an ETag list as on GET (`*` matches any object).
        var etag: String?
        /// The object's last-modified time, in whole seconds.
        var lastModified: Int64?
        /// The object's size in bytes.
        var size: UInt64?

        var isEmpty: Bool { etag == nil && lastModified == nil && size == nil }

        /// The name of the first condition `info` (with S3 ETag `etag`) fails; nil when all hold.
        func failed(_ info: NodeInfo, etag objectETag: String) -> String? {
            if let etag, !Conditions.matches(etag, objectETag) { return "If-Match" }
            if let lastModified, info.lastModified.ticks / 10_000_000 != lastModified { return "x-amz-if-match-last-modified-time" }
            if let size, (info.isDirectory ? 0 : info.size) != size { return "x-amz-if-match-size" }
            return nil
        }
    }

    /// Deletes the file `key` names, or the directory a `/`-ending key names when it is empty,
    /// then the directories left empty above it. Deleting what does not exist succeeds, unless
    /// `condition` asks something of the object (`NoSuchKey`); a condition that fails is
    /// `PreconditionFailed` and a file is deleted only if it has not changed since it was checked.
    static func delete(_ key: ObjectKey, in bucket: ResolvedBucket, condition: DeleteCondition = DeleteCondition()) async throws {
        var expectedETag: String?
        if !condition.isEmpty {
            let info = try await ObjectOperations.existing(key, in: bucket)
            let etag = try await ObjectHeaders.etag(info, share: bucket.share, path: key.path)
            if let failed = condition.failed(info, etag: etag) { throw S3Error.preconditionFailed(failed) }
            expectedETag = info.etag
        }
        do {
            if key.isDirectory {
                guard !key.path.isEmpty else { return }
                // A non-empty directory stays: its objects keep the prefix alive, as in S3.
                let page = try await bucket.share.list(key.path, maxResults: 1)
                guard page.entries.isEmpty else { return }
                try await bucket.share.deleteDirectory(key.path)
            } else {
                try await bucket.share.deleteFile(key.path, ifETag: expectedETag)
            }
        } catch let error as ShareCoreError {
            switch error.code {
            case .conditionNotMet: throw S3Error.preconditionFailed("If-Match")
            case .resourceNotFound where expectedETag != nil, .parentNotFound where expectedETag != nil:
                throw S3Error.noSuchKey(key.key)
            case .resourceNotFound, .parentNotFound, .notADirectory, .notAFile, .directoryNotEmpty: return
            default: throw S3Error(error, bucket: bucket.name, key: key.key)
            }
        }
        await Parents.pruneEmpty(above: key.path, in: bucket)
    }

    /// `POST /bucket?delete`: up to 1,000 keys; each result is reported on its own, and
    /// `Quiet` leaves out the successes.
    static func deleteObjects(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let (body, _) = try S3Payload.open(context.request, auth: context.auth, computeMD5: false)
        let bytes = try await body.collect(upTo: 2 << 20)
        guard let root = FrontKit.XMLElement.parse(bytes), root.name == "Delete" else { throw S3Error.malformedXML() }
        let objects = root.children("Object")
        guard !objects.isEmpty, objects.count <= 1000 else { throw S3Error.malformedXML() }
        let quiet = root.value("Quiet")?.lowercased() == "true"
        var xml = XMLWriter()
        xml.open("DeleteResult", ["xmlns": S3XML.namespace])
        for object in objects {
            // A key is taken verbatim: leading and trailing spaces are part of it.
            guard let name = object.child("Key")?.text else { throw S3Error.malformedXML() }
            let versionId = object.value("VersionId")
            do {
                if let versionId, versionId != "null" {
                    throw S3Error(.badRequest, "NoSuchVersion", "The specified version does not exist.")
                }
                try await AccessDecision.authorizeDelete(context, key: name)
                let key = try ObjectKey.parse(name, base: bucket.base)
                try await delete(key, in: bucket, condition: try condition(of: object))
                if !quiet {
                    xml.open("Deleted")
                    xml.element("Key", name)
                    if let versionId { xml.element("VersionId", versionId) }
                    xml.close("Deleted")
                }
            } catch let error as S3Error {
                xml.open("Error")
                xml.element("Key", name)
                if let versionId { xml.element("VersionId", versionId) }
                xml.element("Code", error.code)
                xml.element("Message", error.message)
                xml.close("Error")
            }
        }
        xml.close("DeleteResult")
        return context.xml(xml)
    }

    /// The `<ETag>`, `<LastModifiedTime>` and `<Size>` conditions of one `<Object>` of DeleteObjects.
    static func condition(of object: FrontKit.XMLElement) throws -> DeleteCondition {
        var condition = DeleteCondition()
        condition.etag = object.value("ETag")
        if let raw = object.value("LastModifiedTime") {
            guard let time = FileTime(iso8601: raw) else { throw S3Error.malformedXML() }
            condition.lastModified = time.ticks / 10_000_000
        }
        if let raw = object.value("Size") {
            guard let size = UInt64(raw) else { throw S3Error.malformedXML() }
            condition.size = size
        }
        return condition
    }
}
