import StrataCore

/// One bucket of a tier with the aggregates of the channels asked for.
public struct BucketRow: Sendable {
    public var start: Int64
    public var end: Int64
    public var values: [Int64: Aggregate]
}

/// A run of minutes with the readings of some channels, column by column: a day of 640
/// channels is 921,600 cells, which per-minute dictionaries made the archive rebuild's cost.
public struct MinuteBlock: Sendable {
    /// The first minute (UTC seconds) and the number of minutes.
    public let start: Int64
    public let count: Int
    let column: [Int64: Int]
    /// Column after column, `count` cells each (`values[column * count + minute]`): one flat
    /// buffer, read without touching a reference count per cell. NaN where there is no reading.
    @usableFromInline var values: [Double]
    /// Laid out as `values`, counters only: steps consumed to the next minute; `Int64.min` for none.
    @usableFromInline var consumption: [Int64]

    init(start: Int64, count: Int, channels: [Int64]) {
        self.start = start
        self.count = count
        var col: [Int64: Int] = [:]
        for (i, c) in channels.enumerated() { col[c] = i }
        column = col
        values = Array(repeating: .nan, count: count * channels.count)
        consumption = Array(repeating: Int64.min, count: count * channels.count)
    }

    public func ts(_ i: Int) -> Int64 { start + Int64(i) * 60 }

    /// The column of a channel, for reading many minutes of it.
    public func columnIndex(_ channel: Int64) -> Int? { column[channel] }

    public func value(column c: Int, _ i: Int) -> Double? {
        let v = values[c * count + i]
        return v.isNaN ? nil : v
    }

    public func consumption(column c: Int, _ i: Int) -> Int64? {
        let v = consumption[c * count + i]
        return v == Int64.min ? nil : v
    }

    public func value(_ channel: Int64, _ i: Int) -> Double? { column[channel].flatMap { value(column: $0, i) } }

    /// A minute as a bucket of one reading (what the API and replication serve for the minute
    /// tier): the reading as first, last, min, max and sum, a counter's consumption to the next
    /// minute. nil where there is no reading.
    public func aggregate(column c: Int, _ i: Int, counter: Bool) -> Aggregate? {
        guard let v = value(column: c, i) else { return nil }
        var g = Aggregate()
        g.count = 1
        g.min = v
        g.max = v
        g.sum = v
        g.first = v
        g.last = v
        if counter { g.consumption = consumption(column: c, i) ?? 0 }
        return g
    }

    /// Both buffers at once, for encoders that walk every cell (the archive's CSV cells).
    @inlinable
    public func withCells<R>(_ body: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Int64>) throws -> R) rethrows
        -> R
    {
        try values.withUnsafeBufferPointer { v in try consumption.withUnsafeBufferPointer { c in try body(v, c) } }
    }
}

/// Channel id → column of a block, in an array indexed by id:
/// ids are small and dense, and a dictionary lookup per stored row was a rebuild's cost.
private struct ColumnLookup {
    var base: Int64 = 0
    var column: [Int] = []

    /// The index into `column` of a channel id, or nil for one not asked for.
    @inline(__always)
    func slot(_ id: Int64) -> Int? {
        let i = Int(id - base)
        return i >= 0 && i < column.count && column[i] >= 0 ? i : nil
    }

    init(_ chs: [StoredChannel]) {
        guard let lo = chs.map(\.id).min(), let hi = chs.map(\.id).max() else { return }
        base = lo
        column = Array(repeating: -1, count: Int(hi - lo) + 1)
        for (i, c) in chs.enumerated() { column[Int(c.id - lo)] = i }
    }
}

extension Store {
    /// Buckets of `tier` starting in `[from, to)` for `channels`: stored roll-ups where closed,
    /// computed from finer data where not rolled up yet (the open period).
    public func buckets(_ tier: Tier, channels chs: [StoredChannel], from: Int64, to: Int64) throws(StoreError)
        -> [BucketRow]
    {
        precondition(tier != .minute, "use minutes(…) for the minute tier")
        let ids = Set(chs.map(\.id))
        let list = calendar.buckets(tier, overlapping: from, to).filter { $0.start >= from && $0.start < to }
        guard let first = list.first, let last = list.last else { return [] }
        var rows = list.map { BucketRow(start: $0.start, end: $0.end, values: [:]) }
        var index: [Int64: Int] = [:]
        for (i, r) in rows.enumerated() { index[r.start] = i }
        for (start, ch, g) in try storedAggregates(tier, from: first.start, to: last.end, channels: chs.map(\.id))
        where ids.contains(ch) {
            if let i = index[start], rows[i].end <= watermark { rows[i].values[ch] = g }
        }
        if last.end > watermark {
            let open = try computeOpen(tier, channels: chs, from: max(first.start, watermark), to: last.end)
            for (start, byCh) in open {
                guard let i = index[start] else { continue }
                if rows[i].end > watermark { rows[i].values = byCh }
            }
        }
        return rows
    }

