import Foundation
import ShareCore

/// An S3 access key besides the account's (`sharecore s3 key add NAME`): another identity that
/// signs requests. It owns no bucket (the account owns every bucket); it gets what bucket ACLs
/// and bucket policies grant it.
///
/// Keys are the S3 front's own records (table `s3.keys`, keyed by name, not owned by any share).
public struct S3Key: Sendable, Hashable, Codable {
    /// The name given to `sharecore s3 key add` (also the display name in ACLs).
    public var name: String
    /// The access key id clients sign with (20 characters, `SC…`).
    public var accessKeyId: String
    /// The secret access key.
    public var secretKey: String
    /// The canonical user id (64 hex digits) ACL grants and policies name.
    public var canonicalId: String
    /// When the key was added.
    public var created: Date

    /// The record table holding the keys.
    public static let table = RecordTable("s3.keys")

    /// A new key named `name` with a random id, secret and canonical user id.
    public static func generate(name: String) -> S3Key {
        var generator = SystemRandomNumberGenerator()
        let upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let id = "SC" + String((0..<18).map { _ in upper[Int(generator.next() % UInt64(upper.count))] })
        let secret = String((0..<40).map { _ in secretAlphabet[Int(generator.next() % UInt64(secretAlphabet.count))] })
        let canonical = (0..<32).map { _ in String(format: "%02x", UInt8(truncatingIfNeeded: generator.next())) }.joined()
        return S3Key(name: name, accessKeyId: id, secretKey: secret, canonicalId: canonical, created: Date())
    }

    /// Checks a key name: 1 to 64 ASCII letters, digits, `.`, `_`, `-`, `@`.
    public static func validateName(_ name: String) throws(ShareCoreError) {
        let allowed = name.utf8.allSatisfy { c in
            (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) || [0x2E, 0x5F, 0x2D, 0x40].contains(c)
        }
        guard (1...64).contains(name.utf8.count), allowed else {
            throw ShareCoreError(.invalidArgument,
                                 "key name '\(name)' is invalid: 1 to 64 letters, digits, '.', '_', '-' or '@'")
        }
    }

    func encode() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return Array(try encoder.encode(self))
    }

    init(name: String, accessKeyId: String, secretKey: String, canonicalId: String, created: Date) {
        self.name = name
        self.accessKeyId = accessKeyId
        self.secretKey = secretKey
        self.canonicalId = canonicalId
        self.created = created
    }

    /// Decodes a stored key.
    init(stored bytes: [UInt8]) throws(ShareCoreError) {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        do {
            self = try decoder.decode(S3Key.self, from: Data(bytes))
        } catch {
            throw ShareCoreError(.dataCorrupted, "an S3 key record is malformed")
        }
    }

    /// Checks a stored key for `sharecore check`: a valid name that matches the record.
    public static let verifier: RecordVerifier = { key, value in
        let name = String(decoding: key, as: UTF8.self)
        try validateName(name)
        let decoded = try S3Key(stored: value)
        guard decoded.name == name, !decoded.accessKeyId.isEmpty, !decoded.secretKey.isEmpty else {
            throw ShareCoreError(.dataCorrupted, "S3 key '\(name)' does not match its record")
        }
    }
}

extension ShareStore {
    /// Adds access key `name` with a generated id and secret.
    ///
    /// Errors: `invalidArgument` for a bad name; `resourceAlreadyExists` when the name is taken.
    public func addS3Key(_ name: String) async throws -> S3Key {
        try S3Key.validateName(name)
        let key = S3Key.generate(name: name)
        let value = try key.encode()
        return try await writeRecords { records in
            if try records.get(S3Key.table, Array(name.utf8)) != nil {
                throw ShareCoreError(.resourceAlreadyExists, "an S3 key named '\(name)' exists")
            }
            try records.put(S3Key.table, Array(name.utf8), value, owner: nil, claimingShareName: nil)
            return key
        }
    }

    /// Every added access key, by name.
    public func s3Keys() throws -> [S3Key] {
        try readRecords { records in try ShareStore.s3Keys(records) }
    }

    /// The access keys `records` holds.
    static func s3Keys(_ records: RecordReader) throws -> [S3Key] {
        var out: [S3Key] = []
        try records.scan(S3Key.table) { _, value in
            out.append(try S3Key(stored: value))
            return true
        }
        return out
    }

    /// Removes access key `name` (`resourceNotFound` when there is none). Requests it signs
    /// are refused from then on.
    public func removeS3Key(_ name: String) async throws {
        try await writeRecords { records in
            guard try records.delete(S3Key.table, Array(name.utf8)) else {
                throw ShareCoreError(.resourceNotFound, "no S3 key named '\(name)'")
            }
        }
    }
}
