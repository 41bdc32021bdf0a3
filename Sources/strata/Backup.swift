import ArgumentParser
import Foundation
import StrataConfig
import StrataCore
import StrataRuntime
import StrataStore

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
