import Crypto
import Foundation
import FrontKit
import HTTPTypes
import Testing
@testable import FileREST
@testable import ShareCore

private let MiB = 1024 * 1024

private func md5(_ bytes: [UInt8]) -> String { Data(Insecure.MD5.hash(data: bytes)).base64EncodedString() }

/// A harness with share `docs` holding `f` (the given bytes) and directory `dir`.
private func setUp(_ content: [UInt8] = Array("0123456789".utf8), headers: ContentHeaders? = nil) async throws -> Harness {
    let h = try await Harness.make()
    try await h.store.createShare("docs")
    let share = h.store.share("docs")
    try await share.createDirectory("dir")
    try await share.createFile("f", length: UInt64(content.count), properties: NodeProperties(contentHeaders: headers))
    if !content.isEmpty { try await share.write("f", at: 0, content) }
    return h
}

private func rangeList(_ reply: Harness.Reply) -> [String] {
    (reply.xml?.children ?? []).compactMap { item in
        guard let start = item.value("Start"), let end = item.value("End") else { return nil }
        return "\(item.name) \(start)-\(end)"
    }
}

@Suite struct GetFileTests {
    @Test func wholeFileWithProperties() async throws {
        let content = Array("0123456789".utf8)
        let h = try await setUp(content, headers: ContentHeaders(contentType: "text/plain", contentLanguage: "en",
                                                                  contentMD5: Array(Insecure.MD5.hash(data: content))))
        try await h.store.share("docs").setMetadata("f", try Metadata([("Owner", "me")]))
        let r = try await h.send(.get, "docs/f")
        #expect(r.status == 200)
        #expect(r.body == content)
        #expect(r.header("Content-Length") == "10")
        #expect(r.header("Content-Type") == "text/plain")
        #expect(r.header("Content-Language") == "en")
        #expect(r.header("Content-MD5") == md5(content))
        #expect(r.header("Content-Range") == nil)
        #expect(r.header("Accept-Ranges") == "bytes")
        #expect(r.header("x-ms-type") == "File")
        #expect(r.header("x-ms-server-encrypted") == "true")
        #expect(r.header("x-ms-lease-state") == "available")
        #expect(r.header("x-ms-lease-status") == "unlocked")
        #expect(r.header("x-ms-meta-Owner") == "me")
        #expect(r.header("ETag")?.hasPrefix("\"0x") == true)
        #expect(r.header("Last-Modified")?.hasSuffix("GMT") == true)
        #expect(r.header("x-ms-file-attributes") == "Archive")
        #expect(r.header("x-ms-file-id") != nil)
        #expect(r.header("x-ms-request-id") != nil)
        try await h.finish()
    }

    @Test func rangesAreClippedAndXMsRangeWins() async throws {
        let content = Array("0123456789".utf8)
        let h = try await setUp(content, headers: ContentHeaders(contentMD5: Array(Insecure.MD5.hash(data: content))))
        let r = try await h.send(.get, "docs/f", headers: ["x-ms-range": "bytes=2-5", "Range": "bytes=0-0"])
        #expect(r.status == 206)
        #expect(r.body == Array("2345".utf8))
        #expect(r.header("Content-Range") == "bytes 2-5/10")
        #expect(r.header("Content-Length") == "4")
        #expect(r.header("Content-MD5") == nil)
        #expect(r.header("x-ms-content-md5") == md5(content))
        #expect(r.header("Content-Type") == "application/octet-stream")
        let open = try await h.send(.get, "docs/f", headers: ["Range": "bytes=8-"])
        #expect(open.status == 206)
        #expect(open.body == Array("89".utf8))
        #expect(open.header("Content-Range") == "bytes 8-9/10")
        let long = try await h.send(.get, "docs/f", headers: ["x-ms-range": "bytes=5-33554431"])
        #expect(long.status == 206)
        #expect(long.header("Content-Range") == "bytes 5-9/10")
        #expect(long.body == Array("56789".utf8))
        try await h.finish()
    }

    @Test func aRangeStartingPastTheEndIsInvalidRange() async throws {
        let h = try await setUp()
        let past = try await h.send(.get, "docs/f", headers: ["x-ms-range": "bytes=10-20"])
        #expect(past.status == 416)
        #expect(past.errorCode == "InvalidRange")
        #expect(past.xml?.value("Code") == "InvalidRange")
        try await h.store.share("docs").createFile("empty")
        let empty = try await h.send(.get, "docs/empty", headers: ["x-ms-range": "bytes=0-33554431"])
        #expect(empty.status == 416)
        let whole = try await h.send(.get, "docs/empty")
        #expect(whole.status == 200)
        #expect(whole.body.isEmpty)
        #expect(whole.header("Content-Length") == "0")
        let malformed = try await h.send(.get, "docs/f", headers: ["x-ms-range": "bytes=5-2"])
        #expect(malformed.status == 400)
        #expect(malformed.errorCode == "InvalidHeaderValue")
        try await h.finish()
    }

