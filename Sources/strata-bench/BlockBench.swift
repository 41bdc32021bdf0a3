import Foundation
import StrataCodec
import StrataConfig
import StrataCore
import StrataDatabase
import StrataRuntime
import StrataSampler
import StrataStore

/// Issue 14's measure: bytes per minute point of real (AMPds2) and simulated meter series,
/// encoded as `SeriesBlock`s of a UTC day per channel and stored in a SQLite table, against
/// the same points in the store's row format, in the same run; and the time to decode a
/// channel-day.
enum BlockBench {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/ampds2").path

    enum Failure: DatabaseFailure {
        case cannotOpen(path: String, reason: String)
        case cannotWrite(path: String, reason: String)
        case diskFull(path: String)
        case busy(path: String)
        case corrupt(path: String, reason: String)
        case sqlite(code: Int32, message: String, sql: String)
    }

    struct Series {
        var device: String
        var spec: ChannelSpec
        var points: [(Int64, Double)]
    }

    /// A CSV of the AMPds2 release: unix_ts, then the named columns.
    static func ampds2(_ file: String, device: String, columns: [(String, String, ChannelKind, Int)]) throws -> [Series]
    {
        let text: String
        if file.hasSuffix(".gz") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/gzip")
            p.arguments = ["-dc", fixtures + "/" + file]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
        } else {
            text = try String(contentsOfFile: fixtures + "/" + file, encoding: .utf8)
        }
        var lines = text.split(separator: "\n")
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        var out = columns.map { c in
            Series(
                device: device,
                spec: ChannelSpec(device: device, id: c.0, unit: c.1, kind: c.2, resolution: Resolution(decimals: c.3)),
                points: [])
        }
        let idx = columns.map { c in header.firstIndex(of: c.0) ?? -1 }
        for l in lines {
            let f = l.split(separator: ",", omittingEmptySubsequences: false)
            guard let t = Int64(f[0]) else { continue }
            for (k, i) in idx.enumerated() where i > 0 && i < f.count {
                if let v = Double(f[i]) { out[k].points.append((t - t % 60, v)) }
            }
        }
        return out
    }

    /// The demo's simulated meters through September 2026, so the month closes.
    static func simulated() throws -> [Series] {
        let cfg = try StrataConfig.parse(
            DemoSite.config(dataDir: "/tmp/x", archiveDir: "/tmp/x/a", timezone: "Europe/Zurich"),
            file: "/tmp/x/strata.toml")
        var out: [Series] = []
        let t0: Int64 = 1_788_220_800 // 2026-09-01 00:00 UTC
        for d in cfg.devices where d.isSimulated {
            var m = SimulatedMeter(device: d, zone: cfg.site.zone)
            var series = d.channels.prefix(d.readCount).map { Series(device: d.id, spec: $0, points: []) }
            for k in 0..<(30 * 1440) {
                let t = t0 + Int64(k) * 60
                for (c, v) in m.read(at: Double(t)).enumerated() where c < series.count {
                    if let v { series[c].points.append((t, v)) }
                }
            }
            out += series
        }
        return out
    }

    static func run(dir: String) throws {
        let electricity: [(String, String, ChannelKind, Int)] = [
            ("V", "V", .gauge, 1), ("I", "A", .gauge, 1), ("f", "Hz", .gauge, 2), ("DPF", "", .gauge, 2),
            ("APF", "", .gauge, 2),
            ("P", "W", .gauge, 0), ("Pt", "Wh", .counter, 0), ("Q", "var", .gauge, 0), ("Qt", "varh", .counter, 0),
            ("S", "VA", .gauge, 0), ("St", "VAh", .counter, 0),
        ]
        var all = try ampds2("Electricity_B1E-11.csv", device: "bedroom", columns: electricity)
        all += try ampds2("Water_WHW.csv.gz", device: "water", columns: [("counter", "L", .counter, 3)])
        all += try ampds2("NaturalGas_FRG.csv.gz", device: "gas", columns: [("counter", "L", .counter, 3)])
        let sim = try simulated()
        print(
            "# blocks: \(all.count) AMPds2 channels, \(sim.count) simulated channels (the demo's meters through September 2026)"
        )
        for (label, set) in [("AMPds2", all), ("simulated", sim)] {
            try measure(label, set, dir: dir + "/" + label)
        }
    }

    static func measure(_ label: String, _ set: [Series], dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // The row format: the same points through the store's write path, then checkpointed.
        let rowPath = dir + "/rows.sqlite"
        let store = try Store(
            path: rowPath, channels: set.map(\.spec), calendar: SiteCalendar(zone: ZoneRules(identifier: "UTC")!),
            retention: [:], budget: nil)
        var samples: [Sample] = []
        for s in set {
            let id = try store.channel(device: s.spec.device, channel: s.spec.id).id
            for (t, v) in s.points { samples.append(Sample(channel: id, ts: t, value: v)) }
        }
        samples.sort { ($0.ts, $0.channel) < ($1.ts, $1.channel) }
        for chunk in stride(from: 0, to: samples.count, by: 200_000) {
            try store.write(Array(samples[chunk..<min(samples.count, chunk + 200_000)]))
        }
        try store.checkpoint()
        let minuteBytes = try tableBytes(rowPath, "minute")

        // Blocks of a UTC day per channel, with the store's own cum/hwm of each reading.
        let blockPath = dir + "/blocks.sqlite"
        let db = try Database<Failure>(path: blockPath)
        try db.exec(
            """
            PRAGMA journal_mode = WAL;
            CREATE TABLE block(channel INTEGER, day INTEGER, data BLOB NOT NULL, PRIMARY KEY(channel, day)) WITHOUT ROWID;
            CREATE TABLE month(channel INTEGER, start INTEGER, data BLOB NOT NULL, PRIMARY KEY(channel, start));
            CREATE TABLE day(channel INTEGER, day INTEGER, data BLOB NOT NULL, UNIQUE(channel, day));
            """)
        let insertDay = try db.prepare("INSERT INTO day VALUES (?1, ?2, ?3)")
        let insertMonth = try db.prepare("INSERT INTO month VALUES (?1, ?2, ?3)")
        let insert = try db.prepare("INSERT INTO block VALUES (?1, ?2, ?3)")
        let rowsDB = try Database<Failure>(path: rowPath, readOnly: true)
        let read = try rowsDB.prepare("SELECT ts, value, cum, hwm FROM minute WHERE channel = ?1 ORDER BY ts")
        var lines: [String] = []
        var encoded: [[UInt8]] = []
        var encodeSeconds = 0.0
        var totalPoints = 0
        var totalBytes = 0
        try db.exec("BEGIN")
        for s in set {
            let ch = try store.channel(device: s.spec.device, channel: s.spec.id)
            var byDay: [Int64: [SeriesPoint]] = [:]
            var count = 0
            read.reset()
            read.bind(1, ch.id)
            while try read.step() {
                let ts = read.int(0)
                let day = ts - ((ts % 86_400) + 86_400) % 86_400
                byDay[day, default: []].append(
                    SeriesPoint(
                        slot: Int((ts - day) / 60), value: read.double(1), cum: read.optionalInt(2),
                        hwm: read.optionalInt(3)))
                count += 1
            }
            var bytes = 0
            // The same day blocks, a 30-day run of them to a row (length-prefixed): fewer, larger
            // rows pay less of SQLite's per-row and per-page overhead.
            var monthStart: Int64?
            var monthBlob: [UInt8] = []
            func flushMonth() throws(Failure) {
                guard let m = monthStart else { return }
                insertMonth.bind(1, ch.id)
                insertMonth.bind(2, m)
                insertMonth.bind(3, blob: monthBlob)
                try insertMonth.run()
                monthBlob.removeAll(keepingCapacity: true)
                monthStart = nil
            }
            for (day, points) in byDay.sorted(by: { $0.key < $1.key }) {
                let t = Bench.clock()
                let e = SeriesBlock(slots: 1440, decimals: s.spec.resolution.decimals, points: points).encoded()
                encodeSeconds += Bench.clock() - t
                bytes += e.count
                encoded.append(e)
                insert.bind(1, ch.id)
                insert.bind(2, day)
                insert.bind(3, blob: e)
                try insert.run()
                insertDay.bind(1, ch.id)
                insertDay.bind(2, day)
                insertDay.bind(3, blob: e)
                try insertDay.run()
                if let m = monthStart, day - m >= 30 * 86_400 { try flushMonth() }
                if monthStart == nil { monthStart = day }
                var n = e.count
                while n >= 0x80 {
                    monthBlob.append(UInt8(n & 0x7F) | 0x80)
                    n >>= 7
                }
                monthBlob.append(UInt8(n))
                monthBlob += e
            }
            try flushMonth()
            totalPoints += count
            totalBytes += bytes
            lines.append(
                String(
                    format: "  %@.%@ [%@, %d decimals]: %d points, %.3f B/point", s.spec.device, s.spec.id, s.spec.unit,
                    s.spec.resolution.decimals, count, Double(bytes) / Double(max(count, 1))))
        }
        try db.exec("COMMIT")
        try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
        let blockBytes = try tableBytes(blockPath, "block")
        let monthBytes = try tableBytes(blockPath, "month")
        let dayBytes = try tableBytes(blockPath, "day") + tableBytes(blockPath, "sqlite_autoindex_day_1")

        // Decode: every channel-day into columns (as the store will read them), a few times over.
        let reps = 5
        let t = Bench.clock()
        var check = 0
        for _ in 0..<reps {
            for e in encoded { check &+= try SeriesBlock.columns(e).value.count }
        }
        let decodeSeconds = Bench.clock() - t
        print("\(label): \(set.count) channels, \(totalPoints) minute points")
        for l in lines { print(l) }
        print(
            String(
                format:
                    "  blocks: %.3f B/point encoded (%.3f in their SQLite table) against the row format's minute table: %.2f B/point, same points, same run: %.1fx smaller",
                Double(totalBytes) / Double(totalPoints), Double(blockBytes) / Double(totalPoints),
                Double(minuteBytes) / Double(totalPoints),
                Double(minuteBytes) / Double(max(blockBytes, 1))))
        print(
            String(
                format:
                    "  the same blocks 30 days to a row (a rowid table): %.3f B/point in SQLite; a day to a row in a rowid table with a unique index: %.3f",
                monthBytes / Double(totalPoints), dayBytes / Double(totalPoints)))
        print(
            String(
                format: "  encode %.0f points/s; decode one channel-day %.1f µs (%d blocks, %.0f points/s)",
                Double(totalPoints) / encodeSeconds, decodeSeconds / Double(reps * encoded.count) * 1e6, encoded.count,
                Double(check) / decodeSeconds))
        try measureStore(store, rowPath: rowPath, rowMinuteBytes: minuteBytes, points: totalPoints, set: set)
    }

    /// The store itself once rolled up: closed days compacted into `minute_block`, every tier
    /// aggregated; against the row format's minute table measured above plus the same aggregates.
    static func measureStore(_ store: Store, rowPath: String, rowMinuteBytes: Double, points: Int, set: [Series]) throws
    {
        let last = set.flatMap { $0.points.map(\.0) }.max() ?? 0
        // The row format's aggregates first: rolled up without compaction.
        store.compactsClosedData = false
        var t = Bench.clock()
        try store.rollUp(now: last + 2 * 86_400)
        let rollSeconds = Bench.clock() - t
        try store.checkpoint()
        let rowAgg = try tableBytes(rowPath, "agg")
        let quarter = try store.aggregateCount(.quarter)
        let hour = try store.aggregateCount(.hour)
        let aggRows = Double(try Tier.aggregated.reduce(Int64(0)) { $0 + (try store.aggregateCount($1)) })
        t = Bench.clock()
        let days = try store.compactClosedDays()
        let months = try store.compactClosedMonths()
        let compactSeconds = Bench.clock() - t
        store.compactsClosedData = true
        try store.checkpoint()
        let blocks =
            try tableBytes(rowPath, "minute_block") + tableBytes(rowPath, "sqlite_autoindex_minute_block_1")
            + tableBytes(rowPath, "minute_block_day")
        let rows = try tableBytes(rowPath, "minute")
        let aggBlocks =
            try tableBytes(rowPath, "agg_block") + tableBytes(rowPath, "sqlite_autoindex_agg_block_1")
            + tableBytes(rowPath, "agg_block_span")
        let aggLeft = try tableBytes(rowPath, "agg")
        let used = Double(try store.usedBytes())
        let n = Double(points)
        let year = 525_960.0 // minutes in a year: bytes per point times this is bytes per channel-year
        print(
            String(
                format:
                    "  roll-up %.1f s, then compaction %.1f s (%d days of minutes, %d months of the quarter or hour tier)",
                rollSeconds, compactSeconds, days.days, months.months))
        print(
            String(
                format:
                    "  minute tier in the store: %.3f B/point (blocks and their indexes; %.0f bytes of rows left open) against %.2f in rows: %.1fx smaller",
                (blocks + rows) / n, rows, rowMinuteBytes / n, rowMinuteBytes / max(blocks + rows, 1)))
        print(
            String(
                format:
                    "  aggregates (%d quarter and %d hour buckets among %.0f): %.2f B per minute point as rows (%.1f B a row); %.3f compacted (quarter and hour blocks %.3f, day, month and year rows %.3f)",
                quarter, hour, aggRows, rowAgg / n, rowAgg / max(aggRows, 1), (aggBlocks + aggLeft) / n, aggBlocks / n,
                aggLeft / n))
        print(
            String(
                format:
                    "  whole store, all tiers: %.2f B/point = %.2f MB per channel-year, against %.2f B/point = %.2f MB in the row format (%.1fx smaller)",
                used / n, used / n * year / 1e6, (rowMinuteBytes + rowAgg) / n,
                (rowMinuteBytes + rowAgg) / n * year / 1e6,
                (rowMinuteBytes + rowAgg) / used))
    }

    /// Bytes of one table's pages (the dbstat view), so indexes and free pages do not blur it.
    static func tableBytes(_ path: String, _ table: String) throws -> Double {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [path, "SELECT sum(pgsize) FROM dbstat WHERE name = '\(table)'"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let s = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
        p.waitUntilExit()
        return Double(s) ?? 0
    }
}
