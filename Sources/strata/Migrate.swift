import ArgumentParser
import StrataRuntime
import StrataStore

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a store written by an older strata to the compact block format, in place.",
        discussion: """
            Each closed day is converted in its own transaction: stopping the command (or a power cut) \
            loses nothing, and running it again carries on. Stop strata run first. Once started, an older \
            strata no longer opens the store.
            """)

    @OptionGroup var options: ConfigOption

    func run() throws {
        bootstrapLogging()
        let cfg = try options.load()
        let store = try storeCall { try cfg.makeStore(migrating: true) }
        let r = try storeCall { try store.migrate() }
        if r.fromVersion < Store.schemaVersion {
            print("store \(cfg.storage.path): converted from schema \(r.fromVersion) to \(Store.schemaVersion)")
        } else {
            print("store \(cfg.storage.path): already in schema \(Store.schemaVersion)")
        }
        print(
            "compacted \(r.daysCompacted) day\(r.daysCompacted == 1 ? "" : "s") (\(r.pointsCompacted) minute readings) and \(r.monthsCompacted) month\(r.monthsCompacted == 1 ? "" : "s") of quarter-hours and hours into blocks"
        )
        for d in r.damaged { printError("warning: damaged minute block, its day's rows were kept: \(d)") }
        if r.remaining { print("closed days remain in rows: run strata migrate again") }
    }
}
