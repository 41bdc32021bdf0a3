import StrataConfig
import StrataCore
import StrataModbus
import StrataTestSupport
import Testing

/// Issue 18's keys: tariff seasons, day types and holidays; pulse inputs; calculated channels;
/// the HAN2X scale override. Each loads as documented, and each mistake names file, line, key.
struct TariffConfigTests {
    static let header =
        SiteTOML.header(timezone: "Europe/Istanbul", store: "/tmp/s.sqlite")
        + SiteTOML.device("main", channels: [("energy_import", "kWh", "counter")])

    @Test func seasonsDayTypesAndHolidaysLoad() throws {
        let c = try StrataConfig.parse(
            Self.header + """

                [[tariffs]]
                name = "summer-peak"
                price = 0.31
                hours = "17:00-22:00"
                day_types = ["workday"]
                seasons = ["04-01..09-30"]

                [[tariffs]]
                name = "winter-night"
                price = 0.12
                hours = "22:00-06:00"
                seasons = ["10-01..03-31"]

                [[tariffs]]
                name = "holiday"
                price = 0.10
                day_types = ["holiday", "sunday"]

                [[tariffs]]
                name = "day"
                price = 0.2

                [[holidays]]
                name = "Christmas"
                date = "12-25"

                [[holidays]]
                name = "Bridge day"
                date = "2026-12-24"

                [[holidays]]
                name = "Easter Monday"
                easter = 1
                """, file: "/etc/strata.toml")
        #expect(c.tariffs.count == 4)
        let peak = c.tariffs[0]
        #expect(
            peak.dayTypes == [.workday] && peak.seasons == [SeasonRange(from: (4, 1), to: (9, 30))] && !peak.isFallback)
        #expect(c.tariffs[1].seasons?.first?.contains(CivilDate(year: 2027, month: 2, day: 1)) == true)
        #expect(c.tariffs[1].seasons?.first?.contains(CivilDate(year: 2027, month: 6, day: 1)) == false)
        #expect(c.tariffs[3].isFallback)
        #expect(
            c.holidays.map(\.holiday) == [
                .annual(month: 12, day: 25), .once(CivilDate(year: 2026, month: 12, day: 24)), .easter(offset: 1),
            ])
        let cal = c.holidayCalendar
        #expect(cal.contains(CivilDate(year: 2027, month: 3, day: 29))) // Easter Monday 2027
        #expect(
            cal.contains(CivilDate(year: 2026, month: 12, day: 24))
                && !cal.contains(CivilDate(year: 2027, month: 12, day: 24)))
    }

    @Test(arguments: [
        ("price = 0.2", "price = 0.2\nseasons = [\"04-01-09-30\"]", "tariffs[0].seasons", "04-01..09-30"),
        ("price = 0.2", "price = 0.2\nseasons = [\"02-30..03-01\"]", "tariffs[0].seasons", "range of days"),
        ("price = 0.2", "price = 0.2\nday_types = [\"weekday\"]", "tariffs[0].day_types", "\"workday\""),
        ("price = 0.2", "price = 0.2\nday_types = []", "tariffs[0].day_types", "expected a list"),
        ("date = \"12-25\"", "date = \"25.12.\"", "holidays[0].date", "MM-DD"),
        ("date = \"12-25\"", "date = \"2027-02-29\"", "holidays[0].date", "MM-DD"),
        ("date = \"12-25\"", "date = \"12-25\"\neaster = 1", "holidays[0].easter", "either date or easter"),
        ("date = \"12-25\"", "name = \"x\"", "holidays[0].date", "missing"),
        ("date = \"12-25\"", "easter = 500", "holidays[0].easter", ""),
    ])
    func mistakesNameFileLineAndKey(old: String, new: String, key: String, message: String) {
        let good = Self.header + "\n[[tariffs]]\nname = \"day\"\nprice = 0.2\n\n[[holidays]]\ndate = \"12-25\"\n"
        let text = good.replacingOccurrences(of: old, with: new)
        #expect(text != good)
        ConfigMistake.expect(text, file: "/etc/strata.toml", key: key, message: message)
    }
}

struct PulseConfigTests {
    static let header = SiteTOML.header(timezone: "UTC", store: "/tmp/s.sqlite")

    static func module(_ channel: String) -> String {
        header + """

            [[devices]]
            id = "pulses"
            driver = "modbus-tcp"
            host = "127.0.0.1"
            unit_id = 5
            profile = "generic-di8-counter"

            \(channel)
            """
    }

