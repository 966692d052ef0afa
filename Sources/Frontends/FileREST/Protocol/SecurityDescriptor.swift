import Foundation

/// A Windows security descriptor (MS-DTYP 2.4.6) as Create/Get Permission and
/// `x-ms-file-permission` carry it: owner, group, DACL and SACL. Read from and written to
/// both forms Azure Files accepts, SDDL text (`SecurityDescriptor+SDDL.swift`) and the
/// self-relative binary layout (this file), so a descriptor stored in one form can be
/// returned in the other.
struct SecurityDescriptor: Equatable, Sendable {
    /// The owner SID (`O:`), if any.
    var owner: SecurityIdentifier?
    /// The primary group SID (`G:`), if any.
    var group: SecurityIdentifier?
    /// The discretionary ACL (`D:`), if present.
    var dacl: AccessControlList?
    /// The system ACL (`S:`), if present.
    var sacl: AccessControlList?

    /// Why a descriptor could not be read.
    struct Invalid: Error, Equatable {
        /// What was wrong, for logs.
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}

/// A security identifier: revision 1, a 48-bit identifier authority, and up to 15
/// sub-authorities.
struct SecurityIdentifier: Equatable, Hashable, Sendable {
    /// The identifier authority (48 bits).
    var authority: UInt64
    /// The sub-authorities.
    var subAuthorities: [UInt32]

    /// The binary length: 8 bytes of header plus 4 per sub-authority.
    var byteCount: Int { 8 + 4 * subAuthorities.count }
}

/// An ACL as a descriptor part has it: the part's control flags and its entries, or no
/// entries at all (`NO_ACCESS_CONTROL`, a present but null ACL).
struct AccessControlList: Equatable, Sendable {
    /// `P`: protected from inheritance.
    var isProtected = false
    /// `AI`: inherited entries were propagated automatically.
    var autoInherited = false
    /// `AR`: automatic inheritance is requested for children.
    var autoInheritRequired = false
    /// The entries; nil for a null ACL (`NO_ACCESS_CONTROL`).
    var entries: [AccessControlEntry]? = []
}

/// One access control entry.
struct AccessControlEntry: Equatable, Sendable {
    /// The ACE type (0 allow, 1 deny, 2 audit, 3 alarm, 5-8 object ACEs, 0x11 mandatory
    /// label, 0x13 scoped policy id).
    var type: UInt8
    /// The inheritance and audit flags (OI 0x1, CI 0x2, NP 0x4, IO 0x8, ID 0x10, SA 0x40, FA 0x80).
    var flags: UInt8
    /// The access mask.
    var mask: UInt32
    /// The object type GUID of an object ACE.
    var objectType: UUID?
    /// The inherited object type GUID of an object ACE.
    var inheritedObjectType: UUID?
    /// The trustee.
    var sid: SecurityIdentifier

    /// The ACE types whose body carries object GUIDs.
    static let objectTypes: Set<UInt8> = [5, 6, 7, 8]
    /// The ACE types this front reads and writes (others, such as conditional ACEs, are refused).
    static let supportedTypes: Set<UInt8> = [0, 1, 2, 3, 5, 6, 7, 8, 0x11, 0x13]

    var isObjectACE: Bool { Self.objectTypes.contains(type) }
}

// MARK: Binary (self-relative) form

extension SecurityDescriptor {
    // Control bits (MS-DTYP 2.4.6).
    static let daclPresent: UInt16 = 0x0004
    static let saclPresent: UInt16 = 0x0010
    static let daclAutoInheritRequired: UInt16 = 0x0100
    static let saclAutoInheritRequired: UInt16 = 0x0200
    static let daclAutoInherited: UInt16 = 0x0400
    static let saclAutoInherited: UInt16 = 0x0800
    static let daclProtected: UInt16 = 0x1000
    static let saclProtected: UInt16 = 0x2000
    static let selfRelative: UInt16 = 0x8000

