import Foundation
import FrontKit
import Testing
@testable import FileREST
@testable import ShareCore

/// Structured message bodies (`x-ms-structured-body`) and the Azure Storage CRC-64 behind them.
@Suite struct StructuredMessageTests {
    static let header = "XSM/1.0; properties=crc64"

    /// A message as the SDK builds it, written out by hand from its layout.
    static func message(_ content: [UInt8], segmentBytes: Int = 4 << 20) -> [UInt8] {
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let segments = stride(from: 0, to: max(content.count, 1), by: segmentBytes).map { Array(content[$0..<min($0 + segmentBytes, content.count)]) }
        var body: [UInt8] = []
        for (index, segment) in segments.enumerated() {
            body += le(UInt16(index + 1)) + le(UInt64(segment.count)) + segment + le(StorageCRC64.checksum(segment))
        }
        body += le(StorageCRC64.checksum(content))
        let total = 13 + body.count
        return [1] + le(UInt64(total)) + le(UInt16(1)) + le(UInt16(segments.count)) + body
    }

    @Test func crc64MatchesTheSDKsCheckValue() {
        // azure.storage.extensions.checksums.crc64.compute(b"123456789", 0)
        #expect(StorageCRC64.checksum(Array("123456789".utf8)) == 12_577_168_950_296_156_296)
        let whole = StorageCRC64.checksum(Array("hello world".utf8))
        #expect(StorageCRC64.checksum(Array(" world".utf8), continuing: StorageCRC64.checksum(Array("hello".utf8))) == whole)
    }

    @Test func decodesWhatTheSDKSends() throws {
        let content = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        #expect(try StructuredMessage.decode(Self.message(content)) == content)
        #expect(try StructuredMessage.decode(Self.message(content, segmentBytes: 3000)) == content)
        #expect(try StructuredMessage.decode(Self.message([])) == [])
        #expect(StructuredMessage.encodedLength(UInt64(content.count)) == UInt64(Self.message(content).count))
    }

    @Test func refusesBrokenMessages() {
        let good = Self.message(Array("some content".utf8))
        var flipped = good
        flipped[13 + 10] ^= 1
        #expect(throws: StructuredMessage.Failure.self) { try StructuredMessage.decode(flipped) }
        do {
            _ = try StructuredMessage.decode(flipped)
        } catch {
            guard case .crcMismatch = error else { Issue.record("expected a CRC mismatch, got \(error)"); return }
        }
        var badVersion = good
        badVersion[0] = 2
        var badLength = good
        badLength[1] &+= 1
        var badSegment = good
        badSegment[13] = 2
        var noFlags = good
        noFlags[9] = 0
        for bytes in [[], Array(good.prefix(12)), Array(good.dropLast()), good + [0], badVersion, badLength, badSegment, noFlags] {
            #expect(throws: StructuredMessage.Failure.self) { try StructuredMessage.decode(bytes) }
        }
    }

    @Test func encodesStreamsInAnyPieces() async throws {
        let content = (0..<9_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) }
        let pieces = [Array(content[..<100]), Array(content[100..<5_000_000]), Array(content[5_000_000...])]
        let source = ResponseBody.stream(length: content.count, chunks: ResponseChunks {
            var index = 0
            return ResponseChunks.Iterator {
                defer { index += 1 }
                return index < pieces.count ? pieces[index] : nil
            }
        })
        let encoded = StructuredMessage.encode(source, contentLength: UInt64(content.count))
        guard case .stream(let length, let chunks) = encoded else { Issue.record("not a stream"); return }
        var out: [UInt8] = []
        var iterator = chunks.makeIterator()
        while let piece = try await iterator.next() { out += piece }
        #expect(length == out.count)
        #expect(out == Self.message(content))
    }

    @Test func putRangeAndGetFileSpeakStructuredMessages() async throws {
        let h = try await Harness.make()
        #expect(try await h.send(.put, "docs?restype=share").status == 201)
        #expect(try await h.send(.put, "docs/f", headers: ["x-ms-type": "file", "x-ms-content-length": "64"]).status == 201)
        let content = Array("0123456789abcdef".utf8)
        let range = ["x-ms-range": "bytes=16-31", "x-ms-write": "update", "x-ms-structured-body": Self.header]
        let put = try await h.send(.put, "docs/f?comp=range", headers: range.merging(["x-ms-structured-content-length": "16"]) { $1 },
                                   body: Self.message(content))
        #expect(put.status == 201)
        #expect(put.header("x-ms-structured-body") == Self.header)
        #expect(put.header("x-ms-content-crc64") == Data(StorageCRC64.bytes(StorageCRC64.checksum(content))).base64EncodedString())

        var corrupted = Self.message(Array("XXXXXXXXXXXXXXXX".utf8))
        corrupted[30] ^= 0x20
        let refused = try await h.send(.put, "docs/f?comp=range", headers: range.merging(["x-ms-structured-content-length": "16"]) { $1 },
                                       body: corrupted)
        #expect(refused.status == 400 && refused.errorCode == "Crc64Mismatch")
        let wrongLength = try await h.send(.put, "docs/f?comp=range", headers: range.merging(["x-ms-structured-content-length": "15"]) { $1 },
                                           body: Self.message(content))
        #expect(wrongLength.status == 400 && wrongLength.errorCode == "InvalidHeaderValue")
        let badVersion = try await h.send(.put, "docs/f?comp=range", headers: range.merging(["x-ms-structured-body": "XSM/2.0; properties=crc64",
                                                                                             "x-ms-structured-content-length": "16"]) { $1 },
                                          body: Self.message(content))
        #expect(badVersion.status == 400 && badVersion.errorCode == "InvalidHeaderValue")

        let get = try await h.send(.get, "docs/f", headers: ["x-ms-range": "bytes=10-40", "x-ms-structured-body": Self.header])
        #expect(get.status == 206)
        #expect(get.header("x-ms-structured-body") == Self.header)
        #expect(get.header("x-ms-structured-content-length") == "31")
        #expect(get.header("Content-Length") == String(get.body.count))
        let expected = [UInt8](repeating: 0, count: 6) + content + [UInt8](repeating: 0, count: 9)
        #expect(try StructuredMessage.decode(get.body) == expected)
        try await h.finish()
    }
}
