/// Turns readings taken faster than once a minute into minute values: for counters the
/// first reading at or after the minute, for gauges the mean over the minute, with the
/// minimum and maximum kept beside it.
public struct MinuteAccumulator: Sendable {
    public struct MinuteValue: Sendable, Equatable {
        public var value: Double
        public var min: Double
        public var max: Double
    }

    let isCounter: [Bool]
    var minute: Int64?
    var sums: [Double]
    var counts: [Int]
    var mins: [Double]
    var maxs: [Double]
    var firsts: [Double?]

    public init(isCounter: [Bool]) {
        self.isCounter = isCounter
        sums = Array(repeating: 0, count: isCounter.count)
        counts = Array(repeating: 0, count: isCounter.count)
        mins = Array(repeating: .infinity, count: isCounter.count)
        maxs = Array(repeating: -.infinity, count: isCounter.count)
        firsts = Array(repeating: nil, count: isCounter.count)
    }

    /// Adds the readings of one poll at `ts`; returns the finished minute when `ts` is in a
    /// later minute than the readings gathered so far.
    public mutating func add(ts: Int64, values: [Double?]) -> (minute: Int64, values: [MinuteValue?])? {
        let m = ts - ((ts % 60) + 60) % 60
        var finished: (Int64, [MinuteValue?])?
        if let cur = minute, cur != m { finished = close() }
        minute = m
        for (i, v) in values.enumerated() where i < isCounter.count {
            guard let v else { continue }
            if isCounter[i] {
                if firsts[i] == nil { firsts[i] = v }
            } else {
                sums[i] += v
                counts[i] += 1
                mins[i] = Swift.min(mins[i], v)
                maxs[i] = Swift.max(maxs[i], v)
            }
        }
        return finished
    }

    /// Finishes the minute gathered so far (nil if none).
    public mutating func close() -> (minute: Int64, values: [MinuteValue?])? {
        guard let m = minute else { return nil }
        let out: [MinuteValue?] = isCounter.indices.map { i in
            if isCounter[i] { return firsts[i].map { MinuteValue(value: $0, min: $0, max: $0) } }
            guard counts[i] > 0 else { return nil }
            return MinuteValue(value: sums[i] / Double(counts[i]), min: mins[i], max: maxs[i])
        }
        minute = nil
        for i in isCounter.indices {
            sums[i] = 0
            counts[i] = 0
            mins[i] = .infinity
            maxs[i] = -.infinity
            firsts[i] = nil
        }
        return (m, out)
    }
}
