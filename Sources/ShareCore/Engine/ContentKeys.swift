import Crypto
import Foundation

/// How a file's content is encrypted at rest (``NodeInfo/encryption``).
///
/// Encryption happens chunk by chunk, each 64 KiB block sealed with AES-256-GCM under a key
/// derived for its chunk, so a range read decrypts only the blocks it touches. The file's
/// setting decides how new content written to it is sealed; chunks shared by copies and
/// snapshots keep the key they were sealed with.
public enum ContentEncryption: Sendable, Hashable {
    /// Sealed with the store's own key (`content.key` in the data directory): every reader
    /// sees the plain bytes (S3 `SSE-S3`).
    case storeKey
    /// Sealed with a key the client supplies with each request (S3 `SSE-C`). The store keeps
    /// only the key's MD5 (as S3 reports it); reading or writing the content needs the key
    /// (``Share/withCustomerKey(_:)``).
    case customerKey(keyMD5: [UInt8])
    /// Sealed with a named key the store manages, derived from its own key and the name: every
    /// reader sees the plain bytes (S3 `SSE-KMS`, with the store as the key service). Which
    /// names may be used is the front's to decide.
    case managedKey(name: String)

    /// The stored form (1 byte of kind, then the key's MD5 or name), for fronts that keep an
    /// encryption in their own records.
    public var storedForm: [UInt8] { encode() }

    /// Decodes ``storedForm`` (`dataCorrupted` when malformed).
    public init(storedForm: [UInt8]) throws(ShareCoreError) {
        self = try ContentEncryption.decode(storedForm[...])
    }

    func encode() -> [UInt8] {
        switch self {
        case .storeKey: [1]
        case .customerKey(let md5): [2] + md5
        case .managedKey(let name): [3] + Array(name.utf8)
        }
    }

    static func decode(_ raw: ArraySlice<UInt8>) throws(ShareCoreError) -> ContentEncryption {
        switch raw.first {
        case 1 where raw.count == 1: return .storeKey
        case 2 where raw.count == 17: return .customerKey(keyMD5: Array(raw.dropFirst()))
        case 3 where raw.count > 1: return .managedKey(name: String(decoding: raw.dropFirst(), as: UTF8.self))
        default: throw ShareCoreError(.dataCorrupted, "a node record has a malformed encryption field")
        }
    }
}

/// A 256-bit key a client supplies to encrypt and read its content (S3 `SSE-C`). The store
/// never keeps it: only its MD5 is recorded with the file.
public struct CustomerKey: Sendable, Hashable {
    private let bytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: bytes) }
    /// The key's MD5 (what S3 calls `x-amz-server-side-encryption-customer-key-MD5`).
    public let md5: [UInt8]

    /// A key of exactly 32 bytes (`invalidArgument` otherwise).
    public init(_ bytes: [UInt8]) throws(ShareCoreError) {
        guard bytes.count == 32 else {
            throw ShareCoreError(.invalidArgument, "a customer key has 32 bytes (256 bits), not \(bytes.count)")
        }
        self.bytes = bytes
        md5 = Array(Insecure.MD5.hash(data: bytes))
    }
}

/// The key a new chunk is sealed with: which root key, and the identifier stored in the
/// chunk so a reader can tell which key it needs.
struct ChunkSealing: Sendable {
    /// 1: the store key; 2: a customer key; 3: a managed key.
    let kind: UInt8
    /// 16 bytes naming the root key (an HMAC under the store key, never the key itself).
    let keyId: [UInt8]
    private let rootBytes: [UInt8]
    var root: SymmetricKey { SymmetricKey(data: rootBytes) }

    init(kind: UInt8, keyId: [UInt8], root: SymmetricKey) {
        self.kind = kind
        self.keyId = keyId
        rootBytes = root.withUnsafeBytes { Array($0) }
    }
}

/// The keys a read or write may use: the store's own, and the customer key the caller gave.
struct ContentKeys: Sendable {
    /// The store's key (nil where a store is read without it, as `check` does).
    var store: StoreKey?
    var customer: CustomerKey?

