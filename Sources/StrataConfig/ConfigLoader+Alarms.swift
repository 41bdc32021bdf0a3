import Foundation
import StrataAlarms
import StrataCore

extension Reader {
    static let alarmKeys: Set<String> = [
        "id", "kind", "device", "channel", "for", "above", "below", "clear", "window", "per", "notify", "severity",
        "repeat",
        "quiet", "events", "check",
    ]

    /// One `[[alarms]]` table while it is read: where it is, its kind, the device it names.
    struct AlarmEntry {
        let t: TOMLTable
        let p: String
        let kind: String
        let device: StrataConfig.Device?
    }

    /// `[[alarms]]`: each rule checked against the devices and channels it names.
    func alarms(_ root: TOMLTable, devices: [StrataConfig.Device]) throws(ConfigError) -> [AlarmRule] {
        guard let node = root["alarms"] else { return [] }
        guard case .array(let items) = node.value else {
            throw error("alarms", node.line, "expected [[alarms]] tables")
        }
        var rules: [AlarmRule] = []
        for (i, item) in items.enumerated() {
            let p = "alarms[\(i)]"
            guard case .table(let t) = item.value else { throw error(p, item.line, "expected a table") }
            try checkKeys(t, allowed: Self.alarmKeys, path: p)
            let id = try string(t, "id", path: "\(p).id", required: true, tableLine: t.line) ?? ""
            guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw error(
                    "\(p).id", t["id"]?.line, "expected a name of letters, digits, - and _, like \"main-offline\"")
            }
            if rules.contains(where: { $0.id == id }) {
                throw error("\(p).id", t["id"]?.line, "alarm \"\(id)\" is defined twice")
            }
            let kindName = try string(t, "kind", path: "\(p).kind", required: true, tableLine: t.line) ?? ""
            let deviceID = try string(t, "device", path: "\(p).device")
            var device: StrataConfig.Device?
            if let d = deviceID {
                guard let found = devices.first(where: { $0.id == d }) else {
                    throw error(
                        "\(p).device", t["device"]?.line,
                        "no device \"\(d)\"; devices: \(devices.map(\.id).joined(separator: ", "))")
                }
                device = found
            }
            let a = AlarmEntry(t: t, p: p, kind: kindName, device: device)
            var rule = AlarmRule(
                id: id, kind: try alarmKind(a), device: deviceID, notify: try alarmNotify(a))
            try alarmOptions(a, into: &rule)
            rules.append(rule)
        }
        return rules
    }

    func alarmKind(_ a: AlarmEntry) throws(ConfigError) -> AlarmRule.Kind {
        switch a.kind {
        case "offline":
            _ = try alarmDevice(a)
            return .offline(seconds: try alarmSeconds(a, "for", required: true) ?? 600)
        case "threshold": return try thresholdAlarm(a)
        case "consumption": return try consumptionAlarm(a)
        case "counter-event": return try counterEventAlarm(a)
        case "system": return try systemAlarm(a)
        default:
            throw error(
                "\(a.p).kind", a.t["kind"]?.line,
                "expected offline, threshold, consumption, counter-event or system, found \"\(a.kind)\"")
        }
    }

    func alarmDevice(_ a: AlarmEntry) throws(ConfigError) -> StrataConfig.Device {
        guard let device = a.device else {
            throw error("\(a.p).device", a.t.line, "missing; a \(a.kind) alarm watches one device")
        }
        return device
    }

    func alarmChannel(_ a: AlarmEntry, _ kind: ChannelKind) throws(ConfigError) -> String {
        let d = try alarmDevice(a)
        guard let c = try string(a.t, "channel", path: "\(a.p).channel", required: true, tableLine: a.t.line) else {
            return ""
        }
        guard let spec = d.channels.first(where: { $0.id == c }) else {
            throw error(
                "\(a.p).channel", a.t["channel"]?.line,
                "device \"\(d.id)\" has no channel \"\(c)\"; it has: \(d.channels.map(\.id).joined(separator: ", "))"
            )
        }
        guard spec.kind == kind else {
            throw error(
                "\(a.p).channel", a.t["channel"]?.line,
                "\"\(c)\" is a \(spec.kind.rawValue); a \(a.kind) alarm needs a \(kind.rawValue)")
        }
        return c
    }

    func alarmSeconds(_ a: AlarmEntry, _ key: String, required: Bool) throws(ConfigError) -> Int64? {
        guard a.t[key] != nil else {
            if required { throw error("\(a.p).\(key)", a.t.line, "missing; expected a duration like \"10 min\"") }
            return nil
        }
        return try span(a.t, key, path: "\(a.p).\(key)", allowForever: false, most: 366 * 86_400)?.seconds
    }

    func thresholdAlarm(_ a: AlarmEntry) throws(ConfigError) -> AlarmRule.Kind {
        let c = try alarmChannel(a, .gauge)
        let above = try number(a.t, "above", path: "\(a.p).above")
        let below = try number(a.t, "below", path: "\(a.p).below")
        let limit: AlarmRule.Limit
        switch (above, below) {
        case (let v?, nil): limit = .above(v)
        case (nil, let b?): limit = .below(b)
        case (nil, nil):
            throw error("\(a.p).above", a.t.line, "missing; a threshold alarm needs above = … or below = …")
        case (_?, _?):
            throw error(
                "\(a.p).below", a.t["below"]?.line, "give above or below, not both (two rules watch a band)")
        }
        let clear = try number(a.t, "clear", path: "\(a.p).clear") ?? limit.value
        switch limit {
        case .above(let v) where clear > v:
            throw error(
                "\(a.p).clear", a.t["clear"]?.line,
                "must be at or below above = \(v): the alarm clears when the value falls back past it")
        case .below(let b) where clear < b:
            throw error(
                "\(a.p).clear", a.t["clear"]?.line,
                "must be at or above below = \(b): the alarm clears when the value rises back past it")
        default: break
        }
        return .threshold(
            channel: c, limit: limit, clear: clear, seconds: try alarmSeconds(a, "for", required: false) ?? 0)
    }

    func consumptionAlarm(_ a: AlarmEntry) throws(ConfigError) -> AlarmRule.Kind {
        let c = try alarmChannel(a, .counter)
        let w = try string(a.t, "window", path: "\(a.p).window", required: true, tableLine: a.t.line) ?? ""
        let parts = w.split(separator: "-").map { Self.clock(String($0).trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let from = parts[0], let to = parts[1], from != to, from < 1440 else {
            throw error(
                "\(a.p).window", a.t["window"]?.line,
                "expected local hours like \"00:00-05:00\" (over midnight: \"22:00-06:00\"), found \"\(w)\"")
        }
        guard let above = try number(a.t, "above", path: "\(a.p).above") else {
            throw error(
                "\(a.p).above", a.t.line,
                "missing; the consumption over the window (in the channel's unit) that raises the alarm")
        }
        if a.t["below"] != nil {
            throw error("\(a.p).below", a.t["below"]?.line, "a consumption alarm takes above only")
        }
        return .consumption(
            channel: c, window: .init(from: from, to: to % 1440), above: above,
            per: try alarmSeconds(a, "per", required: false))
    }

    func counterEventAlarm(_ a: AlarmEntry) throws(ConfigError) -> AlarmRule.Kind {
        var c: String?
        if a.t["channel"] != nil { c = try alarmChannel(a, .counter) }
        var actions: Set<CounterAction> = [.reset, .rollover, .spike]
        if let names = try strings(a.t, "events", path: "\(a.p).events") {
            actions = []
            for n in names {
                guard let a = CounterAction(rawValue: n), [.reset, .rollover, .spike].contains(a) else {
                    throw error(
                        "\(a.p).events", a.t["events"]?.line, "expected reset, rollover or spike, found \"\(n)\"")
                }
                actions.insert(a)
            }
        }
        return .counterEvent(channel: c, actions: actions)
    }

    func systemAlarm(_ a: AlarmEntry) throws(ConfigError) -> AlarmRule.Kind {
        if a.t["device"] != nil {
            throw error("\(a.p).device", a.t["device"]?.line, "a system alarm watches Strata itself, not a device")
        }
        var checks = Set(SystemCheck.allCases)
        if let node = a.t["check"] {
            let names: [String]
            if case .string(let one) = node.value {
                names = [one]
            } else {
                names = try strings(a.t, "check", path: "\(a.p).check") ?? []
            }
            checks = []
            for n in names {
                guard let c = SystemCheck(rawValue: n) else {
                    throw error(
                        "\(a.p).check", node.line,
                        "expected storage, archive, outbox or clock (or a list of them), found \"\(n)\"")
                }
                checks.insert(c)
            }
            if checks.isEmpty {
                throw error(
                    "\(a.p).check", node.line,
                    "an empty list watches nothing; leave check out to watch everything")
            }
        }
        if a.t["below"] != nil {
            throw error(
                "\(a.p).below", a.t["below"]?.line, "a system alarm takes above (the storage budget's percent) only"
            )
        }
        let above = try number(a.t, "above", path: "\(a.p).above") ?? 90
        guard above > 0, above <= 100 else {
            throw error(
                "\(a.p).above", a.t["above"]?.line,
                "the percent of storage.budget that raises the alarm, above 0 and at most 100; found \(above)")
        }
        let clear = try number(a.t, "clear", path: "\(a.p).clear") ?? max(0, above - 5)
        guard clear <= above else {
            throw error(
                "\(a.p).clear", a.t["clear"]?.line,
                "must be at or below above = \(above): the alarm clears when the store shrinks back past it")
        }
        return .system(
            checks: checks, above: above, clear: clear, seconds: try alarmSeconds(a, "for", required: false) ?? 0)
    }

    func alarmNotify(_ a: AlarmEntry) throws(ConfigError) -> [String] {
        let notify = try strings(a.t, "notify", path: "\(a.p).notify") ?? []
        for addr in notify where !Self.isAddress(addr) {
            throw error("\(a.p).notify", a.t["notify"]?.line, "\"\(addr)\" is not an e-mail address")
        }
        return notify
    }

    /// Severity, repeats and quiet hours: what every kind of rule may have.
    func alarmOptions(_ a: AlarmEntry, into rule: inout AlarmRule) throws(ConfigError) {
        if let s = try string(a.t, "severity", path: "\(a.p).severity") {
            guard let sev = AlarmRule.Severity(rawValue: s) else {
                throw error(
                    "\(a.p).severity", a.t["severity"]?.line, "expected info, warning or critical, found \"\(s)\"")
            }
            rule.severity = sev
        }
        rule.repeatEvery = try alarmSeconds(a, "repeat", required: false)
        if let q = try string(a.t, "quiet", path: "\(a.p).quiet") {
            let parts = q.split(separator: "-").map { Self.clock(String($0).trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let from = parts[0], let to = parts[1], from != to else {
                throw error(
                    "\(a.p).quiet", a.t["quiet"]?.line, "expected local hours like \"22:00-07:00\", found \"\(q)\"")
            }
            rule.quiet = .init(from: from % 1440, to: to % 1440)
        }
    }
}
