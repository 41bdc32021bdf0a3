import StrataCore

/// A stored minute row: a reading plus, for counters, its place on the cumulative curve.
struct MinuteRow {
    var ts: Int64
    var channel: Int64
    var value: Double
    /// Cumulative steps (counters); nil for gauges and rejected or pending counter readings.
    var cum: Int64?
    /// High-water mark in steps where it differs from the reading's own steps.
    var hwm: Int64?

    var reading: Reading { Reading(ts: ts, value: value, cum: cum) }
}

/// The minute tier's on-disk format, behind one type so it can change without touching callers:
/// no other code of the store names the `minute` table.
///
/// Rows are clustered by time, then channel: a minute of 5,000 channels lands on a few
/// adjacent pages, which keeps the bytes written per committed minute small (SD cards).
final class MinuteTier {
    static let schema = """
        CREATE TABLE IF NOT EXISTS minute(
            ts INTEGER NOT NULL,
            channel INTEGER NOT NULL,
            value REAL NOT NULL,
            cum INTEGER,
            hwm INTEGER,
            PRIMARY KEY(ts, channel)
        ) WITHOUT ROWID;
        """

    let db: Database
    private let upsert: Statement
    private let range: Statement
    private let lastAccepted: Statement
    private let tailFrom: Statement
    private let firstAcceptedFrom: Statement
    private let channelRange: Statement
    private let lastOfChannel: Statement

    init(db: Database) throws(StoreError) {
        self.db = db
        upsert = try db.prepare("INSERT OR REPLACE INTO minute(ts, channel, value, cum, hwm) VALUES (?1, ?2, ?3, ?4, ?5)")
        range = try db.prepare("SELECT ts, channel, value, cum, hwm FROM minute WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, channel")
        lastAccepted = try db.prepare(
            "SELECT ts, value, cum, hwm FROM minute WHERE channel = ?1 AND ts < ?2 AND cum IS NOT NULL ORDER BY ts DESC LIMIT 1")
        tailFrom = try db.prepare(
            "SELECT ts, value, cum, hwm FROM minute WHERE ts >= ?2 AND channel = ?1 ORDER BY ts LIMIT ?3")
        firstAcceptedFrom = try db.prepare(
            "SELECT ts, value, cum, hwm FROM minute WHERE ts >= ?2 AND channel = ?1 AND cum IS NOT NULL ORDER BY ts LIMIT 1")
        channelRange = try db.prepare(
            "SELECT ts, value, cum, hwm FROM minute WHERE ts >= ?2 AND ts < ?3 AND channel = ?1 ORDER BY ts")
        lastOfChannel = try db.prepare("SELECT ts, value FROM minute WHERE channel = ?1 ORDER BY ts DESC LIMIT 1")
    }

    /// Rows of the current write, inserted in key order by `flush()`: a minute of many channels
    /// then fills pages front to back instead of splitting them all over the tree.
    private var buffer: [MinuteRow] = []

    @inline(__always)
    func write(_ r: MinuteRow) {
        buffer.append(r)
    }

    /// Inserts the buffered rows in (ts, channel) order; a later write of the same key wins.
    func flush() throws(StoreError) {
        defer { buffer.removeAll(keepingCapacity: buffer.count < 1_000_000) }
        var sorted = true
        for i in buffer.indices.dropFirst() {
            let a = buffer[i - 1], b = buffer[i]
            if a.ts > b.ts || (a.ts == b.ts && a.channel >= b.channel) {
                sorted = false
                break
            }
        }
        if !sorted {
            buffer = buffer.enumerated().sorted { x, y in
                (x.element.ts, x.element.channel, x.offset) < (y.element.ts, y.element.channel, y.offset)
            }.map(\.element)
        }
        for r in buffer { try insert(r) }
    }

    func discard() { buffer.removeAll(keepingCapacity: true) }

    @inline(__always)
    private func insert(_ r: MinuteRow) throws(StoreError) {
        upsert.bind(1, r.ts)
        upsert.bind(2, r.channel)
        upsert.bind(3, r.value)
        upsert.bind(4, r.cum)
        upsert.bind(5, r.hwm)
        try upsert.run()
    }

