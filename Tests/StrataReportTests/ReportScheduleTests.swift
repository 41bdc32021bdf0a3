import Foundation
import StrataConfig
import StrataCore
import Testing

@testable import StrataReport

let berlin = ZoneRules(identifier: "Europe/Berlin")!

func instant(_ zone: ZoneRules, _ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0) -> Int64 {
    zone.firstInstant(atOrAfter: LocalDateTime(date: CivilDate(year: y, month: mo, day: d), hour: h, minute: mi))
}

@Suite struct ReportPeriodTests {
    @Test(arguments: [
        ("2026-10-21", ReportPeriod.Kind.day, "2026-10-21"), ("2026-W43", .week, "2026-10-19"),
        ("2026-10", .month, "2026-10-01"),
        ("2026-W53", .week, "2026-12-28"), ("2020-W53", .week, "2020-12-28"), ("2024-02-29", .day, "2024-02-29"),
    ])
    func labelsRoundTrip(_ label: String, _ kind: ReportPeriod.Kind, _ first: String) throws {
        let p = try #require(ReportPeriod.parse(label))
        #expect(p.kind == kind)
        #expect(p.first.description == first)
        #expect(p.label == label)
    }

    @Test(arguments: ["2026-13", "2026-02-30", "2025-W53", "2026-W00", "26-10", "2026/10", "2026-10-1", ""])
    func badLabelsAreRefused(_ label: String) {
        #expect(ReportPeriod.parse(label) == nil)
    }

    @Test func isoWeeksAtYearEnds() {
        // 1 January 2027 is a Friday: it belongs to 2026's week 53.
        #expect(ReportPeriod(kind: .week, containing: CivilDate(year: 2027, month: 1, day: 1)).label == "2026-W53")
        // 31 December 2024 is a Tuesday of 2025's week 1.
        #expect(ReportPeriod(kind: .week, containing: CivilDate(year: 2024, month: 12, day: 31)).label == "2025-W01")
        #expect(ReportPeriod(kind: .week, containing: CivilDate(year: 2026, month: 11, day: 22)).label == "2026-W47")
    }

    @Test func yearEarlier() throws {
        #expect(try #require(ReportPeriod.parse("2024-02-29")).yearEarlier.label == "2023-02-28")
        #expect(try #require(ReportPeriod.parse("2026-W53")).yearEarlier.label == "2025-W52")
        #expect(try #require(ReportPeriod.parse("2026-W43")).yearEarlier.label == "2025-W43")
        #expect(try #require(ReportPeriod.parse("2026-10")).yearEarlier.label == "2025-10")
        #expect(try #require(ReportPeriod.parse("2026-01")).previous.label == "2025-12")
        #expect(try #require(ReportPeriod.parse("2026-03-01")).previous.label == "2026-02-28")
    }

