import Foundation
import StrataTestSupport
import Testing

/// `strata demo`, the first thing a new user types.
@Suite(.serialized) struct DemoTests {
    @Test func demoBackfillsSamplesAndFillsTheArchive() throws {
        let dir = TempDir()
        let data = dir.file("demo")
        let ftpPort = Net.freePort()
        let p = try CLI.start([
            "demo", "--data", data, "--days", "3", "--time-scale", "30", "--ftp-port", "\(ftpPort)", "--web-port",
            "\(Net.freePort())",
        ])
        // Read the log as it comes, until the archive has caught up with the back-filled history.
        var err = ""
        let deadline = Date().addingTimeInterval(180)
        while Date() < deadline, !err.contains("archive up to date") {
            let d = p.err.fileHandleForReading.availableData
            if d.isEmpty { break }
            err += String(decoding: d, as: UTF8.self)
        }
        // The scheduled reports: no [smtp] in the demo, so they land in the outbox folder as .eml
        // files, once the archive holds their period (the ZIP carries its files).
        while Date() < deadline, err.components(separatedBy: "report saved").count - 1 < 4 {
            let d = p.err.fileHandleForReading.availableData
            if d.isEmpty { break }
            err += String(decoding: d, as: UTF8.self)
        }
        // The demo's kitchen meter goes quiet two minutes after the start: its offline alarm is
        // mailed (an .eml beside the reports) within a few simulated minutes.
        while Date() < deadline, !Self.emls(data).contains(where: { $0.hasPrefix("alarm-kitchen-offline-raised-") }) {
            Thread.sleep(forTimeInterval: 0.5)
        }
        Thread.sleep(forTimeInterval: 3) // a live minute or two
        // The archive as an Excel user gets it: over FTP, byte for byte what is on disk.
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-S", "ftp://demo:demo@127.0.0.1:\(ftpPort)/excel-eu/main/day/current.csv"]
        let got = Pipe()
        curl.standardOutput = got
        try curl.run()
        let fetched = got.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        let onDisk = FileManager.default.contents(atPath: data + "/archive/excel-eu/main/day/current.csv")
        #expect(curl.terminationStatus == 0)
        #expect(!fetched.isEmpty && fetched == onDisk)
        // A FileZilla-style session (AUTH TLS tried first, MLSD, binary download) and a Windows
        // Explorer-style one (lowercase OPTS, CWD with a trailing slash, TYPE A, LIST, SIZE after
        // opening the data connection), against the demo as users meet it.
        let sessions = """
            import ftplib, socket, sys
            port, archive = int(sys.argv[1]), sys.argv[2]
            disk = open(archive + "/excel-eu/main/day/current.csv", "rb").read()
            f = ftplib.FTP()
            f.connect("127.0.0.1", port)
            try:
                f.sendcmd("AUTH TLS")
            except ftplib.error_perm as e:
                print("filezilla auth", str(e)[:3])
            f.login("demo", "demo")
            print("filezilla opts", f.sendcmd("OPTS UTF8 ON")[:3])
            print("filezilla pwd", f.pwd())
            f.voidcmd("TYPE I")
            facts = dict(f.mlsd("/excel-eu/main/day"))
            print("filezilla mlsd", facts["current.csv"]["type"], int(facts["current.csv"]["size"]) == len(disk))
            data = bytearray()
            f.retrbinary("RETR /excel-eu/main/day/current.csv", data.extend)
            print("filezilla retr", bytes(data) == disk)
            f.quit()
            e = ftplib.FTP()
            e.connect("127.0.0.1", port)
            print("explorer opts", e.sendcmd("opts utf8 on")[:3])
            e.login("demo", "demo")
            e.cwd("/excel-eu/main/day/")
            print("explorer pwd", e.pwd())
            e.voidcmd("TYPE A")
            lines = []
            e.retrlines("LIST", lines.append)
            print("explorer list", any(l.endswith(" current.csv") for l in lines))
            host, p = e.makepasv()
            s = socket.create_connection((host, p))
            print("explorer size", int(e.sendcmd("SIZE current.csv").split()[1]) == len(disk))
            print("explorer retr", e.sendcmd("RETR current.csv")[:3])
            got = b""
            while True:
                b = s.recv(65536)
                if not b: break
                got += b
            s.close()
            print("explorer done", e.voidresp()[:3], got == disk)
            e.quit()
            """
        let py = Process()
        py.executableURL = URL(fileURLWithPath: ModbusSim.python)
        py.arguments = ["-c", sessions, "\(ftpPort)", data + "/archive"]
        let pyOut = Pipe()
        py.standardOutput = pyOut
        try py.run()
        let said = String(decoding: pyOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        py.waitUntilExit()
        for line in [
            "filezilla auth 5", "filezilla opts 200", "filezilla pwd /", "filezilla mlsd file True",
            "filezilla retr True",
            "explorer opts 200", "explorer pwd /excel-eu/main/day", "explorer list True", "explorer size True",
            "explorer retr 150", "explorer done 226 True",
        ] {
            #expect(said.contains(line), "\(line) in \(said)")
        }
        p.process.terminate()
        let r = p.finish()
        #expect(r.status == 0, "\(err)\(r.stderr)")
        #expect(r.stdout.contains("back-filling 3 days of history"), "\(r.stdout)")
        #expect(r.stdout.contains("archive  \(data)/archive"))
        // The hints name a strata that runs: this binary is on no PATH, so its full path.
        let hint = try #require(
            r.stdout.split(separator: "\n").first { $0.hasSuffix(" status --config \(data)/strata.toml") })
        let command = String(hint.trimmingCharacters(in: .whitespaces).split(separator: " ")[0])
        #expect(command != "strata" && FileManager.default.isExecutableFile(atPath: command), "\(hint)")
        #expect(err.contains("archive up to date"), "\(err)")
        let cfg = data + "/strata.toml"
        let day = try CLI.run(["export", "--config", cfg, "--device", "main", "--tier", "day"])
        #expect(day.status == 0, "\(day.stderr)")
        let rows = day.stdout.split(separator: "\r\n")
        #expect(rows.count >= 4, "\(day.stdout)") // header and at least 3 days
        #expect(rows.first?.contains("energy_import consumption [kWh]") == true)
        let files = FileManager.default.enumerator(atPath: data + "/archive")?.compactMap { $0 as? String } ?? []
        #expect(files.contains { $0.hasPrefix("excel-eu/main/day/") && $0.hasSuffix(".csv") }, "\(files.prefix(20))")
        #expect(files.contains { $0.hasPrefix("iso/water/minute/") })
        let st = try CLI.run(["status", "--config", cfg])
        #expect(st.stdout.contains("main (simulated): ok"), "\(st.stdout)")
        #expect(st.stdout.contains("gas (simulated): ok"))

        // The offline alarm, as the facility manager reads it.
        let alarmMail = try #require(
            Self.emls(data).first { $0.hasPrefix("alarm-kitchen-offline-raised-") }, "\(Self.emls(data))")
        let alarmText = try String(contentsOfFile: data + "/outbox/" + alarmMail, encoding: .utf8)
        #expect(
            alarmText.contains(
                "Subject: [Strata demo office] warning: kitchen-offline RAISED - Kitchen sub-meter (kitchen)"),
            "\(alarmText.prefix(800))")
        #expect(alarmText.contains("To: facility.manager@example.org"))

        // Reports: daily, weekly and monthly (two recipients), as a mail program would read them.
        let emls = Self.emls(data).filter { !$0.hasPrefix("alarm-") }
        #expect(emls.count == 4, "\(emls)\n\(err)")
        let parsed = try parseMessages(
            emls.map { data + "/outbox/" + $0 }, archive: data + "/archive", dialect: "excel-eu")
        let daily = try #require(
            parsed.first { ($0["subject"] as? String)?.hasPrefix("Daily report") == true },
            "\(parsed.map { $0["subject"] ?? "" })")
        #expect((daily["plain"] as? String)?.contains("Main electricity meter (main)") == true)
        let html = try #require(daily["html"] as? String)
        #expect(
            html.contains("<table") && !html.contains("<img") && !html.contains("<script") && !html.contains("src="))
        #expect((daily["zips"] as? [String])?.first?.hasPrefix("strata-strata-demo-office-daily-") == true)
        // Yesterday's minute file of each of the five meters and of the calculated channel, byte
        // for byte the archive's.
        #expect(daily["csv_equal"] as? Int == 6, "\(daily["csv_members"] ?? "")")
        // The demo shows the field breadth too: the unmetered rest, reactive energy.
        #expect((daily["plain"] as? String)?.contains("Main without HVAC and kitchen [kWh]") == true)
        #expect((daily["plain"] as? String)?.contains("Inductive reactive:") == true)
        #expect((daily["csv_differ"] as? [String])?.isEmpty == true)
        #expect(parsed.allSatisfy { ($0["csv_differ"] as? [String])?.isEmpty == true })
        let outbox = try CLI.run(["outbox", "--config", cfg])
        #expect(
            outbox.stdout.split(separator: "\n").filter { $0.hasPrefix("saved ") && !$0.contains("alarm:") }.count == 4,
            "\(outbox.stdout)")
        // Restarting does not mail the same periods again.
        let again = try CLI.start([
            "demo", "--data", data, "--days", "3", "--ftp-port", "\(Net.freePort())", "--web-port", "\(Net.freePort())",
        ])
        Thread.sleep(forTimeInterval: 8)
        again.process.terminate()
        let r2 = again.finish()
        #expect(!r2.stderr.contains("report queued"), "\(r2.stderr)")
        #expect(Self.emls(data).filter { !$0.hasPrefix("alarm-") }.count == 4)
        // The kitchen's outage raised once: a restart does not raise it again.
        #expect(Self.emls(data).filter { $0.hasPrefix("alarm-kitchen-offline-raised-") }.count == 1)

        // The night-water rule against the back-filled history: every whole night whose
        // 00:00-05:00 consumption (summed here from the hour export) is above 1 m³ is in the
        // alarm log as raised or still active, and no other night is.
        let hours = try CLI.run(["export", "--config", cfg, "--device", "water", "--tier", "hour", "--dialect", "iso"])
        var night: [String: (sum: Double, hours: Int)] = [:]
        for row in hours.stdout.split(whereSeparator: \.isNewline).dropFirst() {
            let f = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count > 4, let h = Int(f[0].dropFirst(11).prefix(2)), h < 5, let v = Double(f[4]) else { continue }
            let day = String(f[0].prefix(10))
            night[day, default: (0, 0)].sum += v
            night[day, default: (0, 0)].hours += 1
        }
        let log = try CLI.run(["alarms", "--config", cfg]).stdout.split(whereSeparator: \.isNewline).filter {
            $0.contains(",night-water,")
        }
        let flagged = Set(
            log.filter { $0.contains(",raised,") || $0.contains(",repeated,") }.map { String($0.prefix(10)) })
        // The back-fill's notices are one summary line, not a log line each into its progress.
        if let summary = r.stdout.split(separator: "\n").first(where: {
            $0.contains("found in the back-filled history")
        }) {
            let n = Int(summary.trimmingCharacters(in: .whitespaces).split(separator: " ")[0]) ?? 0
            #expect(n >= 1 && log.count >= n, "\(summary); log \(log)")
        }
        let whole = night.filter { $0.value.hours == 5 }
        #expect(!whole.isEmpty)
        for (day, n) in whole {
            #expect(flagged.contains(day) == (n.sum > 1), "\(day): \(n.sum) m³ over the night; log \(log)")
        }
    }

    static func emls(_ data: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: data + "/outbox")) ?? []).filter { $0.hasSuffix(".eml") }
            .sorted()
    }

    /// The demo's config is embedded at build time: a binary copied alone (as a package
    /// installs it, no resource bundle beside it) writes the same file.
    @Test func theDemoConfigTravelsInsideTheBinary() throws {
        let dir = TempDir()
        let alone = dir.file("bin/strata")
        try FileManager.default.createDirectory(atPath: dir.file("bin"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.binary, toPath: alone)
        let a = try Command.run(alone, ["demo", "--write-config", dir.file("alone.toml")])
        #expect(a.status == 0, "\(a.err)")
        let b = try CLI.run(["demo", "--write-config", dir.file("built.toml")])
        #expect(b.status == 0, "\(b.stderr)")
        let alonesText = try String(contentsOfFile: dir.file("alone.toml"), encoding: .utf8)
        #expect(alonesText == (try String(contentsOfFile: dir.file("built.toml"), encoding: .utf8)))
        #expect(alonesText.contains("[site]") && !alonesText.contains("{{"))
    }

    @Test func writeConfigGivesAConfigCheckAccepts() throws {
        let dir = TempDir()
        let r = try CLI.run(["demo", "--write-config", dir.file("site.toml")], cwd: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        let c = try CLI.run(["check", "--config", dir.file("site.toml")])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stdout.contains("device main \"Main electricity meter\" (driver simulated)"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("demo-data/strata.sqlite")))
    }
}
