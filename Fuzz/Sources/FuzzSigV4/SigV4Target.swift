// libFuzzer target: SigV4 checking of a request head (wire format): the Authorization header
// form and presigned query strings, at a fixed "now" (2026-01-01T00:00:00Z) so seeds dated then
// pass the clock-skew check. `x-fuzz-sign: 1` signs the mutated request validly first, which
// must then verify: a valid signature that fails is a crash.
import Foundation
import FuzzSupport
import HTTPTypes
@testable import S3

let now = Date(timeIntervalSince1970: 1_767_225_600)
let secrets = ["devstoreaccount1": "fuzz-secret"]

@_cdecl("FuzzSigV4_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzOne)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard var wire = WireRequest.parse(bytes, defaultAuthority: "127.0.0.1:9000") else { return 0 }
    if wire.instructions["sign"] != nil {
        let payload = wire.head.headerFields.first { $0.name.canonicalName == "x-amz-content-sha256" }?.value
        let hash = payload ?? "UNSIGNED-PAYLOAD"
        _ = SigV4.sign(&wire.head, accessKey: "devstoreaccount1", secret: "fuzz-secret", date: now, payloadHash: hash)
        // A validly signed request must verify unless its query carries presigned parameters
        // or its payload hash is not one S3 accepts.
        let query = wire.head.path?.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
        let acceptedHash = hash.count == 64 && hash.allSatisfy { $0.isHexDigit && !$0.isUppercase }
            || ["UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER"].contains(hash)
        if !query.lowercased().contains("x-amz-"), acceptedHash {
            do {
                _ = try SigV4.verify(wire.head, secrets: secrets, now: now)
            } catch {
                fatalError("a request signed by SigV4.sign did not verify: \(error)\n\(wire.head)")
            }
            return 0
        }
    }
    _ = try? SigV4.verify(wire.head, secrets: secrets, now: now)
    return 0
}