    /// Aggregates of `tier` for buckets overlapping `[from, to)` that are not rolled up yet,
    /// computed the way roll-up would compute them.
    func computeOpen(_ tier: Tier, channels chs: [StoredChannel], from: Int64, to: Int64) throws(StoreError) -> [Int64:
        [Int64: Aggregate]]
    {
        let w = watermark
        let qEnd = calendar.bucketEnd(.quarter, start: calendar.bucketStart(.quarter, containing: to - 1))
        let qStart = calendar.bucketStart(.quarter, containing: max(w, min(from, qEnd)))
        let edges = quarterEdges(qStart, qEnd)
        var level: [Int64: [Int64: Aggregate]] = [:]
        let wanted = Set(chs.map(\.id))
        let byChannel = try minute.byChannel(from: qStart, to: qEnd, wanted: wanted).mapValues { $0.map(\.reading) }
        for c in chs {
            let rows = byChannel[c.id] ?? []
            let aggs: [Aggregate]
            switch c.spec.kind {
            case .gauge: aggs = BucketAggregator.gauge(rows, edges: edges)
            case .counter:
                let b = try minute.lastAccepted(channel: c.id, before: qStart)?.reading
                let a = try minute.firstAccepted(channel: c.id, atOrAfter: qEnd)?.reading
                aggs = BucketAggregator.counter(rows, edges: edges, before: b, after: a)
            }
            for (k, g) in aggs.enumerated() where g.hasData { level[edges[k], default: [:]][c.id] = g }
        }
        guard tier != .quarter else { return level }
        let ids = Set(chs.map(\.id))
        var childTier = Tier.quarter
        for t in Tier.aggregated.dropFirst() {
            let buckets = calendar.buckets(t, overlapping: max(from, qStart), to)
            guard let bf = buckets.first, let bl = buckets.last else { return [:] }
            // Children before the watermark are stored; the rest were just computed.
            var children: [(Int64, Int64, Aggregate)] = []
            if bf.start < w {
                for s in try storedAggregates(childTier, from: bf.start, to: min(w, bl.end), channels: chs.map(\.id))
                where ids.contains(s.1) && level[s.0] == nil {
                    children.append(s)
                }
            }
            for (s, byCh) in level where s >= bf.start && s < bl.end {
                for (ch, g) in byCh { children.append((s, ch, g)) }
            }
            children.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            var next: [Int64: [Int64: Aggregate]] = [:]
            var bi = 0
            for (s, ch, g) in children {
                while bi < buckets.count && s >= buckets[bi].end { bi += 1 }
                guard bi < buckets.count else { break }
                next[buckets[bi].start, default: [:]][ch, default: Aggregate()].absorb(demandBlock(childTier, s, ch, g))
            }
            level = next
            childTier = t
            if t == tier { break }
        }
        return level
    }

    /// Minutes in `[from, to)`, streamed a day at a time to keep memory bounded.
    public func minutes(channels chs: [StoredChannel], from: Int64, to: Int64, _ body: (MinuteBlock) throws -> Void)
        throws
    {
        var a = from - floorMod(from, 60)
        let wanted = Set(chs.map(\.id))
        // Whole UTC days (the blocks' unit), each read once: a local day spans two of them, and
        // the readings either side of a window give the counters' neighbours without a query.
        var days: [Int64: [Int64: [MinuteRow]]] = [:]
        while a < to {
            let b = min(to, a + 86_400)
            let n = Int((b - a + 59) / 60)
            var block = MinuteBlock(start: a, count: n, channels: chs.map(\.id))
            let edges = Array(stride(from: a, through: a + Int64(n) * 60, by: 60))
            let lo = MinuteTier.dayStart(a)
            let hi = MinuteTier.dayStart(b - 1) + MinuteTier.daySeconds
            days = days.filter { $0.key >= lo }
            for d in stride(from: lo, to: hi, by: Int(MinuteTier.daySeconds)) where days[d] == nil {
                days[d] = try minute.byChannel(from: d, to: d + MinuteTier.daySeconds, wanted: wanted)
            }
            let span = stride(from: lo, to: hi, by: Int(MinuteTier.daySeconds)).compactMap { days[$0] }
            for (c, ch) in chs.enumerated() {
                let rows = span.count == 1 ? span[0][ch.id] ?? [] : span.flatMap { $0[ch.id] ?? [] }
                var i0 = 0
                while i0 < rows.count && rows[i0].ts < a { i0 += 1 }
                var i1 = i0
                block.values.withUnsafeMutableBufferPointer { values in
                    while i1 < rows.count && rows[i1].ts < b {
                        values[c * n + Int((rows[i1].ts - a) / 60)] = rows[i1].value
                        i1 += 1
                    }
                }
                guard ch.spec.kind == .counter else { continue }
                let end = edges[edges.count - 1]
                let before =
                    try rows[..<i0].last(where: { $0.cum != nil }) ?? minute.lastAccepted(channel: ch.id, before: a)
                let after =
                    try rows[i1...].first(where: { $0.ts >= end && $0.cum != nil })
                    ?? minute.firstAccepted(channel: ch.id, atOrAfter: end)
                let aggs = BucketAggregator.counter(
                    rows[i0..<i1].map(\.reading), edges: edges, before: before?.reading, after: after?.reading)
                for (i, g) in aggs.enumerated() where g.hasData { block.consumption[c * n + i] = g.consumption }
            }
            try body(block)
            a = b
        }
    }

