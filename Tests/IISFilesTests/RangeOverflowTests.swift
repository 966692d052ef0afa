import FrontKit
import Foundation
import Testing
@testable import IISFiles
@testable import ShareCore

/// Found by `make fuzz` (FuzzRange): a download link's Range with the largest last-byte
/// position, `bytes=0-18446744073709551615`, overflowed computing the exclusive end and killed
/// the server, and a download link needs no token.
@Suite struct RangeOverflowTests {
    @Test func theLargestLastBytePositionIsClampedToTheEnd() {
        #expect(RFCRange.parse("bytes=0-18446744073709551615", size: 3) == .span(0..<3))
        #expect(RFCRange.parse("bytes=1-18446744073709551614", size: 3) == .span(1..<3))
        #expect(RFCRange.parse("bytes=3-18446744073709551615", size: 3) == .unsatisfiable)
        #expect(RFCRange.parse("bytes=0-18446744073709551616", size: 3) == .whole)
    }

    @Test func aDownloadLinkAnswersTheLargestRangeWithTheRestOfTheFile() async throws {
        let h = try await Harness.make()
        defer { Task { await h.close() } }
        let share = h.store.share("data")
        try await share.createFile("site/a.txt")
        try await share.write("site/a.txt", at: 0, from: RequestBody(bytes: [1, 2, 3]), length: .endOfWrite)
        var r = try await h.send(.post, "/api/files/downloads", json: #"{"file":{"id":"\#(h.id("data", "site", "a.txt"))"},"ttl":60000}"#)
        #expect(r.status == 201)
        let link = try #require(r.header("Location"))
        r = try await h.send(.get, link, headers: ["Range": "bytes=1-18446744073709551615"], token: nil)
        #expect(r.status == 206)
        #expect(r.body == [2, 3])
        #expect(r.header("Content-Range") == "bytes 1-2/3")
    }
}
