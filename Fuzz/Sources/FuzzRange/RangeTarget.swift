// libFuzzer target: the Range headers of every front: S3 `Range` (ObjectRange), FileREST
// `x-ms-range`/`Range` for reads and writes (ByteRange), IIS Files `Range` (RFCRange),
// `Content-Range` and the files listing range. Bytes 0-7 are the object's size, the rest the
// header. A span that comes back must lie inside the object.
import FuzzSupport
import FrontKit
import HTTPTypes
@testable import FileREST
@testable import IISFiles
@testable import S3

@_cdecl("FuzzRange_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzOne)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size >= 8 else { return 0 }
    let bytes = input(data, size)
    var objectSize: UInt64 = 0
    for byte in bytes[0..<8] { objectSize = objectSize << 8 | UInt64(byte) }
    // Sizes up to 2^48 (256 TiB), as the store allows.
    objectSize &= (1 << 48) - 1
    let header = String(decoding: bytes[8...], as: UTF8.self)

    if let span = try? ObjectRange.span(header, size: objectSize) {
        precondition(span.lowerBound < span.upperBound && span.upperBound <= objectSize,
                     "S3 range \(header) of \(objectSize) bytes gave \(span)")
    }
    if let range = ByteRange(header) {
        let clipped = range.clipped(to: objectSize)
        precondition(clipped.upperBound <= max(objectSize, clipped.lowerBound), "FileREST range \(header) clipped to \(clipped)")
    }
    var fields = HTTPFields()
    fields.append(HTTPField(name: HTTPField.Name("x-ms-range")!, value: header))
    fields.append(HTTPField(name: HTTPField.Name("x-ms-version")!, value: FileRESTService.newestVersion))
    let head = HTTPRequest(method: .put, scheme: "http", authority: "127.0.0.1", path: "/devstoreaccount1/s/f?comp=range",
                           headerFields: fields)
    if let request = try? FileRequest.parse(FrontRequest(head: head), account: "devstoreaccount1") {
        _ = try? ByteRange.of(request)
        _ = try? ByteRange.forWrite(request)
    }
    if case .span(let span) = RFCRange.parse(header, size: objectSize) {
        precondition(span.lowerBound < span.upperBound && span.upperBound <= objectSize,
                     "IIS range \(header) of \(objectSize) bytes gave \(span)")
    }
    _ = ContentOperations.parseContentRange(header)
    _ = FilesOperations.parseFilesRange(header)
    return 0
}
