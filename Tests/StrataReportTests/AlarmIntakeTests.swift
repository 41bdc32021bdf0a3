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
    static let now: Int64 = 1_796_212_800  // 2026-12-02 13:00 Berlin

    @Test func recentNoticesAreQueuedOnceOldOnesAreOnlyLogged() async throws {
        let dir = TempDir()
        let text = SiteTOML.header(name: "Intake site", timezone: "Europe/Berlin", store: dir.file("s.sqlite"))
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
        try store.recordAlarms(states: [], log: [
            AlarmLogEntry(rule: "peak", device: "main", channel: "power", event: "raised", at: Self.now - 3 * 86_400, value: 1200, threshold: 1000, raisedAt: nil),
            AlarmLogEntry(rule: "peak", device: "main", channel: "power", event: "cleared", at: Self.now - 3 * 86_400 + 600, value: 900, threshold: 1000, raisedAt: Self.now - 3 * 86_400),
            AlarmLogEntry(rule: "peak", device: "main", channel: "power", event: "raised", at: Self.now - 120, value: 1500, threshold: 1000, raisedAt: nil),
        ])
        let desk = try ReportDispatcher(config: cfg, makeStore: { try cfg.makeTestStore() }, logger: Logger(label: "test"), archive: false)
        await desk.intakeAlarms(now: Self.now)
        await desk.intakeAlarms(now: Self.now + 60)  // again: nothing new
        let entries = try Outbox(path: Outbox.file(in: cfg.outbox.path)).entries()
        #expect(entries.count == 2, "the recent raise, to both recipients; the old pair only logged")
        #expect(Set(entries.map(\.recipient)) == ["fm@example.org", "ops@example.org"])
        #expect(entries.allSatisfy { $0.report == "alarm:peak" && $0.period == "raised-\(Self.now - 120)" })
        #expect(try store.alarmLog(unqueuedOnly: true).isEmpty)
        #expect(try store.alarmLog().count == 3, "the log keeps all three")
    }
}

extension StrataConfig {
    func makeTestStore() throws -> Store {
        try Store(path: storage.path, channels: allChannels, calendar: site.calendar, retention: retention)
    }
}
