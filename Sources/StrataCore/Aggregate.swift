/// One bucket's summary of one channel.
///
/// Gauges keep count, min, max and sum (mean = sum / count). Counters keep the consumption as
/// an integer number of resolution steps, the first and last raw readings, and the count.
public struct Aggregate: Equatable, Sendable {
    public var count: Int = 0
    public var min: Double? = nil
    public var max: Double? = nil
    public var sum: Double = 0
    public var consumption: Int64 = 0
    public var first: Double? = nil
    public var last: Double? = nil
    /// A counter bucket past the last reading: it holds only what readings cover so far.
    public var provisional: Bool = false
    /// A counter bucket that lies (partly) between two readings, so it has a value even with
    /// no reading inside it.
    public var interpolated: Bool = false
    /// For counters on the hour and coarser tiers: the largest consumption of one fully covered
    /// quarter inside the bucket (peak demand), and where that quarter starts. Kept as an
    /// aggregate so a report finds it after the quarters themselves were pruned.
    public var peak: Int64? = nil
    public var peakStart: Int64? = nil

    public init() {}

    public var mean: Double? { count > 0 ? sum / Double(count) : nil }

    /// Whether the bucket carries anything worth storing.
    public var hasData: Bool { count > 0 || interpolated }

    /// Folds a child bucket into this parent bucket (children in time order).
    public mutating func absorb(_ c: Aggregate) {
        count += c.count
        if let m = c.min { min = Swift.min(min ?? m, m) }
        if let m = c.max { max = Swift.max(max ?? m, m) }
        sum += c.sum
        consumption += c.consumption
        if first == nil { first = c.first }
        if c.last != nil { last = c.last }
        provisional = provisional || c.provisional
        interpolated = interpolated || c.interpolated
        // Strictly greater: of equal peaks the earliest is named.
        if let p = c.peak, p > (peak ?? Int64.min) {
            peak = p
            peakStart = c.peakStart
        }
    }

    /// A quarter of a counter as a demand block: its own consumption is its peak when every
    /// expected reading is there (a gap bridged by interpolation is not a measured demand).
    public func asDemandBlock(start: Int64, seconds: Int64, interval: Int) -> Aggregate {
        var g = self
        if !provisional, Int64(count) * Int64(Swift.max(interval, 1)) >= seconds {
            g.peak = consumption
            g.peakStart = start
        }
        return g
    }

    /// Coverage in percent: readings present over readings expected at `interval` seconds.
    public static func coverage(count: Int, seconds: Int64, interval: Int) -> Double {
        let expected = Double(seconds) / Double(Swift.max(interval, 1))
        guard expected > 0 else { return 0 }
        return Swift.min(100, Double(count) / expected * 100)
    }
}

/// A minute reading as the store holds it. `cum` is the counter's cumulative consumption in
/// resolution steps after jitter, rollover and reset handling; nil for gauges and for
/// counter readings that were rejected (a spike) or are still under judgement.
public struct Reading: Equatable, Sendable {
    public var ts: Int64
    public var value: Double
    public var cum: Int64?

    public init(ts: Int64, value: Double, cum: Int64? = nil) {
        self.ts = ts
        self.value = value
        self.cum = cum
    }
}
