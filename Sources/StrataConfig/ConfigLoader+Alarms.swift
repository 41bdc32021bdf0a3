import Foundation
import StrataAlarms
import StrataCore

extension Reader {
    static let alarmKeys: Set<String> = [
        "id", "kind", "device", "channel", "for", "above", "below", "clear", "window", "per", "notify", "severity",
        "repeat",
        "quiet", "events", "check",
    ]

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
            func needDevice() throws(ConfigError) -> StrataConfig.Device {
                guard let device else {
                    throw error("\(p).device", t.line, "missing; a \(kindName) alarm watches one device")
                }
                return device
            }
            func channel(_ kind: ChannelKind) throws(ConfigError) -> String {
                let d = try needDevice()
                guard let c = try string(t, "channel", path: "\(p).channel", required: true, tableLine: t.line) else {
                    return ""
                }
                guard let spec = d.channels.first(where: { $0.id == c }) else {
                    throw error(
                        "\(p).channel", t["channel"]?.line,
                        "device \"\(d.id)\" has no channel \"\(c)\"; it has: \(d.channels.map(\.id).joined(separator: ", "))"
                    )
                }
                guard spec.kind == kind else {
                    throw error(
                        "\(p).channel", t["channel"]?.line,
                        "\"\(c)\" is a \(spec.kind.rawValue); a \(kindName) alarm needs a \(kind.rawValue)")
                }
                return c
            }
            func seconds(_ key: String, required: Bool) throws(ConfigError) -> Int64? {
                guard t[key] != nil else {
                    if required { throw error("\(p).\(key)", t.line, "missing; expected a duration like \"10 min\"") }
                    return nil
                }
                return try span(t, key, path: "\(p).\(key)", allowForever: false, most: 366 * 86_400)?.seconds
            }
            let kind: AlarmRule.Kind
            switch kindName {
            case "offline":
                _ = try needDevice()
                kind = .offline(seconds: try seconds("for", required: true) ?? 600)
            case "threshold":
                let c = try channel(.gauge)
                let above = try number(t, "above", path: "\(p).above")
                let below = try number(t, "below", path: "\(p).below")
                let limit: AlarmRule.Limit
                switch (above, below) {
                case (let a?, nil): limit = .above(a)
                case (nil, let b?): limit = .below(b)
                case (nil, nil):
                    throw error("\(p).above", t.line, "missing; a threshold alarm needs above = … or below = …")
                case (_?, _?):
                    throw error(
                        "\(p).below", t["below"]?.line, "give above or below, not both (two rules watch a band)")
                }
                let clear = try number(t, "clear", path: "\(p).clear") ?? limit.value
                switch limit {
                case .above(let a) where clear > a:
                    throw error(
                        "\(p).clear", t["clear"]?.line,
                        "must be at or below above = \(a): the alarm clears when the value falls back past it")
                case .below(let b) where clear < b:
                    throw error(
                        "\(p).clear", t["clear"]?.line,
                        "must be at or above below = \(b): the alarm clears when the value rises back past it")
                default: break
                }
                kind = .threshold(
                    channel: c, limit: limit, clear: clear, seconds: try seconds("for", required: false) ?? 0)
            case "consumption":
                let c = try channel(.counter)
                let w = try string(t, "window", path: "\(p).window", required: true, tableLine: t.line) ?? ""
                let parts = w.split(separator: "-").map { Self.clock(String($0).trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 2, let from = parts[0], let to = parts[1], from != to, from < 1440 else {
                    throw error(
                        "\(p).window", t["window"]?.line,
                        "expected local hours like \"00:00-05:00\" (over midnight: \"22:00-06:00\"), found \"\(w)\"")
                }
                guard let above = try number(t, "above", path: "\(p).above") else {
                    throw error(
                        "\(p).above", t.line,
                        "missing; the consumption over the window (in the channel's unit) that raises the alarm")
                }
                if t["below"] != nil {
                    throw error("\(p).below", t["below"]?.line, "a consumption alarm takes above only")
                }
                kind = .consumption(
                    channel: c, window: .init(from: from, to: to % 1440), above: above,
                    per: try seconds("per", required: false))
            case "counter-event":
                var c: String?
                if t["channel"] != nil { c = try channel(.counter) }
                var actions: Set<CounterAction> = [.reset, .rollover, .spike]
                if let names = try strings(t, "events", path: "\(p).events") {
                    actions = []
                    for n in names {
                        guard let a = CounterAction(rawValue: n), [.reset, .rollover, .spike].contains(a) else {
                            throw error(
                                "\(p).events", t["events"]?.line, "expected reset, rollover or spike, found \"\(n)\"")
                        }
                        actions.insert(a)
                    }
                }
                kind = .counterEvent(channel: c, actions: actions)
            case "system":
                if t["device"] != nil {
                    throw error("\(p).device", t["device"]?.line, "a system alarm watches Strata itself, not a device")
                }
                var checks = Set(SystemCheck.allCases)
                if let node = t["check"] {
                    let names: [String]
                    if case .string(let one) = node.value {
                        names = [one]
                    } else {
                        names = try strings(t, "check", path: "\(p).check") ?? []
                    }
                    checks = []
                    for n in names {
                        guard let c = SystemCheck(rawValue: n) else {
                            throw error(
                                "\(p).check", node.line,
                                "expected storage, archive, outbox or clock (or a list of them), found \"\(n)\"")
                        }
                        checks.insert(c)
                    }
                    if checks.isEmpty {
                        throw error(
                            "\(p).check", node.line,
                            "an empty list watches nothing; leave check out to watch everything")
                    }
                }
                if t["below"] != nil {
                    throw error(
                        "\(p).below", t["below"]?.line, "a system alarm takes above (the storage budget's percent) only"
                    )
                }
                let above = try number(t, "above", path: "\(p).above") ?? 90
                guard above > 0, above <= 100 else {
                    throw error(
                        "\(p).above", t["above"]?.line,
                        "the percent of storage.budget that raises the alarm, above 0 and at most 100; found \(above)")
                }
                let clear = try number(t, "clear", path: "\(p).clear") ?? max(0, above - 5)
                guard clear <= above else {
                    throw error(
                        "\(p).clear", t["clear"]?.line,
                        "must be at or below above = \(above): the alarm clears when the store shrinks back past it")
                }
                kind = .system(
                    checks: checks, above: above, clear: clear, seconds: try seconds("for", required: false) ?? 0)
            default:
                throw error(
                    "\(p).kind", t["kind"]?.line,
                    "expected offline, threshold, consumption, counter-event or system, found \"\(kindName)\"")
            }
            let notify = try strings(t, "notify", path: "\(p).notify") ?? []
            for a in notify where !Self.isAddress(a) {
                throw error("\(p).notify", t["notify"]?.line, "\"\(a)\" is not an e-mail address")
            }
            var rule = AlarmRule(id: id, kind: kind, device: deviceID, notify: notify)
            if let s = try string(t, "severity", path: "\(p).severity") {
                guard let sev = AlarmRule.Severity(rawValue: s) else {
                    throw error(
                        "\(p).severity", t["severity"]?.line, "expected info, warning or critical, found \"\(s)\"")
                }
                rule.severity = sev
            }
            rule.repeatEvery = try seconds("repeat", required: false)
            if let q = try string(t, "quiet", path: "\(p).quiet") {
                let parts = q.split(separator: "-").map { Self.clock(String($0).trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 2, let from = parts[0], let to = parts[1], from != to else {
                    throw error(
                        "\(p).quiet", t["quiet"]?.line, "expected local hours like \"22:00-07:00\", found \"\(q)\"")
                }
                rule.quiet = .init(from: from % 1440, to: to % 1440)
            }
            rules.append(rule)
        }
        return rules
    }
}
