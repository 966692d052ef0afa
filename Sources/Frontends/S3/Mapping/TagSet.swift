import Foundation
import FrontKit
import ShareCore

/// An S3 tag set: unique keys with values, as objects (at most 10) and buckets (at most 50)
/// carry them. An object's set is kept as the file annotation ``annotation`` (so it follows
/// the file through renames, snapshots, restores and copies, whichever front moves it); a
/// bucket's as a front record (``BucketTags``).
///
/// S3's rules, checked in this order: each tag in turn (a key of 1 to 128 and a value of 0 to
/// 256 Unicode characters, counted in UTF-16 as S3 does; only letters, numbers, white space
/// and `_ . : / = + @ -`; no `aws:` key; no key twice), then the count.
struct TagSet: Equatable, Sendable {
    /// One tag.
    struct Tag: Equatable, Sendable {
        var key: String
        var value: String
    }

    /// The tags, in key order (S3 returns a set in key order, whatever order it was given in).
    private(set) var tags: [Tag]

    /// The file annotation holding an object's tags.
    static let annotation = "s3.tags"
    /// The most tags an object may have.
    static let objectLimit = 10
    /// The most tags a bucket may have.
    static let bucketLimit = 50

    /// An empty set.
    init() { tags = [] }

    /// A set of `tags` already checked (or read back from storage).
    init(trusted tags: [Tag]) {
        self.tags = tags.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
    }

    var isEmpty: Bool { tags.isEmpty }
    var count: Int { tags.count }

    // MARK: Parsing

