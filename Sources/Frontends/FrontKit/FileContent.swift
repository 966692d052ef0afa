import ShareCore

extension ResponseBody {
    /// Bytes `span` of file `fileId` of `share`, read from the engine in pieces of at most
    /// `pieceBytes` (4 MiB) only as the client pulls them, so memory stays flat whatever the size.
    /// Reading by id keeps every piece on the same file even if its path is renamed or replaced
    /// during the download.
    public static func fileContent(_ share: Share, fileId: UInt64, span: Range<UInt64>,
                                   pieceBytes: Int = ShareStore.maxRangeBytes) -> ResponseBody {
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
}
