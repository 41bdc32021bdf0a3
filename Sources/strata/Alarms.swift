import ArgumentParser
import Foundation
import StrataConfig
import StrataCore
import StrataRuntime
import StrataStore

struct Alarms: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the alarm log (raised, repeated, cleared), or the alarms active now.")

    @OptionGroup var options: ConfigOption
    @Flag(help: "Only the alarms active now, with when they were raised.") var active = false
    @Option(help: "First local date of the log (inclusive), e.g. 2026-11-01.") var from: String?
    @Option(help: "Local date to stop before (exclusive).") var to: String?

    func run() throws {
        bootstrapLogging()
        let cfg = try options.load()
        let store = try cfg.openStore()
        let zone = cfg.site.zone
        func local(_ t: Int64) -> String {
            let off = zone.offset(at: t)
            return "\(LocalDateTime(secondsSinceEpoch: t + Int64(off))) \(formatOffset(off))"
        }
        func number(_ v: Double?) -> String {
            guard let v else { return "" }
            return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.3f", v)
        }
        if active {
            let states = try storeCall { try store.alarmStates() }
            let rules = cfg.alarms.filter { states[$0.id]?.phase == "active" }
            if rules.isEmpty {
                print("no alarm is active (\(cfg.alarms.count) rules)")
                return
            }
            for r in rules {
                let since = states[r.id]?.since.map(local) ?? "?"
                print("\(r.id)  \(r.severity.rawValue)  \(r.device ?? "all devices")  raised \(since)")
            }
            return
        }
        let a = try from.map { try parseLocal($0, zone: zone, option: "--from") } ?? Int64.min
        let b = try to.map { try parseLocal($0, zone: zone, option: "--to") } ?? Int64.max
        let log = try storeCall { try store.alarmLog(from: a, to: b) }
        print("time,rule,event,device,channel,value,threshold,raised")
        for e in log {
            print(
                [
                    local(e.at), e.rule, e.event, e.device ?? "", e.channel ?? "", number(e.value), number(e.threshold),
                    e.raisedAt.map(local) ?? "",
                ].joined(separator: ","))
        }
    }
}
