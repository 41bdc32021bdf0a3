import StrataCore

/// A calculated channel (`[[calculated]]`) resolved to store ids.
struct CalculatedPlan {
    let slot: Int
    let id: Int64
    let spec: ChannelSpec
    /// Each input: its id, sign, and for counters the factor from its steps to the channel's.
    let inputs: [(id: Int64, negative: Bool, factor: Int64)]
}

extension Store {
    /// Resolves each calculated channel's formula. The formula is kept in the store: a changed
    /// formula under the same id would leave old buckets computed one way and new ones another.
    func planCalculated() throws(StoreError) {
        calculated = []
        for (slot, c) in channels.enumerated() {
            guard let terms = c.spec.formula else { continue }
            var inputs: [(id: Int64, negative: Bool, factor: Int64)] = []
            for t in terms {
                guard let id = byName[key(t.device, t.channel)], let input = byID[id] else {
                    throw .unknownChannel(device: t.device, channel: t.channel)
                }
                let shift = c.spec.resolution.decimals - input.spec.resolution.decimals
                guard shift >= 0, shift <= 9 else {
                    throw .channelChanged(
                        device: c.spec.device, channel: c.spec.id,
                        what:
                            "resolution (\(c.spec.resolution) is coarser than input \(t.device).\(t.channel)'s \(input.spec.resolution))"
                    )
                }
                var f: Int64 = 1
                for _ in 0..<shift { f *= 10 }
                inputs.append((id, t.negative, f))
            }
            let text = FormulaTerm.text(terms)
            let metaKey = "formula.\(c.spec.device).\(c.spec.id)"
            if let old = try meta(metaKey), old != text {
                throw .channelChanged(
                    device: c.spec.device, channel: c.spec.id,
                    what:
                        "formula (\(old) → \(text)); give the new formula a new id, so the old buckets keep their meaning"
                )
            }
            try setMeta(metaKey, text)
            calculated.append(CalculatedPlan(slot: slot, id: c.id, spec: c.spec, inputs: inputs))
        }
    }

    /// The readings of the calculated channels over the ranges where their inputs changed: at
    /// each minute where every input has a (decided) reading, the signed sum of the inputs'
    /// cumulative values (counters, exact in integer steps) or values (gauges). Minutes whose
    /// derived value is already stored are left out, so the live path only appends.
    func deriveCalculated(touched: [Int64: (Int64, Int64)]) throws(StoreError) -> [(Int, [Reading])] {
        var plans: [CalculatedPlan] = []
        var span: (Int64, Int64)?
        for plan in calculated {
            var hit = false
            for i in plan.inputs {
                guard let r = touched[i.id] else { continue }
                hit = true
                span = span.map { (min($0.0, r.0), max($0.1, r.1)) } ?? r
            }
            if hit { plans.append(plan) }
        }
        guard let (a, b) = span else { return [] }
        // One read of every input's minutes in the span, shared by all the channels: the live
        // path reads two minutes of a few thousand channels once, not once per channel.
        return try derive(plans, from: a, to: b)
    }

    func derive(_ plans: [CalculatedPlan], from a: Int64, to b: Int64) throws(StoreError) -> [(Int, [Reading])] {
        var wanted = Set<Int64>()
        for p in plans {
            wanted.insert(p.id)
            for i in p.inputs { wanted.insert(i.id) }
        }
        let rows = try minute.byChannel(from: a, to: b, wanted: wanted)
        return plans.map { ($0.slot, derive($0, rows)) }
    }

    /// One channel's readings from the inputs' rows.
    func derive(_ plan: CalculatedPlan, _ rows: [Int64: [MinuteRow]]) -> [Reading] {
        let counter = plan.spec.kind == .counter
        // Per input, ts → steps (counters) or value (gauges), decided readings only.
        var steps: [[Int64: Int64]] = []
        var values: [[Int64: Double]] = []
        for i in plan.inputs {
            var s: [Int64: Int64] = [:]
            var v: [Int64: Double] = [:]
            for r in rows[i.id] ?? [] {
                if counter {
                    if let c = r.cum { s[r.ts] = c * i.factor }
                } else {
                    v[r.ts] = r.value
                }
            }
            steps.append(s)
            values.append(v)
        }
        var stored: [Int64: Double] = [:]
        for r in rows[plan.id] ?? [] { stored[r.ts] = r.value }
        let times = counter ? steps.first.map { Array($0.keys) } ?? [] : values.first.map { Array($0.keys) } ?? []
        var out: [Reading] = []
        for ts in times.sorted() {
            var total: Int64 = 0
            var sum = 0.0
            var complete = true
            for (k, i) in plan.inputs.enumerated() {
                if counter {
                    guard let s = steps[k][ts] else {
                        complete = false
                        break
                    }
                    total += i.negative ? -s : s
                } else {
                    guard let v = values[k][ts] else {
                        complete = false
                        break
                    }
                    sum += i.negative ? -v : v
                }
            }
            guard complete else { continue }
            let value =
                counter
                ? plan.spec.resolution.value(ofSteps: total)
                : plan.spec.resolution.value(ofSteps: plan.spec.resolution.steps(sum))
            if stored[ts] == value { continue }
            out.append(Reading(ts: ts, value: value))
        }
        return out
    }

    /// Computes the calculated channels over their inputs' stored minutes where they have none
    /// yet (a channel added to a site with history, or inputs imported before it existed), one
    /// day a transaction. Minutes already pruned from the inputs cannot be derived.
    @discardableResult
    public func backfillCalculated() throws(StoreError) -> Int {
        // Each channel's missing spans: before its first minute and after its last, where every
        // input has minutes (only there can anything be derived).
        var todo: [(CalculatedPlan, Int64, Int64)] = []
        guard !calculated.isEmpty else { return 0 }
        let bounds = try minute.boundsByChannel()
        for plan in calculated {
            var range: (Int64, Int64)? = nil
            var missing = false
            for i in plan.inputs {
                guard let r = bounds[i.id] else {
                    missing = true
                    break
                }
                range = range.map { (max($0.0, r.0), min($0.1, r.1)) } ?? r
            }
            guard !missing, let range, range.0 <= range.1 else { continue }
            if let h = bounds[plan.id] {
                if range.0 < h.0 { todo.append((plan, range.0, h.0)) }
                if range.1 > h.1 { todo.append((plan, h.1 + 60, range.1 + 60)) }
            } else {
                todo.append((plan, range.0, range.1 + 60))
            }
        }
        guard let first = todo.map(\.1).min(), let last = todo.map(\.2).max() else { return 0 }
        var written = 0
        // A UTC day at a time, every channel that needs it in one read and one transaction.
        var from = MinuteTier.dayStart(first)
        while from < last {
            let to = from + 86_400
            let plans = todo.filter { $0.1 < to && $0.2 > from }.map(\.0)
            if !plans.isEmpty {
                try db.transaction { () throws(StoreError) in
                    var batch = WriteBatch()
                    var result = WriteResult()
                    for (slot, readings) in try derive(plans, from: from, to: to) where !readings.isEmpty {
                        try writeSlot(slot, readings.map { ($0.ts, $0.value) }, &batch, &result)
                    }
                    try minute.flush()
                    written += result.rows
                    try recordDirty(batch)
                }
            }
            from = to
        }
        return written
    }
}
