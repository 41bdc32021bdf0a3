import Foundation
import StrataTestSupport
import Testing

/// Fleet replication against a real PostgreSQL (initdb in a temp folder, loopback port,
/// password authentication): two sites push through `strata run`, the central day totals
/// equal each site's own export to the last digit; kills on either side lose and double
/// nothing; a late reading updates the central bucket; bad credentials and a missing server
/// are log lines, never a crash.
@Suite(.serialized) struct FleetCLITests {
    /// A site with one meter (two counters, one gauge), `days` of minute readings imported,
    /// and `[replication]` to the server.
    static func site(
        _ dir: TempDir, name: String, zone: String, pg: PostgresServer, password: String? = nil, start: Int64,
        days: Int,
        seed: UInt64, gap: Range<Int64>? = nil, batchRows: Int = 50_000
    ) throws -> String {
        try dir.write("pg.pass", (password ?? pg.password) + "\n")
        try dir.write(
            "strata.toml",
            SiteTOML.header(name: name, timezone: zone, store: dir.file("s.sqlite"))
                + SiteTOML.device(
                    "main", name: "Main meter",
                    channels: [
                        ("energy_import", "kWh", "counter"), ("water", "m3", "counter"),
                        ("power", "W", "gauge"),
                    ]) + """

                    [replication]
                    url = "\(pg.url)"
                    password_file = "pg.pass"
                    interval = "5 s"
                    timeout = "10 s"
                    batch_rows = \(batchRows)
                    """)
        var rng = SplitMix(seed: seed)
        var e = 10_000.0
        var w = 500.0
        var rows = ["unix_ts,e,w,p"]
        for k in 0...(days * 1440) {
            let t = start + Int64(k) * 60
            e += Double(rng.next() % 30) / 1000
            w += Double(rng.next() % 5) / 1000
            if let gap, gap.contains(t) { continue }
            rows.append("\(t),\(String(format: "%.3f", e)),\(String(format: "%.3f", w)),\(800 + rng.next() % 400)")
        }
        try dir.write("data.csv", rows.joined(separator: "\n") + "\n")
        let imp = try CLI.run([
            "import", "--config", dir.file("strata.toml"), "--device", "main", "--time-column", "unix_ts",
            "--time-format", "unix",
            "--map", "e=energy_import", "--map", "w=water", "--map", "p=power", dir.file("data.csv"),
        ])
        guard imp.status == 0 else { throw PostgresServer.Failure.tool("strata import", imp.stderr) }
        return dir.file("strata.toml")
    }

