// libFuzzer target: one FileREST request (wire format) through FileRESTService.respond, the
// front's socket-free entry point, against a real store. `x-fuzz-sign: 1` signs it validly
// with Shared Key after the mutation, so the fuzzer reaches the operations.
import FrontKit
import FuzzSupport
import ShareCore
@testable import FileREST

let configuration = FileRESTConfiguration()!
let service: FileRESTService = {
    let store = FuzzStore.open()
    populate(store)
    return FileRESTService(store: store, configuration: configuration)
}()

@_cdecl("FuzzFileREST_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzOne)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard var wire = WireRequest.parse(bytes, defaultAuthority: "127.0.0.1:10004") else { return 0 }
    if wire.instructions["sign"] != nil { signSharedKey(&wire.head, configuration: configuration) }
    let request = wire.frontRequest(pieceSize: Int(wire.instructions["piece"] ?? "") ?? 4096)
    let front = service
    runBlocking { await drain(await front.respond(to: request)) }
    return 0
}
