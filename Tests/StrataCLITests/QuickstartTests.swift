import Foundation
import StrataTestSupport
import Testing

/// `tools/quickstart.sh` and `tools/sample/strata.toml` as the README tells a new user to run
/// them, in a copy of the repository's layout (the script writes demo-data/ next to tools/),
/// with the strata built for the tests instead of a release build.
@Suite(.serialized) struct QuickstartTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func quickstartImportsExportsAndBuildsTheArchive() throws {
        let dir = TempDir()
        let fm = FileManager.default
        for sub in ["tools/sample", "Tests/Fixtures/ampds2"] {
            try fm.createDirectory(atPath: dir.file(sub), withIntermediateDirectories: true)
        }
        for rel in [
            "tools/quickstart.sh", "tools/sample/strata.toml", "Tests/Fixtures/ampds2/Water_WHW.csv.gz",
            "Tests/Fixtures/ampds2/NaturalGas_FRG.csv.gz",
        ] {
            try fm.copyItem(atPath: Self.repo + "/" + rel, toPath: dir.file(rel))
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [dir.file("tools/quickstart.sh")]
        p.environment = ProcessInfo.processInfo.environment.merging(["STRATA_QUICKSTART_BIN": CLI.binary]) { $1 }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(o.suffix(800))\n\(e.suffix(800))")
        #expect(
            o.contains("config \(dir.file("tools/sample/strata.toml")): OK") || o.contains("strata.toml: OK"),
            "\(o.prefix(400))")
        #expect(fm.fileExists(atPath: dir.file("demo-data/archive/README.txt")))
        for f in ["water-days.csv", "gas-days.csv", "water-months-excel-eu.csv", "gas-months-excel-eu.csv"] {
            #expect(fm.fileExists(atPath: dir.file("demo-data/\(f)")), "\(f)")
        }
        // Checked against the raw file, not against Strata: two years of the gas counter add
        // up to its last reading minus its first (the AMPds2 gas counter never resets).
        let days = try String(contentsOfFile: dir.file("demo-data/gas-days.csv"), encoding: .utf8).components(
            separatedBy: "\r\n"
        ).filter { !$0.isEmpty }
        let head = days[0].components(separatedBy: ",")
        let c = try #require(head.firstIndex(of: "volume consumption [L]"), "\(head)")
        let total = days.dropFirst().compactMap { Double($0.components(separatedBy: ",")[c]) }.reduce(0, +)
        let z = Process()
        z.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        z.arguments = [
            "python3", "-c",
            """
            import csv, gzip, sys
            rows = list(csv.DictReader(gzip.open(sys.argv[1], "rt")))
            print(float(rows[-1]["counter"]) - float(rows[0]["counter"]))
            """, Fixtures.gas,
        ]
        let zo = Pipe()
        z.standardOutput = zo
        try z.run()
        let want =
            Double(
                String(decoding: zo.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(
                    in: .whitespacesAndNewlines)) ?? -1
        z.waitUntilExit()
        #expect(abs(total - want) < 0.01, "days add up to \(total) L, the raw counter moved \(want) L")
    }
}
