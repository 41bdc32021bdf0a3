import Foundation
import Testing

@testable import StrataConfig
@testable import StrataCore

@Suite struct ConfigTests {
    static let minimal = """
        [site]
        name = "Plant A"
        timezone = "Europe/Paris"

        [storage]
        path = "data/strata.sqlite"
        budget = "2 GB"

        [retention]                 # "forever" or a span like "400 days", "10 years"
        minute = "400 days"
        quarter = "3 years"
        hour = "10 years"

        [[devices]]
        id = "main"
        name = "Main meter"
        driver = "none"

        [[devices.channels]]
        id = "energy_import"
        unit = "kWh"
        kind = "counter"

        [[devices.channels]]
        id = "power"
        unit = "W"
        kind = "gauge"
        """

    @Test func theContractFileLoads() throws {
        let c = try StrataConfig.parse(Self.minimal, file: "/etc/strata/strata.toml")
        #expect(c.site.name == "Plant A")
        #expect(c.site.timezone == "Europe/Paris")
        #expect(c.storage.path == "/etc/strata/data/strata.sqlite")
        #expect(c.storage.budget?.bytes == 2_000_000_000)
        #expect(c.retention[.minute]?.seconds == Int64(400 * 86_400))
        #expect(c.retention[.day] == .forever)
        #expect(c.devices.count == 1)
        let ch = c.devices[0].channels
        #expect(ch.map(\.id) == ["energy_import", "power"])
        #expect(ch[0].kind == .counter && ch[0].resolution.decimals == 3 && ch[0].interval == 60)
        #expect(ch[1].kind == .gauge)
    }

    /// Each broken variant must be refused with the key and the line that is wrong.
    @Test(arguments: [
        ("name = \"Plant A\"", "name = 3", 2, "site.name", "expected a string"),
        ("timezone = \"Europe/Paris\"", "timezone = \"Europe/Pariss\"", 3, "site.timezone", "unknown time zone"),
        ("kind = \"gauge\"", "kind = \"gage\"", 27, "devices[0].channels[1].kind", "expected \"counter\" or \"gauge\""),
        ("budget = \"2 GB\"", "budget = \"two\"", 7, "storage.budget", "expected a size"),
        ("minute = \"400 days\"", "minute = \"400 dayz\"", 10, "retention.minute", "expected a duration"),
        ("unit = \"W\"", "unit = \"W\"\nresolution = 0.003", 27, "devices[0].channels[1].resolution", "power of ten"),
        ("driver = \"none\"", "driver = \"modbus\"", 17, "devices[0].driver", "unknown driver"),
        ("name = \"Main meter\"", "nmae = \"Main meter\"", 16, "devices[0].nmae", "unknown key"),
    ])
    func mistakesNameFileLineAndKey(old: String, new: String, line: Int, key: String, message: String) {
        let text = Self.minimal.replacingOccurrences(of: old, with: new)
        #expect(text != Self.minimal)
        do {
            _ = try StrataConfig.parse(text, file: "/x/strata.toml")
            Issue.record("accepted a broken config")
        } catch {
            #expect(error.file == "/x/strata.toml")
            #expect(error.line == line)
            #expect(error.key == key)
            #expect(error.message.contains(message), "\(error.message)")
            #expect(error.description.hasPrefix("/x/strata.toml:\(line): \(key): "))
        }
    }

    @Test func syntaxErrorsCarryTheLine() {
        let text = Self.minimal.replacingOccurrences(of: "name = \"Main meter\"", with: "name = Main meter")
        do {
            _ = try StrataConfig.parse(text, file: "/x/strata.toml")
            Issue.record("accepted a broken config")
        } catch {
            #expect(error.line == 16)
            #expect(error.message.contains("syntax error"))
        }
    }

    @Test func missingSiteIsNamed() {
        let text = Self.minimal.replacingOccurrences(
            of: "[site]\nname = \"Plant A\"\ntimezone = \"Europe/Paris\"\n", with: "")
        #expect(throws: ConfigError.self) { try StrataConfig.parse(text, file: "f.toml") }
    }

    @Test func duplicateChannelIdsAreRefused() {
        let text = Self.minimal.replacingOccurrences(of: "id = \"power\"", with: "id = \"energy_import\"")
        #expect(throws: ConfigError.self) { try StrataConfig.parse(text, file: "f.toml") }
    }

    @Test func tomlFeatures() throws {
        let t = try TOMLParser.parse(
            """
            a = [1, 2,
                 3]  # comment
            b.c = 'lit\\eral'
            d = { e = true, f = -1.5 }
            g = \"\"\"
            multi
            line\"\"\"
            h = 1_000
            """)
        guard case .array(let a) = t["a"]?.value else {
            Issue.record("a")
            return
        }
        #expect(a.count == 3)
        guard case .table(let b) = t["b"]?.value, case .string(let c) = b["c"]?.value else {
            Issue.record("b")
            return
        }
        #expect(c == "lit\\eral")
        guard case .table(let d) = t["d"]?.value, case .float(let f) = d["f"]?.value else {
            Issue.record("d")
            return
        }
        #expect(f == -1.5)
        guard case .string(let g) = t["g"]?.value else {
            Issue.record("g")
            return
        }
        #expect(g == "multi\nline")
        guard case .integer(let h) = t["h"]?.value else {
            Issue.record("h")
            return
        }
        #expect(h == 1000)
        #expect(t["h"]?.line == 8)
    }
}
