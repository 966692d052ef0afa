import ShareCore

/// A multipart upload in progress: parts are staged, invisible in the share, until
/// ``ShareCore/Share/completeMultipartUpload(_:parts:etag:minimumPartSize:createParents:)`` assembles them into one file.
///
/// Uploads are the S3 front's own records (table `s3.uploads`, keyed by share name length
/// (u8) · share name · the 16 bytes of the upload id, owned by the share, so deleting the
/// share deletes them); their parts are content staged for those records (``StagedContent``,
/// keyed by part number as a big-endian u16), so the engine keeps their chunks and counts their
/// references without knowing what an upload is.
public struct MultipartUpload: Sendable, Hashable {
    /// The upload id: 32 lowercase hex characters, random and unguessable.
    public var id: String
    /// The share the upload belongs to.
    public var share: String
    /// The file the completion creates (or replaces), relative to the share's root.
    public var path: String
    /// Content headers, metadata and other properties for the completed file.
    public var properties: NodeProperties
    /// When the upload was created.
    public var initiated: FileTime
    /// An opaque value kept for the front (e.g. the checksum algorithm the client chose).
    public var tag: String?
    /// How the parts (and so the completed file) are encrypted at rest; nil: not encrypted.
    public var encryption: ContentEncryption? = nil

    /// An upload description.
    public init(id: String, share: String, path: String, properties: NodeProperties, initiated: FileTime, tag: String?,
                encryption: ContentEncryption? = nil) {
        self.encryption = encryption
        self.id = id
        self.share = share
        self.path = path
        self.properties = properties
        self.initiated = initiated
        self.tag = tag
    }

    /// The record table holding uploads.
    public static let table = RecordTable("s3.uploads")

    /// Checks a stored upload record for `sharecore check`: its key is a share name and an
    /// upload id, and it decodes to a valid file path and properties.
    public static let verifier: RecordVerifier = { key, value in
        guard let (share, _) = UploadKeys.split(key) else {
            throw ShareCoreError(.dataCorrupted, "the key is not a share name and a 16-byte upload id")
        }
        try Names.validateShare(share)
        let record = try UploadRecord(stored: value)
        guard try !SharePath(record.path).isRoot else { throw ShareCoreError(.dataCorrupted, "the upload's path is the root") }
    }
}

/// A part staged for a multipart upload.
public struct UploadedPart: Sendable, Hashable {
    /// The part number (1 to 10,000).
    public var number: Int
    /// The part's length in bytes.
    public var size: UInt64
    /// The MD5 (16 bytes) of the part's content: its S3 ETag.
    public var md5: [UInt8]
    /// When the part was stored.
    public var lastModified: FileTime
    /// An opaque checksum the front computed while the part streamed, if any.
    public var checksum: String?

    /// A part description.
    public init(number: Int, size: UInt64, md5: [UInt8], lastModified: FileTime, checksum: String?) {
        self.number = number
        self.size = size
        self.md5 = md5
        self.lastModified = lastModified
        self.checksum = checksum
    }

    /// A part from its staged content (key: the part number; payload: the checksum's UTF-8).
    init?(_ content: StagedContent) {
        guard content.key.count == 2 else { return nil }
        let number = Int(content.key[0]) << 8 | Int(content.key[1])
        self.init(number: number, size: content.size, md5: content.md5, lastModified: content.created,
                  checksum: content.payload.isEmpty ? nil : String(decoding: content.payload, as: UTF8.self))
    }
}

extension ShareCoreError.Code {
    /// The multipart upload does not exist (never created, completed, aborted, or of another share).
    public static let uploadNotFound = ShareCoreError.Code("uploadNotFound")
    /// A part listed for completion was not uploaded, or its MD5 differs from the one given.
    public static let invalidPart = ShareCoreError.Code("invalidPart")
    /// The parts listed for completion are not in strictly ascending order of part number.
    public static let invalidPartOrder = ShareCoreError.Code("invalidPartOrder")
    /// A part other than the last is smaller than the minimum part size.
    public static let partTooSmall = ShareCoreError.Code("partTooSmall")
}

