extension Checker {
    /// Checks front records: every record decodes, its owning share exists, the owner and
    /// claimed-name indexes match the records exactly, a claimed name is no share's, and the
    /// front's verifier (when given) accepts the record.
    mutating func checkRecords() throws {
        let shareIds = Set(shareNames.keys)
        let names = Set(shareNames.values)
        var owners = Set<[UInt8]>()
        var claims: [String: [UInt8]] = [:]
        var found: [String] = []
        try txn.scan(.records, prefix: []) { k, v in
            let fullKey = Array(k)
            guard let (table, key) = RecordKeys.split(fullKey) else {
                found.append("front record: a key of \(fullKey.count) bytes is malformed")
                return true
            }
            let label = "record \(table) '\(RecordKeys.printable(key))'"
            let record: StoredRecord
            do {
                record = try StoredRecord(v)
            } catch {
                found.append("\(label): \(error)")
                return true
            }
            if record.owner != 0 {
                if !shareIds.contains(record.owner) { found.append("\(label): its owning share (id \(record.owner)) does not exist") }
                owners.insert(Key.u64(record.owner) + fullKey)
            }
            if let claim = record.claim {
                if names.contains(claim) { found.append("\(label): it claims the name '\(claim)', which a share has") }
                claims[claim] = fullKey
            }
            if let verify = verifiers[table] {
                do {
                    try verify(key, record.payload)
                } catch {
                    found.append("\(label): \(error)")
                }
            }
            return true
        }
        try txn.scan(.recordOwners, prefix: []) { k, _ in
            if owners.remove(Array(k)) == nil { found.append("front record owner index: an entry names no record it owns") }
            return true
        }
        if !owners.isEmpty { found.append("front record owner index: \(owners.count) owned record(s) missing from it") }
        try txn.scan(.recordClaims, prefix: []) { k, v in
            let name = String(decoding: k, as: UTF8.self)
            if claims.removeValue(forKey: name) != Array(v) {
                found.append("front record claim of '\(name)': it names no record claiming it")
            }
            return true
        }
        for name in claims.keys.sorted() { found.append("front record claim of '\(name)': missing from the claim index") }
        problems += found
    }
}

extension RecordKeys {
    /// A record key for messages: its text when it is printable UTF-8, else hex.
    static func printable(_ key: [UInt8]) -> String {
        if key.allSatisfy({ (0x20..<0x7F).contains($0) }) { return String(decoding: key, as: UTF8.self) }
        let digits = Array("0123456789abcdef")
        return "0x" + String(key.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }
}
