import ArgumentParser
import Foundation
import StrataAlarmService
import StrataConfig
import StrataCore
import StrataImport
import StrataRuntime
import StrataStore

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a CSV or gzipped CSV file of meter values into a device's channels, then roll up.")

    @OptionGroup var options: ConfigOption
    @Option(help: "Device id from the config.") var device: String
    @Option(help: "Name of the column holding the time.") var timeColumn: String
    @Option(help: "unix, unix-ms, iso8601, or a pattern like '%d.%m.%Y %H:%M'. Times without an offset are site-local.")
    var timeFormat: String = "iso8601"
    @Option(help: "COLUMN=CHANNEL; repeat for each column to import.") var map: [String] = []
    @Option(help: "Field separator (default: detected from the header).") var separator: String?
    @Flag(help: "Store the rows but leave the roll-up to a later `strata rollup` (for many files in a row).")
    var noRollup = false
    @Argument(help: "The CSV file (.csv or .csv.gz).") var file: String

    func run() throws {
        bootstrapLogging()
        let cfg = try options.load()
        let dev = try cfg.requireDevice(device)
        guard !map.isEmpty else {
            printError(
                "error: give at least one --map COLUMN=CHANNEL (channels of \(device): \(dev.channels.map(\.id).joined(separator: ", ")))"
            )
            throw ExitCode(2)
        }
        let store = try cfg.openStore()
        var mapping: [(column: String, channel: StoredChannel)] = []
        for m in map {
            guard let eq = m.lastIndex(of: "=") else {
                printError("error: --map \"\(m)\": expected COLUMN=CHANNEL")
                throw ExitCode(2)
            }
            let col = String(m[..<eq])
            let ch = String(m[m.index(after: eq)...])
            guard let sc = try? store.channel(device: device, channel: ch) else {
                printError(
                    "error: --map \"\(m)\": device \(device) has no channel \"\(ch)\"; it has \(dev.channels.map(\.id).joined(separator: ", "))"
                )
                throw ExitCode(2)
            }
            mapping.append((col, sc))
        }
        var sep: UInt8? = nil
        if let s = separator {
            let t = s == "\\t" || s == "tab" ? "\t" : s
            guard t.utf8.count == 1, let b = t.utf8.first else {
                printError("error: --separator must be one character")
                throw ExitCode(2)
            }
            sep = b
        }
        let started = Date()
        let importer = Importer(
            store: store,
            options: .init(timeColumn: timeColumn, timeFormat: TimeFormat(timeFormat), mapping: mapping, separator: sep)
        )
        var shown = 0
        let summary: Importer.Summary
        do {
            summary = try importer.run(path: file) { line, why in
                shown += 1
                if shown <= 100 { printError("\(file):\(line): bad row: \(why)") }
                if shown == 101 { printError("\(file): more bad rows; only the first 100 are shown") }
            }
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let roll = noRollup ? RollUpResult() : try storeCall { try store.rollUp(now: nowSeconds()) }
        var alarms = 0
        if let f = summary.first, let l = summary.last {
            let ids = Set(mapping.map(\.channel.id))
            alarms = try storeCall { try LateData.judge(config: cfg, store: store, channels: ids, from: f, to: l) }
        }
        let secs = Date().timeIntervalSince(started)
        let cal = cfg.site.calendar
        var span = ""
        if let f = summary.first, let l = summary.last { span = ", \(cal.zone.local(f)) .. \(cal.zone.local(l)) local" }
        print(
            "imported \(summary.rows) rows (\(summary.values) values) into \(device) from \(file)\(span); "
                + "\(summary.badRows) bad rows, \(summary.tooOld) older than the minute retention, \(summary.events) counter events; "
                + "rolled up \(roll.bucketsWritten) buckets in \(String(format: "%.1f", secs)) s")
        if alarms > 0 { print("alarms: \(alarms) new lines in the alarm log for the imported span (`strata alarms`)") }
        if summary.badRows > 0 { throw ExitCode(3) }
    }
}
