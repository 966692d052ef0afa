import Foundation
import FrontKit
import Testing
@testable import FileREST
@testable import ShareCore

/// Directory and file operations of the FileREST front: success and error paths, headers and
/// XML as Azure Files writes them.
@Suite struct DirectoryFileTests {
    static let sddl = "O:BAG:SYD:(A;;FA;;;BA)(A;;FA;;;SY)"
    static let endpoint = "http://127.0.0.1:10004/devstoreaccount1/"

    /// A harness with share `docs`.
    private func make() async throws -> Harness {
        let h = try await Harness.make()
        try await h.store.createShare("docs")
        return h
    }

    private func createFile(_ h: Harness, _ path: String, length: Int = 0,
                            headers: [String: String] = [:]) async throws -> Harness.Reply {
        var all = ["x-ms-type": "file", "x-ms-content-length": String(length)]
        all.merge(headers) { _, new in new }
        return try await h.send(.put, "docs/\(path)", headers: all)
    }

    private func expectError(_ reply: Harness.Reply, _ status: Int, _ code: String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, sourceLocation: sourceLocation)
        #expect(reply.errorCode == code, sourceLocation: sourceLocation)
        if !reply.body.isEmpty { #expect(reply.xml?.value("Code") == code, sourceLocation: sourceLocation) }
        #expect(reply.header("x-ms-request-id") != nil, sourceLocation: sourceLocation)
    }

    // MARK: Create Directory

    @Test func createDirectoryReturnsItsProperties() async throws {
        let h = try await make()
        let r = try await h.send(.put, "docs/a?restype=directory", headers: ["x-ms-meta-Owner": "me", "x-ms-client-request-id": "req-42"])
        #expect(r.status == 201)
        #expect(r.header("x-ms-client-request-id") == "req-42")
        let info = try await h.store.share("docs").info("a")
        #expect(r.header("ETag") == "\"\(info.etag)\"")
        #expect(r.header("Last-Modified") == Headers.httpDate(info.lastModified))
        #expect(r.header("x-ms-request-server-encrypted") == "true")
        #expect(r.header("x-ms-file-attributes") == "Directory")
        #expect(r.header("x-ms-file-creation-time") == info.smb.creationTime.iso8601)
        #expect(r.header("x-ms-file-creation-time")?.count == 28)
        #expect(r.header("x-ms-file-id") == String(info.id))
        #expect(r.header("x-ms-file-parent-id") == "0")
        #expect(r.header("x-ms-file-permission-key") == FileRESTService.defaultPermissionKey)
        #expect(r.header("Content-Length") == "0")
        #expect(info.metadata["owner"] == "me")
        try await h.finish()
    }

    @Test func createDirectoryErrors() async throws {
        let h = try await make()
        #expect(try await h.send(.put, "docs/a?restype=directory").status == 201)
        expectError(try await h.send(.put, "docs/a?restype=directory"), 409, "ResourceAlreadyExists")
        expectError(try await h.send(.put, "docs/A?restype=directory"), 409, "ResourceAlreadyExists")
        expectError(try await h.send(.put, "docs/x/y?restype=directory"), 404, "ParentNotFound")
        #expect(try await createFile(h, "f").status == 201)
        expectError(try await h.send(.put, "docs/f?restype=directory"), 409, "ResourceTypeMismatch")
        expectError(try await h.send(.put, "docs/b?restype=directory", headers: ["x-ms-meta-1bad": "v"]), 400, "InvalidMetadata")
        expectError(try await h.send(.put, "docs/b?restype=directory", headers: ["x-ms-file-attributes": "Bogus"]),
                    400, "InvalidHeaderValue")
        expectError(try await h.send(.put, "docs/b?restype=directory", headers: ["x-ms-file-creation-time": "yesterday"]),
                    400, "InvalidHeaderValue")
        expectError(try await h.send(.put, "docs/b%3F?restype=directory"), 400, "InvalidResourceName")
        expectError(try await h.send(.put, "nosuch/b?restype=directory"), 404, "ShareNotFound")
        #expect(try await h.store.share("docs").exists("b") == false)
        try await h.finish()
    }

    @Test func createDirectoryWithSMBAndNFSProperties() async throws {
        let h = try await make()
        let r = try await h.send(.put, "docs/a?restype=directory", headers: [
            "x-ms-file-attributes": "Hidden|ReadOnly",
            "x-ms-file-creation-time": "2024-01-02T03:04:05.1234567Z",
            "x-ms-file-last-write-time": "2024-01-02T03:04:06Z",
            "x-ms-mode": "0750", "x-ms-owner": "1000", "x-ms-group": "100",
        ])
        #expect(r.status == 201)
        #expect(r.header("x-ms-file-attributes") == "ReadOnly | Hidden | Directory")
        #expect(r.header("x-ms-file-creation-time") == "2024-01-02T03:04:05.1234567Z")
        #expect(r.header("x-ms-file-last-write-time") == "2024-01-02T03:04:06.0000000Z")
        #expect(r.header("x-ms-mode") == "0750")
        #expect(r.header("x-ms-owner") == "1000")
        #expect(r.header("x-ms-group") == "100")
        let symbolic = try await h.send(.put, "docs/b?restype=directory", headers: ["x-ms-mode": "rwxr-s--T"])
        #expect(symbolic.header("x-ms-mode") == "3750")
        expectError(try await h.send(.put, "docs/c?restype=directory", headers: ["x-ms-mode": "0999"]), 400, "InvalidHeaderValue")
        expectError(try await h.send(.put, "docs/c?restype=directory", headers: ["x-ms-owner": "-1"]), 400, "InvalidHeaderValue")
        try await h.finish()
    }

