import StrataCore

/// What one roll-up did.
public struct RollUpResult: Sendable, Equatable {
    public var bucketsWritten = 0
    public var dirtyRanges = 0
    public var windows = 0
    /// UTC days of minutes folded into compact blocks (see `MinuteTier`).
    public var daysCompacted = 0
    /// Months of the quarter or hour tier folded into blocks (see `AggregateBlocks`).
    public var monthsCompacted = 0

    public init() {}
}

/// Aggregate row flags.
enum AggFlag {
    static let provisional: Int64 = 1
    static let interpolated: Int64 = 2
}

extension Store {
    /// Seconds after a quarter's end before it is rolled up.
    public static let rollUpLag: Int64 = 120

    /// Rolls up every closed bucket not yet rolled up, and re-aggregates ranges changed by late
    /// data. Idempotent; each step commits on its own, so a killed process resumes where it
    /// stopped. Buckets still open at `now` are not stored: reads compute them.
    @discardableResult
    public func rollUp(now: Int64) throws(StoreError) -> RollUpResult {
        var result = RollUpResult()
        try rollUpDirty(&result)
        // A quarter is rolled up once the reading at its end edge has had time to arrive:
        // without it a counter's last minute is unknown, and rolling up early would only
        // mark the quarter dirty again a minute later.
        let target = calendar.bucketStart(.quarter, containing: now - Store.rollUpLag)
        try rollUpAppended(until: target, &result)
        if compactsClosedData {
            result.daysCompacted += try compactClosedDays().days
            result.monthsCompacted += try compactClosedMonths().months
        }
        return result
    }

    // MARK: late data

    func rollUpDirty(_ result: inout RollUpResult) throws(StoreError) {
        let st = try db.prepare("SELECT rowid, channel, from_ts, to_ts FROM dirty ORDER BY channel, from_ts")
        st.reset()
        var byChannel: [Int64: [(rowid: Int64, a: Int64, b: Int64)]] = [:]
        while try st.step() { byChannel[st.int(1), default: []].append((st.int(0), st.int(2), st.int(3))) }
        for (ch, ranges) in byChannel.sorted(by: { $0.key < $1.key }) {
            guard let spec = byID[ch]?.spec else {
                try db.exec("DELETE FROM dirty WHERE channel = \(ch)")
                continue
            }
            // Coalesce overlapping ranges so each bucket is computed once.
            var merged: [(Int64, Int64)] = []
            for r in ranges.sorted(by: { $0.a < $1.a }) {
                if let l = merged.last, r.a <= l.1 {
                    merged[merged.count - 1].1 = max(l.1, r.b)
                } else {
                    merged.append((r.a, r.b))
                }
            }
            do {
                try rollUpDirty(channel: ch, spec: spec, merged, ranges.map(\.rowid), &result)
            } catch .damagedBlock(_, let name, let day, let reason) {
                // Its minutes cannot be read: the aggregates keep what they were made from,
                // and the other channels roll up as usual.
                logger.error(
                    "late data into a damaged minute block is not rolled up",
                    metadata: [
                        "channel": "\(name)", "day": "\(day)", "reason": "\(reason)",
                    ])
                try db.exec(
                    "DELETE FROM dirty WHERE rowid IN (\(ranges.map { String($0.rowid) }.joined(separator: ",")))")
            }
        }
    }

    private func rollUpDirty(
        channel ch: Int64, spec: ChannelSpec, _ merged: [(Int64, Int64)], _ rowids: [Int64],
        _ result: inout RollUpResult
    ) throws(StoreError) {
        try db.transaction { () throws(StoreError) in
            for (a, b) in merged {
                result.bucketsWritten += try recompute(channel: ch, spec: spec, from: a, to: b)
                try compactLate(channel: ch, from: a, to: b)
                result.dirtyRanges += 1
                // The archive rewrites the files these buckets sit in.
                try db.exec("INSERT INTO archive_dirty(from_ts, to_ts) VALUES (\(a), \(b))")
                // And the fleet's copy of them, where the site replicates.
                try db.exec(
                    "INSERT INTO replication_dirty(from_ts, to_ts) SELECT \(a), \(b) WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'replication.enabled')"
                )
            }
            let ids = rowids.map(String.init).joined(separator: ",")
            try db.exec("DELETE FROM dirty WHERE rowid IN (\(ids))")
        }
    }