    /// No keys: sealed content cannot be read or written.
    static let none = ContentKeys(store: nil, customer: nil)

    private func storeKey() throws(ShareCoreError) -> StoreKey {
        guard let store else { throw ShareCoreError(.storageError, "the store was opened without its content key") }
        return store
    }

    /// The sealing for new content of a file encrypted as `encryption` (nil: not encrypted).
    /// Content under a customer key needs that key (`encryptionKeyRequired`,
    /// `encryptionKeyMismatch`).
    func sealing(for encryption: ContentEncryption?, what: @autoclosure () -> String) throws(ShareCoreError) -> ChunkSealing? {
        switch encryption {
        case nil: return nil
        case .storeKey: return try storeKey().sealing
        case .managedKey(let name): return try storeKey().sealing(managed: name)
        case .customerKey(let md5):
            guard let customer else {
                throw ShareCoreError(.encryptionKeyRequired, "\(what()) is encrypted with a customer-provided key, which the request does not give")
            }
            guard customer.md5 == md5 else {
                throw ShareCoreError(.encryptionKeyMismatch, "\(what()) is encrypted with another customer-provided key than the one given")
            }
            return try storeKey().sealing(customer)
        }
    }

    /// The root key of a stored chunk sealed with key `kind`/`keyId`.
    func root(kind: UInt8, keyId: UnsafeRawBufferPointer, chunk: UInt64) throws(ShareCoreError) -> SymmetricKey {
        switch kind {
        case 1:
            let sealing = try storeKey().sealing
            guard keyId.elementsEqual(sealing.keyId) else {
                throw ShareCoreError(.dataCorrupted, "chunk \(chunk) was sealed with another store key than this store's content.key")
            }
            return sealing.root
        case 3:
            return try storeKey().managedRoot(keyId: keyId)
        case 2:
            guard let customer else {
                throw ShareCoreError(.encryptionKeyRequired, "the content is encrypted with a customer-provided key, which the request does not give")
            }
            let sealing = try storeKey().sealing(customer)
            guard keyId.elementsEqual(sealing.keyId) else {
                throw ShareCoreError(.encryptionKeyMismatch, "the content is encrypted with another customer-provided key than the one given")
            }
            return sealing.root
        default:
            throw ShareCoreError(.dataCorrupted, "chunk \(chunk) names an unknown kind of key (\(kind))")
        }
    }
}

/// The store's own content key, kept in `content.key` in the data directory (32 random
/// bytes, mode 0600, made when the store is first opened). Without that file the content
/// written with ``ContentEncryption/storeKey`` cannot be read: back it up with the store.
final class StoreKey: Sendable {
    static let fileName = "content.key"
    let sealing: ChunkSealing
    private let identityBytes: [UInt8]
    private var identity: SymmetricKey { SymmetricKey(data: identityBytes) }

    init(_ bytes: [UInt8]) {
        let key = SymmetricKey(data: bytes)
        identityBytes = bytes
        sealing = ChunkSealing(kind: 1, keyId: StoreKey.keyId(key, label: "sharecore store key", nil), root: key)
    }

    /// The sealing for customer key `customer`: its identifier is an HMAC under the store key,
    /// so the chunk does not reveal anything about the customer's key.
    func sealing(_ customer: CustomerKey) -> ChunkSealing {
        ChunkSealing(kind: 2, keyId: StoreKey.keyId(identity, label: "sharecore customer key", customer.key), root: customer.key)
    }

    /// The sealing for managed key `name`: its identifier is an HMAC of the name, and its
    /// root key an HMAC of that identifier, both under the store key, so a reader needs only the
    /// identifier the chunk holds.
    func sealing(managed name: String) -> ChunkSealing {
        let id = StoreKey.keyId(identity, label: "sharecore managed key " + name, nil)
        return ChunkSealing(kind: 3, keyId: id, root: managedRoot(keyId: id))
    }

