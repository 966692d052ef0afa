import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// DeleteObject and DeleteObjects.
enum DeleteOperations {
    /// `DELETE` of an object: 204 whether or not it existed, as S3 answers.
    static func deleteObject(_ context: S3Context) async throws -> FrontResponse {
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        try await delete(key, in: bucket)
        return FrontResponse(status: .noContent)
    }

    /// Deletes the file `key` names, or the directory a `/`-ending key names when it is empty,
    /// then the directories left empty above it. Deleting what does not exist succeeds.
    static func delete(_ key: ObjectKey, in bucket: ResolvedBucket) async throws {
        do {
            if key.isDirectory {
                guard !key.path.isEmpty else { return }
                // A non-empty directory stays: its objects keep the prefix alive, as in S3.
                let page = try await bucket.share.list(key.path, maxResults: 1)
                guard page.entries.isEmpty else { return }
                try await bucket.share.deleteDirectory(key.path)
            } else {
                try await bucket.share.deleteFile(key.path)
            }
        } catch let error as ShareCoreError {
            switch error.code {
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
        let (body, _) = try S3Payload.open(context.request.front, auth: context.auth, computeMD5: false)
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
                let key = try ObjectKey.parse(name, base: bucket.base)
                try await delete(key, in: bucket)
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
}
