import Foundation
import StrataTestSupport
import Testing

/// Alarms through `strata run` as a site meets them: a meter that never answers and a load
/// over its limit each give one e-mail (an .eml in the outbox without [smtp]); a restart
/// neither raises the active alarm again nor forgets it.
@Suite(.serialized) struct AlarmCLITests {
    func config(_ dir: TempDir, deadPort: Int) -> String {
        SiteTOML.header(name: "Alarm site", timezone: "UTC", store: dir.file("store.sqlite"))
            + """

            [outbox]
            path = "\(dir.file("outbox"))"

            [[devices]]
            id = "main"
            name = "Main meter"
            driver = "simulated"
            profile = "eastron-sdm630"
            simulate = "electricity"
            size = 3.0

            [[devices]]
            id = "dead"
            driver = "modbus-tcp"
            host = "127.0.0.1"
            port = \(deadPort)
            unit_id = 1
            profile = "eastron-sdm120"
            timeout = "200 ms"
            retries = 0

            [[alarms]]
            id = "dead-offline"
            kind = "offline"
            device = "dead"
            for = "3 min"
            notify = ["fm@example.org"]

            [[alarms]]
            id = "peak"
            kind = "threshold"
            device = "main"
            channel = "power"
            above = 1000
            clear = 500
            for = "2 min"
            severity = "critical"
            notify = ["fm@example.org", "ops@example.org"]

            """
    }