    /// The `x-amz-tagging` header of PutObject, CopyObject and CreateMultipartUpload: URL query
    /// parameters (`k1=v1&k2`; a key without `=` has the empty value; `+` is a space). A pair
    /// with two `=`, a bad escape or a repeated key is `InvalidArgument`, as S3 answers.
    static func parse(header text: String) throws -> TagSet {
        var tags: [Tag] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count <= 2, let key = formDecode(parts[0]), let value = parts.count == 2 ? formDecode(parts[1]) : "" else {
                throw badHeader(text)
            }
            tags.append(Tag(key: key, value: value))
        }
        if Set(tags.map(\.key)).count != tags.count { throw badHeader(text) }
        return try checked(tags, limit: objectLimit)
    }

    /// A `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>` document (namespace
    /// optional). A document of another shape, or a `Tag` without exactly one `Key` and one
    /// `Value`, is `MalformedXML`.
    static func parse(xml root: FrontKit.XMLElement, limit: Int) throws -> TagSet {
        guard root.name == "Tagging", let set = root.child("TagSet") else { throw S3Error.malformedXML() }
        var tags: [Tag] = []
        for element in set.children {
            guard element.name == "Tag", element.children("Key").count == 1, element.children("Value").count == 1,
                  let key = element.child("Key")?.text, let value = element.child("Value")?.text else {
                throw S3Error.malformedXML()
            }
            tags.append(Tag(key: key, value: value))
        }
        return try checked(tags, limit: limit)
    }

    /// `tags` checked against S3's rules, each tag in turn, then the count (over 10 on an
    /// object is `BadRequest`, as S3 answers; over 50 on a bucket is `InvalidTag`).
    static func checked(_ tags: [Tag], limit: Int) throws -> TagSet {
        var seen = Set<String>()
        for tag in tags {
            if tag.key.isEmpty || !allowed(tag.key) { throw invalidTag("The TagKey you have provided is invalid") }
            if tag.key.utf16.count > 128 { throw invalidTag("The TagKey you have provided is too long, max 128") }
            if tag.value.utf16.count > 256 { throw invalidTag("The TagValue you have provided is too long, max 256") }
            if !allowed(tag.value) { throw invalidTag("The TagValue you have provided is invalid") }
            if tag.key.lowercased().hasPrefix("aws:") { throw invalidTag("System tags cannot be added/updated by requester") }
            guard seen.insert(tag.key).inserted else { throw invalidTag("Cannot provide multiple Tags with the same key") }
        }
        if tags.count > limit {
            if limit == objectLimit { throw S3Error(.badRequest, "BadRequest", "Object tags cannot be greater than 10") }
            throw invalidTag("Bucket tag count cannot be greater than \(limit)")
        }
        return TagSet(trusted: tags)
    }

    /// Whether `text` holds only what S3 allows in tags: letters, numbers, white space
    /// (separators) and `_ . : / = + @ -`.
    static func allowed(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .decimalNumber, .letterNumber, .otherNumber, .spaceSeparator, .lineSeparator, .paragraphSeparator:
                return true
            default:
                return "_.:/=+@-".unicodeScalars.contains(scalar)
            }
        }
    }

    static func invalidTag(_ message: String) -> S3Error { S3Error(.badRequest, "InvalidTag", message) }

    static func badHeader(_ text: String) -> S3Error {
        S3Error.invalidArgument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
                                name: "x-amz-tagging", value: text)
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, then `%XX` escapes; nil
    /// for a bad escape or bytes that are not UTF-8.
    static func formDecode(_ text: Substring) -> String? {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        guard spaced.contains("%") else { return spaced }
        var bytes: [UInt8] = []
        var utf8 = Array(spaced.utf8)[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard utf8.count >= 2, let high = hexValue(utf8.removeFirst()), let low = hexValue(utf8.removeFirst()) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 65...70: c - 55
        case 97...102: c - 87
        default: nil
        }
    }

    // MARK: Stored form and XML

    /// The stored form: `key=value&…` with every byte outside RFC 3986's unreserved set
    /// percent-encoded, in key order.
    var storedForm: [UInt8] {
        Array(tags.map { Self.escape($0.key) + "=" + Self.escape($0.value) }.joined(separator: "&").utf8)
    }

    /// The set a ``storedForm`` holds; nil when the bytes are not one.
    init?(stored bytes: [UInt8]) {
        var tags: [Tag] = []
        for pair in String(decoding: bytes, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].contains("+"), !parts[1].contains("+"),
                  let key = Self.formDecode(parts[0]), let value = Self.formDecode(parts[1]) else { return nil }
            tags.append(Tag(key: key, value: value))
        }
        self.init(trusted: tags)
    }

    /// The tags of an object, from its annotations (none when it has no tag annotation).
    init(_ info: NodeInfo) {
        self = info.annotations[Self.annotation].flatMap { TagSet(stored: $0) } ?? TagSet()
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 48...57, 65...90, 97...122, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// The annotation change that gives an object this set (removing the annotation when empty).
    var annotationChange: AnnotationChanges {
        var changes = AnnotationChanges()
        if isEmpty { changes.remove(Self.annotation) } else { changes.set(Self.annotation, storedForm) }
        return changes
    }

    /// The `<Tagging>` document GetObjectTagging and GetBucketTagging answer.
    var document: XMLWriter {
        var xml = XMLWriter()
        xml.open("Tagging", ["xmlns": S3XML.namespace])
        xml.open("TagSet")
        for tag in tags {
            xml.open("Tag")
            xml.element("Key", tag.key)
            xml.element("Value", tag.value)
            xml.close("Tag")
        }
        xml.close("TagSet")
        xml.close("Tagging")
        return xml
    }
}

/// The `Expires` header of PutObject, CopyObject and CreateMultipartUpload, kept as sent (the
/// file annotation ``annotation``) and returned on GET and HEAD.
enum ObjectExpires {
    /// The file annotation holding the header's value.
    static let annotation = "s3.expires"

    /// The annotation change for a new object written by `request`: its `Expires`, or none.
    static func change(_ request: S3Request) -> AnnotationChanges {
        change(value: request.header("Expires"))
    }

    /// The annotation change for a new object given `value` (nil: none), e.g. the `Expires`
    /// field of a browser form upload.
    static func change(value: String?) -> AnnotationChanges {
        var changes = AnnotationChanges()
        if let value { changes.set(annotation, Array(value.utf8)) } else { changes.remove(annotation) }
        return changes
    }

    /// The value kept with an object, if any.
    static func value(_ info: NodeInfo) -> String? {
        info.annotations[annotation].map { String(decoding: $0, as: UTF8.self) }
    }
}

extension AnnotationChanges {
    /// These changes followed by `other`'s.
    func merging(_ other: AnnotationChanges) -> AnnotationChanges {
        var result = self
        for (name, value) in other.changes {
            if let value { result.set(name, value) } else { result.remove(name) }
        }
        return result
    }
}
