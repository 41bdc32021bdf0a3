import Foundation
import StrataCore

/// One message of an MQTT meter (Tasmota's `tele/<name>/SENSOR`, a gateway's JSON) turned into
/// readings: each channel's value at its JSON path, and the time at `time_path` or of arrival.
public struct IngestDecoder: Sendable {
    /// Payloads larger than this are refused unread: a meter's message is a few hundred bytes.
    public static let maxPayload = 64 * 1024

    public let paths: [[String]]
    public let timePath: [String]?
    public let zone: ZoneRules

    public init(paths: [String], timePath: String?, zone: ZoneRules) {
        self.paths = paths.map(Self.split)
        self.timePath = timePath.map(Self.split)
        self.zone = zone
    }

    public enum Failure: Error, Equatable, Sendable {
        case tooLarge(Int)
        case notJSON
        /// No channel's path gave a number.
        case noValues
        case badTime(String)

        public var description: String {
            switch self {
            case .tooLarge(let n): "payload of \(n) bytes refused (at most \(IngestDecoder.maxPayload))"
            case .notJSON: "payload is not a JSON object"
            case .noValues: "no channel's path holds a number"
            case .badTime(let t): "time_path holds \"\(t)\", not ISO 8601 or epoch seconds"
            }
        }
    }

    /// The readings of one message (nil where a path is missing or not a number).
    public func decode(_ payload: [UInt8], arrival: Int64) -> Result<(ts: Int64, values: [Double?]), Failure> {
        guard payload.count <= Self.maxPayload else { return .failure(.tooLarge(payload.count)) }
        guard let root = try? JSONSerialization.jsonObject(with: Data(payload)), root is [String: Any] else {
            return .failure(.notJSON)
        }
        let values = paths.map { Self.number(Self.lookup(root, $0)) }
        guard values.contains(where: { $0 != nil }) else { return .failure(.noValues) }
        var ts = arrival
        if let tp = timePath, let t = Self.lookup(root, tp) {
            guard let parsed = time(t) else { return .failure(.badTime("\(t)")) }
            ts = parsed
        }
        return .success((ts, values))
    }

    static func split(_ path: String) -> [String] { path.split(separator: ".").map(String.init) }

    /// `ENERGY.Total`, `values.0.v`: object keys, and indices into arrays.
    static func lookup(_ root: Any, _ path: [String]) -> Any? {
        var cur: Any? = root
        for key in path {
            if let o = cur as? [String: Any] {
                cur = o[key]
            } else if let a = cur as? [Any], let i = Int(key), i >= 0, i < a.count {
                cur = a[i]
            } else {
                return nil
            }
        }
        return cur
    }

    static func number(_ v: Any?) -> Double? {
        if let v, let n = v as? NSNumber {
            // JSON true/false come as a boolean NSNumber (and `is Bool` holds for 1 as well):
            // a boolean is not a reading.
            if String(describing: type(of: v)).contains("Boolean") { return nil }
            let d = n.doubleValue
            return d.isFinite ? d : nil
        }
        if let s = v as? String, let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite { return d }
        return nil
    }

    /// Epoch seconds (or milliseconds), or ISO 8601 with or without an offset (without: site time).
    func time(_ v: Any) -> Int64? {
        if let d = Self.number(v) {
            let s = d > 1e11 ? d / 1000 : d
            return PlausibleTime.contains(Int64(s)) ? Int64(s) : nil
        }
        guard let s = v as? String, s.count >= 19 else { return nil }
        let chars = Array(s.utf8)
        func num(_ a: Int, _ n: Int) -> Int? {
            guard a + n <= chars.count else { return nil }
            var x = 0
            for c in chars[a..<(a + n)] {
                guard c >= 48 && c <= 57 else { return nil }
                x = x * 10 + Int(c - 48)
            }
            return x
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2),
            let se = num(17, 2)
        else { return nil }
        let date = CivilDate(year: y, month: mo, day: d)
        guard date.isValid, h < 24, mi < 60, se < 61 else { return nil }
        let local = LocalDateTime(date: date, hour: h, minute: mi, second: min(se, 59))
        // The rest: fractions, then Z or ±hh:mm (absent: site time).
        var rest = Substring(s.dropFirst(19))
        if rest.hasPrefix(".") { rest = rest.drop { $0 == "." || $0.isNumber } }
        if rest.isEmpty { return zone.firstInstant(atOrAfter: local) }
        if rest == "Z" { return local.secondsSinceEpoch }
        let sign: Int64 = rest.hasPrefix("-") ? -1 : 1
        let digits = rest.dropFirst().filter(\.isNumber)
        guard rest.hasPrefix("+") || rest.hasPrefix("-"), digits.count == 4, let hh = Int64(digits.prefix(2)),
            let mm = Int64(digits.suffix(2))
        else { return nil }
        return local.secondsSinceEpoch - sign * (hh * 3600 + mm * 60)
    }
}