    @Test func aNamedInputBecomesAChannelAndTheOthersAreNotRead() throws {
        let c = try StrataConfig.parse(
            Self.module(
                """
                [[devices.channels]]
                id = "cold_water"
                source = "input_3"
                name = "Cold water"
                unit = "m3"
                pulses_per_unit = 100

                [[devices.channels]]
                id = "gas"
                source = "input_8"
                unit = "m3"
                unit_per_pulse = 0.01
                resolution = 0.001
                """), file: "/etc/strata.toml")
        let d = try #require(c.device("pulses"))
        #expect(d.channels.map(\.id) == ["cold_water", "gas"])
        #expect(d.registers.map(\.address) == [4, 14])
        let w = d.channels[0]
        #expect(w.unit == "m3" && w.kind == .counter && w.name == "Cold water")
        // 100 pulses per m3: a pulse is 0.01 m3, the resolution that prints it exactly.
        #expect(w.resolution == Resolution(decimals: 2))
        #expect(d.registers[0].scale == 0.01 && d.registers[0].type == .u32)
        // The u32 counter wraps at 2^32 pulses: 42,949,672.96 m3.
        #expect(w.rollover == 4_294_967_296 * 0.01)
        #expect(d.channels[1].resolution == Resolution(decimals: 3) && d.registers[1].scale == 0.01)
    }

    @Test(arguments: [
        (
            "pulses_per_unit = 100", "pulses_per_unit = 100\nunit_per_pulse = 0.01",
            "devices[0].channels[0].unit_per_pulse", "not both"
        ),
        ("pulses_per_unit = 100", "pulses_per_unit = 0", "devices[0].channels[0].pulses_per_unit", "greater than zero"),
        ("pulses_per_unit = 100", "pulses_per_unit = 100\nscale = 2", "devices[0].channels[0].scale", "not both"),
        ("source = \"input_1\"", "source = \"input_9\"", "devices[0].channels[0].source", "no register \"input_9\""),
        ("pulses_per_unit = 100", "pulses_per_unit = 100\nrollover = \"width\"", "devices[0].channels[0].rollover", ""),
    ])
    func pulseMistakes(old: String, new: String, key: String, message: String) {
        let good = Self.module(
            "[[devices.channels]]\nid = \"water\"\nsource = \"input_1\"\nunit = \"m3\"\npulses_per_unit = 100\n")
        let text = good.replacingOccurrences(of: old, with: new)
        #expect(text != good)
        ConfigMistake.expect(text, file: "/etc/strata.toml", key: key, message: message)
    }

    @Test func aModuleWithNoNamedInputHasNoChannels() {
        ConfigMistake.expect(
            Self.module(""), file: "/etc/strata.toml", key: "devices[0].channels", message: "no channels")
    }

    /// HAN2X: the profile reads Wh (scale 0.001); a converter that sends kWh is corrected with
    /// `scale = 1`, and the wrap at the register width follows the new scale.
    @Test func han2xEnergyScaleCanBeCorrectedInTheSiteConfig() throws {
        func device(_ extra: String) throws -> StrataConfig.Device {
            let c = try StrataConfig.parse(
                Self.header + """

                    [[devices]]
                    id = "han"
                    driver = "modbus-tcp"
                    host = "127.0.0.1"
                    profile = "varibits-han2x"
                    \(extra)
                    """, file: "/etc/strata.toml")
            return try #require(c.device("han"))
        }
        let shipped = try device("")
        let k = try #require(shipped.channels.firstIndex { $0.id == "energy_import" })
        #expect(shipped.registers[k].scale == 0.001 && shipped.channels[k].unit == "kWh")
        #expect(shipped.channels[k].rollover == 4_294_967.296)
        let fixed = try device("[[devices.channels]]\nid = \"energy_import\"\nscale = 1\n")
        #expect(fixed.registers[k].scale == 1 && fixed.channels[k].rollover == 4_294_967_296)
        #expect(fixed.registers[k].address == 20 && fixed.channels[k].unit == "kWh")
        // The other energy register keeps the profile's reading.
        let e = try #require(fixed.channels.firstIndex { $0.id == "energy_export" })
        #expect(fixed.registers[e].scale == 0.001)
    }
}

