import Foundation
import Logging
import StrataAlarms
import StrataConfig
import StrataCore
import StrataStore

/// The alarm rules beside the store's writer: after each write it shows the rules the minutes
/// written, saves their phases and the log in the store, and leaves the e-mails to the report
/// service (which takes unqueued log lines into the durable outbox).
package struct AlarmKeeper {
    /// While set, alarm log lines are recorded in the store but not logged; `unlogged` counts them.
    package var quiet = false
    package var unlogged = 0
    var book: AlarmBook
    let rules: [String: AlarmRule]
    let logger: Logger
    /// Strata's own health as its parts last reported it (for system rules).
    var health = SystemHealth()
    let hasSystemRules: Bool
    /// The newest minute evaluated: a minute at or before it written again is late data.
    var evaluatedThrough: Int64?

    package init(config: StrataConfig, store: Store, logger: Logger) throws(StoreError) {
        var phases: [String: AlarmPhase] = [:]
        for (rule, s) in try store.alarmStates() { phases[rule] = Self.phase(s) }
        book = AlarmBook(rules: config.alarms, phases: phases, zone: config.site.zone)
        var r: [String: AlarmRule] = [:]
        for rule in config.alarms { r[rule.id] = rule }
        rules = r
        self.logger = logger
        hasSystemRules = config.alarms.contains(where: \.isSystem)
        evaluatedThrough = try store.newestMinute()
    }

    static func phase(_ s: StoredAlarmState) -> AlarmPhase {
        switch s.phase {
        case "pending": .pending(since: s.since ?? 0, minutes: s.minutes)
        case "active": .active(since: s.since ?? 0, notified: s.notified ?? s.since ?? 0)
        default: .inactive
        }
    }

    static func stored(_ rule: String, _ p: AlarmPhase) -> StoredAlarmState {
        switch p {
        case .inactive: StoredAlarmState(rule: rule, phase: "inactive", since: nil, minutes: 0, notified: nil)
        case .pending(let since, let n):
            StoredAlarmState(rule: rule, phase: "pending", since: since, minutes: n, notified: nil)
        case .active(let since, let notified):
            StoredAlarmState(rule: rule, phase: "active", since: since, minutes: 0, notified: notified)
        }
    }

    /// Evaluates the minutes of one write, oldest first.
    package mutating func written(_ samples: [Sample], statuses: [DeviceStatus], result: WriteResult, store: Store)
        throws(StoreError)
    {
        // The minutes written, and the minute of the round even when no meter answered in it
        // (when every meter is dead, a round writes statuses only: offline must still be seen).
        let attempted = statuses.compactMap(\.lastAttempt).map { $0 - floorMod($0, 60) }
        let all = Set(samples.map(\.ts) + attempted).sorted()
        guard let newest = all.last else { return }
        // Late minutes (a write retried after newer ones) only change consumption windows:
        // an offline or threshold rule never goes back in time.
        let through = evaluatedThrough ?? Int64.min
        let minutes = all.filter { $0 > through }
        evaluatedThrough = max(through, newest)
        if let lateFrom = all.first, lateFrom <= through {
            let late = samples.filter { $0.ts <= through }
            try revisit(
                channels: Set(late.map(\.channel)), from: lateFrom, to: min(through, late.map(\.ts).max() ?? lateFrom),
                store: store)
        }
        guard !minutes.isEmpty else { return }
        var byID: [Int64: StoredChannel] = [:]
        for c in store.channels { byID[c.id] = c }
        var last: [String: Int64] = [:]
        for (d, s) in try store.deviceStatuses() { if let ok = s.lastSuccess { last[d] = ok } }
        for s in statuses { if let ok = s.lastSuccess { last[s.device] = max(last[s.device] ?? ok, ok) } }
        let before = book.phases
        var log: [AlarmLogEntry] = []
        // Grouped once: a catch-up writes many minutes of many channels in one batch.
        var byMinute: [Int64: [Int]] = [:]
        for (i, s) in samples.enumerated() { byMinute[s.ts, default: []].append(i) }
        var eventsByMinute: [Int64: [MinuteObservation.Event]] = [:]
        for (e, ch) in zip(result.events, result.eventChannels) {
            guard let c = byID[ch] else { continue }
            eventsByMinute[e.ts, default: []].append(
                .init(device: c.spec.device, channel: c.spec.id, action: e.action, ts: e.ts, value: e.newValue))
        }
        for m in minutes {
            var o = MinuteObservation(minute: m)
            for i in byMinute[m] ?? [] {
                let s = samples[i]
                guard let c = byID[s.channel] else { continue }
                o.answered.insert(c.spec.device)
                if c.spec.kind == .gauge { o.gauges["\(c.spec.device)/\(c.spec.id)"] = s.value }
            }
            o.lastReading = last
            for d in o.answered { o.lastReading[d] = max(o.lastReading[d] ?? m, m) }
            o.events = eventsByMinute[m] ?? []
            o.system = health
            // The windows closing now are read together: one pass over the store for every
            // consumption rule, not one per rule and slice.
            let closing = book.windowsEnding(at: m)
            let table =
                closing.isEmpty
                ? nil
                : ConsumptionTable(
                    rules: closing.map(\.rule), from: closing.map(\.start).min() ?? m, to: m, store: store)
            let notices = book.evaluate(o) { rule, a, b in table?.consumed(rule, from: a, to: b) }
            for n in notices { log.append(entry(n)) }
        }
        try save(before: before, log: log, store: store)
    }

    /// Late data for `channels` over `[from, to]`: the consumption rules on them judge the
    /// windows it touches again. New notices go to the log (a window judged the same as before
    /// adds nothing); the rule's phase is taken over only when the revisit reached its newest
    /// closed window, so a live evaluation ahead of the late data is not set back.
    mutating func revisit(channels: Set<Int64>, from: Int64, to: Int64, store: Store) throws(StoreError) {
        guard let closedBy = try store.newestMinute() else { return }
        var log: [AlarmLogEntry] = []
        let before = book.phases
        for m in book.machines {
            let rule = m.rule
            guard case .consumption(let ch, let w, _, _) = rule.kind, let d = rule.device,
                let c = try? store.channel(device: d, channel: ch), channels.contains(c.id)
            else { continue }
            // Every window the late data touches, read in one pass (as for live minutes).
            let spans = ConsumptionWindow(window: w, zone: book.zone).spans(overlapping: from, to).filter {
                $0.end <= closedBy
            }
            guard let lo = spans.first?.start, let hi = spans.last?.end else { continue }
            let table = ConsumptionTable(rules: [rule], from: lo, to: hi, store: store)
            var prior = AlarmPhase.inactive
            if let last = try store.lastAlarm(rule: rule.id, before: from), last.event != "cleared" {
                let raised =
                    last.event == "raised" ? last : try store.lastAlarm(rule: rule.id, before: from, event: "raised")
                prior = .active(since: raised?.at ?? last.at, notified: last.at)
            }
            let r = book.revisit(rule, from: from, to: to, closedBy: closedBy, prior: prior) { rule, a, b in
                table.consumed(rule, from: a, to: b)
            }
            guard let lastEnd = r.lastEnd else { continue }
            var known = Set<String>()
            for e in try store.alarmLog(from: from, to: lastEnd + 1) where e.rule == rule.id {
                known.insert("\(e.event) \(e.at)")
            }
            for n in r.notices {
                let e = entry(n)
                if !known.contains("\(e.event) \(e.at)") { log.append(e) }
            }
            if (book.nextWindowEnd(after: lastEnd, rule: rule) ?? Int64.max) > closedBy {
                book.adopt(r.phase, rule: rule.id)
            }
        }
        try save(before: before, log: log, store: store)
    }

    /// A part of Strata reports its health; system rules are evaluated at once when it changed.
    package mutating func report(_ update: (inout SystemHealth) -> Void, now: Int64, store: Store) throws(StoreError) {
        var h = health
        update(&h)
        guard h != health else { return }
        health = h
        guard hasSystemRules else { return }
        let before = book.phases
        let log = book.evaluateSystem(minute: now - floorMod(now, 60), health: h).map(entry)
        try save(before: before, log: log, store: store)
    }

    private mutating func save(before: [String: AlarmPhase], log: [AlarmLogEntry], store: Store) throws(StoreError) {
        let changed = book.phases.filter { before[$0.key] != $0.value }.map { Self.stored($0.key, $0.value) }
        try store.recordAlarms(states: changed, log: log)
        // A back-fill's notices are counted and summed up by its caller, not logged one by one
        // into the middle of its progress line.
        if quiet {
            unlogged += log.count
            return
        }
        for e in log {
            logger.notice(
                "alarm \(e.event)",
                metadata: [
                    "rule": "\(e.rule)", "device": "\(e.device ?? "-")",
                    "value": "\(e.value.map { String(format: "%g", $0) } ?? "-")",
                ])
        }
    }

    func entry(_ n: AlarmNotice) -> AlarmLogEntry {
        let (id, event, at, value, raisedAt): (String, String, Int64, Double?, Int64?) =
            switch n {
            case .raised(let r, let t, let v): (r, "raised", t, v, nil)
            case .repeated(let r, let t, let v): (r, "repeated", t, v, nil)
            case .cleared(let r, let t, let v, let since): (r, "cleared", t, v, since)
            }
        let rule = rules[id]
        var channel: String?
        var threshold: Double?
        switch rule?.kind {
        case .offline(let s)?: threshold = Double(s) / 60
        case .threshold(let c, let limit, let clear, _)?:
            channel = c
            threshold = event == "cleared" ? clear : limit.value
        case .consumption(let c, _, let above, _)?:
            channel = c
            threshold = above
        case .counterEvent(let c, _)?: channel = c
        case .system(let checks, let above, let clear, _)?:
            // The subsystem in trouble stands where a meter's channel would.
            let failing = health.failing(checks, above: above, clear: clear)
            channel =
                event == "cleared"
                ? (checks.count == 1 ? checks.first?.rawValue : nil)
                : (failing.isEmpty ? nil : failing.map(\.rawValue).joined(separator: "+"))
            if checks.contains(.storage) && (channel == "storage" || checks.count == 1) {
                threshold = event == "cleared" ? clear : above
            }
        case nil: break
        }
        return AlarmLogEntry(
            rule: id, device: rule?.device, channel: channel, event: event, at: at, value: value, threshold: threshold,
            raisedAt: raisedAt)
    }
}
