import Foundation
import StrataTestSupport
import Testing

/// Absurd but well-formed input, through the `strata` binary: a clear error naming where,
/// never a trap (a crash of the whole historian) and never a wrong aggregate.
@Suite(.serialized) struct BadInputTests {
    @Test func absurdReadingsAndTimesAreBadRowsWithTheirLines() throws {
        let dir = TempDir()
        try dir.write("strata.toml", houseConfig())
        try dir.write(
            "in.csv",
            """
            unix_ts,counter
            1370044800,100.5
            1370044860,1e300
            1e300,101
            9223372036854775807,101
            -9223372036854775808,101
            1370044920,-1e300
            1370044980,101.5
            1370045040,3.4e38
            1370045100,102.25

            """)
        let r = try CLI.run([
            "import", "--config", dir.file("strata.toml"), "--device", "water", "--time-column", "unix_ts",
            "--time-format", "unix", "--map", "counter=volume", dir.file("in.csv"),
        ])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(
            r.stderr.contains("in.csv:3: bad row: column \"counter\": 1e300 is not a plausible reading"), "\(r.stderr)")
        #expect(r.stderr.contains("in.csv:4: bad row: time \"1e300\" is not between 1970-01-01 and 2199-12-31 UTC"))
        #expect(r.stderr.contains("in.csv:5: bad row: time \"9223372036854775807\" is not"))
        #expect(r.stderr.contains("in.csv:6: bad row: time \"-9223372036854775808\" is not"))
        #expect(r.stderr.contains("in.csv:7: bad row: column \"counter\": -1e300 is not a plausible reading"))
        #expect(r.stderr.contains("in.csv:9: bad row: column \"counter\": 3.4e38 is not a plausible reading"))
        #expect(r.stdout.contains("imported 3 rows"), "\(r.stdout)")
        // The good rows make an exact day: 100.5 → 102.25 L is 1.75 L, whatever came between.
        let e = try CLI.run([
            "export", "--config", dir.file("strata.toml"), "--device", "water", "--tier", "day",
            "--from", "2013-05-31", "--to", "2013-06-02",
        ])
        #expect(e.status == 0, "\(e.stderr)")
        let day = e.stdout.components(separatedBy: "\r\n").first { $0.hasPrefix("2013-05-31 00:00:00") } ?? ""
        #expect(day.split(separator: ",").dropFirst(4).first == "1.750", "\(e.stdout)")
    }

    /// A modbus device, FTP and SMTP sections and a channel: every number a user can type.
    static func config(_ dir: TempDir) -> String {
        """
        [site]
        name = "Bad numbers"
        timezone = "Europe/Paris"

        [storage]
        path = "\(dir.file("store.sqlite"))"
        budget = "1 GB"

        [retention]
        minute = "400 days"

        [ftp]
        port = 2121
        idle_timeout = "5 min"

        [smtp]
        host = "127.0.0.1"
        port = 2525
        security = "none"
        from = "strata@example.org"

        [[devices]]
        id = "main"
        driver = "modbus-tcp"
        host = "127.0.0.1"
        port = 502
        unit_id = 1
        profile = "eastron-sdm630"
        retries = 1

        [[devices]]
        id = "rtu"
        driver = "modbus-rtu"
        serial = "/dev/ttyUSB0"
        baud = 9600
        unit_id = 2
        profile = "eastron-sdm120"

        [[devices]]
        id = "water"
        driver = "none"

        [[devices.channels]]
        id = "volume"
        unit = "L"
        kind = "counter"
        rollover = 100000
        """
    }

