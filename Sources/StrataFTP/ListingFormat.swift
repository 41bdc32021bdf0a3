import StrataCore

/// Directory listings as clients parse them: `ls -l` lines for LIST (English months, UTC,
/// `Mon dd HH:MM` within 180 days, else `Mon dd  YYYY`), RFC 3659 facts for MLSD/MLST, and
/// `YYYYMMDDhhmmss` for MDTM (the same UTC instant LIST shows, so FileZilla's time-zone guess
/// comes out right).
public enum ListingFormat {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func listLine(_ e: FileEntry, now: Int64) -> String {
        let mode = e.isDirectory ? "dr-xr-xr-x" : "-r--r--r--"
        let t = LocalDateTime(secondsSinceEpoch: e.modified)
        let d = t.date
        let month = months[d.month - 1]
        let day = d.day < 10 ? " \(d.day)" : "\(d.day)"
        let recent = abs(now - e.modified) < 180 * 86_400
        let when = recent ? "\(two(t.secondOfDay / 3600)):\(two(t.secondOfDay / 60 % 60))" : " \(d.year)"
        let size = String(e.size)
        let padded = String(repeating: " ", count: max(0, 12 - size.count)) + size
        return "\(mode) 1 strata strata \(padded) \(month) \(day) \(when) \(e.name)"
    }

    public static func mlsdFacts(_ e: FileEntry, current: Bool = false) -> String {
        let type = e.isDirectory ? (current ? "cdir" : "dir") : "file"
        let perm = e.isDirectory ? "el" : "r"
        let mode = e.isDirectory ? "0555" : "0444"
        return "type=\(type);size=\(e.size);modify=\(timestamp(e.modified));perm=\(perm);unix.mode=\(mode); \(e.name)"
    }

    public static func timestamp(_ t: Int64) -> String {
        let l = LocalDateTime(secondsSinceEpoch: t)
        let d = l.date
        let s = l.secondOfDay
        return "\(d.year)\(two(d.month))\(two(d.day))\(two(s / 3600))\(two(s / 60 % 60))\(two(s % 60))"
    }

    static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
