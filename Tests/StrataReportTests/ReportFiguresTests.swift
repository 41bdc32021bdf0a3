import Foundation
import StrataConfig
import StrataCore
import StrataImport
import StrataStore
import StrataTestSupport
import Testing

@testable import StrataReport

func siteConfig(_ dir: String, zone: String, devices: String, reports: String = "", extra: String = "") throws
    -> StrataConfig
{
    let text =
        SiteTOML.header(
            timezone: zone, store: "\(dir)/s.sqlite", archive: "\(dir)/archive", dialects: ["excel-eu", "iso"]) + """
            \(extra)
            \(devices)
            \(reports)
            """
    return try StrataConfig.parse(text, file: dir + "/strata.toml")
}

func store(_ c: StrataConfig, retention: [Tier: Span] = [:]) throws -> Store {
    try Store(
        path: c.storage.path, channels: c.allChannels, calendar: c.site.calendar, retention: retention, budget: nil)
}

/// The monthly report of AMPds2 water and gas (America/Vancouver) against figures computed
/// here from the raw files with Foundation's calendar: consumption, the previous month, the
/// year before, peak demand, base load, coverage, and the chart's days.
@Suite(.serialized) struct AMPds2ReportTests {
    static let devices = """
        [[devices]]
        id = "water"
        name = "Water"
          [[devices.channels]]
          id = "volume"
          unit = "L"
          kind = "counter"
        [[devices]]
        id = "gas"
        name = "Gas"
          [[devices.channels]]
          id = "volume"
          unit = "L"
          kind = "counter"
        """
    static let reports = """
        [[reports]]
        name = "monthly"
        schedule = "monthly"
        to = ["fm@example.org"]
        [[reports]]
        name = "daily"
        schedule = "daily"
        to = ["fm@example.org"]
        """

    @Test func monthlyFiguresMatchTheRawFiles() throws {
        let dir = TempDir()
        let config = try siteConfig(dir.path, zone: "America/Vancouver", devices: Self.devices, reports: Self.reports)
        let st = try store(config)
        var raws: [String: [Int64: Double]] = [:]
        for (device, path) in [("water", Fixtures.water), ("gas", Fixtures.gas)] {
            let ch = try st.channel(device: device, channel: "volume")
            let raw = try Fixtures.columnByTime(path, "counter")
            raws[device] = raw
            // The months the reports look at (and their previous and year-earlier periods).
            let samples = raw.filter { $0.key >= 1_348_000_000 && $0.key < 1_389_000_000 }.sorted { $0.key < $1.key }
                .map { Sample(channel: ch.id, ts: $0.key, value: $0.value) }
            for chunk in stride(from: 0, to: samples.count, by: 100_000) {
                try st.write(Array(samples[chunk..<min(chunk + 100_000, samples.count)]))
            }
        }
        try st.rollUp(now: 1_800_000_000)
        let report = try #require(config.reports.first)
        let builder = ReportBuilder(config: config, report: report, store: st)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "America/Vancouver")!
        func local(_ y: Int, _ m: Int, _ d: Int = 1, _ h: Int = 0) -> Int64 {
            Int64(cal.date(from: DateComponents(year: y, month: m, day: d, hour: h))!.timeIntervalSince1970)
        }
        func steps(_ v: Double) -> Int64 { Int64((v * 1000).rounded()) }

