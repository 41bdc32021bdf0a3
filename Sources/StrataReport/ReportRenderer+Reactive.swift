import StrataCore

/// The reactive-energy part of a meter's section: ratios of the period, and each day above a
/// limit, as the utility's bill will judge them.
extension ReportRenderer {
    func ratioText(_ v: Double?) -> String { v.map { number($0 * 100, 1) + " %" } ?? "–" }

    func limitText(_ l: Double?) -> String { l.map { " (limit " + number($0 * 100, 1) + " %)" } ?? "" }

    func reactiveLines(_ r: ReactiveSection) -> [(String, String)] {
        var lines: [(String, String)] = [("Active energy", number(r.total.active, 3) + " kWh")]
        if let i = r.total.inductive {
            lines.append(
                (
                    "Inductive reactive",
                    number(i, 3) + " kvarh, " + ratioText(r.total.inductiveRatio) + limitText(r.limits.inductive)
                ))
        }
        if let c = r.total.capacitive {
            lines.append(
                (
                    "Capacitive reactive",
                    number(c, 3) + " kvarh, " + ratioText(r.total.capacitiveRatio) + limitText(r.limits.capacitive)
                ))
        }
        if !r.limits.isEmpty {
            lines.append(("Days over the limit", "\(r.daysOver.count) of \(r.days)"))
        }
        return lines
    }

    func dayText(_ d: ReactiveSection.Day) -> String {
        var parts: [String] = []
        if d.inductive { parts.append("inductive " + ratioText(d.ratio.inductiveRatio)) }
        if d.capacitive { parts.append("capacitive " + ratioText(d.ratio.capacitiveRatio)) }
        return String(time(d.start).prefix(10)) + ": " + parts.joined(separator: ", ")
    }

    func reactiveText(_ r: ReactiveSection) -> String {
        var o = "\nReactive energy (ratio to active energy)\n"
        for (k, v) in reactiveLines(r) { o += "  \(k): \(v)\n" }
        for d in r.daysOver { o += "  Over: \(dayText(d))\n" }
        return o
    }

    func reactiveHTML(_ r: ReactiveSection) -> String {
        let cell = "style=\"padding:4px 6px;border-bottom:1px solid #e4e7eb;font-size:14px;\""
        var o = "<h3 style=\"font-size:15px;margin:10px 0 4px 0;\">Reactive energy</h3>\n"
        o += "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\">\n"
        for (k, v) in reactiveLines(r) { o += "<tr><td \(cell)>\(esc(k))</td><td \(cell)><b>\(esc(v))</b></td></tr>\n" }
        o += "</table>\n"
        if !r.daysOver.isEmpty {
            o += "<ul style=\"font-size:12px;color:#b42318;margin:4px 0;padding-left:18px;\">\n"
            for d in r.daysOver { o += "<li>\(esc(dayText(d)))</li>\n" }
            o += "</ul>\n"
        }
        return o
    }
}
