import Foundation
import Testing

@testable import StrataConfig
@testable import StrataCore

@Suite struct ReportConfigTests {
    static let text = """
        [site]
        name = "Plant A"
        timezone = "Europe/Paris"

        [storage]
        path = "data/strata.sqlite"

        [archive]
        dialects = ["excel-eu", "iso"]

        [[devices]]
        id = "main"
        driver = "none"

        [[devices.channels]]
        id = "energy_import"
        unit = "kWh"
        kind = "counter"

        [smtp]
        host = "mail.example.org"
        username = "reports"
        password = "s3cret"
        from = "strata@example.org"

        [[reports]]
        name = "monthly"
        schedule = "monthly"
        at = "06:00"
        grace = "15 min"
        to = ["fm@example.org"]
        devices = ["main"]
        dialect = "excel-eu"

        [[tariffs]]
        name = "peak"
        price = 0.23
        currency = "EUR"
        hours = "06:00-22:00"
        days = ["mon", "tue", "wed", "thu", "fri"]

        [[tariffs]]
        name = "off-peak"
        price = 0.16
        currency = "EUR"
        """

    @Test func theContractLoads() throws {
        let c = try StrataConfig.parse(Self.text, file: "/etc/strata/strata.toml")
        let s = try #require(c.smtp)
        #expect(s.port == 587 && s.security == .starttls && s.username == "reports" && s.password == "s3cret")
        let r = try #require(c.reports.first)
        #expect(
            r.schedule == .monthly && r.at == 360 && r.grace == 900 && r.to == ["fm@example.org"]
                && r.devices == ["main"])
        #expect(r.dialect == .excelEU && r.maxAttachment == 10_000_000 && r.demandInterval == 900)
        #expect(r.attach == [.quarter, .hour] && r.attachSummary)
        #expect(c.tariffs.map(\.name) == ["peak", "off-peak"])
        #expect(
            c.tariffs[0].days == [1, 2, 3, 4, 5] && c.tariffs[0].hours?.from == 360 && c.tariffs[0].hours?.to == 1320)
        #expect(c.tariffs[1].isFallback)
        #expect(c.outbox.path == "/etc/strata/data/outbox")
    }

    @Test func implicitTLSDefaultsToPort465() throws {
        let c = try StrataConfig.parse(
            Self.text.replacingOccurrences(
                of: "username = \"reports\"", with: "security = \"tls\"\nusername = \"reports\""), file: "/x.toml")
        #expect(c.smtp?.port == 465)
    }

    @Test func passwordFileIsRead() throws {
        let dir = NSTemporaryDirectory() + "strata-pw-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "from-file\n".write(toFile: dir + "/smtp.pass", atomically: true, encoding: .utf8)
        let c = try StrataConfig.parse(
            Self.text.replacingOccurrences(of: "password = \"s3cret\"", with: "password_file = \"smtp.pass\""),
            file: dir + "/strata.toml")
        #expect(c.smtp?.password == "from-file")
    }

    @Test(arguments: [
        (
            "dialect = \"excel-eu\"", "dialect = \"excel-us\"", 33, "reports[0].dialect",
            "the archive does not build \"excel-us\""
        ),
        ("at = \"06:00\"", "at = \"6 am\"", 29, "reports[0].at", "expected a local time"),
        (
            "schedule = \"monthly\"", "schedule = \"yearly\"", 28, "reports[0].schedule",
            "expected \"daily\", \"weekly\" or \"monthly\""
        ),
        ("devices = [\"main\"]", "devices = [\"mian\"]", 32, "reports[0].devices", "no device \"mian\""),
        ("to = [\"fm@example.org\"]", "to = [\"fm at example\"]", 31, "reports[0].to", "not an e-mail address"),
        (
            "host = \"mail.example.org\"", "host = \"mail.example.org\"\nsecurity = \"none\"", 22, "smtp.security",
            "clear text"
        ),
        (
            "host = \"mail.example.org\"", "host = \"mail.example.org\"\nsecurity = \"ssl\"", 22, "smtp.security",
            "expected \"starttls\""
        ),
        (
            "password = \"s3cret\"", "password_file = \"/nonexistent/smtp.pass\"", 23, "smtp.password_file",
            "cannot read /nonexistent/smtp.pass"
        ),
        ("hours = \"06:00-22:00\"", "hours = \"06:00-22:30\"", 39, "tariffs[0].hours", "whole hours"),
        ("days = [\"mon\",", "days = [\"monday\",", 40, "tariffs[0].days", "expected day names"),
        ("grace = \"15 min\"", "grace = \"soon\"", 30, "reports[0].grace", "expected a duration"),
    ])
    func mistakesNameFileLineAndKey(old: String, new: String, line: Int, key: String, message: String) {
        let text = Self.text.replacingOccurrences(of: old, with: new)
        #expect(text != Self.text)
        ConfigMistake.expect(text, file: "/x/strata.toml", key: key, line: line, message: message)
    }
}