    @Test(arguments: [
        ("port = 2121", "port = 1e20", "ftp.port"),
        ("idle_timeout = \"5 min\"", "idle_timeout = \"99999999999999999999 years\"", "ftp.idle_timeout"),
        ("idle_timeout = \"5 min\"", "idle_timeout = \"900 years\"", "ftp.idle_timeout"),
        ("port = 2525", "port = 1e20", "smtp.port"),
        ("port = 502", "port = 1e20", "devices[0].port"),
        ("unit_id = 1", "unit_id = 1e20", "devices[0].unit_id"),
        ("unit_id = 1", "unit_id = -9223372036854775808", "devices[0].unit_id"),
        ("retries = 1", "retries = 1e20", "devices[0].retries"),
        ("baud = 9600", "baud = 1e20", "devices[1].baud"),
        ("budget = \"1 GB\"", "budget = \"99999999999999999999 GB\"", "storage.budget"),
        ("minute = \"400 days\"", "minute = \"99999999999999999999 years\"", "retention.minute"),
        ("rollover = 100000", "rollover = 1e300", "devices[2].channels[0].rollover"),
        ("rollover = 100000", "rollover = 1e999", "devices[2].channels[0].rollover"),
    ])
    func absurdConfigNumbersNameFileLineAndKey(original: String, replacement: String, key: String) throws {
        let dir = TempDir()
        let text = Self.config(dir)
        let lines = text.components(separatedBy: "\n")
        // The first line holding `original` at or after the section the key lives in.
        let section =
            key.hasPrefix("smtp")
            ? "[smtp]" : key.hasPrefix("ftp") ? "[ftp]" : key.hasPrefix("devices[1]") ? "id = \"rtu\"" : ""
        let from = section.isEmpty ? 0 : (lines.firstIndex(of: section) ?? 0)
        let index = try #require(lines.indices.first { $0 >= from && lines[$0] == original })
        var changed = lines
        changed[index] = replacement
        try dir.write("strata.toml", changed.joined(separator: "\n"))
        let r = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(r.status == 2, "\(key): status \(r.status) \(r.stderr)")
        #expect(r.stderr.contains("\(dir.file("strata.toml")):\(index + 1): \(key): "), "\(r.stderr)")
    }

