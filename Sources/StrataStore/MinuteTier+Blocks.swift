import StrataCodec
import StrataCore

/// A channel-day whose block cannot be read, as `verifyBlocks` reports it.
public struct DamagedBlock: Sendable, Equatable, CustomStringConvertible {
    public var channel: String
    /// The UTC day's first second.
    public var day: Int64
    public var reason: String

    public var description: String { "\(channel) on \(MinuteTier.dayName(day)): \(reason)" }
}

extension MinuteTier {
    static func dayName(_ day: Int64) -> String {
        CivilDate(daysSinceEpoch: Int(floorDiv(day, daySeconds))).description + " (UTC)"
    }

    /// A block's readings; a damaged block is an error naming its channel and day, never
    /// wrong numbers.
    func decode(_ data: [UInt8], channel ch: Int64, day: Int64) throws(StoreError) -> [MinuteRow] {
        let c: SeriesColumns
        do {
            c = try SeriesBlock.columns(data)
        } catch {
            throw .damagedBlock(
                path: db.path, channel: names[ch] ?? "#\(ch)", day: Self.dayName(day), reason: error.description)
        }
        guard c.slots == Self.slots else {
            throw .damagedBlock(
                path: db.path, channel: names[ch] ?? "#\(ch)", day: Self.dayName(day),
                reason: "\(c.slots) slots where a day has \(Self.slots)")
        }
        var out: [MinuteRow] = []
        out.reserveCapacity(c.slot.count)
        let counters = !c.cum.isEmpty
        let marks = !c.hwm.isEmpty
        for k in c.slot.indices {
            out.append(
                MinuteRow(
                    ts: day + Int64(c.slot[k]) * 60, channel: ch, value: c.value[k],
                    cum: counters ? c.cum[k] : nil, hwm: marks ? c.hwm[k] : nil))
        }
        return out
    }

    /// Stores a channel-day's readings as its block (none: the block goes).
    func put(channel ch: Int64, day: Int64, _ rows: [MinuteRow]) throws(StoreError) {
        guard let first = rows.first, let last = rows.last else {
            try db.exec("DELETE FROM minute_block WHERE channel = \(ch) AND day = \(day)")
            return
        }
        let points = rows.map { SeriesPoint(slot: Int(($0.ts - day) / 60), value: $0.value, cum: $0.cum, hwm: $0.hwm) }
        let data = SeriesBlock(slots: Self.slots, decimals: decimals[ch] ?? 0, points: points).encoded()
        blockPut.bind(1, ch)
        blockPut.bind(2, day)
        blockPut.bind(3, first.ts)
        blockPut.bind(4, last.ts)
        blockPut.bind(5, Int64(rows.count))
        blockPut.bind(6, blob: data)
        try blockPut.run()
    }

    func block(channel ch: Int64, day: Int64) throws(StoreError) -> [UInt8]? {
        blockGet.reset()
        blockGet.bind(1, ch)
        blockGet.bind(2, day)
        defer { blockGet.reset() }
        return try blockGet.step() ? blockGet.blob(0) : nil
    }

    // MARK: compaction

    /// The first UTC day in `[from, before)` that still has rows.
    func firstRowDay(from: Int64, before limit: Int64) throws(StoreError) -> Int64? {
        try db.scalarInt("SELECT min(ts) FROM minute WHERE ts >= ?1 AND ts < ?2", [.int(from), .int(limit)]).map(
            Self.dayStart)
    }

    /// Folds the rows of one UTC day (of one channel, or all) into their blocks and removes
    /// them; the caller's transaction makes it all or nothing. A channel whose block is
    /// damaged keeps its rows, and is returned: its day cannot be rewritten without losing
    /// what the block held.
    @discardableResult
    func compactDay(_ day: Int64, channel only: Int64? = nil) throws(StoreError) -> (
        points: Int, damaged: [DamagedBlock]
    ) {
        let end = day + Self.daySeconds
        let rows: [Int64: [MinuteRow]]
        if let ch = only {
            rows = [ch: try looseRows(channel: ch, from: day, to: end, limit: .max)]
        } else {
            rows = try looseByChannel(from: day, to: end, wanted: nil)
        }
        guard rows.values.contains(where: { !$0.isEmpty }) else { return (0, []) }
        var moved = 0
        var damaged: [DamagedBlock] = []
        var kept: [Int64] = []
        for (ch, all) in rows.sorted(by: { $0.key < $1.key }) where !all.isEmpty {
            // Rows are whole minutes (the store floors every write); anything else cannot be a slot.
            let fresh = all.filter { floorMod($0.ts, 60) == 0 }
            var merged = fresh
            if let data = try block(channel: ch, day: day) {
                do {
                    merged = Self.merge(try decode(data, channel: ch, day: day), fresh[...])
                } catch {
                    if case .damagedBlock(_, let name, _, let reason) = error {
                        damaged.append(DamagedBlock(channel: name, day: day, reason: reason))
                    }
                    kept.append(ch)
                    continue
                }
            }
            try put(channel: ch, day: day, merged)
            moved += fresh.count
        }
        let channelFilter = only.map { " AND channel = \($0)" } ?? ""
        let keep = kept.isEmpty ? "" : " AND channel NOT IN (\(kept.map(String.init).joined(separator: ",")))"
        try db.exec("DELETE FROM minute WHERE ts >= \(day) AND ts < \(end)\(channelFilter)\(keep)")
        return (moved, damaged)
    }

