import Dispatch
import Foundation
import FrontKit
import HTTPTypes
@testable import FileREST
import ShareCore

/// Runs async work to completion from libFuzzer's synchronous callback.
public func runBlocking<T>(_ work: @escaping @Sendable () async -> T) -> T {
    let box = Box<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = await work()
        done.signal()
    }
    done.wait()
    return box.value!
}

/// Carries a result out of the task that computed it.
final class Box<T>: @unchecked Sendable {
    var value: T?
    init() {}
}

/// Reads a response body as a client would, stopping after `limit` bytes (a client that hangs
/// up); a failure while streaming is what a client would see as a dropped connection.
public func drain(_ response: FrontResponse, limit: Int = 1 << 20) async {
    switch response.body {
    case .empty, .bytes:
        return
    case .stream(_, let chunks):
        var iterator = chunks.makeIterator()
        var read = 0
        while read < limit {
            guard let next = try? await iterator.next() else { return }
            read += next.count
        }
    }
}

/// A store for one fuzzing process, on tmpfs when there is one (syncs cost nothing there),
/// removed when it is renewed or the process exits.
public enum FuzzStore {
    nonisolated(unsafe) static var directories: Set<String> = []
    nonisolated(unsafe) static var cleanupRegistered = false

    /// Opens a new empty store.
    public static func open() -> ShareStore {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = base + "/sharecore-fuzz-\(getpid())-\(UUID().uuidString)"
        directories.insert(path)
        if !cleanupRegistered {
            cleanupRegistered = true
            atexit {
                for path in FuzzStore.directories { try? FileManager.default.removeItem(atPath: path) }
            }
        }
        return runBlocking {
            do {
                return try await ShareStore.open(at: path, options: StoreOptions(durability: .fast, mapSize: 16 << 30))
            } catch {
                fatalError("cannot open a store at \(path): \(error)")
            }
        }
    }