    /// The root key of the managed key whose identifier is `keyId`.
    func managedRoot(keyId: some Sequence<UInt8>) -> SymmetricKey {
        var mac = HMAC<SHA256>(key: identity)
        mac.update(data: Array("sharecore managed key root".utf8) + Array(keyId))
        return SymmetricKey(data: Array(mac.finalize()))
    }

    private static func keyId(_ key: SymmetricKey, label: String, _ subject: SymmetricKey?) -> [UInt8] {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array(label.utf8))
        subject?.withUnsafeBytes { mac.update(data: $0) }
        return Array(Array(mac.finalize()).prefix(16))
    }

    /// Loads the key of the store in directory `path`, making it first if there is none yet
    /// (written to a temporary file, synced, then renamed into place).
    static func load(directory path: String) throws(ShareCoreError) -> StoreKey {
        let file = (path as NSString).appendingPathComponent(fileName)
        if let data = FileManager.default.contents(atPath: file) {
            guard data.count == 32 else {
                throw ShareCoreError(.dataCorrupted, "\(file) holds \(data.count) bytes, not a 32-byte key")
            }
            return StoreKey(Array(data))
        }
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let temporary = file + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ShareCoreError(.storageError, "cannot create \(temporary): errno \(errno)") }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(temporary, file) == 0 else {
            unlink(temporary)
            throw ShareCoreError(.storageError, "cannot write \(file): errno \(errno)")
        }
        let dir = open(path, O_RDONLY)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
        return StoreKey(bytes)
    }
}

/// Sealing and opening one 64 KiB block of a chunk with AES-256-GCM. Each chunk has a key of
/// its own, HMAC-SHA256(root, salt) with a random 16-byte salt stored in the chunk, so the
/// block index alone is a nonce that never repeats under one key.
enum BlockCipher {
    static let tagBytes = 16
    static let saltBytes = 16

    static func chunkKey(_ root: SymmetricKey, salt: UnsafeRawBufferPointer) -> SymmetricKey {
        var mac = HMAC<SHA256>(key: root)
        mac.update(data: salt)
        return SymmetricKey(data: Array(mac.finalize()))
    }

    static func nonce(_ block: Int) -> AES.GCM.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { bytes[11 - i] = UInt8(truncatingIfNeeded: UInt64(block) >> (8 * UInt64(i))) }
        // 12 bytes is always a valid GCM nonce.
        return (try? AES.GCM.Nonce(data: bytes)) ?? AES.GCM.Nonce()
    }

    /// Encrypts `plain` as block `block`, writing the ciphertext to `out` (same length) and the
    /// tag to `tag`.
    static func seal(_ plain: UnsafeRawBufferPointer, block: Int, key: SymmetricKey,
                     to out: UnsafeMutableRawPointer, tag: UnsafeMutableRawPointer) throws(ShareCoreError) {
        let box: AES.GCM.SealedBox
        do {
            box = try AES.GCM.seal(plain, using: key, nonce: nonce(block))
        } catch {
            throw ShareCoreError(.storageError, "encrypting a block failed: \(error)")
        }
        box.ciphertext.withUnsafeBytes { if let b = $0.baseAddress { out.copyMemory(from: b, byteCount: $0.count) } }
        box.tag.withUnsafeBytes { if let b = $0.baseAddress { tag.copyMemory(from: b, byteCount: min(tagBytes, $0.count)) } }
    }

    /// Decrypts block `block` and checks its tag; a wrong key or altered bytes fail.
    static func open(_ cipher: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer, block: Int, key: SymmetricKey,
                     chunk: UInt64) throws(ShareCoreError) -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(nonce: nonce(block), ciphertext: cipher, tag: tag)
            return Array(try AES.GCM.open(box, using: key))
        } catch {
            throw ShareCoreError(.encryptionKeyMismatch, "block \(block) of chunk \(chunk) does not open with the key given")
        }
    }
}
