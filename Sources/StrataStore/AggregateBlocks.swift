import StrataCodec
import StrataCore

/// The quarter and hour tiers' closed months as compact blocks (`agg_block`), next to the
/// `agg` rows that hold everything else: one `AggregateBlock` per tier, channel and UTC month.
///
/// A quarter row costs about 45 bytes, three bytes per minute it sums; a block holds it in a
/// few. Readers merge blocks and rows (a row wins); every delete of a range reaches the
/// blocks too, so a bucket recomputed after late data is never read twice. Day, month and
/// year stay rows: there are few of them.
final class AggregateBlocks {
    static let schema = """
        CREATE TABLE IF NOT EXISTS agg_block(
            tier INTEGER NOT NULL, channel INTEGER NOT NULL, span INTEGER NOT NULL,
            first INTEGER NOT NULL, last INTEGER NOT NULL, count INTEGER NOT NULL,
            data BLOB NOT NULL,
            UNIQUE(tier, channel, span));
        CREATE INDEX IF NOT EXISTS agg_block_span ON agg_block(tier, span);
        """

    static let tiers: Set<Tier> = [.quarter, .hour]

    let db: Database
    var decimals: [Int64: Int] = [:]
    var names: [Int64: String] = [:]
    private let put: Statement
    private let overlapping: Statement