    @Test func permissionsAreStoredAndKeyed() async throws {
        let h = try await make()
        let r = try await h.send(.put, "docs/a?restype=directory", headers: ["x-ms-file-permission": Self.sddl])
        #expect(r.status == 201)
        let key = try #require(r.header("x-ms-file-permission-key"))
        #expect(key != FileRESTService.defaultPermissionKey)
        #expect(try await h.store.permission(share: "docs", key: key) == Self.sddl)
        let props = try await h.send(.head, "docs/a?restype=directory")
        #expect(props.header("x-ms-file-permission-key") == key)
        // The key can be given to another item; "inherit" means the default.
        let byKey = try await createFile(h, "f", headers: ["x-ms-file-permission-key": key])
        #expect(byKey.header("x-ms-file-permission-key") == key)
        let inherit = try await h.send(.put, "docs/b?restype=directory", headers: ["x-ms-file-permission": "inherit"])
        #expect(inherit.header("x-ms-file-permission-key") == FileRESTService.defaultPermissionKey)
        let descriptor = Data(try SecurityDescriptor(sddl: Self.sddl).binary).base64EncodedString()
        let binary = try await h.send(.put, "docs/c?restype=directory", headers: [
            "x-ms-file-permission": descriptor, "x-ms-file-permission-format": "Binary"])
        #expect(binary.status == 201)
        // A binary descriptor is stored as binary, and read back as SDDL when asked so.
        let binaryKey = try #require(binary.header("x-ms-file-permission-key"))
        let asSDDL = try await h.send(.get, "docs?restype=share&comp=filepermission", headers: ["x-ms-file-permission-key": binaryKey])
        #expect(try JSONSerialization.jsonObject(with: Data(asSDDL.body)) as? [String: String] == ["permission": Self.sddl])
        expectError(try await h.send(.put, "docs/d?restype=directory", headers: [
            "x-ms-file-permission": Data("binary-descriptor".utf8).base64EncodedString(), "x-ms-file-permission-format": "Binary"]),
                    400, "InvalidHeaderValue")
        // Bad permissions change nothing.
        expectError(try await h.send(.put, "docs/d?restype=directory", headers: ["x-ms-file-permission-key": "1*2"]),
                    400, "InvalidHeaderValue")
        expectError(try await h.send(.put, "docs/d?restype=directory", headers: ["x-ms-file-permission": "not sddl"]),
                    400, "InvalidHeaderValue")
        expectError(try await h.send(.put, "docs/d?restype=directory",
                                     headers: ["x-ms-file-permission": Self.sddl, "x-ms-file-permission-key": key]),
                    400, "InvalidHeaderValue")
        expectError(try await h.send(.put, "docs/d?restype=directory",
                                     headers: ["x-ms-file-permission": Self.sddl, "x-ms-file-permission-format": "text"]),
                    400, "InvalidHeaderValue")
        expectError(try await h.send(.put, "docs/d?restype=directory",
                                     headers: ["x-ms-file-permission": "O:" + String(repeating: "A", count: 9000) + "G:D:"]),
                    400, "InvalidHeaderValue")
        #expect(try await h.store.share("docs").exists("d") == false)
        try await h.finish()
    }

    // MARK: Directory properties and metadata

    @Test func getDirectoryProperties() async throws {
        let h = try await make()
        _ = try await h.send(.put, "docs/a?restype=directory", headers: ["x-ms-meta-Color": "blue", "x-ms-meta-size": "L"])
        let r = try await h.send(.get, "docs/a?restype=directory")
        #expect(r.status == 200)
        #expect(r.header("x-ms-meta-Color") == "blue")
        #expect(r.header("x-ms-meta-size") == "L")
        #expect(r.header("x-ms-server-encrypted") == "true")
        #expect(r.header("x-ms-file-attributes") == "Directory")
        #expect(r.header("ETag")?.hasPrefix("\"0x") == true)
        #expect(r.body.isEmpty)
        let root = try await h.send(.head, "docs?restype=directory")
        #expect(root.status == 200)
        #expect(root.header("x-ms-file-id") == "0")
        expectError(try await h.send(.get, "docs/nope?restype=directory"), 404, "ResourceNotFound")
        expectError(try await h.send(.get, "docs/x/nope?restype=directory"), 404, "ParentNotFound")
        _ = try await createFile(h, "f")
        expectError(try await h.send(.get, "docs/f?restype=directory"), 404, "ResourceNotFound")
        let head = try await h.send(.head, "docs/nope?restype=directory")
        #expect(head.status == 404)
        #expect(head.errorCode == "ResourceNotFound")
        #expect(head.body.isEmpty)
        try await h.finish()
    }

    @Test func propertiesAreReadAtASnapshot() async throws {
        let h = try await make()
        _ = try await h.send(.put, "docs/a?restype=directory", headers: ["x-ms-meta-v": "1"])
        _ = try await createFile(h, "a/f", length: 3, headers: ["x-ms-meta-v": "1"])
        let snapshot = try await h.store.createSnapshot(of: "docs").name
        _ = try await h.send(.put, "docs/a?restype=directory&comp=metadata", headers: ["x-ms-meta-v": "2"])
        #expect(try await h.send(.delete, "docs/a/f").status == 202)
        let query = "sharesnapshot=" + snapshot
        let dir = try await h.send(.get, "docs/a?restype=directory&" + query)
        #expect(dir.header("x-ms-meta-v") == "1")
        let file = try await h.send(.head, "docs/a/f?" + query)
        #expect(file.status == 200)
        #expect(file.header("Content-Length") == "3")
        let list = try await h.send(.get, "docs/a?restype=directory&comp=list&" + query)
        #expect(list.text.contains("ShareSnapshot=\"\(snapshot)\""))
        #expect(list.xml?.child("Entries")?.children("File").count == 1)
        expectError(try await h.send(.put, "docs/a?restype=directory&comp=metadata&" + query), 400, "InvalidQueryParameterValue")
        try await h.finish()
    }