    /// Closes `store` and removes its directory.
    public static func discard(_ store: ShareStore) {
        runBlocking { await store.close() }
        let path = store.path
        directories.remove(path)
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A front over a fuzz store that is replaced by a new, freshly populated one every
/// `interval` executions. With one store for a whole run, what earlier inputs created
/// (objects, uploads, versions) piles up: late in a run of 10⁶ executions every listing read
/// thousands of objects and FuzzS3 fell from about 450 to under 100 executions a second. A
/// bounded store also keeps what an input does closer to what replaying it alone does. (Every
/// 1,000 was not enough for FuzzS3: one PUT of a key 250 folders deep makes every later
/// listing in the window walk that tree, and the run slowed to 100 executions a second.)
public final class RenewedFront<Front>: @unchecked Sendable {
    private let interval: Int
    private let make: (ShareStore) -> Front
    private var store: ShareStore
    private var front: Front
    private var executions = 0

    /// `make` builds the front on a new store (already populated with `populate`).
    public init(every interval: Int, _ make: @escaping (ShareStore) -> Front) {
        self.interval = interval
        self.make = make
        store = FuzzStore.open()
        populate(store)
        front = make(store)
    }

    /// The front for the next execution (on a new store once `interval` have run on this one).
    public func next() -> Front {
        executions += 1
        if executions % interval == 0 {
            FuzzStore.discard(store)
            store = FuzzStore.open()
            populate(store)
            front = make(store)
        }
        return front
    }
}

/// Puts a share `fuzz` with a directory, a file and a snapshot into `store` through the
/// FileREST front, so requests of every front find something to work on.
public func populate(_ store: ShareStore) {
    guard let configuration = FileRESTConfiguration() else { fatalError("FileREST configuration") }
    let service = FileRESTService(store: store, configuration: configuration)
    let requests: [(HTTPRequest.Method, String, [String: String], [UInt8])] = [
        (.put, "/fuzz?restype=share", [:], []),
        (.put, "/fuzz/dir?restype=directory", [:], []),
        (.put, "/fuzz/dir/file.txt", ["x-ms-type": "file", "x-ms-content-length": "11"], []),
        (.put, "/fuzz/dir/file.txt?comp=range", ["x-ms-range": "bytes=0-10", "x-ms-write": "update"], Array("hello world".utf8)),
        (.put, "/fuzz?restype=share&comp=snapshot", [:], []),
    ]
    for (method, path, headers, body) in requests {
        var fields = HTTPFields()
        for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        fields.append(HTTPField(name: .contentLength, value: String(body.count)))
        var head = HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1:10004",
                               path: "/" + configuration.account + path, headerFields: fields)
        signSharedKey(&head, configuration: configuration)
        let request = FrontRequest(head: head, body: RequestBody(bytes: body))
        let status = runBlocking { await service.respond(to: request).head.status.code }
        guard status < 300 else { fatalError("populating the fuzz store: \(method) \(path) answered \(status)") }
    }
}

/// Signs `head` with the account key as the Azure SDK does (Shared Key, `x-ms-date` now,
/// `x-ms-version` kept or set to the newest).
public func signSharedKey(_ head: inout HTTPRequest, configuration: FileRESTConfiguration) {
    head.headerFields.removeAll { ["authorization", "x-ms-date"].contains($0.name.canonicalName) }
    head.headerFields.append(HTTPField(name: HTTPField.Name("x-ms-date")!, value: HTTPDate.format(Date())))
    if !head.headerFields.contains(where: { $0.name.canonicalName == "x-ms-version" }) {
        head.headerFields.append(HTTPField(name: HTTPField.Name("x-ms-version")!, value: FileRESTService.newestVersion))
    }
    guard let parsed = try? FileRequest.parse(FrontRequest(head: head), account: configuration.account) else { return }
    let signature = SharedKey.sign(SharedKey.stringToSign(parsed), key: configuration.accountKey)
    head.headerFields.append(HTTPField(name: .authorization, value: "SharedKey \(configuration.account):\(signature)"))
}

/// The bearer token the Backup and IIS Files targets accept (the seeds carry it).
public let fuzzAdminToken = AdminToken("fuzz-admin-token")

/// Replaces each `{name}` placeholder of `map` in `bytes`: names the fuzzer cannot guess (sealed
/// ids, snapshot times) are filled in by the harness, so seeds can address real items.
public func substitute(_ bytes: [UInt8], _ map: [String: String]) -> [UInt8] {
    var out = bytes
    for (name, value) in map {
        let needle = Array("{\(name)}".utf8)
        let replacement = Array(value.utf8)
        var result: [UInt8] = []
        var index = 0
        while index < out.count {
            if out[index] == needle[0], index + needle.count <= out.count, Array(out[index..<(index + needle.count)]) == needle {
                result += replacement
                index += needle.count
            } else {
                result.append(out[index])
                index += 1
            }
        }
        out = result
    }
    return out
}

/// Sends one request to `front` and returns status, headers and body (for the harnesses' own setup).
public func send(_ front: some HTTPFront, _ method: HTTPRequest.Method, _ path: String, headers: [(String, String)] = [],
                 body: [UInt8] = []) -> (status: Int, headers: HTTPFields, body: [UInt8]) {
    var fields = HTTPFields()
    for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
    fields.append(HTTPField(name: .contentLength, value: String(body.count)))
    let head = HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1", path: path, headerFields: fields)
    let request = FrontRequest(head: head, body: RequestBody(bytes: body))
    return runBlocking {
        let response = await front.respond(to: request)
        var collected: [UInt8] = []
        switch response.body {
        case .empty: break
        case .bytes(let bytes): collected = bytes
        case .stream(_, let chunks):
            var iterator = chunks.makeIterator()
            while let next = try? await iterator.next() { collected += next }
        }
        return (Int(response.head.status.code), response.head.headerFields, collected)
    }
}

/// The first value of `field` in a JSON body, found by a plain text search (setup only).
public func jsonField(_ body: [UInt8], _ field: String) -> String? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(body)) else { return nil }
    var pending: [Any] = [object]
    while let next = pending.popLast() {
        if let dictionary = next as? [String: Any] {
            if let value = dictionary[field] as? String { return value }
            pending += Array(dictionary.values)
        } else if let array = next as? [Any] {
            pending += array.reversed()
        }
    }
    return nil
}