    /// Runs `strata run` until `done` holds (or 90 s), then stops it with SIGTERM.
    static func run(_ cfg: String, until done: () throws -> Bool) throws -> CLI.Result {
        let p = try CLI.start(["run", "--config", cfg, "--no-archive"])
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 0.5)
            if try done() { break }
        }
        kill(p.process.processIdentifier, SIGTERM)
        return p.finish()
    }

    /// Day consumption per local date, from the site's own `strata export`.
    static func siteDays(_ cfg: String, channel: String, from: String, to: String) throws -> [String: String] {
        let r = try CLI.run([
            "export", "--config", cfg, "--device", "main", "--tier", "day", "--from", from, "--to", to, "--dialect",
            "iso",
        ])
        let lines = r.stdout.split(whereSeparator: \.isNewline).map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        guard let header = lines.first,
            let col = header.firstIndex(where: {
                $0 == channel || $0.hasPrefix(channel + " ") || $0.hasPrefix(channel + "[")
            })
        else {
            return [:]
        }
        var out: [String: String] = [:]
        for l in lines.dropFirst() where l.count > col && !l[col].isEmpty { out[String(l[0].prefix(10))] = l[col] }
        return out
    }

    /// The same from the central server, through `strata fleet export`.
    static func centralDays(_ pg: PostgresServer, site: String, channel: String, from: String, to: String) throws
        -> [String: String]
    {
        let r = try CLI.run([
            "fleet", "export", "--url", pg.url, "--password-file", pg.dir + "/pw", "--tier", "day", "--from", from,
            "--to", to,
            "--site", site,
        ])
        var out: [String: String] = [:]
        for l in r.stdout.split(whereSeparator: \.isNewline).dropFirst() {
            let f = l.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            // The site by name as well as by id (the filter takes either; the tests name it).
            guard f.count >= 9, f[1] == site, f[3] == channel, !f[8].isEmpty else { continue }
            out[String(f[5].prefix(10))] = f[8]
        }
        return out
    }

    static let berlinStart: Int64 = 1_772_319_600 // 2026-03-01 00:00 Europe/Berlin
    static let vancouverStart: Int64 = 1_772_352_000 // 2026-03-01 00:00 America/Vancouver

    @Test func twoSitesReplicateAndTheirDayTotalsMatchToTheLastDigit() throws {
        let pg = try PostgresServer()
        let initR = try CLI.run(["fleet", "init", "--url", pg.url, "--password-file", pg.dir + "/pw"])
        #expect(initR.status == 0 && initR.stdout.contains("created the fleet schema"), "\(initR.stderr)")
        let again = try CLI.run(["fleet", "init", "--url", pg.url, "--password-file", pg.dir + "/pw"])
        #expect(again.stdout.contains("up to date"), "\(again.stdout)\(again.stderr)")
        let a = TempDir()
        let b = TempDir()
        // Vancouver changes to summer time on 8 March: a 23-hour day in the data.
        let ca = try Self.site(
            a, name: "Werk Berlin", zone: "Europe/Berlin", pg: pg, start: Self.berlinStart, days: 10, seed: 1)
        let cb = try Self.site(
            b, name: "Plant Vancouver", zone: "America/Vancouver", pg: pg, start: Self.vancouverStart, days: 10, seed: 2
        )
        let pa = try CLI.start(["run", "--config", ca, "--no-archive"])
        let rb = try Self.run(cb) {
            // Ten days and the day of the last reading, three channels.
            let n =
                (try? pg.psql(
                    "SELECT count(*) FROM bucket b JOIN site s USING (site) WHERE s.name = 'Plant Vancouver' AND tier = 3"
                ))
            return Int(n?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0 >= 30
        }
        Thread.sleep(forTimeInterval: 3)
        kill(pa.process.processIdentifier, SIGTERM)
        let ra = pa.finish()
        #expect(ra.status == 0 && rb.status == 0, "\(ra.stderr)\n\(rb.stderr)")
        for (cfg, name) in [(ca, "Werk Berlin"), (cb, "Plant Vancouver")] {
            for ch in ["energy_import", "water"] {
                let own = try Self.siteDays(cfg, channel: ch, from: "2026-03-01", to: "2026-03-11")
                let central = try Self.centralDays(pg, site: name, channel: ch, from: "2026-03-01", to: "2026-03-11")
                #expect(own.count == 10, "\(name) \(ch): \(own)")
                #expect(central == own, "\(name) \(ch)")
            }
        }
        // The whole fleet to a file is both sites' rows under one header; a site the server does
        // not know is an error, not an empty file.
        // A bare file name, as the README writes it, lands in the folder the command runs in.
        let outDir = TempDir()
        let all = try CLI.run(
            [
                "fleet", "export", "--url", pg.url, "--password-file", pg.dir + "/pw", "--from", "2026-03-01",
                "--to", "2026-03-11", "--dialect", "excel-eu", "--out", "march.csv",
            ], cwd: outDir.path)
        #expect(all.status == 0 && all.stderr.contains("60 rows written"), "\(all.stderr)")
        let euBytes = try Data(contentsOf: URL(fileURLWithPath: outDir.file("march.csv")))
        let eu = String(decoding: euBytes, as: UTF8.self)
        #expect(
            eu.hasPrefix("\u{FEFF}site;site_name;") && eu.contains(";Werk Berlin;") && eu.contains(";Plant Vancouver;"),
            "\(eu.prefix(300))")
        let none = try CLI.run([
            "fleet", "export", "--url", pg.url, "--password-file", pg.dir + "/pw", "--from", "2026-03-01", "--to",
            "2026-03-02",
            "--site", "Nowhere",
        ])
        #expect(none.status != 0 && none.stderr.contains("no site with the id or name \"Nowhere\""), "\(none.stderr)")

        // Names and units travel with the data; each site has its own id.
        let chans = try pg.psql(
            "SELECT s.name, c.device, c.channel, c.unit FROM channel c JOIN site s USING (site) ORDER BY 1, 3")
        #expect(
            chans.contains("Werk Berlin|main|energy_import|kWh") && chans.contains("Plant Vancouver|main|water|m3"),
            "\(chans)")
        #expect(
            try pg.psql("SELECT count(DISTINCT site) FROM bucket").trimmingCharacters(in: .whitespacesAndNewlines)
                == "2")
        // Partitioned by month.
        #expect(
            try pg.psql("SELECT count(*) FROM pg_inherits WHERE inhparent = 'bucket'::regclass").trimmingCharacters(
                in: .whitespacesAndNewlines) != "0")
        let check = try CLI.run(["check", "--config", ca])
        #expect(
            check.stdout.contains(
                "replication to \(pg.url): quarter, hour, day, month, year, every 5 s, 50000 buckets a push"),
            "\(check.stdout)")
        #expect(!check.stdout.contains("unencrypted"), "a server on loopback needs no TLS")
        let st = try CLI.run(["status", "--config", ca])
        #expect(st.stdout.contains("replication to \(pg.url)") && st.stdout.contains("day up to date"), "\(st.stdout)")

        // A server made by an older strata (schema version 1, no site_change) is migrated, and the
        // buckets it holds are in the first tree.
        _ = try pg.psql("DROP TABLE site_change; UPDATE strata_meta SET value = '1' WHERE key = 'schema_version'")
        let migrate = try CLI.run(["fleet", "init", "--url", pg.url, "--password-file", pg.dir + "/pw"])
        #expect(
            migrate.stdout.contains("migrated the fleet schema from version 1 to 2"),
            "\(migrate.stdout)\(migrate.stderr)")

        // The fleet archive tree: a folder per site and the _fleet roll-up.
        let tree = TempDir()
        let serve = try CLI.run([
            "fleet", "serve", "--url", pg.url, "--password-file", pg.dir + "/pw", "--archive", tree.path, "--once",
        ])
        #expect(serve.status == 0, "\(serve.stderr)")
        // (March's month and 2026's year are still open: no month or year files yet.)
        for f in [
            "iso/Werk-Berlin/day/2026.csv", "iso/Plant-Vancouver/day/2026.csv", "iso/_fleet/day/2026-03.csv",
            "excel-eu/_fleet/day/2026-03.csv",
        ] {
            #expect(FileManager.default.fileExists(atPath: tree.file(f)), "\(f)")
        }
        // Each site's days in the fleet's March, in its own time, with the same totals: ten, and
        // the 11th with its one reading at midnight, three channels each.
        let march = try String(contentsOfFile: tree.file("iso/_fleet/day/2026-03.csv"), encoding: .utf8).split(
            whereSeparator: \.isNewline)
        #expect(march.count == 1 + 2 * 11 * 3, "\(march.count) lines")
        let berlinTen =
            march.first { $0.contains(",Werk Berlin,main,energy_import,kWh,2026-03-10 00:00:00,") }.map(String.init)
            ?? ""
        let berlinOwn =
            try Self.siteDays(ca, channel: "energy_import", from: "2026-03-10", to: "2026-03-11")["2026-03-10"] ?? "?"
        #expect(
            berlinTen.split(separator: ",", omittingEmptySubsequences: false).dropFirst(8).first.map(String.init)
                == berlinOwn, "\(berlinTen)")
    }

    @Test func killingEitherSideMidCatchUpLosesAndDoublesNothing() throws {
        let pg = try PostgresServer()
        _ = try CLI.run(["fleet", "init", "--url", pg.url, "--password-file", pg.dir + "/pw"])
        let dir = TempDir()
        // Small batches: 40 days take many pushes, so the kills land between and inside them.
        let cfg = try Self.site(
            dir, name: "Site K", zone: "Europe/Berlin", pg: pg, start: Self.berlinStart, days: 40, seed: 3,
            batchRows: 1000)
        let quarters = (40 * 96 - 4) * 3 // 29 March is a 23-hour day in Berlin
        func count() -> Int {
            Int(
                (try? pg.psql("SELECT count(*) FROM bucket WHERE tier = 1"))?.trimmingCharacters(
                    in: .whitespacesAndNewlines) ?? "") ?? 0
        }
        // The site killed mid-catch-up, twice: once some rows are on the server, and again later.
        for target in [quarters / 5, quarters / 2] {
            let p = try CLI.start(["run", "--config", cfg, "--no-archive"])
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline && count() < target { Thread.sleep(forTimeInterval: 0.05) }
            kill(p.process.processIdentifier, SIGKILL)
            _ = p.finish()
        }
        #expect(count() < quarters, "the site was killed before it caught up")
        // The server crashes mid-catch-up and comes back.
        let p = try CLI.start(["run", "--config", cfg, "--no-archive"])
        let before = count()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && count() == before { Thread.sleep(forTimeInterval: 0.02) }
        pg.stop(immediate: true)
        Thread.sleep(forTimeInterval: 6)
        try pg.start()
        let end = Date().addingTimeInterval(90)
        var done = false
        while Date() < end && !done {
            Thread.sleep(forTimeInterval: 1)
            let st = try CLI.run(["status", "--config", cfg]).stdout
            done = st.contains("quarter up to date") && st.contains("day up to date") && !st.contains("late-data")
        }
        kill(p.process.processIdentifier, SIGTERM)
        let r = p.finish()
        #expect(done, "\(r.stderr.suffix(2000))")
        #expect(
            r.stderr.contains("replication failed") && r.stderr.contains("central server reachable again"),
            "\(r.stderr.suffix(2000))")
        // Every quarter-hour of the 40 days once per channel.
        let q = try pg.psql(
            "SELECT count(*), count(DISTINCT (channel, start)) FROM bucket WHERE tier = 1 AND start < '2026-04-10 00:00+02'"
        )
        #expect(q.trimmingCharacters(in: .whitespacesAndNewlines) == "\(quarters)|\(quarters)", "\(q)")
        let own = try Self.siteDays(cfg, channel: "energy_import", from: "2026-03-01", to: "2026-04-10")
        let central = try Self.centralDays(
            pg, site: "Site K", channel: "energy_import", from: "2026-03-01", to: "2026-04-10")
        #expect(own.count == 40 && central == own, "\(own.count) days at the site, \(central.count) central")
        let sums = try pg.psql(
            "SELECT tier, sum(consumption) FROM bucket WHERE channel = 'energy_import' AND tier IN (1, 2, 3) GROUP BY tier ORDER BY tier"
        )
        let totals = Set(
            sums.split(whereSeparator: \.isNewline).map { $0.split(separator: "|").last.map(String.init) ?? "" })
        #expect(totals.count == 1, "quarters, hours and days add up to the same: \(sums)")
    }

    @Test func aLateReadingUpdatesTheCentralBucket() throws {
        let pg = try PostgresServer()
        _ = try CLI.run(["fleet", "init", "--url", pg.url, "--password-file", pg.dir + "/pw"])
        let dir = TempDir()
        // Two hours of 3 March missing: those hours are interpolated at first.
        let gap = (Self.berlinStart + 2 * 86_400 + 10 * 3600)..<(Self.berlinStart + 2 * 86_400 + 12 * 3600)
        let cfg = try Self.site(
            dir, name: "Site L", zone: "Europe/Berlin", pg: pg, start: Self.berlinStart, days: 5, seed: 4, gap: gap)
        func hour() throws -> String {
            try pg.psql(
                "SELECT consumption FROM bucket WHERE channel = 'energy_import' AND tier = 2 AND start = '2026-03-03 10:00:00+01'"
            )
            .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = try Self.run(cfg) { (try? hour())?.isEmpty == false }
        let before = try hour()
        #expect(!before.isEmpty)
        // The gap's readings arrive late (a gateway's buffer), imported while the site is stopped.
        let all = try dir.read("data.csv").split(whereSeparator: \.isNewline)
        var late = ["unix_ts,e,w,p"]
        var rng = SplitMix(seed: 4)
        var e = 10_000.0
        var w = 500.0
        for k in 0...(5 * 1440) {
            let t = Self.berlinStart + Int64(k) * 60
            e += Double(rng.next() % 30) / 1000
            w += Double(rng.next() % 5) / 1000
            if gap.contains(t) {
                late.append("\(t),\(String(format: "%.3f", e)),\(String(format: "%.3f", w)),\(800 + rng.next() % 400)")
            }
        }
        #expect(late.count == 121 && all.count == 5 * 1440 + 2 - 120)
        try dir.write("late.csv", late.joined(separator: "\n") + "\n")
        let imp = try CLI.run([
            "import", "--config", cfg, "--device", "main", "--time-column", "unix_ts", "--time-format", "unix",
            "--map", "e=energy_import", "--map", "w=water", "--map", "p=power", dir.file("late.csv"),
        ])
        #expect(imp.status == 0, "\(imp.stderr)")
        let own = try Self.siteDays(cfg, channel: "energy_import", from: "2026-03-03", to: "2026-03-04")
        let dirty = sqliteShell(dir.file("s.sqlite"), "SELECT count(*) FROM replication_dirty")
        let second = try Self.run(cfg) { (try? hour()) != before }
        #expect(try hour() != before, "dirty ranges \(dirty); \(second.stderr.suffix(1500))")
        // Now the site's hour (from its own store) and the central one agree again.
        let siteHours = try CLI.run([
            "export", "--config", cfg, "--device", "main", "--tier", "hour", "--from", "2026-03-03", "--to",
            "2026-03-04", "--dialect", "iso",
        ]).stdout
        let ten =
            siteHours.split(whereSeparator: \.isNewline).first { $0.hasPrefix("2026-03-03 10:00:00") }.map(String.init)
            ?? ""
        let after = try hour()
        #expect(ten.contains(",\(Self.decimal(after))"), "\(ten) vs \(after)")
        #expect(
            try Self.centralDays(pg, site: "Site L", channel: "energy_import", from: "2026-03-03", to: "2026-03-04")
                == own)
    }

    /// Steps of 0.001 as the decimal the exports print.
    static func decimal(_ steps: String) -> String {
        guard let n = Int64(steps) else { return steps }
        return "\(n / 1000).\(String(format: "%03d", n % 1000))"
    }

    @Test func wrongCredentialsAndAMissingServerAreLogLinesNotACrash() throws {
        let pg = try PostgresServer()
        _ = try CLI.run(["fleet", "init", "--url", pg.url, "--password-file", pg.dir + "/pw"])
        let dir = TempDir()
        let cfg = try Self.site(
            dir, name: "Site W", zone: "UTC", pg: pg, password: "wrong", start: Self.berlinStart, days: 1, seed: 5)
        let r = try Self.run(cfg) { (try? CLI.run(["status", "--config", cfg]).stdout.contains("last error")) == true }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stderr.contains("replication failed") && r.stderr.contains("password authentication failed"),
            "\(r.stderr.suffix(1500))")
        // Logged once, not every retry.
        #expect(r.stderr.components(separatedBy: "replication failed").count == 2, "\(r.stderr.suffix(1500))")
        #expect(try pg.psql("SELECT count(*) FROM bucket").trimmingCharacters(in: .whitespacesAndNewlines) == "0")

        // Nobody listening at all.
        let port = Net.freePort()
        try dir.write(
            "strata.toml",
            try dir.read("strata.toml").replacingOccurrences(
                of: pg.url, with: "postgres://strata@127.0.0.1:\(port)/fleet"))
        let r2 = try Self.run(cfg) {
            (try? CLI.run(["status", "--config", cfg]).stdout.contains("cannot reach")) == true
        }
        #expect(r2.status == 0 && r2.stderr.contains("cannot reach the central server"), "\(r2.stderr.suffix(1500))")
        let st = try CLI.run(["status", "--config", cfg])
        #expect(st.stdout.contains("not sent yet"), "\(st.stdout)")
        let bad = try CLI.run([
            "fleet", "export", "--url", "postgres://strata@127.0.0.1:\(port)/fleet", "--from", "2026-03-01", "--to",
            "2026-03-02",
        ])
        #expect(bad.status != 0 && bad.stderr.contains("cannot reach the central server"), "\(bad.stderr)")
    }

    /// The minute tier replicated as one-reading buckets whose consumption adds up to the day;
    /// the lag metric high while the server is down and 0 once caught up; the fleet archive
    /// tree served by strata's own FTP server on a central box.
    @Test func minutesTheLagMetricAndTheFleetTreeOverFTP() throws {
        let pg = try PostgresServer()
        _ = try CLI.run(["fleet", "init", "--url", pg.url, "--password-file", pg.dir + "/pw"])
        let dir = TempDir()
        let web = Net.freePort()
        let cfg = try Self.site(
            dir, name: "Site M", zone: "Europe/Berlin", pg: pg, start: Self.berlinStart, days: 2, seed: 6)
        try dir.write(
            "strata.toml", try dir.read("strata.toml") + "\ntiers = [\"minute\", \"day\"]\n\n[web]\nport = \(web)\n")
        func lag() -> Double? {
            guard let text = try? Command.curl(["http://127.0.0.1:\(web)/metrics"]) else { return nil }
            return Command.metrics(text)["strata_replication_lag_seconds"]
        }
        func minutes() -> Int {
            Int(
                (try? pg.psql("SELECT count(*) FROM bucket WHERE tier = 0"))?.trimmingCharacters(
                    in: .whitespacesAndNewlines) ?? "") ?? 0
        }
        // The server down first: the site runs, and the metric says how far behind it is.
        pg.stop(immediate: true)
        let p = try CLI.start(["run", "--config", cfg, "--no-archive"])
        defer { if p.process.isRunning { p.process.terminate() } }
        #expect(p.waitForStderr("web server listening", seconds: 60), "\(p.early.suffix(1500))")
        var behind: Double?
        let d1 = Date().addingTimeInterval(30)
        while Date() < d1 && (behind ?? 0) < 86_400 {
            Thread.sleep(forTimeInterval: 0.5)
            behind = lag()
        }
        #expect((behind ?? 0) >= 86_400, "two days of data, none sent: \(String(describing: behind))")
        try pg.start()
        let d2 = Date().addingTimeInterval(90)
        var caughtUp = false
        while Date() < d2 && !caughtUp {
            Thread.sleep(forTimeInterval: 0.5)
            caughtUp = lag() == 0 && minutes() > 0
        }
        p.process.terminate()
        let r = p.finish()
        #expect(caughtUp, "\(r.stderr.suffix(1500))")

        // Every minute of both whole days, per channel, and a counter's minutes add up to its day.
        let days = [("2026-03-01 00:00+01", "2026-03-02 00:00+01"), ("2026-03-02 00:00+01", "2026-03-03 00:00+01")]
        for (a, b) in days {
            let n = try pg.psql(
                "SELECT count(*) FROM bucket WHERE tier = 0 AND channel = 'power' AND start >= '\(a)' AND start < '\(b)'"
            )
            #expect(n.trimmingCharacters(in: .whitespacesAndNewlines) == "1440", "\(a): \(n)")
            for ch in ["energy_import", "water"] {
                let m = try pg.psql(
                    "SELECT sum(consumption) FROM bucket WHERE tier = 0 AND channel = '\(ch)' AND start >= '\(a)' AND start < '\(b)'"
                )
                let d = try pg.psql(
                    "SELECT consumption FROM bucket WHERE tier = 3 AND channel = '\(ch)' AND start = '\(a)'")
                let mt = m.trimmingCharacters(in: .whitespacesAndNewlines)
                let dt = d.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(!dt.isEmpty && mt == dt, "\(ch) \(a): minutes \(mt), day \(dt)")
            }
            let g = try pg.psql(
                """
                SELECT (SELECT sum(sum) FROM bucket WHERE tier = 0 AND channel = 'power' AND start >= '\(a)' AND start < '\(b)')
                     = (SELECT sum FROM bucket WHERE tier = 3 AND channel = 'power' AND start = '\(a)')
                """)
            #expect(
                g.trimmingCharacters(in: .whitespacesAndNewlines) == "t", "\(a): the gauge's minutes sum to its day")
        }
        let own = try Self.siteDays(cfg, channel: "energy_import", from: "2026-03-01", to: "2026-03-03")
        let centralDays = try Self.centralDays(
            pg, site: "Site M", channel: "energy_import", from: "2026-03-01", to: "2026-03-03")
        #expect(own.count == 2 && own == centralDays)

        // A central box: no meters, [fleet] keeping its archive (the fleet tree), anonymous FTP.
        let central = TempDir()
        let tree = central.file("fleet")
        let ftp = Net.freePort()
        let centralWeb = Net.freePort()
        try central.write(
            "central.toml",
            SiteTOML.header(name: "Fleet", timezone: "UTC", store: central.file("c.sqlite"), archive: tree) + """

                [fleet]
                url = "\(pg.url)"
                password_file = "\(pg.dir)/pw"
                interval = "10 s"

                [ftp]
                listen = "127.0.0.1"
                port = \(ftp)
                anonymous = true

                [web]
                port = \(centralWeb)
                """)
        let centralCheck = try CLI.run(["check", "--config", central.file("central.toml")])
        #expect(
            centralCheck.stdout.contains("fleet archive from \(pg.url) into \(tree)"),
            "\(centralCheck.stdout)\(centralCheck.stderr)")
        let c = try CLI.start(["run", "--config", central.file("central.toml")])
        defer { if c.process.isRunning { c.process.terminate() } }
        #expect(c.waitForStderr("fleet archive refreshed", seconds: 60), "\(c.early.suffix(1500))")
        // Its status and metric say when the tree was last refreshed.
        var centralStatus = ""
        let d0 = Date().addingTimeInterval(15)
        while Date() < d0 && !centralStatus.contains("last refresh  2026-") {
            centralStatus = try CLI.run(["status", "--config", central.file("central.toml")]).stdout
            Thread.sleep(forTimeInterval: 0.3)
        }
        #expect(
            centralStatus.contains("fleet archive \(tree) from \(pg.url)")
                && centralStatus.contains("last refresh  2026-"), "\(centralStatus)")
        let refreshedAt = Command.metrics(try Command.curl(["http://127.0.0.1:\(centralWeb)/metrics"]))[
            "strata_fleet_archive_refreshed_timestamp_seconds"]
        #expect((refreshedAt ?? 0) > Date().timeIntervalSince1970 - 120, "\(String(describing: refreshedAt))")
        let listing = try Command.curl(["--list-only", "ftp://anonymous:x@127.0.0.1:\(ftp)/iso/"])
        #expect(listing.contains("Site-M") && listing.contains("_fleet"), "\(listing)")
        let file = "iso/Site-M/day/2026.csv"
        let served = try Command.curl(["ftp://anonymous:x@127.0.0.1:\(ftp)/" + file])
        let onDisk = try String(contentsOfFile: tree + "/" + file, encoding: .utf8)
        // 3 March so far: its one reading at midnight.
        #expect(
            !served.isEmpty && served == onDisk && served.contains(",2026-03-03 00:00:00,+01:00,1,0.000,"),
            "\(served.suffix(600))")

        // A third day arrives at the site and is pushed: the next refresh writes it.
        let last =
            try dir.read("data.csv").split(whereSeparator: \.isNewline).last.map {
                $0.split(separator: ",").map(String.init)
            } ?? []
        var e = Double(last.count > 1 ? last[1] : "") ?? 0
        var w = Double(last.count > 2 ? last[2] : "") ?? 0
        var day3 = ["unix_ts,e,w,p"]
        for k in 1...1440 {
            e += 0.012
            w += 0.002
            // The water meter is replaced at noon: a counter event, sent with the minutes.
            if k == 720 { w = 0.5 }
            day3.append(
                "\(Self.berlinStart + 2 * 86_400 + Int64(k) * 60),\(String(format: "%.3f", e)),\(String(format: "%.3f", w)),900"
            )
        }
        try dir.write("day3.csv", day3.joined(separator: "\n") + "\n")
        let imp = try CLI.run([
            "import", "--config", cfg, "--device", "main", "--time-column", "unix_ts", "--time-format", "unix",
            "--map", "e=energy_import", "--map", "w=water", "--map", "p=power", dir.file("day3.csv"),
        ])
        #expect(imp.status == 0, "\(imp.stderr)")
        _ = try Self.run(cfg) {
            let q =
                "SELECT consumption FROM bucket WHERE tier = 3 AND channel = 'energy_import' AND start = '2026-03-03 00:00+01'"
            return (try? pg.psql(q))?.trimmingCharacters(in: .whitespacesAndNewlines) == "17280"
        }
        var refreshed = ""
        let d3 = Date().addingTimeInterval(60)
        while Date() < d3 && !refreshed.contains(",17.280,") {
            Thread.sleep(forTimeInterval: 1)
            refreshed = (try? Command.curl(["ftp://anonymous:x@127.0.0.1:\(ftp)/iso/_fleet/day/2026-03.csv"])) ?? ""
        }
        #expect(refreshed.contains(",Site M,main,energy_import,kWh,2026-03-03 00:00:00,"), "\(refreshed.suffix(500))")
        let events = try pg.psql(
            "SELECT channel, action FROM counter_event WHERE ts >= '2026-03-03 11:00+01' AND ts < '2026-03-03 13:00+01'"
        )
        #expect(
            events.contains("water|"),
            "the replacement's event reached the server with the minute tier alone: \(events)")
        let own3 = try Self.siteDays(cfg, channel: "energy_import", from: "2026-03-03", to: "2026-03-04")
        #expect(own3["2026-03-03"] == "17.280", "\(own3)")
        #expect(refreshed.contains(",1441,17.280,") || refreshed.contains(",1440,17.280,"), "\(refreshed.suffix(500))")
        c.process.terminate()
        #expect(c.finish().status == 0)
    }
}