    @Test func setDirectoryProperties() async throws {
        let h = try await make()
        _ = try await h.send(.put, "docs/a?restype=directory", headers: ["x-ms-meta-keep": "yes"])
        let r = try await h.send(.put, "docs/a?restype=directory&comp=properties", headers: [
            "x-ms-file-attributes": "Hidden", "x-ms-file-creation-time": "2020-05-06T07:08:09.0000001Z",
            "x-ms-file-last-write-time": "preserve", "x-ms-file-permission": Self.sddl])
        #expect(r.status == 200)
        #expect(r.header("x-ms-file-attributes") == "Hidden | Directory")
        #expect(r.header("x-ms-file-creation-time") == "2020-05-06T07:08:09.0000001Z")
        #expect(r.header("x-ms-request-server-encrypted") == "true")
        #expect(r.header("x-ms-file-permission-key") == ShareStore.permissionKey(Self.sddl))
        let info = try await h.store.share("docs").info("a")
        #expect(info.metadata["keep"] == "yes")
        // "preserve" everywhere changes only the change time.
        let preserved = try await h.send(.put, "docs/a?restype=directory&comp=properties", headers: [
            "x-ms-file-attributes": "preserve", "x-ms-file-creation-time": "preserve", "x-ms-file-permission": "preserve"])
        #expect(preserved.header("x-ms-file-attributes") == "Hidden | Directory")
        #expect(preserved.header("x-ms-file-permission-key") == ShareStore.permissionKey(Self.sddl))
        expectError(try await h.send(.put, "docs/nope?restype=directory&comp=properties"), 404, "ResourceNotFound")
        _ = try await createFile(h, "f")
        expectError(try await h.send(.put, "docs/f?restype=directory&comp=properties"), 404, "ResourceNotFound")
        try await h.finish()
    }

    @Test func directoryMetadata() async throws {
        let h = try await make()
        _ = try await h.send(.put, "docs/a?restype=directory", headers: ["x-ms-meta-old": "1"])
        let set = try await h.send(.put, "docs/a?restype=directory&comp=metadata", headers: ["x-ms-meta-New": "2"])
        #expect(set.status == 200)
        #expect(set.header("ETag")?.hasPrefix("\"0x") == true)
        #expect(set.header("x-ms-request-server-encrypted") == "true")
        let get = try await h.send(.get, "docs/a?restype=directory&comp=metadata")
        #expect(get.status == 200)
        #expect(get.header("x-ms-meta-New") == "2")
        #expect(get.header("x-ms-meta-old") == nil)
        #expect(get.header("ETag") == set.header("ETag"))
        let cleared = try await h.send(.put, "docs/a?restype=directory&comp=metadata")
        #expect(cleared.status == 200)
        #expect(try await h.store.share("docs").info("a").metadata.isEmpty)
        expectError(try await h.send(.put, "docs/a?restype=directory&comp=metadata", headers: ["x-ms-meta-a-b": "x"]),
                    400, "InvalidMetadata")
        expectError(try await h.send(.get, "docs/nope?restype=directory&comp=metadata"), 404, "ResourceNotFound")
        try await h.finish()
    }

    @Test func deleteDirectory() async throws {
        let h = try await make()
        _ = try await h.send(.put, "docs/a?restype=directory")
        _ = try await h.send(.put, "docs/a/b?restype=directory")
        expectError(try await h.send(.delete, "docs/a?restype=directory"), 409, "DirectoryNotEmpty")
        let deleted = try await h.send(.delete, "docs/a/b?restype=directory")
        #expect(deleted.status == 202)
        #expect(deleted.header("x-ms-request-id") != nil)
        #expect(try await h.send(.delete, "docs/a?restype=directory").status == 202)
        expectError(try await h.send(.delete, "docs/a?restype=directory"), 404, "ResourceNotFound")
        expectError(try await h.send(.delete, "docs/x/y?restype=directory"), 404, "ParentNotFound")
        _ = try await createFile(h, "f")
        expectError(try await h.send(.delete, "docs/f?restype=directory"), 404, "ResourceNotFound")
        #expect(try await h.store.share("docs").exists("f"))
        try await h.finish()
    }

    // MARK: List Directories and Files

    @Test func listingXMLIsExact() async throws {
        let h = try await make()
        _ = try await h.send(.put, "docs/a?restype=directory")
        _ = try await createFile(h, "b.txt", length: 5)
        let share = h.store.share("docs")
        let a = try await share.info("a")
        let b = try await share.info("b.txt")
        let r = try await h.send(.get, "docs?restype=directory&comp=list")
        #expect(r.status == 200)
        #expect(r.header("Content-Type") == "application/xml")
        let expected = "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?>"
            + "<EnumerationResults ServiceEndpoint=\"\(Self.endpoint)\" ShareName=\"docs\" DirectoryPath=\"\">"
            + "<DirectoryId>0</DirectoryId><Entries>"
            + "<Directory><Name>a</Name><FileId>\(a.id)</FileId><Properties /></Directory>"
            + "<File><Name>b.txt</Name><FileId>\(b.id)</FileId><Properties><Content-Length>5</Content-Length></Properties></File>"
            + "</Entries><NextMarker /></EnumerationResults>"
        #expect(r.text == expected)
        // The share URL without restype lists the root too.
        let bare = try await h.send(.get, "docs?comp=list")
        #expect(bare.text == expected)
        try await h.finish()
    }

