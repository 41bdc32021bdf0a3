import Foundation
import StrataCore
import StrataTestSupport
import Testing

@testable import StrataArchive
@testable import StrataStore

/// What makes rebuilds fast must not change a byte: cells shared between device and site
/// files, files made durable in batches, and leftovers of a killed writer.
@Suite(.serialized) struct ArchiveRebuildTests {
    static let specs = [
        ChannelSpec(device: "main", id: "energy", unit: "kWh", kind: .counter),
        ChannelSpec(device: "main", id: "power", unit: "W", kind: .gauge),
        ChannelSpec(device: "pv", id: "yield", unit: "kWh", kind: .counter),
        ChannelSpec(device: "pv", id: "power", unit: "kW", kind: .gauge, resolution: Resolution(decimals: 3)),
    ]

    /// Two days of both devices; `pv` starts six hours late and has a gap.
    func filledStore(_ dir: TempDir) throws -> Store {
        let s = try openStore(dir, Self.specs, calendar: SiteCalendar(zone: ZoneRules(identifier: "Europe/Berlin")!))
        let ids = try Self.specs.map { try s.channel(device: $0.device, channel: $0.id).id }
        let start: Int64 = 1_792_620_000 // 2026-10-22 00:00 Berlin
        var batch: [Sample] = []
        for m in 0..<(2 * 1440) {
            let ts = start + Int64(m) * 60
            batch.append(Sample(channel: ids[0], ts: ts, value: 100 + Double(m) * 0.0137))
            batch.append(Sample(channel: ids[1], ts: ts, value: Double(900 + (m * 31) % 400) + 0.5))
            guard m >= 360, !(1000..<1100).contains(m) else { continue }
            batch.append(Sample(channel: ids[2], ts: ts, value: 5 + Double(m) * 0.002))
            batch.append(Sample(channel: ids[3], ts: ts, value: Double(m % 97) / 7))
        }
        try s.write(batch)
        try s.rollUp(now: start + 2 * 86_400 + 120)
        return s
    }

    @Test(arguments: [CSVDialect.excelEU, .iso])
    func siteMinuteFilesAreTheDevicesSideBySide(dialect: CSVDialect) throws {
        let dir = TempDir()
        let s = try filledStore(dir)
        let root = dir.file("archive")
        try ArchiveWriter(
            store: s, root: root, dialects: [dialect], devices: ["main", "pv"], prune: false, siteName: "t"
        ).run(rebuild: true)
        let day: Int64 = 1_792_620_000 + 86_400
        // The whole site encoded in one table, as `strata export` does it.
        let table = CSVTable(
            tier: .minute, dialect: dialect, channels: s.channels, calendar: s.calendar, qualified: true)
        var w = CSVWriter(dialect: dialect)
        table.writeHeader(&w)
        try s.minutes(channels: s.channels, from: day, to: day + 86_400) { table.writeRows(&w, $0) }
        let site = try #require(
            FileManager.default.contents(atPath: "\(root)/\(dialect.rawValue)/_site/minute/2026/10/2026-10-23.csv"))
        #expect([UInt8](site) == w.bytes)
        // And a device's file holds the same cells as its columns of the site's.
        let pv = try #require(
            FileManager.default.contents(atPath: "\(root)/\(dialect.rawValue)/pv/minute/2026/10/2026-10-23.csv"))
        let sep = Character(UnicodeScalar(dialect.separator))
        let siteRows = String(decoding: site, as: UTF8.self).split(separator: "\r\n").dropFirst()
        let pvRows = String(decoding: pv, as: UTF8.self).split(separator: "\r\n").dropFirst()
        #expect(siteRows.count == 1440 && pvRows.count == 1440)
        let labels = dialect.hasUTCColumn ? 3 : 2
        for (a, b) in zip(siteRows, pvRows) {
            let sc = a.split(separator: sep, omittingEmptySubsequences: false)
            let pc = b.split(separator: sep, omittingEmptySubsequences: false)
            // main: energy reading + consumption, power; then pv: yield reading + consumption, power.
            #expect(Array(sc.prefix(labels)) == Array(pc.prefix(labels)))
            #expect(Array(sc.suffix(3)) == Array(pc.suffix(3)), "\(a) / \(b)")
        }
    }

    @Test func stagedFilesAppearOnlyWhenFlushed() throws {
        let dir = TempDir()
        let folder = dir.file("a/b")
        let staged = StagedFiles(root: dir.path)
        try staged.replace(folder + "/x.csv", with: Array("new\r\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: folder + "/x.csv"))
        try staged.flush()
        #expect(FileManager.default.contents(atPath: folder + "/x.csv") == Data("new\r\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["x.csv"])
        // A pass that fails before its flush leaves nothing behind.
        do {
            let failing = StagedFiles(root: dir.path)
            try failing.replace(folder + "/y.csv", with: [1, 2, 3])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["x.csv"])
    }

    @Test func temporariesOfAKilledWriterAreSweptOthersKept() throws {
        let dir = TempDir()
        let s = try filledStore(dir)
        let root = dir.file("archive")
        let w = ArchiveWriter(
            store: s, root: root, dialects: [.iso], devices: ["main", "pv"], prune: false, siteName: "t")
        try w.run()
        // A dead writer's (no such process), a live one's (this process's parent), a user's file.
        let folder = root + "/iso/main/day"
        let dead = folder + "/.strata-tmp-2147483000-2026.csv"
        let live = folder + "/.strata-tmp-\(getppid())-2026.csv"
        let foreign = folder + "/notes.txt"
        for f in [dead, live, foreign] { #expect(FileManager.default.createFile(atPath: f, contents: Data("x".utf8))) }
        #expect(w.sweepTemporaries() == 1)
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: live))
        #expect(FileManager.default.fileExists(atPath: foreign))
    }
}
