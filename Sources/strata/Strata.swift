import ArgumentParser
import Foundation
import Logging
import StrataConfig
import StrataCore
import StrataImport
import StrataRuntime
import StrataSampler
import StrataStore

@main
struct Strata: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Strata: an energy historian. Meters in, exact minute-to-year data out.",
        subcommands: [
            Run.self, Demo.self, Status.self, Check.self, Passwd.self, Import.self, Export.self, Resets.self,
            Alarms.self, Backup.self, RollUp.self, Migrate.self, ArchiveCommand.self, Share.self, ReportCommand.self,
            OutboxCommand.self, Scan.self, Fleet.self,
        ])
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

func bootstrapLogging(defaultLevel: Logger.Level = .notice) {
    LoggingSystem.bootstrap { label in
        var h = StreamLogHandler.standardError(label: label)
        h.logLevel =
            ProcessInfo.processInfo.environment["STRATA_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            ?? defaultLevel
        return h
    }
}

extension StrataConfig {
    /// The device of `--device`, or a message listing the configured ones and exit status 2.
    func requireDevice(_ id: String) throws -> Device {
        guard let d = device(id) else {
            printError("error: no device \"\(id)\" in \(file); devices: \(devices.map(\.id).joined(separator: ", "))")
            throw ExitCode(2)
        }
        return d
    }

    func openStore() throws -> Store {
        do {
            return try makeStore()
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
    if text.count == 7 { text += "-01" } // 2026-10
    if text.count == 4 { text += "-01-01" } // 2026
    // The import's ISO 8601 reader, limited to wall-clock times: dates are site-local.
    guard case .local(let p)? = TimeFormat.iso8601.parse(Substring(text)) else {
        printError("error: \(option) \"\(s)\": expected a local date like 2026-10-01 or 2026-10-01 06:00")
        throw ExitCode(2)
    }
    return zone.firstInstant(atOrAfter: p)
}

func nowSeconds() -> Int64 { Int64(Date().timeIntervalSince1970) }
