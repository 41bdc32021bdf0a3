import Foundation
import StrataTestSupport
import Testing

/// Faults through the `strata` binary: a SIGKILL at the worst moment, a damaged store file.
/// Nothing committed may be lost, nothing may be doubled, and damage is named with the
/// command that recovers.
@Suite(.serialized) struct FaultTests {
    /// The last `through=` of the store's "minutes committed" progress lines (debug level).
    static func lastCommitted(_ log: String) -> Int64? {
        log.components(separatedBy: "\n").filter { $0.contains("minutes committed") }.last.flatMap { line in
            line.range(of: #"through=(\d+)"#, options: .regularExpression).flatMap { Int64(line[$0].dropFirst(8)) }
        }
    }

    static func integrity(_ db: String) -> String { sqliteShell(db, "PRAGMA integrity_check") }

    /// Reads a running strata's stderr until it has logged `n` commits (or 60 s passed, or it
    /// exited); the number seen.
    static func waitForCommits(_ p: CLI.Running, _ n: Int) -> Int {
        var seen = 0
        let deadline = Date().addingTimeInterval(60)
        while seen < n, Date() < deadline, p.process.isRunning {
            _ = p.waitForStderr("\u{0}never", seconds: 0.2)
            seen = p.early.components(separatedBy: "minutes committed").count - 1
        }
        return seen
    }

    @Test func importKilledMidwayLosesNoCommittedMinuteAndReimportDoublesNone() throws {
        let ref = TempDir()
        let dir = TempDir()
        let args = [
            "--device", "water", "--time-column", "unix_ts", "--time-format", "unix", "--map", "counter=volume",
            "--no-rollup", Fixtures.water,
        ]
        try ref.write("strata.toml", houseConfig())
        try dir.write("strata.toml", houseConfig())
        #expect(try CLI.run(["import", "--config", ref.file("strata.toml")] + args).status == 0)
        let p = try CLI.start(
            ["import", "--config", dir.file("strata.toml")] + args, environment: ["STRATA_LOG_LEVEL": "debug"])
        // Killed once a few batches are durable: well inside the import.
        _ = Self.waitForCommits(p, 3)
        kill(p.process.processIdentifier, SIGKILL)
        let killed = p.finish()
        #expect(p.process.terminationReason == .uncaughtSignal, "the import ended before the kill")
        let through = try #require(Self.lastCommitted(killed.stderr), "\(killed.stderr.suffix(400))")
        let db = dir.file("data/strata.sqlite")
        let refDB = ref.file("data/strata.sqlite")
        #expect(Self.integrity(db) == "ok")
        // Every minute committed before the kill is there, with the reference's value.
        let q = "SELECT count(*) FROM minute WHERE ts <= \(through)"
        #expect(sqliteShell(db, q) == sqliteShell(refDB, q), "minutes up to \(through)")
        let all = Int(sqliteShell(db, "SELECT count(*) FROM minute")) ?? 0
        let total = Int(sqliteShell(refDB, "SELECT count(*) FROM minute")) ?? 0
        #expect(all > 0 && all < total, "killed midway: \(all) of \(total) minutes")
        let differing = sqliteShell(
            db,
            "ATTACH '\(refDB)' AS r; SELECT count(*) FROM minute m LEFT JOIN r.minute x ON x.ts = m.ts AND x.channel = m.channel WHERE x.value IS NOT m.value"
        )
        #expect(differing == "0")
        // The same file again: the store ends equal to one import, nothing doubled.
        #expect(try CLI.run(["import", "--config", dir.file("strata.toml")] + args).status == 0)
        #expect(sqliteShell(db, "SELECT count(*) FROM minute") == "\(total)")
        #expect(try CLI.run(["rollup", "--config", dir.file("strata.toml")]).status == 0)
        #expect(try CLI.run(["rollup", "--config", ref.file("strata.toml")]).status == 0)
        let days = ["export", "--device", "water", "--tier", "day", "--from", "2012-04-01", "--to", "2014-04-01"]
        let a = try CLI.run(days + ["--config", ref.file("strata.toml")])
        let b = try CLI.run(days + ["--config", dir.file("strata.toml")])
        #expect(a.status == 0 && a.stdout.count > 1000 && a.stdout == b.stdout)
    }

    static func simulatedSite(_ dir: TempDir, archive: Bool = false) -> String {
        """
        [site]
        name = "Fault test"
        timezone = "Europe/Paris"

        [storage]
        path = "\(dir.file("store.sqlite"))"

        [archive]
        path = "\(dir.file("archive"))"

        [[devices]]
        id = "main"
        driver = "simulated"
        profile = "eastron-sdm630"
        """
    }

    @Test func runKilledWhileSamplingLosesNoCommittedMinute() throws {
        let dir = TempDir()
        try dir.write("strata.toml", Self.simulatedSite(dir))
        let p = try CLI.start(
            ["run", "--config", dir.file("strata.toml"), "--time-scale", "30", "--no-archive"],
            environment: ["STRATA_LOG_LEVEL": "debug"])
        let commits = Self.waitForCommits(p, 4)
        kill(p.process.processIdentifier, SIGKILL)
        let killed = p.finish()
        #expect(commits >= 4, "\(killed.stderr.suffix(600))")
        let through = try #require(Self.lastCommitted(killed.stderr))
        let db = dir.file("store.sqlite")
        #expect(Self.integrity(db) == "ok")
        // One row per channel and committed minute, up to the last commit logged before the kill.
        let minutes = Int(sqliteShell(db, "SELECT count(DISTINCT ts) FROM minute WHERE ts <= \(through)")) ?? 0
        #expect(minutes >= commits, "\(minutes) minutes stored, \(commits) commits logged")
        let perChannel = sqliteShell(
            db,
            "SELECT count(*) FROM (SELECT channel FROM minute WHERE ts <= \(through) GROUP BY channel HAVING count(*) != \(minutes))"
        )
        #expect(perChannel == "0", "every channel has every committed minute")
        // Restarted, it goes on from there: no minute twice, none rewritten.
        let before = sqliteShell(
            db, "SELECT group_concat(ts || ':' || channel || ':' || value) FROM minute WHERE ts <= \(through)")
        let again = try CLI.start(
            ["run", "--config", dir.file("strata.toml"), "--time-scale", "30", "--no-archive"],
            environment: ["STRATA_LOG_LEVEL": "debug"])
        _ = Self.waitForCommits(again, 2)
        again.process.terminate()
        let second = again.finish()
        #expect(second.status == 0, "\(second.stderr.suffix(400))")
        #expect(Self.integrity(db) == "ok")
        #expect(
            sqliteShell(
                db, "SELECT group_concat(ts || ':' || channel || ':' || value) FROM minute WHERE ts <= \(through)")
                == before)
        #expect(Int(sqliteShell(db, "SELECT max(ts) FROM minute")) ?? 0 > through)
    }

