import ArgumentParser
import Foundation
import Logging
import StrataArchive
import StrataConfig
import StrataCore
import StrataFleet
import StrataFleetLink
import StrataFleetService
import StrataRuntime

/// `strata fleet`: the central side of replication. Sites push with `[replication]` in their
/// `strata run`; these commands make the central schema, export across sites, and keep a fleet
/// archive tree for the FTP server and the share.
struct Fleet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The central PostgreSQL of a fleet of sites: schema, exports across sites, a fleet archive tree.",
        subcommands: [FleetInit.self, FleetExport.self, FleetServe.self])
}

/// Where the central server is, as every fleet command takes it.
struct FleetOptions: ParsableArguments {
    @Option(help: "The central server, like postgres://strata@central.example.org:5432/strata.") var url: String
    @Option(name: .customLong("password-file"), help: "A file holding the password (never on the command line).")
    var passwordFile: String?
    @Option(name: .customLong("ca-file"), help: "Require TLS, trusting this CA certificate.") var caFile: String?

    func connect() async throws -> FleetLink {
        var password: String?
        if let f = passwordFile {
            guard let p = StrataConfig.passwordFile(f) else {
                throw ValidationError("--password-file: cannot read \(f)")
            }
            password = p
        }
        do {
            let t = try FleetTarget(url: url, password: password, caFile: caFile)
            return try await FleetLink.connect(t, logger: Logger(label: "strata.fleet"))
        } catch {
            throw FleetFailure(message: "\(error)")
        }
    }
}

struct FleetFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

struct FleetInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create (or migrate) the central schema.")
    @OptionGroup var server: FleetOptions

    func run() async throws {
        let link = try await server.connect()
        defer { Task { await link.close() } }
        do {
            let r = try await link.initSchema()
            if r.created {
                print("created the fleet schema (version \(r.version))")
            } else if let f = r.from, f < r.version {
                print("migrated the fleet schema from version \(f) to \(r.version)")
            } else {
                print("the fleet schema is up to date (version \(r.version))")
            }
        } catch {
            throw FleetFailure(message: "\(error)")
        }
        await link.close()
    }
}

struct FleetExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write one tier of every site (or one) as CSV in an archive dialect.",
        discussion:
            "Dates are each site's local dates: --from 2026-03-01 --to 2026-04-01 is March in every site's own time.")
    @OptionGroup var server: FleetOptions
    @Option(help: "minute (from sites that replicate it), quarter, hour, day, month or year.") var tier: String = "day"
    @Option(help: "First local date (inclusive), YYYY-MM-DD.") var from: String
    @Option(help: "Local date to stop before (exclusive), YYYY-MM-DD.") var to: String
    @Option(help: "Only this site (its id or name).") var site: String?
    @Option(help: "excel-eu, excel-us or iso.") var dialect: String = "iso"
    @Option(help: "Write to this file instead of standard output.") var out: String?

    func run() async throws {
        guard let t = Tier(name: tier) else {
            throw ValidationError("--tier: expected minute, quarter, hour, day, month or year")
        }
        guard let a = CivilDate(parsing: from), let b = CivilDate(parsing: to), a < b else {
            throw ValidationError("--from and --to: expected dates like 2026-03-01, --from before --to")
        }
        guard let d = CSVDialect(rawValue: dialect) else {
            throw ValidationError("--dialect: expected excel-eu, excel-us or iso")
        }
        let link = try await server.connect()
        var written = 0
        do {
            let sites = try await link.sites().filter { site == nil || $0.id == site || $0.name == site }
            if let site, sites.isEmpty {
                throw FleetFailure(message: "the central server has no site with the id or name \"\(site)\"")
            }
            // A site at a time, straight to the output: a fleet's month need not fit in memory.
            let sink = try out.map { try GrowingFile($0) }
            func emit(_ bytes: [UInt8]) throws {
                if let sink { try sink.append(bytes) } else { FileHandle.standardOutput.write(Data(bytes)) }
            }
            try emit(FleetTable.header(dialect: d))
            // Wide enough in UTC for every zone; each site's own dates are kept below.
            let lo = Int64(a.daysSinceEpoch) * 86_400 - 15 * 3600
            let hi = Int64(b.daysSinceEpoch) * 86_400 + 15 * 3600
            for s in sites {
                let zone = ZoneRules(identifier: s.timezone) ?? ZoneRules(fixedOffset: 0)
                let rows = try await link.rows(tier: t, from: lo, to: hi, siteID: s.id).filter { r in
                    let date = zone.local(r.start).date
                    return date >= a && date < b
                }
                try emit(FleetTable.body(rows, dialect: d))
                written += rows.count
            }
            try sink?.commit()
        } catch let e as FleetFailure {
            await link.close()
            throw e
        } catch {
            await link.close()
            throw FleetFailure(message: "\(error)")
        }
        await link.close()
        if let out { FileHandle.standardError.write(Data("\(written) rows written to \(out)\n".utf8)) }
    }
}

struct FleetServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Keep a fleet archive tree: a folder per site and a _fleet roll-up, for the FTP server and the share.",
        discussion: """
            Writes <archive>/<dialect>/<site>/<tier>/<year>.csv for day, month and year (and \
            _fleet/… with every site), atomically: the whole tree first, then every --every \
            seconds what the sites' pushes changed, until SIGTERM (or once with --once). Serve \
            the folder with strata's FTP server or a Samba share (README, Fleet); `[fleet]` in \
            a central box's strata.toml does the same inside `strata run`.
            """)
    @OptionGroup var server: FleetOptions
    @Option(help: "The fleet archive folder.") var archive: String
    @Option(help: "Dialects, comma-separated.") var dialects: String = "excel-eu,iso"
    @Option(help: "Seconds between refreshes.") var every: Int = 300
    @Flag(help: "Write the tree once and exit.") var once = false

    func run() async throws {
        let ds = try dialects.split(separator: ",").map { s in
            guard let d = CSVDialect(rawValue: String(s)) else {
                throw ValidationError("--dialects: \(s) is not excel-eu, excel-us or iso")
            }
            return d
        }
        // The first refresh writes the whole tree; later ones what pushes changed since.
        var tree = FleetTree(root: archive, dialects: ds)
        while true {
            let link = try await server.connect()
            do {
                let n = try await tree.refresh(link)
                FileHandle.standardError.write(Data("fleet archive \(archive): \(n) files written\n".utf8))
            } catch {
                await link.close()
                throw FleetFailure(message: "\(error)")
            }
            await link.close()
            if once { return }
            try await Task.sleep(for: .seconds(every))
        }
    }
}