    /// Recomputes the closed buckets of one channel that overlap `[a, b)`.
    func recompute(channel ch: Int64, spec: ChannelSpec, from a: Int64, to b: Int64) throws(StoreError) -> Int {
        // Quarters whose minutes (or, for counters, the reading before them) were pruned stay final.
        let horizon = minuteHorizon[spec.kind].map { calendar.bucketStart(.quarter, containing: $0) + 900 } ?? Int64.min
        let qa = max(calendar.bucketStart(.quarter, containing: a), horizon)
        let qb = min(calendar.bucketEnd(.quarter, start: calendar.bucketStart(.quarter, containing: b - 1)), watermark)
        var written = 0
        if qa < qb {
            let edges = quarterEdges(qa, qb)
            let rows = try minute.rows(channel: ch, from: qa, to: qb).map(\.reading)
            let aggs: [Aggregate]
            switch spec.kind {
            case .gauge:
                aggs = BucketAggregator.gauge(rows, edges: edges)
            case .counter:
                let before = try minute.lastAccepted(channel: ch, before: qa)?.reading
                let after = try minute.firstAccepted(channel: ch, atOrAfter: qb)?.reading
                aggs = BucketAggregator.counter(rows, edges: edges, before: before, after: after)
            }
            try db.exec(
                "DELETE FROM agg WHERE tier = \(Tier.quarter.rawValue) AND start >= \(qa) AND start < \(qb) AND channel = \(ch)"
            )
            try aggBlocks.delete(.quarter, from: qa, to: qb, channel: ch)
            written += try store(.quarter, edges: edges, channel: ch, aggs)
        }
        let pa = max(a, qa == Int64.min ? a : qa)
        for tier in Tier.aggregated.dropFirst() {
            written += try foldParents(tier, overlapping: pa, b, closedBefore: watermark, channel: ch)
        }
        return written
    }

    // MARK: appended data

    /// Rolls up `[watermark, target)` for all channels, a day at a time.
    func rollUpAppended(until target: Int64, _ result: inout RollUpResult) throws(StoreError) {
        guard watermark < target else { return }
        // Kept across calls: in steady state each roll-up needs the reading before the
        // watermark of every counter, and looking each up again would scan the minute tier.
        var before = anchors
        var after: [Int64: Reading?] = [:]
        var loadedBefore = anchorsLoaded
        var completed = false
        defer {
            // After a failed window the cache may be ahead of the store: forget it.
            anchors = completed ? before : [:]
            anchorsLoaded = completed && loadedBefore
        }
        while watermark < target {
            let cs = watermark
            // Jump over stretches where nobody has data and no counter is between readings;
            // parents that close inside such a stretch (the year after the data) still get folded.
            var skipTo: Int64? = nil
            if let next = try minute.nextTs(atOrAfter: cs) {
                if next > cs + 86_400, !loadedBefore {
                    try loadBefore(&before, at: cs)
                    loadedBefore = true
                }
                if next > cs + 86_400 && before.isEmpty {
                    skipTo = min(target, calendar.bucketStart(.quarter, containing: next))
                }
            } else {
                // No reading at or after cs anywhere: no gap can be bridged.
                skipTo = target
            }
            if let to = skipTo, to > cs {
                try db.transaction { () throws(StoreError) in
                    for tier in Tier.aggregated.dropFirst() {
                        result.bucketsWritten += try foldParents(
                            tier, overlapping: cs, to, closedBefore: to, channel: nil)
                    }
                    try setMeta("watermark", String(to))
                }
                watermark = to
                continue
            }
            if !loadedBefore {
                try loadBefore(&before, at: cs)
                loadedBefore = true
            }
            // Catching up on a few channels, a week per transaction saves fsyncs; with many
            // channels a day keeps the window's rows in memory small.
            let span: Int64 = channels.count <= 100 ? 7 * 86_400 : 86_400
            let ce = min(target, calendar.bucketStart(.quarter, containing: cs + span + 899))
            try db.transaction { () throws(StoreError) in
                result.bucketsWritten += try rollUpWindow(cs, ce, before: &before, after: &after)
                try setMeta("watermark", String(ce))
            }
            watermark = ce
            result.windows += 1
            // A progress marker: a killed roll-up resumes from the last one of these.
            logger.debug("roll-up window committed", metadata: ["watermark": "\(ce)", "target": "\(target)"])
        }
        completed = true
    }

    /// Last accepted reading before `t` of every counter that has data before it.
    private func loadBefore(_ before: inout [Int64: Reading], at t: Int64) throws(StoreError) {
        for c in channels where c.spec.kind == .counter {
            guard let f = firstTs[c.id], f < t, before[c.id] == nil else { continue }
            if let r = try minute.lastAccepted(channel: c.id, before: t) { before[c.id] = r.reading }
        }
    }

