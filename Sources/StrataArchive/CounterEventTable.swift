import StrataCore
import StrataStore

/// Counter events (resets, rollovers, spikes, rebases) as CSV, ISO dialect: a list for
/// scripts and for whoever checks why a day's consumption looks odd.
public enum CounterEventTable {
    public static func csv(_ events: [(StoredChannel, CounterEvent)], calendar: SiteCalendar) -> [UInt8] {
        var w = CSVWriter(dialect: .iso)
        for h in ["time", "utc_offset", "device", "channel", "old_reading", "new_reading", "action"] { w.field(h) }
        w.endRow()
        for (c, e) in events {
            let (local, off) = calendar.label(e.ts)
            w.field(local.description)
            w.field(formatOffset(off))
            w.field(c.spec.device)
            w.field(c.spec.id)
            w.number(e.oldValue, c.spec.resolution)
            w.number(e.newValue, c.spec.resolution)
            w.field(e.action.rawValue)
            w.endRow()
        }
        return w.bytes
    }
}
