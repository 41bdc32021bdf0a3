import Testing

@testable import StrataCore

@Suite struct CivilDateTests {
    @Test(arguments: [
        (1970, 1, 1, 0), (2000, 2, 29, 11016), (2026, 11, 22, 20779), (1969, 12, 31, -1), (2100, 3, 1, 47541),
    ])
    func daysSinceEpochRoundTrips(y: Int, m: Int, d: Int, days: Int) {
        let date = CivilDate(year: y, month: m, day: d)
        #expect(date.daysSinceEpoch == days)
        #expect(CivilDate(daysSinceEpoch: days) == date)
    }

    @Test func weekdays() {
        #expect(CivilDate(year: 2026, month: 11, day: 23).isoWeekday == 1) // a Monday
        #expect(CivilDate(year: 2026, month: 11, day: 22).isoWeekday == 7)
    }

    @Test func monthArithmetic() {
        #expect(CivilDate(year: 2026, month: 12, day: 1).addingMonths(1) == CivilDate(year: 2027, month: 1, day: 1))
        #expect(CivilDate(year: 2026, month: 1, day: 1).addingMonths(-1) == CivilDate(year: 2025, month: 12, day: 1))
        #expect(!CivilDate(year: 2026, month: 2, day: 29).isValid)
    }
}

@Suite struct ZoneAndCalendarTests {
    let paris = SiteCalendar(zone: ZoneRules(identifier: "Europe/Paris")!)
    let vancouver = SiteCalendar(zone: ZoneRules(identifier: "America/Vancouver")!)
    let kolkata = SiteCalendar(zone: ZoneRules(identifier: "Asia/Kolkata")!)

    func utc(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0) -> Int64 {
        LocalDateTime(date: CivilDate(year: y, month: m, day: d), hour: h, minute: mi).secondsSinceEpoch
    }

    @Test(arguments: [
        (2026, 3, 29, 23), (2026, 3, 30, 24), (2026, 10, 25, 25), (2026, 10, 26, 24),
    ])
    func parisDayLengths(y: Int, m: Int, d: Int, hours: Int) {
        let noon = utc(y, m, d, 11)
        let s = paris.bucketStart(.day, containing: noon)
        #expect(paris.bucketEnd(.day, start: s) - s == Int64(hours) * 3600)
        #expect(paris.label(s).local.description == "\(CivilDate(year: y, month: m, day: d)) 00:00:00")
    }

    @Test func fallBackNightHasTwoOneOClockHours() {
        // 2026-10-25 in Paris: 02:00 CEST becomes 02:00 CET; in Vancouver 2012-11-04 01:00 twice.
        let s = vancouver.bucketStart(.day, containing: utc(2012, 11, 4, 12))
        let hours = vancouver.buckets(.hour, overlapping: s, vancouver.bucketEnd(.day, start: s))
        #expect(hours.count == 25)
        let labels = hours.map { vancouver.label($0.start) }
        #expect(labels[1].local.description == "2012-11-04 01:00:00")
        #expect(labels[2].local.description == "2012-11-04 01:00:00")
        #expect(labels[1].offset == -7 * 3600)
        #expect(labels[2].offset == -8 * 3600)
        #expect(hours[1].start != hours[2].start)
    }

    @Test func springForwardDayHas23Hours() {
        let s = vancouver.bucketStart(.day, containing: utc(2014, 3, 9, 20))
        let hours = vancouver.buckets(.hour, overlapping: s, vancouver.bucketEnd(.day, start: s))
        #expect(hours.count == 23)
        #expect(!hours.map { vancouver.label($0.start).local.description }.contains("2014-03-09 02:00:00"))
    }

    @Test func kolkataHoursStartAtHalfPastUTC() {
        let t = utc(2026, 6, 1, 10, 10)
        let s = kolkata.bucketStart(.hour, containing: t)
        #expect(s == utc(2026, 6, 1, 9, 30))
        #expect(kolkata.label(s).local.description == "2026-06-01 15:00:00")
        #expect(kolkata.bucketStart(.quarter, containing: t) == utc(2026, 6, 1, 10, 0))
        let day = kolkata.bucketStart(.day, containing: t)
        #expect(day == utc(2026, 5, 31, 18, 30))
    }

    @Test func monthAndYearBuckets() {
        let t = utc(2026, 3, 15)
        let m = paris.bucketStart(.month, containing: t)
        #expect(paris.label(m).local.description == "2026-03-01 00:00:00")
        // March in Paris loses an hour.
        #expect(paris.bucketEnd(.month, start: m) - m == (31 * 24 - 1) * 3600)
        let y = paris.bucketStart(.year, containing: t)
        #expect(paris.label(y).local.description == "2026-01-01 00:00:00")
        #expect(paris.bucketEnd(.year, start: y) - y == 365 * 86_400)
    }

    @Test func childrenTileTheirParentExactly() {
        let from = utc(2012, 1, 1)
        let to = utc(2015, 1, 1)
        for tier in [Tier.hour, .day, .month, .year] {
            for parent in vancouver.buckets(tier, overlapping: from, to) {
                let kids = vancouver.buckets(tier.child!, overlapping: parent.start, parent.end)
                #expect(kids.first?.start == parent.start)
                #expect(kids.last?.end == parent.end)
                for (a, b) in zip(kids, kids.dropFirst()) { #expect(a.end == b.start) }
            }
        }
    }

    @Test func resolvesRepeatedAndSkippedLocalTimes() {
        let z = vancouver.zone
        let rep = z.resolve(LocalDateTime(date: CivilDate(year: 2012, month: 11, day: 4), hour: 1, minute: 30))
        #expect(rep == .repeated(utc(2012, 11, 4, 8, 30), utc(2012, 11, 4, 9, 30)))
        let gap = z.resolve(LocalDateTime(date: CivilDate(year: 2014, month: 3, day: 9), hour: 2, minute: 30))
        #expect(gap == .skipped(transition: utc(2014, 3, 9, 10)))
        let ok = z.resolve(LocalDateTime(date: CivilDate(year: 2014, month: 3, day: 9), hour: 12))
        #expect(ok == .unique(utc(2014, 3, 9, 19)))
    }
}
