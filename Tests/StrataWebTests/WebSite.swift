import Foundation
import Hummingbird
import StrataConfig
import StrataCore
import StrataStore
import StrataTestSupport

@testable import StrataWeb

/// A small site for the web tests: a config file with two FTP users and an API token, a real
/// store with two days of minutes (rolled up), and an archive folder with a few files.
final class WebSite: @unchecked Sendable {
    let dir = TempDir()
    let config: StrataConfig
    /// 2026-12-02 13:00 in Berlin: "now" for every request.
    static let now: Int64 = 1_796_212_800
    static let token = "tok-0123456789abcdef"
    static let key = Array("web-tests-session-key-32-bytes!!".utf8)
    /// Minutes written for each counter (kWh/m³ per minute, as steps of the resolution).
    let dayStart: Int64

    init(statusAge: Int64 = 60) throws {
        let hashA = PasswordHash.make("alice-pw", parameters: .init(logN: 8, r: 8, p: 1))
        let hashB = PasswordHash.make("bob-pw", parameters: .init(logN: 8, r: 8, p: 1))
        let hashT = PasswordHash.make(Self.token, parameters: .init(logN: 8, r: 8, p: 1))
        let text =
            SiteTOML.header(
                name: "Web test site", timezone: "Europe/Berlin", store: dir.file("s.sqlite"),
                archive: dir.file("archive"),
                dialects: ["iso", "excel-eu"])
                + """

                [ftp]
                port = 2121

                [[ftp.users]]
                name = "alice"
                password_hash = "\(hashA)"

                [[ftp.users]]
                name = "bob"
                password_hash = "\(hashB)"
                home = "iso/water"

                [web]
                port = 8080
                api_tokens = ["\(hashT)"]

                """
            + SiteTOML.device(
                "main", name: "Main meter", driver: "simulated", extra: "simulate = \"electricity\"",
                channels: [("energy_import", "kWh", "counter"), ("power", "W", "gauge")])
            + SiteTOML.device(
                "water", name: "Cold water", driver: "simulated", extra: "simulate = \"water\"",
                channels: [("water", "m3", "counter")])
                + """

                [[alarms]]
                id = "peak"
                kind = "threshold"
                device = "main"
                channel = "power"
                above = 300
                severity = "critical"
                notify = ["fm@example.org"]
                """
        try dir.write("strata.toml", text)
        config = try StrataConfig.load(path: dir.file("strata.toml"))
        let store = try Store(
            path: config.storage.path, channels: config.allChannels, calendar: config.site.calendar,
            retention: config.retention)
        let cal = config.site.calendar
        dayStart = cal.bucketStart(.day, containing: Self.now)
        var samples: [Sample] = []
        let e = try store.channel(device: "main", channel: "energy_import").id
        let p = try store.channel(device: "main", channel: "power").id
        let w = try store.channel(device: "water", channel: "water").id
        // From yesterday 00:00 to now: energy +0.5 kWh a minute, water +0.01 m³, power a ramp;
        // the water meter has a gap of an hour today (06:00-07:00).
        var t = dayStart - 86_400
        var energy = 1000.0
        var water = 50.0
        while t <= Self.now {
            samples.append(Sample(channel: e, ts: t, value: energy))
            samples.append(Sample(channel: p, ts: t, value: Double(t % 3600) / 10))
            if !(t >= dayStart + 6 * 3600 && t < dayStart + 7 * 3600) {
                samples.append(Sample(channel: w, ts: t, value: water))
            }
            energy += 0.5
            water += 0.01
            // The water meter was replaced yesterday at noon: its register starts again at 0.
            if t == dayStart - 43_200 { water = 0 }
            t += 60
        }
        let statuses = ["main", "water"].map {
            DeviceStatus(device: $0, lastSuccess: Self.now - statusAge, lastAttempt: Self.now - statusAge)
        }
        try store.write(samples, statuses: statuses)
        try store.rollUp(now: Self.now)
        try store.recordAlarms(
            states: [
                StoredAlarmState(
                    rule: "peak", phase: "active", since: Self.now - 600, minutes: 0, notified: Self.now - 600)
            ], log: [])
        // Archive files, as the archive writer lays them out.
        for path in [
            "iso/main/day/2026.csv", "iso/water/day/2026.csv", "excel-eu/main/day/2026.csv", "README.txt",
            "iso/main/day/.strata-tmp-1-x.csv",
        ] {
            let full = dir.file("archive/" + path)
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try dir.write("archive/" + path, "file \(path)\n")
        }
    }

    func app(tls: Bool = false, clock: any WallClock = ManualClock(Double(WebSite.now))) throws -> WebApp {
        guard let w = config.web else { throw WebSetupError(reason: "no [web]") }
        var settings = WebSettings(
            host: "127.0.0.1", port: 0,
            users: (config.ftp?.users ?? []).map { u in
                let hash = u.passwordHash
                return WebUser(name: u.name, home: u.home, check: { PasswordHash.verify($0, against: hash) })
            }, sessionKey: Self.key)
        settings.tokenHashes = w.apiTokens
        settings.maxCells = 100_000
        return WebApp(
            reader: try SiteReader(config: config, maxCells: settings.maxCells), settings: settings,
            metrics: StrataMetrics(), clock: clock)
    }
}
