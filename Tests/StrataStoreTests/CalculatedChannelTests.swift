import Foundation
import StrataCore
import StrataTestSupport
import Testing

@testable import StrataStore

/// Calculated channels in the store: derived in the inputs' own transaction, from their
/// cumulative curves (so resets and rollovers of an input are already handled), never negative,
/// exact in whole steps, recomputed when an input's past changes, and backfilled when added.
@Suite struct CalculatedChannelTests {
    static let t0: Int64 = 1_700_000_040 - 1_700_000_040 % 86_400 // a UTC midnight
    static let utc = SiteCalendar(zone: ZoneRules(identifier: "UTC")!)

    static func specs(calculated: Bool = true) -> [ChannelSpec] {
        var s = [
            ChannelSpec(device: "main", id: "energy", unit: "kWh", kind: .counter, resolution: Resolution(decimals: 2)),
            ChannelSpec(device: "sub", id: "energy", unit: "kWh", kind: .counter, resolution: Resolution(decimals: 3)),
            ChannelSpec(device: "main", id: "power", unit: "W", kind: .gauge),
            ChannelSpec(device: "sub", id: "power", unit: "W", kind: .gauge),
        ]
        guard calculated else { return s }
        var rest = ChannelSpec(
            device: "calculated", id: "rest", unit: "kWh", kind: .counter, resolution: Resolution(decimals: 3))
        rest.formula = [
            FormulaTerm(negative: false, device: "main", channel: "energy"),
            FormulaTerm(negative: true, device: "sub", channel: "energy"),
        ]
        var restPower = ChannelSpec(device: "calculated", id: "rest_power", unit: "W", kind: .gauge)
        restPower.formula = [
            FormulaTerm(negative: false, device: "main", channel: "power"),
            FormulaTerm(negative: true, device: "sub", channel: "power"),
        ]
        s += [rest, restPower]
        return s
    }

    /// The sub-meter's register: 21 Wh a minute on average, but one minute in seven it jumps 81 Wh
    /// and then hardly moves (its reading is taken earlier than the main's): main − sub dips and
    /// recovers. At minute 300 it is replaced and counts from zero.
    static func subValue(_ i: Int) -> Double {
        let f = [0, 0.021, 0.042, 0.123, 0.126, 0.126, 0.126][i % 7]
        var v = 2000 + 0.021 * Double(i - i % 7) + f
        if i >= 300 { v -= 2000 + 0.021 * 294 + 0.126 }
        return (v * 1000).rounded() / 1000
    }

    /// Main and sub readings for the given minutes.
    static func samples(_ s: Store, minutes: Range<Int>) throws -> [Sample] {
        let me = try s.channel(device: "main", channel: "energy").id
        let se = try s.channel(device: "sub", channel: "energy").id
        let mp = try s.channel(device: "main", channel: "power").id
        let sp = try s.channel(device: "sub", channel: "power").id
        var out: [Sample] = []
        for i in minutes {
            let ts = t0 + Int64(i) * 60
            let main = 5000 + Double(i) * 0.05 // 3 kWh an hour
            out += [
                Sample(channel: me, ts: ts, value: (main * 100).rounded() / 100),
                Sample(channel: se, ts: ts, value: subValue(i)),
                Sample(channel: mp, ts: ts, value: 3000 + Double(i % 5)),
                Sample(channel: sp, ts: ts, value: 1260 + Double(i % 3)),
            ]
        }
        return out
    }

    /// The rule written out independently: per minute, rest = main − sub on the inputs'
    /// cumulative curves; its consumption is what that climbs above its highest point so far.
    static func expectedRest(minutes n: Int) -> [Int64] {
        var mainCum: Int64 = 0
        var subCum: Int64 = 0
        var prevMain: Int64?
        var prevSub: Int64?
        var hwm: Int64?
        var per: [Int64] = []
        for i in 0..<n {
            let main = Int64(((5000 + Double(i) * 0.05) * 100).rounded()) * 10 // in Wh (steps of 0.001)
            let sub = Int64((subValue(i) * 1000).rounded())
            mainCum += prevMain.map { main - $0 } ?? main
            // A drop is the replacement: the new meter's reading counts as consumed since.
            subCum += prevSub.map { sub >= $0 ? sub - $0 : sub } ?? sub
            prevMain = main
            prevSub = sub
            let r = mainCum - subCum
            if let h = hwm {
                per.append(max(0, r - h))
                hwm = max(h, r)
            } else {
                per.append(0)
                hwm = r
            }
        }
        return per
    }

