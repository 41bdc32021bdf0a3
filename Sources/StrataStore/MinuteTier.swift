import StrataCodec
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
/// no other code of the store names the `minute` or `minute_block` tables.
///
/// Two tables. The current day sits in `minute`, rows clustered by time, then channel: a
/// minute of 5,000 channels lands on a few adjacent pages, which keeps the bytes written per
/// committed minute small (SD cards); rewriting a compressed block per channel every minute
/// would multiply them. Closed days sit in `minute_block`, one `SeriesBlock` per channel and
/// day, about a byte per reading instead of thirty. Readers see both merged; a row wins over a
/// block's reading of the same minute, so late data waits in rows until the roll-up folds it
/// into its day's block (`compactDay`).
///
/// Blocks span UTC days rather than local ones: every block has 1440 slots (local days have
/// 1380 or 1500 across DST), and a change of `site.timezone` re-slices none of them.
final class MinuteTier {
    /// The blocks' table (the `minute` rows' table is among the store's first tables).
    static let blockSchema = """
        CREATE TABLE IF NOT EXISTS minute_block(
            channel INTEGER NOT NULL,
            day INTEGER NOT NULL,
            first INTEGER NOT NULL,
            last INTEGER NOT NULL,
            count INTEGER NOT NULL,
            data BLOB NOT NULL,
            UNIQUE(channel, day));
        CREATE INDEX IF NOT EXISTS minute_block_day ON minute_block(day, channel);
        """
    // A rowid table, not WITHOUT ROWID: blobs of a kilobyte in a clustered index leave pages
    // half empty (1.56 bytes per reading against 0.74 measured, docs/PERFORMANCE.md).

    static let daySeconds: Int64 = 86_400
    static let slots = 1440

    /// The UTC day holding `ts`; callers' open lower bounds (`Int64.min + 1`) stay far below any day.
    @inline(__always) static func dayStart(_ ts: Int64) -> Int64 {
        ts <= -(1 << 62) ? -(1 << 62) : ts - floorMod(ts, daySeconds)
    }

    let db: Database
    /// Per channel id: its resolution's decimals (the blocks' scale) and its name (for reports
    /// of a damaged block). Every channel the store ever had, not only the configured ones.
    var decimals: [Int64: Int] = [:]
    var names: [Int64: String] = [:]

    private let upsert: Statement
    private let range: Statement
    private let rowLastAccepted: Statement
    private let rowFirstAccepted: Statement
    private let rowSpan: Statement
    private let rowLast: Statement
    let blockPut: Statement
    let blockGet: Statement
    let blocksUp: Statement
    let blocksDown: Statement
    let blocksOfDays: Statement
    let blockLast: Statement

