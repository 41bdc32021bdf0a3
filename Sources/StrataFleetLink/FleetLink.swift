import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import PostgresNIO
import StrataCore
import StrataFleet

/// Why the central server could not be used, in words an admin can act on.
public enum FleetError: Error, CustomStringConvertible, Sendable {
    case badURL(String)
    case cannotReadFile(String)
    case connect(String)
    case server(String)
    case schema(found: Int)
    /// Some bucket is on the server already (handled inside `push`, never seen by callers).
    case duplicate

    public var description: String {
        switch self {
        case .badURL(let u): "\(u) is not a PostgreSQL URL like postgres://strata@central.example.org:5432/strata"
        case .cannotReadFile(let f): "cannot read \(f)"
        case .connect(let m): "cannot reach the central server: \(m)"
        case .server(let m): "the central server refused: \(m)"
        case .duplicate: "a bucket was on the central server already"
        case .schema(let v):
            "the central schema is version \(v), newer than this strata knows (\(FleetSchema.version)): update strata"
        }
    }

    /// PSQLError hides the server's words from its description; they are what the admin needs.
    static func from(_ error: any Error) -> FleetError {
        if let e = error as? FleetError { return e }
        if let p = error as? PSQLError {
            if let msg = p.serverInfo?[.message] {
                let code = p.serverInfo?[.sqlState]
                let state = code.map { " (\($0))" } ?? ""
                // An undefined table: a server whose schema is older than this strata.
                let hint = code == "42P01" ? "; run `strata fleet init` against it to create or migrate the schema" : ""
                return .server(msg + state + hint)
            }
            if let u = p.underlying { return .connect("\(u)") }
            return .connect(p.code.description)
        }
        return .connect("\(error)")
    }
}

/// Where the central server is: `postgres://user@host:port/database`, the password from a file.
public struct FleetTarget: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var password: String?
    public var caFile: String?

    public init(url: String, password: String? = nil, caFile: String? = nil) throws(FleetError) {
        guard let u = URLComponents(string: url), ["postgres", "postgresql"].contains(u.scheme ?? ""),
            let host = u.host, !host.isEmpty
        else {
            throw .badURL(url)
        }
        self.host = host
        port = u.port ?? 5432
        user = u.user ?? "strata"
        let db = u.path.hasPrefix("/") ? String(u.path.dropFirst()) : u.path
        database = db.isEmpty ? user : db
        self.password = password ?? u.password
        self.caFile = caFile
    }

    public var display: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}

/// One connection to the central PostgreSQL: schema, pushes and reads.
public final class FleetLink: @unchecked Sendable {
    let connection: PostgresConnection
    let logger: Logger

    private init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    public static func connect(_ t: FleetTarget, logger: Logger, timeout: TimeAmount = .seconds(10))
        async throws(FleetError) -> FleetLink
    {
        var tls = PostgresConnection.Configuration.TLS.disable
        if let ca = t.caFile {
            var c = TLSConfiguration.makeClientConfiguration()
            guard FileManager.default.isReadableFile(atPath: ca) else { throw .cannotReadFile(ca) }
            c.trustRoots = .file(ca)
            do { tls = .require(try NIOSSLContext(configuration: c)) } catch { throw .connect("TLS: \(error)") }
        }
        var config = PostgresConnection.Configuration(
            host: t.host, port: t.port, username: t.user, password: t.password, database: t.database, tls: tls)
        config.options.connectTimeout = timeout
        do {
            let conn = try await PostgresConnection.connect(configuration: config, id: 1, logger: logger)
            return FleetLink(connection: conn, logger: logger)
        } catch {
            throw FleetError.from(error)
        }
    }

    public func close() async { try? await connection.close() }

    func exec(_ sql: String) async throws(FleetError) { try await query(PostgresQuery(unsafeSQL: sql)) }

    /// Creates the schema, or checks and migrates an existing one.
    public func initSchema() async throws(FleetError) -> (created: Bool, version: Int, from: Int?) {
        var existing: Int?
        do {
            let rows = try await connection.query(
                "SELECT value FROM strata_meta WHERE key = 'schema_version'", logger: logger)
            for try await v in rows.decode(String.self) { existing = Int(v) }
        } catch {
            existing = nil // no table yet
        }
        if let v = existing, v > FleetSchema.version { throw .schema(found: v) }
        try await exec("BEGIN")
        do throws(FleetError) {
            for s in FleetSchema.statements { try await exec(s) }
            if let v = existing, v < 2 { try await exec(FleetSchema.backfillChanges) }
            try await exec("COMMIT")
        } catch {
            try? await exec("ROLLBACK")
            throw error
        }
        return (existing == nil, FleetSchema.version, existing)
    }

