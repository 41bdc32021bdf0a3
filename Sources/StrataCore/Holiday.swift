/// The kind of day a tariff is priced by.
public enum DayType: String, Sendable, CaseIterable {
    case workday, saturday, sunday, holiday

    /// A date's type: a holiday first, else by its weekday.
    public static func of(_ date: CivilDate, holidays: HolidayCalendar) -> DayType {
        if holidays.contains(date) { return .holiday }
        switch date.isoWeekday {
        case 6: return .saturday
        case 7: return .sunday
        default: return .workday
        }
    }
}

/// One `[[holidays]]` entry.
public enum Holiday: Sendable, Equatable {
    /// Every year on this month and day (1 May, 25 Dec).
    case annual(month: Int, day: Int)
    /// Once (a bridge day, a one-off public holiday).
    case once(CivilDate)
    /// Days after Western Easter Sunday: -2 Good Friday, 1 Easter Monday, 39 Ascension,
    /// 50 Whit Monday, 60 Corpus Christi.
    case easter(offset: Int)

    public func date(in year: Int) -> CivilDate? {
        switch self {
        case .annual(let m, let d):
            let date = CivilDate(year: year, month: m, day: d)
            // 29 Feb in a common year is no day at all.
            return date.isValid ? date : nil
        case .once(let date): return date.year == year ? date : nil
        case .easter(let offset): return Easter.sunday(year: year).adding(days: offset)
        }
    }
}

/// A site's holidays, answered per date.
public struct HolidayCalendar: Sendable {
    public var holidays: [Holiday]

    public init(_ holidays: [Holiday]) { self.holidays = holidays }

    public func contains(_ date: CivilDate) -> Bool {
        // An Easter offset can move a holiday into the next or previous year (none does today).
        holidays.contains { h in (date.year - 1...date.year + 1).contains { h.date(in: $0) == date } }
    }
}

/// Western (Gregorian) Easter Sunday.
public enum Easter {
    /// The anonymous Gregorian algorithm (Meeus/Jones/Butcher), valid for every Gregorian year.
    public static func sunday(year y: Int) -> CivilDate {
        let a = y % 19
        let b = y / 100
        let c = y % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CivilDate(year: y, month: month, day: day)
    }
}

/// A range of days of the year, like 1 Apr – 30 Sep; `from` after `to` runs over New Year
/// (a winter of 1 Oct – 31 Mar).
public struct SeasonRange: Sendable, Equatable {
    public var from: (month: Int, day: Int)
    public var to: (month: Int, day: Int)

    public init(from: (month: Int, day: Int), to: (month: Int, day: Int)) {
        self.from = from
        self.to = to
    }

    public static func == (a: SeasonRange, b: SeasonRange) -> Bool {
        a.from == b.from && a.to == b.to
    }

    public func contains(_ date: CivilDate) -> Bool {
        let x = date.month * 100 + date.day
        let a = from.month * 100 + from.day
        let b = to.month * 100 + to.day
        return a <= b ? (x >= a && x <= b) : (x >= a || x <= b)
    }
}
