import StrataCore

/// One value of one channel at one time.
public struct Sample: Sendable, Equatable {
    public var channel: Int64
    public var ts: Int64
    public var value: Double

    public init(channel: Int64, ts: Int64, value: Double) {
        self.channel = channel
        self.ts = ts
        self.value = value
    }
}

/// What one write did.
public struct WriteResult: Sendable, Equatable {
    public var rows = 0
    public var events: [CounterEvent] = []
    /// The channel of each of `events`, in the same order.
    public var eventChannels: [Int64] = []
    /// Samples older than what the minute tier still keeps: refused, since the aggregates
    /// they would change are final.
    public var tooOld = 0
    /// Samples refused as bad readings: a value its channel's resolution cannot hold
    /// (`Resolution.accepts`) or a time outside `PlausibleTime`. The edges (sampler, import)
    /// refuse them first and say where; this is the last line, so no caller can crash the
    /// roll-up or skew an aggregate with one.
    public var implausible = 0
    /// The calculated channels' readings this write derived (and stored) from its inputs, for
    /// those who pass the written values on (MQTT).
    public var derived: [Sample] = []
}

extension Store {
    /// Writes samples in one transaction: all of them are committed, or none.
    ///
    /// Times are floored to the UTC minute; a minute written again replaces the old value, so a
    /// re-import changes nothing. Counter readings pass through jitter, rollover, reset and
    /// spike handling; ranges whose closed buckets change are recorded for the next roll-up.
    @discardableResult
    public func write(_ samples: [Sample], statuses: [DeviceStatus] = []) throws(StoreError) -> WriteResult {
        // Grouped by channel through a dense slot table: no hashing per sample.
        var groups = [[(ts: Int64, value: Double)]](repeating: [], count: channels.count)
        var result = WriteResult()
        let gaugeHorizon = minuteHorizon[.gauge] ?? Int64.min
        let counterHorizon = minuteHorizon[.counter] ?? Int64.min
        for s in samples {
            guard s.channel >= 0, s.channel < slotOfID.count, slotOfID[Int(s.channel)] >= 0 else {
                throw .unknownChannel(device: "?", channel: "#\(s.channel)")
            }
            let slot = Int(slotOfID[Int(s.channel)])
            guard PlausibleTime.contains(s.ts), channels[slot].spec.resolution.accepts(s.value) else {
                result.implausible += 1
                continue
            }
            let ts = s.ts - floorMod(s.ts, 60)
            if ts < (channels[slot].spec.kind == .gauge ? gaugeHorizon : counterHorizon) {
                result.tooOld += 1
                continue
            }
            groups[slot].append((ts, s.value))
        }
        defer { minute.discard() }
        let firstTsBefore = firstTs
        do {
            try writeGroups(groups, statuses, &result)
            // A progress marker: every minute up to `through` is durable from here on.
            if logger.logLevel <= .debug, let through = groups.lazy.flatMap({ $0 }).map(\.ts).max() {
                logger.debug("minutes committed", metadata: ["through": "\(through)", "rows": "\(result.rows)"])
            }
        } catch {
            // Rolled back (full disk, I/O error): the cached counter states and bounds may be
            // ahead of the store; drop them so the next write starts from what is committed.
            firstTs = firstTsBefore
            for (slot, raw) in groups.enumerated() where !raw.isEmpty {
                counters[channels[slot].id] = nil
                tailTs[channels[slot].id] = nil
            }
            anchors = [:]
            anchorsLoaded = false
            throw error
        }
        return result
    }

    private func writeGroups(
        _ groups: [[(ts: Int64, value: Double)]], _ statuses: [DeviceStatus], _ result: inout WriteResult
    ) throws(StoreError) {
        try db.transaction { () throws(StoreError) in
            if !statuses.isEmpty { try saveStatuses(statuses) }
            var batch = WriteBatch()
            for (slot, raw) in groups.enumerated() where !raw.isEmpty {
                // Calculated channels are derived below, never written from outside.
                if channels[slot].spec.formula != nil { continue }
                try writeSlot(slot, raw, &batch, &result)
            }
            try minute.flush()
            if !calculated.isEmpty && !batch.touched.isEmpty {
                for (slot, readings) in try deriveCalculated(touched: batch.touched) where !readings.isEmpty {
                    try writeSlot(slot, readings.map { ($0.ts, $0.value) }, &batch, &result)
                    let id = channels[slot].id
                    result.derived += readings.map { Sample(channel: id, ts: $0.ts, value: $0.value) }
                }
                try minute.flush()
            }
            try recordDirty(batch)
        }
    }

