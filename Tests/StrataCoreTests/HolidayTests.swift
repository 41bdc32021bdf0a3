import StrataCore
import Testing

/// Holidays, seasons and day types: the calendar the tariffs are priced by.
struct HolidayTests {
    /// Western Easter Sundays from published tables.
    @Test(arguments: [
        (1961, 4, 2), (2000, 4, 23), (2008, 3, 23), (2011, 4, 24), (2019, 4, 21), (2024, 3, 31), (2025, 4, 20),
        (2026, 4, 5),
        (2027, 3, 28), (2038, 4, 25), (2285, 3, 22),
    ])
    func easterSunday(year: Int, month: Int, day: Int) {
        let e = Easter.sunday(year: year)
        #expect(e == CivilDate(year: year, month: month, day: day))
        #expect(e.isoWeekday == 7)
    }

    @Test func holidaysOfEachKind() {
        let cal = HolidayCalendar([
            .annual(month: 5, day: 1), .once(CivilDate(year: 2026, month: 12, day: 24)), .easter(offset: 1),
            .easter(offset: -2), .annual(month: 2, day: 29),
        ])
        #expect(cal.contains(CivilDate(year: 2031, month: 5, day: 1)))
        #expect(cal.contains(CivilDate(year: 2026, month: 12, day: 24)))
        #expect(!cal.contains(CivilDate(year: 2025, month: 12, day: 24)))
        #expect(cal.contains(CivilDate(year: 2026, month: 4, day: 6))) // Easter Monday
        #expect(cal.contains(CivilDate(year: 2026, month: 4, day: 3))) // Good Friday
        #expect(!cal.contains(CivilDate(year: 2026, month: 4, day: 5)))
        #expect(cal.contains(CivilDate(year: 2028, month: 2, day: 29)))
        #expect(!cal.contains(CivilDate(year: 2027, month: 3, day: 1)))
        #expect(DayType.of(CivilDate(year: 2026, month: 4, day: 6), holidays: cal) == .holiday)
        #expect(DayType.of(CivilDate(year: 2026, month: 12, day: 5), holidays: cal) == .saturday)
        #expect(DayType.of(CivilDate(year: 2026, month: 12, day: 6), holidays: cal) == .sunday)
        #expect(DayType.of(CivilDate(year: 2026, month: 12, day: 7), holidays: cal) == .workday)
    }

    @Test func seasonsMayRunOverNewYear() {
        let summer = SeasonRange(from: (4, 1), to: (9, 30))
        let winter = SeasonRange(from: (10, 1), to: (3, 31))
        for m in 1...12 {
            let d = CivilDate(year: 2027, month: m, day: 15)
            #expect(summer.contains(d) != winter.contains(d), "month \(m)")
        }
        #expect(
            summer.contains(CivilDate(year: 2027, month: 4, day: 1))
                && summer.contains(CivilDate(year: 2027, month: 9, day: 30)))
        #expect(
            winter.contains(CivilDate(year: 2027, month: 12, day: 31))
                && winter.contains(CivilDate(year: 2028, month: 1, day: 1)))
    }

    @Test func reactiveRatiosAndLimits() {
        let r = ReactiveRatio(active: 1000, inductive: 250, capacitive: 100)
        #expect(r.inductiveRatio == 0.25 && r.capacitiveRatio == 0.1)
        let x = r.exceeds(ReactiveLimits(inductive: 0.20, capacitive: 0.15))
        #expect(x.inductive && !x.capacitive)
        #expect(ReactiveRatio(active: 0, inductive: 5, capacitive: nil).inductiveRatio == nil)
        #expect(
            ReactiveRatio.scale("Wh", reactive: false) == 0.001 && ReactiveRatio.scale("kvarh", reactive: true) == 1)
        #expect(ReactiveRatio.scale("kWh", reactive: true) == nil && ReactiveRatio.scale("m3", reactive: false) == nil)
    }

    @Test func civilDatesParseOnlyRealDays() {
        #expect(CivilDate(parsing: "2028-02-29") == CivilDate(year: 2028, month: 2, day: 29))
        #expect(CivilDate(parsing: "2027-02-29") == nil)
        #expect(CivilDate(parsing: "2027-2-1") == nil)
        #expect(CivilDate(parsing: "12-25") == nil)
    }
}
