import Foundation
import StrataCore
import StrataTestSupport
import Testing

/// The web dashboard and API as users meet them: `strata demo` serving on loopback, a real
/// headless Chromium logging in through the form, schemathesis against the OpenAPI document,
/// curl for the API, /metrics and HEAD, and `strata run` with a `[web]` section.
@Suite(.serialized) struct WebCLITests {
    static func run(_ exe: String, _ args: [String], environment: [String: String] = [:]) throws -> (
        status: Int32, out: String, err: String
    ) { try Command.run(exe, args, environment: environment) }

    static func curl(_ args: [String]) throws -> String { try Command.curl(args) }

    static func metrics(_ text: String) -> [String: Double] { Command.metrics(text) }

    @Test func theDemoServesTheDashboardToABrowserAndTheAPIToScripts() throws {
        let dir = TempDir()
        let web = Net.freePort()
        let ftp = Net.freePort()
        let p = try CLI.start([
            "demo", "--data", dir.file("demo"), "--days", "3", "--time-scale", "30", "--ftp-port", "\(ftp)",
            "--web-port", "\(web)",
        ])
        defer { if p.process.isRunning { p.process.terminate() } }
        #expect(p.waitForStderr("web server listening", seconds: 120), "\(p.early.suffix(2000))")
        let base = "http://127.0.0.1:\(web)"

        // A real browser: Chromium logs in through the form, then renders both pages.
        let shots = dir.file("browser")
        let browse = try Self.run(
            PythonPeer.interpreter,
            [
                PythonPeer.repository + "/tools/web-browser/browse.py", "--base", base,
                "--user", "demo", "--password", "demo", "--out", shots, "/", "/devices/main",
            ])
        #expect(browse.status == 0, "\(browse.err.suffix(1500))")
        let pages = browse.out.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(pages.count == 2)
        #expect(pages.allSatisfy { $0["status"] as? Int == 200 }, "\(pages)")
        #expect(pages.first?["url"] as? String == "/", "logged in, not sent back to the login form")
        let overview = try String(contentsOfFile: shots + "/overview.html", encoding: .utf8)
        for d in ["main", "hvac", "kitchen", "water", "gas"] {
            #expect(overview.contains("data-device=\"\(d)\""), "\(d) on the overview")
        }
        #expect(overview.contains("state-ok") || overview.contains("state-idle"))
        let meter = try String(contentsOfFile: shots + "/devices_main.html", encoding: .utf8)
        #expect(
            meter.components(separatedBy: "<svg class=\"chart\"").count - 1 == 6,
            "energy bars and power lines for 24 h, 31 days, 24 months")
        #expect(meter.contains("<rect x=") && meter.contains("<polyline"), "bars and lines drawn")
        #expect(meter.contains("Download CSV"))

        // The API for scripts: HTTP Basic from this machine, JSON and CSV, HEAD.
        let devices = try Self.curl(["-u", "demo:demo", base + "/api/v1/devices"])
        #expect(devices.contains("\"id\":\"gas\""))
        let csv = try Self.curl([
            "-u", "demo:demo", "-H", "Accept: text/csv", base + "/api/v1/devices/main/series?tier=day",
        ])
        #expect(csv.hasPrefix("start,") && csv.contains("energy_import"), "\(csv.prefix(200))")
        let head = try Self.curl(["-I", "-u", "demo:demo", base + "/api/v1/site"])
        #expect(head.hasPrefix("HTTP/1.1 200"))

        // schemathesis against the live server: no server errors, no schema violations.
        let st = try Self.run(
            PythonPeer.repository + "/.venv-test/bin/schemathesis",
            [
                "--config-file", PythonPeer.repository + "/tools/web-api/schemathesis.toml", "run",
                base + "/api/v1/openapi.json",
                "-H", "Authorization: Basic " + Data("demo:demo".utf8).base64EncodedString(), "--checks", "all",
                "--max-examples", "30",
                "--no-color",
            ])
        #expect(st.status == 0, "\(st.out.suffix(3000))")

