import StrataCore

/// One alarm rule's saved phase (see StrataAlarms' `AlarmPhase`): the store keeps it so a
/// restart neither raises an active alarm again nor forgets it.
public struct StoredAlarmState: Sendable, Equatable {
    public var rule: String
    /// `inactive`, `pending` or `active`.
    public var phase: String
    public var since: Int64?
    public var minutes: Int
    public var notified: Int64?

    public init(rule: String, phase: String, since: Int64?, minutes: Int, notified: Int64?) {
        self.rule = rule
        self.phase = phase
        self.since = since
        self.minutes = minutes
        self.notified = notified
    }
}

/// One line of the alarm log: a raise, a repeat or a clear.
public struct AlarmLogEntry: Sendable, Equatable {
    public var id: Int64
    public var rule: String
    public var device: String?
    public var channel: String?
    /// `raised`, `repeated` or `cleared`.
    public var event: String
    public var at: Int64
    public var value: Double?
    public var threshold: Double?
    public var raisedAt: Int64?
    /// Whether its e-mail is in the outbox.
    public var queued: Bool

    public init(
        id: Int64 = 0, rule: String, device: String?, channel: String?, event: String, at: Int64, value: Double?,
        threshold: Double?, raisedAt: Int64?, queued: Bool = false
    ) {
        self.id = id
        self.rule = rule
        self.device = device
        self.channel = channel
        self.event = event
        self.at = at
        self.value = value
        self.threshold = threshold
        self.raisedAt = raisedAt
        self.queued = queued
    }
}

extension Store {
    static let alarmSchema = """
        CREATE TABLE IF NOT EXISTS alarm_state(
            rule TEXT PRIMARY KEY, phase TEXT NOT NULL, since INTEGER, minutes INTEGER NOT NULL, notified INTEGER) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS alarm_log(
            id INTEGER PRIMARY KEY, rule TEXT NOT NULL, device TEXT, channel TEXT, event TEXT NOT NULL, at INTEGER NOT NULL,
            value REAL, threshold REAL, raised_at INTEGER, queued INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS alarm_log_at ON alarm_log(at);
        """

    public func alarmStates() throws(StoreError) -> [String: StoredAlarmState] {
        let st = try db.prepare("SELECT rule, phase, since, minutes, notified FROM alarm_state")
        var out: [String: StoredAlarmState] = [:]
        while try st.step() {
            let s = StoredAlarmState(
                rule: st.text(0), phase: st.text(1), since: st.optionalInt(2), minutes: Int(st.int(3)),
                notified: st.optionalInt(4))
            out[s.rule] = s
        }
        return out
    }

    /// Saves changed phases and new log lines in one transaction: a notice is in the log
    /// exactly when the phase that caused it is saved.
    public func recordAlarms(states: [StoredAlarmState], log: [AlarmLogEntry]) throws(StoreError) {
        guard !states.isEmpty || !log.isEmpty else { return }
        try db.transaction { () throws(StoreError) in
            let put = try db.prepare(
                "INSERT OR REPLACE INTO alarm_state(rule, phase, since, minutes, notified) VALUES (?1, ?2, ?3, ?4, ?5)")
            for s in states {
                try put.bind([
                    .text(s.rule), .text(s.phase), s.since.map { .int($0) } ?? .null, .int(Int64(s.minutes)),
                    s.notified.map { .int($0) } ?? .null,
                ])
                try put.run()
                put.reset()
            }
            let add = try db.prepare(
                """
                INSERT INTO alarm_log(rule, device, channel, event, at, value, threshold, raised_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                """)
            for e in log {
                try add.bind([
                    .text(e.rule), e.device.map { .text($0) } ?? .null, e.channel.map { .text($0) } ?? .null,
                    .text(e.event), .int(e.at),
                    e.value.map { .double($0) } ?? .null, e.threshold.map { .double($0) } ?? .null,
                    e.raisedAt.map { .int($0) } ?? .null,
                ])
                try add.run()
                add.reset()
            }
        }
    }

    /// The alarm log between two instants (all of it by default), oldest first.
    public func alarmLog(from: Int64 = Int64.min, to: Int64 = Int64.max, unqueuedOnly: Bool = false) throws(StoreError)
        -> [AlarmLogEntry]
    {
        let st = try db.prepare(
            """
            SELECT id, rule, device, channel, event, at, value, threshold, raised_at, queued FROM alarm_log
            WHERE at >= ?1 AND at < ?2 \(unqueuedOnly ? "AND queued = 0" : "") ORDER BY at, id
            """)
        try st.bind([.int(from), .int(to)])
        var out: [AlarmLogEntry] = []
        while try st.step() {
            out.append(
                AlarmLogEntry(
                    id: st.int(0), rule: st.text(1), device: st.isNull(2) ? nil : st.text(2),
                    channel: st.isNull(3) ? nil : st.text(3),
                    event: st.text(4), at: st.int(5), value: st.isNull(6) ? nil : st.double(6),
                    threshold: st.isNull(7) ? nil : st.double(7), raisedAt: st.optionalInt(8), queued: st.int(9) != 0))
        }
        return out
    }

    /// The newest log line of a rule before `before` (of one event when given).
    public func lastAlarm(rule: String, before: Int64, event: String? = nil) throws(StoreError) -> AlarmLogEntry? {
        let st = try db.prepare(
            """
            SELECT id, rule, device, channel, event, at, value, threshold, raised_at, queued FROM alarm_log
            WHERE rule = ?1 AND at < ?2 AND (?3 IS NULL OR event = ?3) ORDER BY at DESC, id DESC LIMIT 1
            """)
        try st.bind([.text(rule), .int(before), event.map { .text($0) } ?? .null])
        guard try st.step() else { return nil }
        return AlarmLogEntry(
            id: st.int(0), rule: st.text(1), device: st.isNull(2) ? nil : st.text(2),
            channel: st.isNull(3) ? nil : st.text(3),
            event: st.text(4), at: st.int(5), value: st.isNull(6) ? nil : st.double(6),
            threshold: st.isNull(7) ? nil : st.double(7), raisedAt: st.optionalInt(8), queued: st.int(9) != 0)
    }

    /// Marks log lines whose e-mails are in the outbox (queued again after a crash in between,
    /// the outbox's unique key keeps them single).
    public func markAlarmsQueued(_ ids: [Int64]) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try db.transaction { () throws(StoreError) in
            let st = try db.prepare("UPDATE alarm_log SET queued = 1 WHERE id = ?1")
            for id in ids {
                try st.bind([.int(id)])
                try st.run()
                st.reset()
            }
        }
    }
}
