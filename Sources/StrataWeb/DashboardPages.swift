import Foundation
import Hummingbird
import StrataCore
import StrataReport

/// The pages' HTML. Numbers are shown at each channel's resolution, times in site time.
extension WebApp {
    func frame(_ ctx: WebContext?, _ title: String, current: String, _ body: String) -> String {
        HTML.page(
            title: title, site: config.site.name, user: ctx?.access?.user, csrf: ctx.flatMap { csrf($0) },
            current: current, body: body)
    }

    func loginPage(next: String, error: String?) -> String {
        var b = "<section class=\"login\"><h1>Log in</h1>"
        b += "<p class=\"muted\">Use your Strata (FTP) user name and password.</p>"
        if let error { b += "<p class=\"error\" role=\"alert\">\(HTML.escape(error))</p>" }
        b += "<form method=\"post\" action=\"/login\">"
        b += "<input type=\"hidden\" name=\"next\" value=\"\(HTML.escape(next))\">"
        b +=
            "<label for=\"user\">User name<input id=\"user\" name=\"user\" autocomplete=\"username\" required autofocus></label>"
        b +=
            "<label for=\"password\">Password<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>"
        b += "<button type=\"submit\">Log in</button></form></section>"
        return frame(nil, "Log in", current: "/login", b)
    }

    func messagePage(_ ctx: WebContext, _ title: String, _ text: String) -> String {
        frame(
            ctx, title, current: "",
            "<h1>\(HTML.escape(title))</h1><p>\(HTML.escape(text))</p><p><a href=\"/\">Back to the overview</a></p>")
    }

    func fmt(_ v: Double?, _ decimals: Int?) -> String {
        guard let v, v.isFinite else { return "–" }
        return Decimal.format(v, Resolution(decimals: decimals ?? 2))
    }

    func overviewPage(_ ctx: WebContext, _ access: WebAccess) async throws -> Response {
        let ids = config.devices.map(\.id).filter { access.allows(device: $0) }
        let list = try await reader.overview(devices: ids, now: now())
        var b = ""
        let alarms = await reader.activeAlarms().filter { a in
            access.seesSite || config.alarms.first { $0.id == a.rule }?.device.map { access.allows(device: $0) } == true
        }
        if !alarms.isEmpty {
            b +=
                "<section class=\"alarms\" aria-labelledby=\"alarms-title\"><h2 id=\"alarms-title\" class=\"error\">Active alarms</h2><ul>"
            for a in alarms {
                let rule = config.alarms.first { $0.id == a.rule }
                b +=
                    "<li><strong>\(HTML.escape(a.rule))</strong> (\(HTML.escape(rule?.severity.rawValue ?? "")), \(HTML.escape(rule?.device ?? "all devices")))"
                if let t = a.since { b += " since \(HTML.escape(reader.time.short(t)))" }
                b += "</li>"
            }
            b += "</ul></section>"
        }
        b += "<h1>Meters</h1>"
        b +=
            "<p class=\"muted\">\(HTML.escape(config.site.name)), \(HTML.escape(reader.time.short(now()))) (\(HTML.escape(config.site.timezone)))</p>"
        b +=
            "<div class=\"table-wrap\"><table class=\"meters\"><caption class=\"muted\">Today and this month in site time; “Now” is the latest power (or flow) reading.</caption>"
        b +=
            "<thead><tr><th scope=\"col\">Meter</th><th scope=\"col\">Status</th><th scope=\"col\" class=\"num\">Today</th>"
        b +=
            "<th scope=\"col\" class=\"num\">This month</th><th scope=\"col\" class=\"num\">Now</th><th scope=\"col\" class=\"hide-narrow\">Last reading</th></tr></thead><tbody>"
        for s in list {
            let unit = s.counter.map { " " + HTML.escape($0.unit) } ?? ""
            b += "<tr class=\"meter\" data-device=\"\(HTML.escape(s.id))\">"
            b +=
                "<th scope=\"row\"><a href=\"/devices/\(HTML.urlEncode(s.id))\">\(HTML.escape(s.name))</a><br><span class=\"muted\">\(HTML.escape(s.id))</span></th>"
            b += "<td data-label=\"Status\"><span class=\"state state-\(s.state.rawValue)\">\(s.state.label)</span>"
            if s.state == .failing, let e = s.status?.lastError {
                b += "<br><span class=\"error\">\(HTML.escape(e))</span>"
            }
            b += "</td>"
            b +=
                "<td class=\"num\" data-label=\"Today\">\(fmt(s.today, s.counter?.decimals))\(s.today == nil ? "" : unit)</td>"
            b +=
                "<td class=\"num\" data-label=\"This month\">\(fmt(s.month, s.counter?.decimals))\(s.month == nil ? "" : unit)</td>"
            b +=
                "<td class=\"num\" data-label=\"Now\">\(fmt(s.powerNow, s.power?.decimals))\(s.powerNow == nil ? "" : " " + HTML.escape(s.power?.unit ?? ""))</td>"
            b +=
                "<td data-label=\"Last reading\">\(s.lastReading.map { HTML.escape(reader.time.short($0)) } ?? "never")</td></tr>"
        }
        b += "</tbody></table></div>"
        return .html(frame(ctx, "Overview", current: "/", b))
    }

