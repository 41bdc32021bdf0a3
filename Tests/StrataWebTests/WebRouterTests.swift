import Foundation
import Hummingbird
import HummingbirdTesting
import StrataCore
import Testing

@testable import StrataWeb

/// Every endpoint through the router in memory (HummingbirdTesting): authentication and
/// access, JSON and CSV, problems. The in-memory client has no address, so it counts as remote.
@Suite(.serialized) struct WebRouterTests {
    let site: WebSite
    let web: WebApp

    /// One site for the suite: the tests only read it.
    static let shared = Result { try WebSite() }

    init() throws {
        site = try Self.shared.get()
        web = try site.app()
    }

    static let bearer: HTTPFields = [.authorization: "Bearer \(WebSite.token)"]

    /// The body as a JSON object; empty (failing the expectations on it) when it is not one.
    func json(_ b: ByteBuffer) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(buffer: b))) as? [String: Any]) ?? [:]
    }

    func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: web.router())
        try await app.test(.router) { client in try await body(client) }
    }

    /// Logs in through the form and returns the session cookie.
    static func login(_ client: any TestClientProtocol, _ user: String, _ password: String) async throws -> String {
        try await client.execute(
            uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "user=\(user)&password=\(password)&next=%2Fdevices%2Fwater")
        ) { r in
            #expect(r.status == .seeOther)
            #expect(r.headers[.location] == "/devices/water")
            let setCookie = try #require(r.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            return String(setCookie.split(separator: ";")[0])
        }
    }

    @Test func healthNeedsNoLogin() async throws {
        try await test { client in
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .ok)
                let j = self.json(r.body)
                #expect(j["status"] as? String == "ok")
                #expect(j["store_writable"] as? Bool == true)
                #expect(j["sampler_alive"] as? Bool == true)
                #expect(j["rollup_age_seconds"] is Int)
            }
        }
    }

    /// Restarted an hour after the last poll on file: "starting" (200) until the first poll is
    /// due plus one poll interval of grace, then judged as usual (503).
    @Test func healthIsStartingUntilTheFirstPollIsOverdue() async throws {
        let clock = ManualClock(Double(WebSite.now + 3600))
        let app = try site.app(clock: clock)
        try await Application(router: app.router()).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .ok)
                let j = self.json(r.body)
                #expect(j["status"] as? String == "starting")
                #expect(j["sampler_alive"] as? Bool == false)
            }
            clock.advance(by: 119)
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .ok, "the first poll (at most 60 s away) plus 60 s of grace")
            }
            clock.advance(by: 11)
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(self.json(r.body)["status"] as? String == "failing")
            }
        }
    }

    @Test func theAPIRefusesWithoutCredentialsAndBasicOverPlainRemoteHTTP() async throws {
        try await test { client in
            try await client.execute(uri: "/api/v1/devices", method: .get) { r in
                #expect(r.status == .unauthorized)
                #expect(r.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
                #expect(r.headers[.contentType] == "application/problem+json")
                #expect(self.json(r.body)["detail"] is String)
            }
            let basic = "Basic " + Data("alice:alice-pw".utf8).base64EncodedString()
            try await client.execute(uri: "/api/v1/devices", method: .get, headers: [.authorization: basic]) { r in
                #expect(r.status == .forbidden, "a password in clear text over the network")
            }
            try await client.execute(
                uri: "/api/v1/devices", method: .get, headers: [.authorization: "Bearer wrong-token-123"]
            ) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .unauthorized, "metrics need a login off this machine")
            }
        }
    }

    @Test func devicesWithTodaysConsumption() async throws {
        try await test { client in
            try await client.execute(uri: "/api/v1/devices", method: .get, headers: Self.bearer) { r in
                #expect(r.status == .ok)
                let devices = try #require(self.json(r.body)["devices"] as? [[String: Any]])
                #expect(devices.map { $0["id"] as? String } == ["main", "water"])
                // 13 hours of minutes at 0.5 kWh each, 00:00 to 13:00 (the 13:00 reading closes the last one).
                #expect(devices[0]["today"] as? Double == 13 * 60 * 0.5)
                #expect(devices[0]["state"] as? String == "ok")
                #expect(devices[0]["last_reading"] as? String == "2026-12-02T13:00:00+01:00")
                #expect(devices[0]["last_reading_epoch"] as? Int == Int(WebSite.now))
                #expect((devices[0]["channels"] as? [[String: Any]])?.count == 2)
            }
            try await client.execute(uri: "/api/v1/devices?format=csv", method: .get, headers: Self.bearer) { r in
                #expect(r.headers[.contentType]?.hasPrefix("text/csv") == true)
                let lines = String(buffer: r.body).split(separator: "\r\n")
                #expect(lines.count == 3)
                #expect(lines[0].hasPrefix("id,name,driver,state"))
            }
            try await client.execute(uri: "/api/v1/devices/main/status", method: .get, headers: Self.bearer) { r in
                #expect(self.json(r.body)["state"] as? String == "ok")
            }
            try await client.execute(uri: "/api/v1/devices/nope", method: .get, headers: Self.bearer) { r in
                #expect(r.status == .notFound)
                #expect((self.json(r.body)["detail"] as? String)?.contains("/api/v1/devices") == true)
            }
        }
    }

    @Test func siteDeviceAndCounterEvents() async throws {
        try await test { client in
            try await client.execute(uri: "/api/v1/site", method: .get, headers: Self.bearer) { r in
                let j = self.json(r.body)
                #expect(j["name"] as? String == "Web test site")
                #expect(j["timezone"] as? String == "Europe/Berlin")
                #expect(j["now"] as? String == "2026-12-02T13:00:00+01:00")
                #expect(j["devices"] as? [String] == ["main", "water"])
            }
            try await client.execute(uri: "/api/v1/devices/water", method: .get, headers: Self.bearer) { r in
                let j = self.json(r.body)
                #expect(j["id"] as? String == "water")
                #expect((j["channels"] as? [[String: Any]])?.first?["unit"] as? String == "m3")
            }
            try await client.execute(uri: "/api/v1/devices/water/events", method: .get, headers: Self.bearer) { r in
                let events = (self.json(r.body)["events"] as? [[String: Any]]) ?? []
                #expect(events.count == 1)
                #expect(events.first?["action"] as? String == "reset")
                #expect(events.first?["time"] as? String == "2026-12-01T12:01:00+01:00")
                #expect(events.first?["new"] as? Double == 0)
            }
            try await client.execute(uri: "/api/v1/devices/water/events?format=csv", method: .get, headers: Self.bearer)
            { r in
                let lines = String(buffer: r.body).split(separator: "\r\n")
                #expect(lines.first == "time,channel,action,old,new")
                #expect(lines.count == 2)
            }
            try await client.execute(uri: "/api/v1/devices/main/events", method: .get, headers: Self.bearer) { r in
                #expect((self.json(r.body)["events"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func seriesOfEveryTierAddUp() async throws {
        try await test { client in
            var hourly: Double = 0
            try await client.execute(
                uri: "/api/v1/devices/main/series?tier=hour&from=2026-12-01&to=2026-12-02", method: .get,
                headers: Self.bearer
            ) { r in
                #expect(r.status == .ok)
                let j = self.json(r.body)
                let rows = try #require(j["rows"] as? [[String: Any]])
                #expect(rows.count == 24)
                #expect(rows.first?["start"] as? String == "2026-12-01T00:00:00+01:00")
                for row in rows {
                    let v = try #require((row["values"] as? [String: Any])?["energy_import"] as? [String: Any])
                    hourly += try #require(v["consumption"] as? Double)
                    let p = try #require((row["values"] as? [String: Any])?["power"] as? [String: Any])
                    #expect(p["min"] as? Double == 0 && p["max"] as? Double == 354)
                }
            }
            try await client.execute(
                uri: "/api/v1/devices/main/series?tier=day&from=2026-12-01&to=2026-12-02", method: .get,
                headers: Self.bearer
            ) { r in
                let rows = try #require(self.json(r.body)["rows"] as? [[String: Any]])
                let day = try #require(
                    ((rows.first?["values"] as? [String: Any])?["energy_import"] as? [String: Any])?["consumption"]
                        as? Double)
                #expect(day == hourly)
                #expect(day == 1440 * 0.5)
            }
            // A range into the next century reads only up to the newest minute (it once computed
            // every quarter-hour up to 2184 from minutes).
            try await client.execute(
                uri: "/api/v1/devices/main/series?tier=year&from=2016-01-01&to=2184-01-01", method: .get,
                headers: Self.bearer
            ) { r in
                let rows = (self.json(r.body)["rows"] as? [[String: Any]]) ?? []
                #expect(rows.count == 11)
                #expect(rows.last?["start"] as? String == "2026-01-01T00:00:00+01:00")
            }
            // An inverted range is an empty answer, not an error.
            try await client.execute(
                uri: "/api/v1/devices/main/series?from=2026-12-02&to=2026-12-01", method: .get, headers: Self.bearer
            ) { r in
                #expect(r.status == .ok)
                #expect((self.json(r.body)["rows"] as? [Any])?.isEmpty == true)
            }
            // Methods the API does not have are named as such.
            try await client.execute(uri: "/api/v1/devices", method: .delete, headers: Self.bearer) { r in
                #expect(r.status == .methodNotAllowed)
                #expect(r.headers[.allow] == "GET, HEAD")
            }
            // Minutes: the water meter's hour without readings is not there (a gap, not zeros).
            try await client.execute(
                uri: "/api/v1/devices/water/series?tier=minute&from=2026-12-02T05:00&to=2026-12-02T08:00", method: .get,
                headers: Self.bearer
            ) { r in
                let rows = try #require(self.json(r.body)["rows"] as? [[String: Any]])
                #expect(rows.count == 120)
                #expect(!rows.contains { ($0["start"] as? String)?.hasPrefix("2026-12-02T06:") == true })
            }
            // CSV by Accept header and by format=csv, in the dialect asked for.
            try await client.execute(
                uri: "/api/v1/devices/main/series?tier=day&from=2026-12-01&to=2026-12-02", method: .get,
                headers: [.authorization: "Bearer \(WebSite.token)", .accept: "text/csv"]
            ) { r in
                #expect(r.headers[.contentType]?.hasPrefix("text/csv") == true)
                #expect(String(buffer: r.body).contains("720.000"))
            }
            try await client.execute(
                uri: "/api/v1/devices/main/series?tier=day&from=2026-12-01&to=2026-12-02&format=csv&dialect=excel-eu",
                method: .get, headers: Self.bearer
            ) { r in
                let text = String(buffer: r.body)
                #expect(text.contains(";") && text.contains("720,000"))
                #expect(r.headers[.contentDisposition]?.contains("main-day-2026-12-01.csv") == true)
            }
        }
    }

    @Test(arguments: [
        ("/api/v1/devices/main/series?tier=weekly", HTTPResponse.Status.badRequest, "tier"),
        ("/api/v1/devices/main/series?from=last+tuesday", .badRequest, "from"),
        ("/api/v1/devices/main/series?tier=minute&from=2026-01-01&to=2026-12-01", .contentTooLarge, "days of minutes"),
        ("/api/v1/devices/main/series?channels=nope", .notFound, "nope"),
        ("/api/v1/devices/main/series?format=xml", .badRequest, "json or csv"),
        ("/api/v1/devices/main/series?format=csv&dialect=klingon", .badRequest, "excel-eu"),
    ])
    func badRequestsAreProblemsWithAHint(uri: String, status: HTTPResponse.Status, hint: String) async throws {
        try await test { client in
            try await client.execute(uri: uri, method: .get, headers: Self.bearer) { r in
                #expect(r.status == status)
                #expect(r.headers[.contentType] == "application/problem+json")
                let detail = try #require(self.json(r.body)["detail"] as? String)
                #expect(detail.contains(hint), "\(detail)")
            }
        }
    }

    @Test func pagesNeedASessionFromTheLoginForm() async throws {
        try await test { client in
            try await client.execute(uri: "/devices/main?tier=day", method: .get) { r in
                #expect(r.status == .seeOther)
                #expect(r.headers[.location] == "/login?next=%2Fdevices%2Fmain%3Ftier%3Dday")
            }
            try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "user=alice&password=wrong&next=%2F")
            ) { r in
                #expect(r.status == .unauthorized)
                #expect(r.headers[.setCookie] == nil)
                #expect(String(buffer: r.body).contains("Wrong user name or password"))
            }
            let cookie = try await Self.login(client, "alice", "alice-pw")
            try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie]) { r in
                #expect(r.status == .ok)
                let html = String(buffer: r.body)
                #expect(html.contains("data-device=\"main\"") && html.contains("data-device=\"water\""))
                #expect(html.contains("390.000 kWh"), "today's consumption")
                #expect(
                    html.contains("Active alarms")
                        && html.contains("<strong>peak</strong> (critical, main) since 2026-12-02 12:50"))
                #expect(r.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            }
            try await client.execute(uri: "/devices/main", method: .get, headers: [.cookie: cookie]) { r in
                let html = String(buffer: r.body)
                #expect(
                    html.components(separatedBy: "<svg").count - 1 == 6, "two channels × (24 h, 31 days, 24 months)")
                #expect(html.contains("format=csv&amp;dialect=excel-eu"))
            }
            try await client.execute(
                uri: "/devices/main?tier=quarter&from=2026-12-01&to=2026-12-02&dialect=iso", method: .get,
                headers: [.cookie: cookie]
            ) { r in
                let html = String(buffer: r.body)
                #expect(html.components(separatedBy: "<svg").count - 1 == 2)
                #expect(
                    html.contains("tier=quarter&amp;from=1796079600&amp;to=1796166000&amp;format=csv&amp;dialect=iso"))
            }
            // A session also reads the API (the pages' CSV links).
            try await client.execute(uri: "/api/v1/outbox", method: .get, headers: [.cookie: cookie]) { r in
                #expect(r.status == .ok)
                #expect((self.json(r.body)["messages"] as? [Any])?.isEmpty == true)
            }
            // A forged or tampered cookie is no session.
            try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie + "x"]) { r in
                #expect(r.status == .seeOther)
            }
        }
    }

    @Test func aUserLimitedToOneMeterSeesOnlyThatMeter() async throws {
        try await test { client in
            let cookie = try await Self.login(client, "bob", "bob-pw")
            try await client.execute(uri: "/api/v1/devices", method: .get, headers: [.cookie: cookie]) { r in
                let devices = try #require(self.json(r.body)["devices"] as? [[String: Any]])
                #expect(devices.map { $0["id"] as? String } == ["water"])
            }
            try await client.execute(
                uri: "/api/v1/devices/main/series?tier=day", method: .get, headers: [.cookie: cookie]
            ) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(
                uri: "/api/v1/devices/water/series?tier=day", method: .get, headers: [.cookie: cookie]
            ) { r in
                #expect(r.status == .ok)
            }
            for page in ["/devices/main", "/outbox", "/config"] {
                try await client.execute(uri: page, method: .get, headers: [.cookie: cookie]) { r in
                    #expect(r.status == .forbidden, "\(page)")
                }
            }
            try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie]) { r in
                let html = String(buffer: r.body)
                #expect(html.contains("data-device=\"water\"") && !html.contains("data-device=\"main\""))
                #expect(!html.contains("Active alarms"), "main's alarm is not bob's to see")
            }
            // The archive: the way down to the home, the home's files, nothing beside it.
            try await client.execute(uri: "/archive/", method: .get, headers: [.cookie: cookie]) { r in
                let html = String(buffer: r.body)
                #expect(
                    html.contains("/archive/iso/") && !html.contains("/archive/excel-eu/")
                        && !html.contains("README.txt"))
            }
            try await client.execute(uri: "/archive/iso/water/day/2026.csv", method: .get, headers: [.cookie: cookie]) {
                r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == "file iso/water/day/2026.csv\n")
            }
            try await client.execute(uri: "/archive/iso/main/day/2026.csv", method: .get, headers: [.cookie: cookie]) {
                r in
                #expect(r.status == .forbidden)
            }
        }
    }

    @Test func theArchiveIsBrowsableAndConfined() async throws {
        try await test { client in
            let cookie = try await Self.login(client, "alice", "alice-pw")
            try await client.execute(uri: "/archive/iso/main/day/", method: .get, headers: [.cookie: cookie]) { r in
                let html = String(buffer: r.body)
                #expect(html.contains("href=\"/archive/iso/main/day/2026.csv\""))
                #expect(!html.contains("strata-tmp"), "files being written are hidden")
            }
            for bad in [
                "/archive/iso/../../strata.toml", "/archive/iso/main/day/.strata-tmp-1-x.csv", "/archive/nope/",
            ] {
                try await client.execute(uri: bad, method: .get, headers: [.cookie: cookie]) { r in
                    #expect(r.status == .notFound, "\(bad)")
                    #expect(!String(buffer: r.body).contains("[site]"))
                }
            }
            try await client.execute(uri: "/config", method: .get, headers: [.cookie: cookie]) { r in
                let html = String(buffer: r.body)
                #expect(html.contains("Web test site") && !html.contains("$scrypt"))
            }
        }
    }

    @Test func formsAreCSRFSafeAndLoginDoesNotRedirectAway() async throws {
        try await test { client in
            let cookie = try await Self.login(client, "alice", "alice-pw")
            try await client.execute(
                uri: "/logout", method: .post,
                headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "csrf=forged")
            ) { r in
                #expect(r.status == .forbidden)
            }
            let value = String(cookie.dropFirst("strata_session=".count))
            let token = SessionCookie.csrfToken(cookieValue: value, key: WebSite.key)
            try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie]) { r in
                #expect(
                    String(buffer: r.body).contains("name=\"csrf\" value=\"\(token)\""), "the page carries the token")
            }
            try await client.execute(
                uri: "/logout", method: .post,
                headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "csrf=\(token)")
            ) { r in
                #expect(r.status == .seeOther)
                #expect(r.headers[.setCookie]?.contains("Max-Age=0") == true)
            }
            try await client.execute(
                uri: "/login", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .origin: "https://evil.example"],
                body: ByteBuffer(string: "user=alice&password=alice-pw")
            ) { r in
                #expect(r.status == .forbidden, "a login posted from another site")
            }
            try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "user=alice&password=alice-pw&next=%2F%2Fevil.example")
            ) { r in
                #expect(r.headers[.location] == "/")
            }
        }
    }

    @Test func metricsAndTheOpenAPIDocument() async throws {
        try await test { client in
            try await client.execute(uri: "/metrics", method: .get, headers: Self.bearer) { r in
                #expect(r.status == .ok)
                let text = String(buffer: r.body)
                var values: [String: Double] = [:]
                for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                    let parts = line.split(separator: " ")
                    if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
                }
                #expect((values["strata_store_bytes"] ?? 0) > 0)
                #expect(
                    values["strata_store_minute_points"] == Double(2 * 2221 + 2161),
                    "two channels of main, water minus its gap hour")
                #expect(values["strata_outbox_pending"] == 0)
                #expect(values["strata_alarms_active"] == 1)
            }
            try await client.execute(uri: "/api/v1/openapi.json", method: .get) { r in
                let doc = self.json(r.body)
                #expect(doc["openapi"] as? String == "3.1.0")
                let paths = try #require(doc["paths"] as? [String: Any])
                for p in [
                    "/healthz", "/api/v1/site", "/api/v1/devices", "/api/v1/devices/{id}",
                    "/api/v1/devices/{id}/status",
                    "/api/v1/devices/{id}/series", "/api/v1/devices/{id}/events", "/api/v1/outbox",
                ] {
                    #expect(paths[p] != nil, "\(p)")
                }
            }
        }
    }
}
