import ShareCore

/// How an object's checksum is kept with its file: `ALGORITHM:base64`, e.g. `CRC32:AAAAAA==`.
enum ChecksumField {
    /// The stored form of a checksum.
    static func format(_ algorithm: ChecksumAlgorithm, _ base64: String) -> String {
        algorithm.rawValue + ":" + base64
    }

    /// The response header (`x-amz-checksum-crc32`, ...) and value of a stored checksum.
    static func parse(_ stored: String) -> (header: String, value: String)? {
        guard let colon = stored.firstIndex(of: ":"),
              let algorithm = ChecksumAlgorithm(rawValue: String(stored[..<colon])) else { return nil }
        return (algorithm.headerName, String(stored[stored.index(after: colon)...]))
    }

    /// The algorithm and value of a stored checksum.
    static func decode(_ stored: String) -> (algorithm: ChecksumAlgorithm, base64: String)? {
        guard let colon = stored.firstIndex(of: ":"),
              let algorithm = ChecksumAlgorithm(rawValue: String(stored[..<colon])) else { return nil }
        return (algorithm, String(stored[stored.index(after: colon)...]))
    }

    /// Whether a stored checksum value is a composite one (`base64-N`: the checksum of the
    /// parts' checksums of an N-part object).
    static func isComposite(_ base64: String) -> Bool { base64.contains("-") }

    /// Properties that keep the checksum of a body that has been read to the end, if it had one.
    static func properties(_ result: PayloadResult) -> NodeProperties? {
        guard let checksum = result.checksum else { return nil }
        var properties = NodeProperties()
        properties.objectChecksum = format(checksum.algorithm, checksum.base64)
        return properties
    }
}