    /// A site, its devices and channels: names and units travel with the data.
    public struct SiteInfo: Sendable {
        public var id: String
        public var name: String
        public var timezone: String
        public var devices: [(id: String, name: String)]
        public var channels: [(device: String, id: String, name: String, unit: String, kind: String, decimals: Int)]
        public var statuses:
            [(device: String, lastSuccess: Int64?, lastAttempt: Int64?, failures: Int, lastError: String?)]

        /// Equal for equal descriptions (and device states).
        public var fingerprint: String {
            var f = "\(id)|\(name)|\(timezone)"
            for d in devices { f += "|d:\(d.id)=\(d.name)" }
            for c in channels { f += "|c:\(c.device).\(c.id)=\(c.name),\(c.unit),\(c.kind),\(c.decimals)" }
            for s in statuses.sorted(by: { $0.device < $1.device }) {
                f += "|s:\(s.device)=\(s.lastSuccess ?? 0),\(s.lastAttempt ?? 0),\(s.failures),\(s.lastError ?? "")"
            }
            return f
        }

        public init(
            id: String, name: String, timezone: String, devices: [(id: String, name: String)],
            channels: [(device: String, id: String, name: String, unit: String, kind: String, decimals: Int)],
            statuses: [(device: String, lastSuccess: Int64?, lastAttempt: Int64?, failures: Int, lastError: String?)] =
                []
        ) {
            self.id = id
            self.name = name
            self.timezone = timezone
            self.devices = devices
            self.channels = channels
            self.statuses = statuses
        }
    }

