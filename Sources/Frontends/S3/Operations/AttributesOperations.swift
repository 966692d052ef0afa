import FrontKit
import HTTPTypes
import ShareCore

/// GetObjectAttributes: an object's ETag, checksum, parts, storage class and size, without its
/// content.
enum AttributesOperations {
    /// The attributes `x-amz-object-attributes` may name.
    static let names: Set<String> = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]

    /// `GET ?attributes`: the attributes `x-amz-object-attributes` lists (comma-separated),
    /// with `Last-Modified`. `ObjectParts` is given for a multipart object (`PartsCount`, the SDKs' `TotalPartsCount`,
    /// and its parts' numbers and sizes, paged by `x-amz-max-parts` and
    /// `x-amz-part-number-marker`); a single-part object has none.
    static func get(_ context: S3Context) async throws -> FrontResponse {
        let request = context.request
        let requested = try attributes(request)
        let maxParts = try number(request, "x-amz-max-parts", default: 1000)
        let marker = try number(request, "x-amz-part-number-marker", default: 0)
        let bucket = try await context.bucket()
        let key = try context.objectKey(in: bucket)
        let customerKey = try ObjectEncryption.customerKey(context)
        let info = try await ObjectOperations.existing(key, in: bucket)
        try ObjectEncryption.checkRead(info.encryption, key: customerKey)
        let size = info.isDirectory ? 0 : info.size
        var xml = XMLWriter()
        xml.open("GetObjectAttributesResponse", ["xmlns": S3XML.namespace])
        if requested.contains("ETag") {
            let etag = try await ObjectHeaders.etag(info, share: bucket.share.withCustomerKey(customerKey), path: key.path)
            xml.element("ETag", etag.trimmingCharacters(in: .init(charactersIn: "\"")))
        }
        if requested.contains("Checksum"), let stored = info.objectChecksum, let checksum = ChecksumField.decode(stored) {
            xml.open("Checksum")
            xml.element("Checksum" + checksum.algorithm.rawValue, checksum.base64)
            xml.element("ChecksumType", ChecksumField.isComposite(checksum.base64) ? "COMPOSITE" : "FULL_OBJECT")
            xml.close("Checksum")
        }
        if requested.contains("ObjectParts"), let parts = info.objectParts {
            xml.open("ObjectParts")
            xml.element("PartsCount", String(parts.count))  // the SDKs call it TotalPartsCount
            xml.element("PartNumberMarker", String(marker))
            let checksums = PartChecksums(info).flatMap { $0.values.count == parts.count ? $0 : nil }
            let first = min(marker, parts.count)
            let page = Array(parts.enumerated().dropFirst(first).prefix(maxParts))
            let truncated = first + page.count < parts.count
            if let last = page.last { xml.element("NextPartNumberMarker", String(last.offset + 1)) }
            xml.element("MaxParts", String(maxParts))
            xml.element("IsTruncated", truncated ? "true" : "false")
            for (index, partSize) in page {
                xml.open("Part")
                xml.element("PartNumber", String(index + 1))
                xml.element("Size", String(partSize))
                if let checksums { xml.element("Checksum" + checksums.algorithm.rawValue, checksums.values[index]) }
                xml.close("Part")
            }
            xml.close("ObjectParts")
        }
        if requested.contains("StorageClass") { xml.element("StorageClass", "STANDARD") }
        if requested.contains("ObjectSize") { xml.element("ObjectSize", String(size)) }
        xml.close("GetObjectAttributesResponse")
        var fields = HTTPFields()
        fields.set("Last-Modified", HTTPDate.format(info.lastModified.date))
        return context.xml(xml, headers: fields)
    }

    /// The attribute names of `x-amz-object-attributes`; `InvalidArgument` when it is missing,
    /// empty or names something else.
    static func attributes(_ request: S3Request) throws -> Set<String> {
        let values = request.head.headerFields[values: HTTPField.Name("x-amz-object-attributes")!]
        let items = values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
            throw S3Error.invalidArgument("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
                                          name: "x-amz-object-attributes", value: values.joined(separator: ","))
        }
        for item in items where !names.contains(item) {
            throw S3Error.invalidArgument("Invalid attribute name specified.", name: "x-amz-object-attributes", value: item)
        }
        return Set(items)
    }

    /// A non-negative integer header (`default` when absent); `InvalidArgument` otherwise.
    static func number(_ request: S3Request, _ name: String, default value: Int) throws -> Int {
        guard let text = request.header(name) else { return value }
        guard let number = Int(text), number >= 0 else {
            throw S3Error.invalidArgument("\(name) must be a non-negative integer", name: name, value: text)
        }
        return number
    }
}
