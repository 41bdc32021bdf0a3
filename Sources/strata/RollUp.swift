import ArgumentParser
import Foundation
import StrataConfig
import StrataCore
import StrataRuntime
import StrataStore

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
            printError(
                "error: --rebuild and --timezone-change go together: a rebuild is how a changed site.timezone is applied"
            )
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
        print(
            "rolled up \(r.bucketsWritten) buckets (\(r.dirtyRanges) late-data ranges); pruned \(p.minuteRows) minute, \(p.quarterRows) quarter, \(p.hourRows) hour rows"
        )
    }
}
