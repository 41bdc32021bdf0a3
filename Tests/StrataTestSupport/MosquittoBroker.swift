import Foundation

/// A real MQTT broker for tests: Debian's `mosquitto` on a loopback port with a password file
/// (and TLS when given a certificate), persistence on, so a clean stop and start keeps the
/// sessions of subscribers that asked for one.
public final class MosquittoBroker {
    public let port: Int
    public let dir: String
    public let user = "strata"
    public let password = "broker-secret"
    public let tls: (cert: String, key: String)?
    var process: Process?

    public enum Failure: Error, CustomStringConvertible {
        case tool(String)
        case notListening(String)
        public var description: String {
            switch self {
            case .tool(let m): "cannot prepare mosquitto: \(m)"
            case .notListening(let log): "mosquitto did not listen; its log: \(log.suffix(800))"
            }
        }
    }

    /// `anonymous`: clients without a user may connect too (the demo's `--mqtt URL` has none).
    public init(port: Int, dir: String, tls: (cert: String, key: String)? = nil, anonymous: Bool = false) throws {
        self.port = port
        self.dir = dir
        self.tls = tls
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let pw = Process()
        pw.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_passwd")
        pw.arguments = ["-b", "-c", dir + "/passwd", user, password]
        pw.standardOutput = FileHandle.nullDevice
        pw.standardError = FileHandle.nullDevice
        try pw.run()
        pw.waitUntilExit()
        guard pw.terminationStatus == 0 else { throw Failure.tool("mosquitto_passwd exited \(pw.terminationStatus)") }
        var conf = """
            per_listener_settings false
            allow_anonymous \(anonymous)
            password_file \(dir)/passwd
            persistence true
            persistence_location \(dir)/
            log_dest file \(dir)/mosquitto.log
            log_type all
            listener \(port) 127.0.0.1

            """
        // As root mosquitto would switch to its own user, who cannot write the test's folder.
        if getuid() == 0 { conf = "user root\n" + conf }
        if let tls { conf += "certfile \(tls.cert)\nkeyfile \(tls.key)\n" }
        try conf.write(toFile: dir + "/mosquitto.conf", atomically: true, encoding: .utf8)
        // mosquitto refuses a password file others can read (as root it warns only).
        chmod(dir + "/passwd", 0o600)
        try start()
    }

    /// Starts (again) and waits until the port accepts connections.
    public func start() throws {
        let p = Process()
        // Through a shim that unblocks signals: a child started by Foundation's Process inherits
        // blocked signals, and mosquitto saves its sessions only on a SIGTERM it receives.
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "python3", "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
            "/usr/sbin/mosquitto", "-c", dir + "/mosquitto.conf",
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Self.accepts(port) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Failure.notListening((try? String(contentsOfFile: dir + "/mosquitto.log", encoding: .utf8)) ?? "")
    }

    /// A clean stop (SIGTERM: sessions and retained messages are saved).
    public func stop() {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        process = nil
    }

    deinit {
        if let p = process, p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    /// `mosquitto_sub` on every topic, one line per message (`retained topic payload`) into a
    /// file. With `session`, a persistent QoS 1 session under that client id: what is published
    /// while it is away is kept for it.
    public func subscribe(to file: String, topic: String = "#", session: String? = nil, cafile: String? = nil) throws
        -> Process
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        var args = [
            "-h", tls == nil ? "127.0.0.1" : "localhost", "-p", String(port), "-u", user, "-P", password, "-t", topic,
            "-q", "1", "-F", "%r %t %p",
        ]
        if let session { args += ["-c", "-i", session] }
        if let cafile { args += ["--cafile", cafile] }
        p.arguments = args
        _ = FileManager.default.createFile(atPath: file, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        h.seekToEndOfFile()
        p.standardOutput = h
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Ends a subscriber (its session, if persistent, stays on the broker).
    public static func end(_ p: Process) {
        guard p.isRunning else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// The lines a subscriber wrote: (retained, topic, payload).
    public static func messages(_ file: String) -> [(retained: Bool, topic: String, payload: String)] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            return (parts[0] == "1", String(parts[1]), String(parts[2]))
        }
    }
}
