import Foundation
import Logging
import ServiceLifecycle
import StrataConfig
import StrataCore
import StrataStore
import StrataWeb

/// `strata-bench web`: a site with one 20-channel meter and `days` of minutes, served by the
/// web server (release build) until SIGINT, for `tools/bench/web.sh` to load with wrk. Next to
/// the store it writes the month's series as plain files into the archive (`ref/month.csv`,
/// `ref/month.json`): the same bytes served without the store, the reference of the figures.
enum WebBench {
    static func run(dir: String, channels: Int, days: Int, port: Int) async throws {
        let now = Int64(Date().timeIntervalSince1970) / 60 * 60
        var toml = """
            [site]
            name = "Web bench"
            timezone = "Europe/Paris"

            [storage]
            path = "\(dir)/strata.sqlite"

            [archive]
            path = "\(dir)/archive"

            [[devices]]
            id = "d0"
            name = "Bench meter"
            driver = "none"

            """
        for c in 1...channels {
            toml +=
                "[[devices.channels]]\nid = \"c\(c)\"\nunit = \"\(c % 2 == 1 ? "kWh" : "W")\"\nkind = \"\(c % 2 == 1 ? "counter" : "gauge")\"\n\n"
        }
        let file = dir + "/strata.toml"
        try toml.write(toFile: file, atomically: true, encoding: .utf8)
        let cfg = try StrataConfig.load(path: file)
        let store = try Store(
            path: cfg.storage.path, channels: cfg.allChannels, calendar: cfg.site.calendar, retention: cfg.retention)
        let ids = store.channels.map(\.id)
        let first = now - Int64(days) * 86_400
        var t = first
        var batch: [Sample] = []
        var m = 0
        let started = Date()
        while t < now {
            for (i, id) in ids.enumerated() { batch.append(Sample(channel: id, ts: t, value: Bench.value(m, i + 1))) }
            if batch.count >= 100_000 {
                try store.write(batch)
                batch.removeAll(keepingCapacity: true)
            }
            t += 60
            m += 1
        }
        try store.write(batch)
        try store.rollUp(now: now)
        print(
            String(
                format: "# web: %d channels x %d days of minutes written and rolled up in %.1f s", channels, days,
                Date().timeIntervalSince(started)))

        // The month of minutes as the API answers it, saved as plain files for the reference.
        let reader = try SiteReader(config: cfg, maxCells: 2_000_000)
        let from = now - 30 * 86_400
        let csv = try await reader.csv(device: "d0", tier: .minute, from: from, to: now, dialect: .iso)
        try FileManager.default.createDirectory(atPath: dir + "/archive/ref", withIntermediateDirectories: true)
        try Data(csv).write(to: URL(fileURLWithPath: dir + "/archive/ref/month.csv"))
        let key = Array("web-bench-session-key-of-32-byte".utf8)
        var settings = WebSettings(
            host: "127.0.0.1", port: port, users: [WebUser(name: "bench", home: "", check: { $0 == "bench" })],
            sessionKey: key)
        settings.maxConnections = 1024
        settings.maxPerAddress = 256
        let web = WebApp(reader: reader, settings: settings, metrics: StrataMetrics())
        print("from=\(from) to=\(now)")
        print("ready http://127.0.0.1:\(port)")
        fflush(nil)
        var logger = Logger(label: "bench.web")
        logger.logLevel = .warning
        let group = ServiceGroup(
            configuration: .init(
                services: [try web.application(logger: logger)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
