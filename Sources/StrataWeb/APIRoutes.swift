import Foundation
import Hummingbird
import StrataCore
import StrataReport
import StrataStore

/// The JSON (and CSV) API under `/api/v1`, `/healthz` and `/metrics`.
extension WebApp {
    func addAPIRoutes(_ router: Router<WebContext>) {
        router.get("/healthz") { _, _ -> Response in await self.healthz() }
        router.group().add(middleware: WebAuthentication(app: self, audience: .metrics)).get("/metrics") { _, _ in
            await self.metricsText()
        }
        router.get("/api/v1/openapi.json") { _, _ -> Response in
            Response.bytes(Array(OpenAPIDocument.json.utf8), type: "application/json")
        }
        let api = router.group("/api/v1").add(middleware: WebAuthentication(app: self, audience: .api))
        api.get("/site") { request, context -> Response in
            try await self.api(request, context) { _, access, csv in self.site(access, csv: csv) }
        }
        api.get("/devices") { request, context -> Response in
            try await self.api(request, context) { _, access, csv in try await self.devices(access, csv: csv) }
        }
        api.get("/devices/{id}") { request, context -> Response in
            try await self.api(request, context) { ctx, access, csv in
                try await self.device(try self.deviceID(ctx, access), csv: csv)
            }
        }
        api.get("/devices/{id}/status") { request, context -> Response in
            try await self.api(request, context) { ctx, access, csv in
                try await self.status(try self.deviceID(ctx, access), csv: csv)
            }
        }
        api.get("/devices/{id}/series") { request, context -> Response in
            try await self.api(request, context) { ctx, access, csv in
                try await self.series(request, try self.deviceID(ctx, access), access: access, csv: csv)
            }
        }
        api.get("/devices/{id}/events") { request, context -> Response in
            try await self.api(request, context) { ctx, access, csv in
                try await self.events(try self.deviceID(ctx, access), csv: csv)
            }
        }
        api.get("/outbox") { request, context -> Response in
            try await self.api(request, context) { _, access, csv in
                guard access.seesSite else {
                    throw Problem(
                        .forbidden, "Not allowed", "the outbox is site-wide; user \(access.user) sees one meter")
                }
                return try await self.outbox(csv: csv)
            }
        }
    }

    /// Picks JSON or CSV for an authenticated request (`WebAuthentication` ran first); read
    /// errors become problems, and a thrown `Problem` answers as problem+json.
    func api(
        _ request: Request, _ ctx: WebContext,
        _ body: (WebContext, WebAccess, Bool) async throws -> Response
    ) async throws -> Response {
        guard let access = ctx.access else { throw Problem(.unauthorized, "Login required", "log in first") }
        let format = request.uri.queryParameters.get("format")
        if let f = format, f != "json", f != "csv" {
            return Problem(.badRequest, "Unknown format", "format=\(f): expected json or csv").response
        }
        let csv = format == "csv" || (format == nil && (request.headers[.accept] ?? "").contains("text/csv"))
        do {
            return try await body(ctx, access, csv)
        } catch let e as WebReadError {
            throw Problem.from(e)
        }
    }

