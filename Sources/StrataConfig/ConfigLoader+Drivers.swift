import Foundation
import StrataCore
import StrataModbus

/// The driver half of a `[[devices]]` entry: how to reach the meter and which profile maps it.
extension Reader {
    static let pollSteps = [10, 15, 20, 30, 60]

    /// `kind`: the `driver` key's value, checked to be one of the known names.
    func deviceDriver(_ t: TOMLTable, path p: String, kind: String, into dev: inout StrataConfig.Device)
        throws(ConfigError)
    {
        let modbusKeys = [
            "host", "port", "unit_id", "serial", "baud", "parity", "stop_bits", "data_bits", "timeout", "retries",
        ]
        switch kind {
        case "none":
            for k in Self.driverKeys where t[k] != nil {
                throw error(
                    "\(p).\(k)", t[k]?.line,
                    "device \"\(dev.id)\" has driver \"none\" (import only); \(k) needs driver \"modbus-tcp\", \"modbus-rtu\" or \"simulated\""
                )
            }
            return
        case "mqtt":
            for k in modbusKeys + ["simulate", "size", "outage_every", "outage_for"] where t[k] != nil {
                throw error(
                    "\(p).\(k)", t[k]?.line, "an MQTT device has no \(k); it needs topic and its channels' path")
            }
            guard let topic = try string(t, "topic", path: "\(p).topic", required: true, tableLine: t.line),
                !topic.isEmpty,
                !topic.contains("#") || topic.hasSuffix("#")
            else {
                throw error(
                    "\(p).topic", t["topic"]?.line,
                    "expected the topic the meter publishes, like \"tele/meter1/SENSOR\"")
            }
            var source = StrataConfig.MQTTSource(
                topic: topic, timePath: try string(t, "time_path", path: "\(p).time_path"))
            if let name = try string(t, "profile", path: "\(p).profile") {
                do {
                    dev.mqttProfile = try MQTTProfile.load(name: name, userFolder: profilesDir)
                } catch {
                    throw self.error(
                        "\(p).profile", t["profile"]?.line,
                        "\(error.message) (\(error.file)\(error.line.map { ":\($0)" } ?? ""))"
                            + " — MQTT profiles shipped: \(ProfileLoader.shippedMQTTNames.joined(separator: ", "))")
                }
                if source.timePath == nil { source.timePath = dev.mqttProfile?.timePath }
            }
            dev.driver = .mqtt(source)
            return
        case "simulated":
            for k in modbusKeys where t[k] != nil {
                throw error(
                    "\(p).\(k)", t[k]?.line, "a simulated device has no \(k); it needs only a profile or channels")
            }
            var load = StrataConfig.Simulation.Load.electricity
            if let s = try string(t, "simulate", path: "\(p).simulate") {
                guard let l = StrataConfig.Simulation.Load(rawValue: s) else {
                    throw error(
                        "\(p).simulate", t["simulate"]?.line,
                        "expected one of \(StrataConfig.Simulation.Load.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), found \"\(s)\""
                    )
                }
                load = l
            }
            let size = try number(t, "size", path: "\(p).size", 0...1e6, "a size") ?? 1
            guard size > 0 else { throw error("\(p).size", t["size"]?.line, "must be greater than zero") }
            var simulation = StrataConfig.Simulation(load: load, size: size)
            // A meter that stops answering now and then, so the demo's offline alarm has
            // something to say: the first outage two minutes after the start, then every so often.
            let every = try span(t, "outage_every", path: "\(p).outage_every", allowForever: false, most: 366 * 86_400)?
                .seconds
            let length = try span(t, "outage_for", path: "\(p).outage_for", allowForever: false, most: 366 * 86_400)?
                .seconds
            switch (every, length) {
            case (nil, nil): break
            case (let e?, let l?):
                guard l >= 60, l < e else {
                    throw error(
                        "\(p).outage_for", t["outage_for"]?.line,
                        "must be at least 1 min and shorter than outage_every (\(Span(seconds: e)))")
                }
                simulation.outage = .init(every: e, length: l)
            case (nil, _?):
                throw error(
                    "\(p).outage_every", t.line,
                    "missing; outage_for needs outage_every (how often the meter goes quiet)")
            case (_?, nil):
                throw error(
                    "\(p).outage_for", t.line, "missing; outage_every needs outage_for (how long the meter stays quiet)"
                )
            }
            dev.driver = .simulated(simulation)
        default:
            for k in ["simulate", "size", "outage_every", "outage_for", "topic", "time_path"] where t[k] != nil {
                throw error("\(p).\(k)", t[k]?.line, "only simulated devices have \(k)")
            }
            dev.driver = .modbus(try modbus(t, path: p, driver: kind))
            if t["profile"] == nil {
                throw error(
                    "\(p).profile", t.line,
                    "missing; a Modbus device needs a profile (shipped: \(ProfileLoader.shippedNames.joined(separator: ", ")))"
                )
            }
        }
        if let name = try string(t, "profile", path: "\(p).profile") {
            do {
                dev.profile = try ProfileLoader.load(name: name, userFolder: profilesDir)
            } catch let e where e.line == nil && e.file == name {
                throw error("\(p).profile", t["profile"]?.line, "profile \"\(name)\": \(e.message)")
            } catch {
                throw error
            }
        }
        if let s = try string(t, "poll", path: "\(p).poll") {
            let secs = (try? Span(parsing: s))?.seconds
            guard let v = secs, Self.pollSteps.contains(Int(v)) else {
                throw error(
                    "\(p).poll", t["poll"]?.line,
                    "expected \"1 min\", \"30s\", \"20s\", \"15s\" or \"10s\" (a whole divisor of the minute), found \"\(s)\""
                )
            }
            dev.poll = Int(v)
        }
    }