    @Test func rangeMD5() async throws {
        let h = try await setUp()
        let r = try await h.send(.get, "docs/f", headers: ["x-ms-range": "bytes=0-3", "x-ms-range-get-content-md5": "true"])
        #expect(r.status == 206)
        #expect(r.header("Content-MD5") == md5(Array("0123".utf8)))
        #expect(r.body == Array("0123".utf8))
        let noRange = try await h.send(.get, "docs/f", headers: ["x-ms-range-get-content-md5": "true"])
        #expect(noRange.status == 400)
        #expect(noRange.errorCode == "InvalidHeaderValue")
        try await h.store.share("docs").createFile("big", length: UInt64(5 * MiB))
        let tooBig = try await h.send(.get, "docs/big", headers: ["x-ms-range": "bytes=0-\(4 * MiB)", "x-ms-range-get-content-md5": "true"])
        #expect(tooBig.status == 400)
        let limit = try await h.send(.get, "docs/big", headers: ["x-ms-range": "bytes=0-\(4 * MiB - 1)", "x-ms-range-get-content-md5": "true"])
        #expect(limit.status == 206)
        #expect(limit.header("Content-MD5") == md5([UInt8](repeating: 0, count: 4 * MiB)))
        try await h.finish()
    }

    @Test func largeFilesStreamInPiecesOf128KiB() async throws {
        let content = (0..<(9 * MiB + 5)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let h = try await setUp(Array(content.prefix(4 * MiB)))
        let share = h.store.share("docs")
        try await share.resize("f", to: UInt64(content.count))
        var offset = 4 * MiB
        while offset < content.count {
            let end = min(offset + 4 * MiB, content.count)
            try await share.write("f", at: UInt64(offset), Array(content[offset..<end]))
            offset = end
        }
        let r = try await h.send(.get, "docs/f")
        #expect(r.body == content)
        let fileId = try await share.info("f").id
        guard case .stream(let length, let chunks) = DataOperations.stream(share, fileId: fileId, span: 1..<UInt64(content.count)) else {
            Issue.record("not a stream")
            return
        }
        #expect(length == content.count - 1)
        var iterator = chunks.makeIterator()
        var collected: [UInt8] = []
        var pieces = 0
        while let piece = try await iterator.next() {
            #expect(piece.count <= ResponseBody.streamPieceBytes)
            collected += piece
            pieces += 1
            if pieces == 1 {
                // Mid-download the path is renamed away and another file takes its place:
                // the download stays on the file it started with.
                try await share.rename("f", to: "moved")
                try await share.createFile("f", length: UInt64(content.count))
            }
        }
        // 9 MiB + 4 bytes in 128 KiB pieces: 72 whole ones and the last 4 bytes.
        #expect(ResponseBody.streamPieceBytes == 128 * 1024)
        #expect(pieces == 73)
        #expect(collected == Array(content.dropFirst()))
        try await h.finish()
    }

    @Test func snapshotsLeasesAndMissingFiles() async throws {
        let h = try await setUp()
        let snapshot = try await h.store.createSnapshot(of: "docs").name
        try await h.store.share("docs").write("f", at: 0, Array("AB".utf8))
        let old = try await h.send(.get, "docs/f?sharesnapshot=\(snapshot)")
        #expect(old.status == 200)
        #expect(old.body == Array("0123456789".utf8))
        let lease = try await h.store.share("docs").lease("f", .acquire(proposedId: "11111111-1111-1111-1111-111111111111", duration: nil))
        let leased = try await h.send(.get, "docs/f")
        #expect(leased.status == 200)
        #expect(leased.header("x-ms-lease-state") == "leased")
        #expect(leased.header("x-ms-lease-status") == "locked")
        #expect(leased.header("x-ms-lease-duration") == "infinite")
        let right = try await h.send(.get, "docs/f", headers: ["x-ms-lease-id": lease.id ?? ""])
        #expect(right.status == 200)
        let wrong = try await h.send(.get, "docs/f", headers: ["x-ms-lease-id": "22222222-2222-2222-2222-222222222222"])
        #expect(wrong.status == 412)
        #expect(wrong.errorCode == "LeaseIdMismatchWithFileOperation")
        let missing = try await h.send(.get, "docs/nope")
        #expect(missing.status == 404)
        #expect(missing.errorCode == "ResourceNotFound")
        let directory = try await h.send(.get, "docs/dir")
        #expect(directory.status == 404)
        let noShare = try await h.send(.get, "other/f")
        #expect(noShare.errorCode == "ShareNotFound")
        try await h.finish()
    }
}

@Suite struct PutRangeTests {
    @Test func updateWritesTheBodyAndAnswersItsMD5() async throws {
        let h = try await setUp([UInt8](repeating: 0x61, count: 1024))
        let data = Array(String(repeating: "abcdefghijklmnop", count: 32).utf8)
        let r = try await h.send(.put, "docs/f?comp=range", headers: ["x-ms-range": "bytes=0-511", "x-ms-write": "update", "Content-MD5": md5(data)], body: data)
        #expect(r.status == 201)
        #expect(r.header("Content-MD5") == md5(data))
        #expect(r.header("x-ms-request-server-encrypted") == "true")
        #expect(r.header("ETag")?.hasPrefix("\"0x") == true)
        #expect(r.header("x-ms-file-last-write-time")?.count == 28)
        let content = try await h.store.share("docs").read("f")
        #expect(Array(content.prefix(512)) == data)
        #expect(content.dropFirst(512).allSatisfy { $0 == 0x61 })
        try await h.finish()
    }