    init(db: Database) throws(StoreError) {
        self.db = db
        put = try db.prepare(
            "INSERT OR REPLACE INTO agg_block(tier, channel, span, first, last, count, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        )
        overlapping = try db.prepare(
            "SELECT channel, span, data FROM agg_block WHERE tier = ?1 AND span >= ?2 AND span < ?3 AND last >= ?4 AND first < ?3 ORDER BY span, channel"
        )
    }

    /// The UTC month holding `ts`, and the next one's start.
    static func span(containing ts: Int64) -> Int64 {
        let d = CivilDate(daysSinceEpoch: Int(floorDiv(ts, 86_400)))
        return Int64(CivilDate(year: d.year, month: d.month, day: 1).daysSinceEpoch) * 86_400
    }

    static func spanEnd(_ start: Int64) -> Int64 {
        Int64(CivilDate(daysSinceEpoch: Int(floorDiv(start, 86_400))).addingMonths(1).daysSinceEpoch) * 86_400
    }

    func decode(_ data: [UInt8], tier: Tier, channel ch: Int64, span: Int64) throws(StoreError) -> [(
        start: Int64, agg: Aggregate
    )] {
        do {
            return try AggregateBlock.decode(data, span: span)
        } catch {
            let month = CivilDate(daysSinceEpoch: Int(floorDiv(span, 86_400)))
            throw .damagedBlock(
                path: db.path, channel: names[ch] ?? "#\(ch)",
                day: "the \(tier.name) tier of \(month.year)-\(month.month < 10 ? "0" : "")\(month.month) (UTC)",
                reason: error.description)
        }
    }

    /// Every block entry of `tier` with start in `[from, to)`, of the given channels (nil: all).
    func entries(_ tier: Tier, from: Int64, to: Int64, channels: Set<Int64>?) throws(StoreError) -> [(
        Int64, Int64, Aggregate
    )] {
        var out: [(Int64, Int64, Aggregate)] = []
        overlapping.reset()
        overlapping.bind(1, Int64(tier.rawValue))
        overlapping.bind(2, Self.span(containing: max(from, -(1 << 40))))
        overlapping.bind(3, to)
        overlapping.bind(4, from)
        defer { overlapping.reset() }
        while try overlapping.step() {
            let ch = overlapping.int(0)
            if let w = channels, !w.contains(ch) { continue }
            let span = overlapping.int(1)
            for e in try decode(overlapping.blob(2), tier: tier, channel: ch, span: span)
            where e.start >= from && e.start < to {
                out.append((e.start, ch, e.agg))
            }
        }
        return out
    }

    /// Whether any block of `tier` may hold a bucket starting in `[from, to)`.
    func any(_ tier: Tier, from: Int64, to: Int64) throws(StoreError) -> Bool {
        try db.scalarInt(
            "SELECT 1 FROM agg_block WHERE tier = ?1 AND span >= ?2 AND span < ?3 AND last >= ?4 AND first < ?3 LIMIT 1",
            [.int(Int64(tier.rawValue)), .int(Self.span(containing: max(from, -(1 << 40)))), .int(to), .int(from)])
            != nil
    }

    /// Stores a channel's buckets of one span (none: the block goes).
    func store(_ tier: Tier, channel ch: Int64, span: Int64, _ entries: [(start: Int64, agg: Aggregate)])
        throws(StoreError)
    {
        guard let first = entries.first, let last = entries.last else {
            try db.exec("DELETE FROM agg_block WHERE tier = \(tier.rawValue) AND channel = \(ch) AND span = \(span)")
            return
        }
        put.bind(1, Int64(tier.rawValue))
        put.bind(2, ch)
        put.bind(3, span)
        put.bind(4, first.start)
        put.bind(5, last.start)
        put.bind(6, Int64(entries.count))
        put.bind(7, blob: AggregateBlock.encode(span: span, decimals: decimals[ch] ?? 0, entries))
        try put.run()
    }

    /// Removes the block entries of `tier` with start in `[from, to)` (of one channel, or all);
    /// returns how many.
    @discardableResult
    func delete(_ tier: Tier, from: Int64, to: Int64, channel: Int64?) throws(StoreError) -> Int {
        let chFilter = channel.map { " AND channel = \($0)" } ?? ""
        let st = try db.prepare(
            """
            SELECT channel, span, data, first, last, count FROM agg_block
            WHERE tier = \(tier.rawValue) AND span >= ?1 AND span < ?2 AND last >= ?3 AND first < ?2\(chFilter)
            """)
        try st.bind([.int(Self.span(containing: max(from, -(1 << 40)))), .int(to), .int(from)])
        var rewrites: [(Int64, Int64, [(start: Int64, agg: Aggregate)])] = []
        var whole: [(Int64, Int64)] = []
        var removed = 0
        while try st.step() {
            let ch = st.int(0)
            let span = st.int(1)
            if st.int(3) >= from && st.int(4) < to {
                whole.append((ch, span))
                removed += Int(st.int(5))
            } else {
                rewrites.append((ch, span, try decode(st.blob(2), tier: tier, channel: ch, span: span)))
            }
        }
        for (ch, span) in whole { try store(tier, channel: ch, span: span, []) }
        for (ch, span, entries) in rewrites {
            let keep = entries.filter { $0.start < from || $0.start >= to }
            removed += entries.count - keep.count
            if keep.count != entries.count { try store(tier, channel: ch, span: span, keep) }
        }
        return removed
    }

    func count(_ tier: Tier) throws(StoreError) -> Int64 {
        try db.scalarInt("SELECT sum(count) FROM agg_block WHERE tier = \(tier.rawValue)") ?? 0
    }

    func oldest(_ tier: Tier?) throws(StoreError) -> Int64? {
        try db.scalarInt("SELECT min(first) FROM agg_block" + (tier.map { " WHERE tier = \($0.rawValue)" } ?? ""))
    }

    /// Decodes every block; those that fail, with channel, tier and month.
    func verify() throws(StoreError) -> (blocks: Int, damaged: [DamagedBlock]) {
        let st = try db.prepare("SELECT tier, channel, span, data FROM agg_block ORDER BY tier, channel, span")
        var n = 0
        var damaged: [DamagedBlock] = []
        while try st.step() {
            n += 1
            guard let tier = Tier(rawValue: Int(st.int(0))) else { continue }
            do {
                _ = try decode(st.blob(3), tier: tier, channel: st.int(1), span: st.int(2))
            } catch {
                if case .damagedBlock(_, let name, let what, let reason) = error {
                    damaged.append(DamagedBlock(channel: name, day: st.int(2), reason: "\(what): \(reason)"))
                } else {
                    throw error
                }
            }
        }
        return (n, damaged)
    }
}