    func emls(_ dir: TempDir) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.file("outbox"))) ?? []
        return files.filter { $0.hasSuffix(".eml") }.compactMap {
            try? String(contentsOfFile: dir.file("outbox/" + $0), encoding: .utf8)
        }
    }

    func logRows(_ dir: TempDir) -> [String] {
        sqliteShell(dir.file("store.sqlite"), "SELECT rule || ' ' || event FROM alarm_log ORDER BY id")
            .split(separator: "\n").map(String.init)
    }

    @Test func offlineAndThresholdAlarmsAreMailedOnceAcrossARestart() throws {
        let dir = TempDir()
        try dir.write("strata.toml", config(dir, deadPort: Net.freePort()))
        let p = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--no-archive"])
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, emls(dir).filter({ $0.contains("RAISED") }).count < 3 {
            Thread.sleep(forTimeInterval: 0.5)
        }
        p.process.terminate()
        let r = p.finish()
        #expect(r.status == 0, "\(r.stderr.suffix(1500))")
        let mails = emls(dir)
        let offline = mails.filter { $0.contains("dead-offline RAISED") }
        let peak = mails.filter { $0.contains("peak RAISED") }
        #expect(offline.count == 1, "\(mails.count) mails")
        #expect(peak.count == 2, "one per recipient")
        #expect(offline.first?.contains("Site:       Alarm site") == true)
        #expect(offline.first?.contains("Rule:       dead-offline (no reading from the meter)") == true)
        #expect(peak.first?.contains("Subject: [Alarm site] critical: peak RAISED") == true)
        #expect(peak.first?.contains("Threshold:  1000 W") == true)
        #expect(
            Set(logRows(dir)) == ["peak raised", "dead-offline raised"] && logRows(dir).count == 2, "\(logRows(dir))")

        // A restart: the dead meter is still dead and the load still high; nothing new to say.
        let again = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--no-archive"])
        Thread.sleep(forTimeInterval: 6)
        again.process.terminate()
        #expect(again.finish().status == 0)
        #expect(logRows(dir).count == 2, "\(logRows(dir))")
        #expect(emls(dir).count == mails.count)
        let phases = sqliteShell(dir.file("store.sqlite"), "SELECT rule || ' ' || phase FROM alarm_state ORDER BY rule")
        #expect(phases.contains("dead-offline active") && phases.contains("peak active"), "\(phases)")

        // The log as `strata alarms` prints it, and the alarms active now.
        let log = try CLI.run(["alarms", "--config", dir.file("strata.toml")])
        let lines = log.stdout.split(separator: "\n")
        #expect(lines.first == "time,rule,event,device,channel,value,threshold,raised")
        #expect(lines.count == 3)
        #expect(lines.contains { $0.contains(",peak,raised,main,power,") && $0.hasSuffix(",1000,") }, "\(log.stdout)")
        #expect(lines.contains { $0.contains(",dead-offline,raised,dead,,") }, "\(log.stdout)")
        let active = try CLI.run(["alarms", "--config", dir.file("strata.toml"), "--active"])
        #expect(active.stdout.contains("dead-offline  warning  dead  raised "))
        #expect(active.stdout.contains("peak  critical  main  raised "))
    }

    @Test func aSiteWhoseOnlyMeterIsDeadStillHearsOfIt() throws {
        let dir = TempDir()
        let text = config(dir, deadPort: Net.freePort())
        // Without the simulated meter, no minute has a reading at all: only statuses are written.
        let start = text.range(of: "[[devices]]\nid = \"main\"")
        let end = text.range(of: "[[devices]]\nid = \"dead\"")
        let peak = text.range(of: "[[alarms]]\nid = \"peak\"")
        let trimmed = try #require(
            start.flatMap { s in end.map { String(text[..<s.lowerBound]) + String(text[$0.lowerBound...]) } })
        let only = try #require(
            peak == nil ? nil : trimmed.range(of: "[[alarms]]\nid = \"peak\"").map { String(trimmed[..<$0.lowerBound]) }
        )
        try dir.write("strata.toml", only)
        let p = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--no-archive"])
        let deadline = Date().addingTimeInterval(40)
        while Date() < deadline, !emls(dir).contains(where: { $0.contains("dead-offline RAISED") }) {
            Thread.sleep(forTimeInterval: 0.5)
        }
        p.process.terminate()
        #expect(p.finish().status == 0)
        #expect(emls(dir).filter { $0.contains("dead-offline RAISED") }.count == 1)
    }

    @Test func aWarningWaitsForTheEndOfItsQuietHours() throws {
        let dir = TempDir()
        let text =
            SiteTOML.header(name: "Quiet site", timezone: "UTC", store: dir.file("store.sqlite")) + """

                [outbox]
                path = "\(dir.file("outbox"))"

                [[devices]]
                id = "dead"
                driver = "modbus-tcp"
                host = "127.0.0.1"
                port = \(Net.freePort())
                unit_id = 1
                profile = "eastron-sdm120"
                timeout = "200 ms"
                retries = 0

                [[alarms]]
                id = "dead-offline"
                kind = "offline"
                device = "dead"
                for = "2 min"
                quiet = "06:00-07:00"
                notify = ["fm@example.org"]
                """
        try dir.write("strata.toml", text)
        // 2026-12-02 06:55 UTC, at 60× real time: raised about 06:57, mailed at 07:00.
        let p = try CLI.start([
            "run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--clock-start", "1796194500",
            "--no-archive",
        ])
        defer { if p.process.isRunning { p.process.terminate() } }
        var deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !logRows(dir).contains("dead-offline raised") { Thread.sleep(forTimeInterval: 0.1) }
        #expect(logRows(dir) == ["dead-offline raised"])
        #expect(emls(dir).isEmpty, "in quiet hours the warning waits")
        deadline = Date().addingTimeInterval(30)
        while Date() < deadline, emls(dir).isEmpty { Thread.sleep(forTimeInterval: 0.2) }
        p.process.terminate()
        #expect(p.finish().status == 0)
        let mail = emls(dir)
        #expect(mail.count == 1)
        #expect(mail.first?.contains("Date: Wed, 2 Dec 2026 07:0") == true, "\(mail.first?.prefix(400) ?? "")")
        #expect(mail.first?.contains("RAISED at 2026-12-02 06:5") == true)
    }

    func systemConfig(_ dir: TempDir, budget: String) -> String {
        """
        [site]
        name = "Box site"
        timezone = "UTC"

        [storage]
        path = "\(dir.file("store.sqlite"))"
        budget = "\(budget)"

        [archive]
        path = "\(dir.file("blocker/archive"))"

        [outbox]
        path = "\(dir.file("outbox"))"

        [[devices]]
        id = "main"
        driver = "simulated"
        profile = "eastron-sdm630"
        simulate = "electricity"

        [[alarms]]
        id = "disk"
        kind = "system"
        check = "storage"
        severity = "critical"
        notify = ["admin@example.org"]

        [[alarms]]
        id = "files"
        kind = "system"
        check = "archive"
        notify = ["admin@example.org"]

        [[alarms]]
        id = "clock"
        kind = "system"
        check = "clock"
        notify = ["admin@example.org"]
        """
    }

    /// `kind = "system"` through the binary: a store over its budget and an archive that cannot
    /// be written (its folder's parent is a file) are each mailed once; a clock set to 2000 is
    /// raised, and cleared once the clock is right again.
    @Test func systemAlarmsHearOfStrataItself() throws {
        let dir = TempDir()
        try dir.write("blocker", "a file where the archive's folder should be")
        try dir.write("strata.toml", systemConfig(dir, budget: "64 KB"))
        let p = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60"])
        var deadline = Date().addingTimeInterval(40)
        while Date() < deadline, emls(dir).filter({ $0.contains("RAISED") }).count < 2 {
            Thread.sleep(forTimeInterval: 0.5)
        }
        p.process.terminate()
        #expect(p.finish().status == 0)
        var mails = emls(dir)
        let disk = mails.filter { $0.contains("disk RAISED") }
        let files = mails.filter { $0.contains("files RAISED") }
        #expect(disk.count == 1 && files.count == 1, "\(mails.count) mails")
        #expect(
            disk.first?.contains("Subject: [Box site] critical: disk RAISED - Strata itself") == true,
            "\(disk.first ?? "")")
        #expect(disk.first?.contains("% of storage.budget") == true)
        #expect(files.first?.contains("the CSV archive cannot be written") == true)
        #expect(!mails.contains { $0.contains("clock RAISED") }, "the clock was right")

        // The clock before Strata existed: nothing is sampled, and the admin hears why.
        let wrong = try CLI.start([
            "run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--clock-start", "946684800",
        ])
        deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !emls(dir).contains(where: { $0.contains("clock RAISED") }) {
            Thread.sleep(forTimeInterval: 0.5)
        }
        wrong.process.terminate()
        #expect(wrong.finish().status == 0)
        mails = emls(dir)
        let clock = mails.filter { $0.contains("clock RAISED") }
        #expect(clock.count == 1)
        #expect(clock.first?.contains("the system clock is implausible") == true)
        #expect(clock.first?.contains("RAISED at 2000-01-01") == true, "\(clock.first?.prefix(600) ?? "")")

        // Right again: the clock alarm clears; storage and archive still hold and say nothing new.
        let right = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60"])
        deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !emls(dir).contains(where: { $0.contains("clock cleared") }) {
            Thread.sleep(forTimeInterval: 0.5)
        }
        right.process.terminate()
        #expect(right.finish().status == 0)
        #expect(emls(dir).filter { $0.contains("clock cleared") }.count == 1)
        #expect(
            logRows(dir).filter { $0.hasPrefix("disk ") || $0.hasPrefix("files ") } == ["disk raised", "files raised"]
                || logRows(dir).filter { $0.hasPrefix("disk ") || $0.hasPrefix("files ") } == [
                    "files raised", "disk raised",
                ], "\(logRows(dir))")
        let log = try CLI.run(["alarms", "--config", dir.file("strata.toml")])
        #expect(log.stdout.contains(",disk,raised,,storage,"), "\(log.stdout)")
        #expect(log.stdout.contains(",files,raised,,archive,"), "\(log.stdout)")
    }

    /// The issue's end-to-end case: a real Modbus meter (pymodbus) stops and comes back while
    /// `strata run` mails through a real SMTP server (aiosmtpd, STARTTLS and AUTH). Strata is
    /// killed with SIGKILL while the alarm is active and started again: the manager gets one
    /// "RAISED" and one "cleared" e-mail, neither doubled.
    @Test func aMeterStoppedAndRestartedGivesOneOfflineAndOneBackMail() throws {
        let dir = TempDir()
        let modbusPort = Net.freePort()
        let smtpPort = Net.freePort()
        let tls = try SMTPPeer.certificate(in: dir.path)
        try dir.write("smtp.pass", "secret\n")
        try dir.write(
            "strata.toml",
            SiteTOML.header(name: "Pump house", timezone: "Europe/Berlin", store: dir.file("store.sqlite")) + """

                [outbox]
                path = "\(dir.file("outbox"))"

                [smtp]
                host = "localhost"
                port = \(smtpPort)
                security = "starttls"
                username = "reports"
                password_file = "\(dir.file("smtp.pass"))"
                from = "strata@example.org"
                ca_file = "\(tls.cert)"
                retry_interval = "1 s"

                [[devices]]
                id = "pump"
                name = "Pump meter"
                driver = "modbus-tcp"
                host = "127.0.0.1"
                port = \(modbusPort)
                unit_id = 1
                profile = "eastron-sdm630"
                timeout = "300 ms"
                retries = 0

                [[alarms]]
                id = "pump-offline"
                kind = "offline"
                device = "pump"
                for = "3 min"
                notify = ["fm@example.org"]
                """)
        let mail = try SMTPPeer(
            port: smtpPort, maildir: dir.file("mail"), log: dir.file("peer.jsonl"),
            ["--tls", "starttls", "--cert", tls.cert, "--key", tls.key, "--auth", "reports:secret"])
        defer { mail.stop() }
        func received(_ word: String) -> [String] {
            mail.messages.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.filter {
                $0.contains("pump-offline \(word)")
            }
        }
        func start() throws -> CLI.Running {
            try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--no-archive"])
        }
        func wait(_ seconds: Double, until done: () -> Bool) {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline, !done() { Thread.sleep(forTimeInterval: 0.2) }
        }
        func readings() -> Int {
            Int(
                sqliteShell(
                    dir.file("store.sqlite"), "SELECT count(*) FROM device_status WHERE last_success IS NOT NULL"
                )
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }

        var meter: ModbusSim? = try ModbusSim(
            ["--port", "\(modbusPort)", "--device", "1:eastron-sdm630"], log: dir.file("served.jsonl"))
        var strata = try start()
        wait(20) { readings() > 0 }
        #expect(readings() > 0, "the meter was read")
        meter?.stop()
        meter = nil
        wait(40) { received("RAISED").count == 1 }
        #expect(received("RAISED").count == 1)
        // The one window for a duplicate is between the server's acceptance and the outbox
        // recording it; the kill comes after.
        wait(10) { ((try? CLI.run(["outbox", "--config", dir.file("strata.toml")]))?.stdout ?? "").contains("sent ") }

        // Killed while the alarm is active (its notice sent and recorded), then started
        // again with the meter still dead: nothing new to say.
        kill(strata.process.processIdentifier, SIGKILL)
        _ = strata.finish()
        strata = try start()
        Thread.sleep(forTimeInterval: 5)
        #expect(received("RAISED").count == 1, "not raised again after the restart")

        meter = try ModbusSim(
            ["--port", "\(modbusPort)", "--device", "1:eastron-sdm630"], log: dir.file("served2.jsonl"))
        wait(40) { received("cleared").count == 1 }
        strata.process.terminate()
        #expect(strata.finish().status == 0)
        meter?.stop()
        let raised = received("RAISED")
        let cleared = received("cleared")
        #expect(raised.count == 1 && cleared.count == 1, "\(mail.messages.count) messages")
        #expect(
            raised.first?.contains("Subject: [Pump house] warning: pump-offline RAISED - Pump meter (pump)") == true)
        #expect(
            cleared.first?.contains("Subject: [Pump house] warning: pump-offline cleared - Pump meter (pump)") == true)
        #expect(cleared.first?.contains("Raised at:") == true)
        #expect(raised.first?.contains("Message-ID: <alarm-pump-offline-raised-") == true)
        // Each went to the one recipient once, as aiosmtpd saw it.
        let deliveries = mail.events.filter { $0["event"] as? String == "delivered" }
        #expect(deliveries.count == 2, "\(mail.events)")
        #expect(logRows(dir) == ["pump-offline raised", "pump-offline cleared"], "\(logRows(dir))")
    }

    /// AMPds2 water, two years imported with `strata import`: the night-water rule judges every
    /// night the import touches, and the nights it flags are exactly those whose 00:00-05:00
    /// (Vancouver time) consumption, computed here from the raw file with Foundation's
    /// calendar, is above the limit.
    @Test func nightWaterOverTwoYearsOfAMPds2MatchesTheRawFile() throws {
        let dir = TempDir()
        try dir.write(
            "strata.toml",
            houseConfig() + """

                [[alarms]]
                id = "night-water"
                kind = "consumption"
                device = "water"
                channel = "volume"
                window = "00:00-05:00"
                above = 20
                notify = ["fm@example.org"]
                """)
        let imp = try CLI.run(
            [
                "import", "--config", dir.file("strata.toml"), "--device", "water", "--time-column", "unix_ts",
                "--time-format", "unix", "--map", "counter=volume", Fixtures.water,
            ], cwd: dir.path)
        #expect(imp.status == 0, "\(imp.stderr)")
        #expect(imp.stdout.contains("new lines in the alarm log"), "\(imp.stdout)")

        var at: [Int64: Double] = [:]
        for (t, v) in try Fixtures.column(Fixtures.water, "counter") { at[t] = v }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = try #require(TimeZone(identifier: "America/Vancouver"))
        let first = try #require(at.keys.min())
        let last = try #require(at.keys.max())
        var over: [Int64: Double] = [:] // window end → litres, nights above the limit
        var nights = 0
        var day = cal.startOfDay(for: Date(timeIntervalSince1970: TimeInterval(first)))
        while true {
            let s = Int64(day.timeIntervalSince1970)
            // 05:00 on the wall clock: the nights of the DST changes last 4 and 6 hours.
            let e = Int64(try #require(cal.date(bySettingHour: 5, minute: 0, second: 0, of: day)).timeIntervalSince1970)
            if e > last { break }
            if let a = at[s], let b = at[e] {
                nights += 1
                if b - a > 20 { over[e] = b - a }
            }
            day = try #require(cal.date(byAdding: .day, value: 1, to: day))
        }
        #expect(nights == 730 && over.count == 50, "\(nights) nights, \(over.count) over")

        let log = try CLI.run(["alarms", "--config", dir.file("strata.toml")], cwd: dir.path)
        #expect(log.status == 0, "\(log.stderr)")
        // time,rule,event,device,channel,value,threshold,raised: the time as local text; the
        // store's own view of the same lines gives epoch seconds to compare with.
        let rows = sqliteShell(
            dir.file("data/strata.sqlite"),
            "SELECT at || ',' || event || ',' || value FROM alarm_log WHERE rule = 'night-water' ORDER BY at, id"
        )
        .split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        var flagged: [Int64: Double] = [:]
        var raises = 0
        var clears = 0
        for r in rows where r.count == 3 {
            guard let t = Int64(r[0]), let v = Double(r[2]) else { continue }
            switch r[1] {
            case "raised", "repeated":
                flagged[t] = v
                if r[1] == "raised" { raises += 1 }
            case "cleared":
                clears += 1
                #expect(over[t] == nil, "cleared on a night over the limit")
            default: Issue.record("unexpected event \(r)")
            }
        }
        #expect(
            Set(flagged.keys) == Set(over.keys),
            "missing \(Set(over.keys).subtracting(flagged.keys).sorted()), extra \(Set(flagged.keys).subtracting(over.keys).sorted())"
        )
        for (t, v) in over {
            #expect(abs((flagged[t] ?? -1) - v) < 0.0005, "night ending \(t): \(flagged[t] ?? -1) L, raw \(v) L")
        }
        // Every run of nights over the limit is one raise and (unless it runs to the end) one clear.
        #expect(raises >= clears && raises - clears <= 1 && raises > 0)
        #expect(log.stdout.split(separator: "\n").count == rows.count + 1)
    }
}
