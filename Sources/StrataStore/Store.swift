import Foundation
import Logging
import StrataCore

/// A channel as the store knows it: the config's spec plus its row id.
public struct StoredChannel: Sendable {
    public let id: Int64
    public let spec: ChannelSpec
}

/// The tiered store: one SQLite file in WAL mode holding the minute tier, the roll-ups of
/// every coarser tier, counter events and the bookkeeping that makes roll-up restartable.
///
/// Not thread-safe: one owner at a time (the CLI, or one service that serialises access).
public final class Store {
    /// 2: closed days of the minute tier in compact blocks (`MinuteTier`); 1: rows only.
    public static let schemaVersion = 2

    public let path: String
    public let calendar: SiteCalendar
    public let retention: [Tier: Span]
    public let budget: ByteSize?
    let db: Database
    let minute: MinuteTier
    let aggBlocks: AggregateBlocks
    let logger: Logger

    public private(set) var channels: [StoredChannel] = []
    var byID: [Int64: StoredChannel] = [:]
    var byName: [String: Int64] = [:]
    /// Index into `channels` by channel id (-1: not configured), for the write hot path.
    var slotOfID: [Int32] = []
    var firstTs: [Int64: Int64] = [:]
    var counters: [Int64: CounterProcessor] = [:]
    var tailTs: [Int64: Int64] = [:]
    /// Closed buckets ending at or before this instant are rolled up (except dirty ranges).
    public internal(set) var watermark: Int64 = 0
    /// The oldest instant whose children are still stored, per tier: below it, buckets of that
    /// tier are never recomputed, so pruning never changes an aggregate.
    var prunedBefore: [Tier: Int64] = [:]
    /// The same for minute rows, per kind: the budget prunes gauges' minutes before counters'.
    var minuteHorizon: [ChannelKind: Int64] = [:]
    var cachedAggInsert: Statement?
    var statementCache: [String: Statement] = [:]
    /// Last accepted reading before the watermark, per counter (see `rollUpAppended`).
    var anchors: [Int64: Reading] = [:]
    var anchorsLoaded = false
    /// The schema the file is in (older only while `migrate()` has not run).
    public internal(set) var formatVersion = Store.schemaVersion
    /// Whether `rollUp` compacts closed days and months into blocks. Always on in strata; the
    /// benchmarks turn it off to measure the row format in the same run, then compact.
    public var compactsClosedData = true
    /// Damaged blocks already logged by this process (compaction meets them every pass).
    var reportedDamage: Set<String> = []
    /// What `walWarning` found before the store was opened.
    var walWarningAtOpen: String?
    /// The calculated channels and their inputs, resolved to store ids.
    var calculated: [CalculatedPlan] = []

