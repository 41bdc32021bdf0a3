/// A length of time written the way people write it in config: `1 min`, `15 min`, `10s`,
/// `400 days`, `10 years`, or `forever`.
public struct Span: Equatable, Sendable, CustomStringConvertible {
    /// Seconds; nil means forever.
    public var seconds: Int64?

    public init(seconds: Int64?) { self.seconds = seconds }

    public static let forever = Span(seconds: nil)

    public enum ParseError: Error, Equatable {
        case invalid(String)
    }

    public init(parsing text: String) throws(ParseError) {
        let t = text.trimmingSpaces.lowercased()
        if t == "forever" {
            seconds = nil
            return
        }
        var digits = ""
        var rest = Substring(t)
        while let c = rest.first, c.isNumber || c == "." {
            digits.append(c)
            rest = rest.dropFirst()
        }
        let unit = String(rest).trimmingSpaces
        guard let n = Double(digits), n >= 0 else { throw .invalid(text) }
        let mult: Double
        switch unit {
        case "s", "sec", "secs", "second", "seconds": mult = 1
        case "m", "min", "mins", "minute", "minutes": mult = 60
        case "h", "hr", "hrs", "hour", "hours": mult = 3600
        case "d", "day", "days": mult = 86_400
        case "w", "week", "weeks": mult = 604_800
        case "month", "months": mult = 2_629_746 // mean Gregorian month
        case "y", "year", "years": mult = 31_556_952 // mean Gregorian year
        default: throw .invalid(text)
        }
        // Up to 10,000 years: "forever" is the word for longer; beyond it a number is a typo
        // ("99999999999999999999 years"), and would not fit in Int64 seconds anyway.
        let total = (n * mult).rounded()
        guard total.isFinite, total <= Self.longest else { throw .invalid(text) }
        seconds = Int64(total)
    }

    /// 10,000 mean Gregorian years, in seconds.
    public static let longest: Double = 315_569_520_000

    public var description: String {
        guard let s = seconds else { return "forever" }
        if s % 31_556_952 == 0 { return "\(s / 31_556_952) years" }
        if s % 86_400 == 0 { return "\(s / 86_400) days" }
        if s % 3600 == 0 { return "\(s / 3600) h" }
        if s % 60 == 0 { return "\(s / 60) min" }
        return "\(s) s"
    }
}

/// A size written as `2 GB`, `500 MB`, `1.5 GiB`.
public struct ByteSize: Equatable, Sendable, CustomStringConvertible {
    public var bytes: Int64

    public init(bytes: Int64) { self.bytes = bytes }

    public init?(parsing text: String) {
        let t = text.trimmingSpaces
        var digits = ""
        var rest = Substring(t)
        while let c = rest.first, c.isNumber || c == "." {
            digits.append(c)
            rest = rest.dropFirst()
        }
        guard let n = Double(digits), n >= 0 else { return nil }
        let mult: Double
        switch String(rest).trimmingSpaces.lowercased() {
        case "", "b", "bytes": mult = 1
        case "kb", "k": mult = 1e3
        case "mb", "m": mult = 1e6
        case "gb", "g": mult = 1e9
        case "tb", "t": mult = 1e12
        case "kib": mult = 1024
        case "mib": mult = 1_048_576
        case "gib": mult = 1_073_741_824
        case "tib": mult = 1_099_511_627_776
        default: return nil
        }
        // Up to an exabyte (1e18, inside Int64): more is a typo, never a storage budget.
        let total = (n * mult).rounded()
        guard total.isFinite, total <= 1e18 else { return nil }
        bytes = Int64(total)
    }

    public var description: String {
        let b = Double(bytes)
        if b >= 1e9 { return "\(Decimal.format(b / 1e9, Resolution(decimals: 2))) GB" }
        if b >= 1e6 { return "\(Decimal.format(b / 1e6, Resolution(decimals: 1))) MB" }
        if b >= 1e3 { return "\(Decimal.format(b / 1e3, Resolution(decimals: 1))) kB" }
        return "\(bytes) B"
    }
}

extension StringProtocol {
    /// Without leading blanks and trailing blanks or line ends: how config values and CSV
    /// header cells are compared.
    public var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s = s.dropLast() }
        return String(s)
    }
}