extension Share {
    /// The highest part number (S3's limit).
    public static let maxPartNumber = 10_000
    /// The largest part, 5 GiB (S3's limit); a larger part is `fileTooLarge`.
    public static let maxPartSize: UInt64 = 5 << 30

    /// Starts a multipart upload of file `path` (not created until completion; its parent
    /// directories need to exist only then). Uploads belong to the live share: a snapshot
    /// handle is `snapshotReadOnly`.
    /// - Parameters:
    ///   - path: the file the completed upload becomes.
    ///   - properties: content headers, metadata and other properties of the completed file.
    ///   - tag: an opaque value returned with the upload (e.g. a checksum algorithm).
    ///   - encryption: how the parts and the completed file are encrypted at rest.
    public func createMultipartUpload(_ path: String, properties: NodeProperties = NodeProperties(),
                                      tag: String? = nil, encryption: ContentEncryption? = nil) async throws -> MultipartUpload {
        let p = try SharePath(path)
        guard !p.isRoot else { throw ShareCoreError(.notAFile, "the root is a directory") }
        try properties.metadata?.validate()
        try requireLiveUpload()
        let name = self.name
        return try await store.writeRecords { records in
            var id = UploadKeys.newId()
            while try records.get(MultipartUpload.table, UploadKeys.key(name, id)) != nil { id = UploadKeys.newId() }
            var record = UploadRecord(path: p.description, properties: properties, initiated: FileTime.now(), tag: tag)
            record.encryption = encryption
            try records.put(MultipartUpload.table, UploadKeys.key(name, id), record.encode(), owner: name)
            return record.upload(id: id, share: name)
        }
    }

    /// Streams part `number` (1 to 10,000) of upload `uploadId`, replacing an existing part of
    /// the same number atomically. The content is stored in chunks while it streams (never
    /// held whole in memory); if the sequence throws or the task is cancelled, what was stored
    /// is reclaimed and the previous part, if any, stays. `checksum` is called once the content
    /// has been read, and its result is kept with the part.
    /// Errors: `uploadNotFound` (also when the upload was aborted or completed meanwhile),
    /// `invalidArgument` for a part number out of range, `fileTooLarge` over 5 GiB.
    /// The part is encrypted as `encryption` says (the upload's), with this handle's customer key.
    public func uploadPart<S: AsyncSequence>(
        _ uploadId: String, number: Int, from content: S, checksum: (@Sendable () -> String?)? = nil,
        encryption: ContentEncryption? = nil
    ) async throws -> UploadedPart where S.Element: Collection, S.Element.Element == UInt8 {
        try requireLiveUpload()
        try Share.validatePartNumber(number)
        let key = try uploadKey(uploadId)
        let customerKey = self.customerKey
        let staged = try await uploadErrors(uploadId) {
            try await store.stage(MultipartUpload.table, record: key, key: UploadKeys.part(number), from: content,
                                  maxSize: Share.maxPartSize, payload: { Array((checksum?() ?? "").utf8) },
                                  encryption: encryption, customerKey: customerKey)
        }
        return try UploadKeys.part(staged)
    }

    /// Makes part `number` of upload `uploadId` from `range` (nil: all) of file `path` of
    /// `source` (any share, live or a snapshot), sharing the source's chunks: no data is
    /// copied. The part's MD5 is computed by reading the range (unavoidable: it is the part's
    /// ETag). A later change of the source does not change the part.
    /// Errors: as ``uploadPart(_:number:from:checksum:)``, plus the source's `resourceNotFound`,
    /// `notAFile`, `shareNotFound`, `snapshotNotFound`, and `invalidRange` for a range past its end.
    public func uploadPartCopy(_ uploadId: String, number: Int, from source: Share, _ path: String,
                               range: Range<UInt64>? = nil) async throws -> UploadedPart {
        try requireLiveUpload()
        try Share.validatePartNumber(number)
        let key = try uploadKey(uploadId)
        let staged = try await uploadErrors(uploadId) {
            try await store.stageCopy(MultipartUpload.table, record: key, key: UploadKeys.part(number), from: source, path,
                                      range: range, maxSize: Share.maxPartSize)
        }
        return try UploadKeys.part(staged)
    }

