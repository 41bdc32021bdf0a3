import Foundation
import Testing

/// `strata run` against a real Modbus simulator, on a clock running 30 times real time
/// (a minute every 2 s): the same code path as a real site, in seconds.
@Suite(.serialized) struct SamplerTests {
    func config(_ dir: TempDir, devices: String, archive: Bool = false) -> String {
        """
        [site]
        name = "Sampler test"
        timezone = "UTC"

        [storage]
        path = "\(dir.file("store.sqlite"))"

        [archive]
        path = "\(dir.file("archive"))"

        \(devices)
        """
    }

    func tcp(_ id: String, port: Int, unit: Int, profile: String, timeout: String = "300 ms") -> String {
        """
        [[devices]]
        id = "\(id)"
        driver = "modbus-tcp"
        host = "127.0.0.1"
        port = \(port)
        unit_id = \(unit)
        profile = "\(profile)"
        timeout = "\(timeout)"
        retries = 1

        """
    }

    /// Runs `strata run`, then stops it with SIGTERM once `log` shows `reads` reads of each
    /// of `units` (or after 60 s on a slow machine).
    func run(_ cfg: String, log: String, units: [Int], reads: Int = 5, during: (() throws -> Void)? = nil) throws -> CLI.Result {
        let p = try CLI.start(["run", "--config", cfg, "--time-scale", "30", "--no-archive"])
        if let during { try during() }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let served = try ModbusSim.served(log)
            if units.allSatisfy({ (served[$0]?.count ?? 0) >= reads }) { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        p.process.terminate()  // SIGTERM
        return p.finish()
    }

    func expectSame(_ stored: [(ts: Int64, value: Double)], _ served: [Double], _ what: String) {
        #expect(stored.count == served.count, "\(what): \(stored.count) stored, \(served.count) served")
        for (s, v) in zip(stored, served) where abs(s.value - v) > 1e-9 {
            Issue.record("\(what): stored \(s.value) at \(s.ts), served \(v)")
            return
        }
        // One value per minute, minute after minute.
        for (a, b) in zip(stored, stored.dropFirst()) where b.ts - a.ts != 60 {
            Issue.record("\(what): gap between \(a.ts) and \(b.ts)")
            return
        }
    }

    @Test func storedValuesAreWhatTheMetersServed() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let sim = try ModbusSim(["--port", "\(port)", "--device", "1:eastron-sdm630", "--device", "2:carlo-gavazzi-em340",
                                 "--device", "3:sunspec-meter"], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        try dir.write("strata.toml", config(dir, devices: tcp("sdm", port: port, unit: 1, profile: "eastron-sdm630")
            + tcp("em", port: port, unit: 2, profile: "carlo-gavazzi-em340") + tcp("sunspec", port: port, unit: 3, profile: "sunspec-meter")))
        let r = try run(dir.file("strata.toml"), log: dir.file("served.jsonl"), units: [1, 2, 3])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("sampler stopped"))
        #expect(r.stderr.contains("SunSpec meter found"), "\(r.stderr)")
        let served = try ModbusSim.served(dir.file("served.jsonl"))
        let db = dir.file("store.sqlite")
        // Float32 high-word-first (SDM630), int32 low-word-first ÷10 (EM340), SunSpec int16 × 10^SF and acc32.
        for (unit, device, channels) in [
            (1, "sdm", ["energy_import", "energy_export", "voltage_l1", "current_l3", "power", "frequency", "power_factor"]),
            (2, "em", ["energy_import", "voltage_l2", "current_l1", "power"]),
            (3, "sunspec", ["energy_import", "energy_export", "voltage_l1", "current_l2", "power", "frequency"]),
        ] {
            let reads = served[unit] ?? []
            #expect(reads.count >= 3, "unit \(unit) served \(reads.count) reads; \(r.stderr)")
            for ch in channels {
                expectSame(try storedValues(db, device: device, channel: ch), reads.compactMap { $0[ch] }, "\(device).\(ch)")
            }
        }
        let st = try CLI.run(["status", "--config", dir.file("strata.toml")])
        #expect(st.stdout.contains("sdm (modbus-tcp): ok"), "\(st.stdout)")
        #expect(st.stdout.contains("energy_import"))
    }

