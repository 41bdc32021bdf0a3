import Foundation
import StrataConfig
import StrataCore
import StrataMail
import StrataStore

/// A rendered report: the message every recipient gets, and what it was made of.
public struct RenderedReport: Sendable {
    public var report: String
    public var period: ReportPeriod
    public var message: MailMessage
    public var attachment: ReportAttachment?
    public var bytes: [UInt8] { message.render() }
}

/// Builds, renders and wraps one report period into an e-mail (the outbox and the dispatcher mail it).
public enum ReportComposer {
    public static func render(
        config: StrataConfig, report: StrataConfig.Report, store: Store, period: ReportPeriod, now: Int64
    ) throws -> RenderedReport {
        var content = try ReportBuilder(config: config, report: report, store: store).build(period, now: now)
        let pre = ReportRenderer(content: content, zone: config.site.zone, dialect: report.dialect)
        var attachment: ReportAttachment?
        if !report.attach.isEmpty || report.attachSummary {
            let a = try ReportAttachment.build(
                content: content, report: report, config: config, summary: pre.summaryCSV(), now: now)
            let base = ftpBase(config)
            if !a.leftOut.isEmpty {
                let fetchHint =
                    base.map {
                        " Fetch them from \($0)\(report.dialect.rawValue)/ (\(a.leftOut.count) files, e.g. \($0)\(a.leftOut[0]))."
                    }
                    ?? " They are in the archive under \(config.archive.path)/\(report.dialect.rawValue)/."
                content.notes.append(
                    "The attachment is limited to \(ByteSize(bytes: report.maxAttachment)); \(a.leftOut.count) CSV files were left out.\(fetchHint)"
                )
            }
            if !a.missing.isEmpty {
                content.notes.append(
                    "\(a.missing.count) CSV files of the period are not in the archive yet (e.g. \(a.missing[0])).")
            }
            attachment = a.zip.isEmpty ? nil : a
        }
        let r = ReportRenderer(content: content, zone: config.site.zone, dialect: report.dialect)
        let from = config.smtp?.from ?? "strata@localhost"
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        let message = MailMessage(
            from: from, fromName: config.smtp?.fromName ?? "Strata", to: report.to,
            subject: report.subject.map { "\($0) \(period.label)" } ?? r.title, date: now,
            utcOffset: config.site.zone.offset(at: now),
            messageID: messageID(site: config.site.name, report: report.name, period: period, domain: domain),
            text: r.text(), html: r.html(),
            attachments: attachment.map {
                [MailAttachment(filename: $0.filename, contentType: "application/zip", data: $0.zip)]
            } ?? [])
        return RenderedReport(report: report.name, period: period, message: message, attachment: attachment)
    }

    /// The same report of the same period always has the same Message-ID: a copy sent twice
    /// (the one duplicate the outbox allows) is recognisably the same message.
    public static func messageID(site: String, report: String, period: ReportPeriod, domain: String) -> String {
        "strata.\(ReportAttachment.slug(report)).\(period.label).\(SHA256.hex(Array(site.utf8)).prefix(12))@\(domain)"
    }

    /// `ftp://host:port/` when the FTP server runs, for links to files left out of a ZIP.
    static func ftpBase(_ config: StrataConfig) -> String? {
        guard let f = config.ftp else { return nil }
        let host =
            f.publicHost ?? (f.listen == "0.0.0.0" || f.listen == "::" ? ProcessInfo.processInfo.hostName : f.listen)
        return "ftp://\(host)\(f.port == 21 ? "" : ":\(f.port)")/"
    }
}
