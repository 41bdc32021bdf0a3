/// Bucket edges of every tier in a site's local calendar.
///
/// A bucket is identified by its UTC start instant and labelled by its local start, so the two
/// 01:00 hours of a fall-back night are two buckets, and a local day lasts 23, 24 or 25 hours.
public struct SiteCalendar: Sendable {
    public let zone: ZoneRules

    public init(zone: ZoneRules) { self.zone = zone }

    /// Start (UTC seconds) of the bucket of `tier` that contains instant `t`.
    public func bucketStart(_ tier: Tier, containing t: Int64) -> Int64 {
        switch tier {
        case .minute:
            return t - floorMod(t, 60)
        case .quarter, .hour:
            // Clock-aligned in local time: in Asia/Kolkata an hour starts at :30 UTC.
            let len: Int64 = tier == .quarter ? 900 : 3600
            let local = t + Int64(zone.offset(at: t))
            return t - floorMod(local, len)
        case .day, .month, .year:
            let d = zone.local(t).date
            let first: CivilDate
            switch tier {
            case .day: first = d
            case .month: first = CivilDate(year: d.year, month: d.month, day: 1)
            default: first = CivilDate(year: d.year, month: 1, day: 1)
            }
            let s = zone.firstInstant(atOrAfter: LocalDateTime(date: first))
            // Midnight skipped into this day: the day began at the transition, at or before t.
            return s <= t ? s : zone.firstInstant(atOrAfter: LocalDateTime(date: first.adding(days: -1)))
        }
    }

    /// End (exclusive) of the bucket of `tier` starting at `start`: the next bucket's start.
    public func bucketEnd(_ tier: Tier, start: Int64) -> Int64 {
        switch tier {
        case .minute: return start + 60
        case .quarter, .hour:
            let len: Int64 = tier == .quarter ? 900 : 3600
            let end = start + len
            // A transition inside the bucket that is not on a clock edge (e.g. a 30-minute
            // DST shift) cuts the bucket there rather than letting two buckets overlap.
            if let tr = zone.nextTransition(after: start), tr < end, bucketStart(tier, containing: tr) == tr {
                return tr
            }
            return end
        case .day, .month, .year:
            let d = zone.local(start).date
            let next: CivilDate
            switch tier {
            case .day: next = d.adding(days: 1)
            case .month: next = CivilDate(year: d.year, month: d.month, day: 1).addingMonths(1)
            default: next = CivilDate(year: d.year + 1, month: 1, day: 1)
            }
            return zone.firstInstant(atOrAfter: LocalDateTime(date: next))
        }
    }

    /// The buckets of `tier` that overlap `[from, to)`, as `(start, end)` pairs.
    public func buckets(_ tier: Tier, overlapping from: Int64, _ to: Int64) -> [(start: Int64, end: Int64)] {
        var out: [(Int64, Int64)] = []
        guard from < to else { return out }
        var s = bucketStart(tier, containing: from)
        while s < to {
            let e = bucketEnd(tier, start: s)
            out.append((s, e))
            s = e
        }
        return out
    }

    /// Local label and UTC offset of a bucket start.
    public func label(_ start: Int64) -> (local: LocalDateTime, offset: Int) {
        let o = zone.offset(at: start)
        return (LocalDateTime(secondsSinceEpoch: start + Int64(o)), o)
    }
}
