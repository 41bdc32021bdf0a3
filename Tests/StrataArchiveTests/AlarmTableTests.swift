import Foundation
import StrataArchive
import StrataCore
import StrataStore
import StrataTestSupport
import Testing

/// The alarm log in the archive: `_site/alarms/<year>.csv`, one row per alarm, every dialect.
struct AlarmTableTests {
    static let berlin = SiteCalendar(zone: ZoneRules(identifier: "Europe/Berlin")!)
    static let t: Int64 = 1_796_212_800 // 2026-12-02 13:00 Berlin

    @Test func theArchiveGetsAYearFilePerDialect() throws {
        let dir = TempDir()
        let store = try openStore(
            dir, [ChannelSpec(device: "main", id: "power", unit: "W", kind: .gauge)], calendar: Self.berlin)
        let ch = try store.channel(device: "main", channel: "power").id
        try store.write([Sample(channel: ch, ts: Self.t - 3600, value: 1), Sample(channel: ch, ts: Self.t, value: 2)])
        try store.rollUp(now: Self.t + 60)
        try store.recordAlarms(
            states: [],
            log: [
                AlarmLogEntry(
                    rule: "peak", device: "main", channel: "power", event: "raised", at: Self.t - 600, value: 81_500.5,
                    threshold: 80_000, raisedAt: nil),
                AlarmLogEntry(
                    rule: "peak", device: "main", channel: "power", event: "repeated", at: Self.t - 300, value: 82_000,
                    threshold: 80_000, raisedAt: nil),
                AlarmLogEntry(
                    rule: "peak", device: "main", channel: "power", event: "cleared", at: Self.t - 60, value: 74_000,
                    threshold: 75_000, raisedAt: Self.t - 600),
                AlarmLogEntry(
                    rule: "main-offline", device: "main", channel: nil, event: "raised", at: Self.t, value: 10,
                    threshold: 10, raisedAt: nil),
                AlarmLogEntry(
                    rule: "old", device: "main", channel: nil, event: "raised", at: Self.t - 400 * 86_400, value: nil,
                    threshold: nil, raisedAt: nil),
            ])
        let root = dir.file("archive")
        try ArchiveWriter(
            store: store, root: root, dialects: [.iso, .excelEU], devices: ["main"], prune: false, siteName: "t"
        ).run()
        let iso = try String(contentsOfFile: root + "/iso/_site/alarms/2026.csv", encoding: .utf8)
        #expect(
            iso == """
                raised,raised_utc_offset,cleared,cleared_utc_offset,rule,device,channel,value,threshold\r
                2026-12-02 12:50:00,+01:00,2026-12-02 12:59:00,+01:00,peak,main,power,81500.500,80000.000\r
                2026-12-02 13:00:00,+01:00,,,main-offline,main,,10.000,10.000\r

                """)
        let euBytes = try #require(FileManager.default.contents(atPath: root + "/excel-eu/_site/alarms/2026.csv"))
        #expect(Array(euBytes.prefix(3)) == [0xEF, 0xBB, 0xBF], "a BOM, so Excel reads UTF-8")
        let eu = String(decoding: euBytes.dropFirst(3), as: UTF8.self)
        #expect(eu.hasPrefix("raised;raised_utc_offset;cleared"))
        #expect(eu.contains("peak;main;power;81500,500;80000,000"))
        #expect(FileManager.default.fileExists(atPath: root + "/iso/_site/alarms/2025.csv"), "a year file per year")
    }
}
