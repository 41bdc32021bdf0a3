import Dispatch
import Foundation
import Logging
import StrataArchive
import StrataConfig
import StrataCore
import StrataStore

/// The one owner of the store while Strata runs: the sampler's writes, roll-up, retention
/// and the archive all go through it, one at a time, on a dedicated thread (SQLite calls
/// block, so they stay off the cooperative pool).
public actor Historian {
    private nonisolated let executor: ThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    let store: Store
    let config: StrataConfig
    let logger: Logger
    private var lastRetention: Int64 = 0

    public init(config: StrataConfig, logger: Logger) throws(StoreError) {
        executor = ThreadExecutor(name: "strata.store")
        self.config = config
        self.logger = logger
        store = try config.makeStore()
        // Damage found now is refused now: serving numbers from a broken file would be worse.
        let h = try store.health(thorough: false)
        for w in h.warnings { logger.warning("store: \(w)") }
        if h.isDamaged { throw .corrupt(path: config.storage.path, reason: h.damage.prefix(3).joined(separator: "; ")) }
    }

    /// Channel ids by device and channel.
    public func channelIDs() -> [String: [String: Int64]] {
        var out: [String: [String: Int64]] = [:]
        for c in store.channels { out[c.spec.device, default: [:]][c.spec.id] = c.id }
        return out
    }

    public func newestMinute() throws(StoreError) -> Int64? { try store.newestMinute() }

    public func lastReadings(_ ids: [Int64]) throws(StoreError) -> [Reading?] {
        var out: [Reading?] = []
        for id in ids { out.append(try store.lastReading(channel: id)) }
        return out
    }

    @discardableResult
    public func write(_ samples: [Sample], statuses: [DeviceStatus]) throws(StoreError) -> WriteResult {
        try store.write(samples, statuses: statuses)
    }

    public func statuses() throws(StoreError) -> [String: DeviceStatus] { try store.deviceStatuses() }

    @discardableResult
    public func rollUp(now: Int64) throws(StoreError) -> RollUpResult { try store.rollUp(now: now) }

    /// Roll-up and, once an hour, retention.
    public func maintain(now: Int64) throws(StoreError) -> RollUpResult {
        let r = try store.rollUp(now: now)
        if now - lastRetention >= 3600 {
            lastRetention = now
            let p = try store.enforceRetention(now: now)
            if p.minuteRows + p.quarterRows + p.hourRows > 0 {
                logger.notice("retention pruned", metadata: ["minute": "\(p.minuteRows)", "quarter": "\(p.quarterRows)", "hour": "\(p.hourRows)"])
            }
        }
        return r
    }

    public func checkpoint() throws(StoreError) { try store.checkpoint() }
}

/// Keeps the CSV archive tree up to date on its own thread and its own connection to the
/// store: a long catch-up (after a back-fill or a long stop) never holds up the sampler's writes.
public actor Archivist {
    private nonisolated let executor: ThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    let store: Store
    let writer: ArchiveWriter

    public init(config: StrataConfig) throws(StoreError) {
        executor = ThreadExecutor(name: "strata.archive")
        store = try config.makeStore()
        writer = ArchiveWriter(store: store, root: config.archive.path, dialects: config.archive.dialects,
                               devices: config.devices.map(\.id), prune: config.archive.prune, siteName: config.site.name)
        writer.sweepTemporaries()
    }

    public func refresh() throws -> ArchiveWriter.Summary {
        try store.reloadWatermark()
        return try writer.run()
    }
}

extension StrataConfig {
    /// The store this config names, with its channels, calendar, retention and budget: every
    /// owner (the CLI, the sampler's historian, the archivist's own connection) opens it so.
    public func makeStore(timezoneChange: TimezoneChange = .refuse) throws(StoreError) -> Store {
        try Store(path: storage.path, channels: allChannels, calendar: site.calendar, retention: retention,
                  budget: storage.budget, logger: Logger(label: "strata.store"), timezoneChange: timezoneChange)
    }
}
