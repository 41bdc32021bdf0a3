import Foundation

/// tools/modbus-sim/modbus_sim.py (pymodbus) as a real Modbus peer for tests.
final class ModbusSim {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tools/modbus-sim/modbus_sim.py").path
    static var python: String {
        if let p = ProcessInfo.processInfo.environment["STRATA_PYTHON"] { return p }
        let venv = URL(fileURLWithPath: script).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".venv-test/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }

    let process = Process()
    let log: String

    /// Starts the simulator and waits until it serves.
    init(_ args: [String], log: String) throws {
        self.log = log
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.script, "--log", log] + args
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
            if seen.contains("modbus_sim ready") { return }
        }
        process.terminate()
        throw SimError.notReady(seen)
    }

    enum SimError: Error { case notReady(String), badLog(String, line: Int, String), sqlite(String) }

    /// Kills the simulator, as a power cut would.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    /// What the simulator served, per unit: one dictionary of channel values per read. A log
    /// that cannot be read or holds a line that is not a served read fails the test (it
    /// throws): an empty answer must mean "nothing was served", never "the log was broken".
    static func served(_ log: String) throws -> [Int: [[String: Double]]] {
        guard FileManager.default.fileExists(atPath: log) else { return [:] }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        var out: [Int: [[String: Double]]] = [:]
        for (i, line) in text.split(separator: "\n").enumerated() {
            guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let unit = obj["unit"] as? Int, let values = obj["values"] as? [String: Double] else {
                throw SimError.badLog(log, line: i + 1, String(line.prefix(200)))
            }
            out[unit, default: []].append(values)
        }
        return out
    }

    /// Channels the simulator served as a broken register (`absurd=`), per unit and read.
    static func absurd(_ log: String) throws -> [Int: Int] {
        let text = try String(contentsOfFile: log, encoding: .utf8)
        var out: [Int: Int] = [:]
        for line in text.split(separator: "\n") {
            guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let unit = obj["unit"] as? Int else { continue }
            out[unit, default: 0] += (obj["absurd"] as? [String])?.count ?? 0
        }
        return out
    }
}

/// Free loopback ports, for tests that start servers.
enum Net {
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Values of the store read with the sqlite3 shell: what is on disk, not what the code thinks.
/// A store the shell cannot read fails the test (throws); no rows means no rows.
func storedValues(_ db: String, device: String, channel: String) throws -> [(ts: Int64, value: Double)] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    p.arguments = [db, "SELECT m.ts, m.value FROM minute m JOIN channel c ON c.id = m.channel WHERE c.device = '\(device)' AND c.channel = '\(channel)' ORDER BY m.ts"]
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let d = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw ModbusSim.SimError.sqlite("sqlite3 \(db): \(String(decoding: e, as: UTF8.self))") }
    return try String(decoding: d, as: UTF8.self).split(separator: "\n").map { line in
        let f = line.split(separator: "|")
        guard f.count == 2, let t = Int64(f[0]), let v = Double(f[1]) else { throw ModbusSim.SimError.sqlite("unexpected row \(line)") }
        return (t, v)
    }
}
