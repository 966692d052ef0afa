import Foundation
import FrontKit

/// The structured message body format (`x-ms-structured-body: XSM/1.0; properties=crc64`)
/// the Azure Storage SDKs use for CRC-64 content validation: a 13-byte header (version 1,
/// message length: 8 bytes, flags: 2 bytes, segment count: 2 bytes, all little-endian), then
/// per segment a 10-byte header (number from 1: 2 bytes, content length: 8 bytes), the content
/// and the segment's CRC-64, then the CRC-64 of the whole content.
enum StructuredMessage {
    /// The header value for version 1 with CRC-64, as the SDK sends it and Azure echoes it.
    static let crc64Header = "XSM/1.0; properties=crc64"
    /// The flag bit for CRC-64 footers.
    static let crc64Flag: UInt16 = 1
    static let messageHeaderBytes = 13
    static let segmentHeaderBytes = 10
    static let crcBytes = 8
    /// The content bytes per segment this server writes (the SDK's default).
    static let segmentBytes = 4 << 20

    /// Why a body could not be read as a structured message.
    enum Failure: Error, Equatable {
        /// The framing is wrong (lengths, numbering, version, flags).
        case malformed(String)
        /// A segment's or the message's CRC-64 differs from the content's: (sent, computed).
        case crcMismatch(sent: UInt64, computed: UInt64)
    }

    /// Whether `value` asks for version 1 with CRC-64 (spaces and case as the SDKs vary them).
    static func isSupported(_ value: String) -> Bool {
        let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return parts == ["xsm/1.0", "properties=crc64"]
    }

    /// The encoded length of `contentLength` bytes in segments of ``segmentBytes``.
    static func encodedLength(_ contentLength: UInt64) -> UInt64 {
        let segments = max(1, (contentLength + UInt64(segmentBytes) - 1) / UInt64(segmentBytes))
        return UInt64(messageHeaderBytes + crcBytes) + segments * UInt64(segmentHeaderBytes + crcBytes) + contentLength
    }

    /// The content of a whole message in `body`, every CRC verified.
    static func decode(_ body: [UInt8]) throws(Failure) -> [UInt8] {
        func u16(_ i: Int) -> UInt16 { UInt16(body[i]) | UInt16(body[i + 1]) << 8 }
        func u64(_ i: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(body[i + $1]) << (8 * UInt64($1)) } }
        guard body.count >= messageHeaderBytes else { throw .malformed("shorter than a message header") }
        guard body[0] == 1 else { throw .malformed("version \(body[0]) is not supported") }
        guard u64(1) == UInt64(body.count) else { throw .malformed("the message length is not the body's length") }
        let flags = u16(9)
        guard flags == crc64Flag else { throw .malformed("flags \(flags) are not CRC-64") }
        let segments = Int(u16(11))
        guard segments >= 1 else { throw .malformed("no segments") }
        var content: [UInt8] = []
        content.reserveCapacity(body.count)
        var at = messageHeaderBytes
        for number in 1...segments {
            guard body.count - at >= segmentHeaderBytes else { throw .malformed("segment \(number) header missing") }
            guard Int(u16(at)) == number else { throw .malformed("segment \(u16(at)) out of order") }
            let length = u64(at + 2)
            at += segmentHeaderBytes
            guard length <= UInt64(body.count - at), body.count - at - Int(length) >= crcBytes else {
                throw .malformed("segment \(number) longer than the body")
            }
            let segment = body[at..<at + Int(length)]
            at += Int(length)
            let computed = StorageCRC64.checksum(segment)
            let sent = u64(at)
            guard sent == computed else { throw .crcMismatch(sent: sent, computed: computed) }
            at += crcBytes
            content.append(contentsOf: segment)
        }
        guard body.count - at == crcBytes else { throw .malformed("the message footer is missing or followed by more bytes") }
        let computed = StorageCRC64.checksum(content)
        guard u64(at) == computed else { throw .crcMismatch(sent: u64(at), computed: computed) }
        return content
    }

    /// `content` (a stream of `contentLength` bytes, in pieces of any size) as a structured
    /// message, encoded as the client pulls it.
    static func encode(_ content: ResponseBody, contentLength: UInt64) -> ResponseBody {
        let total = encodedLength(contentLength)
        let segmentCount = max(1, (contentLength + UInt64(segmentBytes) - 1) / UInt64(segmentBytes))
        return .stream(length: Int(total), chunks: ResponseChunks {
            var inner: ResponseChunks.Iterator? = {
                switch content {
                case .stream(_, let chunks): return chunks.makeIterator()
                case .bytes(let bytes):
                    var sent = false
                    return ResponseChunks.Iterator { defer { sent = true }; return sent ? nil : bytes }
                case .empty: return nil
                }
            }()
            var started = false, finished = false
            var segment = 0
            var leftInSegment = 0
            var segmentCRC: UInt64 = 0, messageCRC: UInt64 = 0
            var remaining = contentLength
            func segmentHeader(_ out: inout [UInt8]) {
                segment += 1
                leftInSegment = Int(min(UInt64(segmentBytes), remaining))
                segmentCRC = 0
                out.appendLittleEndian(UInt16(segment))
                out.appendLittleEndian(UInt64(leftInSegment))
            }
            return ResponseChunks.Iterator {
                if finished { return nil }
                var out: [UInt8] = []
                if !started {
                    started = true
                    out.append(1)
                    out.appendLittleEndian(total)
                    out.appendLittleEndian(crc64Flag)
                    out.appendLittleEndian(UInt16(segmentCount))
                    segmentHeader(&out)
                }
                if remaining > 0, let piece = try await inner?.next() {
                    var index = 0
                    while index < piece.count {
                        if leftInSegment == 0 {
                            guard remaining > 0 else { throw Failure.malformed("content longer than announced") }
                            segmentHeader(&out)
                        }
                        let take = min(leftInSegment, piece.count - index)
                        let slice = piece[index..<index + take]
                        segmentCRC = StorageCRC64.checksum(slice, continuing: segmentCRC)
                        messageCRC = StorageCRC64.checksum(slice, continuing: messageCRC)
                        out.append(contentsOf: slice)
                        index += take
                        leftInSegment -= take
                        remaining -= UInt64(take)
                        if leftInSegment == 0 { out.appendLittleEndian(segmentCRC) }
                    }
                    return out
                }
                guard remaining == 0 else { throw Failure.malformed("content ended early") }
                // An empty message still has its one (empty) segment's footer.
                if contentLength == 0 { out.appendLittleEndian(segmentCRC) }
                out.appendLittleEndian(messageCRC)
                finished = true
                return out
            }
        })
    }
}

private extension [UInt8] {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        for index in 0..<(T.bitWidth / 8) { append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }
}
