import Foundation
import StrataTestSupport
import Testing

@Suite(.serialized) struct CLITests {
    @Test func checkPrintsDevicesAndEstimates() throws {
        let dir = TempDir()
        try dir.write("strata.toml", houseConfig())
        let r = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("device water"))
        #expect(r.stdout.contains("power [W] gauge"))
        #expect(r.stdout.contains("minute"))
        #expect(r.stdout.contains("forever"))
    }

    @Test func badConfigNamesFileLineAndKeyAndExits2() throws {
        let dir = TempDir()
        try dir.write("strata.toml", houseConfig().replacingOccurrences(of: "kind = \"gauge\"", with: "kind = 5"))
        let r = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(r.status == 2)
        let line = houseConfig().components(separatedBy: "\n").firstIndex(of: "kind = \"gauge\"").map { $0 + 1 } ?? -1
        #expect(
            r.stderr.contains("\(dir.file("strata.toml")):\(line): devices[2].channels[1].kind: expected a string"),
            "\(r.stderr)")
    }

    @Test func importReportsBadRowsByLineAndExportsDays() throws {
        let dir = TempDir()
        try dir.write("strata.toml", houseConfig())
        // Local times, EU separators, a bad number, a time that DST skips and one it repeats.
        try dir.write(
            "in.csv",
            """
            time;flow
            2013-03-09 23:00;100,5
            2013-03-10 01:59;101,0
            2013-03-10 02:30;102,0
            2013-03-10 03:00;abc
            2013-03-10 04:00;103,25
            2013-11-03 01:30;104,0
            2013-11-04 00:00;110,0

            """)
        let r = try CLI.run([
            "import", "--config", dir.file("strata.toml"), "--device", "water", "--time-column", "time",
            "--time-format", "%Y-%m-%d %H:%M", "--map", "flow=volume", dir.file("in.csv"),
        ])
        #expect(r.status == 3)
        #expect(r.stderr.contains("in.csv:4: bad row: local time 2013-03-10 02:30:00 does not exist"), "\(r.stderr)")
        #expect(r.stderr.contains("in.csv:5: bad row: column \"flow\": \"abc\" is not a number"))
        #expect(r.stderr.contains("in.csv:7: bad row: local time 2013-11-03 01:30:00 happens twice"))
        #expect(r.stdout.contains("imported 4 rows"), "\(r.stdout)")
        #expect(r.stdout.contains("3 bad rows"))

        let e = try CLI.run([
            "export", "--config", dir.file("strata.toml"), "--device", "water", "--tier", "day",
            "--from", "2013-03-10", "--to", "2013-03-11", "--output", dir.file("day.csv"),
        ])
        #expect(e.status == 0, "\(e.stderr)")
        let csv = try dir.read("day.csv")
        let lines = csv.components(separatedBy: "\r\n")
        #expect(
            lines[0] == "start,start_utc,utc_offset,hours,volume consumption [L],volume reading [L],volume coverage [%]"
        )
        // 2013-03-10 is 23 hours long; 01:59 → 04:00 is 1 h 1 min of real time; 2.75 L.
        #expect(lines[1].hasPrefix("2013-03-10 00:00:00,2013-03-10T08:00:00Z,-08:00,23,"), "\(lines[1])")
        #expect(!csv.contains("null"))
    }

    @Test func excelDialectsAndMinuteTier() throws {
        let dir = TempDir()
        try dir.write("strata.toml", houseConfig())
        let imp = try CLI.run([
            "import", "--config", dir.file("strata.toml"), "--device", "bedroom", "--time-column", "unix_ts",
            "--time-format", "unix", "--map", "Pt=energy", "--map", "P=power", Fixtures.electricity,
        ])
        #expect(imp.status == 0, "\(imp.stderr)")
        let eu = try CLI.run([
            "export", "--config", dir.file("strata.toml"), "--device", "bedroom", "--tier", "hour",
            "--from", "2014-03-09", "--to", "2014-03-10", "--dialect", "excel-eu",
        ])
        let bytes = Array(eu.stdout.utf8)
        #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]))
        let rows = eu.stdout.dropFirst().components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(rows.count == 24) // header + 23 hours of the spring-forward day
        #expect(
            rows[0]
                == "start;utc_offset;hours;energy consumption [Wh];energy reading [Wh];power avg [W];power min [W];power max [W];energy coverage [%];power coverage [%]"
        )
        #expect(rows[1].hasPrefix("2014-03-09 00:00:00;UTC-08:00;1;"))
        #expect(rows[3].hasPrefix("2014-03-09 03:00:00;UTC-07:00;1;"))
        let m = try CLI.run([
            "export", "--config", dir.file("strata.toml"), "--device", "bedroom", "--tier", "minute",
            "--from", "2014-03-10", "--to", "2014-03-10 00:03",
        ])
        let mrows = m.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(mrows[0] == "start,start_utc,utc_offset,energy reading [Wh],energy consumption [Wh],power [W]")
        #expect(mrows.count == 4)
    }

    @Test func resetsAreListed() throws {
        let dir = TempDir()
        try dir.write("strata.toml", houseConfig())
        try dir.write("in.csv", "t,v\n1400000000,500\n1400000060,510\n1400000120,2\n1400000180,4\n")
        let r = try CLI.run([
            "import", "--config", dir.file("strata.toml"), "--device", "gas", "--time-column", "t",
            "--time-format", "unix", "--map", "v=volume", dir.file("in.csv"),
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let l = try CLI.run(["resets", "--config", dir.file("strata.toml"), "--device", "gas"])
        #expect(l.stdout.contains("2014-05-13 09:55:00,-07:00,gas,volume,510.000,2.000,reset"), "\(l.stdout)")
    }

    /// A roll-up killed with SIGKILL part-way leaves a store the next run completes, with the
    /// same result as an uninterrupted one.
    @Test func rollUpKilledMidwayIsCompletedByTheNextRun() throws {
        let ref = TempDir()
        let dir = TempDir()
        for d in [ref, dir] {
            try d.write("strata.toml", houseConfig())
            let r = try CLI.run([
                "import", "--config", d.file("strata.toml"), "--device", "gas", "--time-column", "unix_ts",
                "--time-format", "unix", "--map", "counter=volume", "--no-rollup", Fixtures.gas,
            ])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try CLI.run(["rollup", "--config", ref.file("strata.toml")]).status == 0)
        // Killed after its first committed window (the store's own progress marker, logged at
        // debug level): the kill lands inside the roll-up, not after it.
        let p = try CLI.start(
            ["rollup", "--config", dir.file("strata.toml")], environment: ["STRATA_LOG_LEVEL": "debug"])
        let sawWindow = p.waitForStderr("roll-up window committed", seconds: 60)
        kill(p.process.processIdentifier, SIGKILL)
        let killed = p.finish()
        #expect(sawWindow, "\(killed.stderr.suffix(500))")
        #expect(
            p.process.terminationReason == .uncaughtSignal && !killed.stdout.contains("rolled up"),
            "roll-up finished before it was killed")
        // The watermark stands between where the roll-up started and where it would end.
        let mark =
            Int64(sqliteShell(dir.file("data/strata.sqlite"), "SELECT value FROM meta WHERE key = 'watermark'")) ?? -1
        let end =
            Int64(sqliteShell(ref.file("data/strata.sqlite"), "SELECT value FROM meta WHERE key = 'watermark'")) ?? -1
        #expect(mark > 0 && mark < end, "watermark \(mark) after the kill, \(end) when complete")
        #expect(try CLI.run(["rollup", "--config", dir.file("strata.toml")]).status == 0)
        for tier in ["quarter", "hour", "day", "month", "year"] {
            let args = ["export", "--device", "gas", "--tier", tier, "--from", "2012-04-01", "--to", "2014-04-01"]
            let a = try CLI.run(args + ["--config", ref.file("strata.toml")])
            let b = try CLI.run(args + ["--config", dir.file("strata.toml")])
            #expect(a.status == 0 && b.status == 0)
            #expect(a.stdout.count > 100)
            #expect(a.stdout == b.stdout, "tier \(tier) differs after the interrupted roll-up")
        }
    }

    @Test func backupOfALiveStoreOpens() throws {
        let dir = TempDir()
        try dir.write("strata.toml", houseConfig())
        // Back up while another process is importing into the same store.
        let writer = try CLI.start([
            "import", "--config", dir.file("strata.toml"), "--device", "water", "--time-column", "unix_ts",
            "--time-format", "unix", "--map", "counter=volume", Fixtures.water,
        ])
        // Wait for the first committed batch, so the backup has something to be consistent about.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, sqlite(dir.file("data/strata.sqlite"), "SELECT count(*) > 0 FROM minute;") != "1\n" {
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(writer.process.isRunning, "the import ended before the backup could overlap it")
        let b = try CLI.run(["backup", "--config", dir.file("strata.toml"), "--to", dir.file("backup.sqlite")])
        #expect(b.status == 0, "\(b.stderr)")
        _ = writer.finish()
        #expect(
            sqlite(dir.file("backup.sqlite"), "PRAGMA integrity_check; SELECT count(*) > 0 FROM minute;") == "ok\n1\n")
    }

    /// Asks the sqlite3 shell, a reader that is not Strata.
    func sqlite(_ db: String, _ sql: String) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sqlite3", "-readonly", db, sql]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        do { try p.run() } catch { return "" }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