    /// The default view (24 h of minutes, 31 days, 24 months) or one tier and range picked.
    func meterPage(_ request: Request, _ ctx: WebContext, _ access: WebAccess, _ id: String) async throws -> Response {
        let q = request.uri.queryParameters
        let cal = config.site.calendar
        let t = now()
        let channels = try await reader.deviceChannels(id)
        let counter = channels.first { $0.kind == .counter }
        let gauge =
            channels.first { $0.kind == .gauge && ["W", "kW", "MW"].contains($0.unit) }
            ?? channels.first { $0.kind == .gauge }
        let dialect = q.get("dialect").flatMap(CSVDialect.init(rawValue:)) ?? access.dialect ?? .excelEU
        var views: [(title: String, tier: Tier, from: Int64, to: Int64)] = []
        var picked: Tier?
        if let tn = q.get("tier") {
            guard let tier = Tier(name: tn) else {
                throw Problem(.badRequest, "Unknown tier", "Pick minute, quarter, hour, day, month or year.")
            }
            picked = tier
            let (from, to) = try range(request, tier: tier)
            views.append(("\(tier.name.capitalized) values", tier, from, to))
        } else {
            let minuteEnd = floorDiv(t, 60) * 60 + 60
            views.append(("Last 24 hours (minutes)", .minute, minuteEnd - 86_400, minuteEnd))
            let dayEnd = cal.bucketEnd(.day, start: cal.bucketStart(.day, containing: t))
            views.append(("Last 31 days", .day, cal.bucketStart(.day, containing: dayEnd - 31 * 86_400), dayEnd))
            let monthStart = cal.bucketStart(.month, containing: t)
            let monthEnd = cal.bucketEnd(.month, start: monthStart)
            let localStart = cal.zone.local(monthStart).date.addingMonths(-23)
            views.append(
                ("Last 24 months", .month, cal.zone.firstInstant(atOrAfter: LocalDateTime(date: localStart)), monthEnd))
        }
        let name = config.device(id)?.name ?? id
        var b =
            "<p><a href=\"/\">← All meters</a></p><h1>\(HTML.escape(name)) <span class=\"muted\">(\(HTML.escape(id)))</span></h1>"
        b += pickerForm(id, picked: picked, from: views.first?.from, to: views.first?.to, dialect: dialect)
        for (n, v) in views.enumerated() {
            // Only what is drawn is read: one counter and one gauge (all channels when picked, up to eight).
            let shown = picked == nil ? [counter, gauge].compactMap { $0 } : Array(channels.prefix(8))
            let s = try await reader.series(device: id, channels: shown.map(\.id), tier: v.tier, from: v.from, to: v.to)
            b += "<section aria-labelledby=\"view\(n)\"><h2 id=\"view\(n)\">\(HTML.escape(v.title))</h2>"
            b +=
                "<p class=\"muted\">\(HTML.escape(reader.time.short(s.from))) to \(HTML.escape(reader.time.short(s.to))) · "
            let link =
                "/api/v1/devices/\(HTML.urlEncode(id))/series?tier=\(v.tier.name)&from=\(s.from)&to=\(s.to)&format=csv&dialect=\(dialect.rawValue)"
            b += "<a href=\"\(HTML.escape(link))\" download>Download CSV (\(dialect.rawValue))</a></p>"
            for (k, c) in s.channels.enumerated() {
                b += "<figure>" + chart(s, column: k, channel: c, id: "chart-\(n)-\(k)") + "</figure>"
            }
            b += "</section>"
        }
        b +=
            "<p class=\"muted\">Times in site time (\(HTML.escape(config.site.timezone))). Consumption is drawn as bars; "
        b +=
            "gauges as their mean with a band from minimum to maximum. A gap in a chart is a period without readings.</p>"
        return .html(frame(ctx, name, current: "/", b))
    }

