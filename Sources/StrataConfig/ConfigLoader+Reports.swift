import Foundation
import StrataCore

extension StrataConfig {
    /// The `[smtp]` section: the mail server reports go through.
    public struct SMTP: Sendable {
        public enum Security: String, Sendable, CaseIterable {
            case starttls, tls, none
        }

        public var host: String
        public var port: Int
        public var security: Security
        public var username: String?
        /// From `password` or `password_file`; never logged.
        public var password: String?
        public var from: String
        public var fromName: String?
        public var caFile: String?
        /// Seconds to wait for each reply of the server.
        public var timeout: Int64 = 120
        /// How long a message that meets temporary failures is retried before it is given up.
        public var retryFor: Int64 = 3 * 86_400
        /// The first wait before a retry; it doubles each time, up to an hour.
        public var retryInterval: Int64 = 60
    }

    /// One `[[reports]]` entry.
    public struct Report: Sendable {
        public enum Schedule: String, Sendable, CaseIterable {
            case daily, weekly, monthly
        }

        public var name: String
        public var schedule: Schedule
        /// Local time of day, in minutes after midnight.
        public var at: Int
        public var grace: Int64 = 900
        public var to: [String]
        /// nil: every device.
        public var devices: [String]?
        /// nil: every counter of the chosen devices.
        public var channels: [String]?
        public var dialect: CSVDialect
        /// Seconds of the fixed clock blocks peak demand is measured over.
        public var demandInterval: Int64 = 900
        /// Archive tiers whose files for the period go into the ZIP, and whether a summary CSV does.
        public var attach: [Tier]
        public var attachSummary = true
        public var maxAttachment: Int64 = 10_000_000
        public var subject: String?
        /// kvarh / kWh above which a day is marked (`reactive_limit_inductive`, `…_capacitive`).
        public var reactiveLimits = ReactiveLimits()
    }

    /// One `[[tariffs]]` entry: a price per unit in a window of the day, on some kinds of day,
    /// in some seasons. Its `name` is the band reports show (peak, off-peak, summer-shoulder …).
    public struct Tariff: Sendable {
        public var name: String
        public var price: Double
        public var currency: String
        /// Local hours `[from, to)` in minutes after midnight; nil: all day. `to` may be below
        /// `from` for a window over midnight ("22:00-06:00").
        public var hours: (from: Int, to: Int)?
        /// ISO weekdays 1 (Monday) … 7; nil: every day. A holiday counts as a Sunday here.
        public var days: Set<Int>?
        /// Workday, Saturday, Sunday, holiday; nil: every kind of day.
        public var dayTypes: Set<DayType>?
        /// Date ranges of the year the tariff applies in; nil: all year.
        public var seasons: [SeasonRange]?
        /// The channel unit the price is per (kWh unless set).
        public var unit: String
        /// A tariff without hours, days, day types or seasons applies where no other tariff does.
        public var isFallback: Bool { hours == nil && days == nil && dayTypes == nil && seasons == nil }

        /// Whether the tariff covers a local time on a date priced as a given day type and
        /// weekday (a holiday is weekday 7).
        public func covers(date: CivilDate, dayType: DayType, weekday: Int, minuteOfDay m: Int) -> Bool {
            if let s = seasons, !s.contains(where: { $0.contains(date) }) { return false }
            if let t = dayTypes, !t.contains(dayType) { return false }
            if let d = days, !d.contains(weekday) { return false }
            guard let h = hours else { return true }
            return h.from <= h.to ? (m >= h.from && m < h.to) : (m >= h.from || m < h.to)
        }
    }

    /// One `[[holidays]]` entry.
    public struct HolidayEntry: Sendable {
        public var name: String
        public var holiday: Holiday
    }

    /// Where reports go when no `[smtp]` is configured: `.eml` files a mail program opens.
    public struct Outbox: Sendable {
        public var path: String
    }
}

