import Foundation
import StrataTestSupport
import Testing

/// `strata migrate` on a store the row-format strata wrote (Tests/Fixtures/store-v1).
@Suite struct MigrateTests {
    func oldSite() throws -> TempDir {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("data"), withIntermediateDirectories: true)
        for f in ["data/strata.sqlite", "strata.toml"] {
            try FileManager.default.copyItem(atPath: Fixtures.root + "/store-v1/" + f, toPath: dir.file(f))
        }
        return dir
    }

    @Test func anOldStoreNamesTheCommandThenMigratesAndReadsTheSameMinutes() throws {
        let dir = try oldSite()
        let config = dir.file("strata.toml")
        let export = [
            "export", "--config", config, "--device", "bedroom", "--tier", "minute", "--from", "2014-02-24", "--to",
            "2014-02-28",
        ]
        let refused = try CLI.run(export)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("strata migrate --config"), "\(refused.stderr)")
        // What the old store holds, read by sqlite3 before the migration touches it.
        let old = try storedValues(dir.file("data/strata.sqlite"), device: "bedroom", channel: "power")
        #expect(old.count == 4320)

        let m = try CLI.run(["migrate", "--config", config])
        #expect(m.status == 0, "\(m.stderr)")
        #expect(m.stdout.contains("converted from schema 1 to 2"), "\(m.stdout)")
        #expect(sqliteShell(dir.file("data/strata.sqlite"), "SELECT count(*) FROM minute") == "0")
        let again = try CLI.run(["migrate", "--config", config])
        #expect(
            again.status == 0 && again.stdout.contains("already in schema 2")
                && again.stdout.contains("compacted 0 days"), "\(again.stdout)")

        let e = try CLI.run(export)
        #expect(e.status == 0, "\(e.stderr)")
        let lines = e.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let header = lines[0].split(separator: ",").map(String.init)
        let utc = try #require(header.firstIndex(of: "start_utc"))
        let power = try #require(header.firstIndex(of: "power [W]"))
        var exported: [Int64: Double] = [:]
        let iso = ISO8601DateFormatter()
        for l in lines.dropFirst() {
            let f = l.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard
                let d = iso.date(
                    from: f[utc].replacingOccurrences(of: " ", with: "T") + (f[utc].hasSuffix("Z") ? "" : "Z")),
                let v = Double(f[power])
            else { continue }
            exported[Int64(d.timeIntervalSince1970)] = v
        }
        #expect(exported.count == old.count)
        for (ts, v) in old { #expect(exported[ts] == v, "minute \(ts)") }

        let check = try CLI.run(["check", "--config", config])
        #expect(check.status == 0 && check.stdout.contains("minute blocks verified"), "\(check.stdout)\(check.stderr)")
    }
}