    func modbus(_ t: TOMLTable, path p: String, driver: String) throws(ConfigError) -> StrataConfig.ModbusSettings {
        func int(_ key: String, _ range: ClosedRange<Int>, _ what: String) throws(ConfigError) -> Int? {
            try whole(t, key, path: "\(p).\(key)", range, what)
        }
        let transport: StrataConfig.Transport
        if driver == "modbus-tcp" {
            for k in ["serial", "baud", "parity", "stop_bits", "data_bits"] where t[k] != nil {
                throw error("\(p).\(k)", t[k]?.line, "\(k) is for driver \"modbus-rtu\"; this device is \"modbus-tcp\"")
            }
            guard let host = try string(t, "host", path: "\(p).host"), !host.isEmpty else {
                throw error(
                    "\(p).host", t.line, "missing; expected the meter's or gateway's address, e.g. \"192.168.1.50\"")
            }
            transport = .tcp(host: host, port: try int("port", 1...65535, "a TCP port") ?? 502)
        } else {
            for k in ["host", "port"] where t[k] != nil {
                throw error("\(p).\(k)", t[k]?.line, "\(k) is for driver \"modbus-tcp\"; this device is \"modbus-rtu\"")
            }
            guard let serial = try string(t, "serial", path: "\(p).serial"), !serial.isEmpty else {
                throw error("\(p).serial", t.line, "missing; expected the serial device, e.g. \"/dev/ttyUSB0\"")
            }
            let baud = try int("baud", 300...921_600, "a baud rate") ?? 9600
            var parity = StrataConfig.Parity.none
            if let s = try string(t, "parity", path: "\(p).parity") {
                guard let pp = StrataConfig.Parity(rawValue: s) else {
                    throw error(
                        "\(p).parity", t["parity"]?.line, "expected \"none\", \"even\" or \"odd\", found \"\(s)\"")
                }
                parity = pp
            }
            transport = .rtu(
                serial: serial, baud: baud, parity: parity,
                dataBits: try int("data_bits", 7...8, "data bits") ?? 8,
                stopBits: try int("stop_bits", 1...2, "stop bits") ?? 1)
        }
        let unit = try int("unit_id", 0...247, "a Modbus unit id") ?? (driver == "modbus-tcp" ? 1 : nil)
        guard let unitID = unit else {
            throw error("\(p).unit_id", t.line, "missing; expected the meter's Modbus address (1–247) on the bus")
        }
        var timeout = 1.0
        if let n = t["timeout"] {
            switch n.value {
            case .integer(let v): timeout = Double(v)
            case .float(let v): timeout = v
            case .string(let s):
                let lower = s.lowercased().trimmingSpaces
                if lower.hasSuffix("ms"), let v = Double(lower.dropLast(2).trimmingSpaces) {
                    timeout = v / 1000
                } else if let v = (try? Span(parsing: s))?.seconds {
                    timeout = Double(v)
                } else {
                    throw error("\(p).timeout", n.line, "expected a duration like \"500 ms\" or \"2s\", found \"\(s)\"")
                }
            default: throw error("\(p).timeout", n.line, "expected a duration like \"500 ms\" or \"2s\"")
            }
            guard timeout >= 0.05, timeout <= 10 else {
                throw error("\(p).timeout", n.line, "expected 50 ms to 10 s (a poll round must end inside the minute)")
            }
        }
        let retries = try int("retries", 0...5, "a retry count") ?? 1
        return StrataConfig.ModbusSettings(transport: transport, unitID: unitID, timeout: timeout, retries: retries)
    }

