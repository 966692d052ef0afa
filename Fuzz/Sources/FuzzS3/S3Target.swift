// libFuzzer target: one S3 request (wire format) through S3Service.respond, the front's
// socket-free entry point, against a real store with a bucket `fuzz`. `x-fuzz-sign: 1` signs
// it validly with SigV4 after the mutation (keeping its x-amz-content-sha256, so aws-chunked
// bodies stay aws-chunked), so the fuzzer reaches the operations.
import FrontKit
import FuzzSupport
import HTTPTypes
import ShareCore
@testable import S3

let accessKey = "devstoreaccount1"
let secret = "fuzz-secret"
// A new store every 100 executions, so that what the inputs put (objects, deep trees of
// folders that later listings walk) does not pile up.
let services = RenewedFront(every: 100) { store in
    S3Service(store: store, configuration: S3Configuration(accessKey: accessKey, secretKey: secret))
}

@_cdecl("FuzzS3_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzOne)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard var wire = WireRequest.parse(bytes, defaultAuthority: "127.0.0.1:9000") else { return 0 }
    if wire.instructions["sign"] != nil {
        let payload = wire.head.headerFields.first { $0.name.canonicalName == "x-amz-content-sha256" }?.value
        _ = SigV4.sign(&wire.head, accessKey: accessKey, secret: secret, payloadHash: payload ?? "UNSIGNED-PAYLOAD")
    }
    let request = wire.frontRequest(pieceSize: Int(wire.instructions["piece"] ?? "") ?? 4096)
    let front = services.next()
    runBlocking { await drain(await front.respond(to: request)) }
    return 0
}
