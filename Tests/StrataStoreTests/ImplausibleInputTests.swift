import Foundation
import StrataCore
import StrataTestSupport
import Testing

@testable import StrataStore

/// The store is the last line against absurd readings: whatever a caller passes, nothing
/// traps and no aggregate is skewed.
@Suite struct ImplausibleInputTests {
    let energy = ChannelSpec(device: "main", id: "energy", unit: "kWh", kind: .counter)
    let power = ChannelSpec(device: "main", id: "power", unit: "W", kind: .gauge)
    let t0: Int64 = 1_792_792_800 // 2026-10-24 00:00 Europe/Paris

    @Test(arguments: [1e300, -1e300, 3.4e38, Double.infinity, -Double.infinity, Double.nan, 1e16, -2e18])
    func absurdValuesAreRefusedAndCounted(bad: Double) throws {
        let dir = TempDir()
        let s = try openStore(
            dir, [energy, power], calendar: SiteCalendar(zone: ZoneRules(identifier: "Europe/Paris")!))
        let e = try s.channel(device: "main", channel: "energy").id
        let p = try s.channel(device: "main", channel: "power").id
        var samples: [Sample] = []
        for m in 0..<120 {
            let ts = t0 + Int64(m) * 60
            samples.append(Sample(channel: e, ts: ts, value: m == 60 ? bad : 100 + Double(m) * 0.01))
            samples.append(Sample(channel: p, ts: ts, value: m == 61 ? bad : 500))
        }
        let r = try s.write(samples)
        #expect(r.implausible == 2)
        _ = try s.rollUp(now: t0 + 86_400 * 3)
        let rows = try s.buckets(
            .hour,
            channels: [s.channel(device: "main", channel: "energy"), s.channel(device: "main", channel: "power")],
            from: t0, to: t0 + 7200)
        // 100.00 → 101.19 kWh over two hours: 0.60 + 0.59 with the bad minute bridged.
        #expect(rows.map { $0.values[e]?.consumption } == [600, 590], "\(rows.map { $0.values[e]?.consumption })")
        #expect(rows.map { $0.values[p]?.max } == [500, 500])
        #expect(rows.map { $0.values[p]?.count } == [60, 59])
    }

    @Test(arguments: [Int64.max, Int64.min, -1, PlausibleTime.latest])
    func timesOutsideThePlausibleSpanAreRefused(ts: Int64) throws {
        let dir = TempDir()
        let s = try openStore(dir, [power], calendar: SiteCalendar(zone: ZoneRules(identifier: "UTC")!))
        let p = try s.channel(device: "main", channel: "power").id
        let r = try s.write([Sample(channel: p, ts: ts, value: 1), Sample(channel: p, ts: t0, value: 2)])
        #expect(r.implausible == 1)
        #expect(try s.minuteCount() == 1)
    }

    @Test func stepsClampInsteadOfTrapping() {
        let r = Resolution(decimals: 3)
        #expect(r.steps(1e300) == Resolution.maxSteps)
        #expect(r.steps(-1e300) == -Resolution.maxSteps)
        #expect(r.steps(.nan) == Resolution.maxSteps)
        #expect(!r.accepts(1e13) && r.accepts(1e12) && !r.accepts(.infinity))
        #expect(Decimal.format(3.4e38, r) == "1000000000000.000")
    }
}
