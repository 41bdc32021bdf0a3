import StrataCore

/// Home Assistant MQTT discovery: one retained `<discovery>/sensor/<node>/<object>/config` per
/// channel, so counters appear in HA's Energy dashboard and gauges as sensors without YAML.
public struct Discovery: Sendable {
    public let discoveryPrefix: String
    public let messages: MinuteMessages
    /// Identifies the site in unique ids, so two Strata boxes on one broker do not collide.
    public let site: String

    public init(discoveryPrefix: String, messages: MinuteMessages, site: String) {
        self.discoveryPrefix = discoveryPrefix
        self.messages = messages
        self.site = Self.id(site)
    }

    /// What HA needs to know of a channel: its device class, state class and a unit it accepts.
    public struct Classes: Sendable, Equatable {
        public var deviceClass: String?
        public var stateClass: String
        public var unit: String
    }

    /// The classes HA expects for a unit (its sensor documentation's table): counters are
    /// `total_increasing` (a meter replaced and starting at zero is a reset, not negative
    /// energy), gauges `measurement`. Water and gas share m³: a gas device says so in its id,
    /// name or channel.
    public static func classes(_ c: ChannelSpec, deviceName: String) -> Classes {
        let unit = normalizedUnit(c.unit)
        let counter = c.kind == .counter
        let state = counter ? "total_increasing" : "measurement"
        let gas = [c.device, deviceName, c.id].contains { $0.lowercased().contains("gas") }
        let deviceClass: String?
        switch unit {
        case "Wh", "kWh", "MWh", "GJ", "MJ": deviceClass = counter ? "energy" : nil
        case "W", "kW", "MW": deviceClass = "power"
        case "var", "kvar": deviceClass = "reactive_power"
        case "V", "mV": deviceClass = "voltage"
        case "A", "mA": deviceClass = "current"
        case "Hz": deviceClass = "frequency"
        case "°C", "K": deviceClass = "temperature"
        case "m³", "L", "ft³", "gal": deviceClass = counter ? (gas ? "gas" : "water") : nil
        case "m³/h", "L/min", "L/h", "m³/s": deviceClass = counter ? nil : "volume_flow_rate"
        case "%": deviceClass = nil
        default: deviceClass = nil
        }
        // HA refuses gas in litres and energy classes on gauges; such channels go without a class.
        if deviceClass == "gas" && unit == "L" { return Classes(deviceClass: nil, stateClass: state, unit: unit) }
        return Classes(deviceClass: deviceClass, stateClass: state, unit: unit)
    }

    static func normalizedUnit(_ u: String) -> String {
        switch u {
        case "m3": "m³"
        case "l": "L"
        case "m3/h": "m³/h"
        case "l/min": "L/min"
        case "l/h": "L/h"
        case "degC", "C": "°C"
        default: u
        }
    }

    /// A topic level and unique-id part: letters, digits, `_` and `-` only.
    static func id(_ s: String) -> String {
        var out = ""
        for c in s.lowercased() {
            out.append(c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-") ? c : "_")
        }
        return out.isEmpty ? "x" : out
    }

    public func configTopic(device: String, channel: String) -> String {
        "\(discoveryPrefix)/sensor/strata_\(site)_\(Self.id(device))/\(Self.id(channel))/config"
    }

    /// The retained config of one channel.
    public func config(_ c: ChannelSpec, deviceName: String, model: String?) -> MQTTMessage {
        let k = Self.classes(c, deviceName: deviceName)
        var j = JSONText()
        j.open()
        j.key("name")
        j.string(c.name.isEmpty ? c.id : c.name)
        j.key("unique_id")
        j.string("strata_\(site)_\(Self.id(c.device))_\(Self.id(c.id))")
        j.key("object_id")
        j.string("\(Self.id(c.device))_\(Self.id(c.id))")
        j.key("state_topic")
        j.string(messages.channelTopic(device: c.device, channel: c.id))
        j.key("value_template")
        j.string("{{ value_json.v }}")
        j.key("unit_of_measurement")
        j.string(k.unit)
        if let d = k.deviceClass {
            j.key("device_class")
            j.string(d)
        }
        j.key("state_class")
        j.string(k.stateClass)
        j.key("suggested_display_precision")
        j.bytesAppend(String(max(0, c.resolution.decimals)))
        j.key("availability_mode")
        j.string("all")
        j.key("availability")
        j.bytesAppend("[{\"topic\":")
        j.string(messages.statusTopic)
        j.bytesAppend("},{\"topic\":")
        j.string(messages.availabilityTopic(device: c.device))
        j.bytesAppend("}]")
        j.object("device")
        j.key("identifiers")
        j.strings(["strata_\(site)_\(Self.id(c.device))"])
        j.key("name")
        j.string(deviceName)
        j.key("manufacturer")
        j.string("Strata")
        if let model {
            j.key("model")
            j.string(model)
        }
        j.close()
        j.close()
        return MQTTMessage(topic: configTopic(device: c.device, channel: c.id), payload: j.bytes, retain: true)
    }
}
