/// The administration token that the Backup and IIS Files fronts require as a bearer token
/// (`Authorization: Bearer <token>` or `Access-Token: Bearer <token>`).
///
/// `sharecore serve --admin-token T` sets it; without the flag it is generated once, kept in
/// `DATA/admin-token` (mode 0600) and printed at start. Each front answers a missing or wrong
/// token in its own protocol's form; this type only parses and compares.
public struct AdminToken: Sendable {
    private let value: [UInt8]

    /// A token with the given value (leading and trailing spaces are not part of it).
    public init(_ value: String) {
        self.value = Array(value.utf8)
    }

    /// The token's text, for printing at start.
    public var text: String { String(decoding: value, as: UTF8.self) }

    /// Whether `presented` is the token. The comparison takes the same time whatever the bytes
    /// presented, so timing does not reveal how much of a guess was right.
    public func matches(_ presented: some StringProtocol) -> Bool {
        let given = Array(presented.utf8)
        var difference = UInt8(truncatingIfNeeded: given.count ^ value.count)
        if (given.count ^ value.count) >> 8 != 0 { difference |= 1 }
        for i in 0..<value.count {
            let other = i < given.count ? given[i] : ~value[i]
            difference |= value[i] ^ other
        }
        return difference == 0 && !value.isEmpty
    }

    /// The token of a `Bearer <token>` header value (the scheme is case-insensitive, spaces
    /// around the token are trimmed), or nil when the value is missing or of another form.
    public static func bearer(_ headerValue: String?) -> Substring? {
        guard let headerValue else { return nil }
        let trimmed = headerValue.drop { $0 == " " || $0 == "\t" }
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        var token = trimmed.dropFirst(7).drop { $0 == " " || $0 == "\t" }
        while let last = token.last, last == " " || last == "\t" { token = token.dropLast() }
        return token.isEmpty ? nil : token
    }

    /// A new random token: 32 bytes from the system's secure generator, as 43 base64url
    /// characters.
    public static func generate() -> AdminToken {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        for _ in 0..<4 {
            let word = generator.next()
            for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i)))) }
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for b in bytes {
            buffer = buffer << 8 | UInt32(b)
            bits += 8
            while bits >= 6 {
                bits -= 6
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 0x3F)])
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(6 - bits)) & 0x3F)]) }
        return AdminToken(String(decoding: out, as: UTF8.self))
    }
}
