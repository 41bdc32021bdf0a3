/// A resolution of the store. Minute is UTC-aligned; the others follow the site's local calendar.
public enum Tier: Int, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    case minute = 0
    case quarter, hour, day, month, year

    public static func < (a: Tier, b: Tier) -> Bool { a.rawValue < b.rawValue }

    public var description: String { name }

    public var name: String {
        switch self {
        case .minute: "minute"
        case .quarter: "quarter"
        case .hour: "hour"
        case .day: "day"
        case .month: "month"
        case .year: "year"
        }
    }

    public init?(name: String) {
        guard let t = Tier.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = t
    }

    /// The tier this one is rolled up from.
    public var child: Tier? { Tier(rawValue: rawValue - 1) }
    public var parent: Tier? { Tier(rawValue: rawValue + 1) }

    /// Tiers stored as aggregates (everything above minute).
    public static let aggregated: [Tier] = [.quarter, .hour, .day, .month, .year]
}
