import FrontKit
import Foundation
import Testing
@testable import IISFiles
@testable import ShareCore

@Suite struct AuthTests {
    @Test func missingOrWrongTokenIs403WithBearerChallenge() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        for token in [nil, "wrong"] as [String?] {
            let r = try await h.send(.get, "/api/files", token: token)
            #expect(r.status == 403)
            #expect(r.header("WWW-Authenticate") == "Bearer")
            #expect(r.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            #expect(r.json?["title"] == .string("Unauthorized"))
        }
        let ok = try await h.send(.get, "/api/files", headers: ["Authorization": "bearer \(Harness.token)"], token: nil)
        #expect(ok.status == 200)
        #expect(ok.header("Cache-Control") == "public, max-age=0")
    }
}

@Suite struct ConfinementTests {
    @Test func nothingOutsideLocationsIsReachable() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        let share = h.store.share("data")
        try await share.createDirectory("private")
        try await share.createFile("private/secret.txt", length: 3)
        // A path outside every location, even through `..`.
        var r = try await h.send(.get, "/api/files?physical_path=\\\\devstoreaccount1\\data\\site\\..\\private\\secret.txt")
        #expect(r.status == 403)
        #expect(r.json?["name"] == .string("\\\\devstoreaccount1\\data\\private\\secret.txt"))
        // Escaping above the share is not a path at all.
        r = try await h.send(.get, "/api/files?physical_path=\\\\devstoreaccount1\\data\\..\\..\\x")
        #expect(r.status == 400)
        // A sealed id of a path outside the locations (as if leaked) is still refused.
        let outside = h.id("data", "private", "secret.txt")
        r = try await h.send(.get, "/api/files/\(outside)")
        #expect(r.status == 403)
        r = try await h.send(.get, "/api/files/content/\(outside)")
        #expect(r.status == 403)
        r = try await h.send(.delete, "/api/files/\(outside)")
        #expect(r.status == 403)
        #expect(try await share.exists("private/secret.txt"))
        // Forged and encoded-traversal ids do not open.
        for forged in ["Li4", "..%2F..%2Fprivate", "%2e%2e", Base64URL.encode(Array("f\ndata\nprivate".utf8))] {
            r = try await h.send(.get, "/api/files/\(forged)")
            #expect(r.status == 404, "\(forged)")
        }
        // Names are single segments: no creating through a separator.
        let site = h.id("data", "site")
        for name in ["../private/x", "..", "a\\b", "a/b", "%2e%2e"] where name != "%2e%2e" {
            r = try await h.send(.post, "/api/files", json: #"{"parent":{"id":"\#(site)"},"name":"\#(name.replacingOccurrences(of: "\\", with: "\\\\"))","type":"file"}"#)
            #expect(r.status == 400, "\(name)")
            #expect(r.json?["name"] == .string("model.name"))
        }
        // Copy into a directory outside the locations is refused.
        r = try await h.send(.post, "/api/files", json: #"{"parent":{"id":"\#(site)"},"name":"a.txt","type":"file"}"#)
        #expect(r.status == 201)
        let a = try #require(r.json?["id"]?.stringValue)
        r = try await h.send(.post, "/api/files/copy", json: #"{"file":{"id":"\#(a)"},"parent":{"id":"\#(h.id("data", "private"))"}}"#)
        #expect(r.status == 403)
        #expect(!(try await share.exists("private/a.txt")))
    }

    @Test func readOnlyLocationsRefuseWrites() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        try await h.store.share("data").createFile("ro/f.txt", length: 2)
        let ro = h.id("data", "ro")
        let f = h.id("data", "ro", "f.txt")
        var r = try await h.send(.post, "/api/files", json: #"{"parent":{"id":"\#(ro)"},"name":"n.txt","type":"file"}"#)
        #expect(r.status == 403)
        #expect(r.json?["detail"] == .string("Read-Only"))
        r = try await h.send(.put, "/api/files/content/\(f)", body: [1, 2, 3])
        #expect(r.status == 403)
        r = try await h.send(.patch, "/api/files/\(f)", json: #"{"name":"g.txt"}"#)
        #expect(r.status == 403)
        r = try await h.send(.patch, "/api/files/\(f)", json: #"{"last_modified":"2020-01-01T00:00:00Z"}"#)
        #expect(r.status == 403)
        r = try await h.send(.delete, "/api/files/\(f)")
        #expect(r.status == 403)
        r = try await h.send(.get, "/api/files/content/\(f)")
        #expect(r.status == 200)
        #expect(try await h.store.share("data").read("ro/f.txt") == [0, 0])
    }
}

@Suite struct NestedLocationTests {
    @Test func aNestedReadOnlyLocationProtectsItsTree() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        let share = h.store.share("data")
        try await share.createDirectory("site/outer")
        try await share.createDirectory("site/outer/frozen")
        try await share.createFile("site/outer/frozen/keep.txt", length: 4)
        try await Locations.save(Location(alias: "frozen", path: ItemPath(share: "data", components: ["site", "outer", "frozen"]),
                                          claims: [.read]), in: h.store)
        let outer = h.id("data", "site", "outer")
        var r = try await h.send(.delete, "/api/files/\(outer)")
        #expect(r.status == 403)
        #expect(r.json?["detail"] == .string("Read-Only"))
        r = try await h.send(.patch, "/api/files/\(outer)", json: #"{"name":"renamed"}"#)
        #expect(r.status == 403)
        r = try await h.send(.post, "/api/files/move", json: #"{"file":{"id":"\#(outer)"},"parent":{"id":"\#(h.id("data", "site"))"},"name":"m"}"#)
        #expect(r.status == 403)
        try await share.createDirectory("site/other")
        try await share.createDirectory("site/other/frozen")
        r = try await h.send(.post, "/api/files/copy", json: #"{"file":{"id":"\#(h.id("data", "site", "other"))"},"parent":{"id":"\#(h.id("data", "site"))"},"name":"outer"}"#)
        #expect(r.status == 403)
        #expect(try await share.exists("site/outer/frozen/keep.txt"))
        // Copying the tree elsewhere is reading it: allowed.
        r = try await h.send(.post, "/api/files/copy", json: #"{"file":{"id":"\#(outer)"},"parent":{"id":"\#(h.id("data", "site", "other"))"}}"#)
        #expect(r.status == 202)
    }
}

@Suite struct FilesRouteTests {
    @Test func rootsChildrenCreateRenameDelete() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        var r = try await h.send(.get, "/api/files")
        let roots = try #require(r.json?["files"]?.arrayValue)
        #expect(roots.map { $0["name"] } == [.string("ro"), .string("site")] || roots.map { $0["name"] } == [.string("site"), .string("ro")])
        let site = h.id("data", "site")
        r = try await h.send(.post, "/api/files", json: #"{"parent":{"id":"\#(site)"},"name":"Docs","type":"Directory"}"#)
        #expect(r.status == 201)
        let docs = try #require(r.json?["id"]?.stringValue)
        #expect(r.header("Location") == "/api/files/\(docs)")
        r = try await h.send(.post, "/api/files", json: #"{"parent":{"id":"\#(site)"},"name":"docs","type":"file"}"#)
        #expect(r.status == 409)
        #expect(r.json?["name"] == .string("name"))
        r = try await h.send(.post, "/api/files", json: #"{"parent":{"id":"\#(site)"},"name":"b.txt","type":"file"}"#)
        let b = try #require(r.json?["id"]?.stringValue)
        #expect(r.json?["size"] == .int(0))
        #expect(r.json?.at("parent.name") == .string("site"))
        #expect(r.json?["claims"] == .array([.string("read"), .string("write")]))
        r = try await h.send(.get, "/api/files?parent.id=\(site)")
        #expect(r.json?["files"]?.arrayValue?.map { $0["name"] } == [.string("Docs"), .string("b.txt")])
        #expect(r.header("X-Total-Count") == "2")
        r = try await h.send(.get, "/api/files?parent.id=\(site)", headers: ["Range": "files=1-1"])
        #expect(r.status == 200)
        #expect(r.header("Content-Range") == "1-1/2")
        #expect(r.json?["files"]?.arrayValue?.count == 1)
        r = try await h.send(.get, "/api/files?parent.id=\(site)", headers: ["Range": "files=1-2"])
        #expect(r.status == 416)
        // Rename: 209 + Location, new id.
        r = try await h.send(.patch, "/api/files?id=\(b)", json: #"{"name":"c.txt"}"#)
        #expect(r.status == 209)
        let c = h.id("data", "site", "c.txt")
        #expect(r.header("Location") == "/api/files/\(c)")
        r = try await h.send(.patch, "/api/files/\(c)", json: #"{"name":"Docs"}"#)
        #expect(r.status == 409)
        r = try await h.send(.patch, "/api/files/\(c)", json: #"{"last_access":"2021-02-03T04:05:06.5Z","created":"2020-01-01T00:00:00Z"}"#)
        #expect(r.status == 200)
        #expect(r.json?["last_access"] == .string("2021-02-03T04:05:06.5000000Z"))
        #expect(r.json?["created"] == .string("2020-01-01T00:00:00.0000000Z"))
        // Delete is recursive and idempotent; location roots are kept.
        try await h.store.share("data").createFile("site/Docs/x.txt", length: 1)
        r = try await h.send(.delete, "/api/files/\(docs)")
        #expect(r.status == 204)
        r = try await h.send(.delete, "/api/files/\(docs)")
        #expect(r.status == 204)
        r = try await h.send(.get, "/api/files/\(docs)")
        #expect(r.status == 404)
        r = try await h.send(.delete, "/api/files/\(site)")
        #expect(r.status == 403)
        // A location root keeps its name; its times may change.
        r = try await h.send(.patch, "/api/files/\(site)", json: #"{"name":"elsewhere"}"#)
        #expect(r.status == 403)
        #expect(r.json?["detail"] == .string("Location root"))
        r = try await h.send(.patch, "/api/files/\(site)", json: #"{"last_modified":"2022-02-02T02:02:02Z"}"#)
        #expect(r.status == 200)
        #expect(r.json?["last_modified"] == .string("2022-02-02T02:02:02.0000000Z"))
    }

    @Test func badBodiesChangeNothing() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        let site = h.id("data", "site")
        var r = try await h.send(.post, "/api/files", json: "null")
        #expect(r.status == 415)
        r = try await h.send(.post, "/api/files", json: "{not json")
        #expect(r.status == 400)
        r = try await h.send(.post, "/api/files", json: #"{"name":"a","type":"file"}"#)
        #expect(r.json?["name"] == .string("parent"))
        r = try await h.send(.post, "/api/files", json: #"{"parent":"x","name":"a","type":"file"}"#)
        #expect(r.json?["detail"] == .string("Expected object"))
        r = try await h.send(.post, "/api/files", json: #"{"parent":{},"name":"a","type":"file"}"#)
        #expect(r.json?["name"] == .string("parent.id"))
        r = try await h.send(.post, "/api/files", json: #"{"parent":{"id":"\#(site)"},"name":"a","type":"link"}"#)
        #expect(r.json?["name"] == .string("model.type"))
        r = try await h.send(.post, "/api/files", json: #"{"parent":{"id":"\#(site)"},"name":5,"type":"file"}"#)
        #expect(r.json?["name"] == .string("model.name"))
        r = try await h.send(.post, "/api/files", json: #"{"parent":{"id":"\#(h.id("data", "site", "nope"))"},"name":"a","type":"file"}"#)
        #expect(r.status == 404)
        #expect(r.json?["name"] == .string("parent"))
        #expect(try await h.store.share("data").list("site").entries.isEmpty)
    }

    @Test func contentRangesAndChunkedUploads() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        let share = h.store.share("data")
        try await share.createFile("site/f.bin")
        let f = h.id("data", "site", "f.bin")
        let data = (0..<1000).map { UInt8($0 % 251) }
        var r = try await h.send(.put, "/api/files/content/\(f)", headers: ["Content-Range": "bytes 0-499/1000"], body: Array(data[0..<500]))
        #expect(r.status == 200)
        r = try await h.send(.put, "/api/files/content/\(f)", headers: ["Content-Range": "bytes 500-999/1000"], body: Array(data[500...]))
        #expect(r.status == 200)
        #expect(try await share.read("site/f.bin") == data)
        // A hole before the chunk, a bad length, a bad header.
        r = try await h.send(.put, "/api/files/content/\(f)", headers: ["Content-Range": "bytes 2000-2009/3000"], body: Array(repeating: 1, count: 10))
        #expect(r.json?["name"] == .string("Content-Range"))
        r = try await h.send(.put, "/api/files/content/\(f)", headers: ["Content-Range": "bytes 0-9/1000"], body: Array(repeating: 1, count: 9))
        #expect(r.json?["name"] == .string("Content-Length"))
        #expect(try await share.read("site/f.bin") == data)
        // Ranges: strict a-b, unit-less Content-Range.
        r = try await h.send(.get, "/api/files/content/\(f)", headers: ["Range": "bytes=10-19"])
        #expect(r.status == 206)
        #expect(r.header("Content-Range") == "10-19/1000")
        #expect(r.body == Array(data[10..<20]))
        for bad in ["bytes=10-", "bytes=-10", "bytes=0-1000", "bytes=0-1,3-4"] {
            r = try await h.send(.get, "/api/files/content/\(f)", headers: ["Range": bad])
            #expect(r.status == 416, "\(bad)")
        }
        // Preconditions.
        let head = try await h.send(.head, "/api/files/content/\(f)")
        let etag = try #require(head.header("ETag"))
        r = try await h.send(.put, "/api/files/content/\(f)", headers: ["If-Match": "nope"], body: [1])
        #expect(r.status == 412)
        #expect(r.json?["name"] == .string("If-Match"))
        r = try await h.send(.put, "/api/files/content/\(f)", headers: ["If-None-Match": "*"], body: [1])
        #expect(r.status == 412)
        r = try await h.send(.put, "/api/files/content/\(f)", headers: ["If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"], body: [1])
        #expect(r.status == 412)
        #expect(try await share.read("site/f.bin") == data)
        // A whole PUT truncates to the body.
        r = try await h.send(.put, "/api/files/content/\(f)", headers: ["If-Match": etag], body: [9, 9])
        #expect(r.status == 200)
        #expect(try await share.read("site/f.bin") == [9, 9])
    }
}

@Suite struct OperationsRouteTests {
    @Test func copyMoveDownloadsLocationsAndWebsites() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        let share = h.store.share("data")
        try await share.createDirectory("site/src")
        try await share.createFile("site/src/a.txt")
        try await share.write("site/src/a.txt", at: 0, from: RequestBody(bytes: [1, 2, 3]), length: .endOfWrite)
        let site = h.id("data", "site")
        let src = h.id("data", "site", "src")
        // Copy a tree (polled until 404), then move a file.
        var r = try await h.send(.post, "/api/files/copy", json: #"{"file":{"id":"\#(src)"},"parent":{"id":"\#(site)"},"name":"dst"}"#,
                                 headers: ["Accept": "application/hal+json"])
        #expect(r.status == 202)
        let op = try #require(r.json?["id"]?.stringValue)
        #expect(r.json?.at("_links.self.href") == .string("/api/files/copy/\(op)"))
        var polls = 0
        while try await h.send(.get, "/api/files/copy/\(op)").status == 200 { polls += 1; try await Task.sleep(for: .milliseconds(10)) }
        #expect(try await share.read("site/dst/a.txt") == [1, 2, 3])
        r = try await h.send(.post, "/api/files/copy", json: #"{"file":{"id":"\#(src)"},"parent":{"id":"\#(src)"}}"#)
        #expect(r.status == 400)
        #expect(r.json?["detail"] == .string("The destination folder is a subfolder of the source"))
        r = try await h.send(.post, "/api/files/move", json: #"{"file":{"id":"\#(h.id("data", "site", "dst", "a.txt"))"},"parent":{"id":"\#(site)"}}"#)
        #expect(r.status == 202)
        let moveOp = try #require(r.json?["id"]?.stringValue)
        while try await h.send(.get, "/api/files/move/\(moveOp)").status == 200 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(try await share.read("site/a.txt") == [1, 2, 3])
        #expect(!(try await share.exists("site/dst/a.txt")))
        // A download link, anonymous, with RFC ranges; revoked by DELETE.
        r = try await h.send(.post, "/api/files/downloads", json: #"{"file":{"id":"\#(h.id("data", "site", "a.txt"))"},"ttl":60000}"#)
        #expect(r.status == 201)
        let link = try #require(r.header("Location"))
        r = try await h.send(.get, link, headers: ["Range": "bytes=-2"], token: nil)
        #expect(r.status == 206)
        #expect(r.body == [2, 3])
        #expect(r.header("Content-Range") == "bytes 1-2/3")
        #expect(try await h.send(.delete, link, token: nil).status == 204)
        #expect(try await h.send(.get, link, token: nil).status == 404)
        r = try await h.send(.post, "/api/files/downloads", json: #"{"file":{"id":"\#(site)"}}"#)
        #expect(r.status == 404)
        // Locations: list, a conflict, removal makes the tree unreachable.
        r = try await h.send(.get, "/api/files/locations")
        #expect(r.json?["locations"]?.arrayValue?.count == 2)
        r = try await h.send(.post, "/api/files/locations", json: #"{"alias":"SITE","path":"\\\\devstoreaccount1\\data\\other","claims":[]}"#)
        #expect(r.status == 409)
        #expect(r.json?["name"] == .string("alias"))
        // Websites: a site over the location, its root by the files link.
        r = try await h.send(.post, "/api/webserver/websites",
                             json: #"{"name":"Web","physical_path":"\\\\devstoreaccount1\\data\\site","bindings":[]}"#,
                             headers: ["Accept": "application/hal+json"])
        #expect(r.status == 201)
        let filesLink = try #require(r.json?.at("_links.files.href")?.stringValue)
        r = try await h.send(.get, filesLink)
        #expect(r.json?["type"] == .string("application"))
        #expect(r.json?.at("file_info.id") == .string(site))
        r = try await h.send(.delete, "/api/files/locations/\(site)")
        #expect(r.status == 204)
        #expect(try await h.send(.get, "/api/files/\(site)").status == 403)
        #expect(try await h.send(.get, filesLink).status == 403)
        _ = polls
    }
}