        // March 2013 has the spring DST change (743 hours), November 2013 the autumn one (721).
        for (y, m) in [(2013, 3), (2013, 11), (2013, 12)] {
            let period = try #require(ReportPeriod.parse("\(y)-\(m < 10 ? "0" : "")\(m)"))
            let content = try builder.build(period, now: 1_800_000_000)
            let start = local(y, m)
            let end = local(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1)
            #expect(content.start == start && content.end == end)
            for section in content.meters {
                let raw = try #require(raws[section.device])
                let f = try #require(section.counters.first)
                func consumption(_ a: Int64, _ b: Int64) -> Int64? {
                    guard let x = raw[a], let z = raw[b] else { return nil }
                    return steps(z) - steps(x)
                }
                #expect(f.consumption == consumption(start, end), "\(section.device) \(period)")
                let pStart = local(m == 1 ? y - 1 : y, m == 1 ? 12 : m - 1)
                #expect(f.previous == consumption(pStart, start))
                #expect(f.yearEarlier == consumption(local(y - 1, m), local(m == 12 ? y : y - 1, m == 12 ? 1 : m + 1)))
                // Chart: one bar per local day, adding up to the month.
                #expect(
                    f.bars.count
                        == cal.range(of: .day, in: .month, for: Date(timeIntervalSince1970: TimeInterval(start)))!.count
                )
                #expect(f.bars.compactMap(\.steps).reduce(0, +) == f.consumption)
                // Coverage: the readings present over the minutes of the month.
                let present = raw.keys.filter { $0 >= start && $0 < end }.count
                #expect(abs(f.coverage - Double(present) / Double((end - start) / 60) * 100) < 1e-9)

                // Peak demand: the largest fully covered quarter, the earliest of equals.
                var best: (Int64, Int64)?
                var q = start
                while q < end {
                    let full = (0..<15).allSatisfy { raw[q + Int64($0) * 60] != nil } && raw[q + 900] != nil
                    if full, let c = consumption(q, q + 900), best == nil || c > best!.0 { best = (c, q) }
                    q += 900
                }
                let peak = try #require(f.peak)
                let (bc, bs) = try #require(best)
                #expect(peak.start == bs, "\(section.device) \(period) peak time")
                #expect(abs(peak.value - Double(bc) / 1000 * 4) < 1e-9)
                #expect(peak.unit == "L/h")

                // Base load: the lowest fully covered hour starting 00:00–04:00 local.
                var low: (Int64, Int64)?
                var h = start
                while h < end {
                    let hour = cal.component(.hour, from: Date(timeIntervalSince1970: TimeInterval(h)))
                    let full = (0..<60).allSatisfy { raw[h + Int64($0) * 60] != nil } && raw[h + 3600] != nil
                    if hour < 5, full, let c = consumption(h, h + 3600), low == nil || c < low!.0 { low = (c, h) }
                    h += 3600
                }
                let base = try #require(f.baseLoad)
                let (lc, ls) = try #require(low)
                #expect(base.start == ls)
                #expect(abs(base.value - Double(lc) / 1000) < 1e-9)
            }
        }

        // A user's DST days: 23 and 25 hourly bars that add up to the day, the day to the raw file.
        let daily = ReportBuilder(config: config, report: config.reports[1], store: st)
        for (label, hours) in [("2013-03-10", 23), ("2013-11-03", 25)] {
            let period = try #require(ReportPeriod.parse(label))
            let content = try daily.build(period, now: 1_800_000_000)
            #expect(content.end - content.start == Int64(hours) * 3600)
            for section in content.meters {
                let raw = try #require(raws[section.device])
                let f = try #require(section.counters.first)
                #expect(f.bars.count == hours)
                #expect(f.bars.compactMap(\.steps).reduce(0, +) == f.consumption)
                let a = try #require(raw[content.start])
                let b = try #require(raw[content.end])
                #expect(f.consumption == steps(b) - steps(a), "\(section.device) \(label)")
                if hours == 25 {
                    #expect(f.bars.map(\.label).filter { $0 == "01" }.count == 2, "the repeated hour twice")
                }
            }
        }
    }
}

