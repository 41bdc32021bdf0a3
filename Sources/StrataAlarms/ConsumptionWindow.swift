import StrataCore

/// The instants of a consumption rule's daily windows in site time: a window of 00:00-05:00
/// lasts 4 hours on the night clocks go forward and 6 on the night they go back.
public struct ConsumptionWindow: Sendable {
    public let window: AlarmRule.Window
    public let zone: ZoneRules

    public init(window: AlarmRule.Window, zone: ZoneRules) {
        self.window = window
        self.zone = zone
    }

    /// `[start, end)` of the window that ends on the local date `day` (a window across
    /// midnight starts the evening before).
    public func span(endingOn day: CivilDate) -> (start: Int64, end: Int64) {
        let startDay = window.from < window.to ? day : CivilDate(daysSinceEpoch: day.daysSinceEpoch - 1)
        let start = zone.firstInstant(
            atOrAfter: LocalDateTime(date: startDay, hour: window.from / 60, minute: window.from % 60))
        let end = zone.firstInstant(atOrAfter: LocalDateTime(date: day, hour: window.to / 60, minute: window.to % 60))
        return (start, end)
    }

    /// The window ending in the minute `[t, t + 60)`, if one does.
    public func ending(inMinute t: Int64) -> (start: Int64, end: Int64)? {
        let local = zone.local(t + 60)
        let s = span(endingOn: local.date)
        return s.end > t && s.end <= t + 60 ? s : nil
    }

    /// The windows that hold any instant of `[from, to]`, oldest first (late data changes
    /// exactly these).
    public func spans(overlapping from: Int64, _ to: Int64) -> [(start: Int64, end: Int64)] {
        var out: [(Int64, Int64)] = []
        var day = zone.local(from).date.daysSinceEpoch - 1
        let last = zone.local(to).date.daysSinceEpoch + 2
        while day <= last {
            let s = span(endingOn: CivilDate(daysSinceEpoch: day))
            if s.end > from && s.start <= to { out.append(s) }
            day += 1
        }
        return out
    }

    /// Sub-spans of `per` seconds inside `[start, end)` (the last may be shorter).
    public static func slices(_ start: Int64, _ end: Int64, per: Int64) -> [(Int64, Int64)] {
        var out: [(Int64, Int64)] = []
        var a = start
        while a < end {
            out.append((a, min(end, a + per)))
            a += per
        }
        return out
    }
}