    func deviceID(_ context: WebContext, _ access: WebAccess) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard config.device(id) != nil else { throw Problem.from(.unknownDevice(id)) }
        guard access.allows(device: id) else {
            throw Problem(
                .forbidden, "Not allowed",
                "user \(access.user) may not read device \"\(id)\" (its FTP home is \"\(access.home)\")")
        }
        return id
    }

    static func json(_ w: JSONWriter) -> Response {
        Response.bytes(w.bytes, type: "application/json")
    }

    static func csv(_ header: [String], _ rows: [[String]]) -> Response {
        var w = CSVWriter(dialect: .iso)
        for h in header { w.field(h) }
        w.endRow()
        for r in rows {
            for c in r { w.field(c) }
            w.endRow()
        }
        return Response.bytes(w.bytes, type: "text/csv; charset=utf-8")
    }

    func timeFields(_ w: inout JSONWriter, _ key: String, _ t: Int64?) {
        w.key(key)
        if let t {
            let off = config.site.zone.offset(at: t)
            w.isoTime(LocalDateTime(secondsSinceEpoch: t + Int64(off)), offset: off)
        } else {
            w.null()
        }
        w.key(key + "_epoch")
        if let t { w.int(t) } else { w.null() }
    }

    func site(_ access: WebAccess, csv: Bool) -> Response {
        let devices = config.devices.filter { access.allows(device: $0.id) }
        if csv {
            return Self.csv(
                ["name", "timezone", "now", "devices"],
                [[config.site.name, config.site.timezone, reader.time.iso(now()), String(devices.count)]])
        }
        var w = JSONWriter()
        w.beginObject()
        w.field("name", config.site.name)
        w.field("timezone", config.site.timezone)
        timeFields(&w, "now", now())
        w.key("devices")
        w.beginArray()
        for d in devices { w.string(d.id) }
        w.endArray()
        w.key("tiers")
        w.beginArray()
        for t in Tier.allCases { w.string(t.name) }
        w.endArray()
        w.field("user", access.user)
        w.endObject()
        return Self.json(w)
    }

    func writeChannel(_ w: inout JSONWriter, _ c: ChannelInfo) {
        w.beginObject()
        w.field("id", c.id)
        w.field("name", c.name)
        w.field("unit", c.unit)
        w.field("kind", c.kind.rawValue)
        w.field("decimals", c.decimals)
        w.endObject()
    }

    func writeStatus(_ w: inout JSONWriter, _ s: MeterSummary) {
        w.field("state", s.state.rawValue)
        timeFields(&w, "last_success", s.status?.lastSuccess)
        timeFields(&w, "last_attempt", s.status?.lastAttempt)
        w.field("consecutive_failures", s.status?.consecutiveFailures ?? 0)
        w.field("last_error", s.status?.consecutiveFailures ?? 0 > 0 ? s.status?.lastError : nil)
        w.field("bad_readings", s.status?.badReadings ?? 0)
    }

    func writeDevice(_ w: inout JSONWriter, _ s: MeterSummary) {
        w.beginObject()
        w.field("id", s.id)
        w.field("name", s.name)
        w.field("driver", s.driver)
        writeStatus(&w, s)
        timeFields(&w, "last_reading", s.lastReading)
        if let c = s.counter {
            w.field("consumption_channel", c.id)
            w.key("today")
            w.number(s.today, decimals: c.decimals)
            w.key("this_month")
            w.number(s.month, decimals: c.decimals)
        }
        if let p = s.power {
            w.field("power_channel", p.id)
            w.key("power")
            w.number(s.powerNow, decimals: p.decimals)
        }
        w.key("channels")
        w.beginArray()
        for c in s.channels { writeChannel(&w, c) }
        w.endArray()
        w.endObject()
    }

    func devices(_ access: WebAccess, csv: Bool) async throws -> Response {
        let ids = config.devices.map(\.id).filter { access.allows(device: $0) }
        let list = try await reader.overview(devices: ids, now: now())
        if csv {
            return Self.csv(
                [
                    "id", "name", "driver", "state", "last_reading", "today", "this_month", "unit", "power",
                    "power_unit", "last_error",
                ],
                list.map { s in
                    [
                        s.id, s.name, s.driver, s.state.rawValue, s.lastReading.map { reader.time.iso($0) } ?? "",
                        s.today.map { Decimal.format($0, Resolution(decimals: s.counter?.decimals ?? 3)) } ?? "",
                        s.month.map { Decimal.format($0, Resolution(decimals: s.counter?.decimals ?? 3)) } ?? "",
                        s.counter?.unit ?? "",
                        s.powerNow.map { Decimal.format($0, Resolution(decimals: s.power?.decimals ?? 1)) } ?? "",
                        s.power?.unit ?? "", s.state == .failing ? s.status?.lastError ?? "" : "",
                    ]
                })
        }
        var w = JSONWriter()
        w.beginObject()
        w.key("devices")
        w.beginArray()
        for s in list { writeDevice(&w, s) }
        w.endArray()
        w.endObject()
        return Self.json(w)
    }

    func device(_ id: String, csv: Bool) async throws -> Response {
        guard let s = try await reader.overview(devices: [id], now: now()).first else {
            throw Problem.from(.unknownDevice(id))
        }
        if csv {
            return Self.csv(
                ["channel", "name", "unit", "kind", "decimals"],
                s.channels.map { [$0.id, $0.name, $0.unit, $0.kind.rawValue, String($0.decimals)] })
        }
        var w = JSONWriter()
        writeDevice(&w, s)
        return Self.json(w)
    }

    func status(_ id: String, csv: Bool) async throws -> Response {
        guard let s = try await reader.overview(devices: [id], now: now()).first else {
            throw Problem.from(.unknownDevice(id))
        }
        if csv {
            return Self.csv(
                [
                    "device", "state", "last_success", "last_attempt", "consecutive_failures", "last_error",
                    "bad_readings",
                ],
                [
                    [
                        id, s.state.rawValue, s.status?.lastSuccess.map { reader.time.iso($0) } ?? "",
                        s.status?.lastAttempt.map { reader.time.iso($0) } ?? "",
                        String(s.status?.consecutiveFailures ?? 0),
                        s.status?.lastError ?? "", String(s.status?.badReadings ?? 0),
                    ]
                ])
        }
        var w = JSONWriter()
        w.beginObject()
        w.field("device", id)
        writeStatus(&w, s)
        w.endObject()
        return Self.json(w)
    }

    /// The range of a series request: `from`/`to` as the user wrote them, defaulting to the
    /// last day (minutes), month (quarter, hour), year (day), two years (month) or all (year).
    func range(_ request: Request, tier: Tier) throws -> (Int64, Int64) {
        let q = request.uri.queryParameters
        let cal = config.site.calendar
        let t = now()
        var to = cal.bucketEnd(tier, start: cal.bucketStart(tier, containing: t))
        if let s = q.get("to") {
            guard let v = reader.time.parse(s) else {
                throw Problem(
                    .badRequest, "Bad time",
                    "to=\(s): expected 2026-12-02, 2026-12-02T13:00, an ISO 8601 time with offset, or epoch seconds")
            }
            to = v
        }
        var from: Int64
        switch tier {
        case .minute: from = to - 86_400
        case .quarter, .hour: from = to - 31 * 86_400
        case .day: from = to - 366 * 86_400
        case .month: from = to - 731 * 86_400
        case .year: from = to - 20 * 366 * 86_400
        }
        if let s = q.get("from") {
            guard let v = reader.time.parse(s) else {
                throw Problem(
                    .badRequest, "Bad time",
                    "from=\(s): expected 2026-12-01, 2026-12-01T00:00, an ISO 8601 time with offset, or epoch seconds")
            }
            from = v
        }
        // An empty or inverted range is an empty answer, as a query for no time is.
        return (from, max(from, to))
    }

    func tier(_ request: Request) throws -> Tier {
        let name = request.uri.queryParameters.get("tier") ?? "hour"
        guard let t = Tier(name: name) else {
            throw Problem(
                .badRequest, "Unknown tier", "tier=\(name): expected minute, quarter, hour, day, month or year")
        }
        return t
    }

    func series(_ request: Request, _ id: String, access: WebAccess, csv: Bool) async throws -> Response {
        let t = try tier(request)
        let (from, to) = try range(request, tier: t)
        let name = request.uri.queryParameters.get("dialect") ?? access.dialect?.rawValue ?? "iso"
        guard let dialect = CSVDialect(rawValue: name) else {
            throw Problem(.badRequest, "Unknown dialect", "dialect=\(name): expected iso, excel-eu or excel-us")
        }
        if csv {
            let bytes = try await reader.csv(device: id, tier: t, from: from, to: to, dialect: dialect)
            var h: HTTPFields = [:]
            let day = reader.time.iso(from).prefix(10)
            h[.contentDisposition] = "attachment; filename=\"\(id)-\(t.name)-\(day).csv\""
            return Response.bytes(bytes, type: "text/csv; charset=utf-8", headers: h)
        }
        let only = request.uri.queryParameters.get("channels").map { $0.split(separator: ",").map(String.init) }
        let s = try await reader.series(device: id, channels: only, tier: t, from: from, to: to)
        var w = JSONWriter(reserve: 64 + s.cells.count * 40)
        w.beginObject()
        w.field("device", id)
        w.field("tier", t.name)
        timeFields(&w, "from", s.from)
        timeFields(&w, "to", s.to)
        w.key("channels")
        w.beginArray()
        for c in s.channels { writeChannel(&w, c) }
        w.endArray()
        w.key("rows")
        w.beginArray()
        for i in 0..<s.count {
            w.beginObject()
            timeFields(&w, "start", s.starts[i])
            timeFields(&w, "end", s.ends[i])
            w.key("values")
            w.beginObject()
            for (k, c) in s.channels.enumerated() {
                guard let g = s.cell(i, k) else { continue }
                w.key(c.id)
                w.beginObject()
                if c.kind == .counter {
                    w.key("consumption")
                    w.number(steps: g.consumption, decimals: c.decimals)
                    w.key("reading")
                    w.number(g.last, decimals: c.decimals)
                } else {
                    w.key("mean")
                    w.number(g.mean, decimals: c.decimals)
                    w.key("min")
                    w.number(g.min, decimals: c.decimals)
                    w.key("max")
                    w.number(g.max, decimals: c.decimals)
                }
                w.endObject()
            }
            w.endObject()
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return Self.json(w)
    }

    func events(_ id: String, csv: Bool) async throws -> Response {
        let list = try await reader.events(device: id)
        if csv {
            return Self.csv(
                ["time", "channel", "action", "old", "new"],
                list.map { c, e in
                    [
                        reader.time.iso(e.ts), c.id, e.action.rawValue,
                        Decimal.format(e.oldValue, Resolution(decimals: c.decimals)),
                        Decimal.format(e.newValue, Resolution(decimals: c.decimals)),
                    ]
                })
        }
        var w = JSONWriter()
        w.beginObject()
        w.field("device", id)
        w.key("events")
        w.beginArray()
        for (c, e) in list {
            w.beginObject()
            timeFields(&w, "time", e.ts)
            w.field("channel", c.id)
            w.field("action", e.action.rawValue)
            w.key("old")
            w.number(e.oldValue, decimals: c.decimals)
            w.key("new")
            w.number(e.newValue, decimals: c.decimals)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return Self.json(w)
    }

    func outbox(csv: Bool) async throws -> Response {
        let entries = try await reader.outboxEntries()
        if csv {
            return Response.bytes(OutboxStatus.csv(entries, zone: config.site.zone), type: "text/csv; charset=utf-8")
        }
        var w = JSONWriter()
        w.beginObject()
        w.key("messages")
        w.beginArray()
        for e in entries {
            w.beginObject()
            w.field("id", e.id)
            w.field("report", e.report)
            w.field("period", e.period)
            w.field("recipient", e.recipient)
            w.field("message_id", e.messageID)
            w.field("state", e.state.rawValue)
            w.field("attempts", e.attempts)
            timeFields(&w, "created", e.created)
            timeFields(&w, "last_attempt", e.lastAttempt)
            timeFields(&w, "done", e.done)
            w.field("last_error", e.lastError)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return Self.json(w)
    }

    func healthz() async -> Response {
        let h = await reader.health(now: now(), started: started)
        var w = JSONWriter()
        w.beginObject()
        w.field("status", h.status)
        w.field("store_writable", h.storeWritable)
        w.field("store_problem", h.storeProblem)
        w.field("sampler_alive", h.samplerAlive)
        w.key("newest_minute_age_seconds")
        if let a = h.newestMinuteAge { w.int(a) } else { w.null() }
        w.key("rollup_age_seconds")
        if let a = h.rollUpAge { w.int(a) } else { w.null() }
        w.endObject()
        return Response.bytes(w.bytes, type: "application/json", status: h.isHealthy ? .ok : .serviceUnavailable)
    }

    func metricsText() async -> Response {
        guard let metrics else {
            return Problem(.notFound, "No metrics", "this server was started without a metrics registry").response
        }
        let f = await reader.figures(now: now())
        metrics.update(f, webConnections: counter.open)
        return Response.bytes(metrics.text(), type: "text/plain; version=0.0.4; charset=utf-8")
    }
}
