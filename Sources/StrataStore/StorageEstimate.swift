import StrataCore

/// Rough bytes per stored row, measured on the store's real layout (docs/PERFORMANCE.md).
public struct StorageEstimate: Sendable {
    public static let minuteRowBytes = 30
    public static let aggRowBytes = 45

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
        let perDay: [Tier: Double] = [.minute: 0, .quarter: 96, .hour: 24, .day: 1, .month: 1.0 / 30.44, .year: 1.0 / 365.25]
        for t in Tier.allCases {
            let rows: Double = t == .minute
                ? channels.reduce(0) { $0 + 86_400 / Double($1.interval) }
                : Double(channels.count) * (perDay[t] ?? 0)
            let bytes = Int64(rows * Double(t == .minute ? Self.minuteRowBytes : Self.aggRowBytes))
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
    }

    /// How many days of minutes fit in the budget next to ten years of the other tiers.
    public func minuteDaysWithinBudget(_ b: ByteSize) -> Double? {
        guard let m = lines.first, m.bytesPerDay > 0 else { return nil }
        let others = lines.dropFirst().reduce(Int64(0)) { $0 + $1.bytesPerDay } * 3650
        return Double(max(0, b.bytes - others)) / Double(m.bytesPerDay)
    }
}