    @Test func deadMetersAreGapsAndNeverStopTheOthers() throws {
        let dir = TempDir()
        let portA = Net.freePort()
        let portB = Net.freePort()
        let simA = try ModbusSim(["--port", "\(portA)", "--device", "1:eastron-sdm630", "--device", "4:eastron-sdm120:exception=0x48",
                                  "--device", "5:silent"], log: dir.file("a.jsonl"))
        defer { simA.stop() }
        var simB: ModbusSim? = try ModbusSim(["--port", "\(portB)", "--device", "2:carlo-gavazzi-em340"], log: dir.file("b.jsonl"))
        try dir.write("strata.toml", config(dir, devices: tcp("healthy", port: portA, unit: 1, profile: "eastron-sdm630")
            + tcp("refuses", port: portA, unit: 4, profile: "eastron-sdm120")
            + tcp("hung", port: portA, unit: 5, profile: "eastron-sdm120")
            + tcp("restarted", port: portB, unit: 2, profile: "carlo-gavazzi-em340")))
        let r = try run(dir.file("strata.toml"), log: dir.file("a.jsonl"), units: [1], reads: 10) {
            // The second simulator goes away for a while (a gateway rebooting), then returns.
            Thread.sleep(forTimeInterval: 5)
            simB?.stop()
            simB = nil
            Thread.sleep(forTimeInterval: 5)
            simB = try ModbusSim(["--port", "\(portB)", "--device", "2:carlo-gavazzi-em340"], log: dir.file("b.jsonl"))
        }
        simB?.stop()
        #expect(r.status == 0, "\(r.stderr)")
        let db = dir.file("store.sqlite")

        // The healthy meter shares its gateway with a refusing and a hung meter: not one minute lost.
        let healthy = try storedValues(db, device: "healthy", channel: "energy_import")
        let servedA = try ModbusSim.served(dir.file("a.jsonl"))
        expectSame(healthy, (servedA[1] ?? []).compactMap { $0["energy_import"] }, "healthy.energy_import")
        #expect(healthy.count >= 7)
        #expect(try storedValues(db, device: "refuses", channel: "energy_import").isEmpty)
        #expect(try storedValues(db, device: "hung", channel: "power").isEmpty)

        // The restarted one: values before and after, a gap in between, everything it served stored.
        let restarted = try storedValues(db, device: "restarted", channel: "energy_import")
        let servedB = (try ModbusSim.served(dir.file("b.jsonl"))[2] ?? []).compactMap { $0["energy_import"] }
        #expect(restarted.map(\.value) == servedB, "\(restarted) vs \(servedB)")
        let gaps = zip(restarted, restarted.dropFirst()).filter { $1.ts - $0.ts > 60 }
        #expect(gaps.count == 1, "\(restarted.map(\.ts))")

        // Each failure is logged once, when it starts, not every minute.
        let log = r.stderr
        #expect(log.components(separatedBy: "device=hung").count - 1 == 1, "\(log)")
        #expect(log.contains("no answer (timeout)"))
        #expect(log.contains("Modbus exception 2"))
        #expect(log.contains("device answers again") && log.contains("device=restarted"))

        let st = try CLI.run(["status", "--config", dir.file("strata.toml")])
        #expect(st.stdout.contains("healthy (modbus-tcp): ok"), "\(st.stdout)")
        #expect(st.stdout.contains("hung (modbus-tcp): FAILING"))
        #expect(st.stdout.contains("no answer (timeout)"))
        #expect(st.stdout.contains("illegal data address"))
        #expect(st.stdout.contains("restarted (modbus-tcp): ok"))
    }

