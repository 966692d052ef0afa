import Foundation

/// SDDL, the text form of a security descriptor (MS-DTYP 2.5.1), for the subset Azure Files
/// uses: owner, group, DACL and SACL with their flags (`P`, `AI`, `AR`,
/// `NO_ACCESS_CONTROL`), and ACEs of the types allow, deny, audit, alarm, the object
/// variants, mandatory label and scoped policy id. Conditional ACEs (`XA`, `XD`, `ZA`, `XU`)
/// and resource attributes (`RA`) are refused.
///
/// Written the way Windows writes it, so that Azure's output round-trips exactly: well-known
/// SIDs as their two-letter aliases, rights as `FA`/`FR`/`FW`/`FX`/`KA`/`KR`/`KW` when the
/// mask is exactly one of those, else as single-bit mnemonics when every bit has one, else
/// as lower-case hex (`0x1200a9`).
extension SecurityDescriptor {
    /// Reads SDDL. Parts may come in any order, each at most once; aliases and mnemonics are
    /// read without regard to case.
    init(sddl text: String) throws {
        var scanner = SDDLScanner(Array(text.utf8))
        var seen = Set<UInt8>()
        guard !scanner.atEnd else { throw Invalid("empty") }
        while !scanner.atEnd {
            guard let part = scanner.partStart(), seen.insert(part).inserted else { throw Invalid("expected O:, G:, D: or S:") }
            scanner.index += 2
            switch part {
            case UInt8(ascii: "O"): owner = try scanner.sid()
            case UInt8(ascii: "G"): group = try scanner.sid()
            case UInt8(ascii: "D"): dacl = try scanner.acl()
            default: sacl = try scanner.acl()
            }
        }
    }

    /// The SDDL text: `O:`, `G:`, `D:`, `S:` in that order, each when present.
    var sddl: String {
        var out = ""
        if let owner { out += "O:" + owner.sddl }
        if let group { out += "G:" + group.sddl }
        if let dacl { out += "D:" + dacl.sddl }
        if let sacl { out += "S:" + sacl.sddl }
        return out
    }
}

extension SecurityIdentifier {
    /// Well-known SIDs and their SDDL aliases (MS-DTYP 2.4.2.4), except the domain-relative
    /// ones (`DA`, `DU`, `LA`, …), which name a SID only within a domain this server has not.
    static let aliases: [(String, String)] = [
        ("AA", "S-1-5-32-579"), ("AC", "S-1-15-2-1"), ("AN", "S-1-5-7"), ("AO", "S-1-5-32-548"),
        ("AS", "S-1-18-1"), ("AU", "S-1-5-11"), ("BA", "S-1-5-32-544"), ("BG", "S-1-5-32-546"),
        ("BO", "S-1-5-32-551"), ("BU", "S-1-5-32-545"), ("CD", "S-1-5-32-574"), ("CG", "S-1-3-1"),
        ("CO", "S-1-3-0"), ("CY", "S-1-5-32-569"), ("ED", "S-1-5-9"), ("ER", "S-1-5-32-573"),
        ("ES", "S-1-5-32-576"), ("HA", "S-1-5-32-578"), ("HI", "S-1-16-12288"), ("IS", "S-1-5-32-568"),
        ("IU", "S-1-5-4"), ("LS", "S-1-5-19"), ("LU", "S-1-5-32-559"), ("LW", "S-1-16-4096"),
        ("ME", "S-1-16-8192"), ("MP", "S-1-16-8448"), ("MS", "S-1-5-32-577"), ("MU", "S-1-5-32-558"),
        ("NO", "S-1-5-32-556"), ("NS", "S-1-5-20"), ("NU", "S-1-5-2"), ("OW", "S-1-3-4"),
        ("PO", "S-1-5-32-550"), ("PS", "S-1-5-10"), ("PU", "S-1-5-32-547"), ("RA", "S-1-5-32-575"),
        ("RC", "S-1-5-12"), ("RD", "S-1-5-32-555"), ("RE", "S-1-5-32-552"), ("RM", "S-1-5-32-580"),
        ("RU", "S-1-5-32-554"), ("SI", "S-1-16-16384"), ("SO", "S-1-5-32-549"), ("SS", "S-1-18-2"),
        ("SU", "S-1-5-6"), ("SY", "S-1-5-18"), ("WD", "S-1-1-0"), ("WR", "S-1-5-33"),
    ]
    private static let sidByAlias: [String: String] = Dictionary(uniqueKeysWithValues: aliases)
    private static let aliasBySID: [String: String] = Dictionary(uniqueKeysWithValues: aliases.map { ($1, $0) })