    /// First and last minute with data among `channels`, if any.
    public func dataRange(channels chs: [StoredChannel]) throws(StoreError) -> (Int64, Int64)? {
        var lo: Int64?
        var hi: Int64?
        for c in chs {
            guard let f = firstTs[c.id] else { continue }
            lo = min(lo ?? f, f)
            if let l = try minute.last(channel: c.id) { hi = max(hi ?? l.ts, l.ts) }
        }
        // Minutes may have been pruned: aggregates still reach back to the first write.
        guard let l = lo, let h = hi else { return nil }
        return (l, h)
    }

    /// Counter events of the given channels, oldest first.
    public func events(channels chs: [StoredChannel]) throws(StoreError) -> [(StoredChannel, CounterEvent)] {
        let st = try db.prepare("SELECT ts, old, new, action FROM counter_event WHERE channel = ?1 ORDER BY ts")
        var out: [(StoredChannel, CounterEvent)] = []
        for c in chs where c.spec.kind == .counter {
            try st.bind([.int(c.id)])
            while try st.step() {
                let action = CounterAction(rawValue: st.text(3)) ?? .reset
                out.append(
                    (c, CounterEvent(ts: st.int(0), oldValue: st.double(1), newValue: st.double(2), action: action)))
            }
            st.reset()
        }
        return out.sorted { $0.1.ts < $1.1.ts }
    }
}

/// Buckets of a tier for many channels, column by column: the archive writes a month of hours
/// for hundreds of channels, which a dictionary per bucket made the cost of.
public struct BucketBlock: Sendable {
    public let starts: [Int64]
    public let ends: [Int64]
    let column: [Int64: Int]
    let width: Int
    /// `[row * width + column]`.
    var cells: [Aggregate?]

    public var count: Int { starts.count }

    public func columnIndex(_ channel: Int64) -> Int? { column[channel] }

    @inline(__always)
    public func aggregate(column c: Int, _ i: Int) -> Aggregate? { cells[i * width + c] }
}

extension Store {
    /// The same buckets as `buckets(…)`, as a `BucketBlock`.
    public func bucketBlock(_ tier: Tier, channels chs: [StoredChannel], from: Int64, to: Int64) throws(StoreError)
        -> BucketBlock
    {
        precondition(tier != .minute, "use minutes(…) for the minute tier")
        let list = calendar.buckets(tier, overlapping: from, to).filter { $0.start >= from && $0.start < to }
        var column: [Int64: Int] = [:]
        for (i, c) in chs.enumerated() { column[c.id] = i }
        let lookup = ColumnLookup(chs)
        let width = chs.count
        var cells = [Aggregate?](repeating: nil, count: list.count * width)
        let starts = list.map(\.start)
        let ends = list.map(\.end)
        guard let first = list.first, let last = list.last, width > 0 else {
            return BucketBlock(starts: starts, ends: ends, column: column, width: width, cells: cells)
        }
        var row = 0
        // For many channels, scan the range in index order and drop the others here: an IN list
        // of hundreds of ids makes SQLite probe per id and sort the result.
        let filter: [Int64]? = width >= 32 ? nil : chs.map(\.id)
        let w = watermark
        try forEachStoredAggregate(tier, from: first.start, to: last.end, channels: filter) { start, ch, g in
            // Rows come in start order: walk the bucket list alongside.
            while row < starts.count && starts[row] < start { row += 1 }
            guard row < starts.count, starts[row] == start, ends[row] <= w, let id = lookup.slot(ch) else { return }
            cells[row * width + lookup.column[id]] = g
        }
        if last.end > watermark {
            var index: [Int64: Int] = [:]
            for (i, s) in starts.enumerated() where ends[i] > watermark { index[s] = i }
            for (start, byCh) in try computeOpen(tier, channels: chs, from: max(first.start, watermark), to: last.end) {
                guard let i = index[start] else { continue }
                for c in 0..<width { cells[i * width + c] = nil }
                for (ch, g) in byCh { if let c = column[ch] { cells[i * width + c] = g } }
            }
        }
        return BucketBlock(starts: starts, ends: ends, column: column, width: width, cells: cells)
    }
}
