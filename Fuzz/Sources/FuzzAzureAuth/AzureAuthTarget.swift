// libFuzzer target: Azure Shared Key and SAS checking. The input is a FileREST request (wire
// format): its Authorization header is parsed and verified with Shared Key (`x-fuzz-sign: 1`
// signs it validly first, which must then verify); a request with a `sig` in its query goes
// through the front, whose authorizer parses and checks the SAS (account or service, stored
// policies) before anything else.
import Foundation
import FrontKit
import FuzzSupport
import HTTPTypes
import ShareCore
@testable import FileREST

let configuration = FileRESTConfiguration()!
let service: FileRESTService = {
    let store = FuzzStore.open()
    populate(store)
    return FileRESTService(store: store, configuration: configuration)
}()

@_cdecl("FuzzAzureAuth_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzOne)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard var wire = WireRequest.parse(bytes, defaultAuthority: "127.0.0.1:10004") else { return 0 }
    let signed = wire.instructions["sign"] != nil
    if signed { signSharedKey(&wire.head, configuration: configuration) }
    if let parsed = try? FileRequest.parse(FrontRequest(head: wire.head), account: configuration.account),
       let header = wire.head.headerFields[.authorization] {
        do {
            try SharedKey.verify(header, request: parsed, account: configuration.account, key: configuration.accountKey)
        } catch {
            // A request for another account is refused whatever its signature.
            if signed, parsed.account == configuration.account { fatalError("a request signed with Shared Key did not verify: \(error)\n\(wire.head)") }
        }
    }
    if (wire.head.path ?? "").contains("sig=") {
        let request = wire.frontRequest()
        let front = service
        runBlocking { await drain(await front.respond(to: request), limit: 4096) }
    }
    return 0
}