struct CalculatedConfigTests {
    static let header =
        SiteTOML.header(timezone: "UTC", store: "/tmp/s.sqlite")
        + SiteTOML.device("main", channels: [("energy_import", "kWh", "counter"), ("power", "W", "gauge")])
        + SiteTOML.device(
            "sub-1",
            channels: [("energy_import", "kWh", "counter"), ("power", "W", "gauge"), ("water", "m3", "counter")])
        + SiteTOML.device("sub.2", channels: [("energy_import", "kWh", "counter")])

    @Test func formulasResolveToTheirChannels() throws {
        let c = try StrataConfig.parse(
            Self.header + """

                [[calculated]]
                id = "rest"
                name = "Unmetered"
                unit = "kWh"
                kind = "counter"
                formula = "main.energy_import - sub-1.energy_import - sub.2.energy_import"

                [[calculated]]
                id = "rest_power"
                kind = "gauge"
                formula = "main.power - sub-1.power"
                """, file: "/etc/strata.toml")
        let d = try #require(c.device("calculated"))
        #expect(d.driver == .calculated && d.driver.name == "calculated" && !d.isPolled)
        #expect(d.channels.map(\.id) == ["rest", "rest_power"])
        let rest = d.channels[0]
        #expect(
            rest.formula == [
                FormulaTerm(negative: false, device: "main", channel: "energy_import"),
                FormulaTerm(negative: true, device: "sub-1", channel: "energy_import"),
                FormulaTerm(negative: true, device: "sub.2", channel: "energy_import"),
            ])
        #expect(rest.unit == "kWh" && rest.kind == .counter && rest.name == "Unmetered")
        #expect(d.channels[1].unit == "W" && d.channels[1].kind == .gauge)
        #expect(c.allChannels.contains { $0.device == "calculated" && $0.id == "rest" })
    }

    @Test(arguments: [
        (
            "main.energy_import - sub-1.energy_import", "main.energy_import - sub-1.energy",
            "not a channel of a configured device"
        ),
        ("main.energy_import - sub-1.energy_import", "main.energy_import - sub-1.water", "is in m3, not kWh"),
        ("main.energy_import - sub-1.energy_import", "main.energy_import - sub-1.power", "is a gauge"),
        ("main.energy_import - sub-1.energy_import", "main.energy_import - - sub-1.energy_import", "two signs"),
        ("main.energy_import - sub-1.energy_import", "main.energy_import sub-1.energy_import", "expected + or -"),
        ("main.energy_import - sub-1.energy_import", "main.energy_import -", "expected channels joined"),
    ])
    func formulaMistakes(old: String, new: String, message: String) {
        let good =
            Self.header + "\n[[calculated]]\nid = \"rest\"\nformula = \"main.energy_import - sub-1.energy_import\"\n"
        let text = good.replacingOccurrences(of: old, with: new)
        #expect(text != good)
        ConfigMistake.expect(text, file: "/etc/strata.toml", key: "calculated[0].formula", message: message)
    }

    @Test func aCalculatedChannelCannotJoinAMeter() {
        ConfigMistake.expect(
            Self.header
                + "\n[[calculated]]\nid = \"rest\"\ndevice = \"main\"\nformula = \"main.energy_import - sub-1.energy_import\"\n",
            file: "/etc/strata.toml", key: "calculated[0].device", message: "device of their own")
        ConfigMistake.expect(
            Self.header + "\n[[calculated]]\nid = \"rest\"\nformula = \"main.energy_import\"\nresolution = 0.01\n",
            file: "/etc/strata.toml", key: "calculated[0].resolution", message: "at least as fine")
    }
}

/// `[replication]`: the keys load; mistakes name file, line and key.
struct ReplicationConfigTests {
    static let header =
        SiteTOML.header(timezone: "UTC", store: "/tmp/s.sqlite")
        + SiteTOML.device("main", channels: [("energy_import", "kWh", "counter")])

