import Foundation
import StrataArchive
import StrataCore
import StrataTestSupport
import Testing

@testable import StrataStore

/// The archive tree through `ArchiveWriter`, on real files.
@Suite(.serialized) struct ArchiveTests {
    let energy = ChannelSpec(device: "main", id: "energy", unit: "kWh", kind: .counter)
    let power = ChannelSpec(device: "main", id: "power", unit: "W", kind: .gauge)

    /// Minute data from `from` for `minutes`, with an outage (empty cells) in the middle.
    func fill(_ s: Store, from: Int64, minutes: Int, gap: Range<Int> = 300..<420, kwh: Double = 500) throws {
        let e = try s.channel(device: "main", channel: "energy").id
        let p = try s.channel(device: "main", channel: "power").id
        var v = kwh
        var batch: [Sample] = []
        for m in 0..<minutes {
            v += 0.0125 + Double(m % 5) * 0.001
            if gap.contains(m) { continue }
            let ts = from + Int64(m) * 60
            batch.append(Sample(channel: e, ts: ts, value: v))
            batch.append(Sample(channel: p, ts: ts, value: Double(1000 + (m * 37) % 500) + 0.25))
        }
        try s.write(batch)
    }

    func writer(_ s: Store, _ root: String, prune: Bool = false, devices: [String] = ["main"]) -> ArchiveWriter {
        ArchiveWriter(
            store: s, root: root, dialects: [.excelEU, .excelUS, .iso], devices: devices, prune: prune,
            siteName: "Golden site")
    }

    static let golden = Fixtures.root + "/golden"

    /// Compares with the committed file; `STRATA_UPDATE_GOLDEN=1` writes it instead.
    func expectGolden(_ file: String, _ name: String) throws {
        let got = try #require(FileManager.default.contents(atPath: file))
        let path = Self.golden + "/" + name
        if ProcessInfo.processInfo.environment["STRATA_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try got.write(to: URL(fileURLWithPath: path))
        }
        let want = try #require(FileManager.default.contents(atPath: path), "missing golden \(name)")
        #expect(got == want, "\(name) differs from its golden file")
    }

    @Test(arguments: [
        // Paris: the 25-hour day (2026-10-25) and the 23-hour day (2026-03-29).
        ("Europe/Paris", Int64(1_792_792_800), "paris-autumn"), ("Europe/Paris", Int64(1_774_652_400), "paris-spring"),
        // Kolkata: hours start at :30 UTC.
        ("Asia/Kolkata", Int64(1_792_693_800), "kolkata"),
    ])
    func dialectsMatchTheirGoldenFiles(zone: String, start: Int64, name: String) throws {
        let dir = TempDir()
        let cal = SiteCalendar(zone: ZoneRules(identifier: zone)!)
        let s = try openStore(dir, [energy, power], calendar: cal)
        try fill(s, from: start, minutes: 3 * 1440)
        try s.rollUp(now: start + 5 * 86_400)
        try writer(s, dir.file("archive")).run()
        let local = cal.zone.local(start).date
        let y = String(local.year)
        let m = local.month < 10 ? "0\(local.month)" : "\(local.month)"
        for d in ["excel-eu", "excel-us", "iso"] {
            try expectGolden(dir.file("archive/\(d)/main/day/\(y).csv"), "\(name)/\(d)/day.csv")
            try expectGolden(dir.file("archive/\(d)/main/hour/\(y)/\(y)-\(m).csv"), "\(name)/\(d)/hour.csv")
        }
        let eu = try #require(FileManager.default.contents(atPath: dir.file("archive/excel-eu/main/day/\(y).csv")))
        #expect(Array(eu.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let iso = try #require(FileManager.default.contents(atPath: dir.file("archive/iso/main/day/\(y).csv")))
        #expect(iso.first != 0xEF)
        #expect(String(decoding: iso, as: UTF8.self).hasSuffix("\r\n"))
    }

