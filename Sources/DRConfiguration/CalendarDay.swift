import Foundation

/// A day of the calendar, `2025-03-14`, in UTC: review dates, the runbook's "as of" day and the drill dates as the
/// runbook shows them. Days rather than instants keep the rendered runbook the same all day long.
public struct CalendarDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Parses `YYYY-MM-DD`; nil for anything else or a day that does not exist (`2025-02-30`).
    public init?(text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        guard let date = Self.calendar.date(from: components), Self(date: date).text == text else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The UTC day an instant falls on.
    public init(date: Date) {
        let components = Self.calendar.dateComponents([.year, .month, .day], from: date)
        year = components.year ?? 1970
        month = components.month ?? 1
        day = components.day ?? 1
    }

    /// Midnight UTC at the start of the day.
    public var date: Date {
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        return Self.calendar.date(from: components) ?? Date(timeIntervalSince1970: 0)
    }

    /// `YYYY-MM-DD`.
    public var text: String {
        let yearText = String(year)
        let monthText = month < 10 ? "0\(month)" : String(month)
        let dayText = day < 10 ? "0\(day)" : String(day)
        return "\(String(repeating: "0", count: max(0, 4 - yearText.count)))\(yearText)-\(monthText)-\(dayText)"
    }

    public var description: String { text }

    /// The day this many days later (earlier when negative).
    public func adding(days: Int) -> CalendarDay {
        CalendarDay(date: date.addingTimeInterval(Double(days) * 86_400))
    }

    /// Whole days from this day to `other`; negative when `other` is earlier.
    public func days(until other: CalendarDay) -> Int {
        Int((other.date.timeIntervalSince(date) / 86_400).rounded())
    }

    public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
