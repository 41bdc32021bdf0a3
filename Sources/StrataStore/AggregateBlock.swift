import StrataCodec
import StrataCore

/// One channel's buckets of a tier over a span (a UTC month) as one byte string: each stored
/// field of `Aggregate` is a `SeriesBlock` column over the buckets, so a constant count or
/// flags costs next to nothing and readings pack as the minute tier's do.
///
/// Holds exactly what an `agg` row holds: counters keep no sum and gauges no consumption
/// (`stored(_:counter:)`), so a bucket reads the same from a row or a block.
enum AggregateBlock {
    static let columns = 10

    /// An aggregate as its row would give it back.
    static func stored(_ g: Aggregate, counter: Bool) -> Aggregate {
        var s = g
        if counter { s.sum = 0 } else { s.consumption = 0 }
        return s
    }

    static func encode(span: Int64, decimals: Int, _ entries: [(start: Int64, agg: Aggregate)]) -> [UInt8] {
        let n = entries.count
        func column(_ d: Int, _ point: (Int64, Aggregate) -> SeriesPoint?) -> SeriesBlock {
            var points: [SeriesPoint] = []
            points.reserveCapacity(n)
            for (k, e) in entries.enumerated() {
                if var p = point(e.start, e.agg) {
                    p.slot = k
                    points.append(p)
                }
            }
            return SeriesBlock(slots: n, decimals: d, points: points)
        }
        func reading(_ v: Double?) -> SeriesPoint? { v.map { SeriesPoint(slot: 0, value: $0) } }
        let blocks = [
            column(0) { s, _ in SeriesPoint(slot: 0, value: Double(s - span)) },
            column(0) { _, g in SeriesPoint(slot: 0, value: Double(g.count)) },
            column(0) { _, g in
                SeriesPoint(
                    slot: 0,
                    value: Double(
                        (g.provisional ? AggFlag.provisional : 0) | (g.interpolated ? AggFlag.interpolated : 0)))
            },
            column(0) { _, g in SeriesPoint(slot: 0, value: 0, cum: g.consumption) },
            column(decimals) { _, g in reading(g.min) },
            column(decimals) { _, g in reading(g.max) },
            column(decimals) { _, g in reading(g.first) },
            column(decimals) { _, g in reading(g.last) },
            column(decimals) { _, g in SeriesPoint(slot: 0, value: g.sum) },
            column(0) { _, g in
                g.peak == nil && g.peakStart == nil
                    ? nil : SeriesPoint(slot: 0, value: 0, cum: g.peak, hwm: g.peakStart)
            },
        ]
        return SeriesBundle.encode(blocks)
    }

    static func decode(_ bytes: [UInt8], span: Int64) throws(SeriesBlockError) -> [(start: Int64, agg: Aggregate)] {
        let c = try SeriesBundle.decode(bytes)
        guard c.count == columns else { throw .corrupt("\(c.count) aggregate columns, not \(columns)") }
        let n = c[0].slot.count
        // Start, count, flags and consumption are there for every bucket.
        for k in 0..<columns where c[k].slots != n || (k < 4 && c[k].slot.count != n) {
            throw .corrupt("aggregate column \(k) does not cover the block's \(n) buckets")
        }
        guard c[3].cum.count == n else { throw .corrupt("no consumption column") }
        var out: [(start: Int64, agg: Aggregate)] = []
        out.reserveCapacity(n)
        for k in 0..<n {
            let offset = c[0].value[k]
            let count = c[1].value[k]
            let flags = c[2].value[k]
            guard offset >= 0, offset < 1e9, count >= 0, count < 1e15, flags >= 0, flags < 4 else {
                throw .corrupt("bucket \(k): offset \(offset), count \(count), flags \(flags)")
            }
            var g = Aggregate()
            g.count = Int(count)
            g.provisional = Int64(flags) & AggFlag.provisional != 0
            g.interpolated = Int64(flags) & AggFlag.interpolated != 0
            g.consumption = c[3].cum[k] ?? 0
            out.append((span + Int64(offset), g))
        }
        // The optional fields, each over the buckets that have it.
        for (col, field) in [(4, \Aggregate.min), (5, \Aggregate.max), (6, \Aggregate.first), (7, \Aggregate.last)]
            as [(Int, WritableKeyPath<Aggregate, Double?>)]
        {
            for (j, slot) in c[col].slot.enumerated() { out[Int(slot)].agg[keyPath: field] = c[col].value[j] }
        }
        for (j, slot) in c[8].slot.enumerated() { out[Int(slot)].agg.sum = c[8].value[j] }
        for (j, slot) in c[9].slot.enumerated() {
            out[Int(slot)].agg.peak = c[9].cum.isEmpty ? nil : c[9].cum[j]
            out[Int(slot)].agg.peakStart = c[9].hwm.isEmpty ? nil : c[9].hwm[j]
        }
        return out
    }
}