    /// `push` with a deadline, and ended at once when the task is cancelled (a shutdown).
    ///
    /// A server that dies in the middle of a COPY can leave postgres-nio waiting for an answer
    /// that never comes, even after the connection is closed. So the push runs in a task this
    /// link owns, and the caller waits only for whichever comes first: its result, the
    /// deadline, or a cancellation; in the other two cases the connection is closed and the
    /// link must not be used again (the service makes a new one).
    public func push(
        _ site: SiteInfo, payload: FleetPayload, events: [(device: String, channel: String, event: CounterEvent)],
        timeout: Duration
    ) async throws(FleetError) {
        let state = NIOLockedValueBox<CheckedContinuation<Void, any Error>?>(nil)
        let resumeOnce: @Sendable (Result<Void, any Error>) -> Void = { r in
            state.withLockedValue { c in
                c?.resume(with: r)
                c = nil
            }
        }
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                    state.withLockedValue { $0 = c }
                    let work = Task {
                        do {
                            try await self.push(site, payload: payload, events: events)
                            resumeOnce(.success(()))
                        } catch {
                            resumeOnce(.failure(error))
                        }
                    }
                    let timer = Task {
                        try await Task.sleep(for: timeout)
                        resumeOnce(
                            .failure(
                                FleetError.connect(
                                    "no answer within \(timeout.components.seconds) s; the connection was closed")))
                        work.cancel()
                        await self.close()
                    }
                    self.pending.withLockedValue { $0 = (work, timer) }
                }
            } onCancel: {
                resumeOnce(.failure(CancellationError()))
                Task { await self.close() }
            }
        } catch {
            throw FleetError.from(error)
        }
        pending.withLockedValue { p in
            p?.timer.cancel()
            p = nil
        }
    }

    /// The running push and its deadline (see `push(_:payload:events:timeout:)`).
    let pending = NIOLockedValueBox<(work: Task<Void, Never>, timer: Task<Void, any Error>)?>(nil)

    /// One push in one server transaction: the site's description, the buckets and counter
    /// events. Either all of it is committed or none.
    ///
    /// Buckets go by COPY straight into `bucket` (the bulk rate); if any of them is already
    /// there (a push repeated after a crash, late data sent again) the key refuses the COPY,
    /// and the push is made again through a staging table and an upsert, which replaces them.
    public func push(
        _ site: SiteInfo, buckets: [FleetBucket], events: [(device: String, channel: String, event: CounterEvent)]
    ) async throws(FleetError) {
        try await push(site, payload: BucketCopy.encode(buckets, site: site.id), events: events)
    }

    /// `push` of rows encoded ahead (`BucketCopy.encode`).
    public func push(
        _ site: SiteInfo, payload: FleetPayload, events: [(device: String, channel: String, event: CounterEvent)]
    ) async throws(FleetError) {
        do {
            try await pushOnce(site, payload: payload, events: events, direct: true)
        } catch .duplicate {
            try await pushOnce(site, payload: payload, events: events, direct: false)
        }
    }

    func pushOnce(
        _ site: SiteInfo, payload: FleetPayload, events: [(device: String, channel: String, event: CounterEvent)],
        direct: Bool
    ) async throws(FleetError) {
        try await exec("BEGIN")
        do throws(FleetError) {
            // Names, units and states change rarely: sent again only when they did (a catch-up
            // of hundreds of pushes would otherwise repeat a statement per channel each time).
            let key = site.fingerprint
            if sentSite.withLockedValue({ $0 }) != key { try await upsertSite(site) }
            for m in payload.months { try await exec(FleetSchema.createPartition(containing: m)) }
            if payload.rows > 0 {
                if !direct { try await exec(FleetSchema.createStaging) }
                do {
                    try await connection.copyFrom(
                        table: direct ? "bucket" : "strata_staging", columns: BucketCopy.columns, logger: logger
                    ) { writer in
                        // In slices: one huge buffer would be copied whole into the channel.
                        let bytes = payload.copy
                        var i = 0
                        while i < bytes.count {
                            let j = min(i + (1 << 20), bytes.count)
                            try await writer.write(ByteBuffer(bytes: bytes[i..<j]))
                            i = j
                        }
                    }
                } catch {
                    if direct, let p = error as? PSQLError, p.serverInfo?[.sqlState] == "23505" {
                        throw FleetError.duplicate
                    }
                    throw FleetError.from(error)
                }
                if !direct { try await exec(FleetSchema.upsertFromStaging) }
            }
            // Only the tiers the fleet tree holds: quarter-hours and hours change with every push,
            // and a fleet's worth of them would be hundreds of upserts a second for nobody.
            let changes = payload.changes.filter { FleetSchema.recordedTiers.contains($0.tier) }
            if !changes.isEmpty {
                var binds = PostgresBindings()
                binds.append(site.id)
                try await query(PostgresQuery(unsafeSQL: FleetSchema.recordChanges(changes), binds: binds))
            }
            for e in events {
                try await query(
                    """
                    INSERT INTO counter_event (site, device, channel, ts, old, new, action)
                    VALUES (\(site.id), \(e.device), \(e.channel), \(Date(timeIntervalSince1970: TimeInterval(e.event.ts))), \(e.event.oldValue), \(e.event.newValue), \(e.event.action.rawValue))
                    ON CONFLICT (site, device, channel, ts) DO UPDATE SET old = EXCLUDED.old, new = EXCLUDED.new, action = EXCLUDED.action
                    """)
            }
            try await exec("COMMIT")
            sentSite.withLockedValue { $0 = key }
        } catch {
            try? await exec("ROLLBACK")
            throw error
        }
    }

    /// What this connection last committed of the site's description.
    let sentSite = NIOLockedValueBox<String?>(nil)

    func query(_ q: PostgresQuery) async throws(FleetError) {
        do { try await connection.query(q, logger: logger) } catch { throw FleetError.from(error) }
    }

    func upsertSite(_ s: SiteInfo) async throws(FleetError) {
        try await query(
            """
            INSERT INTO site (site, name, timezone, updated) VALUES (\(s.id), \(s.name), \(s.timezone), now())
            ON CONFLICT (site) DO UPDATE SET name = EXCLUDED.name, timezone = EXCLUDED.timezone, updated = now()
            """)
        for d in s.devices {
            try await query(
                """
                INSERT INTO device (site, device, name) VALUES (\(s.id), \(d.id), \(d.name))
                ON CONFLICT (site, device) DO UPDATE SET name = EXCLUDED.name
                """)
        }
        for c in s.channels {
            try await query(
                """
                INSERT INTO channel (site, device, channel, name, unit, kind, decimals) VALUES (\(s.id), \(c.device), \(c.id), \(c.name), \(c.unit), \(c.kind), \(c.decimals))
                ON CONFLICT (site, device, channel) DO UPDATE SET name = EXCLUDED.name, unit = EXCLUDED.unit, kind = EXCLUDED.kind, decimals = EXCLUDED.decimals
                """)
        }
        for st in s.statuses {
            try await query(
                """
                UPDATE device SET last_success = \(st.lastSuccess.map { Date(timeIntervalSince1970: TimeInterval($0)) }),
                    last_attempt = \(st.lastAttempt.map { Date(timeIntervalSince1970: TimeInterval($0)) }), failures = \(st.failures), last_error = \(st.lastError)
                WHERE site = \(s.id) AND device = \(st.device)
                """)
        }
    }

    /// One site's buckets of a tier in `[from, to)`, the site given by its id (the key's lead,
    /// so this is one index range). Exports and the fleet tree go a site at a time: memory
    /// holds one site's rows however big the fleet is.
    public func rows(tier: Tier, from: Int64, to: Int64, siteID site: String) async throws(FleetError) -> [FleetRow] {
        // The site's and its channels' descriptions once, not joined onto every row: decoding
        // text columns is most of a row's cost on this side.
        var siteName = site
        var zone = "UTC"
        var meta: [String: [String: (unit: String, counter: Bool, decimals: Int)]] = [:]
        var out: [FleetRow] = []
        do {
            for try await (name, tz) in try await connection.query(
                "SELECT name, timezone FROM site WHERE site = \(site)", logger: logger
            )
            .decode((String, String).self) {
                siteName = name
                zone = tz
            }
            for try await (d, c, unit, kind, dec) in try await connection.query(
                "SELECT device, channel, unit, kind, decimals FROM channel WHERE site = \(site)", logger: logger
            ).decode((String, String, String, String, Int).self) {
                meta[d, default: [:]][c] = (unit, kind == "counter", dec)
            }
            // A row per channel, its buckets as arrays: a row's decoding costs far more than an
            // array element's. NULLs travel as NaN and Int64.min (arrays of optionals do not).
            let q: PostgresQuery = """
                SELECT device, channel, array_agg(extract(epoch FROM start)::bigint ORDER BY start), array_agg(count::bigint ORDER BY start),
                       array_agg(coalesce(consumption, -9223372036854775808) ORDER BY start),
                       array_agg(coalesce(CASE WHEN count > 0 THEN sum / count END, 'NaN') ORDER BY start),
                       array_agg(coalesce(min, 'NaN') ORDER BY start), array_agg(coalesce(max, 'NaN') ORDER BY start)
                FROM bucket
                WHERE site = \(site) AND tier = \(FleetSchema.tierNumber(tier)) AND start >= \(Date(timeIntervalSince1970: TimeInterval(from)))
                  AND start < \(Date(timeIntervalSince1970: TimeInterval(to)))
                GROUP BY device, channel ORDER BY device, channel
                """
            let rows = try await connection.query(q, logger: logger)
            func value(_ v: Double) -> Double? { v.isNaN ? nil : v }
            for try await (d, c, starts, counts, cons, means, mins, maxs) in rows.decode(
                (String, String, [Int64], [Int64], [Int64], [Double], [Double], [Double]).self)
            {
                // A bucket whose channel the site never described is not exported (the push
                // describes every channel before its buckets, so this is a damaged server).
                guard let m = meta[d]?[c] else { continue }
                let n = [counts.count, cons.count, means.count, mins.count, maxs.count].min() ?? 0
                for i in 0..<min(starts.count, n) {
                    out.append(
                        FleetRow(
                            site: site, timezone: zone, device: d, channel: c, unit: m.unit, isCounter: m.counter,
                            decimals: m.decimals,
                            start: starts[i], count: Int(counts[i]), consumption: cons[i] == Int64.min ? nil : cons[i],
                            mean: value(means[i]), min: value(mins[i]), max: value(maxs[i]), siteName: siteName))
                }
            }
        } catch {
            throw FleetError.from(error)
        }
        return out
    }

    /// The months each site's pushes changed in `tiers` in transactions from `since` on (all of
    /// them for nil), and the horizon to pass as `since` next time: the changes of transactions
    /// still running now have ids from it on, so none is missed, and what was read before is
    /// read again only if it was written while this call ran.
    public func changes(since: Int64?, tiers: [Tier]) async throws(FleetError) -> (
        horizon: Int64, changes: [(site: String, change: FleetChange)]
    ) {
        var horizon: Int64 = 0
        var out: [(site: String, change: FleetChange)] = []
        do {
            for try await h in try await connection.query(
                PostgresQuery(unsafeSQL: FleetSchema.changeHorizon), logger: logger
            ).decode(Int64.self) {
                horizon = h
            }
            let numbers = tiers.map { FleetSchema.tierNumber($0) }
            let q: PostgresQuery = """
                SELECT site, tier, extract(epoch FROM month)::bigint FROM site_change
                WHERE tier = ANY(\(numbers)) AND (\(since)::bigint IS NULL OR tx >= \(since))
                ORDER BY site, tier, month
                """
            for try await (site, tier, month) in try await connection.query(q, logger: logger).decode(
                (String, Int, Int64).self)
            {
                out.append((site, FleetChange(tier: tier, month: month)))
            }
        } catch {
            throw FleetError.from(error)
        }
        return (horizon, out)
    }

    /// The sites the central server knows: (id, name, timezone).
    public func sites() async throws(FleetError) -> [(id: String, name: String, timezone: String)] {
        var out: [(String, String, String)] = []
        do {
            let rows = try await connection.query(
                "SELECT site, name, timezone FROM site ORDER BY name, site", logger: logger)
            for try await (a, b, c) in rows.decode((String, String, String).self) { out.append((a, b, c)) }
        } catch {
            throw FleetError.from(error)
        }
        return out.map { (id: $0.0, name: $0.1, timezone: $0.2) }
    }
}
