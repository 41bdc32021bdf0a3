import Foundation
import StrataArchive
import StrataConfig
import StrataCore
import StrataZip

/// The ZIP a report carries: the period's CSV files from the archive, in the report's dialect,
/// and a summary CSV, within a size cap. What does not fit is named in the body with the path
/// to fetch it from instead.
public struct ReportAttachment: Sendable {
    public var filename: String
    public var zip: [UInt8]
    /// Archive paths (`<dialect>/<device>/…`) inside the ZIP.
    public var included: [String]
    /// Archive paths left out because of the size cap or because the archive lacks them.
    public var leftOut: [String]
    public var missing: [String]

    public static func build(
        content: ReportContent, report: StrataConfig.Report, config: StrataConfig, summary: [UInt8],
        now: Int64
    ) throws -> ReportAttachment {
        let layout = ArchiveLayout(calendar: config.site.calendar)
        var zip = ZipArchive()
        let stamp = config.site.zone.local(now)
        var a = ReportAttachment(
            filename: filename(site: config.site.name, report: report.name, period: content.period),
            zip: [], included: [], leftOut: [], missing: [])
        if report.attachSummary {
            try zip.add(name: "summary-\(content.period.label).csv", data: summary, modified: stamp)
        }
        // Coarse tiers first: when the cap bites, the small files that answer most stay in.
        let tiers = report.attach.sorted(by: >)
        for tier in tiers {
            for device in content.meters.map(\.device) {
                for p in layout.periods(tier, overlapping: content.start, content.end) {
                    let rel = layout.path(report.dialect, device, tier, periodStart: p.start)
                    let path = (config.archive.path as NSString).appendingPathComponent(rel)
                    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
                    // A file that alone exceeds the cap is left out unread (never loaded into memory).
                    if let size = attributes?[.size] as? Int, Int64(size) > report.maxAttachment {
                        a.leftOut.append(rel)
                        continue
                    }
                    guard let data = FileManager.default.contents(atPath: path) else {
                        a.missing.append(rel)
                        continue
                    }
                    var trial = zip
                    let modified =
                        (attributes?[.modificationDate] as? Date)
                        .map { config.site.zone.local(Int64($0.timeIntervalSince1970)) } ?? stamp
                    // Past what a ZIP without ZIP64 holds, the file is left out like one over the cap.
                    let fits = try Self.add(
                        &trial, name: "\(device)/\(layout.relativePath(tier, periodStart: p.start))", data: Array(data),
                        modified: modified)
                    if !fits {
                        a.leftOut.append(rel)
                        continue
                    }
                    if Int64(trial.size) > report.maxAttachment {
                        a.leftOut.append(rel)
                    } else {
                        zip = trial
                        a.included.append(rel)
                    }
                }
            }
        }
        a.zip = zip.names.isEmpty ? [] : zip.finish()
        return a
    }

    /// Adds a file; false when the archive is full (4 GiB or 65,535 entries).
    static func add(_ zip: inout ZipArchive, name: String, data: [UInt8], modified: LocalDateTime) throws(ZipArchive
        .ZipError) -> Bool
    {
        do {
            try zip.add(name: name, data: data, modified: modified)
            return true
        } catch {
            switch error {
            case .tooLarge, .tooManyEntries: return false
            case .nonASCIIName, .deflate: throw error
            }
        }
    }

    /// `strata-<site>-<report>-<period>.zip`, ASCII only (phones and Outlook show other names
    /// inconsistently).
    public static func filename(site: String, report: String, period: ReportPeriod) -> String {
        "strata-\(slug(site))-\(slug(report))-\(period.label).zip"
    }

    public static func slug(_ s: String) -> String {
        var out = ""
        var dash = false
        for u in s.lowercased().unicodeScalars {
            let ascii = u.isASCII && (CharacterSet.alphanumerics.contains(u))
            if ascii {
                out.unicodeScalars.append(u)
                dash = false
            } else if !dash && !out.isEmpty {
                out += "-"
                dash = true
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "site" : out
    }
}
