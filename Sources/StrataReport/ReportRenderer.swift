import StrataArchive
import StrataCore

/// Turns report figures into the e-mail's HTML and plain-text bodies and the summary CSV.
/// HTML uses tables and inline styles only: Outlook, Gmail and phone mail apps show it the
/// same way, with no images or scripts to block.
public struct ReportRenderer: Sendable {
    public let content: ReportContent
    public let zone: ZoneRules
    public let dialect: CSVDialect
    /// Where the files are on the FTP server, for notes about left-out data.
    public var ftpHint: String?

    public init(content: ReportContent, zone: ZoneRules, dialect: CSVDialect, ftpHint: String? = nil) {
        self.content = content
        self.zone = zone
        self.dialect = dialect
        self.ftpHint = ftpHint
    }

    var sep: Character { dialect.decimalSeparator }

    public var title: String {
        let kind = ["day": "Daily", "week": "Weekly", "month": "Monthly"][content.period.kind.rawValue] ?? ""
        return "\(kind) report \(content.period.label) – \(content.site)"
    }

    func time(_ t: Int64, seconds: Bool = false) -> String {
        let l = zone.local(t)
        let d = l.date
        let s = l.secondOfDay
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(d) \(two(s / 3600)):\(two(s / 60 % 60))"
    }

    func number(_ v: Double, _ decimals: Int) -> String {
        Decimal.format(v, Resolution(decimals: decimals), separator: sep)
    }

    func percent(_ v: Double?) -> String {
        guard let v else { return "–" }
        return (v > 0 ? "+" : "") + number(v, 1) + " %"
    }

    func periodText() -> String {
        let days = content.period.days
        guard let a = days.first, let b = days.last else { return content.period.label }
        return a == b ? "\(a)" : "\(a) to \(b)"
    }

    func demandText(_ d: Demand?) -> String {
        guard let d else { return "–" }
        return "\(number(d.value, d.decimals)) \(d.unit) at \(time(d.start))"
    }

    func gapText(_ g: Gap) -> String {
        let minutes = (g.end - g.start) / 60
        let dur = minutes >= 120 ? "\(minutes / 60) h \(minutes % 60) min" : "\(minutes) min"
        return "\(time(g.start)) – \(time(g.end)) (\(dur))"
    }

    func eventText(_ e: Event) -> String {
        let what: String
        switch e.action {
        case .reset: what = "meter reset"
        case .rollover: what = "counter rollover"
        case .rebase: what = "counter jump accepted"
        case .resetIgnored: what = "implausible reset ignored"
        case .spike: what = "spike dropped"
        }
        return "\(time(e.ts)) \(e.channel): \(what) (\(number(e.oldValue, 3)) → \(number(e.newValue, 3)))"
    }

    static let maxGapsListed = 10

    func alarmText(_ a: AlarmTable.Row) -> String {
        var o = "\(time(a.raised)) \(a.rule)"
        let what = [a.device, a.channel].compactMap { $0 }.joined(separator: " ")
        if !what.isEmpty { o += " (\(what))" }
        if let v = a.value { o += ": \(number(v, 3))" }
        if let t = a.threshold { o += ", threshold \(number(t, 3))" }
        o += a.cleared.map { "; cleared \(time($0))" } ?? "; still active"
        return o
    }

    // MARK: text

    public func text() -> String {
        var o = "\(title)\n\(periodText()) (\(zone.identifier))\n"
        for n in content.notes { o += "\nNote: \(n)\n" }
        for m in content.meters {
            o += "\n== \(m.name) (\(m.device)) ==\n"
            for c in m.counters {
                o += "\n\(c.name) [\(c.unit)]\n"
                o +=
                    "  This period:        \(c.text(c.consumption, separator: sep))\(c.provisional ? " (so far)" : "")\n"
                o +=
                    "  Previous period:    \(c.text(c.previous, separator: sep))  \(percent(CounterFigures.change(c.consumption, from: c.previous)))\n"
                o +=
                    "  A year earlier:     \(c.text(c.yearEarlier, separator: sep))  \(percent(CounterFigures.change(c.consumption, from: c.yearEarlier)))\n"
                o += "  Peak demand:        \(demandText(c.peak))\n"
                o += "  Base load (0–5 h):  \(demandText(c.baseLoad))\n"
                for t in c.costs {
                    o +=
                        "  Cost \(t.tariff): \(c.text(t.steps, separator: sep)) \(c.unit) × \(number(t.price, 4)) = \(number(t.cost, 2)) \(t.currency)\n"
                }
                if !c.costs.isEmpty, let cur = c.costs.first?.currency {
                    o += "  Cost total: \(number(c.costs.reduce(0) { $0 + $1.cost }, 2)) \(cur)\n"
                }
            }
            if let r = m.reactive { o += reactiveText(r) }
            o += "\n  Data completeness: \(m.coverage.map { number($0, 1) + " %" } ?? "–")\n"
            for g in m.gaps.prefix(Self.maxGapsListed) { o += "  Gap: \(gapText(g))\n" }
            if m.gaps.count > Self.maxGapsListed { o += "  … and \(m.gaps.count - Self.maxGapsListed) more gaps\n" }
            for e in m.events { o += "  Event: \(eventText(e))\n" }
        }
        if !content.alarms.isEmpty {
            o += "\n== Alarms (\(content.alarms.count)) ==\n"
            for a in content.alarms { o += "  \(alarmText(a))\n" }
        }
        o +=
            "\nTimes are local (\(zone.identifier)). Consumption is exact to the meter's resolution; the attached CSV files are the archive's.\n"
        return o
    }