extension Reader {
    func smtp(_ root: TOMLTable) throws(ConfigError) -> StrataConfig.SMTP? {
        guard let t = try table(root, "smtp", path: "smtp") else { return nil }
        try checkKeys(
            t,
            allowed: [
                "host", "port", "security", "username", "password", "password_file", "from", "from_name", "ca_file",
                "timeout", "retry_for",
                "retry_interval",
            ], path: "smtp")
        let host = try string(t, "host", path: "smtp.host", required: true) ?? ""
        guard !host.isEmpty, !host.contains(" ") else {
            throw error("smtp.host", t["host"]?.line, "expected the mail server's host name")
        }
        var security = StrataConfig.SMTP.Security.starttls
        if let s = try string(t, "security", path: "smtp.security") {
            guard let v = StrataConfig.SMTP.Security(rawValue: s) else {
                throw error(
                    "smtp.security", t["security"]?.line,
                    "expected \"starttls\" (port 587), \"tls\" (implicit TLS, port 465) or \"none\", found \"\(s)\"")
            }
            security = v
        }
        var port = security == .tls ? 465 : (security == .starttls ? 587 : 25)
        if let p = try whole(t, "port", path: "smtp.port", 1...65535, "a port number") { port = p }
        let from = try string(t, "from", path: "smtp.from", required: true) ?? ""
        guard Self.isAddress(from) else {
            throw error(
                "smtp.from", t["from"]?.line, "expected an e-mail address like strata@example.org, found \"\(from)\"")
        }
        var s = StrataConfig.SMTP(host: host, port: port, security: security, from: from)
        s.fromName = try string(t, "from_name", path: "smtp.from_name")
        s.username = try string(t, "username", path: "smtp.username")
        let inline = try string(t, "password", path: "smtp.password")
        if let pf = try string(t, "password_file", path: "smtp.password_file") {
            if inline != nil {
                throw error(
                    "smtp.password_file", t["password_file"]?.line, "set either password or password_file, not both")
            }
            let abs = StrataConfig.absolutePath(pf, relativeTo: folder)
            guard let password = StrataConfig.passwordFile(abs) else {
                throw error(
                    "smtp.password_file", t["password_file"]?.line,
                    "cannot read \(abs) (does it exist, and may strata read it?)")
            }
            s.password = password
        } else {
            s.password = inline
        }
        if s.username != nil && s.password == nil {
            throw error("smtp.username", t["username"]?.line, "a user name needs password or password_file")
        }
        if s.username != nil && security == .none {
            // AUTH PLAIN/LOGIN send the password readable by anyone on the path.
            throw error(
                "smtp.security", t["security"]?.line ?? t.line,
                "security = \"none\" cannot be used with a user name: the password would cross the network in clear text"
            )
        }
        if let ca = try string(t, "ca_file", path: "smtp.ca_file") {
            let abs = StrataConfig.absolutePath(ca, relativeTo: folder)
            guard FileManager.default.isReadableFile(atPath: abs) else {
                throw error("smtp.ca_file", t["ca_file"]?.line, "cannot read \(abs)")
            }
            s.caFile = abs
        }
        if let v = try span(t, "timeout", path: "smtp.timeout", allowForever: false, most: 3600)?.seconds {
            s.timeout = v
        }
        if let v = try span(t, "retry_for", path: "smtp.retry_for", allowForever: false, most: 366 * 86_400)?.seconds {
            s.retryFor = v
        }
        if let v = try span(t, "retry_interval", path: "smtp.retry_interval", allowForever: false, most: 86_400)?
            .seconds
        {
            s.retryInterval = v
        }
        return s
    }