    @Test func aWrongMD5WritesNothing() async throws {
        let h = try await setUp([UInt8](repeating: 0, count: 16))
        try await h.store.share("docs").clear("f", range: 0..<16)
        let r = try await h.send(.put, "docs/f?comp=range", headers: ["Range": "bytes=0-3", "x-ms-write": "update", "Content-MD5": md5([9, 9, 9, 9])], body: [1, 2, 3, 4])
        #expect(r.status == 400)
        #expect(r.errorCode == "Md5Mismatch")
        #expect(r.xml?.value("UserSpecifiedMd5") == md5([9, 9, 9, 9]))
        #expect(r.xml?.value("ServerCalculatedMd5") == md5([1, 2, 3, 4]))
        #expect(try await h.store.share("docs").ranges("f") == [])
        let bad = try await h.send(.put, "docs/f?comp=range", headers: ["Range": "bytes=0-3", "x-ms-write": "update", "Content-MD5": "abc"], body: [1, 2, 3, 4])
        #expect(bad.errorCode == "InvalidMd5")
        try await h.finish()
    }

    @Test func badRangesAndHeadersAreRefused() async throws {
        let h = try await setUp([UInt8](repeating: 0, count: 16))
        func put(_ headers: [String: String], _ body: [UInt8] = [1, 2, 3, 4]) async throws -> Harness.Reply {
            try await h.send(.put, "docs/f?comp=range", headers: headers, body: body)
        }
        let noRange = try await put(["x-ms-write": "update"])
        #expect(noRange.status == 400)
        #expect(noRange.errorCode == "MissingRequiredHeader")
        let openRange = try await put(["x-ms-range": "bytes=0-", "x-ms-write": "update"])
        #expect(openRange.errorCode == "InvalidHeaderValue")
        let noWrite = try await put(["x-ms-range": "bytes=0-3"])
        #expect(noWrite.errorCode == "MissingRequiredHeader")
        let badWrite = try await put(["x-ms-range": "bytes=0-3", "x-ms-write": "append"])
        #expect(badWrite.errorCode == "InvalidHeaderValue")
        let lengthMismatch = try await put(["x-ms-range": "bytes=0-7", "x-ms-write": "update"])
        #expect(lengthMismatch.status == 400)
        #expect(lengthMismatch.errorCode == "InvalidHeaderValue")
        let beyond = try await put(["x-ms-range": "bytes=14-17", "x-ms-write": "update"])
        #expect(beyond.status == 416)
        #expect(beyond.errorCode == "InvalidRange")
        let tooBig = try await put(["x-ms-range": "bytes=0-\(4 * MiB)", "x-ms-write": "update", "Content-Length": String(4 * MiB + 1)])
        #expect(tooBig.status == 413)
        #expect(tooBig.errorCode == "RequestBodyTooLarge")
        let clearWithBody = try await put(["x-ms-range": "bytes=0-3", "x-ms-write": "clear"])
        #expect(clearWithBody.errorCode == "InvalidHeaderValue")
        let badLastWrite = try await put(["x-ms-range": "bytes=0-3", "x-ms-write": "update", "x-ms-file-last-write-time": "later"])
        #expect(badLastWrite.errorCode == "InvalidHeaderValue")
        let missingFile = try await h.send(.put, "docs/nope?comp=range", headers: ["x-ms-range": "bytes=0-3", "x-ms-write": "update"], body: [1, 2, 3, 4])
        #expect(missingFile.status == 404)
        let atSnapshot = try await h.send(.put, "docs/f?comp=range&sharesnapshot=2020-01-01T00:00:00.0000000Z",
                                          headers: ["x-ms-range": "bytes=0-3", "x-ms-write": "update"], body: [1, 2, 3, 4])
        #expect(atSnapshot.status == 400)
        #expect(try await h.store.share("docs").read("f") == [UInt8](repeating: 0, count: 16))
        try await h.finish()
    }

