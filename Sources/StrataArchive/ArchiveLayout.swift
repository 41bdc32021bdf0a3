import StrataCore

/// Where each tier's files live in the archive tree, and which period each file covers.
///
/// The layout is a contract (FTP homes, report links and Power Query links depend on it):
/// `<dialect>/<device>/minute/YYYY/MM/YYYY-MM-DD.csv`, `…/quarter/YYYY/YYYY-MM.csv`,
/// `…/hour/YYYY/YYYY-MM.csv`, `…/day/YYYY.csv`, `…/month/YYYY.csv`, `…/year.csv`.
public struct ArchiveLayout: Sendable {
    public static let siteFolder = "_site"
    /// The name prefix of files being written (`.strata-tmp-<pid>-<name>`): hidden from FTP
    /// (a dot file), vetoed by the Samba share, swept on start.
    public static let temporaryPrefix = ".strata-tmp-"

    public let calendar: SiteCalendar

    public init(calendar: SiteCalendar) { self.calendar = calendar }

    /// The calendar unit one file of a tier covers.
    public func periodTier(_ tier: Tier) -> Tier? {
        switch tier {
        case .minute: .day
        case .quarter, .hour: .month
        case .day, .month: .year
        case .year: nil
        }
    }

    /// `[start, end)` of the file period containing `t`; the year tier has one file for all time.
    public func period(_ tier: Tier, containing t: Int64) -> (start: Int64, end: Int64) {
        guard let p = periodTier(tier) else { return (Int64.min / 2, Int64.max / 2) }
        let s = calendar.bucketStart(p, containing: t)
        return (s, calendar.bucketEnd(p, start: s))
    }

    /// Path of a file below `<dialect>/<device>/`, e.g. `minute/2026/11/2026-11-21.csv`.
    public func relativePath(_ tier: Tier, periodStart: Int64) -> String {
        let d = calendar.zone.local(periodStart).date
        let y = zeroPadded(d.year, 4)
        let m = zeroPadded(d.month, 2)
        let dd = zeroPadded(d.day, 2)
        switch tier {
        case .minute: return "minute/\(y)/\(m)/\(y)-\(m)-\(dd).csv"
        case .quarter: return "quarter/\(y)/\(y)-\(m).csv"
        case .hour: return "hour/\(y)/\(y)-\(m).csv"
        case .day: return "day/\(y).csv"
        case .month: return "month/\(y).csv"
        case .year: return "year.csv"
        }
    }

    /// Path of a file from the archive root: `<dialect>/<folder>/<relativePath>`, where the
    /// folder is a device id or `_site`.
    public func path(_ dialect: CSVDialect, _ folder: String, _ tier: Tier, periodStart: Int64) -> String {
        "\(dialect.rawValue)/\(folder)/\(relativePath(tier, periodStart: periodStart))"
    }

    /// The periods of a tier overlapping `[from, to)`.
    public func periods(_ tier: Tier, overlapping from: Int64, _ to: Int64) -> [(start: Int64, end: Int64)] {
        guard let p = periodTier(tier) else { return from < to ? [period(tier, containing: from)] : [] }
        return calendar.buckets(p, overlapping: from, to)
    }
}
