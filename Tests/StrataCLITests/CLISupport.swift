import Foundation

/// Runs the real `strata` executable built next to the test bundle.
enum CLI {
    static var binary: String {
        if let p = ProcessInfo.processInfo.environment["STRATA_BIN"] { return p }
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = me.deletingLastPathComponent()
        // The test bundle may be a folder (…/strataPackageTests.xctest/…) or a file.
        while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("strata").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("strata").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    static func run(_ args: [String], cwd: String? = nil, input: String? = nil) throws -> Result {
        let p = try start(args, cwd: cwd, input: input)
        return p.finish()
    }

    final class Running {
        let process: Process
        let out: Pipe
        let err: Pipe
        init(process: Process, out: Pipe, err: Pipe) {
            self.process = process
            self.out = out
            self.err = err
        }

        /// Reads the child's stderr as it comes until `marker` shows (true), the child exits or
        /// `seconds` pass (false); what was read is kept for `finish`.
        func waitForStderr(_ marker: String, seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if early.contains(marker) { return true }
                let d = err.fileHandleForReading.availableData
                if d.isEmpty { return early.contains(marker) }
                early += String(decoding: d, as: UTF8.self)
            }
            return early.contains(marker)
        }

        var early = ""

        func finish() -> Result {
            // Read before waiting so a full pipe never blocks the child.
            let o = out.fileHandleForReading.readDataToEndOfFile()
            let e = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: early + String(decoding: e, as: UTF8.self))
        }
    }

    static func start(_ args: [String], cwd: String? = nil, input: String? = nil, environment: [String: String] = [:]) throws -> Running {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let c = cwd { p.currentDirectoryURL = URL(fileURLWithPath: c) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let stdin = Pipe()
        if input != nil { p.standardInput = stdin }
        try p.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        return Running(process: p, out: out, err: err)
    }
}

final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "strata-cli-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
    }
    func read(_ name: String) throws -> String { try String(contentsOfFile: file(name), encoding: .utf8) }
}

enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path
    static var water: String { root + "/ampds2/Water_WHW.csv.gz" }
    static var gas: String { root + "/ampds2/NaturalGas_FRG.csv.gz" }
    static var electricity: String { root + "/ampds2/Electricity_B1E-11.csv" }
}

/// The AMPds2 house as a config: water and gas counters, the bedroom sub-meter.
func houseConfig(retentionForever: Bool = true) -> String {
    """
    [site]
    name = "AMPds2 house"
    timezone = "America/Vancouver"

    [storage]
    path = "data/strata.sqlite"
    budget = "2 GB"

    [retention]
    minute = "\(retentionForever ? "forever" : "400 days")"
    quarter = "forever"
    hour = "forever"

    [[devices]]
    id = "water"
    name = "Whole-house water"
    driver = "none"

    [[devices.channels]]
    id = "volume"
    unit = "L"
    kind = "counter"

    [[devices]]
    id = "gas"
    name = "Furnace gas"
    driver = "none"

    [[devices.channels]]
    id = "volume"
    unit = "L"
    kind = "counter"

    [[devices]]
    id = "bedroom"
    name = "Bedroom sub-meter"
    driver = "none"

    [[devices.channels]]
    id = "energy"
    unit = "Wh"
    kind = "counter"

    [[devices.channels]]
    id = "power"
    unit = "W"
    kind = "gauge"
    """
}
