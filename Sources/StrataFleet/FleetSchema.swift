import StrataCore

/// The central PostgreSQL schema: sites, devices and channels (so names and units travel with
/// the data), and the buckets of every site, partitioned by month of their start, keyed
/// (site, device, channel, tier, start) so that a push repeated after a crash changes nothing.
public enum FleetSchema {
    /// Bumped when the schema changes; `strata fleet init` migrates from the stored one.
    public static let version = 2

    public static let statements: [String] = [
        "CREATE TABLE IF NOT EXISTS strata_meta (key text PRIMARY KEY, value text NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS site (
            site text PRIMARY KEY, name text NOT NULL, timezone text NOT NULL, updated timestamptz NOT NULL DEFAULT now())
        """,
        """
        CREATE TABLE IF NOT EXISTS device (
            site text NOT NULL REFERENCES site ON DELETE CASCADE, device text NOT NULL, name text NOT NULL,
            last_success timestamptz, last_attempt timestamptz, failures integer NOT NULL DEFAULT 0, last_error text,
            PRIMARY KEY (site, device))
        """,
        """
        CREATE TABLE IF NOT EXISTS channel (
            site text NOT NULL, device text NOT NULL, channel text NOT NULL, name text NOT NULL, unit text NOT NULL,
            kind text NOT NULL, decimals integer NOT NULL,
            PRIMARY KEY (site, device, channel), FOREIGN KEY (site, device) REFERENCES device ON DELETE CASCADE)
        """,
        // Tiers: 1 quarter, 2 hour, 3 day, 4 month, 5 year (minute 0). Counters carry their
        // consumption in steps of the channel's resolution (`channel.decimals`): exact sums.
        """
        CREATE TABLE IF NOT EXISTS bucket (
            site text NOT NULL, device text NOT NULL, channel text NOT NULL, tier smallint NOT NULL,
            start timestamptz NOT NULL, "end" timestamptz NOT NULL, count integer NOT NULL,
            consumption bigint, min double precision, max double precision, sum double precision,
            first double precision, last double precision, flags smallint NOT NULL DEFAULT 0,
            peak bigint, peak_start timestamptz,
            PRIMARY KEY (site, device, channel, tier, start)) PARTITION BY RANGE (start)
        """,
        """
        CREATE TABLE IF NOT EXISTS counter_event (
            site text NOT NULL, device text NOT NULL, channel text NOT NULL, ts timestamptz NOT NULL,
            old double precision, new double precision, action text NOT NULL,
            PRIMARY KEY (site, device, channel, ts))
        """,
        // Which months of which tier each site's pushes changed, when, and in which transaction
        // (version 2): what a fleet archive tree rewrites, instead of reading every bucket of the
        // fleet each time. The transaction id, not the time, tells a refresh what is new: a push
        // that commits after a refresh began has an id the refresh's horizon still includes.
        """
        CREATE TABLE IF NOT EXISTS site_change (
            site text NOT NULL REFERENCES site ON DELETE CASCADE, tier smallint NOT NULL, month date NOT NULL,
            at timestamptz NOT NULL, tx bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
            PRIMARY KEY (site, tier, month))
        """,
        "CREATE INDEX IF NOT EXISTS site_change_tx ON site_change (tx)",
        """
        INSERT INTO strata_meta (key, value) VALUES ('schema_version', '\(version)')
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
        """,
    ]

    /// From version 1: the months the stored day, month and year buckets are in, as changes, so
    /// the first fleet tree after the migration has them all.
    public static let backfillChanges = """
        INSERT INTO site_change (site, tier, month, at)
        SELECT site, tier, date_trunc('month', start AT TIME ZONE 'UTC')::date, now() FROM bucket WHERE tier >= 3 GROUP BY 1, 2, 3
        ON CONFLICT (site, tier, month) DO NOTHING
        """

    /// The tiers whose changed months are recorded: day, month and year (the fleet tree's).
    public static let recordedTiers = Set(FleetTreeLayout.tiers.map(tierNumber))

    /// Records a push's changed months (bound: $1 the site); `changes` are generated numbers.
    public static func recordChanges(_ changes: [FleetChange]) -> String {
        let values = changes.map { c in
            "($1, \(c.tier), '\(LocalDateTime(secondsSinceEpoch: c.month).date)', now())"
        }
        return """
            INSERT INTO site_change (site, tier, month, at) VALUES \(values.joined(separator: ", "))
            ON CONFLICT (site, tier, month) DO UPDATE SET at = EXCLUDED.at, tx = EXCLUDED.tx
            """
    }

    /// The oldest transaction still running: every change of a lower id is committed (or gone).
    public static let changeHorizon = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"

    /// The month partition holding `start` (UTC months: a partition never depends on a site's zone).
    public static func partition(containing start: Int64) -> (name: String, from: String, to: String) {
        let b = partitionBounds(containing: start)
        let first = LocalDateTime(secondsSinceEpoch: b.from).date
        return (
            "bucket_\(first.year)_\(zeroPadded(first.month, 2))", "\(first) 00:00:00+00",
            "\(LocalDateTime(secondsSinceEpoch: b.to).date) 00:00:00+00"
        )
    }

    /// The month partition holding `start`, as instants.
    public static func partitionBounds(containing start: Int64) -> (from: Int64, to: Int64) {
        let d = LocalDateTime(secondsSinceEpoch: start).date
        let first = CivilDate(year: d.year, month: d.month, day: 1)
        return (Int64(first.daysSinceEpoch) * 86_400, Int64(first.addingMonths(1).daysSinceEpoch) * 86_400)
    }

    public static func createPartition(containing start: Int64) -> String {
        let p = partition(containing: start)
        return "CREATE TABLE IF NOT EXISTS \(p.name) PARTITION OF bucket FOR VALUES FROM ('\(p.from)') TO ('\(p.to)')"
    }

    /// The upsert from the per-push staging table: a bucket pushed again (after a crash, or
    /// changed by late data) replaces the stored one.
    public static let upsertFromStaging = """
        INSERT INTO bucket SELECT * FROM strata_staging
        ON CONFLICT (site, device, channel, tier, start) DO UPDATE SET
            "end" = EXCLUDED."end", count = EXCLUDED.count, consumption = EXCLUDED.consumption, min = EXCLUDED.min,
            max = EXCLUDED.max, sum = EXCLUDED.sum, first = EXCLUDED.first, last = EXCLUDED.last, flags = EXCLUDED.flags,
            peak = EXCLUDED.peak, peak_start = EXCLUDED.peak_start
        """

    public static let createStaging =
        "CREATE TEMP TABLE IF NOT EXISTS strata_staging (LIKE bucket) ON COMMIT DELETE ROWS"

    public static func tierNumber(_ t: Tier) -> Int {
        switch t {
        case .minute: 0
        case .quarter: 1
        case .hour: 2
        case .day: 3
        case .month: 4
        case .year: 5
        }
    }

    public static func tier(number n: Int) -> Tier? { Tier.allCases.first { tierNumber($0) == n } }
}