    @Test func rtuThroughASerialPair() throws {
        let dir = TempDir()
        let socat = Process()
        socat.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        socat.arguments = ["pty,raw,echo=0,link=\(dir.file("ttyStrata"))", "pty,raw,echo=0,link=\(dir.file("ttyMeter"))"]
        socat.standardError = FileHandle.nullDevice
        socat.standardOutput = FileHandle.nullDevice
        try socat.run()
        defer {
            kill(socat.processIdentifier, SIGKILL)
            socat.waitUntilExit()
        }
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: dir.file("ttyMeter")) { Thread.sleep(forTimeInterval: 0.1) }
        let sim = try ModbusSim(["--serial", dir.file("ttyMeter"), "--baud", "19200", "--parity", "N", "--device", "7:eastron-sdm120",
                                 "--device", "8:carlo-gavazzi-em340"], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        let rtu = { (id: String, unit: Int, profile: String) in
            """
            [[devices]]
            id = "\(id)"
            driver = "modbus-rtu"
            serial = "\(dir.file("ttyStrata"))"
            baud = 19200
            parity = "none"    # a pty refuses parity settings (EINVAL); real RS485 lines take "even"
            stop_bits = 1
            unit_id = \(unit)
            profile = "\(profile)"
            timeout = "500 ms"

            """
        }
        try dir.write("strata.toml", config(dir, devices: rtu("sub1", 7, "eastron-sdm120") + rtu("sub2", 8, "carlo-gavazzi-em340")))
        let r = try run(dir.file("strata.toml"), log: dir.file("served.jsonl"), units: [7, 8])
        #expect(r.status == 0, "\(r.stderr)")
        let served = try ModbusSim.served(dir.file("served.jsonl"))
        for (unit, device) in [(7, "sub1"), (8, "sub2")] {
            let reads = served[unit] ?? []
            #expect(reads.count >= 3, "unit \(unit): \(reads.count) reads; \(r.stderr)")
            for ch in ["energy_import", "voltage_l1", "power"] {
                expectSame(try storedValues(dir.file("store.sqlite"), device: device, channel: ch), reads.compactMap { $0[ch] }, "\(device).\(ch)")
            }
        }
    }
}

/// Faster polling, the clock guard and configuration checks, through the real binary.
@Suite(.serialized) struct SamplerScheduleTests {
    let helper = SamplerTests()

    @Test func fastPollingStoresMeansExtremesAndFirstCounterReadings() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let sim = try ModbusSim(["--port", "\(port)", "--device", "1:eastron-sdm630"], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        let dev = helper.tcp("fast", port: port, unit: 1, profile: "eastron-sdm630") + "poll = \"10s\"\n"
        try dir.write("strata.toml", helper.config(dir, devices: dev))
        let r = try helper.run(dir.file("strata.toml"), log: dir.file("served.jsonl"), units: [1], reads: 20)
        #expect(r.status == 0, "\(r.stderr)")
        let reads = try ModbusSim.served(dir.file("served.jsonl"))[1] ?? []
        let db = dir.file("store.sqlite")
        let mean = try storedValues(db, device: "fast", channel: "power")
        let lo = try storedValues(db, device: "fast", channel: "power_min")
        let hi = try storedValues(db, device: "fast", channel: "power_max")
        let energy = try storedValues(db, device: "fast", channel: "energy_import")
        #expect(mean.count >= 3 && lo.count == mean.count && hi.count == mean.count && energy.count == mean.count)
        let power = reads.compactMap { $0["power"] }
        let served = reads.compactMap { $0["energy_import"] }
        // Six polls a minute, fewer where the minute started mid-way, ended at shutdown, or a
        // tick was missed on a loaded machine (skipped, never invented): each stored minute must
        // be the mean, extremes and first counter reading of the next run of served polls.
        var start = 0
        for i in mean.indices {
            let k = (1...6).reversed().first { k in
                guard start + k <= power.count else { return false }
                let group = Array(power[start..<(start + k)])
                return abs(mean[i].value - group.reduce(0, +) / Double(k)) < 1e-6 && lo[i].value == group.min()
                    && hi[i].value == group.max() && energy[i].value == served[start]
            }
            guard let n = k else {
                Issue.record("minute \(i) (\(mean[i].value), \(lo[i].value)–\(hi[i].value), \(energy[i].value)) is no run of polls from \(start): \(power.dropFirst(start).prefix(6))")
                return
            }
            start += n
        }
        #expect(start >= power.count - 6, "\(power.count - start) served polls not stored")
    }

