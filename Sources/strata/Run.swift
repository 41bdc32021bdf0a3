import ArgumentParser
import Foundation
import Logging
import StrataArchive
import StrataConfig
import StrataCore
import StrataFTP
import StrataReport
import StrataRuntime
import StrataSampler
import StrataStore
import StrataWeb

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sample every device and keep the store and the archive up to date, until SIGTERM or SIGINT.")

    @OptionGroup var options: ConfigOption
    @Flag(help: "Do not write the CSV archive tree.") var noArchive = false
    /// Testing aids: a clock running `timeScale` times real time, starting at `clockStart`.
    @Option(help: .hidden) var timeScale: Double?
    @Option(help: .hidden) var clockStart: Double?

    func run() async throws {
        bootstrapLogging(defaultLevel: .info)
        let cfg = try options.load()
        let clock: any WallClock = timeScale.map { ScaledClock(rate: $0, start: clockStart) } ?? SystemClock()
        try await runServices(
            cfg, archive: !noArchive, clock: clock, ftp: try cfg.ftp.map { try ftpConfig($0, root: cfg.archive.path) },
            web: try cfg.web.map { try webSettings($0, cfg) })
    }
}

/// Opens the store and runs every service until a signal; a store that does not open is
/// an error message and exit status 1.
func runServices(
    _ cfg: StrataConfig, archive: Bool, clock: any WallClock, runtime given: Runtime? = nil,
    ftp: FTPServerConfig? = nil, web: WebSettings? = nil
) async throws {
    let runtime = try given ?? storeCall { try Runtime(config: cfg, archive: archive) }
    // Counters of every service go to the registry /metrics serves.
    let metrics = StrataMetrics()
    metrics.bootstrap()
    do {
        try await runtime.run(clock: clock, ftp: ftp, web: web, metrics: metrics)
    } catch let e as StoreError {
        printError("error: \(e)")
        throw ExitCode(1)
    }
}

