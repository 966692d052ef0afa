import Foundation
import ShareCore
import Synchronization

/// RFC 1123 dates (`Sun, 06 Nov 1994 08:49:37 GMT`), as HTTP headers carry them.
public enum HTTPDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Formats seconds since the Unix epoch.
    public static func format(secondsSince1970 seconds: Int64) -> String {
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - day * 86_400
        let (y, m, d) = CivilCalendar.date(fromDays: day)
        let weekday = days[Int(((day % 7) + 7) % 7)]
        guard (0...9999).contains(y) else {
            func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return "\(weekday), \(two(d)) \(months[Int(m) - 1]) \(y) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) GMT"
        }
        // Written straight into the string's storage (every FileREST response carries a
        // Last-Modified; the interpolated form made a string per field, issue #14).
        return String(unsafeUninitializedCapacity: 29) { buffer in
            var out = TextWriter(buffer)
            out.text(weekday)
            out.text(", ")
            out.number(d, width: 2)
            out.byte(UInt8(ascii: " "))
            out.text(months[Int(m) - 1])
            out.byte(UInt8(ascii: " "))
            out.number(y, width: 4)
            out.byte(UInt8(ascii: " "))
            out.number(secondOfDay / 3600, width: 2)
            out.byte(UInt8(ascii: ":"))
            out.number(secondOfDay / 60 % 60, width: 2)
            out.byte(UInt8(ascii: ":"))
            out.number(secondOfDay % 60, width: 2)
            out.text(" GMT")
            return out.count
        }
    }

    /// The current time, as the `Date` of a response: formatted once per second and shared by
    /// every caller (formatting it for each response was 1% of a small GET, issue #14).
    public static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        let second = Int64(time.tv_sec)
        return current.withLock { cache in
            if cache.second != second { cache = (second, format(secondsSince1970: second)) }
            return cache.text
        }
    }

    private static let current = Mutex<(second: Int64, text: String)>((-1, ""))

    /// Formats a `Date`.
    public static func format(_ date: Date) -> String {
        format(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    /// Parses an RFC 1123 date; nil when malformed.
    public static func parse(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let d = Int64(parts[1]),
              let monthIndex = months.firstIndex(of: String(parts[2])), let y = Int64(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int64($0) }
        guard time.count == 3, (1...31).contains(d), time[0] < 24, time[1] < 60, time[2] < 61 else { return nil }
        return CivilCalendar.days(year: y, month: Int64(monthIndex + 1), day: d) * 86_400 + time[0] * 3600 + time[1] * 60 + time[2]
    }
}