    @Test func dstDaysHave23And25Hours() throws {
        let s = ReportSchedule(kind: .day, at: 360, grace: 900, zone: berlin)
        let spring = s.bounds(try #require(ReportPeriod.parse("2026-03-29")))
        let autumn = s.bounds(try #require(ReportPeriod.parse("2026-10-25")))
        #expect(spring.end - spring.start == 23 * 3600)
        #expect(autumn.end - autumn.start == 25 * 3600)
        let march = ReportSchedule(kind: .month, at: 360, grace: 900, zone: berlin).bounds(
            try #require(ReportPeriod.parse("2026-03")))
        #expect(march.end - march.start == (31 * 24 - 1) * 3600)
    }

    @Test func atSkippedByDSTMeansTheNextValidMinute() throws {
        // Berlin skips 02:00–03:00 on 29 March 2026: a 02:30 report for the 28th goes at 03:00 CEST.
        let s = ReportSchedule(kind: .day, at: 150, grace: 900, zone: berlin)
        #expect(s.due(try #require(ReportPeriod.parse("2026-03-28"))) == instant(berlin, 2026, 3, 29, 3, 0))
        #expect(s.due(try #require(ReportPeriod.parse("2026-03-28"))) == 1_774_746_000) // 01:00 UTC
        // 02:30 happens twice on 25 October: the first time (CEST, 00:30 UTC).
        #expect(s.due(try #require(ReportPeriod.parse("2026-10-24"))) == 1_792_888_200)
    }

    /// Paraguay started DST at midnight on Sunday 1 October 2023: 00:00–01:00 did not exist. A
    /// monthly report at 00:30 for September went at 01:00, and October began at 01:00.
    @Test func monthWhoseSendTimeIsSkipped() throws {
        let asuncion = try #require(ZoneRules(identifier: "America/Asuncion"))
        let s = ReportSchedule(kind: .month, at: 30, grace: 0, zone: asuncion)
        let september = try #require(ReportPeriod.parse("2023-09"))
        #expect(s.due(september) == 1_696_132_800) // 04:00 UTC = 01:00 local (UTC-3)
        #expect(s.bounds(september).end == 1_696_132_800)
        #expect(s.bounds(september.next).start == 1_696_132_800)
        #expect(s.latestDue(at: 1_696_132_799) == september.previous)
        #expect(s.latestDue(at: 1_696_132_800) == september)
    }

    @Test func graceHoldsAnEarlyReportBack() throws {
        let s = ReportSchedule(kind: .day, at: 5, grace: 900, zone: berlin)
        let p = try #require(ReportPeriod.parse("2026-06-10"))
        #expect(s.due(p) == instant(berlin, 2026, 6, 11, 0, 15))
    }

    /// A mock clock walks nine months in 5-minute steps: every period fires exactly once, in
    /// order, at the right local time, across both DST changes and every month end.
    @Test(arguments: [ReportPeriod.Kind.day, .week, .month])
    func firesOnceAtTheRightLocalTime(_ kind: ReportPeriod.Kind) {
        let at = 150 // 02:30: skipped in March, repeated in October
        let s = ReportSchedule(kind: kind, at: at, grace: 900, zone: berlin)
        var t = instant(berlin, 2026, 2, 20)
        let stop = instant(berlin, 2026, 11, 10)
        var last = s.latestDue(at: t)
        var fired: [(ReportPeriod, Int64)] = []
        while t < stop {
            t += 300
            let p = s.latestDue(at: t)
            if p != last {
                fired.append((p, t))
                last = p
            }
        }
        #expect(!fired.isEmpty)
        var expected = fired[0].0
        for (p, when) in fired {
            #expect(p == expected, "periods fire in order without gaps")
            expected = p.next
            let local = berlin.local(when)
            #expect(local.date == p.end, "sent on the first day after the period")
            if p.end == CivilDate(year: 2026, month: 3, day: 29) {
                #expect(local.secondOfDay == 3 * 3600, "02:30 does not exist that day: 03:00")
            } else {
                #expect(local.secondOfDay == at * 60)
            }
            switch kind {
            case .day: break
            case .week: #expect(local.date.isoWeekday == 1)
            case .month: #expect(local.date.day == 1)
            }
        }
        let counts = Dictionary(grouping: fired, by: { $0.0 }).mapValues(\.count)
        #expect(counts.values.allSatisfy { $0 == 1 })
        if kind == .day {
            // 25 October: the repeated 02:30 fires the 24th's report once, at the first 02:30.
            let oct = fired.first { $0.0.label == "2026-10-24" }
            #expect(oct?.1 == 1_792_888_200)
        }
    }
}

@Suite struct TariffTests {
    func plan() throws -> [StrataConfig.Tariff] {
        let text = """
            [site]
            name = "t"
            timezone = "Europe/Berlin"
            [storage]
            path = "/tmp/none.sqlite"
            [[tariffs]]
            name = "peak"
            price = 0.23
            hours = "06:00-22:00"
            days = ["mon", "tue", "wed", "thu", "fri"]
            [[tariffs]]
            name = "night"
            price = 0.12
            hours = "22:00-06:00"
            [[tariffs]]
            name = "off-peak"
            price = 0.16
            """
        return try StrataConfig.parse(text, file: "/tmp/t.toml").tariffs
    }

    @Test(arguments: [
        (1, 6 * 60, "peak"), (5, 21 * 60, "peak"), (5, 22 * 60, "night"), (6, 12 * 60, "off-peak"),
        (7, 3 * 60, "night"),
        (2, 5 * 60, "night"), (6, 23 * 60, "night"),
    ])
    func firstMatchingWindowElseFallback(_ weekday: Int, _ minute: Int, _ name: String) throws {
        let p = try plan()
        // 2026-11-30 is a Monday.
        let date = CivilDate(year: 2026, month: 11, day: 29 + weekday)
        #expect(date.isoWeekday == weekday)
        let i = try #require(
            TariffPlan.tariff(
                p, date: date, dayType: DayType.of(date, holidays: HolidayCalendar([])), minuteOfDay: minute))
        #expect(p[i].name == name)
    }

    @Test func badTariffsNameFileLineAndKey() {
        let text = """
            [site]
            name = "t"
            timezone = "Europe/Berlin"
            [storage]
            path = "/tmp/none.sqlite"
            [[tariffs]]
            name = "peak"
            price = 0.23
            hours = "06:30-22:00"
            """
        #expect(throws: ConfigError.self) { try StrataConfig.parse(text, file: "/tmp/t.toml") }
        do {
            _ = try StrataConfig.parse(text, file: "/tmp/t.toml")
        } catch {
            #expect("\(error)".contains("/tmp/t.toml:9"))
            #expect("\(error)".contains("tariffs[0].hours"))
        }
    }
}
