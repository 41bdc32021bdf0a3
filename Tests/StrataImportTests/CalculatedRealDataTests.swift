import Foundation
import StrataCore
import StrataImport
import StrataTestSupport
import Testing

@testable import StrataStore

/// A calculated channel over AMPds2's sub-meter (B1E): "b1e minus the same meter read a
/// minute late", so the difference is the meter's own minute energy, with the dips that a
/// real main-minus-sub shows when two readings are not taken at the same instant. The store's
/// days and hours equal that arithmetic done here on the raw file, with Foundation's calendar.
@Suite(.serialized) struct CalculatedRealDataTests {
    @Test func restOfTwoMetersEqualsTheRawFileArithmetic() throws {
        let dir = TempDir()
        // The late copy: every row a minute later.
        let rawText = try String(contentsOfFile: Fixtures.electricity, encoding: .utf8)
        var lines = rawText.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        for i in 1..<lines.count {
            let comma = lines[i].firstIndex(of: ",") ?? lines[i].endIndex
            if let t = Int64(lines[i][..<comma]) { lines[i] = "\(t + 60)" + lines[i][comma...] }
        }
        try dir.write("late.csv", lines.joined(separator: "\n") + "\n")

        var rest = ChannelSpec(
            device: "calculated", id: "rest", unit: "Wh", kind: .counter, resolution: Resolution(decimals: 0))
        rest.formula = [
            FormulaTerm(negative: false, device: "b1e", channel: "energy"),
            FormulaTerm(negative: true, device: "late", channel: "energy"),
        ]
        var restPower = ChannelSpec(device: "calculated", id: "rest_power", unit: "W", kind: .gauge)
        restPower.formula = [
            FormulaTerm(negative: false, device: "b1e", channel: "power"),
            FormulaTerm(negative: true, device: "late", channel: "power"),
        ]
        let specs = [
            ChannelSpec(device: "b1e", id: "energy", unit: "Wh", kind: .counter, resolution: Resolution(decimals: 0)),
            ChannelSpec(device: "b1e", id: "power", unit: "W", kind: .gauge),
            ChannelSpec(device: "late", id: "energy", unit: "Wh", kind: .counter, resolution: Resolution(decimals: 0)),
            ChannelSpec(device: "late", id: "power", unit: "W", kind: .gauge),
            rest, restPower,
        ]
        let store = try openStore(dir, specs)
        for (device, path) in [("b1e", Fixtures.electricity), ("late", dir.file("late.csv"))] {
            let e = try store.channel(device: device, channel: "energy")
            let p = try store.channel(device: device, channel: "power")
            let importer = Importer(
                store: store, options: .init(timeColumn: "unix_ts", timeFormat: .unix, mapping: [("Pt", e), ("P", p)]))
            var bad = 0
            _ = try importer.run(path: path) { _, _ in bad += 1 }
            #expect(bad == 0)
        }
        try store.rollUp(now: 1_800_000_000)

        // The arithmetic on the raw file.
        let pt = try Fixtures.columnByTime(Fixtures.electricity, "Pt")
        let p = try Fixtures.columnByTime(Fixtures.electricity, "P")
        let times = pt.keys.filter { pt[$0 - 60] != nil }.sorted()
        var hwm: Int64?
        var at: [Int64: Int64] = [:] // cumulative at each minute
        var cum: Int64 = 0
        var monotonic = true
        for t in times {
            // Pt only grows in this file, so the inputs' own curves are the raw values.
            if let q = pt[t - 120], let a = pt[t - 60], a < q { monotonic = false }
            let r = Int64(pt[t]! - pt[t - 60]!)
            if let h = hwm {
                cum += max(0, r - h)
                hwm = max(h, r)
            } else {
                hwm = r
            }
            at[t] = cum
        }
        #expect(monotonic)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "America/Vancouver")!
        let rc = try store.channel(device: "calculated", channel: "rest")
        let rp = try store.channel(device: "calculated", channel: "rest_power")
        let first = times.first!
        let last = times.last!
        let days = try store.buckets(.day, channels: [rc, rp], from: first, to: last)
        var checked = 0
        for d in days {
            let midnight = cal.startOfDay(for: Date(timeIntervalSince1970: TimeInterval(d.start)))
            #expect(Int64(midnight.timeIntervalSince1970) == d.start)
            guard let a = at[d.start], let b = at[d.end] else { continue }
            #expect(d.values[rc.id]?.consumption == b - a, "day \(midnight)")
            // The gauge: the mean of the minute differences present in both meters.
            let mins = times.filter { $0 >= d.start && $0 < d.end }
            let mean = mins.map { p[$0]! - p[$0 - 60]! }.reduce(0, +) / Double(mins.count)
            #expect(d.values[rp.id]?.count == mins.count)
            #expect(abs((d.values[rp.id]?.mean ?? .nan) - mean) < 1e-6, "day \(midnight)")
            checked += 1
        }
        #expect(checked >= 25)
        // Hours of a DST day add up to it.
        let dst = try #require(days.first { $0.end - $0.start != 86_400 })
        let hours = try store.buckets(.hour, channels: [rc], from: dst.start, to: dst.end)
        #expect(hours.count == Int((dst.end - dst.start) / 3600))
        #expect(hours.reduce(Int64(0)) { $0 + ($1.values[rc.id]?.consumption ?? 0) } == dst.values[rc.id]?.consumption)
    }
}
