import Foundation
import StrataTestSupport
import Testing

/// `strata report --send` against aiosmtpd answering with temporary refusals where RFC 5321
/// allows them (greeting, MAIL, RCPT, DATA), and with a certificate nobody vouched for.
@Suite(.serialized) struct SendRetryTests {
    @Test(arguments: [
        (["--fail-first", "1"], "451"), // DATA
        (["--fail-mail", "1"], "451"), // MAIL FROM
        (["--fail-rcpt", "1"], "452"), // RCPT TO (the first recipient only)
        (["--greet-421", "1"], "421"), // the greeting
    ])
    func aTemporaryRefusalIsRetriedAndDeliversOnce(refusal: [String], code: String) throws {
        let dir = TempDir()
        let port = Net.freePort()
        let (cfg, tls) = try ReportTests().setUp(dir, port: port)
        let peer = try SMTPPeer(
            port: port, maildir: dir.file("mail"), log: dir.file("peer.jsonl"),
            ["--tls", "starttls", "--cert", tls.cert, "--key", tls.key, "--auth", "reports:secret"] + refusal)
        let r = try CLI.run([
            "report", "--config", cfg, "--report", "daily", "--period", "2026-10-25", "--send", "--retry-for", "30 s",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let line = r.stderr.components(separatedBy: "\n").first { $0.hasPrefix("temporary refusal:") } ?? ""
        #expect(line.contains(": \(code) "), "\(r.stderr)")
        #expect(
            r.stdout.contains("sent to fm@example.org: 250") && r.stdout.contains("sent to boss@example.org: 250"),
            "\(r.stdout)")
        // Each recipient got it once.
        #expect(peer.messages.count == 2, "\(peer.events)")
        #expect(peer.events.filter { $0["event"] as? String == "refused" }.count == 1)
    }

    @Test func aServerThatKeepsRefusingIsAClearFinalFailure() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let (cfg, tls) = try ReportTests().setUp(dir, port: port)
        let peer = try SMTPPeer(
            port: port, maildir: dir.file("mail"), log: dir.file("peer.jsonl"),
            [
                "--tls", "starttls", "--cert", tls.cert, "--key", tls.key, "--auth", "reports:secret", "--fail-first",
                "100",
            ])
        let r = try CLI.run([
            "report", "--config", cfg, "--report", "daily", "--period", "2026-10-25", "--send", "--retry-for", "5 s",
        ])
        #expect(r.status == 1)
        #expect(r.stderr.contains("NOT sent to fm@example.org after 3 attempts"), "\(r.stderr)")
        #expect(r.stderr.contains("451") && r.stderr.contains("temporary"))
        #expect(peer.messages.isEmpty)
        // Attempts after 0, 1 and 3 s (the next, after 7 s, would start past the 5 s window),
        // each refusing DATA for both recipients.
        #expect(peer.events.filter { $0["event"] as? String == "refused" }.count == 6)
    }

    /// A self-signed certificate is refused unless ca_file trusts it: no silent fallback.
    @Test func anUntrustedCertificateIsRefusedUnlessCAFileTrustsIt() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let (cfg, tls) = try ReportTests().setUp(dir, port: port)
        let peer = try SMTPPeer(
            port: port, maildir: dir.file("mail"), log: dir.file("peer.jsonl"),
            ["--tls", "starttls", "--cert", tls.cert, "--key", tls.key, "--auth", "reports:secret"])
        let trusted = try dir.read("strata.toml")
        try dir.write(
            "strata.toml",
            trusted.components(separatedBy: "\n").filter { !$0.hasPrefix("ca_file") }.joined(separator: "\n"))
        let r = try CLI.run([
            "report", "--config", cfg, "--report", "daily", "--period", "2026-10-25", "--send", "--retry-for", "1 s",
        ])
        #expect(r.status == 1)
        #expect(r.stderr.lowercased().contains("certificate"), "\(r.stderr)")
        #expect(peer.messages.isEmpty)
        #expect(!peer.events.contains { $0["event"] as? String == "auth" }, "no password went to an untrusted server")
        try dir.write("strata.toml", trusted)
        let ok = try CLI.run(["report", "--config", cfg, "--report", "daily", "--period", "2026-10-25", "--send"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(peer.messages.count == 2)
    }
}
