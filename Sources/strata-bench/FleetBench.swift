import Foundation
import Logging
import StrataConfig
import StrataCore
import StrataFleet
import StrataFleetLink
import StrataFleetService
import StrataRuntime
import StrataStore

/// `strata-bench fleet`: replication into a real PostgreSQL started here (Debian's server,
/// initdb in a temp folder). A site of `channels` counters and gauges with `days` of minute
/// data (a site that was offline that long) catches up: every closed bucket of every tier,
/// pushed as `strata run` pushes it. The reference, in the same run and on the same server:
/// `psql \copy` of the same rows (the COPY text Strata sends) into the same partitioned table
/// of a second database.
enum FleetBench {
    static func sh(_ args: [String], env: [String: String] = [:]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Inherited descriptors closed: the server pg_ctl leaves running must not hold our pipe.
        p.arguments =
            ["python3", "-c", "import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])"] + args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fleetbench-\(getpid()).out").path
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        let h = FileHandle(forWritingAtPath: out)
        p.standardOutput = h
        p.standardError = h
        try p.run()
        p.waitUntilExit()
        try? h?.close()
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard p.terminationStatus == 0 else { throw BenchError("\(args.joined(separator: " ")): \(text)") }
        return text
    }

    struct BenchError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// A PostgreSQL cluster of Debian's server in a temp folder, on `port`, password "bench",
    /// with the databases given; stopped and removed by `stop`.
    struct Cluster {
        let dir: String
        let port: Int
        let version: String
        let owner: [String]
        let bin: String

        init(port: Int, databases: [String]) throws {
            let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted() ?? []
            guard let v = versions.last else {
                throw BenchError("PostgreSQL is not installed (apt-get install postgresql)")
            }
            version = v
            bin = "/usr/lib/postgresql/\(v)/bin"
            dir = "/tmp/strata-bench-pg-\(getpid())-\(port)"
            self.port = port
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try "bench".write(toFile: dir + "/pw", atomically: true, encoding: .utf8)
            owner = getuid() == 0 ? ["runuser", "-u", "postgres", "--"] : []
            if getuid() == 0 { _ = try sh(["chown", "-R", "postgres:postgres", dir]) }
            _ = try sh(
                owner + [
                    bin + "/initdb", "-D", dir + "/data", "-U", "strata", "--auth=scram-sha-256",
                    "--pwfile=" + dir + "/pw", "-E", "UTF8", "--no-locale",
                ])
            _ = try sh(
                owner + [
                    bin + "/pg_ctl", "-D", dir + "/data", "-l", dir + "/log", "-w", "-o",
                    "-p \(port) -k \(dir) -c listen_addresses=127.0.0.1", "start",
                ])
            for db in databases { _ = try psql("postgres", "CREATE DATABASE \(db)") }
        }

        func stop() {
            _ = try? sh(owner + [bin + "/pg_ctl", "-D", dir + "/data", "-m", "fast", "-w", "stop"])
            try? FileManager.default.removeItem(atPath: dir)
        }

        func psql(_ db: String, _ sql: String) throws -> String {
            try sh(
                [
                    "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U",
                    "strata", "-d", db, "-c", sql,
                ],
                env: ["PGPASSWORD": "bench"])
        }

        func url(_ db: String) -> String { "postgres://strata@127.0.0.1:\(port)/\(db)" }
    }