    /// Every row in `[from, to)`, in (ts, channel) order, streamed to `body`.
    func scan(from: Int64, to: Int64, _ body: (MinuteRow) throws(StoreError) -> Void) throws(StoreError) {
        range.reset()
        range.bind(1, from)
        range.bind(2, to)
        defer { range.reset() }
        while try range.step() {
            try body(MinuteRow(ts: range.int(0), channel: range.int(1), value: range.double(2),
                               cum: range.optionalInt(3), hwm: range.optionalInt(4)))
        }
    }

    private func row(_ s: Statement, channel: Int64) -> MinuteRow {
        MinuteRow(ts: s.int(0), channel: channel, value: s.double(1), cum: s.optionalInt(2), hwm: s.optionalInt(3))
    }

    /// The last counter reading with a cumulative value strictly before `ts`.
    func lastAccepted(channel: Int64, before ts: Int64) throws(StoreError) -> MinuteRow? {
        lastAccepted.reset()
        lastAccepted.bind(1, channel)
        lastAccepted.bind(2, ts)
        defer { lastAccepted.reset() }
        return try lastAccepted.step() ? row(lastAccepted, channel: channel) : nil
    }

    /// The first counter reading with a cumulative value at or after `ts`.
    func firstAccepted(channel: Int64, atOrAfter ts: Int64) throws(StoreError) -> MinuteRow? {
        firstAcceptedFrom.reset()
        firstAcceptedFrom.bind(1, channel)
        firstAcceptedFrom.bind(2, ts)
        defer { firstAcceptedFrom.reset() }
        return try firstAcceptedFrom.step() ? row(firstAcceptedFrom, channel: channel) : nil
    }

    /// Up to `limit` rows of one channel from `ts` on.
    func rows(channel: Int64, from ts: Int64, limit: Int) throws(StoreError) -> [MinuteRow] {
        tailFrom.reset()
        tailFrom.bind(1, channel)
        tailFrom.bind(2, ts)
        tailFrom.bind(3, Int64(limit))
        defer { tailFrom.reset() }
        var out: [MinuteRow] = []
        while try tailFrom.step() { out.append(row(tailFrom, channel: channel)) }
        return out
    }

    /// Rows of one channel in `[from, to)`.
    func rows(channel: Int64, from: Int64, to: Int64) throws(StoreError) -> [MinuteRow] {
        channelRange.reset()
        channelRange.bind(1, channel)
        channelRange.bind(2, from)
        channelRange.bind(3, to)
        defer { channelRange.reset() }
        var out: [MinuteRow] = []
        while try channelRange.step() { out.append(row(channelRange, channel: channel)) }
        return out
    }

    /// The newest reading of a channel, if any.
    func last(channel: Int64) throws(StoreError) -> (ts: Int64, value: Double)? {
        lastOfChannel.reset()
        lastOfChannel.bind(1, channel)
        defer { lastOfChannel.reset() }
        return try lastOfChannel.step() ? (lastOfChannel.int(0), lastOfChannel.double(1)) : nil
    }

    /// The oldest minute stored for any of these channels.
    func oldest(channels ids: [Int64]) throws(StoreError) -> Int64? {
        guard !ids.isEmpty else { return nil }
        return try db.scalarInt("SELECT min(ts) FROM minute WHERE channel IN (\(ids.map(String.init).joined(separator: ",")))")
    }

    /// The newest minute stored for any channel.
    func newest() throws(StoreError) -> Int64? { try db.scalarInt("SELECT max(ts) FROM minute") }

    /// Number of stored minute points.
    func count() throws(StoreError) -> Int64 { try db.scalarInt("SELECT count(*) FROM minute") ?? 0 }

    func bounds() throws(StoreError) -> (Int64, Int64)? {
        guard let lo = try db.scalarInt("SELECT min(ts) FROM minute"),
            let hi = try db.scalarInt("SELECT max(ts) FROM minute")
        else { return nil }
        return (lo, hi)
    }

    func nextTs(atOrAfter ts: Int64) throws(StoreError) -> Int64? {
        try db.scalarInt("SELECT ts FROM minute WHERE ts >= ?1 ORDER BY ts LIMIT 1", [.int(ts)])
    }

    func delete(before ts: Int64, channels: [Int64]?) throws(StoreError) -> Int {
        if let chs = channels {
            guard !chs.isEmpty else { return 0 }
            try db.exec("DELETE FROM minute WHERE ts < \(ts) AND channel IN (\(chs.map(String.init).joined(separator: ",")))")
        } else {
            try db.exec("DELETE FROM minute WHERE ts < \(ts)")
        }
        return db.changes
    }
}
