import ArgumentParser
import Foundation
import StrataArchive
import StrataConfig
import StrataCore
import StrataRuntime
import StrataStore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one tier of a device as CSV: one row per bucket, site-local labels.")

    @OptionGroup var options: ConfigOption
    @Option(help: "Device id from the config.") var device: String
    @Option(help: "minute, quarter, hour, day, month or year.") var tier: String
    @Option(help: "First local date (inclusive), e.g. 2026-10-01.") var from: String?
    @Option(help: "Local date to stop before (exclusive).") var to: String?
    @Option(help: "iso, excel-eu or excel-us.") var dialect: String = "iso"
    @Option(help: "Output file (default: standard output).") var output: String?

    func run() throws {
        bootstrapLogging()
        let cfg = try options.load()
        _ = try cfg.requireDevice(device)
        guard let t = Tier(name: tier) else {
            printError("error: --tier \"\(tier)\": expected minute, quarter, hour, day, month or year")
            throw ExitCode(2)
        }
        guard let d = CSVDialect(rawValue: dialect) else {
            printError("error: --dialect \"\(dialect)\": expected iso, excel-eu or excel-us")
            throw ExitCode(2)
        }
        let store = try cfg.openStore()
        let chs = store.channels(ofDevice: device)
        let cal = cfg.site.calendar
        var a = try from.map { try parseLocal($0, zone: cal.zone, option: "--from") }
        var b = try to.map { try parseLocal($0, zone: cal.zone, option: "--to") }
        if a == nil || b == nil {
            let range = try storeCall { try store.dataRange(channels: chs) }
            if a == nil { a = range.map { cal.bucketStart(t, containing: $0.0) } }
            if b == nil { b = range.map { cal.bucketEnd(t, start: cal.bucketStart(t, containing: $0.1)) } }
        }
        let start = a ?? 0
        let end = b ?? 0
        let out: FileHandle
        var tmpPath: String? = nil
        if let o = output {
            // Written next to the target and renamed: a reader never sees half a file.
            let tmp = o + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
            guard FileManager.default.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp)
            else {
                printError("error: cannot write \(o)")
                throw ExitCode(1)
            }
            out = h
            tmpPath = tmp
        } else {
            out = FileHandle.standardOutput
        }
        let exporter = CSVExporter(store: store, dialect: d)
        try storeCall {
            try exporter.export(t, channels: chs, from: start, to: max(start, end)) { bytes in
                try out.write(contentsOf: bytes)
            }
        }
        if let tmp = tmpPath, let o = output {
            try out.synchronize()
            try out.close()
            try storeCall {
                if FileManager.default.fileExists(atPath: o) {
                    _ = try FileManager.default.replaceItemAt(
                        URL(fileURLWithPath: o), withItemAt: URL(fileURLWithPath: tmp))
                } else {
                    try FileManager.default.moveItem(atPath: tmp, toPath: o)
                }
            }
        }
    }
}