    /// Reads `S-1-<authority>-<sub>…` (authority decimal, or `0x` and 12 hex digits).
    init(string: String) throws {
        let parts = string.uppercased().split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts.count <= 18, parts[0] == "S", parts[1] == "1" else {
            throw SecurityDescriptor.Invalid("malformed SID \(string)")
        }
        let authorityText = parts[2]
        let authority: UInt64?
        if authorityText.hasPrefix("0X") {
            authority = authorityText.count == 14 ? UInt64(authorityText.dropFirst(2), radix: 16) : nil
        } else {
            authority = authorityText.allSatisfy(\.isASCIIDigit) ? UInt64(authorityText) : nil
        }
        guard let authority, authority < 1 << 48 else { throw SecurityDescriptor.Invalid("malformed SID authority \(string)") }
        var subs: [UInt32] = []
        for part in parts.dropFirst(3) {
            guard !part.isEmpty, part.allSatisfy(\.isASCIIDigit), let value = UInt32(part) else {
                throw SecurityDescriptor.Invalid("malformed SID \(string)")
            }
            subs.append(value)
        }
        self.init(authority: authority, subAuthorities: subs)
    }

    /// The SID for an SDDL alias (`BA`, `SY`, …), nil when the alias is not a known one.
    init?(alias: String) {
        guard let text = Self.sidByAlias[alias.uppercased()], let sid = try? SecurityIdentifier(string: text) else { return nil }
        self = sid
    }

    /// `S-1-…` with the authority in decimal below 2^32 and in hex above, as Windows writes it.
    var string: String {
        let authorityText = authority < 1 << 32 ? String(authority) : "0x" + String(format: "%012llX", authority)
        return (["S", "1", authorityText] + subAuthorities.map { String($0) }).joined(separator: "-")
    }

    /// The alias when there is one, else the `S-1-…` string.
    var sddl: String { Self.aliasBySID[string] ?? string }
}

extension AccessControlList {
    /// Flags, then each ACE in parentheses.
    var sddl: String {
        var out = ""
        if isProtected { out += "P" }
        if autoInheritRequired { out += "AR" }
        if autoInherited { out += "AI" }
        guard let entries else { return out + "NO_ACCESS_CONTROL" }
        for entry in entries { out += "(" + entry.sddl + ")" }
        return out
    }
}

extension AccessControlEntry {
    /// ACE type codes and their SDDL strings.
    static let typeNames: [(String, UInt8)] = [
        ("A", 0), ("D", 1), ("AU", 2), ("AL", 3), ("OA", 5), ("OD", 6), ("OU", 7), ("OL", 8), ("ML", 0x11), ("SP", 0x13),
    ]
    /// ACE flag strings in the order Windows writes them.
    static let flagNames: [(String, UInt8)] = [
        ("OI", 0x01), ("CI", 0x02), ("NP", 0x04), ("IO", 0x08), ("ID", 0x10), ("TP", 0x20), ("SA", 0x40), ("FA", 0x80),
    ]
    /// Rights that name a whole mask (file and registry composites).
    static let compositeRights: [(String, UInt32)] = [
        ("FA", 0x1F01FF), ("FR", 0x120089), ("FW", 0x120116), ("FX", 0x1200A0),
        ("KA", 0xF003F), ("KR", 0x20019), ("KW", 0x20006), ("KX", 0x20019),
    ]
    /// Rights that name one bit, in the order Windows writes them (ascending bits).
    static let bitRights: [(String, UInt32)] = [
        ("CC", 0x1), ("DC", 0x2), ("LC", 0x4), ("SW", 0x8), ("RP", 0x10), ("WP", 0x20), ("DT", 0x40), ("LO", 0x80),
        ("CR", 0x100), ("SD", 0x10000), ("RC", 0x20000), ("WD", 0x40000), ("WO", 0x80000),
        ("GA", 0x10000000), ("GX", 0x20000000), ("GW", 0x40000000), ("GR", 0x80000000),
    ]
    /// The mandatory label ACE's policy bits.
    static let labelRights: [(String, UInt32)] = [("NW", 0x1), ("NR", 0x2), ("NX", 0x4)]

