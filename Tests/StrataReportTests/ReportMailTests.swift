import Foundation
import StrataConfig
import StrataCore
import StrataMail
import StrataStore
import StrataTestSupport
import Testing

@testable import StrataReport

@Suite struct ReportMailTests {
    static let devices =
        SiteTOML.device("main", name: "Main <meter> & co", channels: [("energy_import", "kWh", "counter")])
        + SiteTOML.device("hvac", name: "HVAC", channels: [("energy_import", "kWh", "counter")])

    /// Files past `max_attachment` are left out, and the body says so and where they are.
    @Test func sizeCapLeavesFilesOutAndSaysWhere() throws {
        let dir = TempDir()
        let config = try siteConfig(
            dir.path, zone: "Europe/Berlin", devices: Self.devices,
            reports: """
                [[reports]]
                name = "daily"
                schedule = "daily"
                to = ["fm@example.org"]
                max_attachment = "60 kB"
                """)
        let st = try store(config)
        var random = SystemRandomNumberGenerator()
        for device in ["main", "hvac"] {
            let path = dir.path + "/archive/excel-eu/\(device)/minute/2026/10/2026-10-21.csv"
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // Incompressible: each file alone fits the cap, both do not.
            try Data((0..<40_000).map { _ in UInt8.random(in: 0...255, using: &random) }).write(
                to: URL(fileURLWithPath: path))
        }
        let period = try #require(ReportPeriod.parse("2026-10-21"))
        let r = try ReportComposer.render(
            config: config, report: config.reports[0], store: st, period: period, now: 1_800_000_000)
        let a = try #require(r.attachment)
        #expect(a.included == ["excel-eu/main/minute/2026/10/2026-10-21.csv"])
        #expect(a.leftOut == ["excel-eu/hvac/minute/2026/10/2026-10-21.csv"])
        #expect(a.zip.count <= 60_000)
        #expect(r.message.text.contains("1 CSV files were left out"))
        #expect(r.message.text.contains(dir.path + "/archive/excel-eu/"))
        #expect(r.message.html?.contains("left out") == true)
        // Names from the config are escaped in HTML, and no line of the message passes 998 octets.
        #expect(r.message.html?.contains("Main &lt;meter&gt; &amp; co") == true)
        let lines = String(decoding: r.bytes, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 998 })
        #expect(
            r.message.messageID
                == ReportComposer.messageID(site: "Test site", report: "daily", period: period, domain: "localhost"))
    }

    /// A meter named with an apostrophe cannot end an attribute of the HTML e-mail.
    @Test func reportHTMLEscapesQuotes() throws {
        let dir = TempDir()
        let config = try siteConfig(
            dir.path, zone: "Europe/Berlin",
            devices: SiteTOML.device("pub", name: "O'Brien's bar", channels: [("energy_import", "kWh", "counter")]),
            reports: """
                [[reports]]
                name = "daily"
                schedule = "daily"
                to = ["fm@example.org"]
                """)
        let st = try store(config)
        let period = try #require(ReportPeriod.parse("2026-10-21"))
        let r = try ReportComposer.render(
            config: config, report: config.reports[0], store: st, period: period, now: 1_800_000_000)
        let html = try #require(r.message.html)
        #expect(html.contains("O&#39;Brien&#39;s bar"), "\(html)")
        #expect(!html.contains("O'Brien"))
        #expect(r.message.text.contains("O'Brien's bar"), "the plain text stays as written")
    }

    @Test(arguments: [
        ("Werk Süd", "werk-s-d"), ("Strata demo office", "strata-demo-office"), ("ÄÖÜ", "site"), ("A--B", "a-b"),
    ])
    func fileNamesAreASCII(_ site: String, _ slug: String) throws {
        #expect(ReportAttachment.slug(site) == slug)
        let name = ReportAttachment.filename(
            site: site, report: "monthly", period: try #require(ReportPeriod.parse("2026-10")))
        #expect(name == "strata-\(slug)-monthly-2026-10.zip")
        #expect(name.utf8.allSatisfy { $0 < 128 })
    }

    @Test func outboxStatusIsCSV() {
        let e = Outbox.Entry(
            id: 1, report: "daily", period: "2026-10-21", recipient: "fm@example.org", messageID: "m@x", sender: "s@x",
            state: .failed, attempts: 3, created: 1_792_600_000, nextAttempt: 0, lastAttempt: 1_792_600_100,
            lastError: "451 4.3.0 try, later", done: 1_792_600_100)
        let text = String(decoding: OutboxStatus.csv([e], zone: berlin), as: UTF8.self)
        let rows = text.components(separatedBy: "\r\n")
        #expect(rows[0] == "created,report,period,recipient,message_id,state,attempts,last_attempt,done,last_error")
        #expect(rows[1].hasPrefix("2026-10-21 18:26:40,")) // local (CEST)
        #expect(rows[1].contains(",daily,2026-10-21,fm@example.org,m@x,failed,3,"))
        #expect(rows[1].hasSuffix(",\"451 4.3.0 try, later\""))
    }
}
