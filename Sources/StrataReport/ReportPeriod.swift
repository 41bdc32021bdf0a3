import StrataCore

/// The local calendar period a report covers: a day, an ISO week (Monday–Sunday) or a month.
public struct ReportPeriod: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case day, week, month
    }

    public let kind: Kind
    /// The first local day of the period.
    public let first: CivilDate

    public init(kind: Kind, containing d: CivilDate) {
        self.kind = kind
        switch kind {
        case .day: first = d
        case .week: first = d.adding(days: 1 - d.isoWeekday)
        case .month: first = CivilDate(year: d.year, month: d.month, day: 1)
        }
    }

    /// The day after the last day of the period.
    public var end: CivilDate {
        switch kind {
        case .day: first.adding(days: 1)
        case .week: first.adding(days: 7)
        case .month: first.addingMonths(1)
        }
    }

    public var days: [CivilDate] { (0..<(end.daysSinceEpoch - first.daysSinceEpoch)).map { first.adding(days: $0) } }

    public var next: ReportPeriod { ReportPeriod(kind: kind, containing: end) }
    public var previous: ReportPeriod { ReportPeriod(kind: kind, containing: first.adding(days: -1)) }

    /// The same period a year earlier: the same date (28 Feb for 29 Feb), the ISO week with
    /// the same number (52 for a week 53), the same month.
    public var yearEarlier: ReportPeriod {
        switch kind {
        case .day:
            let y = first.year - 1
            return ReportPeriod(
                kind: .day,
                containing: CivilDate(
                    year: y, month: first.month, day: min(first.day, CivilDate.daysIn(year: y, month: first.month))))
        case .week:
            let (wy, w) = isoWeek
            let target = min(w, ReportPeriod.weeksIn(isoYear: wy - 1))
            return ReportPeriod(
                kind: .week, containing: ReportPeriod.mondayOfWeek1(wy - 1).adding(days: 7 * (target - 1)))
        case .month:
            return ReportPeriod(kind: .month, containing: CivilDate(year: first.year - 1, month: first.month, day: 1))
        }
    }

    /// ISO 8601 week-numbering year and week of a week period's Monday.
    public var isoWeek: (year: Int, week: Int) { ReportPeriod.isoWeek(of: first) }

    /// `2026-10-21`, `2026-W43`, `2026-10`: the form `strata report --period` takes, file names use.
    public var label: String {
        switch kind {
        case .day: return first.description
        case .week:
            let (y, w) = isoWeek
            return "\(y)-W\(w < 10 ? "0" : "")\(w)"
        case .month:
            return "\(first.year)-\(first.month < 10 ? "0" : "")\(first.month)"
        }
    }

    public var description: String { label }

    public static func < (a: ReportPeriod, b: ReportPeriod) -> Bool { a.first < b.first }

    /// Reads a label; nil when it is none of the three forms or not a real date.
    public static func parse(_ s: String) -> ReportPeriod? {
        let p = s.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let y = Int(p.first ?? ""), p[0].count == 4 else { return nil }
        if p.count == 2, p[1].hasPrefix("W"), let w = Int(p[1].dropFirst()), p[1].count == 3 {
            guard w >= 1, w <= weeksIn(isoYear: y) else { return nil }
            return ReportPeriod(kind: .week, containing: mondayOfWeek1(y).adding(days: 7 * (w - 1)))
        }
        if p.count == 2, p[1].count == 2, let m = Int(p[1]), (1...12).contains(m) {
            return ReportPeriod(kind: .month, containing: CivilDate(year: y, month: m, day: 1))
        }
        if p.count == 3, p[1].count == 2, p[2].count == 2, let m = Int(p[1]), let d = Int(p[2]) {
            let date = CivilDate(year: y, month: m, day: d)
            guard date.isValid else { return nil }
            return ReportPeriod(kind: .day, containing: date)
        }
        return nil
    }

    static func isoWeek(of d: CivilDate) -> (Int, Int) {
        // The week belongs to the year of its Thursday.
        let thursday = d.adding(days: 4 - d.isoWeekday)
        let y = thursday.year
        let w = (thursday.daysSinceEpoch - CivilDate(year: y, month: 1, day: 1).daysSinceEpoch) / 7 + 1
        return (y, w)
    }

    static func mondayOfWeek1(_ y: Int) -> CivilDate {
        let jan4 = CivilDate(year: y, month: 1, day: 4)
        return jan4.adding(days: 1 - jan4.isoWeekday)
    }

    static func weeksIn(isoYear y: Int) -> Int {
        (mondayOfWeek1(y + 1).daysSinceEpoch - mondayOfWeek1(y).daysSinceEpoch) / 7
    }
}

/// When reports are due, in site-local time: at `at` on the first day after the period, but
/// never before the period's end plus the grace for late data.
public struct ReportSchedule: Sendable {
    public let kind: ReportPeriod.Kind
    /// Minutes after local midnight.
    public let at: Int
    public let grace: Int64
    public let zone: ZoneRules

    public init(kind: ReportPeriod.Kind, at: Int, grace: Int64, zone: ZoneRules) {
        self.kind = kind
        self.at = at
        self.grace = grace
        self.zone = zone
    }

    /// The period's local bounds as instants; a skipped midnight starts at the clock change.
    public func bounds(_ p: ReportPeriod) -> (start: Int64, end: Int64) {
        (
            zone.firstInstant(atOrAfter: LocalDateTime(date: p.first)),
            zone.firstInstant(atOrAfter: LocalDateTime(date: p.end))
        )
    }

    /// The instant a period's report is due. An `at` that a DST change skips means the next
    /// valid minute; one that happens twice means the first time.
    public func due(_ p: ReportPeriod) -> Int64 {
        let local = LocalDateTime(date: p.end, hour: at / 60, minute: at % 60)
        return max(zone.firstInstant(atOrAfter: local), bounds(p).end + grace)
    }

    /// The latest period whose report is due at `now`.
    public func latestDue(at now: Int64) -> ReportPeriod {
        var p = ReportPeriod(kind: kind, containing: zone.local(now).date)
        while due(p) > now { p = p.previous }
        return p
    }
}
