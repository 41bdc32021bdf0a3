import Foundation
import StrataAlarms
import StrataConfig
import StrataCore
import StrataMail
import StrataStore

/// Alarm notices into the durable outbox: each log line the alarm keeper saved becomes one
/// message per recipient. The outbox's key (report `alarm:<rule>`, period `<event>-<time>`,
/// recipient) keeps a line queued twice (a crash between queueing and marking) single.
extension ReportDispatcher {
    /// Notices of minutes older than this when they reach the outbox are not mailed.
    static let alarmMailHorizon: Int64 = 6 * 3600

    /// Queues the unqueued log lines; returns the ids of those done with (queued, or not to be
    /// mailed), for the store's writer to mark: this connection only reads.
    func intakeAlarms(now: Int64) -> [Int64] {
        guard !config.alarms.isEmpty else { return [] }
        let lines: [AlarmLogEntry]
        do { lines = try store.alarmLog(unqueuedOnly: true) } catch {
            logger.error("alarms: cannot read the log", metadata: ["error": "\(error)"])
            return []
        }
        guard !lines.isEmpty else { return [] }
        var done: [Int64] = []
        var old: [AlarmLogEntry] = []
        for line in lines {
            guard let rule = config.alarms.first(where: { $0.id == line.rule }) else {
                done.append(line.id) // a rule removed from the config since
                continue
            }
            if rule.notify.isEmpty {
                done.append(line.id)
                continue
            }
            // Minutes written long after they happened (the demo's back-fill, a catch-up)
            // are logged, not mailed: a day of history must not flood an inbox.
            if now - line.at > Self.alarmMailHorizon {
                old.append(line)
                done.append(line.id)
                continue
            }
            // In the rule's quiet hours an info or warning notice waits (in the log, unqueued)
            // until they end; a critical one never waits.
            if let q = rule.quiet, rule.severity != .critical,
                q.contains(minuteOfDay: config.site.zone.local(now).secondOfDay / 60)
            {
                continue
            }
            let message = AlarmMessage.compose(line, rule: rule, config: config, now: now)
            do {
                try outbox.enqueue(
                    report: "alarm:\(rule.id)", period: "\(line.event)-\(line.at)", messageID: message.messageID,
                    sender: message.from, recipients: rule.notify, body: message.render(), now: now)
                done.append(line.id)
            } catch {
                logger.error("alarms: cannot queue a notice", metadata: ["rule": "\(rule.id)", "error": "\(error)"])
            }
        }
        if !old.isEmpty {
            logger.warning(
                "alarms: notices of old minutes not mailed (see `strata alarms`)",
                metadata: [
                    "count": "\(old.count)", "first": "\(old[0].rule) \(old[0].event)",
                ])
        }
        return done
    }
}

/// The e-mail of one alarm raise, repeat or clear: subject and body name the site, device,
/// rule, value, threshold and the local time.
enum AlarmMessage {
    static func compose(_ line: AlarmLogEntry, rule: AlarmRule, config: StrataConfig, now: Int64) -> MailMessage {
        let zone = config.site.zone
        let off = zone.offset(at: line.at)
        let local = "\(LocalDateTime(secondsSinceEpoch: line.at + Int64(off))) \(formatOffset(off))"
        let device = line.device.flatMap { config.device($0) }
        let unit = line.channel.flatMap { c in device?.channels.first { $0.id == c }?.unit } ?? ""
        let what: String
        switch rule.kind {
        case .offline: what = "no reading from the meter"
        case .threshold(let c, let limit, _, _):
            switch limit {
            case .above(let v): what = "\(c) above \(fmt(v)) \(unit)"
            case .below(let v): what = "\(c) below \(fmt(v)) \(unit)"
            }
        case .consumption(let c, let w, let above, let per):
            what =
                "\(c) consumption over \(clock(w.from))-\(clock(w.to))\(per.map { " (per \(Span(seconds: $0)))" } ?? "") above \(fmt(above)) \(unit)"
        case .counterEvent: what = "a counter event"
        case .system(let checks, let above, _, _):
            let trouble =
                line.channel.map { $0.split(separator: "+").compactMap { SystemCheck(rawValue: String($0)) } }
                ?? checks.sorted()
            what = (trouble.isEmpty ? checks.sorted() : trouble).map { systemText($0, above: above) }.joined(
                separator: "; ")
        }
        let valueText: String
        switch rule.kind {
        case .offline: valueText = line.value.map { "\(fmt($0)) minutes without a reading" } ?? ""
        case .system:
            let check = line.channel.flatMap(SystemCheck.init(rawValue:))
            valueText =
                line.value.map {
                    check == .outbox
                        ? "\(fmt($0)) messages failing" : check == .storage ? "\(fmt($0)) % of storage.budget" : fmt($0)
                } ?? ""
        default: valueText = line.value.map { "\(fmt($0)) \(unit)" } ?? ""
        }
        let verb = line.event == "cleared" ? "cleared" : line.event == "repeated" ? "still active" : "RAISED"
        let deviceName =
            device.map { "\($0.name) (\($0.id))" } ?? line.device ?? (rule.isSystem ? "Strata itself" : "all devices")
        let subject = "[\(config.site.name)] \(rule.severity.rawValue): \(rule.id) \(verb) - \(deviceName)"
        var text = """
            Alarm \(rule.id) \(verb) at \(local).

            Site:       \(config.site.name)
            Device:     \(deviceName)
            Rule:       \(rule.id) (\(what))
            Severity:   \(rule.severity.rawValue)
            Value:      \(valueText.isEmpty ? "-" : valueText)
            Threshold:  \(line.threshold.map { fmt($0) } ?? "-")\(line.threshold != nil && !unit.isEmpty ? " \(unit)" : "")

            """
        if let r = line.raisedAt {
            let o = zone.offset(at: r)
            text += "Raised at:  \(LocalDateTime(secondsSinceEpoch: r + Int64(o))) \(formatOffset(o))\n"
        }
        text += "\nSent by Strata. The alarm log: `strata alarms`, and _site/alarms/ in the archive.\n"
        let from = config.smtp?.from ?? "strata@localhost"
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        return MailMessage(
            from: from, fromName: config.smtp?.fromName ?? "Strata", to: rule.notify, subject: subject, date: now,
            utcOffset: zone.offset(at: now), messageID: "alarm-\(rule.id)-\(line.event)-\(line.at)@\(domain)",
            text: text)
    }

    static func systemText(_ c: SystemCheck, above: Double) -> String {
        switch c {
        case .storage:
            "the store above \(fmt(above)) % of storage.budget (older minutes are being pruned; raise the budget)"
        case .archive: "the CSV archive cannot be written (disk full or read-only? see the log)"
        case .outbox: "mail cannot be delivered (the mail server refuses or cannot be reached; see `strata outbox`)"
        case .clock: "the system clock is implausible or stepped back: the sampler waits (check NTP)"
        }
    }

    static func fmt(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.3f", v)
    }

    static func clock(_ m: Int) -> String { "\(zeroPadded(m / 60, 2)):\(zeroPadded(m % 60, 2))" }
}