    @Test func anImplausibleClockSamplesNothingAndSaysSo() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let sim = try ModbusSim(["--port", "\(port)", "--device", "1:eastron-sdm630"], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        try dir.write("strata.toml", helper.config(dir, devices: helper.tcp("m", port: port, unit: 1, profile: "eastron-sdm630")))
        // A box without a real-time clock wakes up in 2001.
        let p = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "30", "--clock-start", "1000000000", "--no-archive"])
        Thread.sleep(forTimeInterval: 5)
        p.process.terminate()
        let r = p.finish()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("system clock is not plausible"), "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: "not plausible").count == 2, "said once")
        #expect(try ModbusSim.served(dir.file("served.jsonl")).isEmpty)
        #expect(try storedValues(dir.file("store.sqlite"), device: "m", channel: "power").isEmpty)
    }

    @Test func aClockSteppedBackNeverRewritesAMinute() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let sim = try ModbusSim(["--port", "\(port)", "--device", "1:eastron-sdm630"], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        try dir.write("strata.toml", helper.config(dir, devices: helper.tcp("m", port: port, unit: 1, profile: "eastron-sdm630")))
        let now = Date().timeIntervalSince1970
        // First run: the clock is two hours ahead (a wrong manual setting).
        let ahead = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "30", "--clock-start", "\(now + 7200)", "--no-archive"])
        Thread.sleep(forTimeInterval: 5)
        ahead.process.terminate()
        #expect(ahead.finish().status == 0)
        let before = try storedValues(dir.file("store.sqlite"), device: "m", channel: "energy_import")
        #expect(before.count >= 2)
        // Then NTP sets it right: the minutes already written are not sampled again.
        let right = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "30", "--no-archive"])
        Thread.sleep(forTimeInterval: 5)
        right.process.terminate()
        let r = right.finish()
        #expect(r.status == 0)
        #expect(r.stderr.contains("system clock is at or before the newest stored minute"), "\(r.stderr)")
        let after = try storedValues(dir.file("store.sqlite"), device: "m", channel: "energy_import")
        #expect(after.map(\.ts) == before.map(\.ts))
        #expect(after.map(\.value) == before.map(\.value))
    }

    @Test func checkWarnsWhenABusCannotFinishInTheMinute() throws {
        let dir = TempDir()
        var devices = ""
        for u in 1...12 {
            devices += """
                [[devices]]
                id = "m\(u)"
                driver = "modbus-rtu"
                serial = "/dev/ttyUSB0"
                unit_id = \(u)
                profile = "eastron-sdm120"
                timeout = "3s"
                retries = 1

                """
        }
        try dir.write("strata.toml", helper.config(dir, devices: devices))
        let r = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("warning: bus rtu:///dev/ttyUSB0: 12 devices × timeout × attempts = 72 s"), "\(r.stdout)")
        #expect(r.stdout.contains("rtu:///dev/ttyUSB0 unit 3, profile eastron-sdm120"))
    }

    @Test func checkValidatesAProfileFile() throws {
        let dir = TempDir()
        try dir.write("my-meter.toml", """
            name = "My meter"
            function = "holding"

            [[registers]]
            channel = "energy_import"
            address = 100
            type = "u32"
            word_order = "big-endian-ish"
            unit = "kWh"
            kind = "counter"
            """)
        let bad = try CLI.run(["check", "--profile", dir.file("my-meter.toml")])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("\(dir.file("my-meter.toml")):8: registers[0].word_order: unknown word order \"big-endian-ish\""), "\(bad.stderr)")
        try dir.write("my-meter.toml", try dir.read("my-meter.toml").replacingOccurrences(of: "big-endian-ish", with: "low-first"))
        let good = try CLI.run(["check", "--profile", dir.file("my-meter.toml")])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("read plan: FC03 100+2"))
    }
}

