// libFuzzer target: the JSON bodies of the Backup front (restore requests, policies, protection)
// and of the IIS Files front (create, update, copy, move, locations). The first byte picks the
// parser; any input must parse or be refused, never crash.
import Backup
import FuzzSupport
@testable import Backup
@testable import IISFiles

@_cdecl("FuzzJSON_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzOne)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let all = input(data, size)
    let bytes = Array(all.dropFirst())
    if all[0] & 1 == 0 {
        if let object = try? Backup.JSON.object(bytes), let properties = try? Backup.JSON.properties(object) {
            for name in properties.keys { _ = try? Backup.JSON.string(properties, name) }
        }
    } else if let value = IISFiles.JSON.parse(bytes) {
        _ = value.bytes
        _ = value["name"]?.stringValue
    }
    return 0
}
