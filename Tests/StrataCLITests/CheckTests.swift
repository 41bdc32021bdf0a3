import Foundation
import StrataTestSupport
import Testing

/// `strata check` on bus timing and profile files, through the real binary.
@Suite(.serialized) struct CheckTests {
    let helper = SamplerTests()

    @Test func checkWarnsWhenABusCannotFinishInTheMinute() throws {
        let dir = TempDir()
        var devices = ""
        for u in 1...12 {
            devices += """
                [[devices]]
                id = "m\(u)"
                driver = "modbus-rtu"
                serial = "/dev/ttyUSB0"
                unit_id = \(u)
                profile = "eastron-sdm120"
                timeout = "3s"
                retries = 1

                """
        }
        try dir.write("strata.toml", helper.config(dir, devices: devices))
        let r = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdout.contains("warning: bus rtu:///dev/ttyUSB0: 12 devices × timeout × attempts = 72 s"), "\(r.stdout)")
        #expect(r.stdout.contains("rtu:///dev/ttyUSB0 unit 3, profile eastron-sdm120"))
    }

    @Test func checkValidatesAProfileFile() throws {
        let dir = TempDir()
        try dir.write(
            "my-meter.toml",
            """
            name = "My meter"
            function = "holding"

            [[registers]]
            channel = "energy_import"
            address = 100
            type = "u32"
            word_order = "big-endian-ish"
            unit = "kWh"
            kind = "counter"
            """)
        let bad = try CLI.run(["check", "--profile", dir.file("my-meter.toml")])
        #expect(bad.status == 2)
        #expect(
            bad.stderr.contains(
                "\(dir.file("my-meter.toml")):8: registers[0].word_order: unknown word order \"big-endian-ish\""),
            "\(bad.stderr)")
        try dir.write(
            "my-meter.toml", try dir.read("my-meter.toml").replacingOccurrences(of: "big-endian-ish", with: "low-first")
        )
        let good = try CLI.run(["check", "--profile", dir.file("my-meter.toml")])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("read plan: FC03 100+2"))
    }
}
