import ArgumentParser
import Foundation
import StrataConfig
import StrataCore
import StrataRuntime
import StrataStore

struct Resets: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List counter events (resets, rollovers, spikes, rebases) as CSV.")

    @OptionGroup var options: ConfigOption
    @Option(help: "Only this device.") var device: String?

    func run() throws {
        bootstrapLogging()
        let cfg = try options.load()
        if let d = device { _ = try cfg.requireDevice(d) }
        let store = try cfg.openStore()
        let chs = device.map { store.channels(ofDevice: $0) } ?? store.channels
        let events = try storeCall { try store.events(channels: chs) }
        var w = CSVWriter(dialect: .iso)
        for h in ["time", "utc_offset", "device", "channel", "old_reading", "new_reading", "action"] { w.field(h) }
        w.endRow()
        for (c, e) in events {
            let (local, off) = cfg.site.calendar.label(e.ts)
            w.field(local.description)
            w.field(formatOffset(off))
            w.field(c.spec.device)
            w.field(c.spec.id)
            w.number(e.oldValue, c.spec.resolution)
            w.number(e.newValue, c.spec.resolution)
            w.field(e.action.rawValue)
            w.endRow()
        }
        print(String(decoding: w.bytes, as: UTF8.self), terminator: "")
    }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a consistent copy of the live store, safe while strata writes to it.")

    @OptionGroup var options: ConfigOption
    @Option(help: "The backup file to create (must not exist).") var to: String

    func run() throws {
        bootstrapLogging()
        let cfg = try options.load()
        let store = try cfg.openStore()
        try storeCall { try store.backup(to: to) }
        print("backup of \(cfg.storage.path) written to \(to)")
    }
}

struct RollUp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollup",
        abstract: "Finish pending roll-ups and apply retention (strata run does this continuously).")

    @OptionGroup var options: ConfigOption
    @Flag(help: "Drop every aggregate and recompute it from the stored minutes (needs --timezone-change).")
    var rebuild = false
    @Flag(help: "Accept a changed site.timezone: back the store up, then recompute every aggregate in the new zone.")
    var timezoneChange = false

    func run() throws {
        bootstrapLogging()
        let cfg = try options.load()
        if rebuild != timezoneChange {
            printError("error: --rebuild and --timezone-change go together: a rebuild is how a changed site.timezone is applied")
            throw ExitCode(2)
        }
        let store: Store
        if timezoneChange {
            let stamp = LocalDateTime(secondsSinceEpoch: nowSeconds()).description
                .replacingOccurrences(of: " ", with: "T").replacingOccurrences(of: ":", with: "")
            let backup = cfg.storage.path + ".before-timezone-change-\(stamp)Z"
            do {
                store = try cfg.makeStore(timezoneChange: .recompute(backup: backup))
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            if FileManager.default.fileExists(atPath: backup) {
                print("site time zone is now \(cfg.site.timezone); the store before the change is in \(backup)")
            } else {
                print("site time zone unchanged (\(cfg.site.timezone)); nothing to recompute")
            }
        } else {
            store = try cfg.openStore()
        }
        let now = nowSeconds()
        let r = try storeCall { try store.rollUp(now: now) }
        let p = try storeCall { try store.enforceRetention(now: now) }
        print("rolled up \(r.bucketsWritten) buckets (\(r.dirtyRanges) late-data ranges); pruned \(p.minuteRows) minute, \(p.quarterRows) quarter, \(p.hourRows) hour rows")
    }
}