    @Test func leasedFilesNeedTheLease() async throws {
        let h = try await setUp([UInt8](repeating: 0, count: 16))
        let lease = try await h.store.share("docs").lease("f", .acquire(proposedId: nil, duration: nil))
        let without = try await h.send(.put, "docs/f?comp=range", headers: ["x-ms-range": "bytes=0-3", "x-ms-write": "update"], body: [1, 2, 3, 4])
        #expect(without.status == 412)
        #expect(without.errorCode == "LeaseIdMissing")
        let with = try await h.send(.put, "docs/f?comp=range", headers: ["x-ms-range": "bytes=0-3", "x-ms-write": "update", "x-ms-lease-id": lease.id ?? ""], body: [1, 2, 3, 4])
        #expect(with.status == 201)
        try await h.finish()
    }

    @Test func lastWriteTimeCanBePreserved() async throws {
        let h = try await setUp([UInt8](repeating: 0, count: 16))
        let before = try await h.store.share("docs").info("f").smb.lastWriteTime
        let preserved = try await h.send(.put, "docs/f?comp=range", headers: ["x-ms-range": "bytes=0-3", "x-ms-write": "update", "x-ms-file-last-write-time": "Preserve"], body: [1, 2, 3, 4])
        #expect(preserved.status == 201)
        #expect(preserved.header("x-ms-file-last-write-time") == before.iso8601)
        let cleared = try await h.send(.put, "docs/f?comp=range", headers: ["x-ms-range": "bytes=0-1", "x-ms-write": "clear", "x-ms-file-last-write-time": "preserve"])
        #expect(cleared.header("x-ms-file-last-write-time") == before.iso8601)
        let now = try await h.send(.put, "docs/f?comp=range", headers: ["x-ms-range": "bytes=0-3", "x-ms-write": "update", "x-ms-file-last-write-time": "now"], body: [1, 2, 3, 4])
        #expect(now.header("x-ms-file-last-write-time") != before.iso8601)
        // Before 2021-06-08 the header means nothing here.
        let old = try await h.send(.put, "docs/f?comp=range", headers: ["x-ms-range": "bytes=0-3", "x-ms-write": "update", "x-ms-file-last-write-time": "later"],
                                   body: [1, 2, 3, 4], version: "2020-10-02")
        #expect(old.status == 201)
        try await h.finish()
    }

    @Test func clearMakesAHole() async throws {
        let h = try await setUp([UInt8](repeating: 7, count: 1024))
        let r = try await h.send(.put, "docs/f?comp=range", headers: ["x-ms-range": "bytes=0-511", "x-ms-write": "clear"])
        #expect(r.status == 201)
        #expect(r.header("Content-MD5") == nil)
        #expect(r.header("x-ms-request-server-encrypted") == nil)
        #expect(r.header("x-ms-file-last-write-time") != nil)
        let content = try await h.store.share("docs").read("f")
        #expect(content.prefix(512).allSatisfy { $0 == 0 })
        #expect(content.dropFirst(512).allSatisfy { $0 == 7 })
        #expect(try await h.store.share("docs").ranges("f") == [512..<1024])
        try await h.finish()
    }
}

@Suite struct ListRangesTests {
    @Test func writtenRangesWithinALimit() async throws {
        let h = try await setUp([])
        let share = h.store.share("docs")
        try await share.resize("f", to: 2048)
        try await share.write("f", at: 0, [UInt8](repeating: 1, count: 512))
        try await share.write("f", at: 1024, [UInt8](repeating: 1, count: 512))
        let r = try await h.send(.get, "docs/f?comp=rangelist")
        #expect(r.status == 200)
        #expect(r.header("Content-Type") == "application/xml")
        #expect(r.header("x-ms-content-length") == "2048")
        #expect(r.header("ETag")?.hasPrefix("\"0x") == true)
        #expect(r.text.hasPrefix("\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?><Ranges><Range><Start>0</Start><End>511</End></Range>"))
        #expect(rangeList(r) == ["Range 0-511", "Range 1024-1535"])
        let limited = try await h.send(.get, "docs/f?comp=rangelist", headers: ["x-ms-range": "bytes=256-1100"])
        #expect(rangeList(limited) == ["Range 256-511", "Range 1024-1100"])
        let open = try await h.send(.get, "docs/f?comp=rangelist", headers: ["Range": "bytes=1030-"])
        #expect(rangeList(open) == ["Range 1030-1535"])
        let none = try await h.send(.get, "docs/f?comp=rangelist", headers: ["Range": "bytes=4000-5000"])
        #expect(none.status == 200)
        #expect(rangeList(none) == [])
        try await h.finish()
    }

