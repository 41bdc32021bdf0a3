import CBenchReference
import Foundation
import Logging
import StrataArchive
import StrataCore
import StrataStore

/// Benchmarks, run by hand: `swift run -c release strata-bench [ingest|wal|archive|poll|all] [options]`.
/// Figures go to docs/PERFORMANCE.md as ratios against a reference measured in the same run.
@main
struct Bench {
    static func main() async throws {
        var args = Array(CommandLine.arguments.dropFirst())
        let what = args.first.map { $0.hasPrefix("-") ? "all" : args.removeFirst() } ?? "all"
        func opt(_ name: String, _ def: Int) -> Int {
            guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return def }
            return v
        }
        let dir = NSTemporaryDirectory() + "strata-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // BENCH_KEEP=1 leaves the store and the tree for a look afterwards.
        defer {
            if ProcessInfo.processInfo.environment["BENCH_KEEP"] == nil {
                try? FileManager.default.removeItem(atPath: dir)
            }
        }
        if what == "ingest" || what == "all" {
            try ingest(dir: dir, channels: opt("--channels", 1000), days: opt("--days", 30))
        }
        if what == "archive" || what == "all" {
            try archive(dir: dir, devices: opt("--devices", 32), days: opt("--archive-days", 14))
        }
        if what == "poll" {
            try await PollBench.run(
                dir: dir, devices: opt("--devices", 250), gateways: opt("--gateways", 5), rounds: opt("--rounds", 5))
        }
        if what == "blocks" {
            try BlockBench.run(dir: dir)
        }
        if what == "alarms" {
            AlarmBench.run(
                channels: opt("--channels", 5000), rules: opt("--rules", 1000), minutes: opt("--minutes", 1440))
        }
        if what == "alarms-store" {
            try await AlarmStoreBench.run(
                dir: dir, channels: opt("--channels", 5000), rules: opt("--rules", 1000),
                minutes: opt("--minutes", 1440))
        }
        if what == "fleet" {
            try await FleetBench.run(
                dir: dir, channels: opt("--channels", 250), days: opt("--days", 7), port: opt("--port", 55433),
                minute: opt("--minute", 0) != 0)
        }
        if what == "fleet-tree" {
            try await FleetTreeBench.run(
                dir: dir, sites: opt("--sites", 40), channels: opt("--channels", 250), days: opt("--days", 365),
                port: opt("--port", 55434))
        }
        if what == "calculated" {
            try CalculatedBench.run(dir: dir, channels: opt("--channels", 5000), minutes: opt("--minutes", 120))
        }
        if what == "mqtt" {
            try MQTTBench.run(
                dir: dir, channels: opt("--channels", 5000), minutes: opt("--minutes", 5), port: opt("--port", 18883))
        }
        if what == "web" {
            try await WebBench.run(
                dir: dir, channels: opt("--channels", 20), days: opt("--days", 31), port: opt("--port", 8089))
        }
        if what == "mail" {
            try await MailBench.run(dir: dir, count: opt("--count", 200), sizeKB: opt("--size", 100))
        }
        if what == "wal" || what == "all" {
            try writeAmplification(dir: dir, channels: opt("--wal-channels", 5000), minutes: opt("--minutes", 90))
        }
    }

    static let start: Int64 = 1_767_222_000 // 2025-12-31 23:00 UTC = 2026-01-01 00:00 Paris
    static let paris = SiteCalendar(zone: ZoneRules(identifier: "Europe/Paris")!)

    static func specs(_ n: Int) -> [ChannelSpec] {
        (1...n).map { c in
            // Odd channels are counters, even ones gauges, 20 channels to a device.
            c % 2 == 1
                ? ChannelSpec(device: "d\((c - 1) / 20)", id: "c\(c)", unit: "kWh", kind: .counter)
                : ChannelSpec(device: "d\((c - 1) / 20)", id: "c\(c)", unit: "W", kind: .gauge)
        }
    }

    @inline(__always) static func value(_ m: Int, _ c: Int) -> Double {
        c % 2 == 1 ? 1000.0 + Double(m) * 0.01 * Double(c) : Double((m * 7 + c) % 1000)
    }

    static func clock() -> Double { Date().timeIntervalSince1970 }

    static func ingest(dir: String, channels: Int, days: Int) throws {
        let minutes = days * 1440
        let points = Double(channels * minutes)
        print("# ingest: \(channels) channels x \(days) days = \(Int(points)) points")

        let refPath = dir + "/reference.sqlite"
        var t = clock()
        guard bench_reference_insert(refPath, Int32(channels), Int32(minutes), start, 100_000) == 0 else {
            print("reference insert failed")
            return
        }
        let refSecs = clock() - t
        print(
            String(
                format: "reference (C, prepared statement, same schema): %.1f s, %.0f points/s", refSecs,
                points / refSecs))

        let path = dir + "/strata.sqlite"
        let store = try Store(path: path, channels: specs(channels), calendar: paris)
        let ids = store.channels.map(\.id)
        var batch: [Sample] = []
        batch.reserveCapacity(100_000)
        t = clock()
        for m in 0..<minutes {
            let ts = start + Int64(m) * 60
            for c in 1...channels {
                batch.append(Sample(channel: ids[c - 1], ts: ts, value: value(m, c)))
            }
            if batch.count >= 100_000 {
                try store.write(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try store.write(batch)
        let secs = clock() - t
        print(
            String(
                format: "strata Store.write:                             %.1f s, %.0f points/s, %.2fx the reference",
                secs, points / secs, refSecs / secs))

        t = clock()
        let r = try store.rollUp(now: start + Int64(minutes) * 60 + 3600)
        let rsecs = clock() - t
        print(
            String(
                format: "roll-up to all tiers: %.1f s, %.0f points/s, %d buckets", rsecs, points / rsecs,
                r.bucketsWritten))

        try store.checkpoint()
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.doubleValue ?? 0
        let refSize = (try FileManager.default.attributesOfItem(atPath: refPath)[.size] as? NSNumber)?.doubleValue ?? 0
        print(
            String(
                format:
                    "bytes on disk per minute point: %.1f (whole store incl. roll-ups; reference minute table alone: %.1f)",
                size / points, refSize / points))

        // Export: the hour tier of every device to CSV.
        let exporter = CSVExporter(store: store, dialect: .iso)
        var rows = 0
        var bytes = 0
        t = clock()
        for d in Set(store.channels.map(\.spec.device)).sorted() {
            rows += try exporter.export(
                .hour, channels: store.channels(ofDevice: d), from: start, to: start + Int64(minutes) * 60
            ) { bytes += $0.count }
        }
        let esecs = clock() - t
        print(
            String(
                format: "export hour tier: %d rows (20 channels each) in %.2f s, %.0f rows/s, %.1f MB/s", rows, esecs,
                Double(rows) / esecs, Double(bytes) / esecs / 1e6))

        // Reference: the sqlite3 shell's -csv output of the stored hour rows of each device
        // (one line per bucket and channel, no labels, no pivot), in the same run.
        var sql = ""
        for d in Set(store.channels.map(\.spec.device)).sorted() {
            let ids = store.channels(ofDevice: d).map { String($0.id) }.joined(separator: ",")
            sql +=
                "SELECT start, channel, count, min, max, sum, consumption, first, last FROM agg WHERE tier = 2 AND start >= \(start) AND start < \(start + Int64(minutes) * 60) AND channel IN (\(ids)) ORDER BY start, channel;\n"
        }
        let (out, rsecs2) = try sqliteShellCSV(path, sql)
        let refRows = out.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
        print(
            String(
                format:
                    "reference sqlite3 -csv of the same hour rows: %d lines in %.2f s (%.0f bucket-rows/s equivalent); strata %.2fx",
                refRows, rsecs2, Double(rows) / rsecs2, rsecs2 / esecs))
        try minuteReads(store, refPath: refPath, minutes: minutes)
    }

    /// Issue 14's read targets on the compacted store: one channel-day of minutes, and a month of
    /// minutes of one 20-channel device exported to CSV; against the row format, the reference's
    /// minute table of the same points read by the sqlite3 shell in the same run.
    static func minuteReads(_ store: Store, refPath: String, minutes: Int) throws {
        let device = store.channels(ofDevice: "d0")
        let end = start + Int64(minutes) * 60
        let exporter = CSVExporter(store: store, dialect: .iso)
        var bytes = 0
        var t = clock()
        let lines = try exporter.export(.minute, channels: device, from: start, to: end) { bytes += $0.count }
        let secs = clock() - t
        let values = Double(lines * device.count)
        let ids = device.map { String($0.id) }.joined(separator: ",")
        let (out, refSecs) = try sqliteShellCSV(
            refPath,
            "SELECT ts, channel, value FROM minute WHERE ts >= \(start) AND ts < \(end) AND channel IN (\(ids)) ORDER BY ts, channel;\n"
        )
        print(
            String(
                format:
                    "export minute tier of one device (%d channels, %d days): %.0f values in %.2f s = %.0f values/s (%.1f MB CSV); sqlite3 -csv of the same values from the row-format reference: %.2f s (%.1f MB); strata %.2fx",
                device.count, minutes / 1440, values, secs, values / secs, Double(bytes) / 1e6, refSecs,
                Double(out.count) / 1e6, refSecs / secs))
        // One channel-day through the store's public read, gauges and counters alike.
        var cells = 0
        var reads = 0
        t = clock()
        // UTC days, as the blocks are cut.
        for day in stride(from: start - floorMod(start, 86_400) + 86_400, to: end - 86_400, by: 86_400) {
            for c in store.channels.prefix(100) {
                try store.minutes(channels: [c], from: day, to: day + 86_400) { block in
                    cells += (0..<block.count).reduce(0) { $0 + (block.value(c.id, $1) == nil ? 0 : 1) }
                }
                reads += 1
            }
        }
        let readSecs = clock() - t
        print(
            String(
                format: "one channel-day read (Store.minutes, %d reads, %d values): %.1f µs each", reads, cells,
                readSecs / Double(reads) * 1e6))
    }

    /// Runs SQL through the sqlite3 shell in CSV mode: the reference reader. Returns the
    /// bytes it printed and the seconds it took.
    static func sqliteShellCSV(_ path: String, _ sql: String) throws -> (bytes: Data, seconds: Double) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sqlite3", "-csv", "-readonly", path]
        let input = Pipe()
        let output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        let t = clock()
        try p.run()
        input.fileHandleForWriting.write(Data(sql.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (out, clock() - t)
    }

    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(
            u.ru_stime.tv_usec) / 1e6
    }

    /// The archive: encoding rate against the sqlite3 shell, a rebuild, and the steady-state
    /// cost of keeping the tree current minute by minute.
    static func archive(dir: String, devices: Int, days: Int) throws {
        let channels = devices * 20
        print("# archive: \(devices) devices x 20 channels, \(days) days of minutes, dialects excel-eu and iso")
        let path = dir + "/archive.sqlite"
        let store = try Store(path: path, channels: specs(channels), calendar: paris)
        let ids = store.channels.map(\.id)
        let minutes = days * 1440
        var batch: [Sample] = []
        for m in 0..<minutes {
            let ts = start + Int64(m) * 60
            for c in 1...channels { batch.append(Sample(channel: ids[c - 1], ts: ts, value: value(m, c))) }
            if batch.count >= 100_000 {
                try store.write(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try store.write(batch)
        try store.rollUp(now: start + Int64(minutes) * 60)
        try store.checkpoint()
        let deviceIDs = Set(store.channels.map(\.spec.device)).sorted()

        // The minute tier of every channel, read as the rebuild reads it: a day at a time.
        var scanned = 0
        let scan0 = clock()
        try store.minutes(channels: store.channels, from: start, to: start + Int64(minutes) * 60) { b in
            scanned += b.count
        }
        print(
            String(
                format: "  minute tier read for all channels: %.2f s per day of data", (clock() - scan0) / Double(days))
        )

        // Encoding as the archive writer does it: read the hour tier once for every channel,
        // then write one CSV per device. Reference: the sqlite3 shell's -csv output of the same
        // stored rows in one query (unpivoted: a line per bucket and channel, no labels).
        var t = clock()
        var rows = 0
        var bytes = 0
        let all = try store.bucketBlock(.hour, channels: store.channels, from: start, to: start + Int64(minutes) * 60)
        let readSeconds = clock() - t
        for d in deviceIDs {
            let table = CSVTable(
                tier: .hour, dialect: .iso, channels: store.channels(ofDevice: d), calendar: store.calendar)
            let cols = table.columns.map { all.columnIndex($0.channel.id) }
            var w = CSVWriter(dialect: .iso)
            table.writeHeader(&w)
            for i in 0..<all.count {
                table.writeRow(&w, all, i, columns: cols)
                rows += 1
            }
            bytes += w.bytes.count
        }
        let enc = clock() - t
        print(String(format: "  of which reading the tier from the store: %.2f s", readSeconds))
        let sql =
            "SELECT datetime(start, 'unixepoch'), channel, count, min, max, sum, consumption, first, last FROM agg WHERE tier = 2 ORDER BY start, channel;\n"
        let (refOut, ref) = try sqliteShellCSV(path, sql)
        let refBytes = refOut.count
        print(
            String(
                format:
                    "CSV encoding (hour tier, read once, a file per device, 20 channels a row): %d rows, %.1f MB in %.2f s = %.0f rows/s, %.1f MB/s; sqlite3 -csv of the same rows: %.1f MB in %.2f s; strata %.2fx",
                rows, Double(bytes) / 1e6, enc, Double(rows) / enc, Double(bytes) / enc / 1e6, Double(refBytes) / 1e6,
                ref, ref / enc))

        // Rebuild: the whole tree from nothing.
        let root = dir + "/archive"
        var quiet = Logger(label: "bench")
        quiet.logLevel = .warning
        let writer = ArchiveWriter(
            store: store, root: root, dialects: [.excelEU, .iso], devices: deviceIDs, prune: false, siteName: "bench",
            logger: quiet)
        // The peak RSS of the rebuild alone: Linux resets VmHWM when 5 is written to clear_refs.
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        print(
            String(
                format: "  peak RSS before the rebuild (after a reset): %.0f MB",
                Double(PollBench.procStats(getpid()).1) / 1e6))
        t = clock()
        let rebuildCPU0 = cpuSeconds()
        let s = try writer.run(rebuild: true)
        let rb = clock() - t
        let peak = PollBench.procStats(getpid()).1
        print(
            String(
                format: "rebuild: %d files in %.1f s (%.2f s per day of data; CPU %.1f s; peak RSS %.0f MB)",
                s.created, rb, rb / Double(days), cpuSeconds() - rebuildCPU0, Double(peak) / 1e6))

        // Steady state: a simulated day, minute by minute: write, roll up, refresh the tree.
        if ProcessInfo.processInfo.environment["BENCH_REBUILD_ONLY"] != nil { return }
        let io0 = writeBytes()
        let cpu0 = cpuSeconds()
        var archiveCPU = 0.0
        var archiveBytes: Int64 = 0
        var touched = 0
        for m in minutes..<(minutes + 1440) {
            let ts = start + Int64(m) * 60
            var b: [Sample] = []
            b.reserveCapacity(channels)
            for c in 1...channels { b.append(Sample(channel: ids[c - 1], ts: ts, value: value(m, c))) }
            try store.write(b)
            try store.rollUp(now: ts + 60)
            let c0 = cpuSeconds()
            let b0 = writeBytes()
            touched += try writer.run().touched
            archiveCPU += cpuSeconds() - c0
            archiveBytes += writeBytes() - b0
        }
        let cpu = cpuSeconds() - cpu0
        let io = writeBytes() - io0
        print(
            String(
                format:
                    "steady state over a simulated day: archive refresh %.1f ms CPU per minute (with store writes and roll-up %.1f ms), %d file writes; archive wrote %.1f MB that day (whole process %.1f MB)",
                archiveCPU / 1440 * 1000, cpu / 1440 * 1000, touched, Double(archiveBytes) / 1e6, Double(io) / 1e6))
    }

    static func writeBytes() -> Int64 {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix("write_bytes:") {
            return Int64(line.split(separator: " ").last ?? "") ?? -1
        }
        return -1
    }

    static func writeAmplification(dir: String, channels: Int, minutes: Int) throws {
        print("# write amplification: \(channels) channels committed once a minute")
        let path = dir + "/wal.sqlite"
        let store = try Store(path: path, channels: specs(channels), calendar: paris)
        let ids = store.channels.map(\.id)
        var rollUpBytes: Int64 = 0
        var rollUpSeconds = 0.0
        func minute(_ m: Int) throws {
            let ts = start + Int64(m) * 60
            var batch: [Sample] = []
            batch.reserveCapacity(channels)
            for c in 1...channels { batch.append(Sample(channel: ids[c - 1], ts: ts, value: value(m, c))) }
            try store.write(batch)
            // As the sampler does: roll up after each minute (work only when a quarter closes).
            let b0 = writeBytes()
            let t0 = clock()
            try store.rollUp(now: ts + 60)
            rollUpBytes += writeBytes() - b0
            rollUpSeconds += clock() - t0
        }
        // Warm-up: an hour of history so the tables and roll-ups are in steady state.
        for m in 0..<60 { try minute(m) }
        rollUpBytes = 0
        rollUpSeconds = 0
        let before = writeBytes()
        let t = clock()
        let cpu0 = cpuSeconds()
        for m in 60..<(60 + minutes) { try minute(m) }
        let cpu1 = cpuSeconds()
        let written = Double(writeBytes() - before)
        let points = Double(channels * minutes)
        print(
            String(
                format:
                    "%d minutes: %.0f bytes written (WAL, checkpoints, roll-ups), %.1f bytes per point, %.2fx a 20-byte point; %.1f ms CPU per minute (wall %.1f s)",
                minutes, written, written / points, written / points / 20, (cpu1 - cpu0) / Double(minutes) * 1000,
                clock() - t))
        print(
            String(
                format: "of which roll-up: %.1f bytes per point, %.1f ms per minute", Double(rollUpBytes) / points,
                rollUpSeconds / Double(minutes) * 1000))
    }
}
