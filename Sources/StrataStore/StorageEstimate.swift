import StrataCore

/// Rough bytes per stored reading and bucket, measured on the store's real layout with meter
/// data (`strata-bench blocks`, docs/PERFORMANCE.md).
public struct StorageEstimate: Sendable {
    /// A minute reading once its UTC day is compacted into a block (0.75 measured on AMPds2,
    /// 0.82 on the simulated meters). Readings that are not whole steps of their channel's
    /// resolution cost up to eight.
    public static let minuteRowBytes = 1.0
    /// A quarter-hour or hour bucket once its month is compacted (5 to 8 measured).
    public static let blockedBucketBytes = 8.0
    /// A day, month or year bucket: those stay rows.
    public static let aggRowBytes = 45.0
    /// Until compaction, today's minutes and this month's quarter-hours and hours are rows.
    public static let openMinuteRowBytes = 30.0

    public struct Line: Sendable {
        public var tier: Tier
        public var rowsPerDay: Double
        public var bytesPerDay: Int64
        /// How long the tier is kept and what that costs, for `strata check`.
        public var kept: String
    }

    public let lines: [Line]

    public init(channels: [ChannelSpec], retention: [Tier: Span], budget: ByteSize?) {
        var out: [Line] = []
        let perDay: [Tier: Double] = [
            .minute: 0, .quarter: 96, .hour: 24, .day: 1, .month: 1.0 / 30.44, .year: 1.0 / 365.25,
        ]
        for t in Tier.allCases {
            let rows: Double =
                t == .minute
                ? channels.reduce(0) { $0 + 86_400 / Double($1.interval) }
                : Double(channels.count) * (perDay[t] ?? 0)
            let perRow =
                t == .minute
                ? Self.minuteRowBytes : t == .quarter || t == .hour ? Self.blockedBucketBytes : Self.aggRowBytes
            let bytes = Int64(rows * perRow)
            let span = retention[t] ?? .forever
            let kept: String
            if let s = span.seconds {
                let days = s / 86_400
                kept = "\(days) days, about \(ByteSize(bytes: bytes * days))"
            } else {
                kept = "forever, about \(ByteSize(bytes: Int64(Double(bytes) * 365.25))) a year"
            }
            out.append(Line(tier: t, rowsPerDay: rows, bytesPerDay: bytes, kept: kept))
        }
        lines = out
        let minuteRows = out.first { $0.tier == .minute }?.rowsPerDay ?? 0
        let bucketRows = out.filter { $0.tier == .quarter || $0.tier == .hour }.reduce(0) { $0 + $1.rowsPerDay }
        openBytes = Int64(minuteRows * Self.openMinuteRowBytes + bucketRows * 31 * Self.aggRowBytes)
    }

    /// At most this much on top, for the day and month not compacted yet.
    public let openBytes: Int64

    /// How many days of minutes fit in the budget next to ten years of the other tiers.
    public func minuteDaysWithinBudget(_ b: ByteSize) -> Double? {
        guard let m = lines.first, m.bytesPerDay > 0 else { return nil }
        let others = lines.dropFirst().reduce(Int64(0)) { $0 + $1.bytesPerDay } * 3650
        return Double(max(0, b.bytes - others)) / Double(m.bytesPerDay)
    }
}
