import ArgumentParser
import Foundation
import StrataConfig
import StrataCore
import StrataModbus
import StrataRuntime
import StrataSampler
import StrataStore

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the config and estimate what the store will hold per tier.")

    @OptionGroup var options: ConfigOption
    @Option(help: "Check a device profile file (a register map) instead of the config.")
    var profile: String?

    func run() throws {
        if let profile {
            try checkProfile(profile)
            return
        }
        let cfg = try options.load()
        print("config \(cfg.file): OK")
        print("site \"\(cfg.site.name)\", time zone \(cfg.site.timezone)")
        print("store \(cfg.storage.path)\(cfg.storage.budget.map { ", budget \($0)" } ?? ", no budget")")
        for d in cfg.devices {
            print(
                "device \(d.id) \"\(d.name)\" (driver \(d.driver.name)), \(d.channels.count) channel\(d.channels.count == 1 ? "" : "s")"
            )
            if let m = d.modbus {
                let plan = ReadPlan(
                    registers: d.registers, maxBlock: d.profile?.maxBlock ?? 125, maxGap: d.profile?.maxGap)
                let reads =
                    d.profile?.discovery == .sunspec
                    ? "registers found at run time (SunSpec)"
                    : "\(plan.blocks.count) read\(plan.blocks.count == 1 ? "" : "s") per poll"
                print(
                    "  \(m.transport.busKey) unit \(m.unitID), profile \(d.profile?.id ?? "-"), every \(d.poll) s, \(reads), timeout \(m.timeout) s × \(m.retries + 1) attempts"
                )
            }
            for c in d.channels {
                var extra = ["resolution \(c.resolution)", "every \(Span(seconds: Int64(c.interval)))"]
                if let r = c.rollover { extra.append("rollover \(r)") }
                if let m = c.maxRate { extra.append("max_rate \(m) \(c.unit)/h") }
                print("  \(c.id) [\(c.unit)] \(c.kind.rawValue): \(extra.joined(separator: ", "))")
            }
        }
        for w in BusBudget.warnings(cfg.devices) { print("warning: \(w)") }
        try checkStoreFile(cfg)
        if let f = cfg.ftp {
            let users =
                f.users.map { "\($0.name) (\($0.home.isEmpty ? "all" : $0.home))" }
                + (f.anonymous ? ["anonymous (all, read-only)"] : [])
            print(
                "ftp \(f.listen):\(f.port), passive \(f.passivePorts.map { "\($0.lowerBound)-\($0.upperBound)" } ?? "any"), users: \(users.isEmpty ? "none" : users.joined(separator: ", "))"
            )
            if f.tlsCert != nil {
                // Loads the certificate and key, or says which file is wrong.
                _ = try ftpConfig(f, root: cfg.archive.path)
                print(
                    "ftp TLS: explicit FTPS (AUTH TLS)\(f.requireTLS ? ", required for logins and data" : ", optional")"
                        + (f.requireTLSResumption ? "; data connections must resume the TLS session" : "")
                        + (f.implicitTLSPort.map { "; implicit FTPS on port \($0)" } ?? ""))
            } else {
                print("note: no tls_cert/tls_key in [ftp]: logins travel unencrypted")
            }
        }
        for r in cfg.reports {
            let at = String(format: "%02d:%02d", r.at / 60, r.at % 60)
            print(
                "report \(r.name): \(r.schedule.rawValue) at \(at) (\(cfg.site.timezone)), \(r.dialect.rawValue), to \(r.to.joined(separator: ", "))"
            )
        }
        if !cfg.reports.isEmpty {
            if let m = cfg.smtp {
                print(
                    "smtp \(m.host):\(m.port) \(m.security.rawValue)\(m.username.map { ", as \($0)" } ?? ""), from \(m.from)"
                )
                if m.security == .none { print("warning: [smtp] security = \"none\": reports travel unencrypted") }
            } else {
                print("note: no [smtp]: reports are saved as .eml files in \(cfg.outbox.path)")
            }
        }
        if let r = cfg.replication {
            print(
                "replication to \(r.url): \(r.tiers.map(\.name).joined(separator: ", ")), every \(r.interval) s, \(r.batchRows) buckets a push"
                    + (r.caFile == nil ? "" : ", TLS"))
            if r.caFile == nil && !Self.isLoopback(r.url) {
                print("note: no ca_file in [replication]: the data and password travel unencrypted")
            }
        }
        if let f = cfg.fleet {
            print(
                "fleet archive from \(f.url) into \(cfg.archive.path) (\(cfg.archive.dialects.map(\.rawValue).joined(separator: ", "))), every \(f.interval) s"
                    + (f.caFile == nil ? "" : ", TLS"))
        }
        let est = StorageEstimate(channels: cfg.allChannels, retention: cfg.retention, budget: cfg.storage.budget)
        print("")
        print("tier     rows/day     bytes/day    kept")
        for line in est.lines {
            let rows =
                line.rowsPerDay >= 10
                ? String(Int(line.rowsPerDay.rounded())) : Decimal.format(line.rowsPerDay, Resolution(decimals: 2))
            print(
                line.tier.name.padding(8) + " " + rows.leftPad(10) + " "
                    + ByteSize(bytes: line.bytesPerDay).description.leftPad(12)
                    + "    " + line.kept)
        }
        print(
            "plus up to \(ByteSize(bytes: est.openBytes)) for today's minutes and this month's quarter-hours and hours, kept as rows until their day or month is compacted"
        )
        if let b = cfg.storage.budget, let days = est.minuteDaysWithinBudget(b),
            let ret = cfg.retention[.minute]?.seconds, days < Double(ret) / 86_400
        {
            print(
                "note: the budget holds about \(Int(days)) days of minute data, less than retention.minute (\(Span(seconds: ret))); the oldest minutes will be pruned first"
            )
        }
    }

    /// A server on this machine: no network to cross, so no TLS to ask for.
    static func isLoopback(_ url: String) -> Bool {
        guard let h = URLComponents(string: url)?.host else { return false }
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }
}

