import StrataCore

/// A bucket as the central server returns it for an export, with what the site said of its
/// channel and zone.
public struct FleetRow: Sendable, Equatable {
    /// The site's id (stable across renames) and the name its people know it by.
    public var site: String
    public var siteName: String
    public var timezone: String
    public var device: String
    public var channel: String
    public var unit: String
    public var isCounter: Bool
    public var decimals: Int
    public var start: Int64
    public var count: Int
    public var consumption: Int64?
    public var mean: Double?
    public var min: Double?
    public var max: Double?

    public init(
        site: String, timezone: String, device: String, channel: String, unit: String, isCounter: Bool, decimals: Int,
        start: Int64, count: Int, consumption: Int64?, mean: Double?, min: Double?, max: Double?,
        siteName: String? = nil
    ) {
        self.site = site
        self.siteName = siteName ?? site
        self.timezone = timezone
        self.device = device
        self.channel = channel
        self.unit = unit
        self.isCounter = isCounter
        self.decimals = decimals
        self.start = start
        self.count = count
        self.consumption = consumption
        self.mean = mean
        self.min = min
        self.max = max
    }
}

/// The fleet's buckets as one CSV in an archive dialect: a row per site, channel and bucket,
/// labelled by the bucket's start in its site's own time (days are each site's days), with the
/// offset beside it. Counters print their exact consumption; gauges mean, min and max.
public enum FleetTable {
    public static func csv(_ rows: [FleetRow], dialect: CSVDialect) -> [UInt8] {
        header(dialect: dialect) + body(rows, dialect: dialect)
    }

    /// The byte-order mark (where the dialect has one) and the column names.
    public static func header(dialect: CSVDialect) -> [UInt8] {
        var w = CSVWriter(dialect: dialect)
        if dialect.byteOrderMark { w.writeBOM() }
        for h in [
            "site", "site_name", "device", "channel", "unit", "start", "utc_offset", "readings", "consumption", "mean",
            "min", "max",
        ] { w.field(h) }
        w.endRow()
        return w.bytes
    }

    /// The rows alone: a file of many sites is its header and each site's body in turn.
    public static func body(_ rows: [FleetRow], dialect: CSVDialect) -> [UInt8] {
        var w = CSVWriter(dialect: dialect)
        var zones: [String: ZoneRules] = [:]
        for r in rows {
            let zone =
                zones[r.timezone] ?? ZoneRules(identifier: r.timezone) ?? ZoneRules(fixedOffset: 0, identifier: "UTC")
            zones[r.timezone] = zone
            w.field(r.site)
            w.field(r.siteName)
            w.field(r.device)
            w.field(r.channel)
            w.field(r.unit)
            let off = zone.offset(at: r.start)
            w.dateTime(LocalDateTime(secondsSinceEpoch: r.start + Int64(off)))
            w.offset(off)
            w.field(String(r.count))
            if r.isCounter, let c = r.consumption { w.number(steps: c, decimals: r.decimals) } else { w.empty() }
            let res = Resolution(decimals: max(r.decimals, 0))
            w.number(r.isCounter ? nil : r.mean, res)
            w.number(r.isCounter ? nil : r.min, res)
            w.number(r.isCounter ? nil : r.max, res)
            w.endRow()
        }
        return w.bytes
    }
}
