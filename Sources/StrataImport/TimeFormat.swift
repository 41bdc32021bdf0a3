import StrataCore

/// How the time column of an import file is written.
public enum TimeFormat: Sendable, Equatable {
    case unix
    case unixMillis
    case iso8601
    /// strptime-style: `%Y-%m-%d %H:%M:%S`, `%d.%m.%Y %H:%M`, with `%z` for an offset.
    case pattern(String)

    public init(_ text: String) {
        switch text.lowercased() {
        case "unix": self = .unix
        case "unix-ms": self = .unixMillis
        case "iso8601", "iso": self = .iso8601
        default: self = .pattern(text)
        }
    }

    /// A parsed time: either an instant, or a local wall time the site's zone must place.
    public enum Parsed: Equatable, Sendable {
        case instant(Int64)
        case local(LocalDateTime)
        /// A well-formed number outside `PlausibleTime` (1e300, or past Int64).
        case outOfRange
    }

    public func parse(_ s: Substring) -> Parsed? {
        switch self {
        case .unix:
            if let v = Int64(s) { return .instant(v) }
            if let d = Double(s) { return PlausibleTime.seconds(d).map(Parsed.instant) ?? .outOfRange }
            return nil
        case .unixMillis:
            guard let v = Int64(s) else { return nil }
            return .instant(floorDiv(v, 1000))
        case .iso8601:
            return TimeFormat.parseISO(Array(s.utf8))
        case .pattern(let p):
            return TimeFormat.parsePattern(Array(p.utf8), Array(s.utf8))
        }
    }

    static func digits(_ b: [UInt8], _ i: inout Int, _ n: Int) -> Int? {
        guard i + n <= b.count else { return nil }
        var v = 0
        for k in 0..<n {
            let c = b[i + k]
            guard c >= 48 && c <= 57 else { return nil }
            v = v * 10 + Int(c - 48)
        }
        i += n
        return v
    }

    /// `2014-03-09T02:00:00Z`, `2014-03-09 02:00`, `…+01:00`, `…-0800`, fractions dropped.
    static func parseISO(_ b: [UInt8]) -> Parsed? {
        var i = 0
        guard let y = digits(b, &i, 4), i < b.count, b[i] == 45 else { return nil }
        i += 1
        guard let mo = digits(b, &i, 2), i < b.count, b[i] == 45 else { return nil }
        i += 1
        guard let d = digits(b, &i, 2) else { return nil }
        var h = 0
        var mi = 0
        var se = 0
        if i < b.count && (b[i] == 84 || b[i] == 32) {
            i += 1
            guard let hh = digits(b, &i, 2), i < b.count, b[i] == 58 else { return nil }
            i += 1
            guard let mm = digits(b, &i, 2) else { return nil }
            h = hh
            mi = mm
            if i < b.count && b[i] == 58 {
                i += 1
                guard let ss = digits(b, &i, 2) else { return nil }
                se = ss
                if i < b.count && (b[i] == 46 || b[i] == 44) {
                    i += 1
                    while i < b.count && b[i] >= 48 && b[i] <= 57 { i += 1 }
                }
            }
        }
        let date = CivilDate(year: y, month: mo, day: d)
        guard date.isValid, h < 24, mi < 60, se < 61 else { return nil }
        let local = LocalDateTime(date: date, hour: h, minute: mi, second: min(se, 59))
        guard let off = offset(b, &i) else { return nil }
        guard i == b.count else { return nil }
        if let o = off { return .instant(local.secondsSinceEpoch - Int64(o)) }
        return .local(local)
    }

    /// Optional `Z`, `+hh:mm`, `+hhmm`, `+hh`; nil if malformed, .some(nil) if absent.
    static func offset(_ b: [UInt8], _ i: inout Int) -> Int?? {
        if i < b.count && b[i] == 32 { i += 1 }
        guard i < b.count else { return .some(nil) }
        if b[i] == 90 {
            i += 1
            return .some(0)
        }
        guard b[i] == 43 || b[i] == 45 else { return nil }
        let sign = b[i] == 45 ? -1 : 1
        i += 1
        guard let oh = digits(b, &i, 2) else { return nil }
        var om = 0
        if i < b.count && b[i] == 58 { i += 1 }
        if i < b.count {
            guard let m = digits(b, &i, 2) else { return nil }
            om = m
        }
        return .some(sign * (oh * 3600 + om * 60))
    }

    static func parsePattern(_ p: [UInt8], _ b: [UInt8]) -> Parsed? {
        var i = 0
        var k = 0
        var y = 1970
        var mo = 1
        var d = 1
        var h = 0
        var mi = 0
        var se = 0
        var off: Int? = nil
        while k < p.count {
            if p[k] == 37 && k + 1 < p.count {
                let f = p[k + 1]
                k += 2
                switch f {
                case UInt8(ascii: "Y"):
                    guard let v = digits(b, &i, 4) else { return nil }
                    y = v
                case UInt8(ascii: "y"):
                    guard let v = digits(b, &i, 2) else { return nil }
                    y = 2000 + v
                case UInt8(ascii: "m"):
                    guard let v = digits(b, &i, 2) else { return nil }
                    mo = v
                case UInt8(ascii: "d"):
                    guard let v = digits(b, &i, 2) else { return nil }
                    d = v
                case UInt8(ascii: "H"):
                    guard let v = digits(b, &i, 2) else { return nil }
                    h = v
                case UInt8(ascii: "M"):
                    guard let v = digits(b, &i, 2) else { return nil }
                    mi = v
                case UInt8(ascii: "S"):
                    guard let v = digits(b, &i, 2) else { return nil }
                    se = v
                case UInt8(ascii: "z"):
                    guard let o = offset(b, &i), let oo = o else { return nil }
                    off = oo
                case UInt8(ascii: "%"):
                    guard i < b.count, b[i] == 37 else { return nil }
                    i += 1
                default: return nil
                }
            } else {
                guard i < b.count, b[i] == p[k] else { return nil }
                i += 1
                k += 1
            }
        }
        guard i == b.count else { return nil }
        let date = CivilDate(year: y, month: mo, day: d)
        guard date.isValid, h < 24, mi < 60, se < 61 else { return nil }
        let local = LocalDateTime(date: date, hour: h, minute: mi, second: min(se, 59))
        if let o = off { return .instant(local.secondsSinceEpoch - Int64(o)) }
        return .local(local)
    }
}