    /// Every file of a tree, by relative path (README.txt left out: it names when it was made).
    static func tree(_ root: String) -> [String: Data] {
        var out: [String: Data] = [:]
        guard let e = FileManager.default.enumerator(atPath: root) else { return out }
        while let rel = e.nextObject() as? String {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + rel, isDirectory: &isDir), !isDir.boolValue else {
                continue
            }
            out[rel] = FileManager.default.contents(atPath: root + "/" + rel)
        }
        return out
    }

    @Test func runKilledMidArchiveRebuildEndsEqualToAFreshRebuild() throws {
        let dir = TempDir()
        try dir.write(
            "strata.toml", houseConfig() + "\n[archive]\npath = \"archive\"\ndialects = [\"excel-eu\", \"iso\"]\n")
        // 120 days of two counters across the autumn DST change: ~1,000 archive files.
        var csv = "t,v\n"
        for m in 0..<(120 * 1440) {
            csv += "\(1_377_993_600 + m * 60),\(1000 + Double(m % 7919) * 0.001 + Double(m) * 0.25)\n"
        }
        try dir.write("in.csv", csv)
        for dev in ["water", "gas"] {
            let r = try CLI.run([
                "import", "--config", dir.file("strata.toml"), "--device", dev, "--time-column", "t",
                "--time-format", "unix", "--map", "v=volume", dir.file("in.csv"),
            ])
            #expect(r.status == 0, "\(r.stderr)")
        }
        // The archivist starts with the whole history to write; killed after its first tier
        // (the minute files), with quarter to year still to come.
        let p = try CLI.start(["run", "--config", dir.file("strata.toml")], environment: ["STRATA_LOG_LEVEL": "debug"])
        let midway = p.waitForStderr("archive tier written", seconds: 120)
        kill(p.process.processIdentifier, SIGKILL)
        let killed = p.finish()
        #expect(midway && !killed.stderr.contains("archive up to date"), "\(killed.stderr.suffix(600))")
        // Restarted, it finishes (and sweeps what the killed pass left).
        let again = try CLI.start(["run", "--config", dir.file("strata.toml")])
        let done = again.waitForStderr("archive up to date", seconds: 300)
        again.process.terminate()
        let second = again.finish()
        #expect(done, "\(second.stderr.suffix(600))")
        let resumed = Self.tree(dir.file("archive"))
        #expect(
            resumed.keys.allSatisfy { !$0.split(separator: "/").contains { $0.hasPrefix(".") } },
            "temporary files left: \(resumed.keys.filter { $0.contains("/.") || $0.hasPrefix(".") })")
        // A fresh rebuild from the same store, byte for byte.
        let fresh = try CLI.run(["archive", "--config", dir.file("strata.toml"), "--rebuild"])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        let rebuilt = Self.tree(dir.file("archive"))
        #expect(resumed.count > 100)
        #expect(Set(resumed.keys) == Set(rebuilt.keys))
        let differing = resumed.keys.filter { $0 != "README.txt" && resumed[$0] != rebuilt[$0] }.sorted()
        #expect(differing.isEmpty, "\(differing.prefix(10))")
    }

    /// A page of the minute table overwritten with garbage: check and run name the damage and
    /// the commands that recover, and run refuses to serve.
    @Test func aDamagedStoreIsNamedWithTheRecoveryCommands() throws {
        let dir = TempDir()
        try dir.write("strata.toml", houseConfig())
        #expect(
            try CLI.run([
                "import", "--config", dir.file("strata.toml"), "--device", "gas", "--time-column", "unix_ts",
                "--time-format", "unix", "--map", "counter=volume", Fixtures.gas,
            ]).status == 0)
        let db = dir.file("data/strata.sqlite")
        #expect(sqliteShell(db, "PRAGMA wal_checkpoint(TRUNCATE)").hasPrefix("0|"))
        let ok = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(ok.status == 0 && ok.stdout.contains("integrity OK"), "\(ok.stdout)\(ok.stderr)")
        // A leaf page of the minute tier, from SQLite's own page map (the import's roll-up moved
        // its closed days into minute_block).
        let page = try #require(
            Int(
                sqliteShell(
                    db, "SELECT pageno FROM dbstat WHERE name = 'minute_block' AND pagetype = 'leaf' LIMIT 1 OFFSET 5"))
        )
        let size = try #require(Int(sqliteShell(db, "PRAGMA page_size")))
        let fh = try #require(FileHandle(forUpdatingAtPath: db))
        try fh.seek(toOffset: UInt64((page - 1) * size))
        fh.write(Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }))
        try fh.close()
        let check = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(check.status == 1, "\(check.stdout)\(check.stderr)")
        #expect(check.stderr.contains("is damaged"), "\(check.stderr)")
        #expect(check.stderr.contains(".recover") && check.stderr.contains("strata backup"))
        let run = try CLI.run(["run", "--config", dir.file("strata.toml"), "--no-archive"])
        #expect(run.status == 1, "\(run.stderr.suffix(500))")
        #expect(run.stderr.contains("is damaged") && run.stderr.contains(".recover"), "\(run.stderr.suffix(500))")
    }

    /// A write-ahead log cut in the middle of a frame: reported, with what it means.
    @Test func aCutWriteAheadLogIsReported() throws {
        let dir = TempDir()
        try dir.write("strata.toml", houseConfig())
        let args = [
            "import", "--config", dir.file("strata.toml"), "--device", "gas", "--time-column", "unix_ts",
            "--time-format", "unix", "--map", "counter=volume", Fixtures.gas,
        ]
        // Killed after commits, so the log still holds them (never checkpointed by a clean close).
        let p = try CLI.start(args, environment: ["STRATA_LOG_LEVEL": "debug"])
        _ = p.waitForStderr("minutes committed", seconds: 60)
        kill(p.process.processIdentifier, SIGKILL)
        _ = p.finish()
        let wal = dir.file("data/strata.sqlite-wal")
        let size = (try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
        try #require(size > 100_000, "the log holds the committed batches (\(size) bytes)")
        truncate(wal, off_t(size - 1000))
        let check = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(check.stdout.contains("warning: store: the write-ahead log"), "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("ends in the middle of a frame"))
        #expect(Self.integrity(dir.file("data/strata.sqlite")) == "ok")
    }
}