    @Test func excelEUParsesBackWithPythonsCSVModule() throws {
        let dir = TempDir()
        let cal = SiteCalendar(zone: ZoneRules(identifier: "Europe/Paris")!)
        let s = try openStore(dir, [energy, power], calendar: cal)
        let start: Int64 = 1_792_792_800
        try fill(s, from: start, minutes: 3 * 1440)
        try s.rollUp(now: start + 5 * 86_400)
        try writer(s, dir.file("archive")).run()
        let file = dir.file("archive/excel-eu/main/hour/2026/2026-10.csv")
        let script = """
            import csv, json, sys
            rows = list(csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline=''), delimiter=';'))
            h = rows[0]
            i = h.index('energy consumption [kWh]')
            print(json.dumps([float(r[i].replace(',', '.')) if r[i] else None for r in rows[1:]]))
            """
        let data = try PythonPeer.script(script, [file]).stdout
        let parsed = try #require(try JSONSerialization.jsonObject(with: data) as? [Any])
        let e = try s.channel(device: "main", channel: "energy")
        // The month file runs from the device's first hour to the last closed one.
        let hours = try s.buckets(.hour, channels: [e], from: start, to: s.watermark).filter { $0.end <= s.watermark }
        #expect(parsed.count == hours.count)
        for (v, h) in zip(parsed, hours) {
            let want = h.values[e.id].map { Double($0.consumption) / 1000 }
            #expect((v as? Double) == want)
        }
        // Three days of minutes are 72 hours (the 25-hour day included) and add up to the store's days.
        let withData = parsed.compactMap { $0 as? Double }
        #expect(withData.count == 72)
        let days = try s.buckets(.day, channels: [e], from: start, to: start + 3 * 86_400 + 3600)
        let dayTotal = days.reduce(Int64(0)) { $0 + ($1.values[e.id]?.consumption ?? 0) }
        #expect(Int64((withData.reduce(0, +) * 1000).rounded()) == dayTotal)
    }

    @Test func closedFilesStayPutGrowingFilesAppendAndLateDataReplaces() throws {
        let dir = TempDir()
        let cal = SiteCalendar(zone: ZoneRules(identifier: "Europe/Paris")!)
        let s = try openStore(dir, [energy, power], calendar: cal)
        let root = dir.file("archive")
        let day1: Int64 = 1_792_792_800 // 2026-10-24 00:00 local
        try fill(s, from: day1, minutes: 1440 + 120, gap: 0..<0)
        try s.rollUp(now: day1 + 1440 * 60 + 3600)
        let w = writer(s, root)
        let first = try w.run()
        #expect(first.created > 0)
        let closedFile = root + "/iso/main/minute/2026/10/2026-10-24.csv"
        let growing = root + "/iso/main/hour/2026/2026-10.csv"
        let mtime = try FileManager.default.attributesOfItem(atPath: closedFile)[.modificationDate] as? Date
        let grown = try #require(FileManager.default.contents(atPath: growing))
        Thread.sleep(forTimeInterval: 1.1)

        // Day 2 arrives: the month's hour file grows by whole lines; day 1 is left alone.
        try fill(s, from: day1 + 1560 * 60, minutes: 1440, gap: 0..<0, kwh: 600)
        try s.rollUp(now: day1 + 3 * 86_400)
        let second = try w.run()
        #expect(second.appended > 0)
        #expect(try FileManager.default.attributesOfItem(atPath: closedFile)[.modificationDate] as? Date == mtime)
        let after = try #require(FileManager.default.contents(atPath: growing))
        #expect(after.count > grown.count && after.prefix(grown.count) == grown)
        #expect(String(decoding: after, as: UTF8.self).hasSuffix("\r\n"))

        // current.csv is the file of the period in progress, as a hard link.
        let cur = root + "/iso/main/hour/2026/current.csv"
        let a = try FileManager.default.attributesOfItem(atPath: cur)[.systemFileNumber] as? Int
        let b = try FileManager.default.attributesOfItem(atPath: growing)[.systemFileNumber] as? Int
        #expect(a != nil && a == b)

        // SHA256SUMS holds for the closed minute files (checked with the real sha256sum).
        #expect(
            try shell("cd '\(root)/iso/main/minute/2026/10' && sha256sum -c SHA256SUMS").contains("2026-10-24.csv: OK"))

