import Foundation

/// What a channel measures: a cumulative counter (energy, water, gas) or an instantaneous gauge.
public enum ChannelKind: String, Sendable, Codable {
    case counter
    case gauge
}

/// One quantity of one device, as the store and the exports know it.
public struct ChannelSpec: Sendable, Equatable {
    public var device: String
    public var id: String
    public var name: String
    public var unit: String
    public var kind: ChannelKind
    public var resolution: Resolution
    /// Expected seconds between readings; coverage is measured against it.
    public var interval: Int
    /// For counters: the value at which the register wraps to zero.
    public var rollover: Double?
    /// For counters: the largest plausible consumption per hour, in the channel's unit.
    public var maxRate: Double?
    /// A calculated channel's inputs (`[[calculated]]`): its values are their signed sum.
    public var formula: [FormulaTerm]?

    public init(
        device: String, id: String, name: String? = nil, unit: String, kind: ChannelKind,
        resolution: Resolution? = nil, interval: Int = 60, rollover: Double? = nil, maxRate: Double? = nil
    ) {
        self.device = device
        self.id = id
        self.name = name ?? id
        self.unit = unit
        self.kind = kind
        self.resolution = resolution ?? Resolution.defaultFor(unit: unit)
        self.interval = interval
        self.rollover = rollover
        self.maxRate = maxRate
    }
}

/// One term of a calculated channel's formula: `+ main.energy_import`, `- sub1.energy_import`.
public struct FormulaTerm: Sendable, Equatable, CustomStringConvertible {
    public var negative: Bool
    public var device: String
    public var channel: String

    public init(negative: Bool, device: String, channel: String) {
        self.negative = negative
        self.device = device
        self.channel = channel
    }

    public var description: String { "\(negative ? "-" : "+") \(device).\(channel)" }

    /// The formula as written back: "main.energy_import - sub1.energy_import".
    public static func text(_ terms: [FormulaTerm]) -> String {
        var out = ""
        for (i, t) in terms.enumerated() {
            if i == 0 {
                out += (t.negative ? "-" : "") + "\(t.device).\(t.channel)"
            } else {
                out += " \(t.negative ? "-" : "+") \(t.device).\(t.channel)"
            }
        }
        return out
    }
}

/// The smallest step of a channel, as a power of ten (0.001 kWh, 1 L, 0.1 V).
///
/// Being a power of ten lets every stored value be an integer count of steps and every printed
/// value be exact: the hours of a day add up to the day to the last printed digit.
public struct Resolution: Sendable, Equatable, CustomStringConvertible {
    /// Decimal places: 3 for 0.001; negative for 10, 100.
    public let decimals: Int

    public init(decimals: Int) { self.decimals = decimals }

    /// Parses `0.001`, `1`, `10`, `1e-3`; only powers of ten are steps a person can read.
    public init?(_ value: Double) {
        guard value > 0, value.isFinite else { return nil }
        let d = -log10(value)
        let r = d.rounded()
        guard abs(d - r) < 1e-9, r >= -6, r <= 9 else { return nil }
        decimals = Int(r)
    }

    public var step: Double { pow10(-decimals) }

    /// The largest magnitude a value may have, in steps: 10^15 (a trillion kWh at 0.001).
    /// Far above any meter, far below where Int64 sums of steps or the exactness of a double
    /// (2^53) are at risk, so bucket sums of accepted readings can never overflow.
    public static let maxSteps: Int64 = 1_000_000_000_000_000

    /// Whether a reading can be stored at this resolution: finite and at most `maxSteps`
    /// steps from zero. Readings that are not (a float32 of 3.4e38 from a broken register, a
    /// counter of 1e300 in a CSV) are rejected at the edge as bad readings.
    @inline(__always)
    public func accepts(_ value: Double) -> Bool {
        value.isFinite && (value * pow10(decimals)).magnitude <= Double(Self.maxSteps)
    }

    /// Steps nearest to `value`. Values past `maxSteps` (which `accepts` keeps out) are
    /// clamped rather than trapping: a bad number is never a crash of the historian.
    @inline(__always)
    public func steps(_ value: Double) -> Int64 {
        let limit = Double(Self.maxSteps)
        // NaN compares false everywhere and ends at `limit` here: clamped too, never a trap.
        return Int64(Swift.max(-limit, Swift.min(limit, (value * pow10(decimals)).rounded())))
    }

    public func value(ofSteps s: Int64) -> Double { Double(s) * pow10(-decimals) }

    public var description: String { Decimal.format(steps: 1, decimals: decimals) }

    public static func defaultFor(unit: String) -> Resolution {
        switch unit.lowercased() {
        case "kwh", "mwh", "kvarh", "m3", "m³", "gj", "mj": return Resolution(decimals: 3)
        case "wh", "varh", "vah", "w", "var", "va": return Resolution(decimals: 0)
        case "l": return Resolution(decimals: 3)
        case "kw", "kvar", "kva": return Resolution(decimals: 3)
        case "v", "%", "°c", "c": return Resolution(decimals: 1)
        case "a", "pf", "": return Resolution(decimals: 3)
        case "hz": return Resolution(decimals: 2)
        default: return Resolution(decimals: 3)
        }
    }
}

private let powersOfTen: [Double] = (0...18).map { Foundation.pow(10.0, Double($0)) }

/// 10^n, exact for the decimal places a resolution can have.
@inline(__always) func pow10(_ n: Int) -> Double {
    n >= 0 ? powersOfTen[Swift.min(n, 18)] : 1 / powersOfTen[Swift.min(-n, 18)]
}

/// Exact decimal printing of step counts; no scientific notation, ever.
public enum Decimal {
    /// `format(steps: 12345, decimals: 3)` is `12.345`; a decimal comma where asked.
    public static func format(steps: Int64, decimals: Int, separator: Character = ".") -> String {
        if decimals <= 0 {
            var s = String(steps)
            if decimals < 0 && steps != 0 { s += String(repeating: "0", count: -decimals) }
            return s
        }
        let neg = steps < 0
        let mag = steps.magnitude
        var digits = String(mag)
        if digits.count <= decimals {
            digits = String(repeating: "0", count: decimals - digits.count + 1) + digits
        }
        let cut = digits.index(digits.endIndex, offsetBy: -decimals)
        return (neg ? "-" : "") + digits[..<cut] + String(separator) + digits[cut...]
    }

    /// `format(steps:decimals:)` straight into a byte buffer, without a String: CSV cells and
    /// JSON numbers are written millions of times per export.
    @inlinable
    public static func append(steps: Int64, decimals: Int, point: UInt8 = UInt8(ascii: "."), to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buf in
            var pos = buf.count
            @inline(__always) func put(_ c: UInt8) {
                pos -= 1
                buf[pos] = c
            }
            var mag = steps.magnitude
            if decimals < 0 && steps != 0 { for _ in 0..<Swift.min(-decimals, 18) { put(UInt8(ascii: "0")) } }
            let places = Swift.max(decimals, 0)
            var written = 0
            repeat {
                if written == places && places > 0 { put(point) }
                put(UInt8(ascii: "0") + UInt8(mag % 10))
                mag /= 10
                written += 1
            } while mag > 0 || written <= places
            if steps < 0 { put(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[pos...]))
        }
    }

    /// A double printed at a resolution: rounds to the step first.
    public static func format(_ value: Double, _ r: Resolution, separator: Character = ".") -> String {
        format(steps: r.steps(value), decimals: r.decimals, separator: separator)
    }
}
