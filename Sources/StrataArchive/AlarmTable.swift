import StrataCore
import StrataStore

/// The alarm log as the archive's `_site/alarms/<year>.csv`: one row per alarm (raised, and
/// cleared once it is), in a dialect, so Excel users see the site's alarms over FTP and the
/// share next to the data they are about.
public enum AlarmTable {
    public struct Row: Sendable, Equatable {
        public var raised: Int64
        public var cleared: Int64?
        public var rule: String
        public var device: String?
        public var channel: String?
        public var value: Double?
        public var threshold: Double?
    }

    /// Pairs each raise with its clear (repeats are the same alarm still active).
    public static func rows(_ log: [AlarmLogEntry]) -> [Row] {
        var rows: [Row] = []
        var open: [String: Int] = [:]
        for e in log {
            switch e.event {
            case "raised":
                rows.append(
                    Row(
                        raised: e.at, cleared: nil, rule: e.rule, device: e.device, channel: e.channel, value: e.value,
                        threshold: e.threshold))
                open[e.rule] = rows.count - 1
            case "cleared":
                if let i = open[e.rule] {
                    rows[i].cleared = e.at
                    open[e.rule] = nil
                }
            default: break
            }
        }
        return rows
    }

    /// The rows raised in each local year, by year.
    public static func byYear(_ rows: [Row], zone: ZoneRules) -> [Int: [Row]] {
        Dictionary(grouping: rows) { zone.local($0.raised).date.year }
    }

    public static func csv(_ rows: [Row], dialect: CSVDialect, zone: ZoneRules) -> [UInt8] {
        var w = CSVWriter(dialect: dialect)
        w.writeBOM()
        for h in [
            "raised", "raised_utc_offset", "cleared", "cleared_utc_offset", "rule", "device", "channel", "value",
            "threshold",
        ] { w.field(h) }
        w.endRow()
        func time(_ t: Int64?) {
            guard let t else {
                w.empty()
                w.empty()
                return
            }
            let off = zone.offset(at: t)
            w.dateTime(LocalDateTime(secondsSinceEpoch: t + Int64(off)))
            w.offset(off)
        }
        for r in rows {
            time(r.raised)
            time(r.cleared)
            w.field(r.rule)
            w.field(r.device ?? "")
            w.field(r.channel ?? "")
            w.number(r.value, Resolution(decimals: 3))
            w.number(r.threshold, Resolution(decimals: 3))
            w.endRow()
        }
        return w.bytes
    }
}