        // /metrics, parsed: polls per device, FTP, archive, store and outbox figures.
        _ = try Self.curl(["ftp://demo:demo@127.0.0.1:\(ftp)/"])
        Thread.sleep(forTimeInterval: 4) // two live minutes at 30× time
        let m = Self.metrics(try Self.curl([base + "/metrics"]))
        for d in ["main", "hvac", "kitchen", "water", "gas"] {
            #expect((m["strata_polls_total{device=\"\(d)\"}"] ?? 0) >= 1, "polls of \(d)")
        }
        #expect((m["strata_poll_round_seconds_count"] ?? 0) >= 1)
        #expect((m["strata_ftp_connections_total"] ?? 0) >= 1)
        #expect((m["strata_store_bytes"] ?? 0) > 0)
        #expect((m["strata_store_minute_points"] ?? 0) > 100_000)
        #expect(m["strata_rollup_lag_seconds"] != nil && m["strata_outbox_pending"] != nil)

        // A hostile neighbour holds 2,000 idle connections to the web port: the FTP server and
        // the sampler do not notice, and the web server serves again once they are gone.
        _ = RawClient.raiseFileLimit(to: 3000)
        var idle: [RawClient] = []
        for _ in 0..<2000 {
            if let c = RawClient(port: web) { idle.append(c) }
        }
        let pollsBefore = m["strata_polls_total{device=\"main\"}"] ?? 0
        Thread.sleep(forTimeInterval: 5) // 2.5 live minutes at 30×
        let listing = try Self.run(
            "/usr/bin/curl", ["-s", "-S", "--max-time", "20", "ftp://demo:demo@127.0.0.1:\(ftp)/"])
        #expect(listing.status == 0 && listing.out.contains("excel-eu"), "FTP during the flood: \(listing.err)")
        for c in idle { c.close() }
        Thread.sleep(forTimeInterval: 0.5)
        let after = Self.metrics(try Self.curl([base + "/metrics"]))
        #expect((after["strata_polls_total{device=\"main\"}"] ?? 0) >= pollsBefore + 2, "the sampler kept polling")

        // SIGTERM: every service, the web server included, stops and the process exits cleanly.
        p.process.terminate()
        let r = p.finish()
        #expect(r.status == 0, "\(r.stderr.suffix(1500))")
    }

    @Test func runServesWebWhenConfiguredAndNamesWrongKeys() throws {
        let dir = TempDir()
        let web = Net.freePort()
        let hash = try #require(
            CLI.run(["passwd"], input: "s3cret\ns3cret\n").stdout.split(separator: "\n").last.map(String.init))
        let config =
            SiteTOML.header(
                timezone: "Europe/Berlin", store: dir.file("data/strata.sqlite"), archive: dir.file("archive"))
                + """

                [ftp]
                port = \(Net.freePort())

                [[ftp.users]]
                name = "fm"
                password_hash = "\(hash)"

                [web]
                port = \(web)

                """
            + SiteTOML.device(
                "main", driver: "simulated", extra: "simulate = \"electricity\"",
                channels: [("energy", "kWh", "counter"), ("power", "W", "gauge")])
        try dir.write("strata.toml", config)
        let p = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60"])
        defer { if p.process.isRunning { p.process.terminate() } }
        #expect(p.waitForStderr("web server listening", seconds: 60), "\(p.early.suffix(1500))")
        let health = try Self.curl(["-w", "\n%{http_code}", "http://127.0.0.1:\(web)/healthz"])
        #expect(health.contains("\"store_writable\":true"))
        let devices = try Self.curl(["-u", "fm:s3cret", "http://127.0.0.1:\(web)/api/v1/devices"])
        #expect(devices.contains("\"id\":\"main\""), "\(devices)")
        #expect(FileManager.default.fileExists(atPath: dir.file("data/web-session.key")), "sessions survive a restart")
        p.process.terminate()
        #expect(p.finish().status == 0)

        // A wrong key in [web] stops `strata run` before it starts, naming file, line and key.
        try dir.write("bad.toml", config.replacingOccurrences(of: "[web]\nport", with: "[web]\nprot"))
        let bad = try CLI.run(["run", "--config", dir.file("bad.toml")])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("bad.toml:") && bad.stderr.contains("web.prot"), "\(bad.stderr)")
    }
}