    /// `type;flags;rights;object;inherited object;sid`.
    var sddl: String {
        let typeName = Self.typeNames.first { $0.1 == type }?.0 ?? "A"
        let flagText = Self.flagNames.filter { flags & $0.1 != 0 }.map(\.0).joined()
        let guid = { (value: UUID?) in value?.uuidString.lowercased() ?? "" }
        return [typeName, flagText, rightsText, guid(objectType), guid(inheritedObjectType), sid.sddl].joined(separator: ";")
    }

    private var rightsText: String {
        if mask == 0 { return "" }
        let bits = type == 0x11 ? Self.labelRights : Self.bitRights
        if type != 0x11, let composite = Self.compositeRights.first(where: { $0.1 == mask }) { return composite.0 }
        let named = bits.filter { mask & $0.1 != 0 }
        if named.reduce(UInt32(0), { $0 | $1.1 }) == mask { return named.map(\.0).joined() }
        return "0x" + String(mask, radix: 16)
    }

    /// Reads the rights field: mnemonics, or a number in hex (`0x`), octal (leading `0`) or decimal.
    static func rights(_ text: String) throws -> UInt32 {
        let upper = text.uppercased()
        if upper.isEmpty { return 0 }
        if upper.hasPrefix("0X") {
            guard let value = UInt32(upper.dropFirst(2), radix: 16) else { throw SecurityDescriptor.Invalid("bad rights \(text)") }
            return value
        }
        if upper.first?.isASCIIDigit == true {
            let value = upper.count > 1 && upper.hasPrefix("0") ? UInt32(upper.dropFirst(), radix: 8) : UInt32(upper)
            guard let value else { throw SecurityDescriptor.Invalid("bad rights \(text)") }
            return value
        }
        guard upper.count % 2 == 0 else { throw SecurityDescriptor.Invalid("bad rights \(text)") }
        var mask: UInt32 = 0
        var index = upper.startIndex
        while index < upper.endIndex {
            let next = upper.index(index, offsetBy: 2)
            let token = String(upper[index..<next])
            guard let value = (compositeRights + bitRights + labelRights).first(where: { $0.0 == token })?.1 else {
                throw SecurityDescriptor.Invalid("unknown right \(token)")
            }
            mask |= value
            index = next
        }
        return mask
    }
}

private extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// A cursor over SDDL bytes.
private struct SDDLScanner {
    let bytes: [UInt8]
    var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }

    /// The part letter (`O`, `G`, `D`, `S`) when a part starts here.
    func partStart() -> UInt8? {
        guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: ":") else { return nil }
        let letter = bytes[index] & ~0x20
        return [UInt8(ascii: "O"), UInt8(ascii: "G"), UInt8(ascii: "D"), UInt8(ascii: "S")].contains(letter) ? letter : nil
    }

    /// An owner or group: `S-1-…` or a two-letter alias.
    mutating func sid() throws -> SecurityIdentifier {
        guard index + 1 < bytes.count else { throw SecurityDescriptor.Invalid("missing SID") }
        if (bytes[index] & ~0x20) == UInt8(ascii: "S") && bytes[index + 1] == UInt8(ascii: "-") {
            let start = index
            index += 2
            func isDigit(_ c: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }
            func isHex(_ c: UInt8) -> Bool { isDigit(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c | 0x20) }
            while index < bytes.count, isDigit(bytes[index]) || bytes[index] == UInt8(ascii: "-") { index += 1 }
            // A 48-bit authority is written `0x` and 12 hex digits: `S-1-0x…`.
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "x"), index - start == 5 {
                index += 1
                while index < bytes.count, index - start < 18, isHex(bytes[index]) { index += 1 }
                while index < bytes.count, isDigit(bytes[index]) || bytes[index] == UInt8(ascii: "-") { index += 1 }
            }
            return try SecurityIdentifier(string: String(decoding: bytes[start..<index], as: UTF8.self))
        }
        let alias = String(decoding: bytes[index..<index + 2], as: UTF8.self)
        guard let sid = SecurityIdentifier(alias: alias) else { throw SecurityDescriptor.Invalid("unknown SID alias \(alias)") }
        index += 2
        return sid
    }

    /// An ACL part: flags, then parenthesised ACEs.
    mutating func acl() throws -> AccessControlList {
        var list = AccessControlList()
        while !atEnd, bytes[index] != UInt8(ascii: "("), partStart() == nil {
            if take("NO_ACCESS_CONTROL") { list.entries = nil }
            else if take("AR") { list.autoInheritRequired = true }
            else if take("AI") { list.autoInherited = true }
            else if take("P") { list.isProtected = true }
            else { throw SecurityDescriptor.Invalid("unknown ACL flag") }
        }
        while !atEnd, bytes[index] == UInt8(ascii: "(") {
            guard let close = bytes[index...].firstIndex(of: UInt8(ascii: ")")) else { throw SecurityDescriptor.Invalid("unclosed ACE") }
            let text = String(decoding: bytes[(index + 1)..<close], as: UTF8.self)
            guard !text.contains("(") else { throw SecurityDescriptor.Invalid("conditional ACEs are not supported") }
            guard list.entries != nil else { throw SecurityDescriptor.Invalid("ACEs after NO_ACCESS_CONTROL") }
            list.entries?.append(try Self.ace(text))
            index = close + 1
        }
        guard atEnd || partStart() != nil else { throw SecurityDescriptor.Invalid("unexpected text after an ACL") }
        return list
    }

    private mutating func take(_ word: String) -> Bool {
        let token = Array(word.utf8)
        guard bytes.count - index >= token.count,
              zip(bytes[index..<index + token.count], token).allSatisfy({ ($0 & ~0x20) == $1 || $0 == $1 }) else { return false }
        index += token.count
        return true
    }

    private static func ace(_ text: String) throws -> AccessControlEntry {
        let fields = text.split(separator: ";", omittingEmptySubsequences: false).map { String($0) }
        guard fields.count == 6 else { throw SecurityDescriptor.Invalid("an ACE needs six fields") }
        guard let type = AccessControlEntry.typeNames.first(where: { $0.0 == fields[0].uppercased() })?.1 else {
            throw SecurityDescriptor.Invalid("unsupported ACE type \(fields[0])")
        }
        var flags: UInt8 = 0
        let flagText = fields[1].uppercased()
        guard flagText.count % 2 == 0 else { throw SecurityDescriptor.Invalid("bad ACE flags") }
        var at = flagText.startIndex
        while at < flagText.endIndex {
            let next = flagText.index(at, offsetBy: 2)
            guard let flag = AccessControlEntry.flagNames.first(where: { $0.0 == flagText[at..<next] })?.1 else {
                throw SecurityDescriptor.Invalid("bad ACE flag")
            }
            flags |= flag
            at = next
        }
        let mask = try AccessControlEntry.rights(fields[2])
        let isObject = AccessControlEntry.objectTypes.contains(type)
        func guid(_ text: String) throws -> UUID? {
            if text.isEmpty { return nil }
            guard isObject, let value = UUID(uuidString: text) else { throw SecurityDescriptor.Invalid("bad object GUID") }
            return value
        }
        var scanner = SDDLScanner(Array(fields[5].utf8))
        let sid = try scanner.sid()
        guard scanner.atEnd else { throw SecurityDescriptor.Invalid("bad ACE SID") }
        return AccessControlEntry(type: type, flags: flags, mask: mask, objectType: try guid(fields[3]),
                                  inheritedObjectType: try guid(fields[4]), sid: sid)
    }
}
