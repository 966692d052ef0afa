/// The order in which Azure Storage sorts `x-ms-` headers before signing them: a two-level
/// collation in which `-` and `'` are ignored at the first level (as Windows' culture-aware
/// comparison does), not plain byte order. Clients (the Azure SDKs) sort the same way, so a
/// server must too, or signatures over headers like `x-ms-meta-a_b` and `x-ms-meta-ab` differ.
enum HeaderCollation {
    /// First-level weights of ASCII characters (0: ignored at this level).
    private static let primary: [UInt16] = {
        var w = [UInt16](repeating: 0, count: 128)
        let punctuation: [(Character, UInt16)] = [
            ("!", 0x71C), ("#", 0x71F), ("$", 0x721), ("%", 0x723), ("&", 0x725), ("*", 0x72D), ("+", 0x803),
            (".", 0x733), ("^", 0x743), ("_", 0x744), ("`", 0x748), ("|", 0x74C), ("~", 0x750),
        ]
        for (c, v) in punctuation { if let ascii = c.asciiValue { w[Int(ascii)] = v } }
        let digits: [UInt16] = [0xD03, 0xD1A, 0xD1C, 0xD1E, 0xD20, 0xD22, 0xD24, 0xD26, 0xD28, 0xD2A]
        for (i, v) in digits.enumerated() { w[48 + i] = v }
        let letters: [UInt16] = [0xE02, 0xE09, 0xE0A, 0xE1A, 0xE21, 0xE23, 0xE25, 0xE2C, 0xE32, 0xE35, 0xE36, 0xE48, 0xE51,
                                 0xE70, 0xE7C, 0xE7E, 0xE89, 0xE8A, 0xE91, 0xE99, 0xE9F, 0xEA2, 0xEA4, 0xEA6, 0xEA7, 0xEA9]
        for (i, v) in letters.enumerated() {
            w[65 + i] = v
            w[97 + i] = v
        }
        return w
    }()

    /// Second-level weights: only `'` and `-` count here.
    private static let secondary: [UInt16] = {
        var w = [UInt16](repeating: 0, count: 128)
        w[39] = 0x8012
        w[45] = 0x8212
        return w
    }()

    /// Whether `lhs` sorts before `rhs`.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool { compare(Array(lhs.utf8), Array(rhs.utf8)) < 0 }

    /// -1, 0 or 1 as `lhs` sorts before, with, or after `rhs`.
    static func compare(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
        let levels = [primary, secondary]
        var level = 0
        var i = 0
        var j = 0
        func weight(_ table: [UInt16], _ s: [UInt8], _ k: Int) -> UInt16 {
            guard k < s.count else { return 1 }  // end of string
            let c = Int(s[k])
            return c < 128 ? table[c] : 0xFFFF
        }
        while level < levels.count {
            if level == levels.count - 1 && i != j {
                return i > j ? -1 : 1
            }
            let w1 = weight(levels[level], lhs, i)
            let w2 = weight(levels[level], rhs, j)
            if w1 == 1 && w2 == 1 {
                i = 0
                j = 0
                level += 1
            } else if w1 == w2 {
                i += 1
                j += 1
            } else if w1 == 0 {
                i += 1
            } else if w2 == 0 {
                j += 1
            } else {
                return w1 < w2 ? -1 : 1
            }
        }
        return 0
    }
}
