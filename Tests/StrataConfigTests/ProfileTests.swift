import Foundation
import StrataCore
import Testing

@testable import StrataConfig
@testable import StrataModbus

@Suite struct ProfileTests {
    @Test(arguments: ProfileLoader.shippedNames.filter { $0 != "generic-di8-counter" })
    func shippedProfilesLoadWithTheCommonChannelIds(name: String) throws {
        let p = try ProfileLoader.load(name: name, userFolder: nil)
        let ids = Set(p.registers.map(\.channel))
        let common: Set<String> = [
            "voltage_l1", "voltage_l2", "voltage_l3", "current_l1", "current_l2", "current_l3", "power",
            "energy_import",
            "energy_export", "frequency", "power_factor", "reactive_power", "reactive_import", "reactive_export",
        ]
        #expect(ids.isSubset(of: common), "\(ids.subtracting(common))")
        #expect(ids.contains("energy_import") && ids.contains("power") && ids.contains("voltage_l1"))
        #expect(p.registers.first { $0.channel == "energy_import" }?.kind == .counter)
        #expect(p.registers.first { $0.channel == "energy_import" }?.unit == "kWh")
        // Every meter here has reactive energy registers, in kvarh like its energy in kWh.
        for id in ["reactive_import", "reactive_export"] {
            #expect(p.registers.first { $0.channel == id }?.unit == "kvarh", "\(name) \(id)")
            #expect(p.registers.first { $0.channel == id }?.kind == .counter, "\(name) \(id)")
        }
        let plan = ReadPlan(registers: p.registers, maxBlock: p.maxBlock, maxGap: p.maxGap)
        #expect(plan.blocks.allSatisfy { $0.count <= 125 })
    }

    @Test func sdm630IsReadInOneBlockJanitzaInTwo() throws {
        let sdm = try ProfileLoader.load(name: "eastron-sdm630", userFolder: nil)
        #expect(ReadPlan(registers: sdm.registers).blocks == [ReadBlock(function: .input, start: 0, count: 80)])
        let jan = try ProfileLoader.load(name: "janitza-umg96rme", userFolder: nil)
        #expect(ReadPlan(registers: jan.registers).blocks.map(\.start) == [808, 19042])
        // A meter that wants small blocks gets them.
        #expect(ReadPlan(registers: sdm.registers, maxBlock: 20).blocks.map(\.start) == [0, 52, 72])
        // And one that refuses unmapped registers is never asked for them.
        #expect(ReadPlan(registers: sdm.registers, maxGap: 0).blocks.map(\.start) == [0, 52, 60, 70])
    }

    static let base = """
        name = "Test meter"
        function = "input"
        type = "float32"
        word_order = "high-first"

        [[registers]]
        channel = "energy_import"
        address = 0x48
        unit = "kWh"
        kind = "counter"

        [[registers]]
        channel = "power"
        address = 0x34
        unit = "W"
        kind = "gauge"
        """

