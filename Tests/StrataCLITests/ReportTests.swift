import Foundation
import StrataTestSupport
import Testing

/// Reports delivered to a real SMTP server (aiosmtpd): STARTTLS with AUTH PLAIN, implicit TLS
/// with AUTH LOGIN, a wrong password, temporary refusals, a server that is down, and a process
/// killed with a report in its outbox.
@Suite(.serialized) struct ReportTests {
    static func config(
        _ dir: TempDir, smtpPort: Int, security: String = "starttls", password: String = "secret", ca: String,
        extra: String = "", timeout: String = "20 s"
    ) -> String {
        SiteTOML.header(
            name: "Werk Süd", timezone: "Europe/Berlin", store: "\(dir.path)/data/strata.sqlite",
            archive: "\(dir.path)/archive",
            dialects: ["excel-eu", "iso"])
            + SiteTOML.device("main", name: "Hauptzähler", channels: [("energy_import", "kWh", "counter")]) + """

                [smtp]
                host = "localhost"
                port = \(smtpPort)
                security = "\(security)"
                username = "reports"
                password_file = "\(dir.path)/smtp.pass"
                from = "strata@example.org"
                ca_file = "\(ca)"
                timeout = "\(timeout)"
                retry_interval = "1 s"
                \(extra)

                [[reports]]
                name = "daily"
                schedule = "daily"
                at = "00:00"
                grace = "1 min"
                to = ["fm@example.org", "boss@example.org"]
                dialect = "excel-eu"
                attach = ["summary"]
                """
    }

    func setUp(
        _ dir: TempDir, port: Int, security: String = "starttls", password: String = "secret", extra: String = "",
        timeout: String = "20 s"
    ) throws -> (String, (cert: String, key: String)) {
        let tls = try SMTPPeer.certificate(in: dir.path)
        try dir.write("smtp.pass", password + "\n")
        try dir.write(
            "strata.toml",
            Self.config(dir, smtpPort: port, security: security, ca: tls.cert, extra: extra, timeout: timeout))
        return (dir.file("strata.toml"), tls)
    }

