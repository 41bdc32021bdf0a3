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
        return files.filter { $0.hasSuffix(".eml") }.compactMap { try? String(contentsOfFile: dir.file("outbox/" + $0), encoding: .utf8) }
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
        while Date() < deadline, emls(dir).filter({ $0.contains("RAISED") }).count < 3 { Thread.sleep(forTimeInterval: 0.5) }
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
        #expect(Set(logRows(dir)) == ["peak raised", "dead-offline raised"] && logRows(dir).count == 2, "\(logRows(dir))")

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
        let trimmed = try #require(start.flatMap { s in end.map { String(text[..<s.lowerBound]) + String(text[$0.lowerBound...]) } })
        let only = try #require(peak == nil ? nil : trimmed.range(of: "[[alarms]]\nid = \"peak\"").map { String(trimmed[..<$0.lowerBound]) })
        try dir.write("strata.toml", only)
        let p = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--no-archive"])
        let deadline = Date().addingTimeInterval(40)
        while Date() < deadline, !emls(dir).contains(where: { $0.contains("dead-offline RAISED") }) { Thread.sleep(forTimeInterval: 0.5) }
        p.process.terminate()
        #expect(p.finish().status == 0)
        #expect(emls(dir).filter { $0.contains("dead-offline RAISED") }.count == 1)
    }

    @Test func aWarningWaitsForTheEndOfItsQuietHours() throws {
        let dir = TempDir()
        let text = SiteTOML.header(name: "Quiet site", timezone: "UTC", store: dir.file("store.sqlite")) + """

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
        let p = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--clock-start", "1796194500", "--no-archive"])
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
        while Date() < deadline, emls(dir).filter({ $0.contains("RAISED") }).count < 2 { Thread.sleep(forTimeInterval: 0.5) }
        p.process.terminate()
        #expect(p.finish().status == 0)
        var mails = emls(dir)
        let disk = mails.filter { $0.contains("disk RAISED") }
        let files = mails.filter { $0.contains("files RAISED") }
        #expect(disk.count == 1 && files.count == 1, "\(mails.count) mails")
        #expect(disk.first?.contains("Subject: [Box site] critical: disk RAISED - Strata itself") == true, "\(disk.first ?? "")")
        #expect(disk.first?.contains("% of storage.budget") == true)
        #expect(files.first?.contains("the CSV archive cannot be written") == true)
        #expect(!mails.contains { $0.contains("clock RAISED") }, "the clock was right")

        // The clock before Strata existed: nothing is sampled, and the admin hears why.
        let wrong = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--clock-start", "946684800"])
        deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !emls(dir).contains(where: { $0.contains("clock RAISED") }) { Thread.sleep(forTimeInterval: 0.5) }
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
        while Date() < deadline, !emls(dir).contains(where: { $0.contains("clock cleared") }) { Thread.sleep(forTimeInterval: 0.5) }
        right.process.terminate()
        #expect(right.finish().status == 0)
        #expect(emls(dir).filter { $0.contains("clock cleared") }.count == 1)
        #expect(logRows(dir).filter { $0.hasPrefix("disk ") || $0.hasPrefix("files ") } == ["disk raised", "files raised"]
            || logRows(dir).filter { $0.hasPrefix("disk ") || $0.hasPrefix("files ") } == ["files raised", "disk raised"], "\(logRows(dir))")
        let log = try CLI.run(["alarms", "--config", dir.file("strata.toml")])
        #expect(log.stdout.contains(",disk,raised,,storage,"), "\(log.stdout)")
        #expect(log.stdout.contains(",files,raised,,archive,"), "\(log.stdout)")
    }
}
