import Foundation
import Logging
import StrataConfig
import StrataRuntime
import StrataStore

/// `strata-bench alarms-store`: the whole cost of alarms in `strata run`, store work included:
/// the same minutes (5,000 channels, a status per device) written through two `StoreActor`s,
/// one with the rules and one without; the difference is what the alarm keeper adds (device
/// statuses read, phases saved, each night window's minutes read when it closes).
enum AlarmStoreBench {
    static func config(dir: String, channels: Int, rules: Int) -> String {
        let devices = max(1, channels / 20)
        var t = """
            [site]
            name = "Alarm bench"
            timezone = "Europe/Paris"

            [storage]
            path = "\(dir)/store.sqlite"

            """
        for d in 0..<devices {
            t += "\n[[devices]]\nid = \"d\(d)\"\ndriver = \"none\"\n"
            for c in 1...20 {
                t +=
                    c % 2 == 1
                    ? "\n  [[devices.channels]]\n  id = \"c\(c)\"\n  unit = \"kWh\"\n  kind = \"counter\"\n  resolution = 0.001\n"
                    : "\n  [[devices.channels]]\n  id = \"c\(c)\"\n  unit = \"W\"\n  kind = \"gauge\"\n  resolution = 0.1\n"
            }
        }
        for i in 0..<rules {
            let d = "d\(i % devices)"
            switch i % 4 {
            case 0: t += "\n[[alarms]]\nid = \"off\(i)\"\nkind = \"offline\"\ndevice = \"\(d)\"\nfor = \"10 min\"\n"
            case 1:
                t +=
                    "\n[[alarms]]\nid = \"thr\(i)\"\nkind = \"threshold\"\ndevice = \"\(d)\"\nchannel = \"c\(2 * (i % 10) + 2)\"\nabove = 900\nclear = 850\nfor = \"5 min\"\n"
            case 2:
                t +=
                    "\n[[alarms]]\nid = \"use\(i)\"\nkind = \"consumption\"\ndevice = \"\(d)\"\nchannel = \"c1\"\nwindow = \"00:00-05:00\"\nabove = 5\nper = \"1 h\"\n"
            default:
                t +=
                    "\n[[alarms]]\nid = \"evt\(i)\"\nkind = \"counter-event\"\ndevice = \"\(d)\"\nevents = [\"reset\"]\n"
            }
        }
        return t
    }

    static func run(dir: String, channels: Int, rules: Int, minutes: Int) async throws {
        let start: Int64 = 1_767_222_000 // 2026-01-01 00:00 Paris: the night windows close in the run
        var perMinute: [Double] = []
        var notices = 0
        for (name, ruleCount) in [("without rules", 0), ("with rules", rules)] {
            let sub = dir + "/alarms-\(ruleCount)"
            try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
            let cfg = try StrataConfig.parse(
                config(dir: sub, channels: channels, rules: ruleCount), file: sub + "/strata.toml")
            let actor = try StoreActor(config: cfg, logger: Logger(label: "bench"))
            let ids = await actor.channelIDs()
            let devices = cfg.devices.map(\.id)
            var elapsed: Duration = .zero
            var each: [Double] = []
            for m in 0..<minutes {
                let ts = start + Int64(m) * 60
                var samples: [Sample] = []
                samples.reserveCapacity(channels)
                var statuses: [DeviceStatus] = []
                for (k, d) in devices.enumerated() {
                    // One device in 97 misses a minute now and then: offline rules have work.
                    let answered = (m + k) % 97 != 0
                    statuses.append(DeviceStatus(device: d, lastSuccess: answered ? ts : nil, lastAttempt: ts))
                    guard answered, let chans = ids[d] else { continue }
                    for c in 1...20 {
                        guard let id = chans["c\(c)"] else { continue }
                        let v = c % 2 == 1 ? 1000 + Double(m) * 0.05 + Double(c) : Double((m * 7 + c + k) % 1000)
                        samples.append(Sample(channel: id, ts: ts, value: v))
                    }
                }
                let t0 = ContinuousClock.now
                try await actor.write(samples, statuses: statuses)
                let d = ContinuousClock.now - t0
                elapsed += d
                each.append(Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000)
            }
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            perMinute.append(ms / Double(minutes))
            if ruleCount > 0 {
                let store = try cfg.makeStore()
                notices = try store.alarmLog().count
            }
            let sorted = each.sorted()
            print(
                String(
                    format: "%@: %.2f ms a written minute (median %.2f ms, slowest %.1f ms)", name,
                    ms / Double(minutes),
                    sorted[sorted.count / 2], sorted.last ?? 0))
        }
        print("# alarms-store: \(channels) channels, \(rules) rules, \(minutes) minutes; \(notices) alarm log lines")
        print(
            String(
                format: "the alarm keeper adds %.2f ms a minute (%.2f× the write alone)", perMinute[1] - perMinute[0],
                perMinute[1] / perMinute[0]))
    }
}