    /// The upload `uploadId` of this share (`uploadNotFound` when it does not exist).
    public func multipartUpload(_ uploadId: String) async throws -> MultipartUpload {
        let key = try uploadKey(uploadId)
        let name = self.name
        return try store.readRecords { records in
            guard let raw = try records.get(MultipartUpload.table, key) else { throw Share.noSuchUpload(uploadId, name) }
            return try UploadRecord(stored: raw).upload(id: Array(key.suffix(UploadKeys.idBytes)), share: name)
        }
    }

    /// Parts of upload `uploadId` with numbers above `after`, ascending, at most `maxParts`
    /// (0 or more); `truncated` tells whether more follow.
    public func listParts(_ uploadId: String, after: Int = 0, maxParts: Int = 1000) async throws
        -> (parts: [UploadedPart], truncated: Bool)
    {
        let key = try uploadKey(uploadId)
        guard after >= 0 else { throw ShareCoreError(.invalidArgument, "part number marker \(after) is negative") }
        guard maxParts >= 0 else { throw ShareCoreError(.invalidArgument, "max parts \(maxParts) is negative") }
        let name = self.name
        return try store.readRecords { records in
            guard try records.get(MultipartUpload.table, key) != nil else { throw Share.noSuchUpload(uploadId, name) }
            var parts: [UploadedPart] = []
            var truncated = false
            try records.scanStaged(MultipartUpload.table, key, after: after == 0 ? nil : UploadKeys.part(min(after, 0xFFFF))) { content in
                if parts.count == maxParts {
                    truncated = true
                    return false
                }
                parts.append(try UploadKeys.part(content))
                return true
            }
            return (parts, truncated)
        }
    }

    /// This share's uploads in progress, ordered by path (UTF-8 bytes), then initiation time, then id.
    public func listMultipartUploads() async throws -> [MultipartUpload] {
        let name = self.name
        return try store.readRecords { records in
            var out: [(key: [UInt8], upload: MultipartUpload)] = []
            try records.scan(MultipartUpload.table, prefix: UploadKeys.share(name)) { k, v in
                let record = try UploadRecord(stored: v)
                out.append((Array(record.path.utf8), record.upload(id: Array(k.suffix(UploadKeys.idBytes)), share: name)))
                return true
            }
            out.sort { a, b in
                if a.key != b.key { return a.key.lexicographicallyPrecedes(b.key) }
                if a.upload.initiated != b.upload.initiated { return a.upload.initiated < b.upload.initiated }
                return a.upload.id < b.upload.id
            }
            return out.map(\.upload)
        }
    }

