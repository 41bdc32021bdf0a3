import Foundation
import StrataTestSupport
import Testing

/// Issue 18 through the binary: reactive ratios in a report and the archive from imported
/// readings, a calculated channel in both, a pulse module that wraps (pymodbus), and
/// `strata scan` on a TCP gateway and an RS485 pair.
@Suite(.serialized) struct FieldCLITests {
    // MARK: reactive energy and a calculated channel, imported

    /// Day by day reactive ratios: some above the limits (0.20 inductive, 0.15 capacitive).
    static let inductive = [0.12, 0.25, 0.18, 0.31, 0.05, 0.22, 0.19]
    static let capacitive = [0.02, 0.01, 0.16, 0.03, 0.21, 0.0, 0.12]

    @Test func reactiveRatiosAndACalculatedChannelInTheReportAndTheArchive() throws {
        let dir = TempDir()
        try dir.write(
            "strata.toml",
            SiteTOML.header(
                name: "Fabrika", timezone: "Europe/Istanbul", store: "\(dir.path)/s.sqlite",
                archive: "\(dir.path)/archive", dialects: ["excel-eu", "iso"])
                + SiteTOML.device(
                    "main", name: "Ana sayaç",
                    channels: [
                        ("energy_import", "kWh", "counter"), ("reactive_import", "kvarh", "counter"),
                        ("reactive_export", "kvarh", "counter"),
                    ])
                + SiteTOML.device("press", name: "Pres", channels: [("energy_import", "kWh", "counter")]) + """

                    [[calculated]]
                    id = "rest"
                    name = "Main without the press"
                    formula = "main.energy_import - press.energy_import"

                    [[reports]]
                    name = "weekly"
                    schedule = "weekly"
                    to = ["fm@example.org"]
                    dialect = "iso"
                    reactive_limit_inductive = 0.20
                    reactive_limit_capacitive = 0.15
                    """)
        // 2026-03-02 00:00 in Istanbul (UTC+3 all year) is a Monday, week 10.
        let start: Int64 = 1_772_398_800
        var rng = SplitMix(seed: 42)
        var a: Int64 = 5_000_000
        var i: Int64 = 700_000
        var c: Int64 = 90_000
        var p: Int64 = 1_000_000
        var rows = ["unix_ts,energy,rin,rout"]
        var press = ["unix_ts,energy"]
        var at: [Int64: (Int64, Int64, Int64, Int64)] = [:]
        for k in 0...(7 * 1440) {
            let t = start + Int64(k) * 60
            at[t] = (a, i, c, p)
            rows.append("\(t),\(Double(a) / 1000),\(Double(i) / 1000),\(Double(c) / 1000)")
            press.append("\(t),\(Double(p) / 1000)")
            let day = min(k / 1440, 6)
            let da = Int64(10 + rng.next() % 41)
            a += da
            i += Int64((Double(da) * Self.inductive[day]).rounded())
            c += Int64((Double(da) * Self.capacitive[day]).rounded())
            p += da * 2 / 3
        }
        try dir.write("main.csv", rows.joined(separator: "\n") + "\n")
        try dir.write("press.csv", press.joined(separator: "\n") + "\n")
        for (device, file, maps) in [
            ("main", "main.csv", ["energy=energy_import", "rin=reactive_import", "rout=reactive_export"]),
            ("press", "press.csv", ["energy=energy_import"]),
        ] {
            let imp = try CLI.run(
                [
                    "import", "--config", dir.file("strata.toml"), "--device", device, "--time-column", "unix_ts",
                    "--time-format", "unix",
                ] + maps.flatMap { ["--map", $0] } + [dir.file(file)])
            #expect(imp.status == 0, "\(imp.stderr)")
        }
        let arc = try CLI.run(["archive", "--config", dir.file("strata.toml")])
        #expect(arc.status == 0, "\(arc.stderr)")
        let out = try CLI.run([
            "report", "--config", dir.file("strata.toml"), "--report", "weekly", "--period", "2026-W10", "--out",
            dir.file("out"),
        ])
        #expect(out.status == 0, "\(out.stderr)")
        let m = try #require(
            try parseMessages([dir.file("out/weekly-2026-W10.eml")], archive: dir.file("archive"), dialect: "iso").first
        )
        let plain = try #require(m["plain"] as? String)

