import Foundation
import ShareCore

/// JSON in and out of the Backup front: request bodies are read loosely (unknown properties are
/// ignored, null equals absent), responses are written with camelCase names as ARM has them.
enum JSON {
    /// Serializes `value` (dictionaries, arrays, strings, numbers, booleans, `NSNull`).
    static func encode(_ value: Any) -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.withoutEscapingSlashes, .sortedKeys])) ?? Data("{}".utf8)
        return Array(data)
    }

    /// Parses a request body: an object, else 400 `InvalidRequestContent`.
    static func object(_ bytes: [UInt8]) throws(BackupError) -> [String: Any] {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            let text = String(decoding: bytes.prefix(200), as: UTF8.self)
            throw BackupError(.badRequest, "InvalidRequestContent",
                              "The request content was invalid and could not be deserialized: '\(text)'.")
        }
        guard let object = parsed as? [String: Any] else {
            throw BackupError(.badRequest, "InvalidRequestContent",
                              "The request content was invalid and could not be deserialized: 'expected a JSON object'.")
        }
        return object
    }

    /// The `properties` object of a request body, else 400 `BMSUserErrorInvalidInput`.
    static func properties(_ body: [String: Any]) throws(BackupError) -> [String: Any] {
        guard let properties = body["properties"] as? [String: Any] else {
            throw .invalidInput("The request body has no 'properties' object.")
        }
        return properties
    }

    /// A string property; nil when absent or null, 400 when of another type.
    static func string(_ object: [String: Any], _ name: String) throws(BackupError) -> String? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw .invalidInput("'\(name)' must be a string.") }
        return text
    }
}

/// Times as ARM writes and reads them.
enum ARMTime {
    /// ISO 8601 UTC with seven fractional digits and `Z`.
    static func format(_ time: FileTime) -> String { time.iso8601 }

    /// A duration in ISO 8601 (`PT1.5S`).
    static func duration(ticks: Int64) -> String {
        let t = max(ticks, 0)
        let seconds = t / 10_000_000
        let fraction = t % 10_000_000
        if fraction == 0 { return "PT\(seconds)S" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 7 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "PT\(seconds).\(digits)S"
    }

    /// Parses a date of a `$filter` or body: ISO 8601 (fraction and offset optional),
    /// `yyyy-MM-dd hh:mm:ss tt` (the az CLI's; hour 00 with AM is midnight) or
    /// `yyyy-MM-dd HH:mm:ss`, all UTC unless an offset is given.
    static func parse(_ text: String) -> FileTime? {
        let s = text.trimmingCharacters(in: .whitespaces)
        let b = Array(s.utf8)
        func num(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= b.count, !r.isEmpty else { return nil }
            var v = 0
            for c in b[r] {
                guard (48...57).contains(c) else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard b.count >= 10, let year = num(0..<4), b[4] == 0x2D, let month = num(5..<7), b[7] == 0x2D, let day = num(8..<10)
        else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction: Int64 = 0
        var offsetSeconds = 0
        var i = 10
        if b.count > 10 {
            guard b[10] == 0x54 || b[10] == 0x20, let h = num(11..<13), b.count > 13, b[13] == 0x3A, let m = num(14..<16) else { return nil }
            hour = h
            minute = m
            i = 16
            if i < b.count, b[i] == 0x3A {
                guard let sec = num(17..<19) else { return nil }
                second = sec
                i = 19
            }
            if i < b.count, b[i] == 0x2E {
                i += 1
                var digits = 0
                while i < b.count, (48...57).contains(b[i]) {
                    if digits < 7 { fraction = fraction * 10 + Int64(b[i] - 48) }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return nil }
                for _ in min(digits, 7)..<7 { fraction *= 10 }
            }
            let rest = String(decoding: b[i...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            switch rest.uppercased() {
            case "", "Z": break
            case "AM", "PM":
                guard (0...12).contains(hour) else { return nil }
                if rest.uppercased() == "AM" { if hour == 12 { hour = 0 } } else if hour != 12 { hour += 12 }
            default:
                let r = Array(rest.utf8)
                guard r.count == 6, r[0] == 0x2B || r[0] == 0x2D, r[3] == 0x3A,
                      let oh = Int(String(decoding: r[1..<3], as: UTF8.self)), let om = Int(String(decoding: r[4..<6], as: UTF8.self))
                else { return nil }
                offsetSeconds = (oh * 3600 + om * 60) * (r[0] == 0x2D ? -1 : 1)
            }
        }
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)),
              calendar.component(.day, from: date) == day
        else { return nil }
        let whole = Int64(date.timeIntervalSince1970.rounded()) - Int64(offsetSeconds)
        return FileTime(ticks: whole * 10_000_000 + fraction)
    }
}
