import Foundation
import StrataAlarms
import StrataCore

/// `strata-bench alarms`: what evaluating the rules costs per written minute, for a site of
/// `channels` channels (250 devices of 20) with `rules` rules of every kind, against the same
/// minute's loop over the observations alone (building the input, no rules) as the reference.
enum AlarmBench {
    static func run(channels: Int, rules ruleCount: Int, minutes: Int) {
        let devices = max(1, channels / 20)
        let zone = ZoneRules(identifier: "Europe/Paris")!
        var rules: [AlarmRule] = []
        for i in 0..<ruleCount {
            let d = "d\(i % devices)"
            switch i % 4 {
            case 0: rules.append(AlarmRule(id: "off\(i)", kind: .offline(seconds: 600), device: d, notify: []))
            case 1:
                rules.append(
                    AlarmRule(
                        id: "thr\(i)",
                        kind: .threshold(channel: "c\(2 * (i % 10) + 2)", limit: .above(900), clear: 850, seconds: 300),
                        device: d, notify: []))
            case 2:
                rules.append(
                    AlarmRule(
                        id: "use\(i)",
                        kind: .consumption(channel: "c1", window: .init(from: 0, to: 300), above: 5, per: 3600),
                        device: d, notify: []))
            default:
                rules.append(
                    AlarmRule(
                        id: "evt\(i)", kind: .counterEvent(channel: nil, actions: [.reset]), device: d, notify: []))
            }
        }
        var book = AlarmBook(rules: rules, phases: [:], zone: zone)
        let start: Int64 = 1_767_222_000
        func observation(_ m: Int) -> MinuteObservation {
            var o = MinuteObservation(minute: start + Int64(m) * 60)
            for d in 0..<devices {
                let id = "d\(d)"
                if (m + d) % 97 != 0 { o.answered.insert(id) }
                o.lastReading[id] = o.minute
                for c in stride(from: 2, through: 20, by: 2) {
                    o.gauges["\(id)/c\(c)"] = Double((m * 7 + c + d) % 1000)
                }
            }
            return o
        }
        var t = Date()
        var built = 0
        for m in 0..<minutes { built += observation(m).gauges.count }
        let reference = Date().timeIntervalSince(t) / Double(minutes)
        t = Date()
        var notices = 0
        for m in 0..<minutes {
            notices += book.evaluate(observation(m)) { _, _, _ in 1 }.count
        }
        let total = Date().timeIntervalSince(t) / Double(minutes)
        print(
            "# alarms: \(channels) channels (\(devices) devices), \(ruleCount) rules, \(minutes) minutes; \(notices) notices, \(built / minutes) gauges a minute"
        )
        print(
            String(format: "reference (the minute's observation built, no rules): %.3f ms a minute", reference * 1000))
        print(
            String(
                format: "observation + evaluation of every rule:              %.3f ms a minute (rules alone %.3f ms)",
                total * 1000, (total - reference) * 1000))
    }
}