    /// Completes upload `uploadId`: assembles the listed parts, in order, into its file,
    /// atomically replacing an existing file there (never a directory: `resourceAlreadyExists`);
    /// its parent directories must exist (`parentNotFound`). The file shares the parts' chunks
    /// (no data is copied: this is one short metadata transaction, whatever the size). Parts
    /// not listed are released; the upload is gone afterwards. The file gets the upload's
    /// properties, `objectETag` = `etag`, and no known MD5 (``ShareCore/Share/contentMD5(_:)`` computes it).
    /// - Parameters:
    ///   - uploadId: the upload, as ``createMultipartUpload(_:properties:tag:)`` returned it.
    ///   - parts: part numbers in strictly ascending order (`invalidPartOrder` otherwise), each
    ///     uploaded with that MD5 (`invalidPart` otherwise).
    ///   - etag: the S3 ETag to keep with the file (e.g. `"<md5 of part md5s>-N"`).
    ///   - minimumPartSize: every part but the last must be at least this long (`partTooSmall`).
    ///   - createParents: whether missing parent directories are created in the same transaction.
    ///   - objectChecksum: the whole object's checksum to keep with the file, replacing the
    ///     upload's (nil: the upload's properties decide).
    ///   - annotations: annotation changes made besides the upload's own.
    /// Nothing changes when it fails.
    @discardableResult
    public func completeMultipartUpload(_ uploadId: String, parts: [(number: Int, md5: [UInt8])], etag: String,
                                        minimumPartSize: UInt64 = 5 << 20, createParents: Bool = false,
                                        objectChecksum: String? = nil, annotations: AnnotationChanges? = nil) async throws -> NodeInfo {
        try requireLiveUpload()
        let key = try uploadKey(uploadId)
        guard !parts.isEmpty else { throw ShareCoreError(.invalidPart, "a completion must list at least one part") }
        for i in parts.indices.dropFirst() where parts[i].number <= parts[i - 1].number {
            throw ShareCoreError(.invalidPartOrder, "part \(parts[i].number) is listed after part \(parts[i - 1].number); parts must be in ascending order")
        }
        for part in parts where !(1...Share.maxPartNumber).contains(part.number) {
            throw ShareCoreError(.invalidPart, "part \(part.number) of upload '\(uploadId)' was not uploaded")
        }
        let listed = parts.map { ListedPart(number: $0.number, md5: $0.md5) }
        let name = self.name
        // Checked first in a read (so these errors come before the target's), then again in
        // the completion's own transaction.
        var upload: UploadRecord = try store.readRecords { records in
            guard let raw = try records.get(MultipartUpload.table, key) else { throw Share.noSuchUpload(uploadId, name) }
            let contents = try listed.map { try records.staged(MultipartUpload.table, key, UploadKeys.part($0.number)) }
            try Share.verify(listed, contents, uploadId: uploadId, minimumPartSize: minimumPartSize)
            return try UploadRecord(stored: raw)
        }
        if let objectChecksum { upload.properties.objectChecksum = objectChecksum }
        if let annotations {
            var merged = upload.properties.annotations ?? AnnotationChanges()
            for (name, value) in annotations.changes {
                if let value { merged.set(name, value) } else { merged.remove(name) }
            }
            upload.properties.annotations = merged
        }
        return try await uploadErrors(uploadId) {
            try await commitStaged(MultipartUpload.table, record: key, keys: listed.map { UploadKeys.part($0.number) }, to: upload.path,
                                   properties: upload.properties, objectETag: etag, createParents: createParents,
                                   encryption: upload.encryption) { records, contents in
                try Share.verify(listed, contents, uploadId: uploadId, minimumPartSize: minimumPartSize)
                try records.delete(MultipartUpload.table, key)
            }
        }
    }

    /// Aborts upload `uploadId`: its parts are released and the upload is gone
    /// (`uploadNotFound` when it does not exist). A part still streaming fails when it ends.
    public func abortMultipartUpload(_ uploadId: String) async throws {
        try requireLiveUpload()
        let key = try uploadKey(uploadId)
        let name = self.name
        try await store.writeRecords { records in
            guard try records.delete(MultipartUpload.table, key) else { throw Share.noSuchUpload(uploadId, name) }
        }
    }

    // MARK: Helpers

    func requireLiveUpload() throws(ShareCoreError) {
        if let snapshot {
            throw ShareCoreError(.snapshotReadOnly, "snapshot '\(snapshot)' of share '\(name)' is read-only")
        }
    }

    static func validatePartNumber(_ number: Int) throws(ShareCoreError) {
        guard (1...maxPartNumber).contains(number) else {
            throw ShareCoreError(.invalidArgument, "part number \(number) is outside 1 to \(maxPartNumber)")
        }
    }

    static func noSuchUpload(_ id: String, _ share: String) -> ShareCoreError {
        ShareCoreError(.uploadNotFound, "upload '\(id)' does not exist in share '\(share)'")
    }

