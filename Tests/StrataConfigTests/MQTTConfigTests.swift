import StrataConfig
import StrataCore
import StrataTestSupport
import Testing

/// `[mqtt]`: the issue's keys load; defaults follow the site; mistakes name file, line and key.
struct MQTTConfigTests {
    static let header =
        SiteTOML.header(name: "Werk Süd", timezone: "Europe/Berlin", store: "/tmp/s.sqlite")
        + SiteTOML.device("main", channels: [("energy", "kWh", "counter")])

    @Test func theContractKeysLoad() throws {
        let c = try StrataConfig.parse(
            Self.header + """

                [mqtt]
                url = "mqtts://broker.example.org"
                username = "strata"
                password_file = "mqtt.pass"
                client_id = "box-1"
                topic_prefix = "plant/sued"
                qos = 1
                retain = true
                discovery = true
                ca_file = "ca.pem"
                """, file: "/etc/strata/strata.toml")
        let m = try #require(c.mqtt)
        #expect(m.host == "broker.example.org" && m.port == 8883 && m.tls)
        #expect(m.username == "strata" && m.passwordFile == "/etc/strata/mqtt.pass" && m.caFile == "/etc/strata/ca.pem")
        #expect(m.clientID == "box-1" && m.topicPrefix == "plant/sued" && m.qos == 1 && m.retain && m.discovery)
    }

    @Test func defaultsFollowTheSite() throws {
        let c = try StrataConfig.parse(
            Self.header + "\n[mqtt]\nurl = \"mqtt://10.0.0.5:1884\"\n", file: "/etc/strata.toml")
        let m = try #require(c.mqtt)
        #expect(m.host == "10.0.0.5" && m.port == 1884 && !m.tls)
        #expect(m.topicPrefix == "strata/werk-s-d" && m.clientID == "strata-werk-s-d")
        #expect(m.discoveryPrefix == "homeassistant" && m.qos == 1 && m.retain && m.backlogMinutes == 60)
        let none = try StrataConfig.parse(Self.header, file: "/etc/strata.toml")
        #expect(none.mqtt == nil)
    }

    @Test(arguments: [
        ("url = \"mqtt://b:1883\"", "url = \"http://b\"", "mqtt.url", "expected mqtt://"),
        ("url = \"mqtt://b:1883\"", "url = \"mqtt://b:99999\"", "mqtt.url", "expected mqtt://"),
        ("qos = 1", "qos = 3", "mqtt.qos", ""),
        (
            "url = \"mqtt://b:1883\"", "url = \"mqtt://b:1883\"\nca_file = \"ca.pem\"", "mqtt.ca_file",
            "only for mqtts://"
        ),
        ("qos = 1", "qos = 1\npassword_file = \"p\"", "mqtt.username", "needs the username"),
        ("qos = 1", "qos = 1\ntopic_prefix = \"a/#\"", "mqtt.topic_prefix", "no +, #"),
        ("qos = 1", "qos = 1\nretian = true", "mqtt.retian", "unknown key"),
    ])
    func mistakesNameFileLineAndKey(old: String, new: String, key: String, message: String) {
        let good = Self.header + "\n[mqtt]\nurl = \"mqtt://b:1883\"\nqos = 1\n"
        let text = good.replacingOccurrences(of: old, with: new)
        #expect(text != good)
        ConfigMistake.expect(text, file: "/etc/strata.toml", key: key, message: message)
    }
}

/// `driver = "mqtt"` devices: a topic, each channel's JSON path, and the broker of `[mqtt]`.
struct MQTTDeviceConfigTests {
    static let text =
        SiteTOML.header(timezone: "UTC", store: "/tmp/s.sqlite") + """

            [mqtt]
            url = "mqtt://127.0.0.1:1883"

            [[devices]]
            id = "meter1"
            driver = "mqtt"
            topic = "tele/meter1/SENSOR"
            time_path = "Time"

              [[devices.channels]]
              id = "energy"
              unit = "kWh"
              kind = "counter"
              path = "ENERGY.Total"
            """

    @Test func loads() throws {
        let c = try StrataConfig.parse(Self.text, file: "/etc/strata.toml")
        let d = try #require(c.devices.first)
        #expect(
            d.mqttSource?.topic == "tele/meter1/SENSOR" && d.mqttSource?.timePath == "Time"
                && d.mqttSource?.paths == ["ENERGY.Total"])
        #expect(d.readCount == 1)
    }

    @Test(arguments: [
        ("  path = \"ENERGY.Total\"", "", "devices[0].channels[0].path", "JSON path"),
        ("topic = \"tele/meter1/SENSOR\"\n", "", "devices[0].topic", "missing"),
        ("time_path = \"Time\"", "time_path = \"Time\"\nhost = \"x\"", "devices[0].host", "no host"),
        ("[mqtt]\nurl = \"mqtt://127.0.0.1:1883\"\n", "", "mqtt", "add an [mqtt] section"),
    ])
    func mistakes(old: String, new: String, key: String, message: String) {
        let text = Self.text.replacingOccurrences(of: old, with: new)
        #expect(text != Self.text)
        ConfigMistake.expect(text, file: "/etc/strata.toml", key: key, message: message)
    }
}

/// The shipped Tasmota profile: its channels and JSON paths, and a site's override.
struct TasmotaProfileTests {
    @Test func tasmotaEnergyGivesItsChannelsAndPaths() throws {
        let c = try StrataConfig.parse(
            SiteTOML.header(timezone: "UTC", store: "/tmp/s.sqlite") + """

                [mqtt]
                url = "mqtt://127.0.0.1:1883"

                [[devices]]
                id = "plug"
                driver = "mqtt"
                profile = "tasmota-energy"
                topic = "tele/plug1/SENSOR"

                  [[devices.channels]]
                  id = "voltage_l1"
                  resolution = 0.1
                  path = "ENERGY.Voltage"
                """, file: "/etc/strata.toml")
        let d = try #require(c.devices.first)
        #expect(
            d.channels.map(\.id) == [
                "energy_import", "power", "apparent_power", "reactive_power", "power_factor", "voltage_l1",
                "current_l1",
            ])
        #expect(d.mqttSource?.paths.first == "ENERGY.Total" && d.mqttSource?.paths.count == 7)
        #expect(d.mqttSource?.timePath == "Time")
        #expect(d.channels[0].kind == .counter && d.channels[0].unit == "kWh" && d.channels[0].device == "plug")
        #expect(d.channels[5].resolution == Resolution(decimals: 1))
        #expect(d.readCount == 7)
    }

    @Test func aRegisterMapIsNotAnMQTTProfile() {
        do {
            _ = try StrataConfig.parse(
                SiteTOML.header(timezone: "UTC", store: "/tmp/s.sqlite") + """

                    [mqtt]
                    url = "mqtt://127.0.0.1:1883"

                    [[devices]]
                    id = "plug"
                    driver = "mqtt"
                    profile = "eastron-sdm630"
                    topic = "tele/plug1/SENSOR"
                    """, file: "/etc/strata.toml")
            Issue.record("a register map was taken as an MQTT profile")
        } catch {
            #expect(error.key == "devices[0].profile" && error.message.contains("kind = \"mqtt\""), "\(error)")
        }
    }
}