    init(db: Database) throws(StoreError) {
        self.db = db
        upsert = try db.prepare(
            "INSERT OR REPLACE INTO minute(ts, channel, value, cum, hwm) VALUES (?1, ?2, ?3, ?4, ?5)")
        range = try db.prepare(
            "SELECT ts, channel, value, cum, hwm FROM minute WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, channel")
        rowLastAccepted = try db.prepare(
            "SELECT ts, value, cum, hwm FROM minute WHERE channel = ?1 AND ts < ?2 AND cum IS NOT NULL ORDER BY ts DESC LIMIT 1"
        )
        rowFirstAccepted = try db.prepare(
            "SELECT ts, value, cum, hwm FROM minute WHERE ts >= ?2 AND channel = ?1 AND cum IS NOT NULL ORDER BY ts LIMIT 1"
        )
        rowSpan = try db.prepare(
            "SELECT ts, value, cum, hwm FROM minute WHERE ts >= ?2 AND ts < ?3 AND channel = ?1 ORDER BY ts LIMIT ?4")
        rowLast = try db.prepare("SELECT ts, value FROM minute WHERE channel = ?1 ORDER BY ts DESC LIMIT 1")
        blockPut = try db.prepare(
            "INSERT OR REPLACE INTO minute_block(channel, day, first, last, count, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        )
        blockGet = try db.prepare("SELECT data FROM minute_block WHERE channel = ?1 AND day = ?2")
        blocksUp = try db.prepare(
            "SELECT day, data FROM minute_block WHERE channel = ?1 AND day >= ?2 AND day < ?3 ORDER BY day")
        blocksDown = try db.prepare(
            "SELECT day, data FROM minute_block WHERE channel = ?1 AND day < ?2 AND day >= ?3 ORDER BY day DESC")
        blocksOfDays = try db.prepare(
            "SELECT channel, day, data FROM minute_block WHERE day >= ?1 AND day < ?2 ORDER BY day, channel")
        blockLast = try db.prepare(
            "SELECT day, last, data FROM minute_block WHERE channel = ?1 ORDER BY day DESC LIMIT 1")
    }

    /// Reads every channel's scale and name from the store's channel table.
    func loadChannels() throws(StoreError) {
        let st = try db.prepare("SELECT id, device, channel, decimals FROM channel")
        while try st.step() {
            decimals[st.int(0)] = Int(st.int(3))
            names[st.int(0)] = st.text(1) + "." + st.text(2)
        }
    }

    // MARK: writing

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
            let a = buffer[i - 1]
            let b = buffer[i]
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

    // MARK: reading, blocks and rows merged

    /// Readings in `[from, to)` grouped by channel, each ascending; `wanted` nil for every channel.
    func byChannel(from: Int64, to: Int64, wanted: Set<Int64>?) throws(StoreError) -> [Int64: [MinuteRow]] {
        let loose = try looseByChannel(from: from, to: to, wanted: wanted)
        var blocked: [Int64: [MinuteRow]] = [:]
        let visit = { (ch: Int64, day: Int64, data: [UInt8]) throws(StoreError) in
            let pts = try self.decode(data, channel: ch, day: day)
            let inside = day >= from && day + Self.daySeconds <= to ? pts : pts.filter { $0.ts >= from && $0.ts < to }
            blocked[ch, default: []] += inside
        }
        if let w = wanted, w.count <= 32 {
            // A device's few channels: only their blocks are read from disk.
            for ch in w.sorted() {
                try eachBlock(channel: ch, from: from, to: to) { day, data throws(StoreError) in
                    try visit(ch, day, data)
                }
            }
        } else {
            blocksOfDays.reset()
            blocksOfDays.bind(1, Self.dayStart(from))
            blocksOfDays.bind(2, to)
            defer { blocksOfDays.reset() }
            while try blocksOfDays.step() {
                let ch = blocksOfDays.int(0)
                if let w = wanted, !w.contains(ch) { continue }
                try visit(ch, blocksOfDays.int(1), blocksOfDays.blob(2))
            }
        }
        guard !blocked.isEmpty else { return loose }
        for (ch, rows) in loose { blocked[ch] = Self.merge(blocked[ch] ?? [], rows[...]) }
        return blocked
    }

    /// The rows alone (today's, and late ones not compacted yet) in `[from, to)`, grouped by
    /// channel, each ascending: one pass in the table's (ts, channel) order.
    func looseByChannel(from: Int64, to: Int64, wanted: Set<Int64>?) throws(StoreError) -> [Int64: [MinuteRow]] {
        var loose: [Int64: [MinuteRow]] = [:]
        range.reset()
        range.bind(1, from)
        range.bind(2, to)
        defer { range.reset() }
        while try range.step() {
            let ch = range.int(1)
            if let w = wanted, !w.contains(ch) { continue }
            loose[ch, default: []].append(
                MinuteRow(
                    ts: range.int(0), channel: ch, value: range.double(2),
                    cum: range.optionalInt(3), hwm: range.optionalInt(4)))
        }
        return loose
    }

    /// Each stored block of a channel overlapping `[from, to)`, ascending.
    private func eachBlock(
        channel ch: Int64, from: Int64, to: Int64,
        _ body: (Int64, [UInt8]) throws(StoreError) -> Void
    ) throws(StoreError) {
        blocksUp.reset()
        blocksUp.bind(1, ch)
        blocksUp.bind(2, Self.dayStart(from))
        blocksUp.bind(3, to)
        defer { blocksUp.reset() }
        while try blocksUp.step() { try body(blocksUp.int(0), blocksUp.blob(1)) }
    }

    /// Rows of one channel in `[from, to)`, ascending, at most `limit`.
    func rows(channel ch: Int64, from: Int64, to: Int64 = .max, limit: Int = .max) throws(StoreError) -> [MinuteRow] {
        let loose = try looseRows(channel: ch, from: from, to: to, limit: limit)
        var out: [MinuteRow] = []
        var ri = 0
        blocksUp.reset()
        blocksUp.bind(1, ch)
        blocksUp.bind(2, Self.dayStart(from))
        blocksUp.bind(3, to)
        defer { blocksUp.reset() }
        while out.count < limit, try blocksUp.step() {
            let day = blocksUp.int(0)
            let pts = try decode(blocksUp.blob(1), channel: ch, day: day)
            while ri < loose.count && loose[ri].ts < day {
                out.append(loose[ri])
                ri += 1
            }
            var rj = ri
            while rj < loose.count && loose[rj].ts < day + Self.daySeconds { rj += 1 }
            out += Self.merge(pts.filter { $0.ts >= from && $0.ts < to }, loose[ri..<rj])
            ri = rj
        }
        // Rows after the last block read; truncation below keeps the order right.
        out += loose[ri...]
        if out.count > limit { out.removeLast(out.count - limit) }
        return out
    }

    func looseRows(channel ch: Int64, from: Int64, to: Int64, limit: Int) throws(StoreError) -> [MinuteRow] {
        rowSpan.reset()
        rowSpan.bind(1, ch)
        rowSpan.bind(2, from)
        rowSpan.bind(3, to)
        rowSpan.bind(4, Int64(min(limit, Int(Int64.max))))
        defer { rowSpan.reset() }
        var out: [MinuteRow] = []
        while try rowSpan.step() { out.append(row(rowSpan, channel: ch)) }
        return out
    }

    private func row(_ s: Statement, channel: Int64) -> MinuteRow {
        MinuteRow(ts: s.int(0), channel: channel, value: s.double(1), cum: s.optionalInt(2), hwm: s.optionalInt(3))
    }

    /// The merged readings of one channel-day: the block's, with the day's rows winning.
    private func mergedDay(channel ch: Int64, day: Int64, block data: [UInt8]) throws(StoreError) -> [MinuteRow] {
        let pts = try decode(data, channel: ch, day: day)
        let loose = try looseRows(channel: ch, from: day, to: day + Self.daySeconds, limit: .max)
        return loose.isEmpty ? pts : Self.merge(pts, loose[...])
    }

    /// The last counter reading with a cumulative value strictly before `ts`.
    func lastAccepted(channel ch: Int64, before ts: Int64) throws(StoreError) -> MinuteRow? {
        try nearestAccepted(
            channel: ch, rows: rowLastAccepted, ts: ts, blocks: blocksDown, near: ts,
            far: { $0.map { Self.dayStart($0.ts) } ?? Int64.min }
        ) { $0.last { r in r.ts < ts && r.cum != nil } }
    }

    /// The first counter reading with a cumulative value at or after `ts`.
    func firstAccepted(channel ch: Int64, atOrAfter ts: Int64) throws(StoreError) -> MinuteRow? {
        try nearestAccepted(
            channel: ch, rows: rowFirstAccepted, ts: ts, blocks: blocksUp, near: Self.dayStart(ts),
            far: { $0.map { Self.dayStart($0.ts) + 1 } ?? Int64.max }
        ) { $0.first { r in r.ts >= ts && r.cum != nil } }
    }

    /// The rows' answer, unless a block between `ts` and that row's day holds a nearer one:
    /// blocks are walked nearest first (`blocks` binds channel, `near` and `far`), each merged
    /// with its day's rows, and `pick` chooses within a day.
    private func nearestAccepted(
        channel ch: Int64, rows: Statement, ts: Int64, blocks: Statement, near: Int64,
        far: (MinuteRow?) -> Int64, pick: ([MinuteRow]) -> MinuteRow?
    ) throws(StoreError) -> MinuteRow? {
        rows.reset()
        rows.bind(1, ch)
        rows.bind(2, ts)
        let loose = try rows.step() ? row(rows, channel: ch) : nil
        rows.reset()
        blocks.reset()
        blocks.bind(1, ch)
        blocks.bind(2, near)
        blocks.bind(3, far(loose))
        defer { blocks.reset() }
        while try blocks.step() {
            let day = blocks.int(0)
            let data = blocks.blob(1)
            if let r = pick(try mergedDay(channel: ch, day: day, block: data)) { return r }
        }
        return loose
    }

    /// The newest reading of a channel, if any.
    func last(channel ch: Int64) throws(StoreError) -> (ts: Int64, value: Double)? {
        rowLast.reset()
        rowLast.bind(1, ch)
        let loose = try rowLast.step() ? (ts: rowLast.int(0), value: rowLast.double(1)) : nil
        rowLast.reset()
        blockLast.reset()
        blockLast.bind(1, ch)
        defer { blockLast.reset() }
        // A row at the block's last minute replaces it, so the block wins only when strictly newer.
        if try blockLast.step(), loose.map({ blockLast.int(1) > $0.ts }) ?? true,
            let p = try decode(blockLast.blob(2), channel: ch, day: blockLast.int(0)).last
        {
            return (p.ts, p.value)
        }
        return loose
    }

    private func idList(_ ids: [Int64]) -> String { ids.map(String.init).joined(separator: ",") }

    /// The oldest minute stored for any of these channels.
    func oldest(channels ids: [Int64]) throws(StoreError) -> Int64? {
        guard !ids.isEmpty else { return nil }
        let a = try db.scalarInt("SELECT min(ts) FROM minute WHERE channel IN (\(idList(ids)))")
        let b = try db.scalarInt("SELECT min(first) FROM minute_block WHERE channel IN (\(idList(ids)))")
        return Self.least(a, b)
    }

    /// The oldest and newest minute stored for each channel: one pass over rows and blocks.
    func boundsByChannel() throws(StoreError) -> [Int64: (Int64, Int64)] {
        var out: [Int64: (Int64, Int64)] = [:]
        for q in [
            "SELECT channel, min(ts), max(ts) FROM minute GROUP BY channel",
            "SELECT channel, min(first), max(last) FROM minute_block GROUP BY channel",
        ] {
            let st = try db.prepare(q)
            while try st.step() {
                let ch = st.int(0)
                let lo = st.int(1)
                let hi = st.int(2)
                out[ch] = out[ch].map { (min($0.0, lo), max($0.1, hi)) } ?? (lo, hi)
            }
        }
        return out
    }

    /// The newest minute stored for any channel.
    func newest() throws(StoreError) -> Int64? {
        let a = try db.scalarInt("SELECT max(ts) FROM minute")
        let b = try db.scalarInt("SELECT max(last) FROM minute_block WHERE day = (SELECT max(day) FROM minute_block)")
        return Self.greatest(a, b)
    }

    func bounds() throws(StoreError) -> (Int64, Int64)? {
        let a = try db.scalarInt("SELECT min(ts) FROM minute")
        let b = try db.scalarInt("SELECT min(first) FROM minute_block WHERE day = (SELECT min(day) FROM minute_block)")
        guard let lo = Self.least(a, b), let hi = try newest() else { return nil }
        return (lo, hi)
    }

    /// The first minute at or after `ts` that any channel has a reading for.
    func nextTs(atOrAfter ts: Int64) throws(StoreError) -> Int64? {
        var best = try db.scalarInt("SELECT ts FROM minute WHERE ts >= ?1 ORDER BY ts LIMIT 1", [.int(ts)])
        let day = Self.dayStart(ts)
        // Blocks of ts's own day that reach it: their first reading at or after ts.
        let st = try db.prepare("SELECT channel, first, data FROM minute_block WHERE day = ?1 AND last >= ?2")
        try st.bind([.int(day), .int(ts)])
        while try st.step() {
            let first = st.int(1)
            if first >= ts {
                best = Self.least(best, first)
            } else if let p = try decode(st.blob(2), channel: st.int(0), day: day).first(where: { $0.ts >= ts }) {
                best = Self.least(best, p.ts)
            }
        }
        let later = try db.scalarInt(
            "SELECT min(first) FROM minute_block WHERE day = (SELECT min(day) FROM minute_block WHERE day > ?1)",
            [.int(day)])
        return Self.least(best, later)
    }

    static func least(_ a: Int64?, _ b: Int64?) -> Int64? { a.map { x in b.map { min(x, $0) } ?? x } ?? b }
    static func greatest(_ a: Int64?, _ b: Int64?) -> Int64? { a.map { x in b.map { max(x, $0) } ?? x } ?? b }

    /// Block readings and rows of one channel, both ascending: a row replaces a block reading
    /// of the same minute.
    static func merge(_ block: [MinuteRow], _ rows: ArraySlice<MinuteRow>) -> [MinuteRow] {
        if rows.isEmpty { return block }
        if block.isEmpty { return Array(rows) }
        var out: [MinuteRow] = []
        out.reserveCapacity(block.count + rows.count)
        var i = 0
        var j = rows.startIndex
        while i < block.count || j < rows.endIndex {
            if j == rows.endIndex || (i < block.count && block[i].ts < rows[j].ts) {
                out.append(block[i])
                i += 1
            } else {
                if i < block.count && block[i].ts == rows[j].ts { i += 1 }
                out.append(rows[j])
                j += 1
            }
        }
        return out
    }
}