    func pickerForm(_ id: String, picked: Tier?, from: Int64?, to: Int64?, dialect: CSVDialect) -> String {
        var b =
            "<form class=\"picker\" method=\"get\" action=\"/devices/\(HTML.urlEncode(id))\" aria-label=\"Pick a tier and dates\">"
        b += "<label for=\"tier\">Tier<select id=\"tier\" name=\"tier\">"
        for t in Tier.allCases {
            b += "<option value=\"\(t.name)\"\(t == (picked ?? .hour) ? " selected" : "")>\(t.name)</option>"
        }
        b += "</select></label>"
        func day(_ t: Int64?) -> String { t.map { String(reader.time.iso($0).prefix(10)) } ?? "" }
        b +=
            "<label for=\"from\">From<input id=\"from\" name=\"from\" type=\"date\" value=\"\(picked == nil ? "" : day(from))\"></label>"
        b +=
            "<label for=\"to\">To (exclusive)<input id=\"to\" name=\"to\" type=\"date\" value=\"\(picked == nil ? "" : day(to))\"></label>"
        b += "<label for=\"dialect\">CSV<select id=\"dialect\" name=\"dialect\">"
        for d in CSVDialect.allCases {
            b += "<option value=\"\(d.rawValue)\"\(d == dialect ? " selected" : "")>\(d.rawValue)</option>"
        }
        b += "</select></label><button type=\"submit\">Show</button>"
        if picked != nil { b += " <a href=\"/devices/\(HTML.urlEncode(id))\">Default view</a>" }
        return b + "</form>"
    }

    func chart(_ s: Series, column k: Int, channel c: ChannelInfo, id: String) -> String {
        var points: [SVGChart.Point] = []
        points.reserveCapacity(s.count)
        let r = Resolution(decimals: c.decimals)
        for i in 0..<s.count {
            let g = s.cell(i, k)
            if c.kind == .counter {
                points.append(
                    .init(start: s.starts[i], end: s.ends[i], value: g.map { r.value(ofSteps: $0.consumption) }))
            } else {
                points.append(.init(start: s.starts[i], end: s.ends[i], value: g?.mean, low: g?.min, high: g?.max))
            }
        }
        let what =
            c.kind == .counter
            ? "consumption per \(s.tier == .minute ? "minute" : s.tier.name)"
            : "mean, min and max per \(s.tier == .minute ? "minute" : s.tier.name)"
        var chart = SVGChart(
            id: id, title: "\(c.name): \(what)", unit: c.unit, style: c.kind == .counter ? .bars : .line,
            from: s.from, to: s.to, points: points)
        chart.xTicks = ticks(s.from, s.to)
        return
            "<figcaption>\(HTML.escape(c.name)) <span class=\"muted\">(\(HTML.escape(what)), \(HTML.escape(c.unit)))</span></figcaption>"
            + chart.render()
    }

    /// Five labels along the x axis, as dates or times depending on the span.
    func ticks(_ from: Int64, _ to: Int64) -> [(Int64, String)] {
        let span = to - from
        return (0...4).map { i in
            let t = from + span * Int64(i) / 4
            let iso = reader.time.iso(t)
            let label =
                span <= 2 * 86_400
                ? String(iso.dropFirst(11).prefix(5))
                : span <= 400 * 86_400 ? String(iso.dropFirst(5).prefix(5)) : String(iso.prefix(7))
            return (t, label)
        }
    }

    func outboxPage(_ ctx: WebContext, _ entries: [Outbox.Entry]) -> String {
        var b =
            "<h1>Report outbox</h1><p class=\"muted\">Every report message and its delivery state, newest first. \(HTML.escape(config.smtp == nil ? "Without [smtp], reports are saved as .eml files in " + config.outbox.path + "." : ""))</p>"
        if entries.isEmpty {
            return frame(ctx, "Reports", current: "/outbox", b + "<p>No report has been generated yet.</p>")
        }
        b +=
            "<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">Created</th><th scope=\"col\">Report</th><th scope=\"col\">Period</th>"
        b +=
            "<th scope=\"col\">Recipient</th><th scope=\"col\">State</th><th scope=\"col\" class=\"num\">Attempts</th><th scope=\"col\">Last error</th></tr></thead><tbody>"
        for e in entries.sorted(by: { $0.created > $1.created }).prefix(500) {
            b +=
                "<tr><td>\(HTML.escape(reader.time.short(e.created)))</td><td>\(HTML.escape(e.report))</td><td>\(HTML.escape(e.period))</td>"
            b +=
                "<td>\(HTML.escape(e.recipient))</td><td>\(HTML.escape(e.state.rawValue))</td><td class=\"num\">\(e.attempts)</td>"
            b += "<td>\(HTML.escape(e.lastError ?? ""))</td></tr>"
        }
        return frame(ctx, "Reports", current: "/outbox", b + "</tbody></table></div>")
    }

