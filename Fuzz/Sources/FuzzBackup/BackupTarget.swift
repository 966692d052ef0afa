// libFuzzer target: one Backup (Azure Backup restore API, JSON) request in wire format through
// BackupService.respond, the front's socket-free entry point, against a real store holding a
// share `fuzz` with a snapshot. The seeds carry the bearer token `fuzz-admin-token`; the
// placeholder `{point}` becomes the name of the share's recovery point (its snapshot time).
import FrontKit
import FuzzSupport
import ShareCore
import Backup

let vault = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v1"
let item = vault + "/backupFabrics/Azure/protectionContainers/StorageContainer;storage;rg;devstoreaccount1/protectedItems/AzureFileShare;fuzz"
let (service, names): (BackupService, [String: String]) = {
    let store = FuzzStore.open()
    populate(store)
    let service = BackupService(store: store, configuration: BackupConfiguration(account: "devstoreaccount1", adminToken: fuzzAdminToken))
    let points = send(service, .get, item + "/recoveryPoints?api-version=2019-05-13",
                      headers: [("Authorization", "Bearer fuzz-admin-token")])
    guard let point = jsonField(points.body, "name") else {
        fatalError("Backup setup found no recovery point: \(points.status) \(String(decoding: points.body, as: UTF8.self))")
    }
    return (service, ["point": point])
}()

@_cdecl("FuzzBackup_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzOne)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = substitute(input(data, size), names)
    guard let wire = WireRequest.parse(bytes, defaultAuthority: "127.0.0.1:10005") else { return 0 }
    let request = wire.frontRequest()
    let front = service
    runBlocking { await drain(await front.respond(to: request)) }
    return 0
}
