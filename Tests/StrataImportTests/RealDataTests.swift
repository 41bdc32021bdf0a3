import Foundation
import StrataCore
import StrataImport
import StrataTestSupport
import Testing

@testable import StrataStore

/// AMPds2 water: two years of a real counter across four DST changes, checked against totals
/// computed here from the raw file with Foundation's calendar (not Strata's).
@Suite(.serialized) struct RealDataTests {
    @Test func waterDaysMonthsAndYearsMatchTheRawFile() throws {
        let dir = TempDir()
        let spec = ChannelSpec(device: "water", id: "volume", unit: "L", kind: .counter)
        let store = try openStore(dir, [spec])
        let ch = try store.channel(device: "water", channel: "volume")
        let importer = Importer(
            store: store, options: .init(timeColumn: "unix_ts", timeFormat: .unix, mapping: [("counter", ch)]))
        var bad = 0
        let summary = try importer.run(path: Fixtures.water) { _, _ in bad += 1 }
        #expect(bad == 0)
        #expect(summary.rows == 1_051_200)
        try store.rollUp(now: 1_800_000_000)

        let raw = try Fixtures.column(Fixtures.water, "counter")
        var at: [Int64: Double] = [:]
        for (t, v) in raw { at[t] = v }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "America/Vancouver")!
        func steps(_ v: Double) -> Int64 { Int64((v * 1000).rounded()) }

        // Every whole local day inside the data: day = C(next midnight) − C(midnight).
        let days = try store.buckets(.day, channels: [ch], from: 1_333_263_600, to: 1_396_335_600)
        var checkedDays = 0
        var dayLengths: Set<Int64> = []
        for d in days {
            let date = Date(timeIntervalSince1970: TimeInterval(d.start))
            let midnight = cal.startOfDay(for: date)
            #expect(Int64(midnight.timeIntervalSince1970) == d.start)
            let next = cal.date(byAdding: .day, value: 1, to: midnight)!
            #expect(Int64(next.timeIntervalSince1970) == d.end)
            guard let a = at[d.start], let b = at[d.end] else { continue }
            #expect(d.values[ch.id]?.consumption == steps(b) - steps(a), "day \(midnight)")
            dayLengths.insert(d.end - d.start)
            checkedDays += 1
        }
        #expect(checkedDays >= 725)
        #expect(dayLengths == Set<Int64>([82_800, 86_400, 90_000]))

        // Months and the whole span add up the same way, to the last digit.
        let months = try store.buckets(.month, channels: [ch], from: 1_333_263_600, to: 1_396_335_600)
        for m in months {
            guard let a = at[m.start], let b = at[m.end] else { continue }
            #expect(m.values[ch.id]?.consumption == steps(b) - steps(a))
        }
        let years = try store.buckets(.year, channels: [ch], from: 1_300_000_000, to: 1_420_000_000)
        let total = years.reduce(Int64(0)) { $0 + ($1.values[ch.id]?.consumption ?? 0) }
        #expect(total == steps(raw.last!.1) - steps(raw.first!.1))

        // Hours add up to their day and quarters to their hour, DST days included.
        for d in days where d.end - d.start != 24 * 3600 {
            let hours = try store.buckets(.hour, channels: [ch], from: d.start, to: d.end)
            #expect(hours.count == Int((d.end - d.start) / 3600))
            #expect(
                hours.reduce(Int64(0)) { $0 + ($1.values[ch.id]?.consumption ?? 0) } == d.values[ch.id]?.consumption)
            let quarters = try store.buckets(.quarter, channels: [ch], from: d.start, to: d.end)
            #expect(
                quarters.reduce(Int64(0)) { $0 + ($1.values[ch.id]?.consumption ?? 0) } == d.values[ch.id]?.consumption)
        }
    }

    @Test func electricityGaugesAverageTheMinutes() throws {
        let dir = TempDir()
        let p = ChannelSpec(device: "bedroom", id: "power", unit: "W", kind: .gauge)
        let e = ChannelSpec(device: "bedroom", id: "energy", unit: "Wh", kind: .counter)
        let store = try openStore(dir, [p, e])
        let cp = try store.channel(device: "bedroom", channel: "power")
        let ce = try store.channel(device: "bedroom", channel: "energy")
        let importer = Importer(
            store: store, options: .init(timeColumn: "unix_ts", timeFormat: .unix, mapping: [("P", cp), ("Pt", ce)]))
        _ = try importer.run(path: Fixtures.electricity) { _, _ in }
        try store.rollUp(now: 1_800_000_000)
        let raw = try Fixtures.column(Fixtures.electricity, "P")
        // 2014-03-10 local (the day after the DST change): mean of the 1,440 minute values.
        let start: Int64 = 1_394_434_800
        let mins = raw.filter { $0.0 >= start && $0.0 < start + 86_400 }
        #expect(mins.count == 1440)
        let day = try store.buckets(.day, channels: [cp, ce], from: start, to: start + 1)
        let g = try #require(day.first?.values[cp.id])
        #expect(g.count == 1440)
        #expect(abs((g.mean ?? 0) - mins.map(\.1).reduce(0, +) / 1440) < 1e-9)
        #expect(g.min == mins.map(\.1).min())
        #expect(g.max == mins.map(\.1).max())
    }
}
