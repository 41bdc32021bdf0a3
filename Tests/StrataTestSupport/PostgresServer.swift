import Foundation

/// A real PostgreSQL for tests: Debian's server binaries, `initdb` in a fresh folder, started
/// with `pg_ctl` on a loopback port, password authentication (scram-sha-256) for user
/// `strata`, and a database `fleet`. As root it runs as the `postgres` user (initdb refuses
/// root).
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let dir: String
    public let user = "strata"
    public let password: String
    let bin: String

    public enum Failure: Error, CustomStringConvertible {
        case missing(String)
        case tool(String, String)
        public var description: String {
            switch self {
            case .missing(let m): "PostgreSQL is not installed: \(m) (apt-get install postgresql)"
            case .tool(let cmd, let out): "\(cmd) failed: \(out.suffix(1200))"
            }
        }
    }

    public init(password: String = "fleet-secret") throws {
        self.password = password
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let v = versions.sorted().last,
            FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(v)/bin/initdb")
        else {
            throw Failure.missing("no /usr/lib/postgresql/*/bin/initdb")
        }
        bin = "/usr/lib/postgresql/\(v)/bin"
        port = Net.freePort()
        dir = "/tmp/strata-pg-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try password.write(toFile: dir + "/pw", atomically: true, encoding: .utf8)
        if getuid() == 0 { _ = try Self.run("/bin/chown", ["-R", "postgres:postgres", dir]) }
        _ = try asOwner(
            bin + "/initdb",
            [
                "-D", dir + "/data", "-U", user, "--auth=scram-sha-256", "--pwfile=" + dir + "/pw", "-E", "UTF8",
                "--no-locale",
            ])
        try start()
        _ = try psql("CREATE DATABASE fleet", database: "postgres")
    }

    deinit {
        stop(immediate: true)
        try? FileManager.default.removeItem(atPath: dir)
    }

    public var url: String { "postgres://\(user)@127.0.0.1:\(port)/fleet" }

    public func start() throws {
        // Not through a pipe: the server it leaves running would hold the pipe open.
        _ = try asOwner(
            bin + "/pg_ctl",
            [
                "-D", dir + "/data", "-l", dir + "/log", "-w", "-t", "30", "-o",
                "-p \(port) -k \(dir) -c listen_addresses=127.0.0.1", "start",
            ], outputFile: dir + "/pg_ctl.out")
    }

    /// `immediate`: as if the server crashed (no shutdown checkpoint); it recovers on start.
    public func stop(immediate: Bool = false) {
        _ = try? asOwner(bin + "/pg_ctl", ["-D", dir + "/data", "-w", "-m", immediate ? "immediate" : "fast", "stop"])
    }

    /// Runs SQL with psql; the rows unaligned, `|`-separated, one per line.
    @discardableResult
    public func psql(_ sql: String, database: String = "fleet") throws -> String {
        try Self.run(
            "/usr/bin/psql",
            [
                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d",
                database, "-c", sql,
            ],
            env: ["PGPASSWORD": password])
    }

    /// `psql \copy` of a file into a table: the reference for the replication rate.
    public func copy(_ table: String, columns: [String], from file: String) throws {
        _ = try Self.run(
            "/usr/bin/psql",
            [
                "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", "fleet",
                "-c",
                "\\copy \(table) (\(columns.joined(separator: ", "))) FROM '\(file)'",
            ], env: ["PGPASSWORD": password])
    }

    /// Through a shim that closes every inherited descriptor but 0-2: Foundation's Process learns
    /// that a child ended when a descriptor it shares closes, and the server pg_ctl leaves
    /// running would otherwise hold it forever.
    func asOwner(_ tool: String, _ args: [String], outputFile: String? = nil) throws -> String {
        let shim = ["python3", "-c", "import os, sys; os.closerange(3, 65536); os.execv(sys.argv[1], sys.argv[1:])"]
        let cmd = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", tool] + args : [tool] + args
        return try Self.run("/usr/bin/env", shim + cmd, outputFile: outputFile)
    }

    static func run(_ tool: String, _ args: [String], env: [String: String] = [:], outputFile: String? = nil) throws
        -> String
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        let out = Pipe()
        var file: FileHandle?
        if let outputFile {
            _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
            file = FileHandle(forWritingAtPath: outputFile)
            p.standardOutput = file
            p.standardError = file
        } else {
            p.standardOutput = out
            p.standardError = out
        }
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = outputFile == nil ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        p.waitUntilExit()
        try? file?.close()
        let text =
            outputFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }
            ?? String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else { throw Failure.tool(([tool] + args).joined(separator: " "), text) }
        return text
    }
}