    func outbox(_ root: TOMLTable, storagePath: String) throws(ConfigError) -> StrataConfig.Outbox {
        let fallback = ((storagePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
            "outbox")
        guard let t = try table(root, "outbox", path: "outbox") else { return .init(path: fallback) }
        try checkKeys(t, allowed: ["path"], path: "outbox")
        let p = try string(t, "path", path: "outbox.path").map { StrataConfig.absolutePath($0, relativeTo: folder) }
        return .init(path: p ?? fallback)
    }

    func tariffs(_ root: TOMLTable) throws(ConfigError) -> [StrataConfig.Tariff] {
        guard let n = root["tariffs"] else { return [] }
        guard case .array(let items) = n.value else { throw error("tariffs", n.line, "expected [[tariffs]] tables") }
        var out: [StrataConfig.Tariff] = []
        let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        for (i, item) in items.enumerated() {
            let p = "tariffs[\(i)]"
            guard case .table(let t) = item.value else { throw error(p, item.line, "expected a table") }
            try checkKeys(
                t, allowed: ["name", "price", "currency", "hours", "days", "day_types", "seasons", "unit"], path: p)
            let name = try string(t, "name", path: "\(p).name", required: true, tableLine: t.line) ?? ""
            guard let price = try number(t, "price", path: "\(p).price", 0...1e9, "a price per unit") else {
                throw error("\(p).price", t.line, "missing; expected the price per unit, like 0.23")
            }
            let currency = try string(t, "currency", path: "\(p).currency") ?? "EUR"
            var tariff = StrataConfig.Tariff(
                name: name, price: price, currency: currency, hours: nil, days: nil, dayTypes: nil, seasons: nil,
                unit: try string(t, "unit", path: "\(p).unit") ?? "kWh")
            if let h = try string(t, "hours", path: "\(p).hours") {
                let parts = h.split(separator: "-").map { Self.clock(String($0).trimmingSpaces) }
                guard parts.count == 2, let a = parts[0], let b = parts[1], a != b, a % 60 == 0, b % 60 == 0 else {
                    throw error(
                        "\(p).hours", t["hours"]?.line,
                        "expected whole hours like \"06:00-22:00\" (over midnight: \"22:00-06:00\"), found \"\(h)\"")
                }
                tariff.hours = (a, b == 1440 ? 0 : b)
            }
            if let ds = try strings(t, "days", path: "\(p).days", example: "[\"mon\", \"tue\"]") {
                var set = Set<Int>()
                for (d, line) in ds {
                    guard let k = dayNames.firstIndex(of: d.lowercased()) else {
                        throw error(
                            "\(p).days", line,
                            "expected day names \(dayNames.map { "\"\($0)\"" }.joined(separator: ", ")), found \"\(d)\""
                        )
                    }
                    set.insert(k + 1)
                }
                tariff.days = set
            }
            if let ds = try strings(t, "day_types", path: "\(p).day_types", example: "[\"workday\"]") {
                var set = Set<DayType>()
                for (d, line) in ds {
                    guard let k = DayType(rawValue: d.lowercased()) else {
                        throw error(
                            "\(p).day_types", line,
                            "expected \(DayType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), found \"\(d)\""
                        )
                    }
                    set.insert(k)
                }
                tariff.dayTypes = set
            }
            if let ss = try strings(t, "seasons", path: "\(p).seasons", example: "[\"04-01..09-30\"]") {
                tariff.seasons = []
                for (text, line) in ss {
                    let parts = text.components(separatedBy: "..")
                    guard parts.count == 2, let a = Self.monthDay(parts[0]), let b = Self.monthDay(parts[1]) else {
                        throw error(
                            "\(p).seasons", line,
                            "expected a range of days of the year like \"04-01..09-30\" (1 April to 30 September; \"10-01..03-31\" runs over New Year), found \"\(text)\""
                        )
                    }
                    tariff.seasons?.append(SeasonRange(from: a, to: b))
                }
            }
            if out.contains(where: { $0.name == name && $0.unit == tariff.unit }) {
                throw error("\(p).name", t["name"]?.line, "tariff \"\(name)\" is defined twice")
            }
            if tariff.isFallback, out.contains(where: { $0.isFallback && $0.unit == tariff.unit }) {
                throw error(
                    p, t.line,
                    "two tariffs for \(tariff.unit) without hours, days, day types or seasons; only one can apply where no other does"
                )
            }
            out.append(tariff)
        }
        return out
    }

    /// A list of strings, each with its line.
    func strings(_ t: TOMLTable, _ key: String, path: String, example: String) throws(ConfigError) -> [(String, Int)]? {
        guard let n = t[key] else { return nil }
        guard case .array(let items) = n.value, !items.isEmpty else {
            throw error(path, n.line, "expected a list like \(example)")
        }
        var out: [(String, Int)] = []
        for it in items {
            guard case .string(let s) = it.value else {
                throw error(path, it.line, "expected a list of strings like \(example)")
            }
            out.append((s, it.line))
        }
        return out
    }

    /// "MM-DD" as (month, day), a day that exists in a leap year.
    static func monthDay(_ s: String) -> (month: Int, day: Int)? {
        let p = s.trimmingSpaces.split(separator: "-")
        guard p.count == 2, p[0].count == 2, p[1].count == 2, let m = Int(p[0]), let d = Int(p[1]),
            CivilDate(year: 2000, month: m, day: d).isValid
        else { return nil }
        return (m, d)
    }

    func holidays(_ root: TOMLTable) throws(ConfigError) -> [StrataConfig.HolidayEntry] {
        guard let n = root["holidays"] else { return [] }
        guard case .array(let items) = n.value else { throw error("holidays", n.line, "expected [[holidays]] tables") }
        var out: [StrataConfig.HolidayEntry] = []
        for (i, item) in items.enumerated() {
            let p = "holidays[\(i)]"
            guard case .table(let t) = item.value else { throw error(p, item.line, "expected a table") }
            try checkKeys(t, allowed: ["name", "date", "easter"], path: p)
            let name = try string(t, "name", path: "\(p).name") ?? "holiday"
            let date = try string(t, "date", path: "\(p).date")
            let easter = try whole(
                t, "easter", path: "\(p).easter", -100...100,
                "days after Easter Sunday (1 = Easter Monday, -2 = Good Friday)")
            switch (date, easter) {
            case (let d?, nil):
                if let md = Self.monthDay(d) {
                    out.append(.init(name: name, holiday: .annual(month: md.month, day: md.day)))
                } else if let day = CivilDate(parsing: d.trimmingSpaces) {
                    out.append(.init(name: name, holiday: .once(day)))
                } else {
                    throw error(
                        "\(p).date", t["date"]?.line,
                        "expected \"MM-DD\" for every year (\"12-25\") or \"YYYY-MM-DD\" for once, found \"\(d)\"")
                }
            case (nil, let e?): out.append(.init(name: name, holiday: .easter(offset: e)))
            case (_?, _?): throw error("\(p).easter", t["easter"]?.line, "set either date or easter, not both")
            case (nil, nil):
                throw error(
                    "\(p).date", t.line,
                    "missing; give date (\"12-25\", \"2027-05-07\") or easter (days after Easter Sunday: 1 = Easter Monday)"
                )
            }
        }
        return out
    }

    func reports(_ root: TOMLTable, devices: [StrataConfig.Device], archive: StrataConfig.Archive) throws(ConfigError)
        -> [StrataConfig.Report]
    {
        guard let n = root["reports"] else { return [] }
        guard case .array(let items) = n.value else { throw error("reports", n.line, "expected [[reports]] tables") }
        var out: [StrataConfig.Report] = []
        for (i, item) in items.enumerated() {
            let p = "reports[\(i)]"
            guard case .table(let t) = item.value else { throw error(p, item.line, "expected a table") }
            try checkKeys(
                t,
                allowed: [
                    "name", "schedule", "at", "grace", "to", "devices", "channels", "dialect", "demand_interval",
                    "attach", "max_attachment", "subject",
                    "reactive_limit_inductive", "reactive_limit_capacitive",
                ], path: p)
            let name = try string(t, "name", path: "\(p).name", required: true, tableLine: t.line) ?? ""
            try checkIdentifier(name, key: "\(p).name", line: t["name"]?.line)
            if out.contains(where: { $0.name == name }) {
                throw error("\(p).name", t["name"]?.line, "report \"\(name)\" is defined twice")
            }
            let sched = try string(t, "schedule", path: "\(p).schedule", required: true, tableLine: t.line) ?? ""
            guard let schedule = StrataConfig.Report.Schedule(rawValue: sched) else {
                throw error(
                    "\(p).schedule", t["schedule"]?.line,
                    "expected \"daily\", \"weekly\" or \"monthly\", found \"\(sched)\"")
            }
            var at = 6 * 60
            if let a = try string(t, "at", path: "\(p).at") {
                guard let m = Self.clock(a), m < 1440 else {
                    throw error("\(p).at", t["at"]?.line, "expected a local time like \"06:00\", found \"\(a)\"")
                }
                at = m
            }
            let toList = try strings(t, "to", path: "\(p).to") ?? []
            guard !toList.isEmpty else {
                throw error(
                    "\(p).to", t["to"]?.line ?? t.line,
                    "expected at least one recipient, like to = [\"fm@example.org\"]")
            }
            for a in toList where !Self.isAddress(a) {
                throw error("\(p).to", t["to"]?.line, "\"\(a)\" is not an e-mail address")
            }
            var dialect = archive.dialects.first ?? .excelEU
            if let d = try string(t, "dialect", path: "\(p).dialect") {
                guard let v = CSVDialect(rawValue: d) else {
                    throw error("\(p).dialect", t["dialect"]?.line, "expected \"excel-eu\", \"excel-us\" or \"iso\"")
                }
                dialect = v
            }
            guard archive.dialects.contains(dialect) else {
                throw error(
                    "\(p).dialect", t["dialect"]?.line,
                    "the archive does not build \"\(dialect.rawValue)\" (archive.dialects = \(archive.dialects.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))): add it there or choose one of those"
                )
            }
            var report = StrataConfig.Report(
                name: name, schedule: schedule, at: at, to: toList, dialect: dialect,
                attach: Self.defaultAttach(schedule))
            if let g = try span(t, "grace", path: "\(p).grace", allowForever: false, most: 31 * 86_400)?.seconds {
                report.grace = g
            }
            if let ds = try strings(t, "devices", path: "\(p).devices") {
                for d in ds where !devices.contains(where: { $0.id == d }) {
                    throw error(
                        "\(p).devices", t["devices"]?.line,
                        "no device \"\(d)\"; configured: \(devices.map(\.id).joined(separator: ", "))")
                }
                report.devices = ds
            }
            if let cs = try strings(t, "channels", path: "\(p).channels") {
                let chosen = devices.filter { report.devices?.contains($0.id) ?? true }
                for c in cs where !chosen.contains(where: { $0.channels.contains { $0.id == c } }) {
                    throw error("\(p).channels", t["channels"]?.line, "no chosen device has a channel \"\(c)\"")
                }
                report.channels = cs
            }
            if let d = try span(t, "demand_interval", path: "\(p).demand_interval", allowForever: false)?.seconds {
                guard [900, 1800, 3600].contains(d) else {
                    throw error(
                        "\(p).demand_interval", t["demand_interval"]?.line,
                        "expected \"15 min\", \"30 min\" or \"60 min\" (blocks of whole quarters)")
                }
                report.demandInterval = d
            }
            if let a = try strings(t, "attach", path: "\(p).attach") {
                var tiers: [Tier] = []
                var summary = false
                for x in a {
                    if x == "summary" {
                        summary = true
                        continue
                    }
                    guard let tier = Tier(name: x), tier <= .day else {
                        throw error(
                            "\(p).attach", t["attach"]?.line,
                            "expected any of \"minute\", \"quarter\", \"hour\", \"day\", \"summary\", found \"\(x)\"")
                    }
                    tiers.append(tier)
                }
                report.attach = tiers
                report.attachSummary = summary
            }
            if let m = try string(t, "max_attachment", path: "\(p).max_attachment") {
                // At most 1 GB: mail servers refuse far less, and the ZIP stays clear of 4 GiB.
                guard let b = ByteSize(parsing: m), b.bytes >= 10_000, b.bytes <= 1_000_000_000 else {
                    throw error(
                        "\(p).max_attachment", t["max_attachment"]?.line,
                        "expected a size from \"10 kB\" to \"1 GB\" like \"10 MB\", found \"\(m)\"")
                }
                report.maxAttachment = b.bytes
            }
            report.subject = try string(t, "subject", path: "\(p).subject")
            report.reactiveLimits.inductive = try number(
                t, "reactive_limit_inductive", path: "\(p).reactive_limit_inductive", 0...10,
                "a ratio of reactive to active energy, like 0.20 for 20 %")
            report.reactiveLimits.capacitive = try number(
                t, "reactive_limit_capacitive", path: "\(p).reactive_limit_capacitive", 0...10,
                "a ratio of reactive to active energy, like 0.15 for 15 %")
            out.append(report)
        }
        return out
    }

    /// The archive files a report of each kind carries when `attach` is not set: the files
    /// whose period lies inside the report's.
    static func defaultAttach(_ s: StrataConfig.Report.Schedule) -> [Tier] {
        switch s {
        case .daily, .weekly: [.minute]
        case .monthly: [.quarter, .hour]
        }
    }

    func strings(_ t: TOMLTable, _ key: String, path: String) throws(ConfigError) -> [String]? {
        guard let n = t[key] else { return nil }
        guard case .array(let items) = n.value else {
            throw error(path, n.line, "expected a list of strings like [\"a\", \"b\"]")
        }
        var out: [String] = []
        for it in items {
            guard case .string(let s) = it.value else {
                throw error(path, it.line, "expected a string, found \(it.typeName)")
            }
            out.append(s)
        }
        return out
    }

    /// "06:00" → 360; "24:00" → 1440.
    static func clock(_ s: String) -> Int? {
        let parts = s.split(separator: ":")
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
            (0...24).contains(h), (0..<60).contains(m), h * 60 + m <= 1440
        else { return nil }
        return h * 60 + m
    }

    static func isAddress(_ a: String) -> Bool {
        let parts = a.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            || parts.count == 2 && parts[1] == "localhost"
            ? a.utf8.allSatisfy {
                $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: ",")
            } && !parts[0].isEmpty
            : false
    }
}