    /// The record key of upload `text` of this share; an id this front cannot have issued is
    /// `uploadNotFound`.
    func uploadKey(_ text: String) throws(ShareCoreError) -> [UInt8] {
        guard let id = UploadKeys.parse(text) else { throw ShareCoreError(.uploadNotFound, "upload '\(text)' does not exist") }
        return UploadKeys.key(name, id)
    }

    /// Runs an engine call on an upload's staged parts, naming the engine's errors as uploads'.
    func uploadErrors<T>(_ uploadId: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ShareCoreError where error.code == .recordNotFound {
            throw Share.noSuchUpload(uploadId, name)
        } catch let error as ShareCoreError where error.code == .stagedContentNotFound {
            throw ShareCoreError(.invalidPart, "a part listed of upload '\(uploadId)' was not uploaded")
        }
    }

    /// Checks listed parts against their staged contents (nil: not uploaded).
    static func verify(_ listed: [ListedPart], _ contents: [StagedContent?], uploadId: String, minimumPartSize: UInt64) throws {
        for (i, (part, content)) in zip(listed, contents).enumerated() {
            guard let content else {
                throw ShareCoreError(.invalidPart, "part \(part.number) of upload '\(uploadId)' was not uploaded")
            }
            guard content.md5 == part.md5 else {
                throw ShareCoreError(.invalidPart, "part \(part.number) of upload '\(uploadId)' does not have the ETag given")
            }
            if i < listed.count - 1 && content.size < minimumPartSize {
                throw ShareCoreError(.partTooSmall, "part \(part.number) has \(content.size) bytes, less than the minimum of \(minimumPartSize)")
            }
        }
    }
}

extension ShareStore {
    /// Aborts every upload (of any share) initiated before `date`, releasing its parts;
    /// returns how many were aborted. Cost: one scan of the uploads, then one small write per
    /// batch of 64 uploads. The S3 front calls it at most once an hour.
    @discardableResult
    public func reclaimMultipartUploads(initiatedBefore date: FileTime) async throws -> Int {
        let old: [[UInt8]] = try readRecords { records in
            var keys: [[UInt8]] = []
            try records.scan(MultipartUpload.table) { k, v in
                if try UploadRecord(stored: v).initiated < date { keys.append(k) }
                return true
            }
            return keys
        }
        var aborted = 0
        var start = 0
        while start < old.count {
            let batch = Array(old[start..<min(old.count, start + 64)])
            start += batch.count
            aborted += try await writeRecords { records -> Int in
                var count = 0
                for key in batch {
                    guard let raw = try records.get(MultipartUpload.table, key), try UploadRecord(stored: raw).initiated < date else { continue }
                    if try records.delete(MultipartUpload.table, key) { count += 1 }
                }
                return count
            }
        }
        return aborted
    }
}

/// A part listed for completion.
struct ListedPart: Sendable {
    var number: Int
    var md5: [UInt8]
}

/// Keys of upload records and of their parts' staged content.
enum UploadKeys {
    /// Bytes of an upload id (shown as 32 lowercase hex characters).
    static let idBytes = 16

    /// The prefix of share `share`'s uploads: name length (u8) · name.
    static func share(_ share: String) -> [UInt8] { [UInt8(truncatingIfNeeded: share.utf8.count)] + Array(share.utf8) }

    static func key(_ share: String, _ id: [UInt8]) -> [UInt8] { self.share(share) + id }

    /// The share name and upload id of a record key, or nil when malformed.
    static func split(_ key: [UInt8]) -> (String, [UInt8])? {
        guard let n = key.first, key.count == 1 + Int(n) + idBytes else { return nil }
        return (String(decoding: key[1...Int(n)], as: UTF8.self), Array(key.suffix(idBytes)))
    }