@Suite(.serialized) struct DemoTests {
    @Test func demoBackfillsSamplesAndFillsTheArchive() throws {
        let dir = TempDir()
        let data = dir.file("demo")
        let ftpPort = Net.freePort()
        let p = try CLI.start(["demo", "--data", data, "--days", "3", "--time-scale", "30", "--ftp-port", "\(ftpPort)"])
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
        Thread.sleep(forTimeInterval: 3)  // a live minute or two
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
        for line in ["filezilla auth 5", "filezilla opts 200", "filezilla pwd /", "filezilla mlsd file True", "filezilla retr True",
                     "explorer opts 200", "explorer pwd /excel-eu/main/day", "explorer list True", "explorer size True",
                     "explorer retr 150", "explorer done 226 True"] {
            #expect(said.contains(line), "\(line) in \(said)")
        }
        p.process.terminate()
        let r = p.finish()
        #expect(r.status == 0, "\(err)\(r.stderr)")
        #expect(r.stdout.contains("back-filling 3 days of history"), "\(r.stdout)")
        #expect(r.stdout.contains("archive  \(data)/archive"))
        #expect(err.contains("archive up to date"), "\(err)")
        let cfg = data + "/strata.toml"
        let day = try CLI.run(["export", "--config", cfg, "--device", "main", "--tier", "day"])
        #expect(day.status == 0, "\(day.stderr)")
        let rows = day.stdout.split(separator: "\r\n")
        #expect(rows.count >= 4, "\(day.stdout)")  // header and at least 3 days
        #expect(rows.first?.contains("energy_import consumption [kWh]") == true)
        let files = FileManager.default.enumerator(atPath: data + "/archive")?.compactMap { $0 as? String } ?? []
        #expect(files.contains { $0.hasPrefix("excel-eu/main/day/") && $0.hasSuffix(".csv") }, "\(files.prefix(20))")
        #expect(files.contains { $0.hasPrefix("iso/water/minute/") })
        let st = try CLI.run(["status", "--config", cfg])
        #expect(st.stdout.contains("main (simulated): ok"), "\(st.stdout)")
        #expect(st.stdout.contains("gas (simulated): ok"))

        // Reports: daily, weekly and monthly (two recipients), as a mail program would read them.
        let emls = ((try? FileManager.default.contentsOfDirectory(atPath: data + "/outbox")) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
        #expect(emls.count == 4, "\(emls)\n\(err)")
        let parsed = try parseMessages(emls.map { data + "/outbox/" + $0 }, archive: data + "/archive", dialect: "excel-eu")
        let daily = try #require(parsed.first { ($0["subject"] as? String)?.hasPrefix("Daily report") == true }, "\(parsed.map { $0["subject"] ?? "" })")
        #expect((daily["plain"] as? String)?.contains("Main electricity meter (main)") == true)
        let html = try #require(daily["html"] as? String)
        #expect(html.contains("<table") && !html.contains("<img") && !html.contains("<script") && !html.contains("src="))
        #expect((daily["zips"] as? [String])?.first?.hasPrefix("strata-strata-demo-office-daily-") == true)
        // Yesterday's minute file of each of the five meters, byte for byte the archive's.
        #expect(daily["csv_equal"] as? Int == 5, "\(daily["csv_members"] ?? "")")
        #expect((daily["csv_differ"] as? [String])?.isEmpty == true)
        #expect(parsed.allSatisfy { ($0["csv_differ"] as? [String])?.isEmpty == true })
        let outbox = try CLI.run(["outbox", "--config", cfg])
        #expect(outbox.stdout.split(separator: "\n").filter { $0.hasPrefix("saved ") }.count == 4, "\(outbox.stdout)")
        // Restarting does not mail the same periods again.
        let again = try CLI.start(["demo", "--data", data, "--days", "3", "--ftp-port", "\(Net.freePort())"])
        Thread.sleep(forTimeInterval: 8)
        again.process.terminate()
        let r2 = again.finish()
        #expect(!r2.stderr.contains("report queued"), "\(r2.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: data + "/outbox")) ?? []).filter { $0.hasSuffix(".eml") }.count == 4)
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