    // MARK: counting, pruning, checking

    /// Number of stored minute readings (a row replacing a block's reading counts once).
    func count() throws(StoreError) -> Int64 {
        let rows = try db.scalarInt("SELECT count(*) FROM minute") ?? 0
        let inBlocks = try db.scalarInt("SELECT sum(count) FROM minute_block") ?? 0
        guard inBlocks > 0, let lastDay = try db.scalarInt("SELECT max(day) FROM minute_block") else { return rows }
        // Rows inside a compacted day (late data not rolled up yet) may replace a block's reading.
        let st = try db.prepare(
            """
            SELECT m.channel, m.ts, b.day, b.data FROM minute m
            JOIN minute_block b ON b.channel = m.channel AND b.day = m.ts - ((m.ts % 86400) + 86400) % 86400
            WHERE m.ts < ?1 ORDER BY m.channel, m.ts
            """)
        try st.bind([.int(lastDay + Self.daySeconds)])
        var doubled: Int64 = 0
        var cached: (ch: Int64, day: Int64, ts: Set<Int64>)? = nil
        while try st.step() {
            let ch = st.int(0)
            let ts = st.int(1)
            let day = st.int(2)
            if cached.map({ $0.ch != ch || $0.day != day }) ?? true {
                cached = (ch, day, Set(try decode(st.blob(3), channel: ch, day: day).map(\.ts)))
            }
            if cached?.ts.contains(ts) == true { doubled += 1 }
        }
        return rows + inBlocks - doubled
    }

    /// Removes every reading before `ts` (of the given channels, or all); returns how many.
    func delete(before ts: Int64, channels: [Int64]?) throws(StoreError) -> Int {
        if let chs = channels, chs.isEmpty { return 0 }
        let filter = channels.map { " AND channel IN (\($0.map(String.init).joined(separator: ",")))" } ?? ""
        try db.exec("DELETE FROM minute WHERE ts < \(ts)\(filter)")
        var removed = db.changes
        let wholeBefore = Self.dayStart(ts)
        removed += Int(try db.scalarInt("SELECT sum(count) FROM minute_block WHERE day < \(wholeBefore)\(filter)") ?? 0)
        try db.exec("DELETE FROM minute_block WHERE day < \(wholeBefore)\(filter)")
        // The day `ts` falls in keeps its readings from `ts` on.
        if wholeBefore < ts {
            let st = try db.prepare(
                "SELECT channel, data FROM minute_block WHERE day = \(wholeBefore) AND first < \(ts)\(filter)")
            var trims: [(Int64, [MinuteRow])] = []
            while try st.step() {
                let ch = st.int(0)
                trims.append((ch, try decode(st.blob(1), channel: ch, day: wholeBefore)))
            }
            for (ch, rows) in trims {
                let keep = rows.filter { $0.ts >= ts }
                removed += rows.count - keep.count
                try put(channel: ch, day: wholeBefore, keep)
            }
        }
        return removed
    }

    /// Decodes every block; those that fail, with channel, day and reason.
    func verifyBlocks() throws(StoreError) -> (blocks: Int, damaged: [DamagedBlock]) {
        let st = try db.prepare("SELECT channel, day, data FROM minute_block ORDER BY channel, day")
        var n = 0
        var damaged: [DamagedBlock] = []
        while try st.step() {
            n += 1
            let ch = st.int(0)
            let day = st.int(1)
            do {
                _ = try decode(st.blob(2), channel: ch, day: day)
            } catch {
                if case .damagedBlock(_, let name, _, let reason) = error {
                    damaged.append(DamagedBlock(channel: name, day: day, reason: reason))
                } else {
                    throw error
                }
            }
        }
        return (n, damaged)
    }

    /// Bytes the minute tier's blocks hold, and their readings (for `strata check` and benchmarks).
    func blockTotals() throws(StoreError) -> (bytes: Int64, points: Int64) {
        let bytes = try db.scalarInt("SELECT sum(length(data)) FROM minute_block") ?? 0
        let points = try db.scalarInt("SELECT sum(count) FROM minute_block") ?? 0
        return (bytes, points)
    }
}
