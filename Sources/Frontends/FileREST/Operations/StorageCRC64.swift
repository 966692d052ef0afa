/// The CRC-64 Azure Storage uses for `x-ms-content-crc64` and the `x-ms-source-*-crc64`
/// conditions: reflected, polynomial 0x9A6C9329AC4BC9B5, all-ones start and final XOR.
/// Headers carry it as the base64 of its eight little-endian bytes.
enum StorageCRC64 {
    static let polynomial: UInt64 = 0x9A6C_9329_AC4B_C9B5

    private static let table: [UInt64] = (0..<256).map { index in
        var crc = UInt64(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
        return crc
    }

    /// The CRC of `bytes`; with `continuing`, the CRC of the bytes that gave that CRC followed
    /// by `bytes` (so a stream can be checked piece by piece).
    static func checksum(_ bytes: some Collection<UInt8>, continuing previous: UInt64 = 0) -> UInt64 {
        var crc = ~previous
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = (crc >> 8) ^ table[Int((crc ^ UInt64(byte)) & 0xFF)] }
        }
        return ~crc
    }

    /// The eight little-endian bytes of `crc`, as headers carry them (base64-encoded).
    static func bytes(_ crc: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
    }
}