        // Late data for day 1: that day's file is replaced, its checksum follows.
        let p = try s.channel(device: "main", channel: "power").id
        try s.write([Sample(channel: p, ts: day1 + 600, value: 9999)])
        try s.rollUp(now: day1 + 3 * 86_400)
        let third = try w.run()
        #expect(third.replaced > 0)
        let text = try String(contentsOfFile: closedFile, encoding: .utf8)
        #expect(text.contains(",9999\r\n"))
        #expect(
            try shell("cd '\(root)/iso/main/minute/2026/10' && sha256sum -c SHA256SUMS").contains("2026-10-24.csv: OK"))
        // Nothing else to do: a fourth run touches no file.
        #expect(try w.run().touched == 0)
    }

    /// Quarter by quarter across two midnights, with roll-ups that sometimes jump several
    /// quarters: the incremental tree ends up byte for byte what a rebuild writes.
    @Test func incrementalRunsEqualARebuild() throws {
        let dir = TempDir()
        let cal = SiteCalendar(zone: ZoneRules(identifier: "Asia/Kolkata")!)
        let s = try openStore(dir, [energy, power], calendar: cal)
        let start: Int64 = 1_792_693_800 + 20 * 3600 // 20:00 local, four hours before midnight
        let w = writer(s, dir.file("inc"))
        var m = 0
        var step = 0
        while m < 2 * 1440 {
            let n = [15, 45, 30, 75][step % 4]
            try fill(s, from: start + Int64(m) * 60, minutes: n, gap: 0..<0, kwh: 500 + Double(m))
            m += n
            step += 1
            // As the sampler does: the newest quarter waits for the reading at its end.
            try s.rollUp(now: start + Int64(m) * 60 + 60)
            #expect(try s.archiveDirty().ranges.isEmpty)
            try w.run()
        }
        try writer(s, dir.file("full")).run(rebuild: true)
        let files =
            FileManager.default.enumerator(atPath: dir.file("full"))?.compactMap { $0 as? String }.filter {
                $0.hasSuffix(".csv") || $0.hasSuffix("SHA256SUMS")
            } ?? []
        #expect(files.count > 20)
        for f in files {
            #expect(
                FileManager.default.contents(atPath: dir.file("inc/" + f))
                    == FileManager.default.contents(atPath: dir.file("full/" + f)), "\(f)")
        }
    }

    @Test func readersNeverSeeHalfAFile() throws {
        let dir = TempDir()
        let cal = SiteCalendar(zone: ZoneRules(identifier: "Europe/Paris")!)
        let s = try openStore(dir, [energy, power], calendar: cal)
        let root = dir.file("archive")
        let day: Int64 = 1_792_792_800
        let file = root + "/excel-eu/main/minute/2026/10/2026-10-24.csv"
        let reader = ReaderLoop(path: file)
        reader.start()
        let p = try s.channel(device: "main", channel: "power").id
        try fill(s, from: day, minutes: 30, gap: 0..<0)
        let w = writer(s, root)
        for round in 0..<40 {
            // Alternately grow the day (appends) and change an old minute (atomic replace).
            try fill(s, from: day + Int64(30 + round * 15) * 60, minutes: 15, gap: 0..<0, kwh: 600 + Double(round))
            if round % 2 == 1 { try s.write([Sample(channel: p, ts: day + 60, value: Double(round))]) }
            try s.rollUp(now: day + Int64(45 + round * 15) * 60 + 180)
            try w.run()
        }
        let result = reader.stop()
        #expect(result.reads > 10)
        #expect(result.torn.isEmpty, "a reader saw a torn file: \(result.torn.first ?? "")")
    }

    @Test func staleFilesAreKeptUnlessPruneAndForeignFilesAreNeverTouched() throws {
        let dir = TempDir()
        let cal = SiteCalendar(zone: ZoneRules(identifier: "Europe/Paris")!)
        let sub = ChannelSpec(device: "sub", id: "energy", unit: "kWh", kind: .counter)
        let s = try openStore(dir, [energy, power, sub], calendar: cal)
        let start: Int64 = 1_792_792_800
        try fill(s, from: start, minutes: 1500)
        let subID = try s.channel(device: "sub", channel: "energy").id
        try s.write((0..<1500).map { Sample(channel: subID, ts: start + Int64($0) * 60, value: Double($0)) })
        try s.rollUp(now: start + 2 * 86_400)
        let root = dir.file("archive")
        try writer(s, root, devices: ["main", "sub"]).run()
        let subFile = root + "/iso/sub/day/2026.csv"
        #expect(FileManager.default.fileExists(atPath: subFile))
        try "mine".write(toFile: root + "/iso/notes.txt", atomically: true, encoding: .utf8)
        // "sub" removed from the config: listed, kept.
        let kept = try writer(s, root, devices: ["main"]).run()
        #expect(kept.stale.contains("iso/sub/day/2026.csv"))
        #expect(FileManager.default.fileExists(atPath: subFile))
        // With prune: deleted; a file Strata did not write stays.
        let pruned = try writer(s, root, prune: true, devices: ["main"]).run()
        #expect(pruned.pruned > 0)
        #expect(!FileManager.default.fileExists(atPath: subFile))
        #expect(FileManager.default.fileExists(atPath: root + "/iso/notes.txt"))
        #expect(FileManager.default.fileExists(atPath: root + "/README.txt"))
    }

    func shell(_ cmd: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", cmd]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: d, as: UTF8.self)
    }
}

