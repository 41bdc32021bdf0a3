/// Computes bucket aggregates from minute readings: pure, shared by roll-up and on-read paths.
public enum BucketAggregator {
    /// Gauge statistics of each bucket `[edges[i], edges[i+1])`.
    /// `readings` must be sorted by time.
    public static func gauge(_ readings: [Reading], edges: [Int64]) -> [Aggregate] {
        guard edges.count >= 2 else { return [] }
        var out = [Aggregate](repeating: Aggregate(), count: edges.count - 1)
        var b = 0
        for r in readings {
            guard r.ts >= edges[0] else { continue }
            while b < out.count && r.ts >= edges[b + 1] { b += 1 }
            guard b < out.count else { break }
            out[b].count += 1
            out[b].sum += r.value
            out[b].min = Swift.min(out[b].min ?? r.value, r.value)
            out[b].max = Swift.max(out[b].max ?? r.value, r.value)
        }
        return out
    }

    /// Counter aggregates of each bucket `[edges[i], edges[i+1])`.
    ///
    /// - Parameters:
    ///   - readings: readings inside `[edges.first, edges.last)`, sorted; those with `cum == nil`
    ///     (rejected spikes, readings under judgement) are ignored.
    ///   - before: the last valid reading before `edges.first`, if any.
    ///   - after: the first valid reading at or after `edges.last`, if any.
    public static func counter(
        _ readings: [Reading], edges: [Int64], before: Reading?, after: Reading?
    ) -> [Aggregate] {
        guard edges.count >= 2 else { return [] }
        var seq: [Reading] = []
        seq.reserveCapacity(readings.count + 2)
        if let b = before, b.cum != nil { seq.append(b) }
        for r in readings where r.cum != nil && r.ts >= edges[0] && r.ts < edges[edges.count - 1] {
            seq.append(r)
        }
        if let a = after, a.cum != nil { seq.append(a) }

        // Cumulative value at each edge, rounded to whole steps: consumption of a bucket is the
        // difference of its rounded edges, so children always add up to their parent.
        var edgeValues = [Int64?](repeating: nil, count: edges.count)
        var i = 0 // first index with seq[i].ts > edge
        for (k, e) in edges.enumerated() {
            while i < seq.count && seq[i].ts <= e { i += 1 }
            let lo = i > 0 ? seq[i - 1] : nil
            let hi = i < seq.count ? seq[i] : nil
            edgeValues[k] = cumulative(at: e, lo: lo, hi: hi)
        }
        let lastValid = seq.last?.ts
        let firstValid = seq.first?.ts

        var out = [Aggregate](repeating: Aggregate(), count: edges.count - 1)
        var b = 0
        for r in readings where r.cum != nil {
            guard r.ts >= edges[0] else { continue }
            while b < out.count && r.ts >= edges[b + 1] { b += 1 }
            guard b < out.count else { break }
            out[b].count += 1
            if out[b].first == nil { out[b].first = r.value }
            out[b].last = r.value
        }
        for k in 0..<out.count {
            let s = edges[k]
            let e = edges[k + 1]
            if let a = edgeValues[k], let z = edgeValues[k + 1] {
                out[k].consumption = Swift.max(0, z - a)
            }
            if let f = firstValid, let l = lastValid {
                // The bucket lies at least partly between two readings.
                out[k].interpolated = f < e && l > s && seq.count >= 2
            }
            if after == nil, let l = lastValid, e > l {
                // Past the last reading nothing is invented: the value may still grow once a
                // later reading closes the gap.
                out[k].provisional = out[k].hasData
            }
        }
        return out
    }

    /// C(t): the cumulative curve, linear between two readings, flat outside them.
    @inline(__always)
    static func cumulative(at t: Int64, lo: Reading?, hi: Reading?) -> Int64? {
        switch (lo, hi) {
        case (nil, nil): return nil
        case (let l?, nil): return l.cum
        case (nil, let h?): return h.cum
        case (let l?, let h?):
            guard let lc = l.cum, let hc = h.cum else { return nil }
            if l.ts == t || h.ts == l.ts { return lc }
            return lc + roundedDiv(hc - lc, t - l.ts, h.ts - l.ts)
        }
    }

    /// round(a * b / c) for c > 0, without overflow, halves away from zero.
    @inline(__always)
    static func roundedDiv(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64 {
        let neg = (a < 0) != (b < 0)
        let p = a.magnitude.multipliedFullWidth(by: b.magnitude)
        let (q, r) = c.magnitude.dividingFullWidth(p)
        let rounded = r * 2 >= c.magnitude ? q + 1 : q
        return neg ? -Int64(rounded) : Int64(rounded)
    }
}
