import ShareCore

extension ResponseBody {
    /// The bytes a streamed file body reads from the engine at a time (128 KiB).
    ///
    /// Below the mmap threshold `sharecore serve` fixes for glibc (3 MiB, the memory bound of
    /// issue #10; it was 256 KiB when this size was chosen), so a piece and the server's copy of it come from the heap, whose pages stay
    /// mapped from one piece (and one request) to the next. With 4 MiB pieces every buffer was
    /// a fresh `mmap` that the kernel zeroed page by page on first touch, and those page faults
    /// were 56% of a 4 MiB GET's time. Smaller pieces also hold less memory per download.
    public static let streamPieceBytes = 128 << 10

    /// Bytes `span` of file `fileId` of `share`, read from the engine in pieces of at most
    /// `pieceBytes` only as the client pulls them, so memory stays flat whatever the size.
    /// Reading by id keeps every piece on the same file even if its path is renamed or replaced
    /// during the download.
    public static func fileContent(_ share: Share, fileId: UInt64, span: Range<UInt64>,
                                   pieceBytes: Int = streamPieceBytes) -> ResponseBody {
        .stream(length: Int(span.count), chunks: ResponseChunks {
            var next = span.lowerBound
            return ResponseChunks.Iterator {
                guard next < span.upperBound else { return nil }
                let end = min(next + UInt64(pieceBytes), span.upperBound)
                let bytes = try await share.read(fileId: fileId, range: next..<end)
                next = end
                return bytes
            }
        })
    }

    /// The bytes of an opened file's span. ``Share/open(_:contentMD5:firstBytes:span:)`` read
    /// and verified the first of them in the transaction that read its properties, so stored
    /// data failing its checksum there was thrown before any status line: a small damaged file
    /// gets an error response in the protocol's format instead of a 200 cut short. When those
    /// bytes are all of the span, the body is the bytes themselves (one write); otherwise the
    /// rest is read from the engine by the file's id, in pieces of at most `pieceBytes` as the
    /// client pulls them, and a failure there can only end the connection (the status is out
    /// by then); its `dataCorrupted` error is rethrown naming the share, `path` and the bytes read.
    public static func openedFileContent(_ share: Share, _ opened: OpenedItem, path: String,
                                         pieceBytes: Int = streamPieceBytes) -> ResponseBody {
        let span = opened.span ?? 0..<0
        let rest = opened.rest
        let fileId = opened.info.id
        let first = opened.first
        // All of it read already: one write, no stream to pull.
        if rest.isEmpty { return .bytes(first) }
        return .stream(length: Int(span.count), chunks: ResponseChunks {
            var pending: [UInt8]? = first.isEmpty ? nil : first
            var next = rest.lowerBound
            return ResponseChunks.Iterator {
                if let bytes = pending {
                    pending = nil
                    return bytes
                }
                guard next < rest.upperBound else { return nil }
                let end = min(next + UInt64(pieceBytes), rest.upperBound)
                let bytes = try await piece(share, fileId: fileId, path: path, next..<end)
                next = end
                return bytes
            }
        })
    }

    /// One read, with a checksum failure rethrown naming where it happened.
    static func piece(_ share: Share, fileId: UInt64, path: String, _ range: Range<UInt64>) async throws -> [UInt8] {
        do {
            return try await share.read(fileId: fileId, range: range)
        } catch let error as ShareCoreError where error.code == .dataCorrupted {
            throw ShareCoreError(.dataCorrupted, "share '\(share.name)', file '\(path)', reading bytes \(range.lowerBound)..<\(range.upperBound): \(error.message)")
        }
    }
}
