// libFuzzer target: the strict, non-recursive XML parser every XML body goes through (Set
// Service Properties, Set Share ACL, DeleteObjects, CompleteMultipartUpload). Any input must
// give a document or an XMLSyntaxError, within the limits.
import FuzzSupport
import FrontKit

@_cdecl("FuzzXML_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzOne)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    if let root = try? XMLReader.parse(bytes, limits: XMLReader.Limits(maxBytes: 1 << 20, maxDepth: 32, maxElements: 10_000)) {
        // Walk what came out, as the operations do.
        var pending = [root]
        while let element = pending.popLast() {
            _ = element.name
            pending += element.children
        }
    }
    return 0
}