    static func run(dir: String, channels: Int, days: Int, port: Int, minute: Bool) async throws {
        let cluster = try Cluster(port: port, databases: ["fleet", "reference"])
        defer { cluster.stop() }
        let pg = cluster.dir
        let v = cluster.version
        func psql(_ db: String, _ sql: String) throws -> String { try cluster.psql(db, sql) }
        let logger = Logger(label: "bench")
        for db in ["fleet", "reference"] {
            let link = try await FleetLink.connect(
                try FleetTarget(url: "postgres://strata@127.0.0.1:\(port)/\(db)", password: "bench"), logger: logger)
            _ = try await link.initSchema()
            await link.close()
        }

        // The site: `channels` channels (half counters), `days` of minutes, rolled up.
        var toml =
            "[site]\nname = \"Bench site\"\ntimezone = \"Europe/Paris\"\n[storage]\npath = \"\(dir)/site.sqlite\"\n"
        for d in 0..<max(1, channels / 20) {
            toml += "\n[[devices]]\nid = \"d\(d)\"\ndriver = \"none\"\n"
            for c in 1...20 {
                toml +=
                    c % 2 == 1
                    ? "\n  [[devices.channels]]\n  id = \"c\(c)\"\n  unit = \"kWh\"\n  kind = \"counter\"\n"
                    : "\n  [[devices.channels]]\n  id = \"c\(c)\"\n  unit = \"W\"\n  kind = \"gauge\"\n"
            }
        }
        toml += "\n[replication]\nurl = \"postgres://strata@127.0.0.1:\(port)/fleet\"\nbatch_rows = 50000\n"
        if minute { toml += "tiers = [\"minute\", \"quarter\", \"hour\", \"day\", \"month\", \"year\"]\n" }
        let cfg = try StrataConfig.parse(toml, file: dir + "/strata.toml")
        let end = Int64(Date().timeIntervalSince1970) / 86_400 * 86_400
        let start = end - Int64(days) * 86_400
        do {
            let store = try cfg.makeStore()
            let ids = store.channels.map(\.id)
            var batch: [Sample] = []
            for m in 0..<(days * 1440) {
                let ts = start + Int64(m) * 60
                for (k, id) in ids.enumerated() {
                    batch.append(Sample(channel: id, ts: ts, value: Bench.value(m, k + 1)))
                }
                if batch.count >= 200_000 {
                    try store.write(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            try store.write(batch)
            try store.rollUp(now: end + 3600)
        }
        print(
            "# fleet: \(channels) channels, \(days) days offline, \(minute ? "minute tier too" : "quarter-hours and coarser"), into PostgreSQL \(v) on loopback"
        )

        // Strata: the catch-up as the replication service does it.
        guard let settings = ReplicationService.Settings(cfg) else {
            throw BenchError("the bench config has no [replication]")
        }
        // The site's writer records what replication does; the reader beside it only reads.
        let writer = try StoreActor(config: cfg, logger: logger)
        try await writer.enableReplication()
        let siteID = try await writer.replicationSiteID()
        let reader = ReplicationReader(settings: settings, store: try cfg.makeStoreReader(), siteID: siteID)
        let link = try await FleetLink.connect(
            try FleetTarget(url: "postgres://strata@127.0.0.1:\(port)/fleet", password: "bench"), logger: logger)
        let site = try await reader.siteInfo()
        var rows = 0
        var pushes = 0
        var copyText: [UInt8] = []
        let t0 = Bench.clock()
        var batch = try await reader.next()
        while let b = batch {
            async let following = b.more ? reader.next(after: b) : nil
            try await link.push(site, payload: b.payload, events: b.events)
            try await writer.commitReplication(cursors: b.cursors, consumedDirty: b.consumedDirty, at: end)
            rows += b.payload.rows
            pushes += 1
            // The reference gets the very bytes Strata sent.
            copyText += b.payload.copy
            batch = try await following
        }
        let strata = Bench.clock() - t0
        await link.close()

        // The reference: the same rows with psql \\copy into the same partitioned table.
        try Data(copyText).write(to: URL(fileURLWithPath: pg + "/rows.copy"))
        if getuid() == 0 { _ = try sh(["chmod", "644", pg + "/rows.copy"]) }
        let months = Set(
            try psql("fleet", "SELECT DISTINCT to_char(start, 'YYYY-MM') FROM bucket").split(
                whereSeparator: \.isNewline
            ).map(String.init))
        for m in months {
            let first = m + "-01 00:00:00+00"
            _ = try psql(
                "reference",
                "CREATE TABLE IF NOT EXISTS \"bucket_\(m.replacingOccurrences(of: "-", with: "_"))\" PARTITION OF bucket FOR VALUES FROM ('\(first)') TO (('\(first)'::timestamptz + interval '1 month'))"
            )
        }
        let r0 = Bench.clock()
        _ = try psql(
            "reference",
            "\\copy bucket (\(BucketCopy.columns.map { "\"\($0)\"" }.joined(separator: ", "))) FROM '\(pg)/rows.copy'")
        let reference = Bench.clock() - r0
        let check = try psql("fleet", "SELECT count(*) FROM bucket").trimmingCharacters(in: .whitespacesAndNewlines)
        print(
            String(
                format: "strata: %d buckets in %d pushes, %.2f s (%.0f rows/s)", rows, pushes, strata,
                Double(rows) / strata))
        print(String(format: "psql \\copy of the same rows: %.2f s (%.0f rows/s)", reference, Double(rows) / reference))
        print(
            String(
                format: "ratio strata / psql \\copy: %.2f×   (central rows: %@)",
                (Double(rows) / strata) / (Double(rows) / reference), check))
    }
}