/// Reads a file in a loop on another thread and records any version that is not whole:
/// no BOM and header, a last line without CRLF, or rows of the wrong width.
final class ReaderLoop: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var running = true
    private var reads = 0
    private var torn: [String] = []
    private let done = DispatchSemaphore(value: 0)

    init(path: String) { self.path = path }

    func start() {
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) {
                guard let d = FileManager.default.contents(atPath: path) else { continue }
                let text = String(decoding: d, as: UTF8.self)
                var problem: String? = nil
                if !text.hasPrefix("\u{FEFF}start;") {
                    problem = "no header"
                } else if !text.hasSuffix("\r\n") {
                    problem = "last line cut"
                } else {
                    let lines = text.split(separator: "\r\n")
                    let width = lines[0].split(separator: ";", omittingEmptySubsequences: false).count
                    if let bad = lines.first(where: {
                        $0.split(separator: ";", omittingEmptySubsequences: false).count != width
                    }) {
                        problem = "row of the wrong width: \(bad)"
                    }
                }
                lock.withLock {
                    reads += 1
                    if let p = problem { torn.append(p) }
                }
            }
            done.signal()
        }
    }

    func stop() -> (reads: Int, torn: [String]) {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { (reads, torn) }
    }
}

/// AMPds2 water and gas around the 2013 fall-back night: each minute day file's consumption
/// column adds up to the store's day, and the day files agree with the store.
@Suite(.serialized) struct ArchiveRealDataTests {
    @Test func ampdsDayFilesAddUpToTheStore() throws {
        let dir = TempDir()
        let water = ChannelSpec(device: "water", id: "volume", unit: "L", kind: .counter)
        let gas = ChannelSpec(device: "gas", id: "volume", unit: "L", kind: .counter)
        let s = try openStore(dir, [water, gas])
        // 2013-10-20 .. 2013-11-10 local: three weeks with the 25-hour 2013-11-03.
        let from: Int64 = 1_382_252_400
        let to: Int64 = 1_384_070_400
        for (spec, file) in [(water, Fixtures.water), (gas, Fixtures.gas)] {
            let ch = try s.channel(device: spec.device, channel: spec.id)
            let rows = try Fixtures.column(file, "counter").filter { $0.0 >= from && $0.0 < to }
            try s.write(rows.map { Sample(channel: ch.id, ts: $0.0, value: $0.1) })
        }
        try s.rollUp(now: to + 86_400)
        let root = dir.file("archive")
        try ArchiveWriter(
            store: s, root: root, dialects: [.excelEU, .iso], devices: ["water", "gas"], prune: false,
            siteName: "AMPds2"
        ).run()
        var checked = 0
        for device in ["water", "gas"] {
            let ch = try s.channel(device: device, channel: "volume")
            let days = try s.buckets(.day, channels: [ch], from: from, to: to)
            for d in days {
                let date = vancouver.label(d.start).local.date
                let y = String(date.year)
                let m = date.month < 10 ? "0\(date.month)" : "\(date.month)"
                let dd = date.day < 10 ? "0\(date.day)" : "\(date.day)"
                let path = "\(root)/iso/\(device)/minute/\(y)/\(m)/\(y)-\(m)-\(dd).csv"
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let lines = text.split(separator: "\r\n")
                let idx = try #require(lines[0].split(separator: ",").firstIndex(of: "volume consumption [L]"))
                var sum: Int64 = 0
                for l in lines.dropFirst() {
                    let f = l.split(separator: ",", omittingEmptySubsequences: false)
                    if let v = Double(f[idx]) { sum += Int64((v * 1000).rounded()) }
                }
                // Minutes in the file: the day's real length (23, 24 or 25 hours).
                #expect(lines.count - 1 == Int((d.end - d.start) / 60))
                #expect(sum == d.values[ch.id]?.consumption, "\(path)")
                checked += 1
            }
            // The excel-eu day file of 2013 holds the same days, with decimal commas.
            let eu = try String(contentsOfFile: "\(root)/excel-eu/\(device)/day/2013.csv", encoding: .utf8)
            let euRows = eu.split(separator: "\r\n").dropFirst()
            for (row, d) in zip(euRows, days) {
                let f = row.split(separator: ";", omittingEmptySubsequences: false)
                let v = Double(f[3].replacingOccurrences(of: ",", with: ".")) ?? -1
                #expect(Int64((v * 1000).rounded()) == d.values[ch.id]?.consumption)
            }
        }
        #expect(checked == 42)
    }
}
