import Foundation
import StrataConfig
import StrataCore
import StrataStore
import StrataTestSupport
import Testing

@testable import StrataReport

/// Seven tariff bands with seasons, day types and holidays (Easter-relative ones too), priced
/// hour by hour over 2027 in Berlin time, against the same pricing done here with
/// Foundation's calendar and Easter dates from a published table.
@Suite(.serialized) struct TariffYearTests {
    static let tariffs = """
        [[tariffs]]
        name = "holiday"
        price = 0.11
        day_types = ["holiday"]
        [[tariffs]]
        name = "weekend"
        price = 0.14
        day_types = ["saturday", "sunday"]
        [[tariffs]]
        name = "summer-peak"
        price = 0.41
        hours = "17:00-22:00"
        day_types = ["workday"]
        seasons = ["04-01..09-30"]
        [[tariffs]]
        name = "winter-peak"
        price = 0.37
        hours = "17:00-22:00"
        day_types = ["workday"]
        seasons = ["10-01..03-31"]
        [[tariffs]]
        name = "summer-day"
        price = 0.29
        hours = "06:00-17:00"
        seasons = ["04-01..09-30"]
        [[tariffs]]
        name = "night"
        price = 0.09
        hours = "22:00-06:00"
        [[tariffs]]
        name = "day"
        price = 0.25
        [[holidays]]
        name = "New Year"
        date = "01-01"
        [[holidays]]
        name = "Good Friday"
        easter = -2
        [[holidays]]
        name = "Easter Monday"
        easter = 1
        [[holidays]]
        name = "Labour Day"
        date = "05-01"
        [[holidays]]
        name = "Whit Monday"
        easter = 50
        [[holidays]]
        name = "Bridge day"
        date = "2027-10-04"
        [[holidays]]
        name = "Christmas"
        date = "12-25"
        """
    static let prices = [
        "holiday": 0.11, "weekend": 0.14, "summer-peak": 0.41, "winter-peak": 0.37, "summer-day": 0.29, "night": 0.09,
        "day": 0.25,
    ]

    /// The band of a local hour, decided here without Strata's calendar code.
    static func band(_ c: DateComponents) -> String {
        let (m, d, h) = (c.month!, c.day!, c.hour!)
        // Easter 2027 is 28 March (published tables): Good Friday 26 March, Easter Monday
        // 29 March, Whit Monday 17 May.
        let holidays: Set<[Int]> = [[1, 1], [3, 26], [3, 29], [5, 1], [5, 17], [10, 4], [12, 25]]
        if holidays.contains([m, d]) { return "holiday" }
        if c.weekday == 1 || c.weekday == 7 { return "weekend" }
        let summer = (4...9).contains(m)
        if (17..<22).contains(h) { return summer ? "summer-peak" : "winter-peak" }
        if summer && (6..<17).contains(h) { return "summer-day" }
        if h >= 22 || h < 6 { return "night" }
        return "day"
    }

    @Test func aYearOfHourlyPricesMatchesAnIndependentComputation() throws {
        let dir = TempDir()
        let devices = SiteTOML.device("main", channels: [("energy_import", "kWh", "counter")])
        let reports = "[[reports]]\nname = \"monthly\"\nschedule = \"monthly\"\nto = [\"fm@example.org\"]\n"
        let config = try siteConfig(
            dir.path, zone: "Europe/Berlin", devices: devices, reports: reports, extra: Self.tariffs)
        #expect(config.tariffs.count == 7)
        let st = try store(config)
        let ch = try st.channel(device: "main", channel: "energy_import")
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "Europe/Berlin")!
        let start = Int64(cal.date(from: DateComponents(year: 2027, month: 1, day: 1))!.timeIntervalSince1970)
        let end = Int64(cal.date(from: DateComponents(year: 2028, month: 1, day: 1))!.timeIntervalSince1970)
        // A reading every minute, 0-40 Wh apart, and one past the year's end.
        var rng = SplitMix(seed: 18)
        var cum: Int64 = 1_000_000
        var at: [Int64: Int64] = [:]
        var batch: [Sample] = []
        for t in stride(from: start, through: end, by: 60) {
            cum += Int64(rng.next() % 41)
            at[t] = cum
            batch.append(Sample(channel: ch.id, ts: t, value: Double(cum) / 1000))
            if batch.count == 100_000 {
                try st.write(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try st.write(batch)
        try st.rollUp(now: end + 86_400)

        var want: [String: Int64] = [:]
        var hours = 0
        for t in stride(from: start, to: end, by: 3600) {
            let c = cal.dateComponents(
                [.month, .day, .hour, .weekday], from: Date(timeIntervalSince1970: TimeInterval(t)))
            want[Self.band(c), default: 0] += at[t + 3600]! - at[t]!
            hours += 1
        }
        #expect(hours == 8760)
        #expect(Set(want.keys) == Set(Self.prices.keys))

        let builder = ReportBuilder(config: config, report: try #require(config.reports.first), store: st)
        var got: [String: Int64] = [:]
        var cost: [String: Double] = [:]
        for m in 1...12 {
            let content = try builder.build(
                try #require(ReportPeriod.parse("2027-\(m < 10 ? "0" : "")\(m)")), now: end + 86_400)
            let f = try #require(content.meters.first?.counters.first)
            #expect(!f.costs.contains { $0.tariff == "(no tariff)" })
            for c in f.costs {
                got[c.tariff, default: 0] += c.steps
                cost[c.tariff, default: 0] += c.cost
                #expect(c.price == Self.prices[c.tariff])
            }
        }
        #expect(got == want)
        for (name, steps) in want {
            #expect(abs((cost[name] ?? 0) - Double(steps) / 1000 * Self.prices[name]!) < 1e-6, "\(name)")
        }
    }
}