    /// Without `include` a listing reads names, ids and sizes from the directory's entries
    /// (`listSummaries`): a resize shows in it at once, as in a listing with properties, and
    /// the two agree on every entry's name, id and length.
    @Test func listingWithoutIncludeFollowsResizes() async throws {
        let h = try await make()
        _ = try await createFile(h, "f", length: 5)
        _ = try await h.send(.put, "docs/d?restype=directory")
        let resized = try await h.send(.put, "docs/f?comp=properties", headers: [
            "x-ms-content-length": "4096", "x-ms-file-permission": "preserve",
            "x-ms-file-attributes": "preserve", "x-ms-file-creation-time": "preserve", "x-ms-file-last-write-time": "preserve"])
        #expect(resized.status == 200)
        let f = try await h.store.share("docs").info("f")
        let d = try await h.store.share("docs").info("d")
        let plain = try await h.send(.get, "docs?restype=directory&comp=list")
        #expect(plain.text.contains("<Directory><Name>d</Name><FileId>\(d.id)</FileId><Properties /></Directory>"
            + "<File><Name>f</Name><FileId>\(f.id)</FileId><Properties><Content-Length>4096</Content-Length></Properties></File>"))
        let full = try await h.send(.get, "docs?restype=directory&comp=list&include=etag")
        #expect(full.text.contains("<File><Name>f</Name><FileId>\(f.id)</FileId><Properties><Content-Length>4096</Content-Length><Etag>"))
        try await h.finish()
    }

    @Test func listingWithIncludeAndExtendedInfo() async throws {
        let h = try await make()
        _ = try await h.send(.put, "docs/d?restype=directory", headers: ["x-ms-file-permission": Self.sddl])
        _ = try await h.send(.put, "docs/d/sub?restype=directory")
        _ = try await createFile(h, "d/f", length: 7, headers: ["x-ms-file-attributes": "ReadOnly|Archive"])
        let share = h.store.share("docs")
        let d = try await share.info("d")
        let sub = try await share.info("d/sub")
        let f = try await share.info("d/f")
        let r = try await h.send(.get, "docs/d?restype=directory&comp=list&include=Timestamps,ETag,Attributes,PermissionKey")
        #expect(r.status == 200)
        func props(_ i: NodeInfo) -> String {
            "<CreationTime>\(i.smb.creationTime.iso8601)</CreationTime><LastAccessTime>\(i.smb.lastWriteTime.iso8601)</LastAccessTime>"
                + "<LastWriteTime>\(i.smb.lastWriteTime.iso8601)</LastWriteTime><ChangeTime>\(i.smb.changeTime.iso8601)</ChangeTime>"
                + "<Last-Modified>\(Headers.httpDate(i.lastModified))</Last-Modified><Etag>\"\(i.etag)\"</Etag>"
        }
        let key = FileRESTService.defaultPermissionKey
        let expected = "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?>"
            + "<EnumerationResults ServiceEndpoint=\"\(Self.endpoint)\" ShareName=\"docs\" DirectoryPath=\"d\">"
            + "<DirectoryId>\(d.id)</DirectoryId><Entries>"
            + "<File><Name>f</Name><FileId>\(f.id)</FileId><Properties><Content-Length>7</Content-Length>\(props(f))</Properties>"
            + "<Attributes>ReadOnly | Archive</Attributes><PermissionKey>\(key)</PermissionKey></File>"
            + "<Directory><Name>sub</Name><FileId>\(sub.id)</FileId><Properties>\(props(sub))</Properties>"
            + "<Attributes>Directory</Attributes><PermissionKey>\(key)</PermissionKey></Directory>"
            + "</Entries><NextMarker /></EnumerationResults>"
        #expect(r.text == expected)
        // Only the ETag asked for.
        let etagOnly = try await h.send(.get, "docs/d?restype=directory&comp=list&include=etag")
        #expect(etagOnly.text.contains("<Directory><Name>sub</Name><FileId>\(sub.id)</FileId><Properties><Etag>\"\(sub.etag)\"</Etag></Properties></Directory>"))
        // An old version without extended info shows no ids; the header brings them back.
        let old = try await h.send(.get, "docs/d?restype=directory&comp=list", version: "2019-12-12")
        #expect(!old.text.contains("FileId"))
        #expect(!old.text.contains("DirectoryId"))
        let extended = try await h.send(.get, "docs/d?restype=directory&comp=list", headers: ["x-ms-file-extended-info": "true"],
                                        version: "2019-12-12")
        #expect(extended.text.contains("<DirectoryId>\(d.id)</DirectoryId>"))
        #expect(extended.text.contains("<FileId>\(f.id)</FileId>"))
        expectError(try await h.send(.get, "docs/d?restype=directory&comp=list&include=sizes"), 400, "InvalidQueryParameterValue")
        expectError(try await h.send(.get, "docs/d?restype=directory&comp=list", headers: ["x-ms-file-extended-info": "maybe"]),
                    400, "InvalidHeaderValue")
        try await h.finish()
    }

    @Test func listingPagesWithMarkerAndPrefix() async throws {
        let h = try await make()
        for name in ["a1", "a2", "a3", "b1", "A4"] { _ = try await createFile(h, name) }
        _ = try await h.send(.put, "docs/a0?restype=directory")
        var names: [String] = []
        var marker: String?
        var pages = 0
        repeat {
            let query = "docs?restype=directory&comp=list&prefix=a&maxresults=2" + (marker.map { "&marker=" + RequestTarget.percentEncode($0) } ?? "")
            let r = try await h.send(.get, query)
            #expect(r.status == 200)
            let xml = try #require(r.xml)
            #expect(xml.value("Prefix") == "a")
            #expect(xml.value("MaxResults") == "2")
            #expect(xml.value("Marker") == marker)
            let entries = try #require(xml.child("Entries"))
            #expect(entries.children.count <= 2)
            names += entries.children.compactMap { $0.value("Name") }
            let next = xml.value("NextMarker") ?? ""
            marker = next.isEmpty ? nil : next
            pages += 1
        } while marker != nil && pages < 10
        #expect(names == ["a0", "a1", "a2", "a3", "A4"])
        #expect(pages == 3)
        // A page size over 5,000 is served as 5,000; zero and junk are refused.
        #expect(try await h.send(.get, "docs?restype=directory&comp=list&maxresults=9000").status == 200)
        expectError(try await h.send(.get, "docs?restype=directory&comp=list&maxresults=0"), 400, "OutOfRangeQueryParameterValue")
        expectError(try await h.send(.get, "docs?restype=directory&comp=list&maxresults=ten"), 400, "InvalidQueryParameterValue")
        expectError(try await h.send(.get, "docs?restype=directory&comp=list&marker=bogus"), 400, "InvalidQueryParameterValue")
        expectError(try await h.send(.get, "docs/nope?restype=directory&comp=list"), 404, "ResourceNotFound")
        expectError(try await h.send(.get, "docs/a1?restype=directory&comp=list"), 404, "ResourceNotFound")
        let empty = try await h.send(.get, "docs/a0?restype=directory&comp=list")
        #expect(empty.text.hasSuffix("<Entries /><NextMarker /></EnumerationResults>"))
        try await h.finish()
    }

    @Test func namesXMLCannotCarryAreEncoded() async throws {
        let h = try await make()
        _ = try await h.send(.put, "docs/d%EF%BF%BEx?restype=directory")
        _ = try await createFile(h, "d%EF%BF%BEx/f%EF%BF%BE1")
        _ = try await createFile(h, "d%EF%BF%BEx/plain")
        let r = try await h.send(.get, "docs/d%EF%BF%BEx?restype=directory&comp=list&prefix=f%EF%BF%BE")
        #expect(r.status == 200)
        #expect(r.text.contains("ShareName=\"docs\" Encoded=\"true\" DirectoryPath=\"d%EF%BF%BEx\">"))
        #expect(r.text.contains("<Prefix Encoded=\"true\">f%EF%BF%BE</Prefix>"))
        #expect(r.text.contains("<Name Encoded=\"true\">f%EF%BF%BE1</Name>"))
        let all = try await h.send(.get, "docs/d%EF%BF%BEx?restype=directory&comp=list")
        #expect(all.text.contains("<Name>plain</Name>"))
        try await h.finish()
    }

    // MARK: Handles

    @Test func handlesAreAlwaysNone() async throws {
        let h = try await make()
        _ = try await h.send(.put, "docs/d?restype=directory")
        _ = try await createFile(h, "d/f")
        let expected = "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults><Entries /><NextMarker /></EnumerationResults>"
        let dir = try await h.send(.get, "docs/d?restype=directory&comp=listhandles", headers: ["x-ms-recursive": "true"])
        #expect(dir.status == 200)
        #expect(dir.text == expected)
        let file = try await h.send(.get, "docs/d/f?comp=listhandles")
        #expect(file.text == expected)
        // The SDKs address directories (and the root) here without restype=directory.
        #expect(try await h.send(.get, "docs/d?comp=listhandles").text == expected)
        #expect(try await h.send(.get, "docs?comp=listhandles").text == expected)
        let rootClose = try await h.send(.put, "docs?comp=forceclosehandles", headers: ["x-ms-handle-id": "*"])
        #expect(rootClose.status == 200)
        #expect(rootClose.header("x-ms-number-of-handles-closed") == "0")
        let close = try await h.send(.put, "docs/d?restype=directory&comp=forceclosehandles", headers: ["x-ms-handle-id": "*"])
        #expect(close.status == 200)
        #expect(close.header("x-ms-number-of-handles-closed") == "0")
        #expect(close.header("x-ms-number-of-handles-failed") == "0")
        let closeFile = try await h.send(.put, "docs/d/f?comp=forceclosehandles", headers: ["x-ms-handle-id": "12345"])
        #expect(closeFile.header("x-ms-number-of-handles-closed") == "0")
        expectError(try await h.send(.put, "docs/d/f?comp=forceclosehandles"), 400, "MissingRequiredHeader")
        expectError(try await h.send(.get, "docs/nope?restype=directory&comp=listhandles"), 404, "ResourceNotFound")
        expectError(try await h.send(.get, "docs/d/nope?comp=listhandles"), 404, "ResourceNotFound")
        expectError(try await h.send(.get, "docs/d?comp=listhandles&maxresults=0"), 400, "OutOfRangeQueryParameterValue")
        try await h.finish()
    }

    // MARK: Create File and properties

    @Test func createFileAndGetProperties() async throws {
        let h = try await make()
        let md5 = Data(repeating: 1, count: 16).base64EncodedString()
        let r = try await createFile(h, "f.txt", length: 1024, headers: [
            "x-ms-content-type": "text/plain", "x-ms-content-encoding": "gzip", "x-ms-content-language": "en",
            "x-ms-content-disposition": "inline", "x-ms-cache-control": "no-cache", "x-ms-content-md5": md5,
            "x-ms-meta-a": "1"])
        #expect(r.status == 201)
        #expect(r.header("x-ms-file-attributes") == "Archive")
        #expect(r.header("x-ms-request-server-encrypted") == "true")
        #expect(r.header("ETag")?.hasPrefix("\"0x") == true)
        let p = try await h.send(.head, "docs/f.txt")
        #expect(p.status == 200)
        #expect(p.body.isEmpty)
        #expect(p.header("Content-Length") == "1024")
        #expect(p.header("Content-Type") == "text/plain")
        #expect(p.header("Content-Encoding") == "gzip")
        #expect(p.header("Content-Language") == "en")
        #expect(p.header("Content-Disposition") == "inline")
        #expect(p.header("Cache-Control") == "no-cache")
        #expect(p.header("Content-MD5") == md5)
        #expect(p.header("x-ms-type") == "File")
        #expect(p.header("x-ms-meta-a") == "1")
        #expect(p.header("x-ms-server-encrypted") == "true")
        #expect(p.header("x-ms-lease-status") == "unlocked")
        #expect(p.header("x-ms-lease-state") == "available")
        #expect(p.header("x-ms-lease-duration") == nil)
        #expect(p.header("ETag") == r.header("ETag"))
        #expect(p.header("x-ms-file-id") == r.header("x-ms-file-id"))
        // A file created without a content type is application/octet-stream.
        _ = try await createFile(h, "g")
        #expect(try await h.send(.head, "docs/g").header("Content-Type") == "application/octet-stream")
        try await h.finish()
    }

    @Test func createFileReplacesAnExistingFile() async throws {
        let h = try await make()
        _ = try await createFile(h, "f", length: 10, headers: ["x-ms-meta-v": "1"])
        try await h.store.share("docs").write("f", at: 0, [1, 2, 3])
        let again = try await createFile(h, "f", length: 4)
        #expect(again.status == 201)
        let share = h.store.share("docs")
        #expect(try await share.info("f").size == 4)
        #expect(try await share.info("f").metadata.isEmpty)
        #expect(try await share.read("f") == [0, 0, 0, 0])
        try await h.finish()
    }

    @Test func createFileErrors() async throws {
        let h = try await make()
        expectError(try await h.send(.put, "docs/f", headers: ["x-ms-content-length": "1"]), 400, "MissingRequiredHeader")
        expectError(try await h.send(.put, "docs/f", headers: ["x-ms-type": "directory", "x-ms-content-length": "1"]),
                    400, "InvalidHeaderValue")
        expectError(try await h.send(.put, "docs/f", headers: ["x-ms-type": "file"]), 400, "MissingRequiredHeader")
        expectError(try await h.send(.put, "docs/f", headers: ["x-ms-type": "file", "x-ms-content-length": "-1"]),
                    400, "InvalidHeaderValue")
        expectError(try await h.send(.put, "docs/f", headers: ["x-ms-type": "file", "x-ms-content-length": "4398046511105"]),
                    400, "OutOfRangeInput")
        expectError(try await createFile(h, "f", headers: ["x-ms-content-md5": "short"]), 400, "InvalidHeaderValue")
        expectError(try await createFile(h, "f", headers: ["x-ms-meta-": "x", "x-ms-meta-bad-name": "x"]), 400, "InvalidMetadata")
        expectError(try await createFile(h, "nodir/f"), 404, "ParentNotFound")
        _ = try await h.send(.put, "docs/d?restype=directory")
        expectError(try await createFile(h, "d"), 409, "ResourceTypeMismatch")
        #expect(try await h.store.share("docs").exists("f") == false)
        #expect(try await createFile(h, "big", length: 4 << 40).status == 201)
        try await h.finish()
    }

    @Test func getFilePropertiesErrors() async throws {
        let h = try await make()
        _ = try await h.send(.put, "docs/d?restype=directory")
        let missing = try await h.send(.head, "docs/nope")
        #expect(missing.status == 404)
        #expect(missing.errorCode == "ResourceNotFound")
        #expect(try await h.send(.head, "docs/d").errorCode == "ResourceNotFound")
        #expect(try await h.send(.head, "docs/x/f").errorCode == "ParentNotFound")
        try await h.finish()
    }

    @Test func setFilePropertiesReplacesContentHeadersTogether() async throws {
        let h = try await make()
        _ = try await createFile(h, "f", length: 8, headers: ["x-ms-content-type": "a/b", "x-ms-cache-control": "max-age=1"])
        try await h.store.share("docs").write("f", at: 0, Array(repeating: 9, count: 8))
        // Only a length: the content headers stay, the file is resized.
        let resized = try await h.send(.put, "docs/f?comp=properties", headers: [
            "x-ms-content-length": "3", "x-ms-file-permission": "preserve",
            "x-ms-file-attributes": "preserve", "x-ms-file-creation-time": "preserve", "x-ms-file-last-write-time": "preserve"])
        #expect(resized.status == 200)
        #expect(resized.header("x-ms-request-server-encrypted") == "true")
        var p = try await h.send(.head, "docs/f")
        #expect(p.header("Content-Length") == "3")
        #expect(p.header("Content-Type") == "a/b")
        #expect(p.header("Cache-Control") == "max-age=1")
        #expect(try await h.store.share("docs").read("f") == [9, 9, 9])
        // One content header given: the others are cleared.
        _ = try await h.send(.put, "docs/f?comp=properties", headers: ["x-ms-content-language": "de"])
        p = try await h.send(.head, "docs/f")
        #expect(p.header("Content-Language") == "de")
        #expect(p.header("Content-Type") == nil)
        #expect(p.header("Cache-Control") == nil)
        #expect(p.header("Content-Length") == "3")
        // SMB properties.
        let smb = try await h.send(.put, "docs/f?comp=properties", headers: [
            "x-ms-file-attributes": "ReadOnly", "x-ms-file-last-write-time": "2021-02-03T04:05:06.7000000Z",
            "x-ms-file-change-time": "2021-02-03T04:05:07Z"])
        #expect(smb.header("x-ms-file-attributes") == "ReadOnly")
        #expect(smb.header("x-ms-file-last-write-time") == "2021-02-03T04:05:06.7000000Z")
        #expect(smb.header("x-ms-file-change-time") == "2021-02-03T04:05:07.0000000Z")
        expectError(try await h.send(.put, "docs/f?comp=properties", headers: ["x-ms-content-length": "x"]), 400, "InvalidHeaderValue")
        expectError(try await h.send(.put, "docs/nope?comp=properties"), 404, "ResourceNotFound")
        _ = try await h.send(.put, "docs/d?restype=directory")
        expectError(try await h.send(.put, "docs/d?comp=properties", headers: ["x-ms-content-length": "1"]), 404, "ResourceNotFound")
        try await h.finish()
    }

    @Test func fileMetadata() async throws {
        let h = try await make()
        _ = try await createFile(h, "f", headers: ["x-ms-meta-a": "1"])
        let set = try await h.send(.put, "docs/f?comp=metadata", headers: ["x-ms-meta-B": "2", "x-ms-meta-c": "3"])
        #expect(set.status == 200)
        #expect(set.header("x-ms-request-server-encrypted") == "true")
        let get = try await h.send(.get, "docs/f?comp=metadata")
        #expect(get.status == 200)
        #expect(get.header("x-ms-meta-B") == "2")
        #expect(get.header("x-ms-meta-c") == "3")
        #expect(get.header("x-ms-meta-a") == nil)
        #expect(get.header("ETag") == set.header("ETag"))
        expectError(try await h.send(.put, "docs/f?comp=metadata", headers: ["x-ms-meta-9": "x"]), 400, "InvalidMetadata")
        expectError(try await h.send(.get, "docs/nope?comp=metadata"), 404, "ResourceNotFound")
        try await h.finish()
    }

    @Test func deleteFile() async throws {
        let h = try await make()
        _ = try await createFile(h, "f", length: 5)
        #expect(try await h.send(.delete, "docs/f").status == 202)
        expectError(try await h.send(.delete, "docs/f"), 404, "ResourceNotFound")
        expectError(try await h.send(.delete, "docs/x/f"), 404, "ParentNotFound")
        _ = try await h.send(.put, "docs/d?restype=directory")
        expectError(try await h.send(.delete, "docs/d"), 404, "ResourceNotFound")
        #expect(try await h.store.share("docs").exists("d"))
        try await h.finish()
    }

    @Test func leasesGuardFileChanges() async throws {
        let h = try await make()
        _ = try await createFile(h, "f", length: 5)
        let lease = "11111111-2222-3333-4444-555555555555"
        _ = try await h.store.share("docs").lease("f", .acquire(proposedId: lease, duration: nil))
        let p = try await h.send(.head, "docs/f")
        #expect(p.header("x-ms-lease-status") == "locked")
        #expect(p.header("x-ms-lease-state") == "leased")
        #expect(p.header("x-ms-lease-duration") == "infinite")
        expectError(try await h.send(.put, "docs/f?comp=properties", headers: ["x-ms-content-length": "1"]), 412, "LeaseIdMissing")
        expectError(try await h.send(.put, "docs/f?comp=metadata", headers: ["x-ms-meta-a": "1"]), 412, "LeaseIdMissing")
        expectError(try await h.send(.delete, "docs/f"), 412, "LeaseIdMissing")
        expectError(try await createFile(h, "f"), 412, "LeaseIdMissing")
        expectError(try await h.send(.put, "docs/f?comp=properties", headers: ["x-ms-lease-id": "99999999-2222-3333-4444-555555555555"]),
                    412, "LeaseIdMismatchWithFileOperation")
        #expect(try await h.store.share("docs").info("f").size == 5)
        let ok = try await h.send(.put, "docs/f?comp=properties", headers: ["x-ms-content-length": "1", "x-ms-lease-id": lease])
        #expect(ok.status == 200)
        #expect(try await h.send(.delete, "docs/f", headers: ["x-ms-lease-id": lease]).status == 202)
        try await h.finish()
    }

    // MARK: Rename

    @Test func renameFile() async throws {
        let h = try await make()
        _ = try await h.send(.put, "docs/d?restype=directory")
        _ = try await createFile(h, "a", length: 3, headers: ["x-ms-content-type": "text/plain", "x-ms-meta-v": "1"])
        let source = "http://127.0.0.1:10004/devstoreaccount1/docs/a"
        let r = try await h.send(.put, "docs/d/b?comp=rename", headers: [
            "x-ms-file-rename-source": source, "x-ms-content-type": "text/csv", "x-ms-meta-w": "2",
            "x-ms-file-attributes": "Hidden"])
        #expect(r.status == 200)
        #expect(r.header("x-ms-file-attributes") == "Hidden")
        #expect(r.header("x-ms-request-server-encrypted") == "true")
        let share = h.store.share("docs")
        #expect(try await share.exists("a") == false)
        let b = try await share.info("d/b")
        #expect(b.contentHeaders.contentType == "text/csv")
        #expect(b.metadata == ["w": "2"])
        #expect(b.size == 3)
        #expect(r.header("x-ms-file-id") == String(b.id))
        let d = try await share.info("d")
        #expect(r.header("x-ms-file-parent-id") == String(d.id))
        // Path forms of the source.
        #expect(try await h.send(.put, "docs/c?comp=rename", headers: ["x-ms-file-rename-source": "/docs/d/b"]).status == 200)
        #expect(try await h.send(.put, "docs/e?comp=rename", headers: ["x-ms-file-rename-source": "c?sv=2020&sig=x"]).status == 200)
        #expect(try await h.send(.put, "docs/g?comp=rename",
                                 headers: ["x-ms-file-rename-source": "https://devstoreaccount1.file.core.windows.net/docs/e"]).status == 200)
        #expect(try await share.exists("g"))
        try await h.finish()
    }

    @Test func renameFileErrors() async throws {
        let h = try await make()
        _ = try await createFile(h, "a", length: 1)
        _ = try await createFile(h, "b", length: 2, headers: ["x-ms-file-attributes": "ReadOnly"])
        _ = try await h.send(.put, "docs/d?restype=directory")
        let source = ["x-ms-file-rename-source": "http://127.0.0.1:10004/devstoreaccount1/docs/a"]
        expectError(try await h.send(.put, "docs/b?comp=rename", headers: source), 409, "ResourceAlreadyExists")
        var replace = source
        replace["x-ms-file-rename-replace-if-exists"] = "true"
        expectError(try await h.send(.put, "docs/b?comp=rename", headers: replace), 409, "ReadOnlyAttribute")
        expectError(try await h.send(.put, "docs/d?comp=rename", headers: replace), 409, "ResourceAlreadyExists")
        expectError(try await h.send(.put, "docs/c?comp=rename"), 400, "MissingRequiredHeader")
        expectError(try await h.send(.put, "docs/c?comp=rename", headers: ["x-ms-file-rename-source": "http://127.0.0.1:10004/devstoreaccount1/other/a"]),
                    400, "InvalidHeaderValue")
        expectError(try await h.send(.put, "docs/c?comp=rename", headers: ["x-ms-file-rename-source": "nope"]), 404, "ResourceNotFound")
        expectError(try await h.send(.put, "docs/c?comp=rename", headers: ["x-ms-file-rename-source": "d"]), 404, "ResourceNotFound")
        expectError(try await h.send(.put, "docs/x/c?comp=rename", headers: source), 404, "ParentNotFound")
        var badBool = source
        badBool["x-ms-file-rename-replace-if-exists"] = "yes"
        expectError(try await h.send(.put, "docs/c?comp=rename", headers: badBool), 400, "InvalidHeaderValue")
        let share = h.store.share("docs")
        #expect(try await share.info("b").size == 2)
        #expect(try await share.exists("a"))
        var ignore = replace
        ignore["x-ms-file-rename-ignore-readonly"] = "true"
        #expect(try await h.send(.put, "docs/b?comp=rename", headers: ignore).status == 200)
        #expect(try await share.info("b").size == 1)
        // Leases on source and destination.
        _ = try await createFile(h, "l", length: 1)
        let lease = "11111111-2222-3333-4444-555555555555"
        _ = try await share.lease("l", .acquire(proposedId: lease, duration: nil))
        let leased = ["x-ms-file-rename-source": "/docs/l"]
        expectError(try await h.send(.put, "docs/m?comp=rename", headers: leased), 412, "LeaseIdMissing")
        var withLease = leased
        withLease["x-ms-source-lease-id"] = lease
        #expect(try await h.send(.put, "docs/m?comp=rename", headers: withLease).status == 200)
        try await h.finish()
    }

    @Test func renameDirectory() async throws {
        let h = try await make()
        _ = try await h.send(.put, "docs/a?restype=directory")
        _ = try await createFile(h, "a/f", length: 1)
        let r = try await h.send(.put, "docs/b?restype=directory&comp=rename", headers: [
            "x-ms-file-rename-source": "http://127.0.0.1:10004/devstoreaccount1/docs/a", "x-ms-meta-m": "1"])
        #expect(r.status == 200)
        #expect(r.header("x-ms-file-attributes") == "Directory")
        let share = h.store.share("docs")
        #expect(try await share.exists("b/f"))
        #expect(try await share.info("b").metadata == ["m": "1"])
        _ = try await createFile(h, "g")
        expectError(try await h.send(.put, "docs/c?restype=directory&comp=rename", headers: ["x-ms-file-rename-source": "/docs/g"]),
                    404, "ResourceNotFound")
        expectError(try await h.send(.put, "docs/b/x?restype=directory&comp=rename", headers: ["x-ms-file-rename-source": "/docs/b"]),
                    400, "InvalidInput")
        expectError(try await h.send(.put, "docs/c?restype=directory&comp=rename",
                                     headers: ["x-ms-file-rename-source": "/docs/b", "x-ms-content-type": "a/b"]),
                    400, "UnsupportedHeader")
        #expect(try await share.exists("b"))
        try await h.finish()
    }
}