extension Check {
    func checkProfile(_ path: String) throws {
        let id = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let p: DeviceProfile
        do {
            p = try ProfileLoader.loadFile(path, id: id)
        } catch {
            printError("profile error: \(error)")
            throw ExitCode(2)
        }
        print("profile \(path): OK, \"\(p.name)\", \(p.registers.count) registers")
        for r in p.registers {
            let fc = r.function == .holding ? "FC03" : "FC04"
            print(
                "  \(r.channel.padding(16)) \(fc) \(String(r.address).leftPad(5)) \(r.type.rawValue) \(r.wordOrder.rawValue) ×\(r.scale) [\(r.unit)] \(r.kind.rawValue)"
            )
        }
        if p.discovery == .sunspec {
            print("addresses are offsets into the SunSpec meter model, found at run time")
        } else {
            let plan = ReadPlan(registers: p.registers, maxBlock: p.maxBlock, maxGap: p.maxGap)
            print(
                "read plan: "
                    + plan.blocks.map { "\($0.function == .holding ? "FC03" : "FC04") \($0.start)+\($0.count)" }.joined(
                        separator: ", "))
        }
        print(
            "use it: copy it to the folder named by profiles_dir in strata.toml and set profile = \"\(id)\" on a device"
        )
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

/// The store file, if there is one yet: SQLite's full integrity check, and a cut write-ahead
/// log. Damage exits 1 with the commands that recover.
func checkStoreFile(_ cfg: StrataConfig) throws {
    guard FileManager.default.fileExists(atPath: cfg.storage.path) else {
        print("store: not created yet (strata run or strata import make it)")
        return
    }
    let store = try cfg.openStore()
    let h = try storeCall { try store.health(thorough: true) }
    for w in h.warnings { print("warning: store: \(w)") }
    if h.isDamaged {
        printError("error: the store \(cfg.storage.path) is damaged: \(h.damage.prefix(5).joined(separator: "; "))")
        printError("to recover: \(StoreHealth.recovery(cfg.storage.path))")
        throw ExitCode(1)
    }
    let blocks = try storeCall { try store.verifyBlocks() }
    if !blocks.damaged.isEmpty {
        for d in blocks.damaged { printError("error: damaged minute block: \(d)") }
        printError(
            "those channel-days cannot be read (every other one can, and their quarter-hours and coarser tiers are kept); "
                + "restore the store from a backup if you need their minutes")
        throw ExitCode(1)
    }
    print(
        "store \(cfg.storage.path): integrity OK, \(blocks.blocks) minute block\(blocks.blocks == 1 ? "" : "s") verified"
    )
}
