import Foundation

/// Runs the real `strata` executable built next to the test bundle.
public enum CLI {
    public static var binary: String {
        if let p = ProcessInfo.processInfo.environment["STRATA_BIN"] { return p }
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = me.deletingLastPathComponent()
        // The test bundle may be a folder (…/strataPackageTests.xctest/…) or a file.
        while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("strata").path), dir.path != "/"
        {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("strata").path
    }

    public struct Result {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    @discardableResult
    public static func run(_ args: [String], cwd: String? = nil, input: String? = nil) throws -> Result {
        let p = try start(args, cwd: cwd, input: input)
        return p.finish()
    }

    public final class Running {
        public let process: Process
        public let out: Pipe
        public let err: Pipe
        public init(process: Process, out: Pipe, err: Pipe) {
            self.process = process
            self.out = out
            self.err = err
        }

        /// Reads the child's stderr as it comes until `marker` shows (true), the child exits or
        /// `seconds` pass (false); what was read is kept for `finish`.
        public func waitForStderr(_ marker: String, seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if early.contains(marker) { return true }
                let d = err.fileHandleForReading.availableData
                if d.isEmpty { return early.contains(marker) }
                early += String(decoding: d, as: UTF8.self)
            }
            return early.contains(marker)
        }

        public var early = ""

        public func finish() -> Result {
            // Read before waiting so a full pipe never blocks the child.
            let o = out.fileHandleForReading.readDataToEndOfFile()
            let e = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Result(
                status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                stderr: early + String(decoding: e, as: UTF8.self))
        }
    }

    public static func start(
        _ args: [String], cwd: String? = nil, input: String? = nil, environment: [String: String] = [:]
    ) throws -> Running {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let c = cwd { p.currentDirectoryURL = URL(fileURLWithPath: c) }
        let out = Pipe()
        let err = Pipe()
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
