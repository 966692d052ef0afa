import Testing
@testable import S3

/// Full-object checksums of multipart uploads come from combining the parts' CRCs.
@Suite struct CRCCombineTests {
    static let pieces: [[UInt8]] = [
        (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) },
        [],
        Array("a short middle".utf8),
        (0..<70_001).map { UInt8(truncatingIfNeeded: $0 &* 7) },
    ]

    @Test(arguments: [ChecksumAlgorithm.crc32, .crc32c, .crc64nvme])
    func combiningPartsGivesTheWholeObjectsCRC(_ algorithm: ChecksumAlgorithm) {
        let whole = ChecksumHasher.checksum(algorithm, of: Self.pieces.flatMap { $0 })
        let parts = Self.pieces.map { (digest: ChecksumHasher.checksum(algorithm, of: $0), size: UInt64($0.count)) }
        #expect(CRCCombine.fullObject(algorithm, parts: parts) == whole)
        #expect(CRCCombine.fullObject(algorithm, parts: [parts[0]]) == parts[0].digest)
    }

    @Test func knownCheckValues() {
        // The CRC-32 of "123456789" is 0xCBF43926; of "1234" then "56789", combined, the same.
        let first = UInt32(0x9BE3_E0A3), second = ChecksumHasher.checksum(.crc32, of: Array("56789".utf8))
        let secondValue = second.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(ChecksumHasher.checksum(.crc32, of: Array("1234".utf8)) == [0x9B, 0xE3, 0xE0, 0xA3])
        #expect(CRCCombine.combine(first, secondValue, secondLength: 5, polynomial: 0xEDB8_8320) == 0xCBF4_3926)
    }

    @Test func shaHasNoFullObjectForm() {
        #expect(CRCCombine.fullObject(.sha256, parts: [([1], 1)]) == nil)
        #expect(CRCCombine.fullObject(.sha1, parts: [([1], 1)]) == nil)
    }
}