    /// The staged content key of part `number`: a big-endian u16, so parts list in number order.
    static func part(_ number: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: number >> 8), UInt8(truncatingIfNeeded: number)] }

    static func part(_ content: StagedContent) throws -> UploadedPart {
        guard let part = UploadedPart(content) else { throw ShareCoreError(.dataCorrupted, "a staged part has a malformed key") }
        return part
    }

    /// The 16 bytes of upload id `text`, or nil when it is not 32 lowercase hex characters
    /// (so no id this front could have issued).
    static func parse(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count == idBytes * 2 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(idBytes)
        for i in stride(from: 0, to: u.count, by: 2) {
            guard let hi = nibble(u[i]), let lo = nibble(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    /// The text form of upload id bytes.
    static func text(_ id: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in id {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A new random upload id (128 bits from the system's secure generator).
    static func newId() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(idBytes)
        for _ in 0..<(idBytes / 8) {
            let word = generator.next()
            for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i)))) }
        }
        return out
    }
}

/// An upload as stored (format 1): path (u16 length + UTF-8) · initiated ticks (i64,
/// big-endian) · tag present (u8) · tag (u16 length + UTF-8, when present) · the properties'
/// ``ShareCore/NodeProperties/storedForm``.
struct UploadRecord: Sendable, Hashable {
    /// The file the completion creates, as a normalized ``ShareCore/SharePath`` description.
    var path: String
    var properties: NodeProperties
    var initiated: FileTime
    var tag: String?
    var encryption: ContentEncryption?

    init(path: String, properties: NodeProperties, initiated: FileTime, tag: String?) {
        self.path = path
        self.properties = properties
        self.initiated = initiated
        self.tag = tag
    }

    func encode() -> [UInt8] {
        func text(_ s: String) -> [UInt8] {
            let u = Array(s.utf8)
            return [UInt8(truncatingIfNeeded: u.count >> 8), UInt8(truncatingIfNeeded: u.count)] + u
        }
        // Version 2 adds the encryption after the tag: its length (one byte), then its stored form.
        var out: [UInt8] = [encryption == nil ? 1 : 2] + text(path)
        let ticks = UInt64(bitPattern: initiated.ticks)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: ticks >> UInt64(shift))) }
        if let tag { out += [1] + text(tag) } else { out.append(0) }
        if let stored = encryption?.storedForm { out += [UInt8(truncatingIfNeeded: stored.count)] + stored }
        return out + properties.storedForm
    }

    init(stored bytes: [UInt8]) throws(ShareCoreError) {
        let corrupt = ShareCoreError(.dataCorrupted, "an upload record is malformed")
        guard let version = bytes.first, version == 1 || version == 2 else { throw corrupt }
        var position = 1
        func text() throws(ShareCoreError) -> String {
            guard position + 2 <= bytes.count else { throw corrupt }
            let count = Int(bytes[position]) << 8 | Int(bytes[position + 1])
            position += 2
            guard position + count <= bytes.count else { throw corrupt }
            defer { position += count }
            return String(decoding: bytes[position..<(position + count)], as: UTF8.self)
        }
        path = try text()
        guard position + 9 <= bytes.count else { throw corrupt }
        var ticks: UInt64 = 0
        for b in bytes[position..<(position + 8)] { ticks = ticks << 8 | UInt64(b) }
        initiated = FileTime(ticks: Int64(bitPattern: ticks))
        position += 8
        let hasTag = bytes[position]
        position += 1
        tag = hasTag == 1 ? try text() : nil
        if version == 2 {
            guard position < bytes.count else { throw corrupt }
            let count = Int(bytes[position])
            guard count > 0, position + 1 + count <= bytes.count else { throw corrupt }
            encryption = try ContentEncryption(storedForm: Array(bytes[(position + 1)..<(position + 1 + count)]))
            position += 1 + count
        }
        properties = try NodeProperties(storedForm: bytes[position...])
    }

    func upload(id: [UInt8], share: String) -> MultipartUpload {
        MultipartUpload(id: UploadKeys.text(id), share: share, path: path, properties: properties, initiated: initiated, tag: tag,
                        encryption: encryption)
    }
}