    @Test(arguments: [
        (
            "address = 0x34", "address = 0x49", 14, "registers[1].address",
            "overlap \"energy_import\" (line 6, registers 72–73)"
        ),
        ("type = \"float32\"", "type = \"float16\"", 3, "type", "unknown type \"float16\""),
        ("word_order = \"high-first\"", "word_order = \"middle\"", 4, "word_order", "unknown word order \"middle\""),
        (
            "function = \"input\"", "function = \"coil\"", 2, "function",
            "expected \"holding\" (FC03) or \"input\" (FC04)"
        ),
        ("channel = \"power\"", "channel = \"energy_import\"", 13, "registers[1].channel", "also defined on line 6"),
        ("kind = \"gauge\"", "kind = \"gauge\"\nrollover = 10", 17, "registers[1].rollover", "only counters"),
        ("name = \"Test meter\"", "name = \"Test meter\"\nmax_block = 200", 2, "max_block", "1 to 125"),
    ])
    func badProfilesAreRefusedWithLineAndKey(old: String, new: String, line: Int, key: String, message: String) {
        let text = Self.base.replacingOccurrences(of: old, with: new)
        #expect(text != Self.base)
        do {
            _ = try ProfileLoader.parse(text, file: "/p/meter.toml", id: "meter")
            Issue.record("accepted a broken profile")
        } catch {
            #expect(error.file == "/p/meter.toml")
            #expect(error.line == line, "\(error)")
            #expect(error.key == key, "\(error)")
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    func site(_ devices: String, profilesDir: String? = nil) -> String {
        """
        \(profilesDir.map { "profiles_dir = \"\($0)\"" } ?? "")
        [site]
        name = "S"
        timezone = "UTC"
        [storage]
        path = "s.sqlite"

        \(devices)
        """
    }

    @Test func aUserProfileIsFoundAndChannelsOverrideAndAdd() throws {
        let dir = NSTemporaryDirectory() + "strata-profiles-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.base.write(toFile: dir + "/my-meter.toml", atomically: true, encoding: .utf8)
        let text = site(
            """
            [[devices]]
            id = "m"
            driver = "modbus-tcp"
            host = "10.0.0.5"
            profile = "my-meter"
            poll = "15s"

              [[devices.channels]]
              id = "energy_import"
              name = "Import"
              resolution = 0.01

              [[devices.channels]]
              id = "temperature"
              unit = "°C"
              kind = "gauge"
              address = 0x100
              type = "s16"
              scale = 0.1
            """, profilesDir: dir)
        let c = try StrataConfig.parse(text, file: dir + "/strata.toml")
        let d = try #require(c.device("m"))
        #expect(d.poll == 15)
        #expect(
            d.modbus
                == StrataConfig.ModbusSettings(
                    transport: .tcp(host: "10.0.0.5", port: 502), unitID: 1, timeout: 1, retries: 1))
        #expect(d.readCount == 3)
        #expect(d.channels.prefix(3).map(\.id) == ["energy_import", "power", "temperature"])
        #expect(
            d.channels[0].name == "Import" && d.channels[0].resolution.decimals == 2 && d.channels[0].kind == .counter)
        #expect(
            d.registers[2]
                == ProfileRegister(
                    channel: "temperature", name: "temperature", address: 0x100, function: .holding, type: .s16,
                    wordOrder: .highFirst, scale: 0.1, unit: "°C", kind: .gauge, resolution: Resolution(decimals: 1)))
        // Polled every 15 s: each gauge's minute mean gets its extremes beside it.
        #expect(d.channels.dropFirst(3).map(\.id) == ["power_min", "power_max", "temperature_min", "temperature_max"])
    }

    @Test(arguments: [
        (
            "driver = \"modbus-tcp\"\nhost = \"h\"\nprofile = \"eastron-sdm630\"\n[[devices.channels]]\nid = \"energy_imprt\"",
            "devices[0].channels[0].id", "not in profile \"eastron-sdm630\""
        ),
        ("driver = \"modbus-tcp\"\nprofile = \"eastron-sdm630\"", "devices[0].host", "missing"),
        ("driver = \"modbus-tcp\"\nhost = \"h\"\nprofile = \"no-such-meter\"", "devices[0].profile", "no such profile"),
        (
            "driver = \"modbus-tcp\"\nhost = \"h\"\nprofile = \"eastron-sdm630\"\npoll = \"7s\"", "devices[0].poll",
            "divisor of the minute"
        ),
        (
            "driver = \"modbus-rtu\"\nserial = \"/dev/ttyUSB0\"\nunit_id = 2\nprofile = \"eastron-sdm120\"\nparity = \"mark\"",
            "devices[0].parity", "\"even\""
        ),
        (
            "driver = \"modbus-rtu\"\nserial = \"/dev/ttyUSB0\"\nprofile = \"eastron-sdm120\"", "devices[0].unit_id",
            "missing"
        ),
        (
            "driver = \"modbus-rtu\"\nhost = \"h\"\nserial = \"/dev/ttyUSB0\"\nunit_id = 2\nprofile = \"eastron-sdm120\"",
            "devices[0].host", "for driver \"modbus-tcp\""
        ),
        (
            "driver = \"modbus-tcp\"\nhost = \"h\"\nprofile = \"eastron-sdm630\"\ntimeout = \"20s\"",
            "devices[0].timeout", "inside the minute"
        ),
        (
            "driver = \"simulated\"\nprofile = \"eastron-sdm630\"\nsimulate = \"wind\"", "devices[0].simulate",
            "\"electricity\""
        ),
    ])
    func badDevicesAreRefused(body: String, key: String, message: String) {
        let text = site("[[devices]]\nid = \"d\"\n" + body)
        do {
            _ = try StrataConfig.parse(text, file: "/x/strata.toml")
            Issue.record("accepted: \(body)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.message.contains(message), "\(error)")
            #expect(error.line != nil)
        }
    }

    @Test func rtuSettingsAreRead() throws {
        let c = try StrataConfig.parse(
            site(
                """
                [[devices]]
                id = "sub1"
                driver = "modbus-rtu"
                serial = "/dev/ttyUSB0"
                baud = 9600
                parity = "even"
                stop_bits = 1
                unit_id = 2
                profile = "eastron-sdm120"
                timeout = "250 ms"
                retries = 2
                """), file: "/x/strata.toml")
        let m = try #require(c.devices.first?.modbus)
        #expect(m.transport == .rtu(serial: "/dev/ttyUSB0", baud: 9600, parity: .even, dataBits: 8, stopBits: 1))
        #expect(m.unitID == 2 && m.timeout == 0.25 && m.retries == 2)
        #expect(m.transport.busKey == "rtu:///dev/ttyUSB0")
    }
}
