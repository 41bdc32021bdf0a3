import StrataCore

/// Times as the API and the pages show them: ISO 8601 with the site's offset, parsed back
/// from what users type (a date, a local date-time, an offset time, epoch seconds).
package struct WebTime: Sendable {
    package let calendar: SiteCalendar

    package init(calendar: SiteCalendar) { self.calendar = calendar }

    /// Epoch seconds past this (the year 2286) are refused: no meter reads that far ahead.
    static let latest: Int64 = 9_999_999_999

    /// `2026-12-02T13:00:00+01:00`.
    package func iso(_ t: Int64) -> String {
        let off = calendar.zone.offset(at: t)
        let l = LocalDateTime(secondsSinceEpoch: t + Int64(off))
        let s = l.secondOfDay
        return
            "\(l.date)T\(zeroPadded(s / 3600, 2)):\(zeroPadded(s / 60 % 60, 2)):\(zeroPadded(s % 60, 2))\(formatOffset(off))"
    }

    /// `2026-12-02 13:00` in site time, for pages.
    package func short(_ t: Int64) -> String {
        let l = calendar.zone.local(t)
        let s = l.secondOfDay
        return "\(l.date) \(zeroPadded(s / 3600, 2)):\(zeroPadded(s / 60 % 60, 2))"
    }

    /// Epoch seconds of a time a user wrote: `1733140800`, `2026-12-02` (local midnight),
    /// `2026-12-02T13:00[:00]` (site time) or with `Z` / `+01:00`.
    package func parse(_ text: String) -> Int64? {
        let s = text.trimmingCharacters(in: " ")
        if let n = Int64(s), s.count >= 6 { return n <= Self.latest ? n : nil }
        let u = Array(s.utf8)
        func num(_ a: Int, _ n: Int) -> Int? {
            guard a + n <= u.count else { return nil }
            var v = 0
            for c in u[a..<a + n] {
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard u.count >= 10, let y = num(0, 4), u[4] == 45, let mo = num(5, 2), u[7] == 45, let d = num(8, 2),
            (1...12).contains(mo), (1...31).contains(d)
        else { return nil }
        let date = CivilDate(year: y, month: mo, day: d)
        guard CivilDate(daysSinceEpoch: date.daysSinceEpoch) == date else { return nil } // 2026-02-30
        var hour = 0
        var minute = 0
        var second = 0
        var i = 10
        if u.count > 10 {
            guard u[10] == 84 || u[10] == 116 || u[10] == 32, let h = num(11, 2), u.count > 13, u[13] == 58,
                let m = num(14, 2),
                h < 24, m < 60
            else { return nil }
            hour = h
            minute = m
            i = 16
            if u.count > 16, u[16] == 58 {
                // 60: a leap second (RFC 3339 allows it) is the last second of its minute.
                guard let sec = num(17, 2), sec <= 60 else { return nil }
                second = min(sec, 59)
                i = 19
                // Fractions of a second are below any tier's resolution.
                if i < u.count, u[i] == 46 {
                    i += 1
                    let digits = i
                    while i < u.count, u[i] >= 48, u[i] <= 57 { i += 1 }
                    guard i > digits else { return nil }
                }
            }
        }
        let local = LocalDateTime(date: date, hour: hour, minute: minute, second: second)
        if i == u.count { return calendar.zone.firstInstant(atOrAfter: local) }
        // An explicit offset: the instant is exact, whatever the site's zone.
        let rest = Array(u[i...])
        if rest == [90] || rest == [122] { return local.secondsSinceEpoch }
        guard rest.count == 6, rest[0] == 43 || rest[0] == 45, rest[3] == 58 else { return nil }
        let str = String(decoding: rest, as: UTF8.self)
        guard let oh = Int(str.dropFirst().prefix(2)), let om = Int(str.suffix(2)), oh < 24, om < 60 else { return nil }
        let off = Int64(oh * 3600 + om * 60) * (rest[0] == 45 ? -1 : 1)
        return local.secondsSinceEpoch - off
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
