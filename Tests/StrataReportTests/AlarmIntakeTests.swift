import Foundation
import Logging
import StrataConfig
import StrataCore
import StrataStore
import StrataTestSupport
import Testing

@testable import StrataReport

/// Alarm log lines into the outbox, on a real store and a real outbox file.
struct AlarmIntakeTests {
    static let now: Int64 = 1_796_212_800 // 2026-12-02 13:00 Berlin

    @Test func recentNoticesAreQueuedOnceOldOnesAreOnlyLogged() async throws {
        let dir = TempDir()
        let text =
            SiteTOML.header(name: "Intake site", timezone: "Europe/Berlin", store: dir.file("s.sqlite"))
            + "\n[outbox]\npath = \"\(dir.file("outbox"))\"\n"
            + SiteTOML.device("main", channels: [("power", "W", "gauge")])
                + """

                [[alarms]]
                id = "peak"
                kind = "threshold"
                device = "main"
                channel = "power"
                above = 1000
                notify = ["fm@example.org", "ops@example.org"]
                """
        try dir.write("strata.toml", text)
        let cfg = try StrataConfig.load(path: dir.file("strata.toml"))
        let store = try Store(path: cfg.storage.path, channels: cfg.allChannels, calendar: cfg.site.calendar)
        try store.recordAlarms(
            states: [],
            log: [
                AlarmLogEntry(
                    rule: "peak", device: "main", channel: "power", event: "raised", at: Self.now - 3 * 86_400,
                    value: 1200, threshold: 1000, raisedAt: nil),
                AlarmLogEntry(
                    rule: "peak", device: "main", channel: "power", event: "cleared", at: Self.now - 3 * 86_400 + 600,
                    value: 900, threshold: 1000, raisedAt: Self.now - 3 * 86_400),
                AlarmLogEntry(
                    rule: "peak", device: "main", channel: "power", event: "raised", at: Self.now - 120, value: 1500,
                    threshold: 1000, raisedAt: nil),
            ])
        let desk = try ReportDispatcher(
            config: cfg, makeStore: { try cfg.makeTestStore() }, logger: Logger(label: "test"), archive: false)
        // As the service does: the ids it is done with are marked by the store's writer.
        try store.markAlarmsQueued(await desk.intakeAlarms(now: Self.now))
        #expect(await desk.intakeAlarms(now: Self.now + 60).isEmpty, "again: nothing new")
        let entries = try Outbox(path: Outbox.file(in: cfg.outbox.path)).entries()
        #expect(entries.count == 2, "the recent raise, to both recipients; the old pair only logged")
        #expect(Set(entries.map(\.recipient)) == ["fm@example.org", "ops@example.org"])
        #expect(entries.allSatisfy { $0.report == "alarm:peak" && $0.period == "raised-\(Self.now - 120)" })
        #expect(try store.alarmLog(unqueuedOnly: true).isEmpty)
        #expect(try store.alarmLog().count == 3, "the log keeps all three")
    }
}

/// The monthly report's alarm section, from the store's log.
struct ReportAlarmSectionTests {
    @Test func theMonthsAlarmsAreListedWithTheirClears() throws {
        let dir = TempDir()
        let text =
            SiteTOML.header(name: "Report site", timezone: "Europe/Berlin", store: dir.file("s.sqlite"))
            + SiteTOML.device("main", channels: [("energy", "kWh", "counter"), ("power", "W", "gauge")])
                + """

                [[reports]]
                name = "monthly"
                schedule = "monthly"
                to = ["fm@example.org"]

                [[alarms]]
                id = "peak"
                kind = "threshold"
                device = "main"
                channel = "power"
                above = 1000
                notify = ["fm@example.org"]
                """
        try dir.write("strata.toml", text)
        let cfg = try StrataConfig.load(path: dir.file("strata.toml"))
        let store = try cfg.makeTestStore()
        let t = AlarmIntakeTests.now // 2026-12-02 13:00 +01:00
        try store.recordAlarms(
            states: [],
            log: [
                AlarmLogEntry(
                    rule: "peak", device: "main", channel: "power", event: "raised", at: 1_796_079_600 - 3600,
                    value: 1100, threshold: 1000, raisedAt: nil),
                AlarmLogEntry(
                    rule: "peak", device: "main", channel: "power", event: "cleared", at: 1_796_079_600 - 60,
                    value: 900, threshold: 1000, raisedAt: nil),
                AlarmLogEntry(
                    rule: "peak", device: "main", channel: "power", event: "raised", at: t - 600, value: 1250.5,
                    threshold: 1000, raisedAt: nil),
            ])
        let report = try #require(cfg.reports.first)
        let content = try ReportBuilder(config: cfg, report: report, store: store).build(
            ReportPeriod(kind: .month, containing: CivilDate(year: 2026, month: 12, day: 1)), now: t)
        #expect(content.alarms.count == 1, "November's alarm is November's")
        let r = ReportRenderer(content: content, zone: cfg.site.zone, dialect: .iso)
        #expect(
            r.text().contains(
                "== Alarms (1) ==\n  2026-12-02 12:50 peak (main power): 1250.500, threshold 1000.000; still active"),
            "\(r.text())")
        #expect(r.html().contains("Alarms (1)</h2>"))
    }
}

extension StrataConfig {
    func makeTestStore() throws -> Store {
        try Store(path: storage.path, channels: allChannels, calendar: site.calendar, retention: retention)
    }
}