    @Test func diffAgainstAPreviousSnapshot() async throws {
        let h = try await setUp([])
        let share = h.store.share("docs")
        try await share.resize("f", to: 2048)
        let first = try await h.store.createSnapshot(of: "docs").name
        try await share.write("f", at: 0, [UInt8](repeating: 1, count: 1536))
        let second = try await h.store.createSnapshot(of: "docs").name
        try await share.clear("f", range: 512..<1024)
        let sinceFirst = try await h.send(.get, "docs/f?comp=rangelist&prevsharesnapshot=\(first)")
        #expect(rangeList(sinceFirst) == ["Range 0-511", "ClearRange 512-1023", "Range 1024-1535"])
        let sinceSecond = try await h.send(.get, "docs/f?comp=rangelist&prevsharesnapshot=\(second)")
        #expect(rangeList(sinceSecond) == ["ClearRange 512-1023"])
        let between = try await h.send(.get, "docs/f?comp=rangelist&sharesnapshot=\(second)&prevsharesnapshot=\(first)")
        #expect(rangeList(between) == ["Range 0-1535"])
        let unknown = try await h.send(.get, "docs/f?comp=rangelist&prevsharesnapshot=2001-01-01T00:00:00.0000000Z")
        #expect(unknown.status == 409)
        #expect(unknown.errorCode == "PreviousSnapshotNotFound")
        let malformed = try await h.send(.get, "docs/f?comp=rangelist&prevsharesnapshot=yesterday")
        #expect(malformed.status == 400)
        #expect(malformed.errorCode == "InvalidQueryParameterValue")
        try await h.finish()
    }

    @Test func pagesWithMarkerAndMaxResults() async throws {
        let h = try await setUp([])
        let share = h.store.share("docs")
        try await share.resize("f", to: 4096)
        for start in stride(from: 0, to: 4096, by: 1024) {
            try await share.write("f", at: UInt64(start), [1, 2])
        }
        let first = try await h.send(.get, "docs/f?comp=rangelist&maxresults=3")
        #expect(rangeList(first) == ["Range 0-1", "Range 1024-1025", "Range 2048-2049"])
        let marker = try #require(first.xml?.value("NextMarker"))
        let second = try await h.send(.get, "docs/f?comp=rangelist&maxresults=3&marker=\(marker)")
        #expect(rangeList(second) == ["Range 3072-3073"])
        #expect(second.xml?.value("NextMarker") == "")
        let zero = try await h.send(.get, "docs/f?comp=rangelist&maxresults=0")
        #expect(zero.errorCode == "OutOfRangeQueryParameterValue")
        try await h.finish()
    }

    @Test func atASnapshotAndWithLeases() async throws {
        let h = try await setUp([1, 2, 3, 4])
        let snapshot = try await h.store.createSnapshot(of: "docs").name
        try await h.store.share("docs").deleteFile("f")
        let r = try await h.send(.get, "docs/f?comp=rangelist&sharesnapshot=\(snapshot)")
        #expect(rangeList(r) == ["Range 0-3"])
        let gone = try await h.send(.get, "docs/f?comp=rangelist")
        #expect(gone.status == 404)
        try await h.store.share("docs").createFile("g", length: 4)
        _ = try await h.store.share("docs").lease("g", .acquire(proposedId: nil, duration: nil))
        let wrong = try await h.send(.get, "docs/g?comp=rangelist", headers: ["x-ms-lease-id": "33333333-3333-3333-3333-333333333333"])
        #expect(wrong.status == 412)
        let noLease = try await h.send(.get, "docs/g?comp=rangelist")
        #expect(noLease.status == 200)
        try await h.finish()
    }
}

@Suite struct PutRangeFromURLTests {
    /// A source URL with a SAS, which Put Range From URL needs (the request's Shared Key does not cover the source).
    private func url(_ h: Harness, _ path: String) -> String { "http://127.0.0.1:10004/\(h.account)/\(path)?" + SASVectors.shareAll }
    private func bareURL(_ h: Harness, _ path: String) -> String { "http://127.0.0.1:10004/\(h.account)/\(path)" }

    @Test func copiesTheSourceRange() async throws {
        let h = try await setUp(Array("0123456789".utf8))
        try await h.store.share("docs").createFile("dest", length: 10)
        let r = try await h.send(.put, "docs/dest?comp=range", headers: [
            "x-ms-copy-source": url(h, "docs/f"), "x-ms-source-range": "bytes=2-5", "x-ms-range": "bytes=4-7", "x-ms-write": "update"])
        #expect(r.status == 201)
        #expect(r.header("x-ms-content-crc64") == Data(StorageCRC64.bytes(StorageCRC64.checksum(Array("2345".utf8)))).base64EncodedString())
        #expect(r.header("x-ms-request-server-encrypted") == "true")
        #expect(r.header("x-ms-file-last-write-time") != nil)
        #expect(try await h.store.share("docs").read("dest", range: 4..<8) == Array("2345".utf8))
        #expect(try await h.store.share("docs").ranges("dest") == [4..<8])
        try await h.finish()
    }

