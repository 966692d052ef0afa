import Foundation
import FrontKit
import HTTPTypes

/// CRC-64 content validation with structured message bodies (`x-ms-structured-body`), what
/// the SDK sends and asks for with `validate_content="crc64"` on Put Range, Create File with
/// data and Get File.
extension DataOperations {
    /// Whether the request carries (or, for Get File, asks for) a structured message:
    /// `x-ms-structured-body` with version 1 and CRC-64 (another value is `InvalidHeaderValue`).
    static func structuredRequest(_ request: FileRequest) throws -> Bool {
        guard let value = request.header("x-ms-structured-body") else { return false }
        guard StructuredMessage.isSupported(value) else { throw FileRESTError.invalidHeader("x-ms-structured-body", value) }
        return true
    }

    /// The content of a structured upload of `contentLength` bytes (at most 4 MiB, checked by the caller): `x-ms-structured-content-length`
    /// must say that length, the body (its `Content-Length` the encoded size) is read whole,
    /// decoded and every CRC-64 verified before anything is written: a wrong CRC is 400
    /// `Crc64Mismatch`, broken framing 400 `InvalidInput`.
    static func structuredBody(_ request: FileRequest, contentLength: UInt64) async throws -> [UInt8] {
        guard let declared = request.header("x-ms-structured-content-length") else {
            throw FileRESTError.missingHeader("x-ms-structured-content-length")
        }
        guard let count = UInt64(declared), count == contentLength else { throw FileRESTError.invalidHeader("x-ms-structured-content-length", declared) }
        guard let raw = request.header("Content-Length") else {
            throw FileRESTError(.lengthRequired, "MissingContentLengthHeader", "The Content-Length header was not specified.")
        }
        // Framing adds 21 bytes plus 18 per segment; a client with small segments may add more.
        guard let length = UInt64(raw), length >= StructuredMessage.encodedLength(0) else { throw FileRESTError.invalidHeader("Content-Length", raw) }
        guard length <= UInt64(chunkBytes + (1 << 20)) else { throw bodyTooLarge() }
        var body: [UInt8] = []
        body.reserveCapacity(Int(length))
        for try await piece in request.body {
            guard body.count + piece.count <= Int(length) else { throw incompleteBody() }
            body.append(contentsOf: piece)
        }
        guard body.count == Int(length) else { throw incompleteBody() }
        let content: [UInt8]
        do {
            content = try StructuredMessage.decode(body)
        } catch .crcMismatch(let sent, let computed) {
            throw FileRESTError(.badRequest, "Crc64Mismatch", "The CRC64 value specified in the request did not match with the CRC64 value calculated by the server.",
                                details: [("UserSpecifiedCrc64", Data(StorageCRC64.bytes(sent)).base64EncodedString()),
                                          ("ServerCalculatedCrc64", Data(StorageCRC64.bytes(computed)).base64EncodedString())])
        } catch .malformed(let reason) {
            throw FileRESTError(.badRequest, "InvalidInput", "One of the request inputs is not valid. The structured message body is malformed: \(reason).")
        }
        guard content.count == Int(count) else { throw FileRESTError.invalidHeader("x-ms-structured-content-length", declared) }
        return content
    }

    /// The headers a structured upload's response echoes.
    static func addStructuredUploadHeaders(_ fields: inout HTTPFields, content: [UInt8]) {
        fields.set("x-ms-structured-body", StructuredMessage.crc64Header)
        fields.set("x-ms-content-crc64", Data(StorageCRC64.bytes(StorageCRC64.checksum(content))).base64EncodedString())
    }
}