    func configPage(_ ctx: WebContext) -> String {
        let text =
            (try? String(contentsOfFile: config.file, encoding: .utf8))
            ?? "(the config file \(config.file) cannot be read)"
        var b =
            "<h1>Configuration</h1><p class=\"muted\">\(HTML.escape(config.file)), read-only; secrets are masked.</p>"
        b += "<pre>\(HTML.escape(Self.maskSecrets(text)))</pre>"
        return frame(ctx, "Config", current: "/config", b)
    }

    /// Replaces the values of keys that hold secrets (password hashes, tokens, passwords)
    /// with a mask; a multi-line array of tokens is masked to its closing bracket.
    package static func maskSecrets(_ text: String) -> String {
        var out: [String] = []
        var inSecretArray = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if inSecretArray {
                if line.contains("]") {
                    inSecretArray = false
                    out.append("]")
                }
                continue
            }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard let eq = trimmed.firstIndex(of: "="), !trimmed.hasPrefix("#") else {
                out.append(String(line))
                continue
            }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            if ["password", "secret", "token", "hash", "key_pass"].contains(where: { key.contains($0) })
                && !key.hasSuffix("_file")
            {
                let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                if value.hasPrefix("[") && !value.contains("]") { inSecretArray = true }
                let indent = line.prefix { $0 == " " || $0 == "\t" }
                out.append(
                    "\(indent)\(trimmed[..<eq].trimmingCharacters(in: .whitespaces)) = \(value.hasPrefix("[") ? "[\"••••••\"]" : "\"••••••\"")"
                )
            } else {
                out.append(String(line))
            }
        }
        return out.joined(separator: "\n")
    }

    func archivePage(
        _ ctx: WebContext, _ parts: [String], _ entries: [(name: String, folder: Bool, size: Int64, modified: Int64)]
    ) -> String {
        var crumbs = "<a href=\"/archive/\">archive</a>"
        var href = "/archive"
        for p in parts {
            href += "/" + HTML.urlEncode(p)
            crumbs += " / <a href=\"\(href)/\">\(HTML.escape(p))</a>"
        }
        var b = "<h1>Archive</h1><nav aria-label=\"Folder\"><p>\(crumbs)</p></nav>"
        b +=
            "<p class=\"muted\">The CSV files FTP and the network share serve. excel-eu and excel-us open in Excel by double-click; iso is for scripts.</p>"
        b +=
            "<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\" class=\"num\">Size</th><th scope=\"col\" class=\"hide-narrow\">Modified</th></tr></thead><tbody>"
        if !parts.isEmpty {
            b +=
                "<tr><td><a href=\"/archive/\(parts.dropLast().map(HTML.urlEncode).joined(separator: "/"))\(parts.count > 1 ? "/" : "")\">..</a></td><td></td><td class=\"hide-narrow\"></td></tr>"
        }
        let base = "/archive/" + parts.map(HTML.urlEncode).joined(separator: "/") + (parts.isEmpty ? "" : "/")
        for e in entries {
            let link = base + HTML.urlEncode(e.name) + (e.folder ? "/" : "")
            b +=
                "<tr><td><a href=\"\(link)\"\(e.folder ? "" : " download")>\(HTML.escape(e.name))\(e.folder ? "/" : "")</a></td>"
            b +=
                "<td class=\"num\">\(e.folder ? "" : Self.size(e.size))</td><td class=\"hide-narrow\">\(HTML.escape(reader.time.short(e.modified)))</td></tr>"
        }
        return frame(ctx, "Archive", current: "/archive/", b + "</tbody></table></div>")
    }

    static func size(_ n: Int64) -> String {
        n < 10_000 ? "\(n) B" : n < 10_000_000 ? "\(n / 1000) kB" : "\(n / 1_000_000) MB"
    }
}
