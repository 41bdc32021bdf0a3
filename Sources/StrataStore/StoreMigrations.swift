/// Additive changes to the store's schema (tables, columns, indexes) as named migrations in
/// order, each run once by the writer when it opens the store and recorded in
/// `schema_migration` (as GRDB's `DatabaseMigrator` does). A store made before this table
/// existed has some of them already: each is written to be a no-op then. Conversions of the
/// data's format are not migrations: `strata migrate` does those, explicitly.
enum StoreMigrations {
    struct Migration: Sendable {
        let name: String
        let apply: @Sendable (Database) throws(StoreError) -> Void
    }

    static let all: [Migration] = [
        Migration(name: "tables") { db throws(StoreError) in
            // The tables of the first stores (peak demand and bad readings came later).
            try db.exec(
                """
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS channel(
                    id INTEGER PRIMARY KEY, device TEXT NOT NULL, channel TEXT NOT NULL,
                    kind TEXT NOT NULL, unit TEXT NOT NULL, decimals INTEGER NOT NULL,
                    first_ts INTEGER, UNIQUE(device, channel));
                CREATE TABLE IF NOT EXISTS minute(
                    ts INTEGER NOT NULL,
                    channel INTEGER NOT NULL,
                    value REAL NOT NULL,
                    cum INTEGER,
                    hwm INTEGER,
                    PRIMARY KEY(ts, channel)
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS agg(
                    tier INTEGER NOT NULL, start INTEGER NOT NULL, channel INTEGER NOT NULL,
                    count INTEGER NOT NULL, min REAL, max REAL, sum REAL,
                    consumption INTEGER, first REAL, last REAL, flags INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY(tier, start, channel)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS dirty(channel INTEGER NOT NULL, from_ts INTEGER NOT NULL, to_ts INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS archive_file(
                    path TEXT PRIMARY KEY, until INTEGER NOT NULL, bytes INTEGER NOT NULL,
                    sha256 TEXT, closed INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS archive_dirty(from_ts INTEGER NOT NULL, to_ts INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS counter_event(
                    channel INTEGER NOT NULL, ts INTEGER NOT NULL, old REAL, new REAL, action TEXT NOT NULL,
                    PRIMARY KEY(channel, ts)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS device_status(
                    device TEXT PRIMARY KEY, last_success INTEGER, last_attempt INTEGER,
                    failures INTEGER NOT NULL, last_error TEXT) WITHOUT ROWID;
                """)
        },
        Migration(name: "peak demand") { db throws(StoreError) in
            try addColumns(db, table: "agg", ["peak INTEGER", "peak_start INTEGER"])
        },
        Migration(name: "bad readings") { db throws(StoreError) in
            try addColumns(db, table: "device_status", ["bad_readings INTEGER NOT NULL DEFAULT 0"])
        },
        Migration(name: "compact blocks") { db throws(StoreError) in
            try db.exec(MinuteTier.blockSchema + AggregateBlocks.schema)
        },
        Migration(name: "alarms") { db throws(StoreError) in try db.exec(Store.alarmSchema) },
        Migration(name: "replication") { db throws(StoreError) in try db.exec(Store.replicationSchema) },
    ]

    /// Adds the columns the table lacks (a store made after them already has them).
    static func addColumns(_ db: Database, table: String, _ columns: [String]) throws(StoreError) {
        for c in columns {
            let name = String(c.prefix { $0 != " " })
            let has = try db.scalarInt("SELECT count(*) FROM pragma_table_info('\(table)') WHERE name = '\(name)'")
            if has == 0 { try db.exec("ALTER TABLE \(table) ADD COLUMN \(c)") }
        }
    }

    /// Runs the migrations `db` has not had, in order, each in a transaction of its own with
    /// its record; returns their names. `upTo`: only the first so many (tests build the
    /// stores of earlier versions with it).
    @discardableResult
    static func run(_ db: Database, upTo: Int = all.count) throws(StoreError) -> [String] {
        // A rowid table: its rows keep the order the migrations ran in.
        try db.exec(
            "CREATE TABLE IF NOT EXISTS schema_migration(name TEXT PRIMARY KEY, applied INTEGER NOT NULL)"
        )
        var done = Set<String>()
        let st = try db.prepare("SELECT name FROM schema_migration")
        while try st.step() { done.insert(st.text(0)) }
        var ran: [String] = []
        for m in all.prefix(upTo) where !done.contains(m.name) {
            try db.transaction { () throws(StoreError) in
                try m.apply(db)
                let record = try db.prepare(
                    "INSERT INTO schema_migration(name, applied) VALUES (?1, CAST(strftime('%s', 'now') AS INTEGER))")
                try record.bind([.text(m.name)])
                try record.run()
            }
            ran.append(m.name)
        }
        return ran
    }
}