    @Test func sourceProblemsAreCannotVerifyCopySource() async throws {
        let h = try await setUp(Array("0123456789".utf8))
        try await h.store.share("docs").createFile("dest", length: 10)
        func put(_ headers: [String: String]) async throws -> Harness.Reply {
            var all = ["x-ms-copy-source": url(h, "docs/f"), "x-ms-source-range": "bytes=0-3", "x-ms-range": "bytes=0-3", "x-ms-write": "update"]
            for (k, v) in headers { all[k] = v }
            return try await h.send(.put, "docs/dest?comp=range", headers: all)
        }
        let missing = try await put(["x-ms-copy-source": url(h, "docs/nope")])
        #expect(missing.status == 404)
        #expect(missing.errorCode == "CannotVerifyCopySource")
        let otherAccount = try await put(["x-ms-copy-source": "http://127.0.0.1:10004/someoneelse/docs/f?" + SASVectors.shareAll])
        #expect(otherAccount.status == 404)
        #expect(otherAccount.errorCode == "CannotVerifyCopySource")
        let badSAS = try await put(["x-ms-copy-source": bareURL(h, "docs/f") + "?sv=2021-06-08&sr=f&sig=AAAA"])
        #expect(badSAS.status == 403)
        #expect(badSAS.errorCode == "CannotVerifyCopySource")
        #expect(badSAS.header("x-ms-copy-source-status-code") == "403")
        // Shared Key on the request does not authorize reading the source.
        let noSourceAuthorization = try await put(["x-ms-copy-source": bareURL(h, "docs/f")])
        #expect(noSourceAuthorization.status == 401)
        #expect(noSourceAuthorization.errorCode == "CannotVerifyCopySource")
        #expect(noSourceAuthorization.header("x-ms-copy-source-status-code") == "401")
        #expect(noSourceAuthorization.header("x-ms-copy-source-error-code") == "NoAuthenticationInformation")
        let pastEnd = try await put(["x-ms-source-range": "bytes=8-11", "x-ms-range": "bytes=0-3"])
        #expect(pastEnd.status == 416)
        #expect(pastEnd.errorCode == "CannotVerifyCopySource")
        let mismatch = try await put(["x-ms-source-range": "bytes=0-4"])
        #expect(mismatch.errorCode == "InvalidHeaderValue")
        let clear = try await put(["x-ms-write": "clear"])
        #expect(clear.errorCode == "InvalidHeaderValue")
        let notURL = try await put(["x-ms-copy-source": "docs/f"])
        #expect(notURL.errorCode == "InvalidHeaderValue")
        let noSourceRange = try await h.send(.put, "docs/dest?comp=range", headers: ["x-ms-copy-source": url(h, "docs/f"), "x-ms-range": "bytes=0-3", "x-ms-write": "update"])
        #expect(noSourceRange.errorCode == "MissingRequiredHeader")
        #expect(try await h.store.share("docs").ranges("dest") == [])
        try await h.finish()
    }

    @Test func crc64Conditions() async throws {
        let h = try await setUp(Array("0123456789".utf8))
        try await h.store.share("docs").createFile("dest", length: 10)
        let good = Data(StorageCRC64.bytes(StorageCRC64.checksum(Array("0123".utf8)))).base64EncodedString()
        let bad = Data(StorageCRC64.bytes(1)).base64EncodedString()
        func put(_ name: String, _ value: String) async throws -> Harness.Reply {
            try await h.send(.put, "docs/dest?comp=range", headers: [
                "x-ms-copy-source": url(h, "docs/f"), "x-ms-source-range": "bytes=0-3", "x-ms-range": "bytes=0-3", "x-ms-write": "update", name: value])
        }
        #expect(try await put("x-ms-source-content-crc64", bad).errorCode == "Crc64Mismatch")
        #expect(try await put("x-ms-source-if-match-crc64", bad).status == 412)
        #expect(try await put("x-ms-source-if-none-match-crc64", good).status == 412)
        #expect(try await h.store.share("docs").ranges("dest") == [])
        #expect(try await put("x-ms-source-content-crc64", good).status == 201)
        #expect(try await put("x-ms-source-if-match-crc64", good).status == 201)
        try await h.finish()
    }

    @Test func theAzureCRC64() {
        #expect(StorageCRC64.checksum(Array("123456789".utf8)) == 0xAE8B_1486_0A79_9888)
        #expect(Data(StorageCRC64.bytes(StorageCRC64.checksum(Array("abc".utf8)))).base64EncodedString() == "6/rBP7vK5QU=")
    }
}

@Suite struct CopyFileTests {
    private func url(_ h: Harness, _ path: String) -> String { "http://127.0.0.1:10004/\(h.account)/\(path)" }

