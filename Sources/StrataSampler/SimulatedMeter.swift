import Foundation
import StrataConfig
import StrataCore

/// A meter that does not exist: a load curve of a small office building, deterministic in
/// time so that a back-filled history and live sampling tell the same story.
///
/// Gauges are functions of time; counters integrate the load from the reading before, so a
/// meter continued from a stored reading keeps counting from there.
public struct SimulatedMeter: Sendable {
    public let channels: [ChannelSpec]
    public let load: StrataConfig.Simulation.Load
    public let size: Double
    let zone: ZoneRules
    let seed: UInt64
    /// Counter values (in each channel's unit) and the time they were last advanced.
    public var counters: [Double?]
    var lastTs: Double?

    public init(device: StrataConfig.Device, zone: ZoneRules) {
        channels = Array(device.channels.prefix(device.readCount))
        load = device.simulation?.load ?? .electricity
        size = device.simulation?.size ?? 1
        self.zone = zone
        // The device id seeds the noise, so two sub-meters do not move in lockstep.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in device.id.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        seed = h
        counters = device.channels.prefix(device.readCount).map {
            $0.kind == .counter ? 1000 * (1 + Double(h % 97) / 10) : nil
        }
    }

    /// Continues counters from stored readings (the last value per channel, nil if none). The
    /// fraction of a step the register did not show is lost, as when a real meter is replaced.
    public mutating func resume(from last: [Double?], at ts: Double?) {
        for i in counters.indices where counters[i] != nil {
            if let v = last[i] { counters[i] = v }
        }
        lastTs = ts
    }

    /// The readings at `t` (seconds since 1970), one per channel.
    public mutating func read(at t: Double) -> [Double?] {
        let rate = demand(at: t)
        // Counters advance by the mean of the demand over the interval (trapezoid rule).
        if let last = lastTs, t > last {
            let hours = (t - last) / 3600
            let mean = (demand(at: last) + rate) / 2
            for i in counters.indices {
                guard let c = counters[i] else { continue }
                counters[i] = c + hours * counterRate(channels[i], mean)
            }
        }
        lastTs = t
        return channels.indices.map { i in register(channels[i], counters[i] ?? gauge(channels[i], rate, t)) }
    }

    /// What a real meter's register shows: whole steps of the channel's resolution, as a
    /// Modbus read gives them (raw × scale); a counter shows the steps it has completed.
    func register(_ c: ChannelSpec, _ v: Double) -> Double {
        let steps = c.resolution.steps(v)
        return c.resolution.value(
            ofSteps: c.kind == .counter && c.resolution.value(ofSteps: steps) > v ? steps - 1 : steps)
    }

    /// Demand in the load's main unit per hour: kW for electricity and heat, m³/h for water and gas.
    public func demand(at t: Double) -> Double {
        let local = t + Double(zone.offset(at: Int64(t)))
        let day = floor(local / 86_400)
        let hour = (local - day * 86_400) / 3600
        let weekday = Int((day + 3).truncatingRemainder(dividingBy: 7)) // 0 = Monday
        let workday = weekday < 5
        // Day of year as a phase: 0 in mid-January (coldest), π in mid-July.
        let season = cos(2 * Double.pi * ((day - 15).truncatingRemainder(dividingBy: 365.2425)) / 365.2425)
        let open = workday ? bump(hour, from: 7, to: 18.5) : 0.08 * bump(hour, from: 9, to: 14)
        let n = smoothNoise(t)
        switch load {
        case .electricity:
            let cooling = max(0, -season) * 6 * bump(hour, from: 10, to: 17)
            return size * max(0.5, 6 + 24 * open + cooling * (workday ? 1 : 0.3) + 1.5 * n)
        case .water:
            // About one night in nine a cistern runs from midnight until someone fixes it at
            // six: the leak a night-water alarm is for.
            let leak = hour < 6 && isLeakNight(day) ? 0.3 : 0
            return size * max(0, 0.02 + 0.9 * open * (1 + 0.5 * n) + (abs(n) > 0.9 ? 0.4 : 0) + leak)
        case .gas:
            let heating = max(0, season + 0.3)
            let schedule = workday ? 0.35 + bump(hour, from: 5, to: 19) : 0.35
            return size * max(0, 4 * heating * schedule * (1 + 0.2 * n))
        case .heat:
            let heating = max(0, season + 0.2)
            let schedule = workday ? 0.4 + bump(hour, from: 5, to: 19) : 0.4
            return size * max(0, 30 * heating * schedule * (1 + 0.15 * n))
        }
    }

