// libFuzzer target: one IIS Files (`/api/files`, JSON) request in wire format through
// IISFilesService.respond, the front's socket-free entry point, against a real store holding a
// share with a read-write location. The seeds carry the access token `fuzz-admin-token`; the
// placeholders `{root}` and `{file}` become the sealed ids of the location's root and of a file
// in it, `{link}` the path of a download link to that file (the fuzzer could not guess them).
import FrontKit
import FuzzSupport
import ShareCore
import IISFiles

let auth = [("Access-Token", "Bearer fuzz-admin-token"), ("Content-Type", "application/json")]
let (service, ids): (IISFilesService, [String: String]) = {
    let store = FuzzStore.open()
    populate(store)
    let configuration = IISFilesConfiguration(account: "devstoreaccount1", adminToken: fuzzAdminToken)
    let service = runBlocking { () -> IISFilesService in
        do {
            return try await IISFilesService(store: store, configuration: configuration)
        } catch {
            fatalError("IIS Files service: \(error)")
        }
    }
    let location = #"{"alias":"site","path":"\\\\devstoreaccount1\\fuzz\\dir","claims":["read","write"]}"#
    _ = send(service, .post, "/api/files/locations", headers: auth, body: Array(location.utf8))
    var ids: [String: String] = [:]
    if let root = jsonField(send(service, .get, "/api/files", headers: auth).body, "id") {
        ids["root"] = root
        let children = send(service, .get, "/api/files?parent.id=\(root)", headers: auth).body
        ids["file"] = jsonField(children, "id")
    }
    if let file = ids["file"] {
        let link = send(service, .post, "/api/files/downloads", headers: auth,
                        body: Array(#"{"file":{"id":"\#(file)"},"ttl":86400000}"#.utf8))
        ids["link"] = link.headers[.location]
    }
    guard ids.count == 3 else { fatalError("IIS Files setup found no location root or file: \(ids)") }
    return (service, ids)
}()

@_cdecl("FuzzIIS_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzOne)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = substitute(input(data, size), ids)
    guard let wire = WireRequest.parse(bytes, defaultAuthority: "127.0.0.1:55539") else { return 0 }
    let request = wire.frontRequest()
    let front = service
    runBlocking { await drain(await front.respond(to: request)) }
    return 0
}
