import FrontKit
import Testing
@testable import IISFiles

@Suite struct RoutingTests {
    func route(_ target: String) -> IISRoute? { RequestTarget(target).flatMap(IISRoute.match) }

    @Test func routesEveryForm() {
        #expect(route("/api/files") == .files)
        #expect(route("/api/files?parent.id=abc") == .files)
        #expect(route("/api/files/abc") == .item("abc"))
        #expect(route("/api/files?id=abc") == .item("abc"))
        #expect(route("/api/files/content/abc") == .content("abc"))
        #expect(route("/api/files/content?id=abc") == .content("abc"))
        #expect(route("/api/files/content") == .content(nil))
        #expect(route("/api/files/copy") == .copy(nil))
        #expect(route("/api/files/copy/op1") == .copy("op1"))
        #expect(route("/api/files/move/op1") == .move("op1"))
        #expect(route("/api/files/downloads") == .fileDownloads)
        #expect(route("/api/files/download") == .fileDownloads)
        #expect(route("/downloads/xyz") == .download("xyz"))
        #expect(route("/api/files/locations") == .locations(nil))
        #expect(route("/api/files/locations/L") == .locations("L"))
        #expect(route("/api/webserver/websites") == .websites(nil))
        #expect(route("/api/webserver/websites/W") == .websites("W"))
        #expect(route("/api/webserver/files/F") == .webFiles("F"))
        #expect(route("/api/webserver/files?parent.id=F") == .webFiles(nil))
        #expect(route("/api/webserver/files?id=F") == .webFiles("F"))
    }

    @Test func unknownPathsDoNotRoute() {
        #expect(route("/") == nil)
        #expect(route("/api") == nil)
        #expect(route("/api/files/a/b") == nil)
        #expect(route("/api/files/content/a/b") == nil)
        #expect(route("/downloads") == nil)
        #expect(route("/api/other") == nil)
    }

    @Test func onlyDownloadLinksAreAnonymous() {
        #expect(route("/downloads/x")?.needsToken == false)
        #expect(route("/api/files")?.needsToken == true)
        #expect(route("/api/files/locations")?.needsToken == true)
    }
}

@Suite struct IdSealingTests {
    let ids = IdScheme(sealer: IdSealer(secret: Array(repeating: 7, count: 32)))

    @Test func idsAreDeterministicOpaqueAndFoldCase() {
        let a = ids.file(ItemPath(share: "data", components: ["Site", "A.txt"]), caseSensitive: false)
        let b = ids.file(ItemPath(share: "data", components: ["site", "a.TXT"]), caseSensitive: false)
        #expect(a == b)
        #expect(!a.contains("site") && !a.contains("="))
        #expect(a.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(ids.filePath(a) == ItemPath(share: "data", components: ["site", "a.txt"]))
        let sensitive = ids.file(ItemPath(share: "data", components: ["Site"]), caseSensitive: true)
        #expect(sensitive != ids.file(ItemPath(share: "data", components: ["site"]), caseSensitive: true))
        #expect(ids.filePath(sensitive)?.components == ["Site"])
    }

    @Test func forgedAndTamperedIdsDoNotOpen() {
        let good = ids.file(ItemPath(share: "data", components: ["site"]), caseSensitive: false)
        var bytes = Base64URL.decode(good)!
        bytes[bytes.count - 1] ^= 1
        #expect(ids.filePath(Base64URL.encode(bytes)) == nil)
        bytes = Base64URL.decode(good)!
        bytes[14] ^= 0x40
        #expect(ids.filePath(Base64URL.encode(bytes)) == nil)
        #expect(ids.filePath("") == nil)
        #expect(ids.filePath("..") == nil)
        #expect(ids.filePath(Base64URL.encode(Array("f\ndata\n..".utf8))) == nil)
        let other = IdScheme(sealer: IdSealer(secret: Array(repeating: 8, count: 32)))
        #expect(other.filePath(good) == nil)
        // A website id is not a file id.
        #expect(ids.filePath(ids.website(1)) == nil)
    }

    @Test func physicalPathsParseAsWindowsDoes() {
        let p = PhysicalPath.parse("\\\\devstoreaccount1\\Data\\site\\a.txt")
        #expect(p?.account == "devstoreaccount1")
        #expect(p?.path == ItemPath(share: "data", components: ["site", "a.txt"]))
        #expect(PhysicalPath.parse("//acct/data/site/./x/../y")?.path.components == ["site", "y"])
        #expect(PhysicalPath.parse("\\\\acct\\data\\..\\other") == nil)
        #expect(PhysicalPath.parse("C:\\inetpub") == nil)
        #expect(PhysicalPath.parse("\\\\acct") == nil)
        #expect(PhysicalPath.parse("\\\\acct\\data\\a*b") == nil)
        #expect(PhysicalPath.format(account: "acct", ItemPath(share: "data", components: ["a", "b"])) == "\\\\acct\\data\\a\\b")
        #expect(PhysicalPath.format(account: "acct", ItemPath(share: "data", components: [])) == "\\\\acct\\data")
    }

    @Test func namesAreSingleValidSegments() {
        #expect(FileName.isValid("a.txt"))
        #expect(!FileName.isValid(""))
        #expect(!FileName.isValid("."))
        #expect(!FileName.isValid(".."))
        #expect(!FileName.isValid("a."))
        #expect(!FileName.isValid("a/b"))
        #expect(!FileName.isValid("a\\b"))
        #expect(!FileName.isValid("a?"))
    }

    @Test func rangesParse() {
        #expect(RFCRange.parse("bytes=0-9", size: 100) == .span(0..<10))
        #expect(RFCRange.parse("bytes=90-", size: 100) == .span(90..<100))
        #expect(RFCRange.parse("bytes=-5", size: 100) == .span(95..<100))
        #expect(RFCRange.parse("bytes=50-500", size: 100) == .span(50..<100))
        #expect(RFCRange.parse("bytes=100-", size: 100) == .unsatisfiable)
        #expect(RFCRange.parse("bytes=0-1,3-4", size: 100) == .whole)
        #expect(ContentOperations.parseContentRange("bytes 0-9/20")! == (0, 9, 20))
        #expect(ContentOperations.parseContentRange("0-9/20") == nil)
        #expect(FilesOperations.parseFilesRange("files=1-3")! == (1, 3))
        #expect(FilesOperations.parseFilesRange("files=1-") == nil)
    }
}