    /// A channel's register: the profile's, with the keys written in the channel entry changed.
    /// Settles what depends on both: a pulse value's scale and resolution, a wrap at the width.
    func register(_ t: TOMLTable, path p: String, base: ProfileRegister?, spec: inout ChannelSpec) throws(ConfigError)
        -> ProfileRegister
    {
        var r =
            base
            ?? ProfileRegister(
                channel: spec.id, address: 0, function: .holding, type: .u16, wordOrder: .highFirst, unit: spec.unit,
                kind: spec.kind)
        r.channel = spec.id
        if let a = try whole(t, "address", path: "\(p).address", 0...65535, "a register address") { r.address = a }
        if let f = try ProfileLoader.function(self, t, "function", path: "\(p).function") { r.function = f }
        if let ty = try ProfileLoader.registerType(self, t, "type", path: "\(p).type") { r.type = ty }
        if let o = try ProfileLoader.wordOrder(self, t, "word_order", path: "\(p).word_order") { r.wordOrder = o }
        if let s = try number(t, "scale", path: "\(p).scale", -1e12...1e12, "a scale") {
            guard s != 0 else { throw error("\(p).scale", t["scale"]?.line, "must not be zero") }
            r.scale = s
        }
        let ppu = try number(t, "pulses_per_unit", path: "\(p).pulses_per_unit", 0...1e9, "a number of pulses per unit")
        let upp = try number(t, "unit_per_pulse", path: "\(p).unit_per_pulse", 0...1e9, "a quantity per pulse")
        var pulse: Double?
        switch (ppu, upp) {
        case (nil, nil): break
        case (_?, _?):
            throw error(
                "\(p).unit_per_pulse", t["unit_per_pulse"]?.line,
                "set either pulses_per_unit or unit_per_pulse, not both")
        case (let n?, nil):
            guard n > 0 else {
                throw error("\(p).pulses_per_unit", t["pulses_per_unit"]?.line, "must be greater than zero")
            }
            pulse = 1 / n
        case (nil, let v?):
            guard v > 0 else {
                throw error("\(p).unit_per_pulse", t["unit_per_pulse"]?.line, "must be greater than zero")
            }
            pulse = v
        }
        if let pulse {
            let key = ppu != nil ? "pulses_per_unit" : "unit_per_pulse"
            guard spec.kind == .counter else {
                throw error("\(p).\(key)", t[key]?.line, "a pulse input is a counter; this channel is a gauge")
            }
            if t["scale"] != nil {
                throw error(
                    "\(p).scale", t["scale"]?.line,
                    "set either scale or \(key), not both (\(key) is the scale of a pulse counter)")
            }
            r.scale = pulse
            // The pulse's worth printed exactly: 100 pulses/m3 is 0.01 m3 a pulse.
            if t["resolution"] == nil {
                guard let d = Self.decimals(of: pulse) else {
                    throw error(
                        "\(p).\(key)", t[key]?.line, "a pulse worth \(pulse) has more than 6 decimals; set resolution")
                }
                spec.resolution = Resolution(decimals: d)
            }
        }
        if let o = try number(t, "offset", path: "\(p).offset", -1e15...1e15, "an offset") { r.offset = o }
        switch t["rollover"]?.value {
        case .string?: r.wrapsAtWidth = true // "register"; anything else was refused in channel()
        case nil: break
        default: r.wrapsAtWidth = false // a number written here replaces a profile's width rule
        }
        if r.wrapsAtWidth {
            guard spec.kind == .counter, let w = r.widthRollover else {
                throw error(
                    "\(p).rollover", t["rollover"]?.line ?? t.line,
                    "rollover = \"register\" needs an integer register (u16, u32, s32 …) on a counter")
            }
            spec.rollover = w
        }
        r.unit = spec.unit
        r.kind = spec.kind
        r.resolution = spec.resolution
        r.rollover = spec.rollover
        r.name = spec.name
        return r
    }

    /// The fewest decimals (0…6) that print `v` exactly.
    static func decimals(of v: Double) -> Int? {
        (0...6).first { d in
            let x = v * pow(10, Double(d))
            return abs(x - x.rounded()) < 1e-9 * max(1, x)
        }
    }
}
