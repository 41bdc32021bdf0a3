import Foundation
import Logging
import StrataConfig
import StrataCore
import StrataRuntime
import StrataSampler

/// Polling N simulated Modbus TCP meters behind G gateways (simulator processes): Strata's
/// round against a plain pymodbus client doing the same reads, in the same run; then the CPU
/// and memory of a real `strata run` with those devices.
enum PollBench {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static var python: String {
        ProcessInfo.processInfo.environment["STRATA_PYTHON"] ?? repo + "/.venv-test/bin/python"
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func run(dir: String, devices: Int, gateways: Int, rounds: Int) async throws {
        let perGateway = devices / gateways
        var sims: [Process] = []
        var ports: [Int] = []
        defer { for s in sims { kill(s.processIdentifier, SIGKILL) } }
        for _ in 0..<gateways {
            let port = freePort()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = [
                repo + "/tools/modbus-sim/modbus_sim.py", "--port", "\(port)", "--device",
                "1-\(perGateway):eastron-sdm630",
            ]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            sims.append(p)
            ports.append(port)
        }
        try await Task.sleep(for: .seconds(3))
        var toml = """
            [site]
            name = "Poll bench"
            timezone = "UTC"
            [storage]
            path = "\(dir)/poll.sqlite"

            """
        for (g, port) in ports.enumerated() {
            for u in 1...perGateway {
                toml += """
                    [[devices]]
                    id = "g\(g)u\(u)"
                    driver = "modbus-tcp"
                    host = "127.0.0.1"
                    port = \(port)
                    unit_id = \(u)
                    profile = "eastron-sdm630"
                    timeout = "2s"

                    """
            }
        }
        let cfgPath = dir + "/poll.toml"
        try toml.write(toFile: cfgPath, atomically: true, encoding: .utf8)
        let cfg = try StrataConfig.load(path: cfgPath)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let store = try StoreActor(config: cfg, logger: logger)
        let sampler = try await Sampler(config: cfg, store: store, clock: SystemClock(), logger: logger)
        var walls: [Double] = []
        var cpus: [Double] = []
        let base = Int64(Date().timeIntervalSince1970) / 60 * 60
        for k in 0...rounds {
            let w0 = Date()
            let c0 = Bench.cpuSeconds()
            await sampler.round(at: base + Int64(k) * 60)
            walls.append(Date().timeIntervalSince(w0))
            cpus.append(Bench.cpuSeconds() - c0)
        }
        let stored = storedCount(cfg.storage.path)
        let strataWall = median(Array(walls.dropFirst()))
        let strataCPU = median(Array(cpus.dropFirst()))

        let ref = Process()
        ref.executableURL = URL(fileURLWithPath: python)
        ref.arguments = [
            repo + "/tools/modbus-sim/bench_client.py", "--ports", ports.map(String.init).joined(separator: ","),
            "--units", "\(perGateway)", "--rounds", "\(rounds)",
        ]
        let out = Pipe()
        ref.standardOutput = out
        try ref.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        ref.waitUntilExit()
        let json = (try? JSONSerialization.jsonObject(with: data) as? [String: Double]) ?? [:]
        let refWall = json["wall"] ?? .nan
        let refCPU = json["cpu"] ?? .nan

        print(
            "poll: \(devices) SDM630 meters behind \(gateways) gateways (pymodbus processes), one 76-register read each"
        )
        print(
            String(
                format: "  strata round    %7.3f s wall  %7.4f s CPU  (%.2f %% of a core over a minute)", strataWall,
                strataCPU, strataCPU / 60 * 100))
        print(String(format: "  pymodbus client %7.3f s wall  %7.4f s CPU", refWall, refCPU))
        print(
            String(
                format: "  ratio (strata / client): wall %.2fx, CPU %.2fx; %d values stored", strataWall / refWall,
                strataCPU / refCPU, stored))

        // A real `strata run` on a clock 30× real time, on a store of its own (the rounds above
        // wrote minutes ahead of the clock): CPU per round and peak memory.
        try toml.replacingOccurrences(of: "\(dir)/poll.sqlite", with: "\(dir)/run.sqlite").write(
            toFile: cfgPath, atomically: true, encoding: .utf8)
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "strata"
        ).path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = ["run", "--config", cfgPath, "--time-scale", "30", "--no-archive"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        try await Task.sleep(for: .seconds(20))
        let (cpu, hwm) = procStats(p.processIdentifier)
        p.terminate()
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let roundsRun = log.range(of: "rounds=").flatMap { r in Int(log[r.upperBound...].prefix { $0.isNumber }) } ?? 0
        print(
            String(
                format:
                    "  strata run: %d rounds in 20 s (30x clock), %.4f s CPU per round incl. start-up (%.2f %% of a core at one round a minute), peak RSS %.1f MB",
                roundsRun, cpu / Double(max(1, roundsRun)), cpu / Double(max(1, roundsRun)) / 60 * 100,
                Double(hwm) / 1_048_576))
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? .nan : s[s.count / 2]
    }

    static func storedCount(_ db: String) -> Int {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [db, "SELECT count(*) FROM minute"]
        let out = Pipe()
        p.standardOutput = out
        try? p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Int(String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// CPU seconds (user + system) and peak RSS in bytes of a running process.
    static func procStats(_ pid: Int32) -> (Double, Int) {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        let fields = stat.split(separator: ")").last.map { $0.split(separator: " ") } ?? []
        // After the ")": state is field 0, utime 11, stime 12 (clock ticks).
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let cpu = fields.count > 12 ? ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks : .nan
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let hwm =
            status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }.map { $0 * 1024 } ?? 0
        return (cpu, hwm)
    }
}
