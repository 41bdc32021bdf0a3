import StrataAlarms
import StrataCore
import Testing

/// `kind = "system"`: Strata's own trouble (storage budget, archive, outbox, clock).
struct SystemAlarmTests {
    static let t0: Int64 = 1_796_166_000

    static func machine(
        _ checks: Set<SystemCheck> = Set(SystemCheck.allCases), above: Double = 90, clear: Double = 85,
        for seconds: Int64 = 0
    ) -> AlarmMachine {
        AlarmMachine(
            rule: AlarmRule(
                id: "box", kind: .system(checks: checks, above: above, clear: clear, seconds: seconds),
                device: nil, notify: []))
    }

    static func healthy() -> SystemHealth {
        var h = SystemHealth()
        h.storageUse = 0.5
        h.archiveFailing = false
        h.outboxFailing = 0
        h.clockImplausible = false
        return h
    }

    @Test func storageRaisesPastTheLimitAndClearsOnlyUnderTheClearValue() {
        var m = Self.machine([.storage])
        var h = Self.healthy()
        let uses = [0.80, 0.91, 0.88, 0.86, 0.849, 0.95]
        var notices: [(Int, AlarmNotice)] = []
        for (i, u) in uses.enumerated() {
            h.storageUse = u
            for n in m.observe(minute: Self.t0 + Int64(i) * 60, health: h) { notices.append((i, n)) }
        }
        #expect(notices.count == 3)
        #expect(notices[0].0 == 1 && notices[0].1 == .raised(rule: "box", at: Self.t0 + 60, value: 91))
        // 88 % and 86 % are under the limit but over the clear value: still active.
        #expect(
            notices[1].0 == 4
                && notices[1].1 == .cleared(rule: "box", at: Self.t0 + 240, value: 84.9, raisedAt: Self.t0 + 60))
        #expect(notices[2].0 == 5)
    }

    @Test(arguments: SystemCheck.allCases)
    func eachCheckRaisesAndClears(check: SystemCheck) {
        var m = Self.machine()
        var bad = Self.healthy()
        switch check {
        case .storage: bad.storageUse = 0.97
        case .archive: bad.archiveFailing = true
        case .outbox: bad.outboxFailing = 3
        case .clock: bad.clockImplausible = true
        }
        #expect(m.observe(minute: Self.t0, health: Self.healthy()).isEmpty)
        let raised = m.observe(minute: Self.t0 + 60, health: bad)
        #expect(raised.count == 1)
        #expect(raised.first.map { if case .raised = $0 { true } else { false } } == true)
        #expect(bad.failing(Set(SystemCheck.allCases), above: 90, clear: 85) == [check])
        #expect(m.observe(minute: Self.t0 + 120, health: bad).isEmpty)
        #expect(m.observe(minute: Self.t0 + 180, health: Self.healthy()).count == 1)
        #expect(m.phase == .inactive)
    }

    @Test func aCheckNotReportedSinceTheStartNeitherRaisesNorClears() {
        // After a restart the machine is active (from the store) and nothing has reported yet.
        var m = AlarmMachine(rule: Self.machine().rule, phase: .active(since: Self.t0, notified: Self.t0))
        var h = SystemHealth()
        #expect(m.observe(minute: Self.t0 + 60, health: h).isEmpty)
        // Storage and clock are fine, but the archive (which failed) has not reported again.
        h.storageUse = 0.1
        h.clockImplausible = false
        h.outboxFailing = 0
        #expect(m.observe(minute: Self.t0 + 120, health: h).isEmpty)
        #expect(m.phase == .active(since: Self.t0, notified: Self.t0))
        h.archiveFailing = false
        #expect(
            m.observe(minute: Self.t0 + 180, health: h) == [
                .cleared(rule: "box", at: Self.t0 + 180, value: nil, raisedAt: Self.t0)
            ])
    }

    @Test func aStorageCheckWithoutABudgetNeverFails() {
        var m = Self.machine([.storage])
        var h = SystemHealth()
        h.storageUnbounded = true
        h.storageUse = 5
        #expect(m.observe(minute: Self.t0, health: h).isEmpty)
        #expect(m.phase == .inactive)
    }

    @Test func forWaitsBeforeRaising() {
        var m = Self.machine([.outbox], for: 900)
        var h = Self.healthy()
        h.outboxFailing = 1
        var raisedAt: Int64?
        for i in 0..<20 {
            let t = Self.t0 + Int64(i) * 60
            if !m.observe(minute: t, health: h).isEmpty { raisedAt = t }
        }
        #expect(raisedAt == Self.t0 + 900)
    }

    @Test func theBookEvaluatesOnlySystemRulesBetweenMinutes() {
        let offline = AlarmRule(id: "main-offline", kind: .offline(seconds: 60), device: "main", notify: [])
        var book = AlarmBook(rules: [offline, Self.machine().rule], phases: [:], zone: ZoneRules(fixedOffset: 0))
        var h = Self.healthy()
        h.clockImplausible = true
        let n = book.evaluateSystem(minute: Self.t0, health: h)
        #expect(n == [.raised(rule: "box", at: Self.t0, value: nil)])
        // The offline rule saw nothing: a health report is not a minute without readings.
        #expect(book.phases["main-offline"] == .inactive)
    }
}
