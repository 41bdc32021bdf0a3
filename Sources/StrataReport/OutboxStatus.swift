import StrataCore

/// The outbox as CSV (ISO dialect: a status file is read by scripts as often as by people).
public enum OutboxStatus {
    public static func csv(_ entries: [Outbox.Entry], zone: ZoneRules) -> [UInt8] {
        var w = CSVWriter(dialect: .iso)
        for h in [
            "created", "report", "period", "recipient", "message_id", "state", "attempts", "last_attempt", "done",
            "last_error",
        ] { w.field(h) }
        w.endRow()
        func t(_ v: Int64?) {
            if let v { w.dateTime(zone.local(v)) } else { w.empty() }
        }
        for e in entries {
            t(e.created)
            w.field(e.report)
            w.field(e.period)
            w.field(e.recipient)
            w.field(e.messageID)
            w.field(e.state.rawValue)
            w.number(steps: Int64(e.attempts), decimals: 0)
            t(e.lastAttempt)
            t(e.done)
            w.field(e.lastError ?? "")
            w.endRow()
        }
        return w.bytes
    }
}