    private func rollUpWindow(_ cs: Int64, _ ce: Int64, before: inout [Int64: Reading], after: inout [Int64: Reading?])
        throws(StoreError) -> Int
    {
        let edges = quarterEdges(cs, ce)
        let rows = try minute.byChannel(from: cs, to: ce, wanted: nil).mapValues { $0.map(\.reading) }
        var written = 0
        try db.exec("DELETE FROM agg WHERE tier = \(Tier.quarter.rawValue) AND start >= \(cs) AND start < \(ce)")
        try aggBlocks.delete(.quarter, from: cs, to: ce, channel: nil)
        for c in channels {
            let rs = rows[c.id] ?? []
            switch c.spec.kind {
            case .gauge:
                guard !rs.isEmpty else { continue }
                written += try store(.quarter, edges: edges, channel: c.id, BucketAggregator.gauge(rs, edges: edges))
            case .counter:
                let b = before[c.id]
                guard !rs.isEmpty || b != nil else { continue }
                // The next accepted reading at or after the window's end closes its last gap.
                var a: Reading?
                if let cached = after[c.id], cached.map({ $0.ts >= ce }) ?? true {
                    a = cached
                } else {
                    a = try minute.firstAccepted(channel: c.id, atOrAfter: ce)?.reading
                    after[c.id] = .some(a)
                }
                if rs.isEmpty && a == nil { continue }
                written += try store(
                    .quarter, edges: edges, channel: c.id,
                    BucketAggregator.counter(rs, edges: edges, before: b, after: a))
                if let l = rs.last(where: { $0.cum != nil }) { before[c.id] = l }
            }
        }
        for tier in Tier.aggregated.dropFirst() {
            written += try foldParents(tier, overlapping: cs, ce, closedBefore: ce, channel: nil)
        }
        return written
    }

    // MARK: shared

    func quarterEdges(_ a: Int64, _ b: Int64) -> [Int64] {
        let bs = calendar.buckets(.quarter, overlapping: a, b)
        var edges = bs.map(\.start)
        if let l = bs.last { edges.append(l.end) }
        return edges
    }

    func store(_ tier: Tier, edges: [Int64], channel ch: Int64, _ aggs: [Aggregate]) throws(StoreError) -> Int {
        let st = try aggInsert()
        var n = 0
        for (k, g) in aggs.enumerated() where g.hasData {
            try write(st, tier: tier, start: edges[k], channel: ch, g)
            n += 1
        }
        return n
    }

    /// Prepared once per store: roll-up runs the same few queries thousands of times.
    func cachedStatement(_ sql: String) throws(StoreError) -> Statement {
        if let s = statementCache[sql] { return s }
        let s = try db.prepare(sql)
        statementCache[sql] = s
        return s
    }

    func aggInsert() throws(StoreError) -> Statement {
        if let s = cachedAggInsert { return s }
        let s = try db.prepare(
            """
            INSERT OR REPLACE INTO agg(tier, start, channel, count, min, max, sum, consumption, first, last, flags, peak, peak_start)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
            """)
        cachedAggInsert = s
        return s
    }

    /// A counter's quarter becomes a peak-demand candidate as it is folded into its hour.
    @inline(__always)
    func demandBlock(_ tier: Tier, _ start: Int64, _ channel: Int64, _ g: Aggregate) -> Aggregate {
        guard tier == .quarter, let spec = byID[channel]?.spec, spec.kind == .counter else { return g }
        return g.asDemandBlock(
            start: start, seconds: calendar.bucketEnd(.quarter, start: start) - start, interval: spec.interval)
    }

    func write(_ st: Statement, tier: Tier, start: Int64, channel: Int64, _ g: Aggregate) throws(StoreError) {
        let isCounter = byID[channel]?.spec.kind == .counter
        st.bind(1, Int64(tier.rawValue))
        st.bind(2, start)
        st.bind(3, channel)
        st.bind(4, Int64(g.count))
        st.bind(5, g.min)
        st.bind(6, g.max)
        st.bind(7, isCounter ? nil : g.sum)
        st.bind(8, isCounter ? g.consumption : nil)
        st.bind(9, g.first)
        st.bind(10, g.last)
        st.bind(11, (g.provisional ? AggFlag.provisional : 0) | (g.interpolated ? AggFlag.interpolated : 0))
        st.bind(12, g.peak)
        st.bind(13, g.peakStart)
        try st.run()
    }

