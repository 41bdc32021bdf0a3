import ArgumentParser
import Foundation
import Logging
import StrataConfig
import StrataCore
import StrataStore

@main
struct Strata: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Strata: an energy historian. Meters in, exact minute-to-year data out.",
        subcommands: [Check.self, Import.self, Export.self, Resets.self, Backup.self, RollUp.self, ArchiveCommand.self, Share.self])
}

/// Options every command that reads the config shares.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path of strata.toml.")
    var config: String = "strata.toml"

    /// Loads the config; a bad config prints where and why, and exits with status 2.
    func load() throws -> StrataConfig {
        do {
            return try StrataConfig.load(path: config)
        } catch {
            printError("config error: \(error)")
            throw ExitCode(2)
        }
    }
}

func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

func bootstrapLogging() {
    LoggingSystem.bootstrap { label in
        var h = StreamLogHandler.standardError(label: label)
        h.logLevel = ProcessInfo.processInfo.environment["STRATA_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .notice
        return h
    }
}

extension StrataConfig {
    func openStore() throws -> Store {
        do {
            return try Store(path: storage.path, channels: allChannels, calendar: site.calendar,
                             retention: retention, budget: storage.budget, logger: Logger(label: "strata.store"))
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}

/// Runs a store call, turning its error into a message and exit status 1.
@discardableResult
func storeCall<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let e as ExitCode {
        throw e
    } catch {
        printError("error: \(error)")
        throw ExitCode(1)
    }
}

/// Parses a site-local date or date-time for --from / --to.
func parseLocal(_ s: String, zone: ZoneRules, option: String) throws -> Int64 {
    var text = s
    if text.count == 7 { text += "-01" }  // 2026-10
    if text.count == 4 { text += "-01-01" }  // 2026
    guard let p = TimeFormatParse.local(text) else {
        printError("error: \(option) \"\(s)\": expected a local date like 2026-10-01 or 2026-10-01 06:00")
        throw ExitCode(2)
    }
    return zone.firstInstant(atOrAfter: p)
}

enum TimeFormatParse {
    static func local(_ s: String) -> LocalDateTime? {
        let parts = s.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard let d = parts.first else { return nil }
        let ymd = d.split(separator: "-").compactMap { Int($0) }
        guard ymd.count == 3 else { return nil }
        let date = CivilDate(year: ymd[0], month: ymd[1], day: ymd[2])
        guard date.isValid else { return nil }
        var h = 0, m = 0, sec = 0
        if parts.count > 1 {
            let hms = parts[1].split(separator: ":").compactMap { Int($0) }
            guard hms.count >= 2, hms[0] < 24, hms[1] < 60 else { return nil }
            h = hms[0]
            m = hms[1]
            sec = hms.count > 2 ? hms[2] : 0
        }
        return LocalDateTime(date: date, hour: h, minute: m, second: sec)
    }
}

func nowSeconds() -> Int64 { Int64(Date().timeIntervalSince1970) }