    /// Reads a self-relative security descriptor.
    init(binary bytes: [UInt8]) throws {
        let reader = BinaryReader(bytes)
        guard bytes.count >= 20 else { throw Invalid("shorter than a descriptor header") }
        guard reader.u8(at: 0) == 1 else { throw Invalid("revision is not 1") }
        let control = reader.u16(at: 2)
        guard control & Self.selfRelative != 0 else { throw Invalid("not self-relative") }
        let ownerOffset = Int(reader.u32(at: 4)), groupOffset = Int(reader.u32(at: 8))
        let saclOffset = Int(reader.u32(at: 12)), daclOffset = Int(reader.u32(at: 16))
        owner = ownerOffset == 0 ? nil : try reader.sid(at: ownerOffset)
        group = groupOffset == 0 ? nil : try reader.sid(at: groupOffset)
        func acl(present: UInt16, offset: Int, protected: UInt16, inherited: UInt16, required: UInt16) throws -> AccessControlList? {
            guard control & present != 0 else { return nil }
            var list = AccessControlList(isProtected: control & protected != 0,
                                         autoInherited: control & inherited != 0,
                                         autoInheritRequired: control & required != 0)
            list.entries = offset == 0 ? nil : try reader.aclEntries(at: offset)
            return list
        }
        dacl = try acl(present: Self.daclPresent, offset: daclOffset, protected: Self.daclProtected,
                       inherited: Self.daclAutoInherited, required: Self.daclAutoInheritRequired)
        sacl = try acl(present: Self.saclPresent, offset: saclOffset, protected: Self.saclProtected,
                       inherited: Self.saclAutoInherited, required: Self.saclAutoInheritRequired)
    }

    /// The self-relative binary form, laid out as Windows lays it out: header, SACL, DACL,
    /// owner, group.
    var binary: [UInt8] {
        var control = Self.selfRelative
        if let dacl {
            control |= Self.daclPresent
            if dacl.isProtected { control |= Self.daclProtected }
            if dacl.autoInherited { control |= Self.daclAutoInherited }
            if dacl.autoInheritRequired { control |= Self.daclAutoInheritRequired }
        }
        if let sacl {
            control |= Self.saclPresent
            if sacl.isProtected { control |= Self.saclProtected }
            if sacl.autoInherited { control |= Self.saclAutoInherited }
            if sacl.autoInheritRequired { control |= Self.saclAutoInheritRequired }
        }
        var body: [UInt8] = []
        var offsets = (owner: 0, group: 0, sacl: 0, dacl: 0)
        if let entries = sacl?.entries { offsets.sacl = 20 + body.count; body += Self.encode(entries) }
        if let entries = dacl?.entries { offsets.dacl = 20 + body.count; body += Self.encode(entries) }
        if let owner { offsets.owner = 20 + body.count; body += owner.binary }
        if let group { offsets.group = 20 + body.count; body += group.binary }
        var out: [UInt8] = [1, 0]
        out.appendLE(control)
        for offset in [offsets.owner, offsets.group, offsets.sacl, offsets.dacl] { out.appendLE(UInt32(offset)) }
        return out + body
    }

    private static func encode(_ entries: [AccessControlEntry]) -> [UInt8] {
        var aces: [UInt8] = []
        for entry in entries { aces += entry.binary }
        var out: [UInt8] = [entries.contains(where: \.isObjectACE) ? 4 : 2, 0]
        out.appendLE(UInt16(8 + aces.count))
        out.appendLE(UInt16(entries.count))
        out.appendLE(UInt16(0))
        return out + aces
    }
}

extension SecurityIdentifier {
    /// The binary form (MS-DTYP 2.4.2.2).
    var binary: [UInt8] {
        var out: [UInt8] = [1, UInt8(subAuthorities.count)]
        for shift in stride(from: 40, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: authority >> UInt64(shift))) }
        for sub in subAuthorities { out.appendLE(sub) }
        return out
    }
}

extension AccessControlEntry {
    /// The binary form (MS-DTYP 2.4.4).
    var binary: [UInt8] {
        var content: [UInt8] = []
        content.appendLE(mask)
        if isObjectACE {
            var objectFlags: UInt32 = 0
            if objectType != nil { objectFlags |= 1 }
            if inheritedObjectType != nil { objectFlags |= 2 }
            content.appendLE(objectFlags)
            if let objectType { content += objectType.windowsBytes }
            if let inheritedObjectType { content += inheritedObjectType.windowsBytes }
        }
        content += sid.binary
        var out: [UInt8] = [type, flags]
        out.appendLE(UInt16(4 + content.count))
        return out + content
    }
}