    /// Opens (or creates) the store and registers the channels of the config.
    public init(
        path: String, channels specs: [ChannelSpec], calendar: SiteCalendar,
        retention: [Tier: Span] = [:], budget: ByteSize? = nil, logger: Logger = Logger(label: "strata.store"),
        timezoneChange: TimezoneChange = .refuse, migrating: Bool = false
    ) throws(StoreError) {
        self.path = path
        self.calendar = calendar
        self.retention = retention
        self.budget = budget
        self.logger = logger
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw .cannotOpen(path: path, reason: "cannot create folder \(folder): \(error.localizedDescription)")
            }
        }
        walWarningAtOpen = Self.walWarning(path)
        db = try Database(path: path)
        // Incremental auto-vacuum must be chosen before the first table exists.
        try db.exec("PRAGMA auto_vacuum = INCREMENTAL")
        try db.exec("PRAGMA journal_mode = WAL")
        // FULL: a committed minute survives a power cut too, not only a killed process.
        try db.exec("PRAGMA synchronous = FULL")
        try db.exec("PRAGMA cache_size = -32000")
        try db.exec("PRAGMA wal_autocheckpoint = 1000")
        // The schema's additive changes, each once, in order (`StoreMigrations`).
        let ran = try StoreMigrations.run(db)
        if !ran.isEmpty { logger.debug("store schema migrated", metadata: ["migrations": "\(ran)"]) }
        // Before anything reads the minute tier: a row-format store must be migrated first.
        if let n = try db.scalarInt("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'"),
            n >= 1, n < Store.schemaVersion, !migrating
        {
            throw .needsMigration(path: path, version: Int(n))
        }
        minute = try MinuteTier(db: db)
        aggBlocks = try AggregateBlocks(db: db)
        try loadMinuteHorizon()
        if let tz = try meta("timezone"), tz != calendar.zone.identifier {
            try changeTimezone(from: tz, how: timezoneChange)
        }
        try db.transaction { () throws(StoreError) in
            if let v = try meta("schema_version") {
                guard let n = Int(v) else { throw .notAStrataStore(path: path) }
                if n > Store.schemaVersion { throw .newerSchema(path: path, version: n) }
            } else {
                try setMeta("schema_version", String(Store.schemaVersion))
            }
            formatVersion = Int(try meta("schema_version") ?? "") ?? Store.schemaVersion
            try setMeta("timezone", calendar.zone.identifier)
            try loadRollUpMarks()
            try register(specs)
            try planCalculated()
        }
        try loadChannelScales()
    }

    /// Opens the store read-only, for a reader beside the one writer (the web, the reports,
    /// replication's reader):
    /// no table is created, no channel registered, nothing migrated or re-zoned — the writer
    /// did that when it opened the file. The channels of `specs` are found by name; one the
    /// writer has not registered (yet) is left out. A write through this store fails with
    /// SQLite's read-only error.
    public init(
        reading path: String, channels specs: [ChannelSpec], calendar: SiteCalendar,
        retention: [Tier: Span] = [:], budget: ByteSize? = nil, logger: Logger = Logger(label: "strata.store")
    ) throws(StoreError) {
        self.path = path
        self.calendar = calendar
        self.retention = retention
        self.budget = budget
        self.logger = logger
        guard FileManager.default.fileExists(atPath: path) else {
            throw .cannotOpen(path: path, reason: "no store yet (strata run or strata import create it)")
        }
        let db = try Database(path: path, readOnly: true)
        try db.exec("PRAGMA cache_size = -32000")
        let version = try? db.prepare("SELECT value FROM meta WHERE key = 'schema_version'")
        guard let version, (try? version.step()) == true, let n = Int(version.text(0)) else {
            throw .notAStrataStore(path: path)
        }
        self.db = db
        if n > Store.schemaVersion { throw .newerSchema(path: path, version: n) }
        if n < Store.schemaVersion { throw .needsMigration(path: path, version: n) }
        formatVersion = n
        minute = try MinuteTier(db: db)
        aggBlocks = try AggregateBlocks(db: db)
        try loadMinuteHorizon()
        try loadRollUpMarks()
        try find(specs)
        try loadChannelScales()
    }

    /// How far the budget pruned each kind's minutes (the writer and the readers alike).
    private func loadMinuteHorizon() throws(StoreError) {
        for k in [ChannelKind.gauge, .counter] {
            if let v = try meta("pruned_before.minute.\(k.rawValue)"), let n = Int64(v) { minuteHorizon[k] = n }
        }
    }

    /// The roll-up watermark and, per tier, where retention pruned the children.
    private func loadRollUpMarks() throws(StoreError) {
        watermark = Int64(try meta("watermark") ?? "0") ?? 0
        for t in Tier.allCases {
            if let v = try meta("pruned_before.\(t.name)"), let n = Int64(v) { prunedBefore[t] = n }
        }
    }

    /// The registered ids of `specs`, without registering any (the read-only store's channels).
    private func find(_ specs: [ChannelSpec]) throws(StoreError) {
        let find = try db.prepare("SELECT id, first_ts FROM channel WHERE device = ?1 AND channel = ?2")
        for s in specs {
            try find.bind([.text(s.device), .text(s.id)])
            guard try find.step() else {
                find.reset()
                continue
            }
            let id = find.int(0)
            if let f = find.optionalInt(1) { firstTs[id] = f }
            find.reset()
            add(StoredChannel(id: id, spec: s))
        }
    }

    private func add(_ sc: StoredChannel) {
        let id = sc.id
        if slotOfID.count <= Int(id) { slotOfID += [Int32](repeating: -1, count: Int(id) + 1 - slotOfID.count) }
        slotOfID[Int(id)] = Int32(channels.count)
        channels.append(sc)
        byID[id] = sc
        byName[key(sc.spec.device, sc.spec.id)] = id
    }

    /// Every stored channel's scale and name, for the blocks' encoders and damage reports.
    private func loadChannelScales() throws(StoreError) {
        try minute.loadChannels()
        aggBlocks.decimals = minute.decimals
        aggBlocks.names = minute.names
    }

    private func register(_ specs: [ChannelSpec]) throws(StoreError) {
        let find = try db.prepare("SELECT id, kind, decimals, first_ts FROM channel WHERE device = ?1 AND channel = ?2")
        let insert = try db.prepare(
            "INSERT INTO channel(device, channel, kind, unit, decimals) VALUES (?1, ?2, ?3, ?4, ?5)")
        let update = try db.prepare("UPDATE channel SET unit = ?2 WHERE id = ?1")
        for s in specs {
            try find.bind([.text(s.device), .text(s.id)])
            var id: Int64
            if try find.step() {
                id = find.int(0)
                let kind = find.text(1)
                let decimals = Int(find.int(2))
                if let f = find.optionalInt(3) { firstTs[id] = f }
                find.reset()
                if kind != s.kind.rawValue {
                    throw .channelChanged(device: s.device, channel: s.id, what: "kind (\(kind) → \(s.kind.rawValue))")
                }
                if decimals != s.resolution.decimals && s.kind == .counter {
                    throw .channelChanged(
                        device: s.device, channel: s.id,
                        what: "resolution (\(Resolution(decimals: decimals)) → \(s.resolution))")
                }
                try update.bind([.int(id), .text(s.unit)])
                try update.run()
            } else {
                find.reset()
                try insert.bind([
                    .text(s.device), .text(s.id), .text(s.kind.rawValue), .text(s.unit),
                    .int(Int64(s.resolution.decimals)),
                ])
                try insert.run()
                id = sqlite3LastInsertRowID()
            }
            add(StoredChannel(id: id, spec: s))
        }
    }

    private func sqlite3LastInsertRowID() -> Int64 {
        (try? db.scalarInt("SELECT last_insert_rowid()")) ?? 0
    }

    @inline(__always) func key(_ d: String, _ c: String) -> String { d + "\u{0}" + c }

    /// The stored channel for a config channel.
    public func channel(device: String, channel: String) throws(StoreError) -> StoredChannel {
        guard let id = byName[key(device, channel)], let c = byID[id] else {
            throw .unknownChannel(device: device, channel: channel)
        }
        return c
    }

    public func channels(ofDevice d: String) -> [StoredChannel] { channels.filter { $0.spec.device == d } }

    func meta(_ k: String) throws(StoreError) -> String? {
        let st = try db.prepare("SELECT value FROM meta WHERE key = ?1")
        try st.bind([.text(k)])
        return try st.step() ? st.text(0) : nil
    }

    func setMeta(_ k: String, _ v: String) throws(StoreError) {
        let st = try db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")
        try st.bind([.text(k), .text(v)])
        try st.run()
    }

    /// Size of the live data in bytes (pages in use, not free pages kept for reuse).
    public func usedBytes() throws(StoreError) -> Int64 {
        let pages = try db.scalarInt("PRAGMA page_count") ?? 0
        let free = try db.scalarInt("PRAGMA freelist_count") ?? 0
        let size = try db.scalarInt("PRAGMA page_size") ?? 4096
        return (pages - free) * size
    }

    /// Number of stored minute points.
    public func minuteCount() throws(StoreError) -> Int64 { try minute.count() }

    /// Number of stored aggregate rows of a tier.
    public func aggregateCount(_ tier: Tier) throws(StoreError) -> Int64 {
        try (db.scalarInt("SELECT count(*) FROM agg WHERE tier = ?1", [.int(Int64(tier.rawValue))]) ?? 0)
            + aggBlocks.count(tier)
    }

    /// Makes the WAL's content part of the main file (for backups and benchmarks).
    public func checkpoint() throws(StoreError) { try db.exec("PRAGMA wal_checkpoint(TRUNCATE)") }
}