    @Test func copiesSynchronouslyAndRemembersTheCopy() async throws {
        let h = try await setUp(Array("0123456789".utf8), headers: ContentHeaders(contentType: "text/plain"))
        try await h.store.share("docs").setMetadata("f", try Metadata([("a", "1")]))
        let r = try await h.send(.put, "docs/dir/copy", headers: ["x-ms-copy-source": url(h, "docs/f")])
        #expect(r.status == 202)
        #expect(r.header("x-ms-copy-status") == "success")
        let id = try #require(r.header("x-ms-copy-id"))
        #expect(UUID(uuidString: id) != nil)
        #expect(r.header("ETag")?.hasPrefix("\"0x") == true)
        let got = try await h.send(.get, "docs/dir/copy")
        #expect(got.body == Array("0123456789".utf8))
        #expect(got.header("Content-Type") == "text/plain")
        #expect(got.header("x-ms-meta-a") == "1")
        #expect(got.header("x-ms-copy-id") == id)
        #expect(got.header("x-ms-copy-status") == "success")
        #expect(got.header("x-ms-copy-progress") == "10/10")
        #expect(got.header("x-ms-copy-source") == url(h, "docs/f"))
        #expect(got.header("x-ms-copy-completion-time")?.hasSuffix("GMT") == true)
        #expect(got.header("x-ms-file-attributes") == "Archive")
        // The copy's data is shared, not duplicated: writing it afterwards forgets the copy.
        _ = try await h.send(.put, "docs/dir/copy?comp=range", headers: ["x-ms-range": "bytes=0-0", "x-ms-write": "update"], body: [0x41])
        let changed = try await h.send(.get, "docs/dir/copy")
        #expect(changed.header("x-ms-copy-id") == nil)
        #expect(try await h.store.share("docs").read("f") == Array("0123456789".utf8))
        try await h.finish()
    }

    @Test func metadataAndSMBPropertiesFromTheRequestOrTheSource() async throws {
        let h = try await setUp()
        let source = try await h.store.share("docs").setProperties("f", NodeProperties(
            attributes: [.hidden], creationTime: FileTime(iso8601: "2020-01-01T00:00:00.0000000Z"),
            lastWriteTime: FileTime(iso8601: "2020-02-01T00:00:00.0000000Z"), metadata: try Metadata([("a", "1")])))
        let r = try await h.send(.put, "docs/c1", headers: [
            "x-ms-copy-source": url(h, "docs/f"), "x-ms-meta-b": "2", "x-ms-file-attributes": "source",
            "x-ms-file-creation-time": "source", "x-ms-file-last-write-time": "2021-03-04T05:06:07.1234567Z",
            "x-ms-file-change-time": "source", "x-ms-file-copy-set-archive": "true", "x-ms-file-permission-copy-mode": "source"])
        #expect(r.status == 202)
        let c1 = try await h.store.share("docs").info("c1")
        #expect(c1.metadata.pairs.map(\.0) == ["b"])
        #expect(c1.smb.attributes == [.hidden, .archive])
        #expect(c1.smb.creationTime == source.smb.creationTime)
        #expect(c1.smb.changeTime == source.smb.changeTime)
        #expect(c1.smb.lastWriteTime.iso8601 == "2021-03-04T05:06:07.1234567Z")
        let defaults = try await h.send(.put, "docs/c2", headers: ["x-ms-copy-source": url(h, "docs/f")])
        #expect(defaults.status == 202)
        let c2 = try await h.store.share("docs").info("c2")
        #expect(c2.metadata.pairs.map(\.0) == ["a"])
        #expect(c2.smb.attributes == [.archive])
        #expect(c2.smb.creationTime > source.smb.creationTime)
        let badMode = try await h.send(.put, "docs/c3", headers: ["x-ms-copy-source": url(h, "docs/f"), "x-ms-file-permission-copy-mode": "copy"])
        #expect(badMode.errorCode == "InvalidHeaderValue")
        let overrideWithout = try await h.send(.put, "docs/c3", headers: ["x-ms-copy-source": url(h, "docs/f"), "x-ms-file-permission-copy-mode": "override"])
        #expect(overrideWithout.errorCode == "MissingRequiredHeader")
        let badTime = try await h.send(.put, "docs/c3", headers: ["x-ms-copy-source": url(h, "docs/f"), "x-ms-file-creation-time": "soon"])
        #expect(badTime.errorCode == "InvalidHeaderValue")
        #expect(try await h.store.share("docs").exists("c3") == false)
        try await h.finish()
    }

    @Test func fromASnapshot() async throws {
        let h = try await setUp()
        let snapshot = try await h.store.createSnapshot(of: "docs").name
        try await h.store.share("docs").write("f", at: 0, Array("XY".utf8))
        let r = try await h.send(.put, "docs/fromsnap", headers: ["x-ms-copy-source": url(h, "docs/f") + "?sharesnapshot=\(snapshot)"])
        #expect(r.status == 202)
        #expect(try await h.store.share("docs").read("fromsnap") == Array("0123456789".utf8))
        let missingSnapshot = try await h.send(.put, "docs/x", headers: ["x-ms-copy-source": url(h, "docs/f") + "?sharesnapshot=2001-01-01T00:00:00.0000000Z"])
        #expect(missingSnapshot.status == 404)
        #expect(missingSnapshot.errorCode == "CannotVerifyCopySource")
        try await h.finish()
    }

