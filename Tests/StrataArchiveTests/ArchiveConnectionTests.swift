import Foundation
import StrataArchive
import StrataCore
import StrataStore
import StrataTestSupport
import Testing

/// The archive runs on its own connection to the store, opened when `strata run` starts, often
/// before the first reading exists: what the writing connection stores later must reach it.
@Suite struct ArchiveConnectionTests {
    @Test func aConnectionOpenedOnAnEmptyStoreArchivesWhatAnotherOneWritesLater() throws {
        let dir = TempDir()
        let specs = [ChannelSpec(device: "main", id: "energy", unit: "kWh", kind: .counter)]
        let berlin = SiteCalendar(zone: ZoneRules(identifier: "Europe/Berlin")!)
        let writer = try openStore(dir, specs, calendar: berlin)
        let archiveSide = try openStore(dir, specs, calendar: berlin)
        let root = dir.file("archive")
        let archive = ArchiveWriter(
            store: archiveSide, root: root, dialects: [.iso], devices: ["main"], prune: false, siteName: "t")
        try archiveSide.reloadWatermark()
        #expect(try archive.run().created == 0)

        let id = try writer.channel(device: "main", channel: "energy").id
        let start: Int64 = 1_792_620_000 // 2026-10-22 00:00 Berlin
        try writer.write(
            (0..<1440).map { Sample(channel: id, ts: start + Int64($0) * 60, value: 100 + Double($0) * 0.01) })
        try writer.rollUp(now: start + 86_400 + 120)

        try archiveSide.reloadWatermark()
        let summary = try archive.run()
        #expect(summary.created > 0)
        let day = try #require(FileManager.default.contents(atPath: root + "/iso/main/minute/2026/10/2026-10-22.csv"))
        #expect(String(decoding: day, as: UTF8.self).split(separator: "\r\n").count == 1 + 1440)
    }
}
