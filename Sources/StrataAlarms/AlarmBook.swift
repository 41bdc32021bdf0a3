import StrataCore

/// What one written minute shows the alarm rules.
public struct MinuteObservation: Sendable {
    public struct Event: Sendable, Equatable {
        public var device: String
        public var channel: String
        public var action: CounterAction
        public var ts: Int64
        public var value: Double

        public init(device: String, channel: String, action: CounterAction, ts: Int64, value: Double) {
            self.device = device
            self.channel = channel
            self.action = action
            self.ts = ts
            self.value = value
        }
    }

    public var minute: Int64
    /// Devices that gave a reading in this minute.
    public var answered: Set<String> = []
    /// The newest reading of each device, this minute or before (from the store).
    public var lastReading: [String: Int64] = [:]
    /// Gauge values of this minute by `device/channel`.
    public var gauges: [String: Double] = [:]
    public var events: [Event] = []
    /// Strata's own health as last reported (for system rules).
    public var system = SystemHealth()

    public init(minute: Int64) { self.minute = minute }
}

/// Every rule's machine, fed one written minute at a time.
public struct AlarmBook: Sendable {
    public private(set) var machines: [AlarmMachine]
    public let zone: ZoneRules

    public init(rules: [AlarmRule], phases: [String: AlarmPhase], zone: ZoneRules) {
        machines = rules.map { AlarmMachine(rule: $0, phase: phases[$0.id] ?? .inactive) }
        self.zone = zone
    }

    public var phases: [String: AlarmPhase] {
        var out: [String: AlarmPhase] = [:]
        for m in machines { out[m.rule.id] = m.phase }
        return out
    }

    /// The consumption windows that end exactly at `t` (their closing reading is the one at `t`).
    public func windowsEnding(at t: Int64) -> [(rule: AlarmRule, start: Int64, end: Int64)] {
        var out: [(AlarmRule, Int64, Int64)] = []
        for m in machines {
            guard case .consumption(_, let w, _, _) = m.rule.kind else { continue }
            let s = ConsumptionWindow(window: w, zone: zone).span(endingOn: zone.local(t).date)
            if s.end == t { out.append((m.rule, s.start, s.end)) }
        }
        return out
    }

    /// What a consumption rule judges a window by: its consumption, or with `per` the largest
    /// of its slices (nil: no data at all).
    public static func consumption(
        _ rule: AlarmRule, _ start: Int64, _ end: Int64, per: Int64?,
        consumed: (AlarmRule, Int64, Int64) -> Double?
    ) -> Double? {
        var worst: Double?
        for (a, b) in per.map({ ConsumptionWindow.slices(start, end, per: $0) }) ?? [(start, end)] {
            if let c = consumed(rule, a, b) { worst = max(worst ?? c, c) }
        }
        return worst
    }

    /// Late data (an import, a write retried): a consumption rule's windows overlapping
    /// `[from, to]` judged again in order, from the phase the log says the rule was in before
    /// the first (`prior`). Returns the notices and the phase after the last window; only
    /// windows closed by `closedBy` (the newest minute stored) are judged.
    public func revisit(
        _ rule: AlarmRule, from: Int64, to: Int64, closedBy: Int64, prior: AlarmPhase,
        consumed: (AlarmRule, Int64, Int64) -> Double?
    ) -> (notices: [AlarmNotice], phase: AlarmPhase, lastEnd: Int64?) {
        guard case .consumption(_, let w, _, let per) = rule.kind else { return ([], prior, nil) }
        var m = AlarmMachine(rule: rule, phase: prior)
        var out: [AlarmNotice] = []
        var lastEnd: Int64?
        for s in ConsumptionWindow(window: w, zone: zone).spans(overlapping: from, to) where s.end <= closedBy {
            out += m.windowClosed(
                at: s.end, consumed: Self.consumption(rule, s.start, s.end, per: per, consumed: consumed))
            lastEnd = s.end
        }
        return (out, m.phase, lastEnd)
    }

    /// Sets one rule's phase (after a revisit that reached the newest window).
    public mutating func adopt(_ phase: AlarmPhase, rule: String) {
        guard let i = machines.firstIndex(where: { $0.rule.id == rule }) else { return }
        machines[i] = AlarmMachine(rule: machines[i].rule, phase: phase)
    }

    /// The end of the window after the one ending at `end` (for deciding whether a revisit
    /// reached the newest window).
    public func nextWindowEnd(after end: Int64, rule: AlarmRule) -> Int64? {
        guard case .consumption(_, let w, _, _) = rule.kind else { return nil }
        let cw = ConsumptionWindow(window: w, zone: zone)
        let day = zone.local(end).date.daysSinceEpoch
        for d in day...(day + 2) {
            let s = cw.span(endingOn: CivilDate(daysSinceEpoch: d))
            if s.end > end { return s.end }
        }
        return nil
    }

    /// Evaluates only the system rules, at `minute`: a part reported a change between minutes
    /// (or while no minute is written at all, as when the clock is implausible).
    public mutating func evaluateSystem(minute: Int64, health: SystemHealth) -> [AlarmNotice] {
        var out: [AlarmNotice] = []
        for i in machines.indices {
            guard case .system = machines[i].rule.kind else { continue }
            out += machines[i].observe(minute: minute, health: health)
        }
        return out
    }

    /// Evaluates one minute. `consumed(rule, from, to)` gives a counter's consumption over a
    /// span (nil: no data); it is asked only for windows ending at this minute.
    public mutating func evaluate(_ o: MinuteObservation, consumed: (AlarmRule, Int64, Int64) -> Double?)
        -> [AlarmNotice]
    {
        var out: [AlarmNotice] = []
        for i in machines.indices {
            let rule = machines[i].rule
            switch rule.kind {
            case .offline:
                guard let d = rule.device else { continue }
                out += machines[i].observe(
                    minute: o.minute, answered: o.answered.contains(d), lastReading: o.lastReading[d])
            case .threshold(let channel, _, _, _):
                guard let d = rule.device else { continue }
                out += machines[i].observe(minute: o.minute, value: o.gauges["\(d)/\(channel)"])
            case .consumption(_, let w, _, let per):
                let s = ConsumptionWindow(window: w, zone: zone).span(endingOn: zone.local(o.minute).date)
                guard s.end == o.minute else { continue }
                out += machines[i].windowClosed(
                    at: o.minute, consumed: Self.consumption(rule, s.start, s.end, per: per, consumed: consumed))
            case .counterEvent(let channel, let actions):
                for e in o.events
                where actions.contains(e.action) && (rule.device == nil || rule.device == e.device)
                    && (channel == nil || channel == e.channel)
                {
                    // An event is raised and done: there is nothing to clear.
                    out.append(.raised(rule: rule.id, at: e.ts, value: e.value))
                }
            case .system:
                out += machines[i].observe(minute: o.minute, health: o.system)
            }
        }
        return out
    }
}
