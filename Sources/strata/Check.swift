import ArgumentParser
import StrataConfig
import StrataCore

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the config and estimate what the store will hold per tier.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let cfg = try options.load()
        print("config \(cfg.file): OK")
        print("site \"\(cfg.site.name)\", time zone \(cfg.site.timezone)")
        print("store \(cfg.storage.path)\(cfg.storage.budget.map { ", budget \($0)" } ?? ", no budget")")
        for d in cfg.devices {
            print("device \(d.id) \"\(d.name)\" (driver \(d.driver)), \(d.channels.count) channel\(d.channels.count == 1 ? "" : "s")")
            for c in d.channels {
                var extra = ["resolution \(c.resolution)", "every \(Span(seconds: Int64(c.interval)))"]
                if let r = c.rollover { extra.append("rollover \(r)") }
                if let m = c.maxRate { extra.append("max_rate \(m) \(c.unit)/h") }
                print("  \(c.id) [\(c.unit)] \(c.kind.rawValue): \(extra.joined(separator: ", "))")
            }
        }
        let est = StorageEstimate(channels: cfg.allChannels, retention: cfg.retention, budget: cfg.storage.budget)
        print("")
        print("tier     rows/day     bytes/day    kept")
        for line in est.lines {
            let rows = line.rowsPerDay >= 10 ? String(Int(line.rowsPerDay.rounded())) : Decimal.format(line.rowsPerDay, Resolution(decimals: 2))
            print(line.tier.name.padding(8) + " " + rows.leftPad(10) + " " + ByteSize(bytes: line.bytesPerDay).description.leftPad(12)
                  + "    " + line.kept)
        }
        if let b = cfg.storage.budget, let days = est.minuteDaysWithinBudget(b), let ret = cfg.retention[.minute]?.seconds, days < Double(ret) / 86_400 {
            print("note: the budget holds about \(Int(days)) days of minute data, less than retention.minute (\(Span(seconds: ret))); the oldest minutes will be pruned first")
        }
    }
}

/// Rough bytes per stored row, measured on the store's real layout (docs/PERFORMANCE.md).
struct StorageEstimate {
    static let minuteRowBytes = 30
    static let aggRowBytes = 45

    struct Line {
        var tier: Tier
        var rowsPerDay: Double
        var bytesPerDay: Int64
        var kept: String
    }

    let lines: [Line]

    init(channels: [ChannelSpec], retention: [Tier: Span], budget: ByteSize?) {
        var out: [Line] = []
        let perDay: [Tier: Double] = [.minute: 0, .quarter: 96, .hour: 24, .day: 1, .month: 1.0 / 30.44, .year: 1.0 / 365.25]
        for t in Tier.allCases {
            let rows: Double = t == .minute
                ? channels.reduce(0) { $0 + 86_400 / Double($1.interval) }
                : Double(channels.count) * (perDay[t] ?? 0)
            let bytes = Int64(rows * Double(t == .minute ? Self.minuteRowBytes : Self.aggRowBytes))
            let span = retention[t] ?? .forever
            let kept: String
            if let s = span.seconds {
                let days = s / 86_400
                kept = "\(days) days, about \(ByteSize(bytes: bytes * days))"
            } else {
                kept = "forever, about \(ByteSize(bytes: Int64(Double(bytes) * 365.25))) a year"
            }
            out.append(Line(tier: t, rowsPerDay: rows, bytesPerDay: bytes, kept: kept))
        }
        lines = out
    }

    func minuteDaysWithinBudget(_ b: ByteSize) -> Double? {
        guard let m = lines.first, m.bytesPerDay > 0 else { return nil }
        let others = lines.dropFirst().reduce(Int64(0)) { $0 + $1.bytesPerDay } * 3650
        return Double(max(0, b.bytes - others)) / Double(m.bytesPerDay)
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
