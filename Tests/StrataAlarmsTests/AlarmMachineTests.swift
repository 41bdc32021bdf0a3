import StrataAlarms
import StrataCore
import Testing

/// The rules' transitions, driven minute by minute as a mock clock would.
struct AlarmMachineTests {
    static let t0: Int64 = 1_796_166_000 // 2026-12-02 00:00 Berlin

    static func threshold(
        above: Double = 80_000, clear: Double = 75_000, for seconds: Int64 = 300, repeatEvery: Int64? = nil
    ) -> AlarmMachine {
        AlarmMachine(
            rule: AlarmRule(
                id: "peak", kind: .threshold(channel: "power", limit: .above(above), clear: clear, seconds: seconds),
                device: "main", notify: ["fm@example.org"], repeatEvery: repeatEvery))
    }

    /// Feeds one value per minute from t0; returns the notices with their minute index.
    static func run(_ m: inout AlarmMachine, _ values: [Double?]) -> [(Int, AlarmNotice)] {
        var out: [(Int, AlarmNotice)] = []
        for (i, v) in values.enumerated() {
            for n in m.observe(minute: t0 + Int64(i) * 60, value: v) { out.append((i, n)) }
        }
        return out
    }

    @Test func pendingNeverNotifies() {
        var m = Self.threshold()
        // Four minutes over the limit, then back: pending, never raised.
        let n = Self.run(&m, [90_000, 90_000, 90_000, 90_000, 70_000, 90_000, 60_000])
        #expect(n.isEmpty)
        #expect(m.phase == .inactive)
    }

    @Test func raisedAfterForMinutesAndClearedOnlyPastTheClearValue() {
        var m = Self.threshold()
        let n = Self.run(&m, [90_000, 90_000, 90_000, 90_000, 90_000, 78_000, 79_000, 76_000, 74_999, 90_000])
        #expect(n.count == 2)
        #expect(n.first?.0 == 4 && n.first?.1 == .raised(rule: "peak", at: Self.t0 + 240, value: 90_000))
        // 78,000 and 76,000 are below the limit but above the clear value: still active (hysteresis).
        #expect(
            n.last?.0 == 8
                && n.last?.1 == .cleared(rule: "peak", at: Self.t0 + 480, value: 74_999, raisedAt: Self.t0 + 240))
        #expect(m.phase == .pending(since: Self.t0 + 540, minutes: 1))
    }

    @Test func forCountsMinutesPresentAndGapsDoNotClear() {
        var m = Self.threshold()
        // Over the limit with gaps in between: five minutes present are needed, whatever the gaps.
        let n = Self.run(&m, [90_000, nil, 90_000, nil, nil, 90_000, 90_000, nil, 90_000, nil, nil, nil, 85_000])
        #expect(n.count == 1)
        #expect(n.first?.0 == 8, "the fifth minute present")
        #expect(m.phase == .active(since: Self.t0 + 480, notified: Self.t0 + 480), "a gap is not a clear")
    }

    @Test func belowLimitsAndRepeats() {
        var m = AlarmMachine(
            rule: AlarmRule(
                id: "low-voltage", kind: .threshold(channel: "v", limit: .below(207), clear: 210, seconds: 0),
                device: "main", notify: [], repeatEvery: 120))
        let n = Self.run(&m, [230, 205, 206, 208, 209, 211])
        #expect(
            n.map(\.1) == [
                .raised(rule: "low-voltage", at: Self.t0 + 60, value: 205),
                .repeated(rule: "low-voltage", at: Self.t0 + 180, value: 208),
                .cleared(rule: "low-voltage", at: Self.t0 + 300, value: 211, raisedAt: Self.t0 + 60),
            ])
    }

    @Test func offlineIsRaisedOnceAndClearedByTheNextReading() {
        var m = AlarmMachine(
            rule: AlarmRule(id: "main-offline", kind: .offline(seconds: 600), device: "main", notify: []))
        var notices: [AlarmNotice] = []
        var last: Int64 = Self.t0
        for i in 0..<30 {
            let t = Self.t0 + Int64(i) * 60
            let answered = i < 3 || i >= 25
            if answered { last = t }
            notices += m.observe(minute: t, answered: answered, lastReading: last)
        }
        #expect(
            notices == [
                .raised(rule: "main-offline", at: Self.t0 + 12 * 60, value: 10),
                .cleared(rule: "main-offline", at: Self.t0 + 25 * 60, value: 13, raisedAt: Self.t0 + 12 * 60),
            ])
    }

    @Test func offlineSinceBeforeAStartIsRaisedAtOnceAndAnActiveOneNotAgain() {
        let rule = AlarmRule(id: "off", kind: .offline(seconds: 600), device: "main", notify: [])
        var fresh = AlarmMachine(rule: rule)
        let lastBeforeStop = Self.t0 - 3600
        #expect(
            fresh.observe(minute: Self.t0, answered: false, lastReading: lastBeforeStop) == [
                .raised(rule: "off", at: Self.t0, value: 60)
            ])
        // The state a restart loads from the store: still active, nothing new to say.
        var restarted = AlarmMachine(rule: rule, phase: fresh.phase)
        #expect(restarted.observe(minute: Self.t0 + 60, answered: false, lastReading: lastBeforeStop).isEmpty)
        // A device never read at all goes offline `for` after the first minute observed.
        var never = AlarmMachine(rule: rule)
        var n: [AlarmNotice] = []
        for i in 0...10 { n += never.observe(minute: Self.t0 + Int64(i) * 60, answered: false, lastReading: nil) }
        #expect(n == [.raised(rule: "off", at: Self.t0 + 600, value: 10)])
    }

    @Test func consumptionWindowsRaiseAndClear() {
        var m = AlarmMachine(
            rule: AlarmRule(
                id: "night-water",
                kind: .consumption(channel: "water", window: .init(from: 0, to: 300), above: 5, per: nil),
                device: "water", notify: []))
        #expect(m.windowClosed(at: 100, consumed: 2).isEmpty)
        #expect(m.windowClosed(at: 200, consumed: nil).isEmpty, "no data says nothing")
        #expect(m.windowClosed(at: 300, consumed: 7.5) == [.raised(rule: "night-water", at: 300, value: 7.5)])
        #expect(m.windowClosed(at: 400, consumed: 6) == [.repeated(rule: "night-water", at: 400, value: 6)])
        #expect(
            m.windowClosed(at: 500, consumed: 1) == [.cleared(rule: "night-water", at: 500, value: 1, raisedAt: 300)])
    }

    static let berlin = ZoneRules(identifier: "Europe/Berlin")!

    @Test(arguments: [
        (CivilDate(year: 2026, month: 3, day: 29), 4.0), // clocks go forward at 02:00
        (CivilDate(year: 2026, month: 10, day: 25), 6.0), // and back at 03:00
        (CivilDate(year: 2026, month: 12, day: 2), 5.0),
    ])
    func aNightWindowAcrossDSTHasFourOrSixHours(day: CivilDate, hours: Double) {
        let w = ConsumptionWindow(window: .init(from: 0, to: 300), zone: Self.berlin)
        let s = w.span(endingOn: day)
        #expect(Double(s.end - s.start) / 3600 == hours)
        #expect(w.ending(inMinute: s.end - 60)?.start == s.start, "the window ends in its last minute")
        #expect(w.ending(inMinute: s.end) == nil)
    }

    @Test func windowsAcrossMidnightStartTheEveningBefore() {
        let w = ConsumptionWindow(window: .init(from: 22 * 60, to: 6 * 60), zone: Self.berlin)
        let s = w.span(endingOn: CivilDate(year: 2026, month: 12, day: 2))
        #expect(s.start == Self.t0 - 2 * 3600)
        #expect(s.end == Self.t0 + 6 * 3600)
        #expect(AlarmRule.Window(from: 22 * 60, to: 6 * 60).contains(minuteOfDay: 23 * 60))
        #expect(!AlarmRule.Window(from: 22 * 60, to: 6 * 60).contains(minuteOfDay: 12 * 60))
        #expect(ConsumptionWindow.slices(0, 18_000, per: 3600).count == 5)
    }
}

