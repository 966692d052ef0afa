/// A small tag-length-value codec for records. Each field is a tag byte, a varint length and
/// its bytes; readers skip tags they do not know, so records can gain fields without a
/// migration.
struct FieldWriter {
    private(set) var bytes: [UInt8] = [1]  // format version

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func field(_ tag: UInt8, _ raw: [UInt8]) {
        bytes.append(tag)
        varint(UInt64(raw.count))
        bytes.append(contentsOf: raw)
    }

    mutating func field(_ tag: UInt8, _ value: UInt64) {
        var inner = FieldWriter()
        inner.bytes = []
        inner.varint(value)
        field(tag, inner.bytes)
    }

    mutating func field(_ tag: UInt8, _ value: Int64) {
        field(tag, UInt64(bitPattern: value))
    }

    mutating func field(_ tag: UInt8, _ value: String?) {
        guard let value else { return }
        field(tag, Array(value.utf8))
    }

    mutating func field(_ tag: UInt8, _ value: Bool) {
        field(tag, value ? UInt64(1) : 0)
    }

    /// A list of strings as one field: count, then length-prefixed items.
    mutating func field(_ tag: UInt8, strings: [String]) {
        var inner = FieldWriter()
        inner.bytes = []
        inner.varint(UInt64(strings.count))
        for s in strings {
            let u = Array(s.utf8)
            inner.varint(UInt64(u.count))
            inner.bytes.append(contentsOf: u)
        }
        field(tag, inner.bytes)
    }

    /// A list of unsigned integers as one field.
    mutating func field(_ tag: UInt8, integers: [UInt64]) {
        var inner = FieldWriter()
        inner.bytes = []
        inner.varint(UInt64(integers.count))
        for i in integers { inner.varint(i) }
        field(tag, inner.bytes)
    }
}

/// Reads what ``FieldWriter`` wrote. It reads the bytes where they are: a record nested in
/// another's field is read from the outer record's bytes, not copied (a listing decodes one
/// nested MD5 state per file).
struct FieldReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        try self.init(record: [UInt8](copying: raw))
    }

    /// A reader over a record already copied out.
    init(record: [UInt8]) throws(ShareCoreError) {
        try self.init(bytes: record[...])
    }

    /// A reader over bytes already copied out (e.g. a record nested in another's field).
    init(bytes: ArraySlice<UInt8>) throws(ShareCoreError) {
        self.bytes = bytes
        guard bytes.first == 1 else { throw ShareCoreError(.dataCorrupted, "a record has an unknown format version") }
        position = bytes.startIndex + 1
    }

    /// A reader over bytes of another collection (copied once).
    init<Bytes: Collection<UInt8>>(bytes: Bytes) throws(ShareCoreError) {
        try self.init(bytes: Array(bytes)[...])
    }

    /// The next field, or nil at the end.
    mutating func next() throws(ShareCoreError) -> (tag: UInt8, value: ArraySlice<UInt8>)? {
        guard position < bytes.endIndex else { return nil }
        let tag = bytes[position]
        position += 1
        let length = Int(try varint())
        guard length >= 0, length <= bytes.endIndex - position else {
            throw ShareCoreError(.dataCorrupted, "a record field overruns its record")
        }
        let value = bytes[position..<(position + length)]
        position += length
        return (tag, value)
    }

    private mutating func varint() throws(ShareCoreError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.endIndex {
            let b = bytes[position]
            position += 1
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { break }
        }
        throw ShareCoreError(.dataCorrupted, "a record holds a malformed number")
    }
}

/// Reads what ``FieldWriter`` wrote straight from bytes in place (a value in the map, valid
/// for the transaction), without copying the record: for small records read in bulk, such as
/// the directory entries of a listing (copying each entry out was 4% of an S3 page).
struct InPlaceFieldReader {
    private let bytes: UnsafeRawBufferPointer
    private var position = 1

    init(_ raw: UnsafeRawBufferPointer) throws(ShareCoreError) {
        guard raw.first == 1 else { throw ShareCoreError(.dataCorrupted, "a record has an unknown format version") }
        bytes = raw
    }

    /// The next field, or nil at the end.
    mutating func next() throws(ShareCoreError) -> (tag: UInt8, value: UnsafeRawBufferPointer)? {
        guard position < bytes.count else { return nil }
        let tag = bytes[position]
        position += 1
        var length: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count, shift <= 63 else {
                throw ShareCoreError(.dataCorrupted, "a record holds a malformed number")
            }
            let b = bytes[position]
            position += 1
            length |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        guard length <= UInt64(bytes.count - position) else {
            throw ShareCoreError(.dataCorrupted, "a record field overruns its record")
        }
        let value = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + Int(length))])
        position += Int(length)
        return (tag, value)
    }
}

/// Decoding helpers for field values.
enum FieldValue {
    /// The value of the varint at the start of `bytes` (what follows its last byte is ignored).
    private static func varint(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for b in bytes {
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        return result
    }

    static func uint(_ raw: UnsafeRawBufferPointer) -> UInt64 { varint(raw) }
    static func int(_ raw: UnsafeRawBufferPointer) -> Int64 { Int64(bitPattern: uint(raw)) }
    static func string(_ raw: UnsafeRawBufferPointer) -> String { String(decoding: raw, as: UTF8.self) }

    static func uint(_ raw: ArraySlice<UInt8>) -> UInt64 { varint(raw) }

    static func int(_ raw: ArraySlice<UInt8>) -> Int64 { Int64(bitPattern: uint(raw)) }
    static func string(_ raw: ArraySlice<UInt8>) -> String { String(decoding: raw, as: UTF8.self) }
    static func bool(_ raw: ArraySlice<UInt8>) -> Bool { uint(raw) != 0 }

    /// Every varint in `raw`, in order.
    private static func varints(_ raw: some Sequence<UInt8>) -> [UInt64] {
        var values: [UInt64] = []
        var current: UInt64 = 0
        var shift: UInt64 = 0
        for b in raw {
            current |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 {
                values.append(current)
                current = 0
                shift = 0
            } else {
                shift += 7
            }
        }
        return values
    }

    /// A list of strings (``FieldWriter/field(_:strings:)``), from a copied record or in place.
    static func strings<Bytes: RandomAccessCollection<UInt8>>(_ raw: Bytes) -> [String] where Bytes.Index == Int {
        var index = raw.startIndex
        func varint() -> Int {
            var result = 0
            var shift = 0
            while index < raw.endIndex {
                let b = raw[index]
                index += 1
                result |= Int(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
            }
            return result
        }
        let count = varint()
        var out: [String] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            let length = varint()
            let end = min(raw.endIndex, index + length)
            out.append(String(decoding: raw[index..<end], as: UTF8.self))
            index = end
        }
        return out
    }

    /// A list of unsigned integers (``FieldWriter/field(_:integers:)``).
    static func integers(_ raw: some Sequence<UInt8>) -> [UInt64] {
        let all = varints(raw)
        guard let count = all.first else { return [] }
        return Array(all.dropFirst().prefix(Int(count)))
    }
}

extension Array where Element == UInt8 {
    /// A copy of `raw` made in one step, as a copy of typed bytes: `Array(raw)` copies byte by
    /// byte through the generic collection path (a twentieth of an S3 listing page once), and
    /// `init(unsafeUninitializedCapacity:)` reaches an unspecialized buffer initializer that
    /// looks up its type's metadata on every call (twice the time of this for a node record).
    init(copying raw: UnsafeRawBufferPointer) {
        self = raw.withMemoryRebound(to: UInt8.self) { Array($0) }
    }
}
