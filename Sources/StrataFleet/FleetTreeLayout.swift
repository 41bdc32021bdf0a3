import StrataCore

/// Where the fleet archive tree puts what, and which of its files a change on the central
/// server touches. Pure: the writer (`FleetTree` in StrataRuntime) does the reading and writing.
///
///     <dialect>/<site>/day/<year>.csv           a site's days of a year, in its own time
///     <dialect>/<site>/month/<year>.csv
///     <dialect>/<site>/year/all.csv
///     <dialect>/_fleet/day/<year>-<month>.csv   every site's days of a month
///     <dialect>/_fleet/month/<year>.csv
///     <dialect>/_fleet/year/all.csv
///
/// The fleet's days go by month so that a file stays one Excel can open as the fleet grows.
public enum FleetTreeLayout {
    public enum File: Hashable, Comparable, Sendable {
        /// A site's days or months of a local year, or its years (year 0).
        case site(String, tier: Tier, year: Int)
        /// Every site's days of a local month (`year * 100 + month`), months of a year, or years (0).
        case fleet(tier: Tier, period: Int)

        public static func < (a: File, b: File) -> Bool { a.sortKey < b.sortKey }

        var sortKey: String {
            switch self {
            case .site(let s, let t, let y): "0 \(s) \(t.rawValue) \(y)"
            case .fleet(let t, let p): "1 \(t.rawValue) \(p)"
            }
        }

        /// The path below a dialect's folder; `folder` names a site's folder.
        public func path(folder: (String) -> String) -> String {
            switch self {
            case .site(let s, let t, let y): "\(folder(s))/\(t.name)/\(t == .year ? "all" : String(y)).csv"
            case .fleet(let t, let p):
                "_fleet/\(t.name)/\(t == .year ? "all" : t == .day ? "\(p / 100)-\(zeroPadded(p % 100, 2))" : String(p)).csv"
            }
        }

        /// The local dates the file covers (nil: all of them).
        public var dates: (from: CivilDate, to: CivilDate)? { FleetTreeLayout.dates(tier: tier, period: period) }

        public var tier: Tier {
            switch self {
            case .site(_, let t, _), .fleet(let t, _): t
            }
        }

        var period: Int {
            switch self {
            case .site(_, _, let y): y
            case .fleet(_, let p): p
            }
        }
    }

    /// The tiers the tree holds.
    public static let tiers: [Tier] = [.day, .month, .year]

    /// The files a change touches: buckets of `change.tier` starting in its UTC month, seen in
    /// the site's zone (a UTC month's first hours can be the previous local month, or year).
    public static func files(site: String, zone: ZoneRules, change: FleetChange) -> [File] {
        guard let tier = FleetSchema.tier(number: change.tier), tiers.contains(tier) else { return [] }
        let first = zone.local(change.month).date
        let last = zone.local(FleetSchema.partitionBounds(containing: change.month).to - 1).date
        switch tier {
        case .day:
            var out = (first.year...last.year).map { File.site(site, tier: .day, year: $0) }
            out.append(.fleet(tier: .day, period: first.year * 100 + first.month))
            out.append(.fleet(tier: .day, period: last.year * 100 + last.month))
            return out
        case .month:
            return (first.year...last.year).flatMap {
                [File.site(site, tier: .month, year: $0), .fleet(tier: .month, period: $0)]
            }
        default:
            return [.site(site, tier: .year, year: 0), .fleet(tier: .year, period: 0)]
        }
    }

    /// Local dates of a period: a year (`2026`), a month (`202603`), or all (year tier).
    static func dates(tier: Tier, period: Int) -> (from: CivilDate, to: CivilDate)? {
        guard tier != .year else { return nil }
        if period > 9999 {
            let from = CivilDate(year: period / 100, month: period % 100, day: 1)
            return (from, from.addingMonths(1))
        }
        return (CivilDate(year: period, month: 1, day: 1), CivilDate(year: period + 1, month: 1, day: 1))
    }

    /// A site's folder: its name made safe for a path (its id where the name has nothing usable).
    public static func folder(_ name: String, _ id: String) -> String {
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
        return safe.allSatisfy({ $0 == "-" }) ? id : safe
    }
}
