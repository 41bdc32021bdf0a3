import StrataCore
import Testing

@testable import StrataWeb

/// The web's pure parts: signatures, sessions, access from FTP homes, time parsing, JSON, SVG.
struct WebPureTests {
    @Test(arguments: [[UInt8](), [0], [1, 2], [1, 2, 3], Array("strata session ü".utf8), Array(0...255)])
    func base64URLRoundTrips(_ bytes: [UInt8]) {
        let s = Base64URL.encode(bytes)
        #expect(!s.contains("=") && !s.contains("+") && !s.contains("/"))
        #expect(Base64URL.decode(s) == bytes)
    }

    @Test func sessionCookiesAreSignedAndExpire() {
        let key = Array("0123456789abcdef0123456789abcdef".utf8)
        let v = SessionCookie(user: "alice", expires: 2000).value(key: key)
        #expect(SessionCookie.verify(v, key: key, now: 1000) == SessionCookie(user: "alice", expires: 2000))
        #expect(SessionCookie.verify(v, key: key, now: 2000) == nil, "expired")
        #expect(SessionCookie.verify(v, key: Array("another key of thirty-two bytes!".utf8), now: 1000) == nil)
        // Another user name with the same signature, or a later expiry: refused.
        let parts = v.split(separator: ".")
        #expect(
            SessionCookie.verify(
                "\(Base64URL.encode(Array("admin".utf8))).\(parts[1]).\(parts[2])", key: key, now: 1000) == nil)
        #expect(SessionCookie.verify("\(parts[0]).9999.\(parts[2])", key: key, now: 1000) == nil)
        #expect(SessionCookie.verify("garbage", key: key, now: 1000) == nil)
        #expect(
            SessionCookie.csrfToken(cookieValue: v, key: key) != SessionCookie.csrfToken(cookieValue: v + "x", key: key)
        )
    }

    @Test(arguments: [
        ("", nil as Set<String>?, nil as CSVDialect?, true),
        ("excel-eu", nil, .excelEU, true),
        ("iso/main", Set(["main"]), .iso, false),
        ("excel-us/water/day", Set(["water"]), .excelUS, false),
        ("iso/_site", Set<String>(), .iso, false),
    ])
    func accessFollowsTheFTPHome(home: String, devices: Set<String>?, dialect: CSVDialect?, seesSite: Bool) {
        let a = WebAccess(user: "u", home: home)
        #expect(a.devices == devices)
        #expect(a.dialect == dialect)
        #expect(a.seesSite == seesSite)
    }

    @Test func accessToArchivePaths() {
        let a = WebAccess(user: "u", home: "iso/main")
        #expect(a.allows(path: "iso/main/day/2026.csv"))
        #expect(a.allows(path: "iso/main"))
        #expect(!a.allows(path: "iso/water/day/2026.csv"))
        #expect(!a.allows(path: "iso/mainx/day.csv"))
        #expect(!a.allows(path: "iso"))
        #expect(WebAccess(user: "u", home: "").allows(path: "anything/at/all"))
    }

    static let berlin = WebTime(calendar: SiteCalendar(zone: ZoneRules(identifier: "Europe/Berlin")!))

    @Test(arguments: [
        ("2026-12-02", 1_796_166_000 as Int64?), // local midnight, +01:00
        ("2026-12-02T13:00", 1_796_212_800),
        ("2026-12-02 13:00:30", 1_796_212_830),
        ("2026-12-02T13:00:00Z", 1_796_216_400),
        ("2026-12-02T13:00:00+05:30", 1_796_196_600),
        ("2026-07-01", 1_782_856_800), // summer: +02:00
        ("1796166000", 1_796_166_000),
        ("2026-02-30", nil), ("2026-13-01", nil), ("2026-12-02T25:00", nil), ("yesterday", nil),
        ("2026-12-02T13:00+1", nil), ("", nil),
    ])
    func timesUsersType(text: String, expected: Int64?) {
        #expect(Self.berlin.parse(text) == expected)
    }

    @Test func isoTimesCarryTheSiteOffset() {
        #expect(Self.berlin.iso(1_796_212_800) == "2026-12-02T13:00:00+01:00")
        #expect(Self.berlin.iso(1_782_856_800) == "2026-07-01T00:00:00+02:00")
    }

    @Test func jsonEscapesAndKeepsResolution() {
        var w = JSONWriter()
        w.beginObject()
        w.field("name", "a \"quoted\"\\ name\n\u{1}")
        w.key("v")
        w.number(1234.5670000001, decimals: 3)
        w.key("nan")
        w.number(Double.nan, decimals: 1)
        w.key("list")
        w.beginArray()
        w.int(1)
        w.null()
        w.bool(true)
        w.endArray()
        w.endObject()
        #expect(
            String(decoding: w.bytes, as: UTF8.self)
                == #"{"name":"a \"quoted\"\\ name\n\u0001","v":1234.567,"nan":null,"list":[1,null,true]}"#)
    }

    @Test func chartsDrawGapsAsGaps() {
        let pts: [SVGChart.Point] = [
            .init(start: 0, end: 60, value: 1, low: 0.5, high: 2),
            .init(start: 60, end: 120, value: 2, low: 1, high: 3),
            .init(start: 120, end: 180, value: nil),
            .init(start: 180, end: 240, value: 3, low: 2, high: 4),
            .init(start: 240, end: 300, value: 2, low: 1, high: 5),
        ]
        let line = SVGChart(id: "c", title: "Power <W>", unit: "W", style: .line, from: 0, to: 300, points: pts)
            .render()
        #expect(line.components(separatedBy: "<polyline").count - 1 == 2, "two runs around the gap")
        #expect(line.components(separatedBy: "class=\"band\"").count - 1 == 2)
        #expect(line.contains("<title id=\"c-title\">Power &lt;W&gt;</title>"))
        let bars = SVGChart(id: "b", title: "kWh", unit: "kWh", style: .bars, from: 0, to: 300, points: pts).render()
        #expect(bars.components(separatedBy: "<rect").count - 1 == 4 + 1, "four bars and the frame: none for the gap")
        let empty = SVGChart(id: "e", title: "kWh", unit: "kWh", style: .bars, from: 0, to: 300, points: []).render()
        #expect(empty.contains("no data in this range"))
    }

    @Test func secretsAreMasked() {
        let text = """
            [[ftp.users]]
            name = "alice"
            password_hash = "$scrypt$ln=14,r=8,p=1$abc$def"
            [web]
            api_tokens = [
              "$scrypt$one",
              "$scrypt$two",
            ]
            port = 8080
            [smtp]
            password_file = "/etc/strata/smtp.pw"
            """
        let m = WebApp.maskSecrets(text)
        #expect(!m.contains("scrypt"))
        #expect(m.contains("name = \"alice\"") && m.contains("port = 8080"))
        #expect(m.contains("password_file = \"/etc/strata/smtp.pw\""), "a path is not a secret")
    }
}
