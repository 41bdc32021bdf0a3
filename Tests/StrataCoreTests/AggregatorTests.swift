import Testing

@testable import StrataCore

@Suite struct BucketAggregatorTests {
    func r(_ minute: Int64, _ cum: Int64) -> Reading { Reading(ts: minute * 60, value: Double(cum), cum: cum) }

    @Test func gapIsSharedByTime() {
        // Readings at minute 0 (100) and minute 40 (140); buckets of 20 minutes: 20 + 20.
        let aggs = BucketAggregator.counter([r(0, 100)], edges: [0, 1200, 2400], before: nil, after: r(40, 140))
        #expect(aggs.map(\.consumption) == [20, 20])
        #expect(aggs.map(\.count) == [1, 0])
        #expect(aggs[1].interpolated)
        #expect(!aggs[1].provisional)
    }

    @Test func nothingIsInventedAfterTheLastReading() {
        let aggs = BucketAggregator.counter([r(0, 100), r(5, 105)], edges: [0, 600, 1200], before: nil, after: nil)
        #expect(aggs.map(\.consumption) == [5, 0])
        #expect(aggs[0].provisional)
        #expect(!aggs[1].hasData)
    }

    @Test func childrenAlwaysAddUpToTheParent() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var readings: [Reading] = []
            var cum: Int64 = 1000
            var t: Int64 = 0
            while t < 24 * 60 {
                t += Int64.random(in: 1...37, using: &g)
                cum += Int64.random(in: 0...999, using: &g)
                readings.append(r(t, cum))
            }
            let fine = Array(stride(from: Int64(0), through: 24 * 3600, by: 900))
            let coarse = Array(stride(from: Int64(0), through: 24 * 3600, by: 3600))
            let inRange = readings.filter { $0.ts < 24 * 3600 }
            let after = readings.first { $0.ts >= 24 * 3600 }
            let q = BucketAggregator.counter(inRange, edges: fine, before: nil, after: after)
            let h = BucketAggregator.counter(inRange, edges: coarse, before: nil, after: after)
            for k in 0..<24 {
                #expect(q[k * 4..<k * 4 + 4].reduce(0) { $0 + $1.consumption } == h[k].consumption)
            }
            let day = BucketAggregator.counter(inRange, edges: [0, 24 * 3600], before: nil, after: after)
            #expect(day[0].consumption == h.reduce(0) { $0 + $1.consumption })
        }
    }

    @Test func gaugeStatistics() {
        let rs = [Reading(ts: 0, value: 1), Reading(ts: 60, value: 3), Reading(ts: 900, value: 10)]
        let g = BucketAggregator.gauge(rs, edges: [0, 900, 1800])
        #expect(g[0].count == 2 && g[0].min == 1 && g[0].max == 3 && g[0].mean == 2)
        #expect(g[1].count == 1 && g[1].mean == 10)
    }

    @Test func roundedDivisionDoesNotOverflow() {
        #expect(BucketAggregator.roundedDiv(Int64.max / 2, 1_000_000, 2_000_000) == Int64.max / 4 + 1)
        #expect(BucketAggregator.roundedDiv(5, 1, 2) == 3)
        #expect(BucketAggregator.roundedDiv(-5, 1, 2) == -3)
    }
}

@Suite struct CounterProcessorTests {
    let res = Resolution(decimals: 3)

    func run(_ values: [Double], rollover: Double? = nil, maxRate: Double? = nil) -> (
        cums: [Int64?], events: [CounterAction]
    ) {
        var p = CounterProcessor(config: .init(resolution: res, rollover: rollover, maxRate: maxRate))
        var decided: [Int64: Int64?] = [:]
        var events: [CounterAction] = []
        for (i, v) in values.enumerated() {
            let o = p.process(ts: Int64(i) * 60, value: v)
            for d in o.decided { decided[d.ts] = d.cum }
            events += o.events.map(\.action)
        }
        return ((0..<values.count).map { decided[Int64($0) * 60] ?? nil }, events)
    }

    @Test func jitterAddsNothingAndCountingResumesAboveTheMark() {
        let (c, e) = run([100, 100.5, 100.499, 100.6])
        #expect(c == [100_000, 100_500, 100_500, 100_600])
        #expect(e.isEmpty)
    }

    @Test func declaredRolloverWraps() {
        let (c, e) = run([9_999.0, 2.0], rollover: 10_000)
        #expect(c == [9_999_000, 10_002_000])
        #expect(e == [.rollover])
    }

    @Test func resetCountsTheNewReadingAsConsumed() {
        let (c, e) = run([500, 510, 3])
        #expect(c == [500_000, 510_000, 513_000])
        #expect(e == [.reset])
    }

    @Test func resetAboveMaxRateAddsZero() {
        let (c, e) = run([500, 510, 400], maxRate: 1000) // 400 kWh in a minute is implausible
        #expect(c == [500_000, 510_000, 510_000])
        #expect(e == [.resetIgnored])
    }

    @Test func spikeIsDropped() {
        let (c, e) = run([100, 101, 9_000, 102, 103], maxRate: 600)
        #expect(c == [100_000, 101_000, nil, 102_000, 103_000])
        #expect(e == [.spike])
    }

    @Test func confirmedJumpIsARebase() {
        let (c, e) = run([100, 101, 5_000, 5_001, 5_002, 5_003, 5_004], maxRate: 600)
        #expect(c == [100_000, 101_000, 101_000, 102_000, 103_000, 104_000, 105_000])
        #expect(e == [.rebase])
    }

    @Test func neverNegative() {
        var g = SystemRandomNumberGenerator()
        let values = (0..<500).map { _ in Double(Int.random(in: 0...1000, using: &g)) }
        let (c, _) = run(values, maxRate: 5000)
        let accepted = c.compactMap { $0 }
        for (a, b) in zip(accepted, accepted.dropFirst()) { #expect(b >= a) }
    }
}