/// Peak demand is kept on the hour and coarser tiers: after the quarters are pruned, a report
/// of the old month still names the same peak.
@Suite struct PeakRetentionTests {
    @Test func peakSurvivesPruningOfQuarters() throws {
        let dir = TempDir()
        let devices = """
            [[devices]]
            id = "main"
            name = "Main"
              [[devices.channels]]
              id = "energy_import"
              unit = "kWh"
              kind = "counter"
            """
        let config = try siteConfig(
            dir.path, zone: "Europe/Berlin", devices: devices,
            reports: """
                [[reports]]
                name = "m"
                schedule = "monthly"
                to = ["a@example.org"]
                """)
        let st = try store(config, retention: [.minute: Span(seconds: 86_400), .quarter: Span(seconds: 86_400)])
        let ch = try st.channel(device: "main", channel: "energy_import")
        // Two weeks of October 2026 at a steady 4 kW, with one quarter at 40 kW on the 7th 10:15 local,
        // and a gap with a big (interpolated) jump on the 10th that must not count as demand.
        let start = instant(berlin, 2026, 10, 1)
        let spike = instant(berlin, 2026, 10, 7, 10, 15)
        var value = 1000.0
        var samples: [Sample] = []
        var t = start
        while t <= start + 14 * 86_400 {
            let gap = t > instant(berlin, 2026, 10, 10, 3) && t < instant(berlin, 2026, 10, 10, 5)
            if !gap { samples.append(Sample(channel: ch.id, ts: t, value: (value * 1000).rounded() / 1000)) }
            value += (t >= spike && t < spike + 900) ? 40.0 / 60 : 4.0 / 60
            if t == instant(berlin, 2026, 10, 10, 4) { value += 100 } // 12.5 kWh per gap quarter: 50 kW if it counted
            t += 60
        }
        try st.write(samples)
        try st.rollUp(now: start + 20 * 86_400)
        let report = try #require(config.reports.first)
        let before = try ReportBuilder(config: config, report: report, store: st).build(
            #require(ReportPeriod.parse("2026-10")), now: start + 40 * 86_400)
        let peak = try #require(before.meters.first?.counters.first?.peak)
        #expect(peak.start == spike)
        #expect(abs(peak.value - 40) < 0.01)
        // Prune: a year later the quarters and minutes of October are gone.
        _ = try st.enforceRetention(now: start + 400 * 86_400)
        #expect(
            try st.buckets(.quarter, channels: [ch], from: start, to: start + 14 * 86_400).allSatisfy {
                $0.values.isEmpty
            })
        let after = try ReportBuilder(config: config, report: report, store: st).build(
            #require(ReportPeriod.parse("2026-10")), now: start + 400 * 86_400)
        #expect(after.meters.first?.counters.first?.peak == peak)
        #expect(after.meters.first?.counters.first?.consumption == before.meters.first?.counters.first?.consumption)
    }
}

/// A smart meter's energy register that moves once an hour (HAN2X): its quarters say nothing
/// about demand, so peak and base load come from the power readings.
@Suite struct HourlyCounterTests {
    @Test func peakAndBaseLoadComeFromPowerWhenEnergyStepsHourly() throws {
        let dir = TempDir()
        let devices = """
            [[devices]]
            id = "han"
            name = "Smart meter"
              [[devices.channels]]
              id = "energy_import"
              unit = "kWh"
              kind = "counter"
              [[devices.channels]]
              id = "power"
              unit = "W"
              kind = "gauge"
            """
        let config = try siteConfig(
            dir.path, zone: "Europe/Oslo", devices: devices,
            reports: """
                [[reports]]
                name = "d"
                schedule = "daily"
                to = ["a@example.org"]
                """)
        let st = try store(config)
        let e = try st.channel(device: "han", channel: "energy_import")
        let p = try st.channel(device: "han", channel: "power")
        let oslo = ZoneRules(identifier: "Europe/Oslo")!
        let start = instant(oslo, 2026, 11, 10)
        // 2 kW all day, 9 kW from 17:30 to 17:45, 0.5 kW from 03:00 to 04:00; energy in whole
        // hours, stepping at each full hour.
        func watts(_ t: Int64) -> Double {
            if t >= instant(oslo, 2026, 11, 10, 17, 30) && t < instant(oslo, 2026, 11, 10, 17, 45) { return 9000 }
            if t >= instant(oslo, 2026, 11, 10, 3) && t < instant(oslo, 2026, 11, 10, 4) { return 500 }
            return 2000
        }
        var samples: [Sample] = []
        var kwh = 5000.0
        var hourKWh = 0.0
        var t = start - 3600
        while t <= start + 86_400 + 3600 {
            samples.append(Sample(channel: p.id, ts: t, value: watts(t)))
            samples.append(Sample(channel: e.id, ts: t, value: kwh))
            hourKWh += watts(t) / 1000 / 60
            t += 60
            if (t - start) % 3600 == 0 {
                kwh += (hourKWh * 1000).rounded() / 1000
                hourKWh = 0
            }
        }
        try st.write(samples)
        try st.rollUp(now: start + 3 * 86_400)
        let report = try #require(config.reports.first)
        let content = try ReportBuilder(config: config, report: report, store: st).build(
            #require(ReportPeriod.parse("2026-11-10")), now: start + 3 * 86_400)
        let f = try #require(content.meters.first?.counters.first)
        let peak = try #require(f.peak)
        #expect(peak.start == instant(oslo, 2026, 11, 10, 17, 30))
        #expect(abs(peak.value - 9) < 1e-9)
        #expect(peak.unit == "kW")
        #expect(peak.source.contains("power"))
        let base = try #require(f.baseLoad)
        #expect(base.start == instant(oslo, 2026, 11, 10, 3))
        #expect(abs(base.value - 0.5) < 1e-9)
        // The hourly steps themselves would have made a "peak" of a whole hour's energy in one quarter.
        #expect(
            ReportBuilder.stepsHourly(try st.buckets(.quarter, channels: [e], from: content.start, to: content.end), e))
    }
}