    /// The batch's changed ranges, for the next roll-up, and its stale anchors dropped.
    func recordDirty(_ batch: WriteBatch) throws(StoreError) {
        for (ch, ts) in batch.firstTs { try db.exec("UPDATE channel SET first_ts = \(ts) WHERE id = \(ch)") }
        for ch in batch.staleAnchors {
            // Its reading before the watermark may have changed.
            anchors[ch] = nil
            if anchorsLoaded, let r = try minute.lastAccepted(channel: ch, before: watermark) {
                anchors[ch] = r.reading
            }
        }
        if !batch.dirty.isEmpty {
            let ins = try db.prepare("INSERT INTO dirty(channel, from_ts, to_ts) VALUES (?1, ?2, ?3)")
            for (c, a, b) in batch.dirty {
                try ins.bind([.int(c), .int(a), .int(b)])
                try ins.run()
            }
        }
    }

    /// What one transaction's channels changed, for the roll-up and the calculated channels.
    struct WriteBatch {
        var dirty: [(Int64, Int64, Int64)] = []
        var staleAnchors: [Int64] = []
        /// Per channel id: the time range whose readings (or cumulative values) changed.
        var touched: [Int64: (Int64, Int64)] = [:]
        /// Channels whose first minute moved earlier, to record in `channel.first_ts`.
        var firstTs: [(Int64, Int64)] = []
    }

    func writeSlot(
        _ slot: Int, _ raw: [(ts: Int64, value: Double)], _ batch: inout WriteBatch, _ result: inout WriteResult
    ) throws(StoreError) {
        let ch = channels[slot].id
        let spec = channels[slot].spec
        // Sorted, one value per minute, the last given winning.
        var isSorted = true
        for k in raw.indices.dropFirst() where raw[k].ts < raw[k - 1].ts {
            isSorted = false
            break
        }
        let sorted =
            isSorted
            ? raw : raw.enumerated().sorted { ($0.element.ts, $0.offset) < ($1.element.ts, $1.offset) }.map(\.element)
        var readings: [Reading] = []
        readings.reserveCapacity(sorted.count)
        for r in sorted {
            if let l = readings.last, l.ts == r.ts {
                readings[readings.count - 1].value = r.value
            } else {
                readings.append(Reading(ts: r.ts, value: r.value))
            }
        }
        guard let first = readings.first, let last = readings.last else { return }
        result.rows += readings.count
        // Recorded after the write: a channel without data so far needs no look-back for its
        // counter state (that look-back scans the day's rows of every channel).
        defer {
            if firstTs[ch].map({ first.ts < $0 }) ?? true {
                firstTs[ch] = first.ts
                batch.firstTs.append((ch, first.ts))
            }
        }
        switch spec.kind {
        case .gauge:
            for r in readings { minute.write(MinuteRow(ts: r.ts, channel: ch, value: r.value)) }
            if first.ts < watermark { batch.dirty.append((ch, first.ts, last.ts + 60)) }
            batch.touched[ch] = (first.ts, last.ts + 60)
        case .counter:
            let (range, events) = try writeCounter(ch, spec: spec, readings)
            result.events += events
            result.eventChannels += Array(repeating: ch, count: events.count)
            if let (a, b) = range, a < watermark {
                batch.dirty.append((ch, a, b))
                batch.staleAnchors.append(ch)
            }
            batch.touched[ch] = range ?? (first.ts, last.ts + 60)
        }
    }

    func processorConfig(_ spec: ChannelSpec) -> CounterProcessor.Config {
        CounterProcessor.Config(
            resolution: spec.resolution, rollover: spec.rollover, maxRate: spec.maxRate,
            dropsAreJitter: spec.formula != nil)
    }

    func state(from row: MinuteRow, _ spec: ChannelSpec) -> CounterProcessor.State? {
        guard let cum = row.cum else { return nil }
        return CounterProcessor.State(
            ts: row.ts, value: row.value, hwm: row.hwm ?? spec.resolution.steps(row.value), cum: cum)
    }

    /// The counter's processor after its newest stored row, loaded once per process.
    func loadCounter(_ ch: Int64, _ spec: ChannelSpec) throws(StoreError) -> CounterProcessor {
        if let p = counters[ch] { return p }
        var p = CounterProcessor(config: processorConfig(spec))
        var tail: Int64? = nil
        if firstTs[ch] != nil {
            let anchor = try minute.lastAccepted(channel: ch, before: Int64.max)
            if let a = anchor, let st = state(from: a, spec) {
                p = CounterProcessor(config: processorConfig(spec), state: st)
                tail = a.ts
            }
            // Readings still under judgement (after a jump) sit after the last accepted one.
            for r in try minute.rows(channel: ch, from: (anchor?.ts ?? Int64.min) + 1, limit: 64) {
                _ = p.process(ts: r.ts, value: r.value)
                tail = r.ts
            }
        }
        counters[ch] = p
        if let t = tail { tailTs[ch] = t }
        return p
    }

