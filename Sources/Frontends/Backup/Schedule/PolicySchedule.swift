import Foundation
import ShareCore

/// A backup policy's schedule and retention, validated (contract §8) and able to say when the
/// next backup runs and when a recovery point expires.
struct PolicySchedule: Sendable {
    enum Frequency: Sendable { case daily, weekly, hourly }

    var frequency: Frequency
    /// Seconds after local midnight of the run time (Daily, Weekly) or of the window start (Hourly).
    var timeOfDay: Int
    /// Weekdays (1 = Sunday … 7 = Saturday) of a weekly schedule.
    var runDays: Set<Int> = []
    var hourlyInterval = 0
    var windowHours = 0
    var timeZone: TimeZone
    var dailyDays: Int?
    var weekly: (days: Set<Int>, weeks: Int)?
    var monthly: (rule: DayRule, months: Int)?
    var yearly: (months: Set<Int>, rule: DayRule, years: Int)?

    /// Which days of a month a monthly or yearly retention rule keeps.
    enum DayRule: Sendable {
        /// `daysOfTheMonth`: dates 1…28, and/or the last day.
        case dates(Set<Int>, last: Bool)
        /// `daysOfTheWeek` in `weeksOfTheMonth` (1…4, 5 = last).
        case weekdays(Set<Int>, weeks: Set<Int>)
    }