    // MARK: HTML

    func esc(_ s: String) -> String { HTMLText.escape(s) }

    public func html() -> String {
        let font = "font-family:Segoe UI,Helvetica,Arial,sans-serif;"
        var o = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(esc(title))</title></head>
            <body style="margin:0;padding:0;background:#f4f5f7;">
            <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7;"><tr><td align="center">
            <table role="presentation" width="100%" cellpadding="12" cellspacing="0" style="max-width:640px;background:#ffffff;\(font)color:#1f2933;">
            <tr><td><h1 style="font-size:20px;margin:0 0 4px 0;">\(esc(title))</h1>
            <div style="font-size:13px;color:#52606d;">\(esc(periodText())) · \(esc(zone.identifier))</div></td></tr>

            """
        for n in content.notes {
            o += "<tr><td style=\"background:#fff4e5;font-size:13px;\">\(esc(n))</td></tr>\n"
        }
        for m in content.meters {
            o +=
                "<tr><td><h2 style=\"font-size:17px;margin:12px 0 4px 0;\">\(esc(m.name)) <span style=\"color:#7b8794;font-weight:normal;\">\(esc(m.device))</span></h2>\n"
            for c in m.counters { o += counterHTML(c) }
            if let r = m.reactive { o += reactiveHTML(r) }
            o +=
                "<p style=\"font-size:13px;margin:8px 0;\">Data completeness: <b>\(m.coverage.map { esc(number($0, 1)) + " %" } ?? "–")</b></p>\n"
            if !m.gaps.isEmpty || !m.events.isEmpty {
                o += "<ul style=\"font-size:12px;color:#52606d;margin:0;padding-left:18px;\">\n"
                for g in m.gaps.prefix(Self.maxGapsListed) { o += "<li>Gap: \(esc(gapText(g)))</li>\n" }
                if m.gaps.count > Self.maxGapsListed {
                    o += "<li>… and \(m.gaps.count - Self.maxGapsListed) more gaps</li>\n"
                }
                for e in m.events { o += "<li>\(esc(eventText(e)))</li>\n" }
                o += "</ul>\n"
            }
            o += "</td></tr>\n"
        }
        if !content.alarms.isEmpty {
            o += "<tr><td><h2 style=\"font-size:17px;margin:12px 0 4px 0;\">Alarms (\(content.alarms.count))</h2>\n"
            o += "<ul style=\"font-size:13px;margin:0;padding-left:18px;\">\n"
            for a in content.alarms { o += "<li>\(esc(alarmText(a)))</li>\n" }
            o += "</ul></td></tr>\n"
        }
        o += """
            <tr><td style="font-size:11px;color:#7b8794;">Times are local (\(esc(zone.identifier))). Consumption is exact to the meter's resolution; the attached CSV files are the archive's. Sent by Strata.</td></tr>
            </table></td></tr></table></body></html>

            """
        return o
    }

    func counterHTML(_ c: CounterFigures) -> String {
        let cell = "style=\"padding:4px 6px;border-bottom:1px solid #e4e7eb;font-size:14px;\""
        let num =
            "style=\"padding:4px 6px;border-bottom:1px solid #e4e7eb;font-size:14px;text-align:right;white-space:nowrap;\""
        var o = "<h3 style=\"font-size:15px;margin:10px 0 4px 0;\">\(esc(c.name)) [\(esc(c.unit))]</h3>\n"
        o += "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\">\n"
        func row(_ k: String, _ v: String, _ extra: String = "") {
            o += "<tr><td \(cell)>\(esc(k))</td><td \(num)><b>\(esc(v))</b></td><td \(num)>\(esc(extra))</td></tr>\n"
        }
        row("This period" + (c.provisional ? " (so far)" : ""), c.text(c.consumption, separator: sep) + " " + c.unit)
        row(
            "Previous period", c.text(c.previous, separator: sep) + " " + c.unit,
            percent(CounterFigures.change(c.consumption, from: c.previous)))
        row(
            "A year earlier", c.text(c.yearEarlier, separator: sep) + " " + c.unit,
            percent(CounterFigures.change(c.consumption, from: c.yearEarlier)))
        row(
            "Peak demand", c.peak.map { number($0.value, $0.decimals) + " " + $0.unit } ?? "–",
            c.peak.map { time($0.start) } ?? "")
        row(
            "Base load (00–05 h)", c.baseLoad.map { number($0.value, $0.decimals) + " " + $0.unit } ?? "–",
            c.baseLoad.map { time($0.start) } ?? "")
        for t in c.costs {
            row(
                "Cost \(t.tariff)", number(t.cost, 2) + " " + t.currency,
                c.text(t.steps, separator: sep) + " " + c.unit + " × " + number(t.price, 4))
        }
        if c.costs.count > 1, let cur = c.costs.first?.currency {
            row("Cost total", number(c.costs.reduce(0) { $0 + $1.cost }, 2) + " " + cur)
        }
        o += "</table>\n"
        o += chartHTML(c)
        return o
    }

    /// Horizontal bars as table cells: no images, so nothing for a mail client to block.
    func chartHTML(_ c: CounterFigures) -> String {
        let maxSteps = c.bars.compactMap(\.steps).max() ?? 0
        guard maxSteps > 0 else { return "" }
        var o =
            "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"margin-top:6px;font-size:11px;color:#52606d;\">\n"
        for b in c.bars {
            let pct = b.steps.map { max(1, Int((Double($0) / Double(maxSteps) * 100).rounded())) } ?? 0
            let bar =
                b.steps == nil
                ? "<span style=\"color:#b0b7c3;\">no data</span>"
                : "<table role=\"presentation\" width=\"\(pct)%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td bgcolor=\"#2f80ed\" style=\"background:#2f80ed;height:9px;font-size:1px;line-height:1px;\">&nbsp;</td></tr></table>"
            o +=
                "<tr><td width=\"44\" style=\"padding:1px 4px;white-space:nowrap;\">\(esc(b.label))</td><td style=\"padding:1px 0;\">\(bar)</td>"
            o +=
                "<td width=\"80\" style=\"padding:1px 4px;text-align:right;white-space:nowrap;\">\(esc(c.text(b.steps, separator: sep)))</td></tr>\n"
        }
        o += "</table>\n"
        return o
    }

    // MARK: summary CSV

    /// One row per counter, in the report's dialect, for the ZIP.
    public func summaryCSV() -> [UInt8] {
        var w = CSVWriter(dialect: dialect)
        if dialect.byteOrderMark { w.writeBOM() }
        for h in [
            "period", "device", "channel", "unit", "consumption", "previous period", "change previous [%]",
            "year earlier",
            "change year [%]", "peak demand", "peak unit", "peak start", "base load", "base load start", "coverage [%]",
        ] {
            w.field(h)
        }
        w.endRow()
        for m in content.meters {
            for c in m.counters {
                w.field(content.period.label)
                w.field(m.device)
                w.field(c.channel)
                w.field(c.unit)
                for v in [c.consumption, c.previous] {
                    if let v { w.number(steps: v, decimals: c.decimals) } else { w.empty() }
                }
                if let p = CounterFigures.change(c.consumption, from: c.previous) {
                    w.number(p, Resolution(decimals: 1))
                } else {
                    w.empty()
                }
                if let v = c.yearEarlier { w.number(steps: v, decimals: c.decimals) } else { w.empty() }
                if let p = CounterFigures.change(c.consumption, from: c.yearEarlier) {
                    w.number(p, Resolution(decimals: 1))
                } else {
                    w.empty()
                }
                if let d = c.peak {
                    w.number(d.value, Resolution(decimals: d.decimals))
                    w.field(d.unit)
                    w.field(time(d.start))
                } else {
                    w.empty()
                    w.empty()
                    w.empty()
                }
                if let d = c.baseLoad {
                    w.number(d.value, Resolution(decimals: d.decimals))
                    w.field(time(d.start))
                } else {
                    w.empty()
                    w.empty()
                }
                w.number(c.coverage, Resolution(decimals: 1))
                w.endRow()
            }
        }
        return w.bytes
    }
}
