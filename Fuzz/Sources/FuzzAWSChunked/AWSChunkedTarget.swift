// libFuzzer target: the S3 aws-chunked body decoder (STREAMING-AWS4-HMAC-SHA256-PAYLOAD with
// and without trailer, STREAMING-UNSIGNED-PAYLOAD-TRAILER). Byte 0 picks the mode and whether
// the rest is an encoded body fed as is (bytes 1-2: the decoded length it announces) or data
// that is first encoded validly, which must then decode to exactly the same bytes. Byte 3 sets
// how the body is cut into buffers.
import FuzzSupport
import Foundation
import HTTPTypes
@testable import S3

let now = Date(timeIntervalSince1970: 1_767_225_600)
let modes: [(PayloadMode, String)] = [
    (.streamingSigned, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
    (.streamingSignedTrailer, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
    (.streamingUnsignedTrailer, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
]
let signers: [SigV4Auth] = modes.map { _, hash in
    var head = HTTPRequest(method: .put, scheme: "http", authority: "127.0.0.1:9000", path: "/fuzz/key", headerFields: [:])
    return SigV4.sign(&head, accessKey: "devstoreaccount1", secret: "fuzz-secret", date: now, payloadHash: hash)
}

@_cdecl("FuzzAWSChunked_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzOne)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size >= 4 else { return 0 }
    let bytes = input(data, size)
    let modeIndex = Int(bytes[0] & 0x3) % modes.count
    let (mode, _) = modes[modeIndex]
    let encodeFirst = bytes[0] & 0x4 != 0
    let piece = Int(bytes[3]) + 1
    let payload = Array(bytes[4...])
    let body: [UInt8]
    let decodedLength: UInt64
    let trailers: [(name: String, value: String)] = mode.hasTrailer ? [("x-amz-checksum-crc32", "AAAAAA==")] : []
    if encodeFirst {
        body = AWSChunkedEncoder.encode(payload, chunkSize: max(8192, Int(bytes[1]) << 8), mode: mode,
                                        signer: signers[modeIndex], trailers: trailers)
        decodedLength = UInt64(payload.count)
    } else {
        body = payload
        decodedLength = UInt64(bytes[1]) << 8 | UInt64(bytes[2])
    }
    var decoder = AWSChunkedDecoder(mode: mode, auth: signers[modeIndex], decodedLength: decodedLength,
                                    expectsTrailers: !trailers.isEmpty)
    var output: [UInt8] = []
    var failed = false
    var offset = 0
    while offset < body.count {
        let end = min(body.count, offset + piece)
        do {
            output += try decoder.feed(Array(body[offset..<end]))
        } catch {
            failed = true
            break
        }
        offset = end
    }
    if !failed {
        do { try decoder.finish() } catch { failed = true }
    }
    if encodeFirst {
        guard !failed, output == payload else {
            fatalError("a validly encoded aws-chunked body (\(payload.count) bytes, mode \(mode)) did not decode to itself")
        }
    }
    return 0
}