/// The book of all rules over written minutes, as the runtime feeds it.
struct AlarmBookTests {
    static let zone = ZoneRules(identifier: "Europe/Berlin")!
    static let rules = [
        AlarmRule(id: "off", kind: .offline(seconds: 180), device: "main", notify: []),
        AlarmRule(
            id: "peak", kind: .threshold(channel: "power", limit: .above(100), clear: 90, seconds: 120), device: "main",
            notify: []),
        AlarmRule(
            id: "night", kind: .consumption(channel: "water", window: .init(from: 0, to: 300), above: 5, per: 3600),
            device: "water", notify: []),
        AlarmRule(id: "resets", kind: .counterEvent(channel: nil, actions: [.reset]), device: nil, notify: []),
    ]

    @Test func aNightOfMinutes() {
        var book = AlarmBook(rules: Self.rules, phases: [:], zone: Self.zone)
        // 2026-03-29: the night the clocks go forward (00:00-05:00 is four hours).
        let midnight = Self.zone.firstInstant(atOrAfter: LocalDateTime(date: CivilDate(year: 2026, month: 3, day: 29)))
        let end = Self.zone.firstInstant(
            atOrAfter: LocalDateTime(date: CivilDate(year: 2026, month: 3, day: 29), hour: 5))
        var notices: [AlarmNotice] = []
        var asked: [(Int64, Int64)] = []
        var t = midnight
        var last: Int64 = midnight
        while t <= end {
            var o = MinuteObservation(minute: t)
            let silent = t >= midnight + 3600 && t < midnight + 7200
            if !silent {
                o.answered = ["main", "water"]
                last = t
                o.gauges["main/power"] = t >= midnight + 600 && t < midnight + 900 ? 150 : 50
            }
            o.lastReading = ["main": last]
            if t == midnight + 10_800 {
                o.events = [.init(device: "water", channel: "water", action: .reset, ts: t, value: 0)]
            }
            notices += book.evaluate(o) { _, a, b in
                asked.append((a, b))
                return a == midnight + 3600 ? 6 : 1 // one hour of the night with a leak
            }
            t += 60
        }
        #expect(asked.count == 4, "four one-hour slices in a four-hour night")
        #expect(asked.first?.0 == midnight && asked.last?.1 == end)
        #expect(notices.map(\.rule) == ["peak", "peak", "off", "off", "resets", "night"])
        #expect(notices.last == .raised(rule: "night", at: end, value: 6))
        #expect(book.phases["night"] == .active(since: end, notified: end))
        #expect(book.phases["off"] == .inactive && book.phases["peak"] == .inactive)
    }
}
