import StrataCore

extension Store {
    /// What a compaction pass did.
    public struct Compaction: Sendable, Equatable {
        public var days = 0
        public var points = 0
        /// Channel-days whose block is damaged: their rows stay rows.
        public var damaged: [DamagedBlock] = []
        /// Closed days still in rows (after a pass stopped by `maxDays`).
        public var remaining = false
    }

    /// Folds the rows of every closed UTC day (one that ends at or before the watermark, so
    /// roll-up reads it no more) into blocks, a day per transaction: a killed pass leaves
    /// whole days either way, and the next one carries on.
    @discardableResult
    public func compactClosedDays(maxDays: Int = .max) throws(StoreError) -> Compaction {
        var c = Compaction()
        let limit = MinuteTier.dayStart(watermark)
        var next = try minute.firstRowDay(from: Int64.min, before: limit)
        while let day = next {
            guard c.days < maxDays else {
                c.remaining = true
                break
            }
            let done = try db.transaction { () throws(StoreError) in try minute.compactDay(day) }
            c.days += 1
            c.points += done.points
            c.damaged += done.damaged
            for d in done.damaged where reportedDamage.insert("\(d.channel) \(d.day)").inserted {
                logger.error(
                    "a damaged minute block keeps its day's new readings as rows",
                    metadata: [
                        "channel": "\(d.channel)", "day": "\(MinuteTier.dayName(d.day))", "reason": "\(d.reason)",
                    ])
            }
            next = try minute.firstRowDay(from: day + MinuteTier.daySeconds, before: limit)
        }
        if c.days > 0 {
            logger.debug("minute days compacted", metadata: ["days": "\(c.days)", "points": "\(c.points)"])
        }
        return c
    }

    /// Folds late rows of one channel in `[a, b)` into the blocks of their closed days; called
    /// in the transaction that re-aggregates the range, so blocks and roll-ups change together.
    func compactLate(channel ch: Int64, from a: Int64, to b: Int64) throws(StoreError) {
        let limit = MinuteTier.dayStart(watermark)
        var day = MinuteTier.dayStart(a)
        while day < min(b, limit) {
            guard let d = try minute.firstRowDay(from: day, before: min(b, limit)) else { break }
            try minute.compactDay(d, channel: ch)
            day = d + MinuteTier.daySeconds
        }
    }

    /// Folds the quarter and hour rows of every closed UTC month (one that ends at or before
    /// the watermark) into one block per tier, channel and month, a month per transaction.
    @discardableResult
    public func compactClosedMonths(maxMonths: Int = .max) throws(StoreError) -> (
        months: Int, buckets: Int, damaged: [DamagedBlock]
    ) {
        var months = 0
        var buckets = 0
        var damaged: [DamagedBlock] = []
        for tier in [Tier.quarter, .hour] {
            var from: Int64 = -(1 << 40)
            while months < maxMonths,
                let first = try db.scalarInt(
                    "SELECT min(start) FROM agg WHERE tier = ?1 AND start >= ?2",
                    [.int(Int64(tier.rawValue)), .int(from)])
            {
                let span = AggregateBlocks.span(containing: first)
                let end = AggregateBlocks.spanEnd(span)
                guard end <= watermark else { break }
                let done = try db.transaction { () throws(StoreError) in try compactMonth(tier, span: span, end: end) }
                months += 1
                buckets += done.buckets
                damaged += done.damaged
                from = end
            }
        }
        for d in damaged where reportedDamage.insert("\(d.channel) \(d.day)").inserted {
            logger.error(
                "a damaged aggregate block keeps its month's new buckets as rows",
                metadata: [
                    "channel": "\(d.channel)", "reason": "\(d.reason)",
                ])
        }
        return (months, buckets, damaged)
    }

    private func compactMonth(_ tier: Tier, span: Int64, end: Int64) throws(StoreError) -> (
        buckets: Int, damaged: [DamagedBlock]
    ) {
        var rows: [Int64: [(start: Int64, agg: Aggregate)]] = [:]
        try forEachAggregateRow(tier, from: span, to: end, channels: nil) { start, ch, g in
            rows[ch, default: []].append((start, g))
        }
        var kept: [Int64] = []
        var damaged: [DamagedBlock] = []
        var moved = 0
        for (ch, fresh) in rows.sorted(by: { $0.key < $1.key }) {
            do {
                let old = try aggBlocks.entries(tier, from: span, to: end, channels: [ch]).map {
                    (start: $0.0, agg: $0.2)
                }
                let replaced = Set(fresh.map(\.start))
                let merged =
                    old.isEmpty
                    ? fresh : (old.filter { !replaced.contains($0.start) } + fresh).sorted { $0.start < $1.start }
                try aggBlocks.store(tier, channel: ch, span: span, merged)
                moved += fresh.count
            } catch .damagedBlock(_, let name, _, let reason) {
                damaged.append(DamagedBlock(channel: name, day: span, reason: reason))
                kept.append(ch)
            }
        }
        let keep = kept.isEmpty ? "" : " AND channel NOT IN (\(kept.map(String.init).joined(separator: ",")))"
        try db.exec("DELETE FROM agg WHERE tier = \(tier.rawValue) AND start >= \(span) AND start < \(end)\(keep)")
        return (moved, damaged)
    }
}
