import StrataArchive
import StrataCore

/// Everything a report says, computed from the store; rendering (HTML, text, CSV) only formats it.
public struct ReportContent: Sendable {
    public var site: String
    public var report: String
    public var period: ReportPeriod
    public var start: Int64
    public var end: Int64
    public var meters: [MeterSection]
    /// Said once at the top: an attachment cut short, a period still open.
    public var notes: [String] = []
    /// The alarms raised in the period (StrataArchive's rows: raise and clear paired).
    public var alarms: [AlarmTable.Row] = []
}

/// One device.
public struct MeterSection: Sendable {
    public var device: String
    public var name: String
    public var counters: [CounterFigures]
    /// Readings present over readings expected, in percent; nil when the device has no channel.
    public var coverage: Double?
    /// Stretches without readings, `[start, end)`.
    public var gaps: [Gap]
    /// Resets, rollovers and other counter events inside the period.
    public var events: [Event]
    /// Reactive against active energy, for a meter with reactive registers.
    public var reactive: ReactiveSection? = nil
}

/// A meter's reactive ratios over the period, and the days above the report's limits.
public struct ReactiveSection: Sendable {
    public struct Day: Sendable {
        public var start: Int64
        public var ratio: ReactiveRatio
        public var inductive: Bool
        public var capacitive: Bool
    }

    public var total: ReactiveRatio
    public var limits: ReactiveLimits
    public var daysOver: [Day]
    /// Days of the period with active energy, the denominator of "2 of 31 days".
    public var days: Int
}

public struct Gap: Sendable, Equatable {
    public var start: Int64
    public var end: Int64
}

public struct Event: Sendable, Equatable {
    public var ts: Int64
    public var channel: String
    public var action: CounterAction
    public var oldValue: Double
    public var newValue: Double
}

/// A mean power (or flow) over a block, and when the block started.
public struct Demand: Sendable, Equatable {
    public var value: Double
    public var unit: String
    public var decimals: Int
    public var start: Int64
    /// Where it was taken from, said in the report ("quarter-hour energy", "power readings").
    public var source: String
}

public struct TariffCost: Sendable, Equatable {
    public var tariff: String
    public var currency: String
    public var price: Double
    public var steps: Int64
    public var cost: Double
}

public struct Bar: Sendable, Equatable {
    public var label: String
    public var steps: Int64?
}

/// The figures of one counter channel.
public struct CounterFigures: Sendable {
    public var channel: String
    public var name: String
    public var unit: String
    public var decimals: Int
    /// Consumption in resolution steps; nil where no data exists.
    public var consumption: Int64?
    public var previous: Int64?
    public var yearEarlier: Int64?
    public var coverage: Double
    public var peak: Demand?
    public var baseLoad: Demand?
    public var costs: [TariffCost]
    public var bars: [Bar]
    /// Whether the period is not over yet (a report asked for before its end).
    public var provisional: Bool

    public func text(_ steps: Int64?, separator: Character = ".") -> String {
        steps.map { Decimal.format(steps: $0, decimals: decimals, separator: separator) } ?? "–"
    }

    /// Change in percent from `base` to the period; nil without both or from zero.
    public static func change(_ value: Int64?, from base: Int64?) -> Double? {
        guard let v = value, let b = base, b != 0 else { return nil }
        return (Double(v) - Double(b)) / Double(b) * 100
    }
}

/// The unit of a rate of a counter: kWh → kW, Wh → W, m³ → m³/h.
public func rateUnit(of unit: String) -> String {
    switch unit {
    case "kWh": "kW"
    case "Wh": "W"
    case "MWh": "MW"
    case "kvarh": "kvar"
    default: unit + "/h"
    }
}