    /// Recomputes buckets of `tier` overlapping `[a, b)` that are closed by `closedBefore`,
    /// from their stored children. A bucket whose children were pruned is left as it is.
    func foldParents(_ tier: Tier, overlapping a: Int64, _ b: Int64, closedBefore: Int64, channel: Int64?)
        throws(StoreError) -> Int
    {
        guard let child = tier.child, a < b else { return 0 }
        let buckets = calendar.buckets(tier, overlapping: a, b).filter { $0.end <= closedBefore }
        guard let first = buckets.first, let last = buckets.last else { return 0 }
        let horizon = prunedBefore[child] ?? Int64.min
        let usable = buckets.filter { $0.start >= horizon }
        guard !usable.isEmpty else { return 0 }
        let children = try storedAggregates(child, from: first.start, to: last.end, channel: channel)
        var folded: [Int64: [Int64: Aggregate]] = [:] // bucket start -> channel -> agg
        var bi = 0
        for (start, ch, g) in children {
            while bi < buckets.count && start >= buckets[bi].end { bi += 1 }
            guard bi < buckets.count else { break }
            folded[buckets[bi].start, default: [:]][ch, default: Aggregate()].absorb(demandBlock(child, start, ch, g))
        }
        let chFilter = channel.map { " AND channel = \($0)" } ?? ""
        if let u0 = usable.first, let u1 = usable.last {
            try db.exec(
                "DELETE FROM agg WHERE tier = \(tier.rawValue) AND start >= \(u0.start) AND start <= \(u1.start)\(chFilter)"
            )
            if AggregateBlocks.tiers.contains(tier) {
                try aggBlocks.delete(tier, from: u0.start, to: u1.start + 1, channel: channel)
            }
        }
        let st = try aggInsert()
        var n = 0
        for bk in usable {
            for (ch, g) in (folded[bk.start] ?? [:]).sorted(by: { $0.key < $1.key }) where g.hasData {
                try write(st, tier: tier, start: bk.start, channel: ch, g)
                n += 1
            }
        }
        return n
    }

    /// Stored aggregates of a tier with start in `[from, to)`, in (start, channel) order.
    func storedAggregates(_ tier: Tier, from: Int64, to: Int64, channel: Int64?) throws(StoreError) -> [(
        Int64, Int64, Aggregate
    )] {
        try storedAggregates(tier, from: from, to: to, channels: channel.map { [$0] })
    }

    /// The same for a set of channels (nil: all), filtered inside SQLite.
    func storedAggregates(_ tier: Tier, from: Int64, to: Int64, channels: [Int64]?) throws(StoreError) -> [(
        Int64, Int64, Aggregate
    )] {
        var out: [(Int64, Int64, Aggregate)] = []
        try forEachStoredAggregate(tier, from: from, to: to, channels: channels) { out.append(($0, $1, $2)) }
        return out
    }

    /// Streams stored aggregates in (start, channel) order, without collecting them.
    func forEachStoredAggregate(
        _ tier: Tier, from: Int64, to: Int64, channels: [Int64]?,
        _ body: (Int64, Int64, Aggregate) -> Void
    ) throws(StoreError) {
        guard AggregateBlocks.tiers.contains(tier), try aggBlocks.any(tier, from: from, to: to) else {
            return try forEachAggregateRow(tier, from: from, to: to, channels: channels, body)
        }
        // Blocks and rows merged; a row wins over a block's bucket of the same start and channel.
        var all = try aggBlocks.entries(tier, from: from, to: to, channels: channels.map(Set.init))
        var rows: [(Int64, Int64, Aggregate)] = []
        try forEachAggregateRow(tier, from: from, to: to, channels: channels) { rows.append(($0, $1, $2)) }
        if !rows.isEmpty {
            struct Key: Hashable { var start: Int64, channel: Int64 }
            let replaced = Set(rows.map { Key(start: $0.0, channel: $0.1) })
            all.removeAll { replaced.contains(Key(start: $0.0, channel: $0.1)) }
            all += rows
        }
        all.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for (start, ch, g) in all { body(start, ch, g) }
    }

    /// The `agg` rows alone, streamed in (start, channel) order.
    func forEachAggregateRow(
        _ tier: Tier, from: Int64, to: Int64, channels: [Int64]?,
        _ body: (Int64, Int64, Aggregate) -> Void
    ) throws(StoreError) {
        var sql =
            "SELECT start, channel, count, min, max, sum, consumption, first, last, flags, peak, peak_start FROM agg WHERE tier = ?1 AND start >= ?2 AND start < ?3"
        if let chs = channels {
            sql +=
                chs.count == 1
                ? " AND channel = \(chs[0])"
                : " AND channel IN (\(chs.sorted().map(String.init).joined(separator: ",")))"
        }
        sql += " ORDER BY start, channel"
        let st = channels.map { $0.count == 1 } ?? true ? try cachedStatement(sql) : try db.prepare(sql)
        st.reset()
        st.bind(1, Int64(tier.rawValue))
        st.bind(2, from)
        st.bind(3, to)
        while try st.step() {
            var g = Aggregate()
            g.count = Int(st.int(2))
            g.min = st.optionalDouble(3)
            g.max = st.optionalDouble(4)
            g.sum = st.optionalDouble(5) ?? 0
            g.consumption = st.optionalInt(6) ?? 0
            g.first = st.optionalDouble(7)
            g.last = st.optionalDouble(8)
            let flags = st.int(9)
            g.provisional = flags & AggFlag.provisional != 0
            g.interpolated = flags & AggFlag.interpolated != 0
            g.peak = st.optionalInt(10)
            g.peakStart = st.optionalInt(11)
            body(st.int(0), st.int(1), g)
        }
    }
}
