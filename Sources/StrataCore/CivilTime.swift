/// A proleptic Gregorian calendar date, free of time zones.
///
/// Strata does its own calendar arithmetic (after Howard Hinnant's `days_from_civil`) because
/// roll-ups ask for millions of bucket edges and Foundation's `Calendar` is far too slow for that.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// "YYYY-MM-DD", a day that exists; nil otherwise.
    public init?(parsing s: String) {
        let p = s.split(separator: "-", omittingEmptySubsequences: false)
        guard p.count == 3, p[0].count == 4, p[1].count == 2, p[2].count == 2,
            let y = Int(p[0]), let m = Int(p[1]), let d = Int(p[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
        guard isValid else { return nil }
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public init(daysSinceEpoch z0: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var isoWeekday: Int {
        let d = daysSinceEpoch
        return ((d + 3) % 7 + 7) % 7 + 1
    }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var isValid: Bool {
        month >= 1 && month <= 12 && day >= 1 && day <= CivilDate.daysIn(year: year, month: month)
    }

    public func adding(days: Int) -> CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + days) }

    public func addingMonths(_ n: Int) -> CivilDate {
        let total = year * 12 + (month - 1) + n
        let y = total >= 0 ? total / 12 : (total - 11) / 12
        return CivilDate(year: y, month: total - y * 12 + 1, day: 1)
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public var description: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

/// A wall-clock time without a zone: seconds since 1970-01-01 00:00 on the local clock.
public struct LocalDateTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) { self.secondsSinceEpoch = secondsSinceEpoch }

    public init(date: CivilDate, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        secondsSinceEpoch =
            Int64(date.daysSinceEpoch) * 86_400
            + Int64(hour * 3600 + minute * 60 + second)
    }

    public var date: CivilDate { CivilDate(daysSinceEpoch: Int(floorDiv(secondsSinceEpoch, 86_400))) }
    public var secondOfDay: Int { Int(floorMod(secondsSinceEpoch, 86_400)) }

    public static func < (a: LocalDateTime, b: LocalDateTime) -> Bool {
        a.secondsSinceEpoch < b.secondsSinceEpoch
    }

    /// `YYYY-MM-DD hh:mm:ss`, the one date format every Excel locale parses.
    public var description: String {
        let s = secondOfDay
        return "\(date) \(pad(s / 3600, 2)):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2))"
    }
}

extension LocalDateTime {
    /// `YYYY-MM-DD hh:mm:ss` (`between` separating date and time) straight into a buffer, no
    /// String on the way: archive labels and the fleet's COPY rows are written millions of times.
    @inlinable
    public func append(to bytes: inout [UInt8], between: UInt8 = UInt8(ascii: " ")) {
        let d = date
        let s = secondOfDay
        appendDigits(d.year, 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(d.month, 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(d.day, 2, to: &bytes)
        bytes.append(between)
        appendDigits(s / 3600, 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(s / 60 % 60, 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(s % 60, 2, to: &bytes)
    }
}

/// A non-negative number of up to 8 digits, zero-padded to `width`, into a buffer.
@inlinable
public func appendDigits(_ v: Int, _ width: Int, to bytes: inout [UInt8]) {
    var n = max(v, 0)
    var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    withUnsafeMutableBytes(of: &tmp) { buf in
        repeat {
            buf[count] = UInt8(ascii: "0") + UInt8(n % 10)
            n /= 10
            count += 1
        } while n > 0 && count < 8
        while count < width && count < 8 {
            buf[count] = UInt8(ascii: "0")
            count += 1
        }
        for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(buf[i]) }
    }
}

@inline(__always) public func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

@inline(__always) public func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
    let r = a % b
    return r < 0 ? r + b : r
}

/// `v` with leading zeros to `width` digits (file names, dates).
@inlinable public func zeroPadded(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

@inline(__always) func pad(_ v: Int, _ width: Int) -> String { zeroPadded(v, width) }

/// `+01:00`, `-08:00`, `+05:30`.
public func formatOffset(_ seconds: Int) -> String {
    let sign = seconds < 0 ? "-" : "+"
    let a = abs(seconds)
    return "\(sign)\(pad(a / 3600, 2)):\(pad(a / 60 % 60, 2))"
}
