/// Where one rule stands. Persisted in the store, so a restart neither raises an active alarm
/// again nor forgets it.
public enum AlarmPhase: Sendable, Equatable {
    case inactive
    /// The condition holds but not yet for long enough; never notifies.
    case pending(since: Int64, minutes: Int)
    /// Raised at `since`; last notified at `notified` (for `repeat`).
    case active(since: Int64, notified: Int64)
}

/// What a transition asks the world to do.
public enum AlarmNotice: Sendable, Equatable {
    case raised(rule: String, at: Int64, value: Double?)
    case repeated(rule: String, at: Int64, value: Double?)
    case cleared(rule: String, at: Int64, value: Double?, raisedAt: Int64)

    public var rule: String {
        switch self {
        case .raised(let r, _, _), .repeated(let r, _, _), .cleared(let r, _, _, _): r
        }
    }
}

/// The pure transitions of one rule: inactive → pending → active → cleared (inactive again).
/// Times are minute starts, UTC seconds; nothing here reads a clock.
public struct AlarmMachine: Sendable, Equatable {
    public let rule: AlarmRule
    public private(set) var phase: AlarmPhase

    public init(rule: AlarmRule, phase: AlarmPhase = .inactive) {
        self.rule = rule
        self.phase = phase
    }

    /// A threshold rule sees one minute: its gauge's value, or nil for a gap. A gap neither
    /// counts towards `for` nor clears: a meter that stops answering during an overload has
    /// not stopped being overloaded.
    public mutating func observe(minute t: Int64, value: Double?) -> [AlarmNotice] {
        guard case .threshold(_, let limit, let clear, let seconds) = rule.kind, let v = value else { return [] }
        let needed = max(1, Int((seconds + 59) / 60))
        switch phase {
        case .inactive:
            guard limit.breached(by: v) else { return [] }
            phase = .pending(since: t, minutes: 1)
            return promote(t, needed: needed, value: v)
        case .pending(let since, let n):
            guard limit.breached(by: v) else {
                phase = .inactive
                return []
            }
            phase = .pending(since: since, minutes: n + 1)
            return promote(t, needed: needed, value: v)
        case .active(let since, _):
            if limit.cleared(by: v, clear: clear) {
                phase = .inactive
                return [.cleared(rule: rule.id, at: t, value: v, raisedAt: since)]
            }
            return repeatIfDue(t, value: v)
        }
    }

    private mutating func promote(_ t: Int64, needed: Int, value: Double) -> [AlarmNotice] {
        guard case .pending(_, let n) = phase, n >= needed else { return [] }
        phase = .active(since: t, notified: t)
        return [.raised(rule: rule.id, at: t, value: value)]
    }

    private mutating func repeatIfDue(_ t: Int64, value: Double?) -> [AlarmNotice] {
        guard case .active(let since, let notified) = phase, let every = rule.repeatEvery, t - notified >= every else {
            return []
        }
        phase = .active(since: since, notified: t)
        return [.repeated(rule: rule.id, at: t, value: value)]
    }

    /// An offline rule sees one minute: whether the device gave a reading, and when it last
    /// did (from the store, so a stop of the process counts: a meter dead since before the
    /// start is raised once at the first minute evaluated).
    public mutating func observe(minute t: Int64, answered: Bool, lastReading: Int64?) -> [AlarmNotice] {
        guard case .offline(let seconds) = rule.kind else { return [] }
        switch phase {
        case .inactive, .pending:
            if answered {
                phase = .inactive
                return []
            }
            // Never read at all: the silence is counted from the first minute observed.
            var from = lastReading
            if from == nil {
                if case .pending(let since, _) = phase { from = since } else { phase = .pending(since: t, minutes: 0) }
            }
            let silent = t - (from ?? t)
            guard silent >= seconds else { return [] }
            phase = .active(since: t, notified: t)
            return [.raised(rule: rule.id, at: t, value: Double(silent) / 60)]
        case .active(let since, _):
            if answered {
                phase = .inactive
                return [.cleared(rule: rule.id, at: t, value: Double(t - since) / 60, raisedAt: since)]
            }
            return repeatIfDue(t, value: lastReading.map { Double(t - $0) / 60 })
        }
    }

    /// A system rule sees Strata's health (at each written minute, and whenever a part
    /// reports a change). It clears only once every check it watches has reported since the
    /// start and none is in trouble: a restart does not clear an alarm that still holds.
    public mutating func observe(minute t: Int64, health h: SystemHealth) -> [AlarmNotice] {
        guard case .system(let checks, let above, let clear, let seconds) = rule.kind else { return [] }
        let known = checks.sorted().compactMap { c in
            h.state(c, above: above, clear: clear).map { (check: c, state: $0) }
        }
        guard !known.isEmpty else { return [] }
        let raising = known.filter(\.state.raise).map(\.check)
        let single = checks.count == 1 ? checks.first.flatMap(h.value) : nil
        switch phase {
        case .inactive, .pending:
            guard let first = raising.first else {
                phase = .inactive
                return []
            }
            var since = t
            var n = 0
            if case .pending(let s, let m) = phase { (since, n) = (s, m) }
            guard t - since >= seconds else {
                phase = .pending(since: since, minutes: n + 1)
                return []
            }
            phase = .active(since: t, notified: t)
            return [.raised(rule: rule.id, at: t, value: h.value(first))]
        case .active(let since, _):
            if known.count == checks.count, !known.contains(where: \.state.hold) {
                phase = .inactive
                return [.cleared(rule: rule.id, at: t, value: single, raisedAt: since)]
            }
            return repeatIfDue(t, value: raising.first.flatMap(h.value) ?? single)
        }
    }

    /// A consumption rule at the end of one of its windows: what was consumed (nil: no data
    /// at all, which says nothing). Raised when over the limit, cleared at the end of the
    /// first window that is not.
    public mutating func windowClosed(at t: Int64, consumed: Double?) -> [AlarmNotice] {
        guard case .consumption(_, _, let above, _) = rule.kind, let c = consumed else { return [] }
        switch phase {
        case .inactive, .pending:
            guard c > above else { return [] }
            phase = .active(since: t, notified: t)
            return [.raised(rule: rule.id, at: t, value: c)]
        case .active(let since, _):
            if c <= above {
                phase = .inactive
                return [.cleared(rule: rule.id, at: t, value: c, raisedAt: since)]
            }
            phase = .active(since: since, notified: t)
            return [.repeated(rule: rule.id, at: t, value: c)]
        }
    }
}
