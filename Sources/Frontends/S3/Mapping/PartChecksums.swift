import Foundation
import ShareCore

/// The checksums of a multipart object's parts, kept after completion so GetObjectAttributes
/// can list them, as the file annotation ``annotation``: the object's multipart ETag, the
/// algorithm and the parts' base64 checksums in part order (`etag|ALGORITHM|b64,b64,…`).
/// The ETag ties them to the content they describe: a write through any front clears the
/// file's multipart ETag, and with it the meaning of this annotation, which is then ignored.
struct PartChecksums: Sendable, Hashable {
    /// The file annotation holding them.
    static let annotation = "s3.part-checksums"

    var etag: String
    var algorithm: ChecksumAlgorithm
    var values: [String]

    /// The stored form, or nil when there are none or they would take more than half of what
    /// an annotation may hold (10,000 SHA-256 checksums would; their parts are then listed
    /// without checksums).
    var storedForm: [UInt8]? {
        guard !values.isEmpty else { return nil }
        let bytes = Array((etag + "|" + algorithm.rawValue + "|" + values.joined(separator: ",")).utf8)
        return bytes.count <= FileAnnotations.maxValueBytes / 2 ? bytes : nil
    }

    /// The annotation change that keeps these checksums with the completed file (or removes
    /// an old value when they cannot be kept).
    var change: AnnotationChanges {
        var change = AnnotationChanges()
        if let storedForm { change.set(Self.annotation, storedForm) } else { change.remove(Self.annotation) }
        return change
    }

    /// The part checksums `info` keeps for its current content, if any.
    init?(_ info: NodeInfo) {
        guard let etag = info.objectETag, let raw = info.annotations[Self.annotation] else { return nil }
        let fields = String(decoding: raw, as: UTF8.self).split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3, String(fields[0]) == etag, let algorithm = ChecksumAlgorithm(rawValue: String(fields[1])) else {
            return nil
        }
        self.init(etag: etag, algorithm: algorithm, values: fields[2].split(separator: ",").map(String.init))
    }

    init(etag: String, algorithm: ChecksumAlgorithm, values: [String]) {
        self.etag = etag
        self.algorithm = algorithm
        self.values = values
    }
}
