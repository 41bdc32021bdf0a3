import Foundation

/// tools/smtp-peer/smtp_peer.py (aiosmtpd) as a real mail server for tests: it stores what it
/// accepts in a Maildir and logs auth and delivery events as JSON lines.
final class SMTPPeer {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tools/smtp-peer/smtp_peer.py").path

    let process = Process()
    let maildir: String
    let log: String
    let port: Int

    init(port: Int, maildir: String, log: String, _ args: [String] = []) throws {
        self.port = port
        self.maildir = maildir
        self.log = log
        process.executableURL = URL(fileURLWithPath: ModbusSim.python)
        process.arguments = [Self.script, "--port", String(port), "--maildir", maildir, "--log", log] + args
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var seen = ""
        while Date() < deadline {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            seen += String(decoding: d, as: UTF8.self)
            if seen.contains("ready") { return }
        }
        process.terminate()
        throw PeerError.notReady(seen)
    }

    enum PeerError: Error { case notReady(String) }

    /// Messages the server accepted (files in the Maildir's new/).
    var messages: [String] {
        let dir = maildir + "/new"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
    }

    var events: [[String: Any]] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Kills the server. (SIGKILL: a child started by Foundation's Process inherits blocked
    /// signals, so SIGTERM may never reach Python's handler; the Maildir is written atomically.)
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }

    /// A certificate for "localhost" and 127.0.0.1, and its key, made with the openssl tool.
    static func certificate(in dir: String) throws -> (cert: String, key: String) {
        let cert = dir + "/mail.crt", key = dir + "/mail.key"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                       "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return (cert, key)
    }
}

/// A TCP server that accepts connections and never says a word: a mail server hung mid-session.
final class SilentServer {
    let process = Process()

    init(port: Int) throws {
        process.executableURL = URL(fileURLWithPath: ModbusSim.python)
        process.arguments = ["-c", """
            import socket, time, sys
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", \(port))); s.listen(16); print("ready", flush=True)
            held = []
            while True:
                c, _ = s.accept(); held.append(c)
            """]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        _ = out.fileHandleForReading.availableData
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Reads .eml files with Python's `email` package and opens their ZIPs with `zipfile`: the
/// subject, both body parts, and each CSV compared with the archive's file of the same path.
func parseMessages(_ paths: [String], archive: String, dialect: String) throws -> [[String: Any]] {
    let script = """
        import email, email.policy, hashlib, io, json, os, sys, zipfile
        archive, dialect = sys.argv[1], sys.argv[2]
        out = []
        for path in sys.argv[3:]:
            m = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.default)
            plain = m.get_body(("plain",)); html = m.get_body(("html",))
            r = {"path": path, "subject": str(m["Subject"]), "message_id": str(m["Message-ID"]), "to": str(m["To"]),
                 "plain": plain.get_content() if plain else None, "html": html.get_content() if html else None,
                 "zips": [], "csv_equal": 0, "csv_differ": [], "csv_members": []}
            for part in m.iter_attachments():
                r["zips"].append(part.get_filename())
                z = zipfile.ZipFile(io.BytesIO(part.get_content()))
                assert z.testzip() is None
                for name in z.namelist():
                    r["csv_members"].append(name)
                    if name.startswith("summary-"):
                        continue
                    with open(os.path.join(archive, dialect, name), "rb") as f:
                        if f.read() == z.read(name): r["csv_equal"] += 1
                        else: r["csv_differ"].append(name)
            out.append(r)
        print(json.dumps(out))
        """
    let p = Process()
    p.executableURL = URL(fileURLWithPath: ModbusSim.python)
    p.arguments = ["-c", script, archive, dialect] + paths
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
}