    @Test func starttlsWithAuthPlainDeliversAReadableMessage() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let (cfg, tls) = try setUp(dir, port: port)
        let peer = try SMTPPeer(
            port: port, maildir: dir.file("mail"), log: dir.file("peer.jsonl"),
            ["--tls", "starttls", "--cert", tls.cert, "--key", tls.key, "--auth", "reports:secret"])
        let r = try CLI.run(["report", "--config", cfg, "--report", "daily", "--period", "2026-10-25", "--send"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sent to fm@example.org: 250"))
        #expect(peer.messages.count == 2)
        let auth = peer.events.filter { $0["event"] as? String == "auth" }
        #expect(
            auth.count == 1 && auth.first?["mechanism"] as? String == "PLAIN" && auth.first?["tls"] as? Bool == true)
        let m = try #require(try parseMessages(peer.messages, archive: dir.file("archive"), dialect: "excel-eu").first)
        #expect(m["subject"] as? String == "Daily report 2026-10-25 – Werk Süd")
        #expect((m["plain"] as? String)?.contains("Hauptzähler (main)") == true)
        #expect((m["html"] as? String)?.contains("<h1") == true)
        #expect(m["zips"] as? [String] == ["strata-werk-s-d-daily-2026-10-25.zip"])
        #expect(m["csv_members"] as? [String] == ["summary-2026-10-25.csv"])

        // The same report to files, for a manager who wants a past day again.
        let out = try CLI.run([
            "report", "--config", cfg, "--report", "daily", "--period", "2026-10-25", "--out", dir.file("out"),
        ])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.file("out/daily-2026-10-25.eml")))
        #expect(FileManager.default.fileExists(atPath: dir.file("out/strata-werk-s-d-daily-2026-10-25.zip")))
        let bad = try CLI.run([
            "report", "--config", cfg, "--report", "daily", "--period", "2026-10", "--out", dir.file("out"),
        ])
        #expect(bad.status == 2 && bad.stderr.contains("is daily; --period 2026-10 is a month"), "\(bad.stderr)")
    }

    @Test func implicitTLSWithAuthLogin() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let (cfg, tls) = try setUp(dir, port: port, security: "tls")
        let peer = try SMTPPeer(
            port: port, maildir: dir.file("mail"), log: dir.file("peer.jsonl"),
            ["--tls", "implicit", "--cert", tls.cert, "--key", tls.key, "--auth", "reports:secret", "--only-login"])
        let r = try CLI.run([
            "report", "--config", cfg, "--report", "daily", "--period", "2026-10-24", "--send", "--to", "x@example.org",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(peer.messages.count == 1)
        #expect(
            peer.events.contains {
                $0["event"] as? String == "auth" && $0["mechanism"] as? String == "LOGIN" && $0["ok"] as? Bool == true
            })
    }

    @Test func wrongPasswordAndMissingTLSAreClearErrors() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let (cfg, tls) = try setUp(dir, port: port, password: "wrong")
        let peer = try SMTPPeer(
            port: port, maildir: dir.file("mail"), log: dir.file("peer.jsonl"),
            ["--tls", "starttls", "--cert", tls.cert, "--key", tls.key, "--auth", "reports:secret"])
        let r = try CLI.run(["report", "--config", cfg, "--report", "daily", "--period", "2026-10-24", "--send"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("refused the user name or password: 535"), "\(r.stderr)")
        #expect(!r.stderr.contains("wrong") && !r.stdout.contains("wrong"), "the password is never printed")
        #expect(peer.messages.isEmpty)
        peer.stop()
        // A server without STARTTLS: no fallback to clear text.
        let port2 = Net.freePort()
        try dir.write("strata.toml", Self.config(dir, smtpPort: port2, ca: tls.cert))
        let plain = try SMTPPeer(
            port: port2, maildir: dir.file("mail2"), log: dir.file("peer2.jsonl"), ["--tls", "none"])
        let r2 = try CLI.run(["report", "--config", cfg, "--report", "daily", "--period", "2026-10-24", "--send"])
        #expect(r2.status == 1)
        #expect(r2.stderr.contains("does not offer STARTTLS"), "\(r2.stderr)")
        #expect(plain.messages.isEmpty)
    }

    /// `strata run` with the outbox: the server refuses twice with 451; the report arrives once.
    @Test func temporaryRefusalsAreRetriedAndDeliverOnce() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let (cfg, tls) = try setUp(dir, port: port)
        let peer = try SMTPPeer(
            port: port, maildir: dir.file("mail"), log: dir.file("peer.jsonl"),
            [
                "--tls", "starttls", "--cert", tls.cert, "--key", tls.key, "--auth", "reports:secret", "--fail-first",
                "3",
            ])
        let run = try CLI.start(["run", "--config", cfg, "--no-archive"])
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, peer.messages.count < 2 { Thread.sleep(forTimeInterval: 0.5) }
        Thread.sleep(forTimeInterval: 3) // nothing more may come
        run.process.terminate()
        let r = run.finish()
        #expect(peer.messages.count == 2, "\(r.stderr)")
        #expect(peer.events.filter { $0["event"] as? String == "refused" }.count == 3)
        #expect(r.stderr.contains("will retry"))
        let outbox = try CLI.run(["outbox", "--config", cfg])
        #expect(outbox.stdout.split(separator: "\n").filter { $0.hasPrefix("sent ") }.count == 2, "\(outbox.stdout)")
        let status = try dir.read("archive/outbox/status.csv")
        #expect(status.hasPrefix("created,report,period,recipient,message_id,state,attempts"))
        #expect(status.components(separatedBy: ",sent,").count - 1 == 2, "\(status)")
    }

    /// The mail server is down when the report is due, and up later: delivered exactly once.
    @Test func serverDownAtFirstDeliversOnceWhenItComesUp() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let (cfg, tls) = try setUp(dir, port: port)
        let run = try CLI.start(["run", "--config", cfg, "--no-archive"])
        var listed = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !listed.contains("last error: cannot connect") {
            Thread.sleep(forTimeInterval: 0.5)
            listed = (try? CLI.run(["outbox", "--config", cfg]).stdout) ?? ""
        }
        #expect(listed.contains("pending"), "\(listed)")
        let peer = try SMTPPeer(
            port: port, maildir: dir.file("mail"), log: dir.file("peer.jsonl"),
            ["--tls", "starttls", "--cert", tls.cert, "--key", tls.key, "--auth", "reports:secret"])
        let until = Date().addingTimeInterval(90)
        while Date() < until, peer.messages.count < 2 { Thread.sleep(forTimeInterval: 0.5) }
        Thread.sleep(forTimeInterval: 2)
        run.process.terminate()
        let r = run.finish()
        #expect(peer.messages.count == 2, "\(r.stderr)")
    }

    /// Killed while sending (the server hangs mid-session): after a restart the queued report is
    /// delivered exactly once, and not generated again.
    @Test func killedBetweenRenderAndSendDeliversOnceAfterRestart() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let (cfg, tls) = try setUp(dir, port: port)
        let silent = try SilentServer(port: port)
        let first = try CLI.start(["run", "--config", cfg, "--no-archive"])
        var listed = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !listed.contains("pending") {
            Thread.sleep(forTimeInterval: 0.3)
            listed = (try? CLI.run(["outbox", "--config", cfg]).stdout) ?? ""
        }
        Thread.sleep(forTimeInterval: 1)
        kill(first.process.processIdentifier, SIGKILL)
        let r1 = first.finish()
        #expect(r1.stderr.contains("report queued"), "\(r1.stderr)")
        silent.stop()
        let peer = try SMTPPeer(
            port: port, maildir: dir.file("mail"), log: dir.file("peer.jsonl"),
            ["--tls", "starttls", "--cert", tls.cert, "--key", tls.key, "--auth", "reports:secret"])
        let second = try CLI.start(["run", "--config", cfg, "--no-archive"])
        let until = Date().addingTimeInterval(60)
        while Date() < until, peer.messages.count < 2 { Thread.sleep(forTimeInterval: 0.5) }
        Thread.sleep(forTimeInterval: 3)
        second.process.terminate()
        let r2 = second.finish()
        #expect(peer.messages.count == 2, "\(r2.stderr)")
        #expect(!r2.stderr.contains("report queued"), "the period was not generated a second time")
        let parsed = try parseMessages(peer.messages, archive: dir.file("archive"), dialect: "excel-eu")
        #expect(Set(parsed.compactMap { $0["message_id"] as? String }).count == 1, "one message, one Message-ID")
    }

    /// A server that accepts the connection and then says nothing: the greeting times out.
    @Test func silentServerTimesOut() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let (cfg, _) = try setUp(dir, port: port, timeout: "2 s")
        let silent = try SilentServer(port: port)
        defer { silent.stop() }
        let started = Date()
        // A timeout is temporary: --send tries again within --retry-for (here: no time for a second try).
        let r = try CLI.run([
            "report", "--config", cfg, "--report", "daily", "--period", "2026-10-24", "--send", "--retry-for", "1 s",
        ])
        #expect(r.status == 1)
        #expect(r.stderr.contains("did not answer in time (greeting, 2 s)"), "\(r.stderr)")
        #expect(r.stderr.contains("after 1 attempt in"), "\(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 15)
    }

    /// 550 for one recipient is final (failed, not retried); the other recipient gets the report.
    /// A server that stays down past retry_for: the message is given up, loudly.
    @Test func permanentRefusalAndGivingUp() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let (cfg, tls) = try setUp(dir, port: port)
        let peer = try SMTPPeer(
            port: port, maildir: dir.file("mail"), log: dir.file("peer.jsonl"),
            [
                "--tls", "starttls", "--cert", tls.cert, "--key", tls.key, "--auth", "reports:secret",
                "--reject-rcpt", "boss@example.org",
            ])
        let run = try CLI.start(["run", "--config", cfg, "--no-archive"])
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, peer.messages.count < 1 { Thread.sleep(forTimeInterval: 0.5) }
        Thread.sleep(forTimeInterval: 4)
        run.process.terminate()
        let r = run.finish()
        #expect(peer.messages.count == 1)
        #expect(peer.events.filter { $0["code"] as? Int == 550 }.count == 1, "a 550 is not retried")
        #expect(r.stderr.contains("REFUSED by the mail server"), "\(r.stderr)")
        let listed = try CLI.run(["outbox", "--config", cfg, "--state", "failed"]).stdout
        #expect(listed.contains("boss@example.org") && listed.contains("550 5.1.1"), "\(listed)")
        peer.stop()

        let dir2 = TempDir()
        let (cfg2, _) = try setUp(dir2, port: Net.freePort(), extra: "retry_for = \"3 s\"")
        let down = try CLI.start(["run", "--config", cfg2, "--no-archive"])
        Thread.sleep(forTimeInterval: 8)
        down.process.terminate()
        let r2 = down.finish()
        #expect(r2.stderr.contains("GIVEN UP"), "\(r2.stderr)")
        let failed = try CLI.run(["outbox", "--config", cfg2, "--state", "failed"]).stdout
        #expect(failed.split(separator: "\n").filter { $0.hasPrefix("failed ") }.count == 2, "\(failed)")
    }
}
