import Foundation

/// tools/smtp-peer/smtp_peer.py (aiosmtpd) as a real mail server for tests: it stores what it
/// accepts in a Maildir and logs auth and delivery events as JSON lines.
public final class SMTPPeer {
    public static let script = PythonPeer.repository + "/tools/smtp-peer/smtp_peer.py"

    public let peer: PythonPeer
    public let maildir: String
    public let log: String
    public let port: Int

    public init(port: Int, maildir: String, log: String, _ args: [String] = []) throws {
        self.port = port
        self.maildir = maildir
        self.log = log
        peer = try PythonPeer(
            [Self.script, "--port", String(port), "--maildir", maildir, "--log", log] + args, ready: "ready")
    }

    /// Messages the server accepted (files in the Maildir's new/).
    public var messages: [String] {
        let dir = maildir + "/new"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
    }

    public var events: [[String: Any]] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Kills the server (the Maildir is written atomically, so what it accepted is complete).
    public func stop() { peer.stop() }

    /// A certificate for "localhost" and 127.0.0.1, and its key, made with the openssl tool.
    public static func certificate(in dir: String) throws -> (cert: String, key: String) {
        let cert = dir + "/mail.crt"
        let key = dir + "/mail.key"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert,
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return (cert, key)
    }
}