    @Test func theKeysLoad() throws {
        let dir = TempDir()
        try dir.write("pg.pass", "secret\n")
        let c = try StrataConfig.parse(
            Self.header + """

                [replication]
                url = "postgres://strata@central.example.org:5432/strata"
                password_file = "pg.pass"
                tiers = ["day", "hour", "quarter"]
                site_id = "plant-12"
                interval = "30 s"
                timeout = "2 min"
                """, file: dir.file("strata.toml"))
        let r = try #require(c.replication)
        #expect(r.url == "postgres://strata@central.example.org:5432/strata" && r.passwordFile == dir.file("pg.pass"))
        #expect(r.tiers == [.quarter, .hour, .day] && r.siteID == "plant-12" && r.interval == 30 && r.timeout == 120)
        #expect(try r.password() == "secret")
        let d = try StrataConfig.parse(
            Self.header + "\n[replication]\nurl = \"postgres://h/db\"\n", file: "/etc/strata.toml")
        #expect(d.replication?.tiers == [.quarter, .hour, .day, .month, .year] && d.replication?.interval == 60)
        // The minute tier is there for those who want it, never by default.
        let m = try StrataConfig.parse(
            Self.header + "\n[replication]\nurl = \"postgres://h/db\"\ntiers = [\"day\", \"minute\"]\n",
            file: "/etc/strata.toml")
        #expect(m.replication?.tiers == [.minute, .day])
    }

    @Test(arguments: [
        ("url = \"postgres://h/db\"", "url = \"mysql://h/db\"", "replication.url", "PostgreSQL URL"),
        ("url = \"postgres://h/db\"", "url = \"postgres://u:pw@h/db\"", "replication.url", "password_file"),
        ("url = \"postgres://h/db\"", "url = \"postgres://h/db\"\ntiers = \"day\"", "replication.tiers", "expected"),
        (
            "url = \"postgres://h/db\"", "url = \"postgres://h/db\"\ntiers = [\"week\"]", "replication.tiers",
            "expected any of"
        ),
        (
            "url = \"postgres://h/db\"", "url = \"postgres://h/db\"\npassword_file = \"/nonexistent/pw\"",
            "replication.password_file", "cannot read"
        ),
        (
            "url = \"postgres://h/db\"", "url = \"postgres://h/db\"\nsite_id = \"a b\"", "replication.site_id",
            "not a usable id"
        ),
        (
            "url = \"postgres://h/db\"", "url = \"postgres://h/db\"\nintervall = \"1 min\"", "replication.intervall",
            "unknown key"
        ),
    ])
    func mistakes(old: String, new: String, key: String, message: String) {
        let good = Self.header + "\n[replication]\nurl = \"postgres://h/db\"\n"
        let text = good.replacingOccurrences(of: old, with: new)
        #expect(text != good)
        ConfigMistake.expect(text, file: "/etc/strata.toml", key: key, message: message)
    }
}

/// `[fleet]`: a central box's keys load; it refuses meters of its own and the usual mistakes.
struct FleetConfigTests {
    static let header = SiteTOML.header(
        name: "Fleet", timezone: "UTC", store: "/tmp/c.sqlite", archive: "/srv/strata/fleet")

    @Test func theKeysLoad() throws {
        let dir = TempDir()
        try dir.write("pg.pass", "secret\n")
        let c = try StrataConfig.parse(
            Self.header + """

                [fleet]
                url = "postgres://strata@central.example.org/strata"
                password_file = "pg.pass"
                interval = "2 min"
                """, file: dir.file("strata.toml"))
        let f = try #require(c.fleet)
        #expect(f.url == "postgres://strata@central.example.org/strata" && f.interval == 120)
        #expect(try f.password() == "secret")
        #expect(
            try StrataConfig.parse(Self.header + "\n[fleet]\nurl = \"postgres://h/db\"\n", file: "/etc/strata.toml")
                .fleet?.interval == 300)
    }

    @Test(arguments: [
        ("url = \"postgres://h/db\"", "url = \"http://h/db\"", "fleet.url", "PostgreSQL URL"),
        ("url = \"postgres://h/db\"", "url = \"postgres://u:pw@h/db\"", "fleet.url", "password_file"),
        (
            "url = \"postgres://h/db\"", "url = \"postgres://h/db\"\ninterval = \"1 s\"", "fleet.interval",
            "at least 10 s"
        ),
        ("url = \"postgres://h/db\"", "url = \"postgres://h/db\"\ntiers = [\"day\"]", "fleet.tiers", "unknown key"),
        (
            "[fleet]", SiteTOML.device("main", channels: [("energy_import", "kWh", "counter")]) + "\n[fleet]", "fleet",
            "no meters of its own"
        ),
    ])
    func mistakes(old: String, new: String, key: String, message: String) {
        let good = Self.header + "\n[fleet]\nurl = \"postgres://h/db\"\n"
        let text = good.replacingOccurrences(of: old, with: new)
        #expect(text != good)
        ConfigMistake.expect(text, file: "/etc/strata.toml", key: key, message: message)
    }
}