    func counterRate(_ c: ChannelSpec, _ demand: Double) -> Double {
        switch (load, c.unit) {
        case (.electricity, "kWh"): return c.id.contains("export") ? 0 : demand
        case (.electricity, "Wh"): return c.id.contains("export") ? 0 : demand * 1000
        case (.electricity, "kvarh"):
            return demand * (c.id.contains("export") ? capacitiveShare(lastTs ?? 0) : inductiveShare(lastTs ?? 0))
        case (_, "l"), (_, "L"): return demand * 1000
        default: return demand
        }
    }

    func gauge(_ c: ChannelSpec, _ demand: Double, _ t: Double) -> Double {
        let n = noise(t, salt: UInt64(bitPattern: Int64(c.id.hashValueStable)))
        let phase = c.id.hasSuffix("l2") ? 1.0 : c.id.hasSuffix("l3") ? 2.0 : 0.0
        switch (c.unit, load) {
        case ("V", _): return 230 + 2.5 * sin(t / 5400 + phase) + 0.6 * n
        case ("A", _):
            let share =
                (1 + 0.08 * (phase - 1))
                / (c.id.hasSuffix("_l1") && !channels.contains { $0.id == "current_l2" } ? 1 : 3)
            return demand * 1000 * share / 230
        case ("W", _): return demand * 1000
        case ("var", _): return demand * 1000 * (inductiveShare(t) - capacitiveShare(t))
        case ("kW", _): return demand
        case ("Hz", _): return 50 + 0.02 * n
        case ("", _) where c.id.contains("power_factor"): return 0.95 + 0.03 * sin(t / 7200) + 0.005 * n
        case ("m³/h", _), ("m3/h", _): return demand
        case ("l/min", _), ("L/min", _): return demand * 1000 / 60
        case ("°C", _) where c.id.contains("return"): return 45 + 8 * min(1, demand / (30 * size)) + 0.3 * n
        case ("°C", _): return 55 + 15 * min(1, demand / (30 * size)) + 0.3 * n
        default: return demand
        }
    }

    /// Reactive against active energy: inductive around 19 %, drifting over days so that some
    /// days cross a 20 % limit; capacitive a few percent (cables and idle drives).
    func inductiveShare(_ t: Double) -> Double { 0.19 + 0.04 * sin(t / (86_400 * 3.3)) }
    func capacitiveShare(_ t: Double) -> Double { 0.05 + 0.02 * sin(t / (86_400 * 5.1) + 1) }

    /// Whether water leaks on the night starting the local day `day` (days since 1970).
    func isLeakNight(_ day: Double) -> Bool {
        noise(day * 86_400, salt: 7) > 0.78
    }

    /// A smooth, deterministic wobble in [-1, 1]: noise at quarter-hour knots, eased between.
    func smoothNoise(_ t: Double) -> Double {
        let k = floor(t / 900)
        let f = (t - k * 900) / 900
        let a = noise(k * 900, salt: 1)
        let b = noise((k + 1) * 900, salt: 1)
        let e = f * f * (3 - 2 * f)
        return a + (b - a) * e
    }

    func noise(_ t: Double, salt: UInt64) -> Double {
        var x = UInt64(bitPattern: Int64(t)) &* 0x9E37_79B9_7F4A_7C15 ^ seed ^ (salt &* 0xBF58_476D_1CE4_E5B9)
        x ^= x >> 31
        x = x &* 0x94D0_49BB_1331_11EB
        x ^= x >> 29
        return Double(x >> 11) / Double(1 << 53) * 2 - 1
    }

    /// 0 outside [from, to) hours, rising and falling over an hour at each end.
    func bump(_ h: Double, from: Double, to: Double) -> Double {
        let up = min(1, max(0, h - from))
        let down = min(1, max(0, to - h))
        return min(up, down)
    }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is seeded per run).
    var hashValueStable: Int {
        var h: UInt64 = 1_469_598_103_934_665_603
        for b in utf8 { h = (h ^ UInt64(b)) &* 1_099_511_628_211 }
        return Int(truncatingIfNeeded: h >> 1)
    }
}
