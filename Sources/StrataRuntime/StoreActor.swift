import Foundation
import Logging
import StrataAlarmService
import StrataAlarms
import StrataConfig
import StrataCore
import StrataDatabase
import StrataFleetService
import StrataMQTTService
import StrataReport
import StrataSampler
import StrataStore

/// The one owner of the store while Strata runs: the sampler's writes, roll-up and retention
/// all go through it, one at a time, on a dedicated thread (SQLite calls block, so they stay
/// off the cooperative pool).
public actor StoreActor: SampleStore, FleetRefreshLog, WrittenMinutes, ReportLedger, ReplicationLedger {
    private nonisolated let executor: ThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    let store: Store
    let config: StrataConfig
    let logger: Logger
    private var lastRetention: Int64 = 0
    /// Subscribers to the minutes written (MQTT): told after each commit, never waited for.
    private var feeds: [AsyncStream<WrittenBatch>.Continuation] = []
    /// The config's channels by store id (the store's own min/max channels are not published).
    private var published: [Int64: ChannelSpec] = [:]
    /// The alarm rules, evaluated after each write; nil without `[[alarms]]`.
    private var alarms: AlarmKeeper?

    public init(config: StrataConfig, logger: Logger) throws(StoreError) {
        executor = ThreadExecutor(name: "strata.store")
        self.config = config
        self.logger = logger
        store = try config.makeStore()
        // Damage found now is refused now: serving numbers from a broken file would be worse.
        let h = try store.health(thorough: false)
        for w in h.warnings { logger.warning("store: \(w)") }
        if h.isDamaged { throw .corrupt(path: config.storage.path, reason: h.damage.prefix(3).joined(separator: "; ")) }
        // A calculated channel added to a site with history starts with that history.
        let derived = try store.backfillCalculated()
        if derived > 0 {
            logger.notice("calculated channels derived from stored minutes", metadata: ["minutes": "\(derived)"])
        }
        if !config.alarms.isEmpty {
            alarms = try AlarmKeeper(config: config, store: store, logger: Logger(label: "strata.alarms"))
        }
        var configured = Set<String>()
        for d in config.devices { for c in d.channels { configured.insert("\(d.id)/\(c.id)") } }
        for c in store.channels where configured.contains("\(c.spec.device)/\(c.spec.id)") { published[c.id] = c.spec }
    }

    /// The minutes written from now on, as they are committed. The stream keeps the newest
    /// `bufferingNewest` batches for a slow reader: a subscriber can never hold up a write.
    public func subscribe(bufferingNewest n: Int) -> AsyncStream<WrittenBatch> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: WrittenBatch.self, bufferingPolicy: .bufferingNewest(max(1, n)))
        feeds.append(continuation)
        return stream
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
        let r = try store.write(samples, statuses: statuses)
        if !feeds.isEmpty {
            var values: [WrittenBatch.Value] = []
            values.reserveCapacity(samples.count)
            // Calculated channels too, as the write derived them from its inputs.
            for s in samples + r.derived {
                if let spec = published[s.channel] { values.append(.init(channel: spec, ts: s.ts, value: s.value)) }
            }
            let batch = WrittenBatch(values: values, statuses: statuses)
            for f in feeds { f.yield(batch) }
        }
        if var a = alarms {
            // The minutes are committed first: an alarm that cannot be saved never costs a sample.
            do {
                try a.written(samples, statuses: statuses, result: r, store: store)
                alarms = a
            } catch {
                logger.error("alarms: could not be evaluated or saved", metadata: ["error": "\(error)"])
            }
        }
        return r
    }

    /// A part of Strata reports its health to the system alarm rules; a failure to save their
    /// notice is logged, never thrown at the reporter (the part has its own trouble to handle).
    func report(now: Int64, _ update: (inout SystemHealth) -> Void) {
        guard var a = alarms else { return }
        do {
            try a.report(update, now: now, store: store)
            alarms = a
        } catch {
            logger.error("alarms: could not be evaluated or saved", metadata: ["error": "\(error)"])
        }
    }

    /// Alarm notices are recorded but not logged until `logAlarms()`, which returns how many
    /// were kept quiet (the demo's back-fill prints one summary line instead of one per notice).
    public func quietAlarms() {
        alarms?.quiet = true
        alarms?.unlogged = 0
    }

    @discardableResult
    public func logAlarms() -> Int {
        alarms?.quiet = false
        return alarms?.unlogged ?? 0
    }

    public func clockTrouble(_ implausible: Bool, now: Int64) {
        report(now: now) { $0.clockImplausible = implausible }
    }

    /// Whether the archive could be written (`--no-archive` reports success: nothing fails).
    public func archiveWritten(_ ok: Bool, now: Int64) {
        report(now: now) { $0.archiveFailing = !ok }
    }

    /// The fleet archive tree's last refresh or failure (a central box), for `strata status`;
    /// not being able to record it is logged, the tree itself is written either way.
    public func fleetRefreshed(now: Int64, files: Int) {
        do { try store.fleetRefreshed(at: now, files: files) } catch {
            logger.error("fleet: could not record the refresh", metadata: ["error": "\(error)"])
        }
    }

    public func fleetFailed(_ message: String, now: Int64) {
        do { try store.fleetFailed(message, at: now) } catch {
            logger.error("fleet: could not record the failure", metadata: ["error": "\(error)"])
        }
    }

    public func enableReplication() throws(StoreError) { try store.enableReplication() }

    public func replicationSiteID() throws(StoreError) -> String { try store.siteID() }

    public func commitReplication(cursors: [Tier: Int64], consumedDirty: Int64?, at: Int64) throws(StoreError) {
        try store.commitReplication(cursors: cursors, consumedDirty: consumedDirty, at: at)
    }

    /// Not being able to record it is logged; the next push tries again either way.
    public func replicationFailed(_ message: String, at: Int64) {
        do { try store.replicationFailed(message, at: at) } catch {
            logger.error("replication: could not record the failure", metadata: ["error": "\(error)"])
        }
    }

    /// Alarm log lines the report service queued into the outbox.
    public func markAlarmsQueued(_ ids: [Int64]) throws(StoreError) { try store.markAlarmsQueued(ids) }

    /// Outbox messages whose last delivery attempt failed.
    public func outboxFailing(_ count: Int, now: Int64) {
        report(now: now) { $0.outboxFailing = count }
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
                logger.notice(
                    "retention pruned",
                    metadata: ["minute": "\(p.minuteRows)", "quarter": "\(p.quarterRows)", "hour": "\(p.hourRows)"])
            }
        }
        // After retention: what is left is what the budget holds.
        if alarms != nil {
            let used = try store.usedBytes()
            let budget = store.budget?.bytes
            report(now: now) { h in
                h.storageUnbounded = budget == nil
                if let b = budget, b > 0 { h.storageUse = Double(used) / Double(b) }
            }
        }
        return r
    }

    public func checkpoint() throws(StoreError) { try store.checkpoint() }
}