    static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                         "November", "December"]
    static let weeksOfMonth = ["First", "Second", "Third", "Fourth", "Last"]

    var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        return c
    }

    /// Parses and validates a policy's `properties`; 400 `BMSUserErrorInvalidPolicyInput` when wrong.
    init(_ p: [String: Any]) throws(BackupError) {
        func fail(_ why: String) -> BackupError { .invalidPolicy(why) }
        guard (p["backupManagementType"] as? String) == "AzureStorage" else { throw fail("'backupManagementType' must be 'AzureStorage'.") }
        if let w = p["workLoadType"] as? String, w != "AzureFileShare" { throw fail("'workLoadType' must be 'AzureFileShare'.") }
        let zoneName = (p["timeZone"] as? String) ?? "UTC"
        guard let zone = zoneName == "UTC" ? TimeZone(identifier: "UTC") : TimeZone(identifier: zoneName) else {
            throw fail("'timeZone' '\(zoneName)' is not UTC or an IANA time zone name.")
        }
        timeZone = zone
        guard let schedule = p["schedulePolicy"] as? [String: Any], (schedule["schedulePolicyType"] as? String) == "SimpleSchedulePolicy" else {
            throw fail("'schedulePolicy.schedulePolicyType' must be 'SimpleSchedulePolicy'.")
        }
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC") ?? zone
        func clockSeconds(_ text: Any?) throws(BackupError) -> Int {
            guard let s = text as? String, let t = ARMTime.parse(s) else { throw fail("'\(text ?? "")' is not a date-time.") }
            // The time as written (its clock reading) counts, in the policy's time zone.
            let c = utc.dateComponents([.hour, .minute, .second], from: t.date)
            return (c.hour ?? 0) * 3600 + (c.minute ?? 0) * 60 + (c.second ?? 0)
        }
        switch schedule["scheduleRunFrequency"] as? String {
        case "Daily":
            frequency = .daily
            guard let times = schedule["scheduleRunTimes"] as? [Any], times.count == 1 else { throw fail("A daily schedule has one 'scheduleRunTimes' entry.") }
            timeOfDay = try clockSeconds(times[0])
        case "Weekly":
            frequency = .weekly
            guard let times = schedule["scheduleRunTimes"] as? [Any], times.count == 1 else { throw fail("A weekly schedule has one 'scheduleRunTimes' entry.") }
            timeOfDay = try clockSeconds(times[0])
            guard let days = schedule["scheduleRunDays"] as? [String], !days.isEmpty else { throw fail("A weekly schedule needs 'scheduleRunDays'.") }
            for day in days {
                guard let i = Self.weekdays.firstIndex(of: day) else { throw fail("'\(day)' is not a day of the week.") }
                runDays.insert(i + 1)
            }
        case "Hourly":
            frequency = .hourly
            guard let hourly = schedule["hourlySchedule"] as? [String: Any], let interval = hourly["interval"] as? Int,
                  [4, 6, 8, 12].contains(interval), let duration = hourly["scheduleWindowDuration"] as? Int, (1...24).contains(duration)
            else { throw fail("An hourly schedule needs 'hourlySchedule' with 'interval' 4, 6, 8 or 12 and 'scheduleWindowDuration' in hours.") }
            hourlyInterval = interval
            windowHours = duration
            timeOfDay = try clockSeconds(hourly["scheduleWindowStartTime"])
        default:
            throw fail("'scheduleRunFrequency' must be 'Daily', 'Weekly' or 'Hourly'.")
        }
        guard let retention = p["retentionPolicy"] as? [String: Any],
              (retention["retentionPolicyType"] as? String) == "LongTermRetentionPolicy"
        else { throw fail("'retentionPolicy.retentionPolicyType' must be 'LongTermRetentionPolicy'.") }
        func count(_ rule: [String: Any], _ unit: String, _ range: ClosedRange<Int>) throws(BackupError) -> Int {
            guard let d = rule["retentionDuration"] as? [String: Any], let n = d["count"] as? Int, (d["durationType"] as? String) == unit,
                  range.contains(n)
            else { throw fail("'retentionDuration' must be \(range.lowerBound) to \(range.upperBound) \(unit).") }
            return n
        }
        func days(_ list: Any?) throws(BackupError) -> Set<Int> {
            guard let names = list as? [String], !names.isEmpty else { throw fail("'daysOfTheWeek' must list days.") }
            var out = Set<Int>()
            for n in names {
                guard let i = Self.weekdays.firstIndex(of: n) else { throw fail("'\(n)' is not a day of the week.") }
                out.insert(i + 1)
            }
            return out
        }
        func dayRule(_ rule: [String: Any]) throws(BackupError) -> DayRule {
            switch rule["retentionScheduleFormatType"] as? String {
            case "Daily":
                guard let daily = rule["retentionScheduleDaily"] as? [String: Any], let list = daily["daysOfTheMonth"] as? [[String: Any]], !list.isEmpty
                else { throw fail("'retentionScheduleDaily.daysOfTheMonth' is required.") }
                var dates = Set<Int>()
                var last = false
                for d in list {
                    if (d["isLast"] as? Bool) == true { last = true; continue }
                    guard let date = d["date"] as? Int, (1...28).contains(date) else { throw fail("'date' must be 1 to 28.") }
                    dates.insert(date)
                }
                return .dates(dates, last: last)
            case "Weekly":
                guard let weekly = rule["retentionScheduleWeekly"] as? [String: Any] else { throw fail("'retentionScheduleWeekly' is required.") }
                guard let weeks = weekly["weeksOfTheMonth"] as? [String], !weeks.isEmpty else { throw fail("'weeksOfTheMonth' must list weeks.") }
                var w = Set<Int>()
                for name in weeks {
                    guard let i = Self.weeksOfMonth.firstIndex(of: name) else { throw fail("'\(name)' is not a week of the month.") }
                    w.insert(i + 1)
                }
                return .weekdays(try days(weekly["daysOfTheWeek"]), weeks: w)
            default:
                throw fail("'retentionScheduleFormatType' must be 'Daily' or 'Weekly'.")
            }
        }
        if let daily = retention["dailySchedule"] as? [String: Any] { dailyDays = try count(daily, "Days", 1...200) }
        if let weeklyRule = retention["weeklySchedule"] as? [String: Any] {
            weekly = (try days(weeklyRule["daysOfTheWeek"]), try count(weeklyRule, "Weeks", 1...200))
        }
        if let monthlyRule = retention["monthlySchedule"] as? [String: Any] {
            monthly = (try dayRule(monthlyRule), try count(monthlyRule, "Months", 1...120))
        }
        if let yearlyRule = retention["yearlySchedule"] as? [String: Any] {
            guard let names = yearlyRule["monthsOfYear"] as? [String], !names.isEmpty else { throw fail("'monthsOfYear' must list months.") }
            var months = Set<Int>()
            for n in names {
                guard let i = Self.months.firstIndex(of: n) else { throw fail("'\(n)' is not a month.") }
                months.insert(i + 1)
            }
            yearly = (months, try dayRule(yearlyRule), try count(yearlyRule, "Years", 1...10))
        }
        switch frequency {
        case .daily, .hourly: guard dailyDays != nil else { throw fail("A daily or hourly schedule needs 'retentionPolicy.dailySchedule'.") }
        case .weekly: guard weekly != nil else { throw fail("A weekly schedule needs 'retentionPolicy.weeklySchedule'.") }
        }
    }

    /// The first scheduled run strictly after `time`.
    func nextRun(after time: FileTime) -> FileTime {
        let cal = calendar
        let after = time.date
        var day = cal.startOfDay(for: after)
        for _ in 0..<400 {
            var candidates: [Date] = []
            switch frequency {
            case .daily:
                candidates = [day.addingTimeInterval(TimeInterval(timeOfDay))]
            case .weekly:
                if runDays.contains(cal.component(.weekday, from: day)) { candidates = [day.addingTimeInterval(TimeInterval(timeOfDay))] }
            case .hourly:
                var offset = 0
                while offset <= windowHours * 3600 {
                    candidates.append(day.addingTimeInterval(TimeInterval(timeOfDay + offset)))
                    offset += hourlyInterval * 3600
                }
            }
            if let first = candidates.sorted().first(where: { $0 > after }) {
                let ticks = Int64((first.timeIntervalSince1970 * 10_000_000).rounded())
                return FileTime(ticks: max(ticks, time.ticks + 1))
            }
            day = cal.date(byAdding: .day, value: 1, to: day) ?? day.addingTimeInterval(86_400)
        }
        return FileTime(ticks: time.ticks + 864_000_000_000)
    }

    /// When a scheduled recovery point taken at `time` expires: the latest of its matching rules.
    func expiry(of time: FileTime) -> FileTime {
        let cal = calendar
        let date = time.date
        var candidates: [Date] = []
        if let days = dailyDays, let d = cal.date(byAdding: .day, value: days, to: date) { candidates.append(d) }
        let weekday = cal.component(.weekday, from: date)
        if let weekly, weekly.days.contains(weekday), let d = cal.date(byAdding: .weekOfYear, value: weekly.weeks, to: date) { candidates.append(d) }
        if let monthly, matches(monthly.rule, date), let d = cal.date(byAdding: .month, value: monthly.months, to: date) { candidates.append(d) }
        if let yearly, yearly.months.contains(cal.component(.month, from: date)), matches(yearly.rule, date),
           let d = cal.date(byAdding: .year, value: yearly.years, to: date) { candidates.append(d) }
        guard let latest = candidates.max() else { return FileTime(ticks: time.ticks + 30 * 864_000_000_000) }
        return FileTime(ticks: time.ticks + Int64((latest.timeIntervalSince(date) * 10_000_000).rounded()))
    }

    func matches(_ rule: DayRule, _ date: Date) -> Bool {
        let cal = calendar
        let day = cal.component(.day, from: date)
        let daysInMonth = cal.range(of: .day, in: .month, for: date)?.count ?? 31
        switch rule {
        case .dates(let dates, let last):
            return dates.contains(day) || (last && day == daysInMonth)
        case .weekdays(let days, let weeks):
            guard days.contains(cal.component(.weekday, from: date)) else { return false }
            let week = (day - 1) / 7 + 1
            return weeks.contains(week) || (weeks.contains(5) && day + 7 > daysInMonth)
        }
    }
}