/// The web server's settings from `[web]`; a certificate that does not load is a config error (exit 2).
func webSettings(_ w: StrataConfig.Web, _ cfg: StrataConfig) throws -> WebSettings {
    do {
        return try WebSettings(w, config: cfg)
    } catch {
        printError("config error: web: \(error)")
        throw ExitCode(2)
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Strata on a simulated office building: history back-filled, then live sampling.")

    @Option(help: "Folder for the demo's store and config (default ./demo-data).") var data: String?
    @Option(help: "Days of history to back-fill on the first start.") var days: Int = 90
    @Option(help: "Port of the FTP server (on 127.0.0.1; user demo, password demo).") var ftpPort: Int = 2121
    @Option(help: "Port of the web dashboard and HTTP API (on 127.0.0.1; user demo, password demo).") var webPort: Int =
        8080
    @Option(help: "Publish every minute to this MQTT broker, with Home Assistant discovery (mqtt://host:1883).")
    var mqtt: String?
    @Option(help: "Write the demo's config to this file and exit.") var writeConfig: String?
    @Option(help: .hidden) var timeScale: Double?

    func run() async throws {
        bootstrapLogging(defaultLevel: .notice)
        let dataDir = ArchiveFiles.absolute(data ?? "demo-data")
        let archiveDir = data != nil ? dataDir + "/archive" : ArchiveFiles.absolute("archive")
        // Found once: the PATH is walked for it.
        let command = Self.command
        let tz = TimeZone.current.identifier.contains("/") ? TimeZone.current.identifier : "UTC"
        var text = DemoSite.config(dataDir: dataDir, archiveDir: archiveDir, timezone: tz)
        if let url = mqtt {
            guard StrataConfig.MQTT.parseURL(url) != nil else {
                printError("error: --mqtt \(url): expected mqtt://host:1883 or mqtts://host:8883")
                throw ExitCode(2)
            }
            text +=
                "\n# Every minute to an MQTT broker, with Home Assistant discovery (README, \"MQTT\").\n[mqtt]\nurl = \"\(url)\"\n"
        }
        if let out = writeConfig {
            let path = ArchiveFiles.absolute(out)
            try writeAtomically(text, to: path)
            print("wrote the demo config to \(path); run it with: \(command) run --config \(out)")
            return
        }
        let configPath = dataDir + "/strata.toml"
        try writeAtomically(text, to: configPath)
        let cfg: StrataConfig
        do { cfg = try StrataConfig.parse(text, file: configPath) } catch {
            printError("config error: \(error)")
            throw ExitCode(2)
        }
        let clock: any WallClock = timeScale.map { ScaledClock(rate: $0) } ?? SystemClock()
        let runtime = try storeCall { try Runtime(config: cfg, archive: true) }
        let history = try await DemoHistory(store: runtime.store, days: days, now: Int64(clock.now()))
        print("Strata demo: \(cfg.site.name) (\(cfg.devices.count) simulated meters, time zone \(tz))")
        print("  config   \(configPath)")
        print("  store    \(cfg.storage.path)")
        print("  archive  \(cfg.archive.path)")
        if !history.isEmpty {
            let started = Date()
            let span = history.span
            print(
                "  back-filling \(span >= 86_400 ? "\(span / 86_400) days" : "\(span / 60) minutes") of history …",
                terminator: "")
            fflush(nil)
            let (n, alarms) = try await history.fill(runtime)
            let filled = Date()
            print(" \(n) readings in \(String(format: "%.1f", filled.timeIntervalSince(started))) s")
            print("  rolling up to quarter-hours, hours, days, months, years …", terminator: "")
            fflush(nil)
            try await history.rollUp(runtime, now: Int64(clock.now()))
            print(" \(String(format: "%.1f", Date().timeIntervalSince(filled))) s")
            print("  the archive's CSV files are written in the background (the log says when they are complete)")
            if alarms > 0 {
                print(
                    "  \(alarms) alarm\(alarms == 1 ? "" : "s") found in the back-filled history: \(command) alarms --config \(configPath)"
                )
            }
        } else {
            print("  history  already up to date")
        }
        print("  FTP      ftp://127.0.0.1:\(ftpPort)/  user demo, password demo (read-only: the archive folder above)")
        print("  reports  \(cfg.outbox.path)  (daily, weekly, monthly as .eml files; add [smtp] to mail them)")
        print("  web      http://127.0.0.1:\(webPort)/  user demo, password demo (dashboard, /api/v1, /metrics)")
        if let m = cfg.mqtt {
            print(
                "  mqtt     \(m.tls ? "mqtts" : "mqtt")://\(m.host):\(m.port)  topics \(m.topicPrefix)/<device>/<channel>, discovery under \(m.discoveryPrefix)/"
            )
        }
        print("Sampling every minute. Try in another terminal:")
        print("  \(command) status --config \(configPath)")
        print("  \(command) export --config \(configPath) --device main --tier day")
        print("  curl ftp://demo:demo@127.0.0.1:\(ftpPort)/excel-eu/main/day/")
        print("  curl -u demo:demo http://127.0.0.1:\(webPort)/api/v1/devices")
        print("Stop with Ctrl-C.")
        fflush(nil)
        let ftp = FTPServerConfig(
            listen: "127.0.0.1", port: ftpPort, root: cfg.archive.path,
            users: [FTPUser(name: "demo", home: "", check: { $0 == "demo" })])
        let key: [UInt8]
        do { key = try WebSettings.sessionKey(file: dataDir + "/web-session.key") } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let web = WebSettings(
            host: "127.0.0.1", port: webPort, users: [WebUser(name: "demo", home: "", check: { $0 == "demo" })],
            sessionKey: key)
        try await runServices(cfg, archive: true, clock: clock, runtime: runtime, ftp: ftp, web: web)
    }

    /// How to call this strata from another terminal: `strata` when that name on the PATH is
    /// this binary, otherwise its full path (after `swift run` no strata is on the PATH).
    static var command: String {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("strata")
            guard FileManager.default.isExecutableFile(atPath: candidate.path) else { continue }
            return candidate.resolvingSymlinksInPath().path == me ? "strata" : me
        }
        return me
    }

    func writeAtomically(_ text: String, to path: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            printError("error: cannot write \(path): \(error.localizedDescription)")
            throw ExitCode(1)
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each device's state: last reading, failures, last error.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let cfg = try options.load()
        let store = try cfg.openStore()
        let statuses = try storeCall { try store.deviceStatuses() }
        let zone = cfg.site.zone
        func local(_ t: Int64?) -> String {
            guard let t else { return "never" }
            return LocalDateTime(secondsSinceEpoch: t + Int64(zone.offset(at: t))).description
        }
        // Errors are kept as "<unix time> <message>".
        func stamped(_ e: String) -> String {
            let parts = e.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let t = Int64(parts[0]) else { return e }
            return "\(local(t)): \(parts[1])"
        }
        print("site \"\(cfg.site.name)\" (\(cfg.site.timezone)), store \(cfg.storage.path)")
        if let r = cfg.replication {
            // How far the central server is behind this site's closed buckets.
            if let st = try storeCall({ try store.replicationStatus() }) {
                let lags = r.tiers.map { t -> String in
                    let behind = store.closedUntil(t) - (st.cursors[t] ?? 0)
                    return st.cursors[t] == nil
                        ? "\(t.name) not sent yet"
                        : "\(t.name) \(behind <= 0 ? "up to date" : "\(Span(seconds: behind)) behind")"
                }
                print("replication to \(r.url): \(lags.joined(separator: ", "))")
                print(
                    "  last push     \(local(st.lastSuccess))\(st.pendingDirty > 0 ? ", \(st.pendingDirty) late-data ranges waiting" : "")"
                )
                if let e = st.lastError { print("  last error    \(stamped(e))") }
            } else {
                print("replication to \(r.url): not started yet")
            }
        }
        if let f = cfg.fleet {
            if let st = try storeCall({ try store.fleetStatus() }) {
                print("fleet archive \(cfg.archive.path) from \(f.url)")
                print("  last refresh  \(local(st.lastSuccess))\(st.lastFiles.map { ", \($0) files changed" } ?? "")")
                if let e = st.lastError { print("  last error    \(stamped(e))") }
            } else {
                print("fleet archive \(cfg.archive.path) from \(f.url): not refreshed yet")
            }
        }
        for d in cfg.devices {
            let s = statuses[d.id]
            var state: String
            if d.driver == .none {
                state = "import only"
            } else if d.isCalculated {
                state = d.channels.map { "\($0.id) = \(FormulaTerm.text($0.formula ?? []))" }.joined(separator: "; ")
            } else if let s {
                state = s.consecutiveFailures == 0 ? "ok" : "FAILING (\(s.consecutiveFailures) polls)"
            } else {
                state = "not polled yet"
            }
            print("\(d.id) (\(d.driver.name)): \(state)")
            if let s {
                print("  last success  \(local(s.lastSuccess))")
                print("  last attempt  \(local(s.lastAttempt))")
                if let e = s.lastError, s.consecutiveFailures > 0 { print("  last error    \(e)") }
                if s.badReadings > 0 { print("  bad readings  \(s.badReadings) dropped as implausible (see the log)") }
            }
            for c in store.channels(ofDevice: d.id).prefix(d.readCount == 0 ? d.channels.count : d.readCount) {
                if let r = try storeCall({ try store.lastReading(channel: c.id) }) {
                    print(
                        "  \(c.spec.id.padding(16)) \(Decimal.format(r.value, c.spec.resolution)) \(c.spec.unit) at \(local(r.ts))"
                    )
                }
            }
        }
    }
}

/// The FTP server's settings from the config's `[ftp]` section; a certificate that does not
/// load is a config error (exit 2).
func ftpConfig(_ f: StrataConfig.FTP, root: String) throws -> FTPServerConfig {
    do {
        return try FTPServerConfig(f, root: root)
    } catch {
        printError("config error: \(error)")
        throw ExitCode(2)
    }
}