        // The ratios computed here from the raw readings, per local day and for the week.
        func pct(_ v: Double) -> String { String(format: "%.1f %%", v * 100) }
        var over: [String] = []
        var total = (0.0, 0.0, 0.0)
        for d in 0..<7 {
            let s = start + Int64(d) * 86_400
            let (a0, i0, c0, _) = at[s]!
            let (a1, i1, c1, _) = at[s + 86_400]!
            let (ad, id, cd) = (Double(a1 - a0) / 1000, Double(i1 - i0) / 1000, Double(c1 - c0) / 1000)
            total = (total.0 + ad, total.1 + id, total.2 + cd)
            var parts: [String] = []
            if id / ad > 0.20 { parts.append("inductive " + pct(id / ad)) }
            if cd / ad > 0.15 { parts.append("capacitive " + pct(cd / ad)) }
            if !parts.isEmpty { over.append("Over: 2026-03-0\(d + 2): " + parts.joined(separator: ", ")) }
        }
        #expect(over.count == 5)
        #expect(
            plain.contains(
                "Inductive reactive: \(String(format: "%.3f", total.1)) kvarh, \(pct(total.1 / total.0)) (limit 20.0 %)"
            ), "\(plain)")
        #expect(
            plain.contains(
                "Capacitive reactive: \(String(format: "%.3f", total.2)) kvarh, \(pct(total.2 / total.0)) (limit 15.0 %)"
            ), "\(plain)")
        #expect(plain.contains("Days over the limit: 5 of 7"), "\(plain)")
        for line in over { #expect(plain.contains(line), "\(line)\n\(plain)") }
        #expect((m["html"] as? String)?.contains("Reactive energy") == true)

        // The calculated channel: a section of its own, the week's difference of the two meters.
        let (a0, _, _, p0) = at[start]!
        let (a1, _, _, p1) = at[start + 7 * 86_400]!
        #expect(plain.contains("Calculated (calculated)"), "\(plain)")
        #expect(plain.contains("Main without the press [kWh]"))
        #expect(
            plain.contains("This period:        \(String(format: "%.3f", Double((a1 - a0) - (p1 - p0)) / 1000))"),
            "\(plain)")

        // The archive's _site/reactive file: each day's ratios, and whether it is over.
        let csv = try String(contentsOfFile: dir.file("archive/iso/_site/reactive/2026.csv"), encoding: .utf8)
        var dayRows: [[String]] = []
        for line in csv.split(whereSeparator: \.isNewline) {
            let f: [String] = line.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
            if f.count > 11 && f[0] == "day" && f[2] == "main" { dayRows.append(f) }
        }
        // The week's 7 days, and the 8th's single midnight reading (no energy yet, no ratio).
        #expect(dayRows.count == 8, "\(csv)")
        #expect(dayRows.last?[3] == "0.000" && dayRows.last?[6] == "")
        for (d, r) in dayRows.prefix(7).enumerated() {
            let s = start + Int64(d) * 86_400
            let (a0, i0, c0, _) = at[s]!
            let (a1, i1, c1, _) = at[s + 86_400]!
            let ad = Double(a1 - a0)
            let ri = Double(i1 - i0) / ad
            let rc = Double(c1 - c0) / ad
            #expect(r[3] == String(format: "%.3f", Double(a1 - a0) / 1000), "\(r)")
            #expect(abs((Double(r[6]) ?? -1) - ri) <= 0.00005, "\(r)")
            #expect(abs((Double(r[7]) ?? -1) - rc) <= 0.00005, "\(r)")
            #expect(r[10] == (ri > 0.20 ? "yes" : "no") && r[11] == (rc > 0.15 ? "yes" : "no"), "\(r)")
        }
        #expect(FileManager.default.fileExists(atPath: dir.file("archive/iso/calculated")))
    }

    // MARK: pulse inputs

    /// A pulse module's u32 counter near 2^32 (pymodbus): the store gets pulses ÷ 100 as m3,
    /// the wrap is a rollover, not a reset, and consumption runs straight across it.
    @Test func aPulseInputWrapsAtTheRegisterWidthAndCountsOn() throws {
        let s = SamplerTests()
        let dir = TempDir()
        let port = Net.freePort()
        let sim = try ModbusSim(
            ["--port", "\(port)", "--device", "5:generic-di8-counter"], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        try dir.write(
            "strata.toml",
            s.config(
                dir,
                devices: """
                    [[devices]]
                    id = "water"
                    driver = "modbus-tcp"
                    host = "127.0.0.1"
                    port = \(port)
                    unit_id = 5
                    profile = "generic-di8-counter"
                    timeout = "300 ms"

                    [[devices.channels]]
                    id = "cold"
                    source = "input_2"
                    unit = "m3"
                    pulses_per_unit = 100
                    """))
        let r = try s.run(dir.file("strata.toml"), log: dir.file("served.jsonl"), units: [5], reads: 6)
        #expect(r.status == 0, "\(r.stderr)")
        let pulses = (try ModbusSim.served(dir.file("served.jsonl"))[5] ?? []).compactMap { $0["input_2"] }
        #expect(pulses.count >= 5)
        #expect(pulses.contains { $0 < 1000 } && pulses.contains { $0 > 4_294_967_000 }, "\(pulses)")
        s.expectSame(
            try storedValues(dir.file("store.sqlite"), device: "water", channel: "cold"), pulses.map { $0 / 100 },
            "water.cold")
        let resets = try CLI.run(["resets", "--config", dir.file("strata.toml")])
        #expect(resets.stdout.contains("rollover"), "\(resets.stdout)")
        #expect(!resets.stdout.contains("reset,") && !resets.stdout.contains(" reset "), "\(resets.stdout)")
        // Consumption over the stored minutes: the pulses counted across the wrap.
        var counted = 0.0
        for (x, y) in zip(pulses, pulses.dropFirst()) {
            counted += (y - x + 4_294_967_296).truncatingRemainder(dividingBy: 4_294_967_296)
        }
        let cum = sqliteShell(
            dir.file("store.sqlite"),
            "SELECT max(cum) - min(cum) FROM minute WHERE channel = (SELECT id FROM channel WHERE device = 'water' AND channel = 'cold')"
        )
        #expect(Int(cum.trimmingCharacters(in: .whitespacesAndNewlines)) == Int(counted), "\(cum) vs \(counted) pulses")
    }

    // MARK: strata scan

    static let units = ["3:eastron-sdm630", "17:sunspec-meter", "40:generic-di8-counter"]

    func expectFound(_ out: String, driver: String) {
        for (unit, profile) in [(3, "eastron-sdm630"), (17, "sunspec-meter"), (40, "generic-di8-counter")] {
            #expect(out.contains("unit_id = \(unit)\nprofile = \"\(profile)\""), "\(out)")
        }
        #expect(out.components(separatedBy: "[[devices]]").count == 4, "\(out)")
        #expect(out.contains("driver = \"\(driver)\""))
    }

    @Test func scanFindsThreeMetersBehindATCPGateway() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let sim = try ModbusSim(
            ["--port", "\(port)", "--gateway"] + Self.units.flatMap { ["--device", $0] }, log: dir.file("served.jsonl"))
        defer { sim.stop() }
        let r = try CLI.run(["scan", "--host", "127.0.0.1", "--port", "\(port)", "--units", "1-60"])
        #expect(r.status == 0, "\(r.stderr)")
        expectFound(r.stdout, driver: "modbus-tcp")
        #expect(r.stderr.contains("3 devices answered"), "\(r.stderr)")
        // The blocks paste into a config that loads (the pulse module once its input is named).
        let blocks = r.stdout.replacingOccurrences(of: "id = \"water\"\nsource", with: "id = \"water\"\nsource")
        try dir.write("strata.toml", SiteTOML.header(timezone: "UTC", store: dir.file("s.sqlite")) + blocks)
        let check = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(check.status == 0, "\(check.stderr)\n\(blocks)")
    }

    @Test func scanFindsThreeMetersOnAnRS485Pair() throws {
        let dir = TempDir()
        let pair = try SerialPair(in: dir)
        defer { withExtendedLifetime(pair) {} }
        let sim = try ModbusSim(
            ["--serial", dir.file("ttyMeter"), "--baud", "19200"] + Self.units.flatMap { ["--device", $0] },
            log: dir.file("served.jsonl"))
        defer { sim.stop() }
        let r = try CLI.run([
            "scan", "--serial", dir.file("ttyStrata"), "--baud", "19200", "--units", "1-45", "--timeout", "100ms",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        expectFound(r.stdout, driver: "modbus-rtu")
        #expect(r.stdout.contains("baud = 19200"))
    }

    @Test func scanWithoutABusSaysWhatToGive() throws {
        let r = try CLI.run(["scan"])
        #expect(r.status != 0 && r.stderr.contains("--serial") && r.stderr.contains("--host"), "\(r.stderr)")
        let bad = try CLI.run(["scan", "--host", "h", "--units", "0-300"])
        #expect(bad.status != 0 && bad.stderr.contains("--units"), "\(bad.stderr)")
    }
}