    /// Writes counter readings; returns the time range whose buckets changed and the events.
    func writeCounter(_ ch: Int64, spec: ChannelSpec, _ readings: [Reading]) throws(StoreError) -> (
        (Int64, Int64)?, [CounterEvent]
    ) {
        guard let first = readings.first, let last = readings.last else { return (nil, []) }
        var p = try loadCounter(ch, spec)
        if tailTs[ch].map({ first.ts > $0 }) ?? true {
            // Appending after everything stored: the common case, no look-back.
            let prevTs = p.state?.ts
            var events: [CounterEvent] = []
            for r in readings {
                if let (cum, hwm) = p.advance(ts: r.ts, value: r.value) {
                    minute.write(MinuteRow(ts: r.ts, channel: ch, value: r.value, cum: cum, hwm: hwm))
                    continue
                }
                let o = p.process(ts: r.ts, value: r.value)
                if o.decided.allSatisfy({ $0.ts != r.ts }) {
                    // Under judgement: stored without a cumulative value until decided.
                    minute.write(MinuteRow(ts: r.ts, channel: ch, value: r.value))
                }
                try apply(o, ch)
                events += o.events
            }
            try insertEvents(ch, events)
            counters[ch] = p
            tailTs[ch] = last.ts
            let start = min(prevTs ?? first.ts, first.ts)
            return ((start, last.ts + 60), events)
        }
        return try rewriteCounter(ch, spec: spec, readings)
    }

    /// Late or repeated data: re-judges the chain from the last accepted reading before the
    /// new ones until the stored chain agrees again.
    func rewriteCounter(_ ch: Int64, spec: ChannelSpec, _ readings: [Reading]) throws(StoreError) -> (
        (Int64, Int64)?, [CounterEvent]
    ) {
        guard let first = readings.first, let last = readings.last else { return (nil, []) }
        let anchor = try minute.lastAccepted(channel: ch, before: first.ts)
        var p = CounterProcessor(config: processorConfig(spec), state: anchor.flatMap { state(from: $0, spec) })
        var cursor = (anchor?.ts ?? Int64.min) + 1
        var ni = 0
        var events: [CounterEvent] = []
        var stopTs: Int64? = nil
        var lastSeen = last.ts
        let chunk = 4096
        outer: while true {
            let existing = try minute.rows(channel: ch, from: cursor, limit: chunk)
            var ei = 0
            while ei < existing.count || ni < readings.count {
                // More stored rows follow this chunk: fetch them before judging what comes first.
                if ei == existing.count && existing.count == chunk { break }
                let takeNew: Bool
                if ni < readings.count && ei < existing.count {
                    takeNew = readings[ni].ts <= existing[ei].ts
                } else {
                    takeNew = ni < readings.count
                }
                let item: Reading
                var stored: MinuteRow? = nil
                if takeNew {
                    item = readings[ni]
                    if ei < existing.count && existing[ei].ts == item.ts { ei += 1 }
                    ni += 1
                } else {
                    let e = existing[ei]
                    item = Reading(ts: e.ts, value: e.value)
                    stored = e
                    ei += 1
                }
                lastSeen = max(lastSeen, item.ts)
                let o = p.process(ts: item.ts, value: item.value)
                if let s = stored, ni == readings.count, p.pending.isEmpty, o.decided.count == 1,
                    o.decided[0].ts == s.ts, o.decided[0].cum == s.cum, o.hwm[s.ts] == s.hwm
                {
                    stopTs = s.ts
                    break outer
                }
                try apply(o, ch)
                events += o.events
                if o.decided.allSatisfy({ $0.ts != item.ts }) {
                    minute.write(MinuteRow(ts: item.ts, channel: ch, value: item.value))
                }
            }
            if existing.count < chunk { break }
            cursor = existing[existing.count - 1].ts + 1
        }
        let from = anchor?.ts ?? first.ts
        let to = stopTs ?? (lastSeen + 60)
        try db.exec("DELETE FROM counter_event WHERE channel = \(ch) AND ts > \(from) AND ts < \(to)")
        try insertEvents(ch, events)
        if stopTs == nil {
            counters[ch] = p
            tailTs[ch] = lastSeen
        } else {
            counters[ch] = nil
            tailTs[ch] = nil
        }
        return ((from, to), events)
    }

    private func apply(_ o: CounterProcessor.Output, _ ch: Int64) throws(StoreError) {
        for d in o.decided {
            minute.write(MinuteRow(ts: d.ts, channel: ch, value: d.value, cum: d.cum, hwm: o.hwm[d.ts]))
        }
    }

    func insertEvents(_ ch: Int64, _ events: [CounterEvent]) throws(StoreError) {
        guard !events.isEmpty else { return }
        let st = try db.prepare(
            "INSERT OR REPLACE INTO counter_event(channel, ts, old, new, action) VALUES (?1, ?2, ?3, ?4, ?5)")
        for e in events {
            try st.bind([.int(ch), .int(e.ts), .double(e.oldValue), .double(e.newValue), .text(e.action.rawValue)])
            try st.run()
            logger.notice(
                "counter event",
                metadata: [
                    "channel": "\(byID[ch]?.spec.device ?? "?").\(byID[ch]?.spec.id ?? "?")",
                    "ts": "\(e.ts)", "old": "\(e.oldValue)", "new": "\(e.newValue)", "action": "\(e.action.rawValue)",
                ])
        }
    }
}