extension UUID {
    /// The GUID's bytes as Windows stores them: the first three fields little-endian.
    var windowsBytes: [UInt8] {
        let u = uuid
        return [u.3, u.2, u.1, u.0, u.5, u.4, u.7, u.6, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
    }

    /// A GUID from its Windows byte layout.
    init(windowsBytes b: ArraySlice<UInt8>) {
        let b = Array(b)
        self.init(uuid: (b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}

/// Bounds-checked little-endian reads over a descriptor's bytes.
private struct BinaryReader {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func u8(at i: Int) -> UInt8 { bytes[i] }
    func u16(at i: Int) -> UInt16 { UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 }
    func u32(at i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[i + $1]) << (8 * UInt32($1)) } }

    func need(_ offset: Int, _ count: Int) throws {
        guard offset >= 0, count >= 0, offset <= bytes.count, bytes.count - offset >= count else {
            throw SecurityDescriptor.Invalid("a part lies outside the descriptor")
        }
    }

    func sid(at offset: Int) throws -> SecurityIdentifier {
        try need(offset, 8)
        guard bytes[offset] == 1 else { throw SecurityDescriptor.Invalid("SID revision is not 1") }
        let count = Int(bytes[offset + 1])
        guard count <= 15 else { throw SecurityDescriptor.Invalid("more than 15 sub-authorities") }
        try need(offset, 8 + 4 * count)
        let authority = (2..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + $1]) }
        return SecurityIdentifier(authority: authority, subAuthorities: (0..<count).map { u32(at: offset + 8 + 4 * $0) })
    }

    func aclEntries(at offset: Int) throws -> [AccessControlEntry] {
        try need(offset, 8)
        guard [2, 4].contains(bytes[offset]) else { throw SecurityDescriptor.Invalid("ACL revision is not 2 or 4") }
        let size = Int(u16(at: offset + 2)), count = Int(u16(at: offset + 4))
        guard size >= 8 else { throw SecurityDescriptor.Invalid("ACL size too small") }
        try need(offset, size)
        var entries: [AccessControlEntry] = []
        var at = offset + 8
        for _ in 0..<count {
            guard offset + size - at >= 4 else { throw SecurityDescriptor.Invalid("ACE outside its ACL") }
            let type = bytes[at], flags = bytes[at + 1], aceSize = Int(u16(at: at + 2))
            guard aceSize >= 8, at + aceSize <= offset + size else { throw SecurityDescriptor.Invalid("ACE size wrong") }
            guard AccessControlEntry.supportedTypes.contains(type) else {
                throw SecurityDescriptor.Invalid("ACE type \(type) is not supported")
            }
            var entry = AccessControlEntry(type: type, flags: flags, mask: u32(at: at + 4), sid: SecurityIdentifier(authority: 0, subAuthorities: []))
            var cursor = at + 8
            if entry.isObjectACE {
                guard aceSize >= 12 else { throw SecurityDescriptor.Invalid("object ACE too small") }
                let objectFlags = u32(at: cursor)
                cursor += 4
                if objectFlags & 1 != 0 {
                    guard at + aceSize - cursor >= 16 else { throw SecurityDescriptor.Invalid("object ACE too small") }
                    entry.objectType = UUID(windowsBytes: bytes[cursor..<cursor + 16]); cursor += 16
                }
                if objectFlags & 2 != 0 {
                    guard at + aceSize - cursor >= 16 else { throw SecurityDescriptor.Invalid("object ACE too small") }
                    entry.inheritedObjectType = UUID(windowsBytes: bytes[cursor..<cursor + 16]); cursor += 16
                }
            }
            entry.sid = try sid(at: cursor)
            guard cursor + entry.sid.byteCount <= at + aceSize else { throw SecurityDescriptor.Invalid("SID outside its ACE") }
            entries.append(entry)
            at += aceSize
        }
        return entries
    }
}

fileprivate extension [UInt8] {
    mutating func appendLE(_ value: UInt16) { append(UInt8(value & 0xff)); append(UInt8(value >> 8)) }
    mutating func appendLE(_ value: UInt32) { for shift in [0, 8, 16, 24] { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
}