    @Test func restIsMainMinusSubNeverNegativeAndExact() throws {
        let dir = TempDir()
        let s = try openStore(dir, Self.specs(), calendar: Self.utc)
        // Minute by minute, as the sampler writes.
        for i in 0..<600 { try s.write(try Self.samples(s, minutes: i..<(i + 1))) }
        try s.rollUp(now: Self.t0 + 86_400)
        let rest = try s.channel(device: "calculated", channel: "rest")
        let quarters = try s.buckets(.quarter, channels: [rest], from: Self.t0, to: Self.t0 + 600 * 60)
        let per = Self.expectedRest(minutes: 600)
        var checked = 0
        for q in quarters {
            let i0 = Int((q.start - Self.t0) / 60)
            // A bucket's consumption is C(end) − C(start): the minutes after its first.
            guard i0 + 15 < 600 else { continue }
            let want = per[(i0 + 1)...(i0 + 15)].reduce(Int64(0), +)
            #expect(q.values[rest.id]?.consumption == want, "quarter at minute \(i0)")
            #expect((q.values[rest.id]?.consumption ?? -1) >= 0)
            checked += 1
        }
        #expect(checked >= 39)
        // The hours add up to the day, the reset of the sub-meter included.
        let hours = try s.buckets(.hour, channels: [rest], from: Self.t0, to: Self.t0 + 86_400)
        let day = try s.buckets(.day, channels: [rest], from: Self.t0, to: Self.t0 + 86_400)
        #expect(
            hours.reduce(Int64(0)) { $0 + ($1.values[rest.id]?.consumption ?? 0) }
                == day.first?.values[rest.id]?.consumption)
        #expect(day.first?.values[rest.id]?.consumption == per.reduce(0, +))
        // Gauges: the difference at each minute.
        let rp = try s.channel(device: "calculated", channel: "rest_power")
        let first = try #require(
            try s.buckets(.quarter, channels: [rp], from: Self.t0, to: Self.t0 + 900).first?.values[rp.id])
        var total = 0.0
        for i in 0..<15 {
            let m: Double = 3000 + Double(i % 5)
            let b: Double = 1260 + Double(i % 3)
            total += m - b
        }
        let mean: Double = first.mean ?? 0
        #expect(first.count == 15)
        #expect(abs(mean - total / 15) < 1e-9)
    }

    /// A write says what it derived: the MQTT publisher passes calculated channels on from it.
    @Test func aWriteReturnsTheReadingsItDerived() throws {
        let dir = TempDir()
        let s = try openStore(dir, Self.specs(), calendar: Self.utc)
        let rp = try s.channel(device: "calculated", channel: "rest_power").id
        let rest = try s.channel(device: "calculated", channel: "rest").id
        for i in 0..<3 {
            let r = try s.write(try Self.samples(s, minutes: i..<(i + 1)))
            let ts = Self.t0 + Int64(i) * 60
            let power = r.derived.filter { $0.channel == rp }
            #expect(
                power == [Sample(channel: rp, ts: ts, value: 3000 + Double(i % 5) - (1260 + Double(i % 3)))],
                "minute \(i): \(r.derived)")
            #expect(r.derived.contains { $0.channel == rest && $0.ts == ts }, "minute \(i)")
            #expect(!r.derived.contains { $0.channel != rp && $0.channel != rest })
        }
    }

    @Test func aLateSubMeterReadingRecomputesTheRest() throws {
        let dir = TempDir()
        let s = try openStore(dir, Self.specs(), calendar: Self.utc)
        var all = try Self.samples(s, minutes: 0..<120)
        let se = try s.channel(device: "sub", channel: "energy").id
        // The sub-meter's minutes 30-59 arrive an hour late (a gateway's buffer).
        let late = all.filter { $0.channel == se && $0.ts >= Self.t0 + 1800 && $0.ts < Self.t0 + 3600 }
        all.removeAll { $0.channel == se && $0.ts >= Self.t0 + 1800 && $0.ts < Self.t0 + 3600 }
        try s.write(all)
        try s.rollUp(now: Self.t0 + 7200)
        let rest = try s.channel(device: "calculated", channel: "rest")
        let before = try s.buckets(.hour, channels: [rest], from: Self.t0, to: Self.t0 + 3600).first?.values[rest.id]
        #expect(before?.count == 30)
        try s.write(late)
        try s.rollUp(now: Self.t0 + 7200)
        let after = try s.buckets(.hour, channels: [rest], from: Self.t0, to: Self.t0 + 7200)
        let per = Self.expectedRest(minutes: 600)
        #expect(after.first?.values[rest.id]?.count == 60)
        #expect(after.first?.values[rest.id]?.consumption == per[1...60].reduce(0, +))
        #expect(after.last?.values[rest.id]?.consumption == per[61...119].reduce(0, +))
    }

    @Test func aChannelAddedLaterIsBackfilledAndItsFormulaIsKept() throws {
        let dir = TempDir()
        do {
            let s = try openStore(dir, Self.specs(calculated: false), calendar: Self.utc)
            try s.write(try Self.samples(s, minutes: 0..<200))
        }
        let s = try openStore(dir, Self.specs(), calendar: Self.utc)
        #expect(try s.backfillCalculated() == 400)
        #expect(try s.backfillCalculated() == 0)
        try s.rollUp(now: Self.t0 + 86_400)
        let rest = try s.channel(device: "calculated", channel: "rest")
        let day = try s.buckets(.day, channels: [rest], from: Self.t0, to: Self.t0 + 86_400)
        #expect(day.first?.values[rest.id]?.consumption == Self.expectedRest(minutes: 200).reduce(0, +))
        // The same id with another formula would mix two meanings in one column: refused.
        var specs = Self.specs()
        specs[4].formula = [FormulaTerm(negative: false, device: "main", channel: "energy")]
        #expect(throws: StoreError.self) { _ = try openStore(dir, specs, calendar: Self.utc) }
    }
}