    @Test func theUnchangedConfigIsAccepted() throws {
        let dir = TempDir()
        try dir.write("strata.toml", Self.config(dir))
        let r = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func absurdProfileAddressNamesTheProfileFile() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("profiles"), withIntermediateDirectories: true)
        try dir.write(
            "profiles/odd.toml",
            """
            name = "Odd meter"
            function = "holding"
            type = "u16"

            [[registers]]
            channel = "energy_import"
            address = 1e20
            unit = "kWh"
            kind = "counter"
            """)
        try dir.write(
            "strata.toml",
            """
            profiles_dir = "profiles"

            [site]
            name = "x"
            timezone = "UTC"

            [storage]
            path = "store.sqlite"

            [[devices]]
            id = "m"
            driver = "modbus-tcp"
            host = "127.0.0.1"
            port = 502
            unit_id = 1
            profile = "odd"
            """)
        let r = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(
            r.stderr.contains(
                "odd.toml:7: registers[0].address: expected a register address from 0 to 65535, found 1e+20"),
            "\(r.stderr)")
    }

    @Test func deeplyNestedTOMLIsAClearError() throws {
        let dir = TempDir()
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        try dir.write("strata.toml", "x = " + deep + "\n")
        let r = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(
            r.stderr.contains("strata.toml:1: syntax error: arrays and inline tables nested more than 32 deep"),
            "\(r.stderr)")
        let dotted = "a" + String(repeating: ".a", count: 50_000) + " = 1\n"
        try dir.write("strata.toml", dotted)
        let d = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(d.status == 2)
        #expect(d.stderr.contains("a key with more than 32 dotted parts"), "\(d.stderr)")
    }

    @Test func anAttachmentCapBeyondWhatAZipHoldsIsRefused() throws {
        let dir = TempDir()
        try dir.write(
            "strata.toml",
            Self.config(dir) + """


                [[reports]]
                name = "Daily"
                schedule = "daily"
                to = ["fm@example.org"]
                max_attachment = "5 GB"
                """)
        let r = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(
            r.stderr.contains("reports[0].max_attachment: expected a size from \"10 kB\" to \"1 GB\""), "\(r.stderr)")
    }

    /// A changed site.timezone never drops aggregates silently: run, check and rollup refuse
    /// and say how; the rebuild backs the store up first and says what is lost.
    @Test func aChangedTimezoneIsRefusedUntilRebuiltOnPurpose() throws {
        let dir = TempDir()
        try dir.write("strata.toml", houseConfig())
        let imp = try CLI.run([
            "import", "--config", dir.file("strata.toml"), "--device", "gas", "--time-column", "unix_ts",
            "--time-format", "unix", "--map", "counter=volume", Fixtures.gas,
        ])
        #expect(imp.status == 0, "\(imp.stderr)")
        let before = try CLI.run([
            "export", "--config", dir.file("strata.toml"), "--device", "gas", "--tier", "month",
            "--from", "2012-04-01", "--to", "2014-04-01",
        ])
        #expect(before.status == 0)
        try dir.write("strata.toml", houseConfig().replacingOccurrences(of: "America/Vancouver", with: "Europe/Paris"))
        for cmd in ["rollup", "status", "export"] {
            var args = [cmd, "--config", dir.file("strata.toml")]
            if cmd == "export" {
                args += ["--device", "gas", "--tier", "month", "--from", "2012-04-01", "--to", "2014-04-01"]
            }
            let r = try CLI.run(args)
            #expect(r.status == 1, "\(cmd): \(r.stderr)")
            #expect(
                r.stderr.contains(
                    "was aggregated in time zone America/Vancouver, but site.timezone is now Europe/Paris"),
                "\(cmd): \(r.stderr)")
            #expect(r.stderr.contains("strata rollup --rebuild --timezone-change"))
            #expect(
                r.stderr.contains("every aggregate can be recomputed"), "minute retention is forever here: \(r.stderr)")
        }
        // Nothing was dropped by the refusals: back in the old zone, the months are as they were.
        try dir.write("strata.toml", houseConfig())
        let same = try CLI.run([
            "export", "--config", dir.file("strata.toml"), "--device", "gas", "--tier", "month",
            "--from", "2012-04-01", "--to", "2014-04-01",
        ])
        #expect(same.stdout == before.stdout)
        try dir.write("strata.toml", houseConfig().replacingOccurrences(of: "America/Vancouver", with: "Europe/Paris"))
        let half = try CLI.run(["rollup", "--config", dir.file("strata.toml"), "--timezone-change"])
        #expect(half.status == 2, "both flags are needed")
        let rb = try CLI.run(["rollup", "--rebuild", "--timezone-change", "--config", dir.file("strata.toml")])
        #expect(rb.status == 0, "\(rb.stderr)")
        #expect(
            rb.stdout.contains(
                "site time zone is now Europe/Paris; the store before the change is in \(dir.file("data/strata.sqlite")).before-timezone-change-"
            ), "\(rb.stdout)")
        let backups = try FileManager.default.contentsOfDirectory(atPath: dir.file("data")).filter {
            $0.contains("before-timezone-change")
        }
        #expect(backups.count == 1)
        let after = try CLI.run([
            "export", "--config", dir.file("strata.toml"), "--device", "gas", "--tier", "month",
            "--from", "2012-04-01", "--to", "2014-04-01",
        ])
        #expect(after.status == 0, "\(after.stderr)")
        // Months now start at Paris midnights (offsets +01:00/+02:00), and total the same gas.
        #expect(after.stdout.contains("2013-01-01 00:00:00,2012-12-31T23:00:00Z,+01:00"), "\(after.stdout.prefix(600))")
        func total(_ csv: String) -> Double {
            csv.components(separatedBy: "\r\n").dropFirst().compactMap {
                Double($0.split(separator: ",", omittingEmptySubsequences: false).dropFirst(4).first ?? "")
            }.reduce(0, +)
        }
        #expect(
            abs(total(after.stdout) - total(before.stdout)) < 1e-6, "\(total(after.stdout)) vs \(total(before.stdout))")
    }
}