    @Test func errors() async throws {
        let h = try await setUp()
        let share = h.store.share("docs")
        try await share.createFile("ro", length: 1, properties: NodeProperties(attributes: [.readOnly]))
        let readOnly = try await h.send(.put, "docs/ro", headers: ["x-ms-copy-source": url(h, "docs/f")])
        #expect(readOnly.status == 409)
        #expect(readOnly.errorCode == "ReadOnlyAttribute")
        let ignored = try await h.send(.put, "docs/ro", headers: ["x-ms-copy-source": url(h, "docs/f"), "x-ms-file-copy-ignore-readonly": "true"])
        #expect(ignored.status == 202)
        let missing = try await h.send(.put, "docs/x", headers: ["x-ms-copy-source": url(h, "docs/nope")])
        #expect(missing.status == 404)
        #expect(missing.errorCode == "CannotVerifyCopySource")
        let directory = try await h.send(.put, "docs/x", headers: ["x-ms-copy-source": url(h, "docs/dir")])
        #expect(directory.status == 404)
        let noParent = try await h.send(.put, "docs/nodir/x", headers: ["x-ms-copy-source": url(h, "docs/f")])
        #expect(noParent.status == 404)
        #expect(noParent.errorCode == "ParentNotFound")
        let badSAS = try await h.send(.put, "docs/x", headers: ["x-ms-copy-source": url(h, "docs/f") + "?sv=2021-06-08&sr=f&sp=r&sig=AAAA"])
        #expect(badSAS.status == 403)
        #expect(badSAS.errorCode == "CannotVerifyCopySource")
        try await share.createFile("leased", length: 1)
        let lease = try await share.lease("leased", .acquire(proposedId: nil, duration: nil))
        let noLease = try await h.send(.put, "docs/leased", headers: ["x-ms-copy-source": url(h, "docs/f")])
        #expect(noLease.status == 412)
        let withLease = try await h.send(.put, "docs/leased", headers: ["x-ms-copy-source": url(h, "docs/f"), "x-ms-lease-id": lease.id ?? ""])
        #expect(withLease.status == 202)
        #expect(try await share.exists("x") == false)
        try await h.finish()
    }

    @Test func hostStyleSourceURL() async throws {
        let h = try await setUp()
        let r = try await h.send(.put, "docs/hosted", headers: ["x-ms-copy-source": "https://\(h.account).file.core.windows.net/docs/f"])
        #expect(r.status == 202)
        #expect(try await h.store.share("docs").read("hosted") == Array("0123456789".utf8))
        try await h.finish()
    }

    @Test func abortIsAlwaysTooLate() async throws {
        let h = try await setUp()
        let copied = try await h.send(.put, "docs/c", headers: ["x-ms-copy-source": url(h, "docs/f")])
        let id = try #require(copied.header("x-ms-copy-id"))
        let abort = try await h.send(.put, "docs/c?comp=copy&copyid=\(id)", headers: ["x-ms-copy-action": "abort"])
        #expect(abort.status == 409)
        #expect(abort.errorCode == "NoPendingCopyOperation")
        #expect(abort.xml?.value("Message")?.hasPrefix("There is currently no pending copy operation.") == true)
        let noId = try await h.send(.put, "docs/c?comp=copy", headers: ["x-ms-copy-action": "abort"])
        #expect(noId.errorCode == "MissingRequiredQueryParameter")
        let noAction = try await h.send(.put, "docs/c?comp=copy&copyid=\(id)")
        #expect(noAction.errorCode == "MissingRequiredHeader")
        let missing = try await h.send(.put, "docs/none?comp=copy&copyid=\(id)", headers: ["x-ms-copy-action": "abort"])
        #expect(missing.status == 404)
        try await h.finish()
    }
}

@Suite struct ByteRangeTests {
    @Test func parsing() {
        #expect(ByteRange("bytes=0-511") == ByteRange(start: 0, end: 511))
        #expect(ByteRange("bytes=256-") == ByteRange(start: 256, end: nil))
        #expect(ByteRange("bytes=-5") == nil)
        #expect(ByteRange("bytes=5-2") == nil)
        #expect(ByteRange("bytes=0-1,3-4") == nil)
        #expect(ByteRange("items=0-1") == nil)
        #expect(ByteRange("bytes=+1-2") == nil)
        #expect(ByteRange(" Bytes=7-9\t") == ByteRange(start: 7, end: 9))
        #expect(ByteRange("bytes=") == nil)
        #expect(ByteRange("bytes=-") == nil)
        #expect(ByteRange("bytes 0-1") == nil)
        #expect(ByteRange("bytes=0-18446744073709551615") == ByteRange(start: 0, end: .max))
        #expect(ByteRange("bytes=0-18446744073709551616") == nil)
        #expect(ByteRange("bytes=1 -2") == nil)
        #expect(ByteRange(start: 5, end: 100).clipped(to: 10) == 5..<10)
        #expect(ByteRange(start: 20, end: nil).clipped(to: 10) == 10..<10)
    }
}
