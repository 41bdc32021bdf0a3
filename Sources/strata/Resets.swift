import ArgumentParser
import Foundation
import StrataArchive
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
        let csv = CounterEventTable.csv(events, calendar: cfg.site.calendar)
        print(String(decoding: csv, as: UTF8.self), terminator: "")
    }
}
