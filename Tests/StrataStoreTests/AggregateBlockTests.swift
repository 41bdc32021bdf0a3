import Foundation
import StrataCore
import StrataTestSupport
import Testing

@testable import StrataStore

/// Quarter-hours and hours of closed months in compact blocks.
@Suite struct AggregateBlockTests {
    /// Buckets as a roll-up makes them, of both kinds, with every optional field present and absent.
    static func buckets(seed: UInt64, counter: Bool, span: Int64, width: Int64) -> [(start: Int64, agg: Aggregate)] {
        var g = SplitMix(seed: seed)
        var out: [(start: Int64, agg: Aggregate)] = []
        var t = span
        var level = Int64.random(in: 0..<100_000_000, using: &g)
        while t < span + 31 * 86_400 {
            t += width * Int64(Int.random(in: 0..<30, using: &g) == 0 ? Int.random(in: 2...50, using: &g) : 1)
            var a = Aggregate()
            a.count = Int.random(in: 0..<10, using: &g) == 0 ? Int.random(in: 0...14, using: &g) : 15
            a.interpolated = a.count == 0 || Int.random(in: 0..<50, using: &g) == 0
            a.provisional = Int.random(in: 0..<80, using: &g) == 0
            if counter {
                let c = Int64.random(in: 0...3000, using: &g)
                a.consumption = c
                if a.count > 0 {
                    // Raw readings: decimals as a meter's register gives them.
                    a.first = Double(level) / 1000
                    level += c
                    a.last = Double(level) / 1000
                    a.min = a.first
                    a.max = a.last
                }
                if Int.random(in: 0..<4, using: &g) > 0 {
                    a.peak = c * 4
                    a.peakStart = t + Int64.random(in: 0..<4, using: &g) * 900
                }
            } else if a.count > 0 {
                let v = (0..<a.count).map { _ in Double(Int.random(in: 0...50_000, using: &g)) / 10 }
                a.min = v.min()
                a.max = v.max()
                a.sum = v.reduce(0, +)
                a.first = v.first
                a.last = v.last
            }
            if t < span + 31 * 86_400 { out.append((t, a)) }
        }
        return out
    }

    @Test(
        arguments: [(1, true, 900), (2, false, 900), (3, true, 3600), (4, false, 3600), (5, false, 1800)]
            as [(UInt64, Bool, Int64)])
    func bucketsRoundTripExactly(seed: UInt64, counter: Bool, width: Int64) throws {
        let span: Int64 = 1_792_540_800 // 2026-10-21 00:00 UTC, as any start
        let b = Self.buckets(seed: seed, counter: counter, span: span, width: width).map {
            (start: $0.start, agg: AggregateBlock.stored($0.agg, counter: counter))
        }
        let bytes = AggregateBlock.encode(span: span, decimals: counter ? 3 : 1, b)
        let back = try AggregateBlock.decode(bytes, span: span)
        #expect(back.count == b.count)
        for (x, y) in zip(b, back) {
            #expect(
                x.start == y.start && x.agg == y.agg && x.agg.sum.bitPattern == y.agg.sum.bitPattern, "\(x) became \(y)"
            )
        }
        // A quarter row is about 45 bytes; random buckets (nothing like a meter's) still take far fewer.
        #expect(Double(bytes.count) / Double(b.count) < 24, "\(bytes.count) bytes for \(b.count) buckets")
        var bad = bytes
        bad[bytes.count / 2] ^= 4
        #expect(throws: (any Error).self) { try AggregateBlock.decode(bad, span: span) }
    }

    let paris = SiteCalendar(zone: ZoneRules(identifier: "Europe/Paris")!)
    let t0: Int64 = 1_793_314_800 // 2026-10-30 00:00 Europe/Paris (UTC+1)
    var specs: [ChannelSpec] {
        [
            ChannelSpec(device: "m", id: "kwh", unit: "kWh", kind: .counter),
            ChannelSpec(device: "m", id: "w", unit: "W", kind: .gauge),
        ]
    }

    func samples(_ s: Store, from: Int, to: Int) -> [Sample] {
        (from..<to).flatMap { m -> [Sample] in
            let ts = t0 + Int64(m) * 60
            return [
                Sample(channel: s.channels[0].id, ts: ts, value: 100 + Double(m) * 0.007),
                Sample(channel: s.channels[1].id, ts: ts, value: Double((m * 37) % 900)),
            ]
        }
    }

    func dump(_ s: Store) throws -> [String] {
        try Tier.aggregated.flatMap { t in
            try s.storedAggregates(t, from: t0 - 86_400, to: t0 + 40 * 86_400, channel: nil).map {
                "\(t) \($0.0) \($0.1) \($0.2)"
            }
        }
    }

    @Test func aClosedMonthMovesIntoBlocksReadsTheSameAndTakesLateData() throws {
        let dir = TempDir()
        let s = try openStore(dir, specs, calendar: paris)
        // Two days of October, three of November; minute 600 to 700 of October 30 arrive late.
        try s.write(samples(s, from: 0, to: 600) + samples(s, from: 700, to: 5 * 1440))
        var r = RollUpResult()
        try s.rollUpAppended(until: t0 + 5 * 86_400, &r)
        let rows = try dump(s)
        let counts = try Tier.aggregated.map { try s.aggregateCount($0) }
        let m = try s.compactClosedMonths()
        #expect(m.months == 2 && m.damaged.isEmpty) // October's quarters and its hours
        let november: Int64 = 1_793_491_200
        #expect(try s.db.scalarInt("SELECT count(*) FROM agg WHERE tier IN (1, 2) AND start < \(november)") == 0)
        #expect(try s.db.scalarInt("SELECT count(*) FROM agg_block") == 4)
        #expect(try dump(s) == rows)
        #expect(try Tier.aggregated.map { try s.aggregateCount($0) } == counts)
        #expect(try s.verifyBlocks().damaged.isEmpty)

        try s.write(samples(s, from: 600, to: 700))
        try s.rollUp(now: t0 + 5 * 86_400 + 600)
        #expect(try s.db.scalarInt("SELECT count(*) FROM agg WHERE tier IN (1, 2) AND start < \(november)") == 0)
        let twin = try openStore(TempDir(), specs, calendar: paris)
        try twin.write(samples(twin, from: 0, to: 5 * 1440))
        try twin.rollUp(now: t0 + 5 * 86_400 + 600)
        #expect(try dump(s) == dump(twin))
        #expect(
            try s.buckets(.hour, channels: s.channels, from: t0, to: t0 + 86_400).map(\.values)
                == twin.buckets(.hour, channels: twin.channels, from: t0, to: t0 + 86_400).map(\.values))

        // Retention of quarters reaching into the compacted month trims its block.
        let before = try s.aggregateCount(.quarter)
        let pruned = try Store(
            path: s.path, channels: specs, calendar: paris, retention: [.quarter: Span(seconds: 4 * 86_400)])
        let p = try pruned.enforceRetention(now: t0 + 5 * 86_400 + 600)
        #expect(p.quarterRows > 0)
        #expect(try pruned.aggregateCount(.quarter) == before - Int64(p.quarterRows))
        #expect(try pruned.storedAggregates(.quarter, from: 0, to: t0 + 86_400, channel: nil).isEmpty)
    }
}
