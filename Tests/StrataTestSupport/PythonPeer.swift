import Foundation

/// A Python process as a real peer for tests (a Modbus simulator, a mail server, a silent
/// socket): started, waited for until it prints its ready line, killed when done. One
/// launcher, so every peer has the same timeout and the same way of dying.
public final class PythonPeer {
    /// The repository, found from this file so tests run from any folder.
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// `STRATA_PYTHON`, else the test venv of README's test command, else the system's.
    public static var interpreter: String {
        if let p = ProcessInfo.processInfo.environment["STRATA_PYTHON"] { return p }
        let venv = repository + "/.venv-test/bin/python"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }

    public enum Failure: Error, CustomStringConvertible {
        case notReady(command: String, output: String)
        public var description: String {
            switch self {
            case .notReady(let c, let o): "\(c) did not print its ready line; it printed: \(o.prefix(500))"
            }
        }
    }

    public let process = Process()

    /// Runs a short script as an independent reader of what Strata wrote: with the system's
    /// `python3` (standard library only), or the given interpreter; its exit status and output.
    public static func script(_ code: String, _ arguments: [String], interpreter: String? = nil) throws -> (
        status: Int32, stdout: Data
    ) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: interpreter ?? "/usr/bin/env")
        p.arguments = (interpreter == nil ? ["python3"] : []) + ["-c", code] + arguments
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, data)
    }

    /// Runs `python arguments…` and waits up to `timeout` seconds for `ready` on its stdout.
    public init(_ arguments: [String], ready: String, timeout: Double = 20) throws {
        process.executableURL = URL(fileURLWithPath: Self.interpreter)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var seen = ""
        while Date() < deadline {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            seen += String(decoding: d, as: UTF8.self)
            if seen.contains(ready) { return }
        }
        stop()
        throw Failure.notReady(command: arguments.first ?? "python", output: seen)
    }

    /// Kills the peer, as a power cut would. (SIGKILL: a child started by Foundation's Process
    /// inherits blocked signals, so SIGTERM may never reach Python's handler.)
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// A TCP server that accepts connections and never says a word: a mail server hung mid-session.
public final class SilentServer {
    let peer: PythonPeer

    public init(port: Int) throws {
        peer = try PythonPeer(
            [
                "-c",
                """
                import socket, time, sys
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", \(port))); s.listen(16); print("ready", flush=True)
                held = []
                while True:
                    c, _ = s.accept(); held.append(c)
                """,
            ], ready: "ready")
    }

    public func stop() { peer.stop() }
}
