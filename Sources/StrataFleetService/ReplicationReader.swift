import Foundation
import StrataConfig
import StrataCore
import StrataDatabase
import StrataFleet
import StrataFleetLink
import StrataStore

/// The site's side of a push, on its own thread and store connection (like the archivist):
/// what to send next, read through the store's public read API, and recording what was sent.
public actor ReplicationReader {
    private nonisolated let executor: ThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    let store: Store
    let settings: ReplicationService.Settings
    let replication: StrataConfig.Replication
    /// The configured channels the fleet gets (the store's own `_min`/`_max` helpers are not).
    let channels: [StoredChannel]

    /// One push: the buckets and events, and what to record once the server committed them.
    public struct Batch: Sendable {
        /// Collected here; emptied once encoded into `payload`.
        var buckets: [FleetBucket] = []
        public var events: [(device: String, channel: String, event: CounterEvent)] = []
        public var cursors: [Tier: Int64] = [:]
        public var consumedDirty: Int64?
        /// The buckets as the server takes them, encoded on this reader's thread.
        public var payload = FleetPayload(rows: 0, changes: [], copy: [])
        /// More is waiting after this one (a catch-up).
        public var more = false
        var sent: Set<BucketKey> = []
    }

    struct BucketKey: Hashable, Sendable {
        var channel: Int64
        var tier: Tier
        var start: Int64
    }

    /// `store`: a connection of the reader's own (`StrataConfig.makeStore()`), used on its thread only.
    /// `siteID`: the id the central server knows the site by (`[replication] site_id`, or the
    /// store's own, which the writer made).
    public init(settings: ReplicationService.Settings, store: Store, siteID: String) {
        let r = settings.replication
        executor = ThreadExecutor(name: "strata.replication")
        self.store = store
        self.settings = settings
        replication = r
        channels = store.channels.filter { settings.channels.contains("\($0.spec.device)/\($0.spec.id)") }
        self.siteID = siteID
    }

    /// The id the central server knows this site by: `[replication] site_id`, or the store's.
    let siteID: String

    public func siteInfo() throws(StoreError) -> FleetLink.SiteInfo {
        let id = siteID
        let statuses = try store.deviceStatuses()
        return FleetLink.SiteInfo(
            id: id, name: settings.siteName, timezone: settings.timezone,
            devices: settings.devices.map { (id: $0.id, name: $0.name) },
            channels: channels.map {
                (
                    device: $0.spec.device, id: $0.spec.id, name: $0.spec.name, unit: $0.spec.unit,
                    kind: $0.spec.kind.rawValue,
                    decimals: $0.spec.resolution.decimals
                )
            },
            statuses: statuses.values.map {
                (
                    device: $0.device, lastSuccess: $0.lastSuccess, lastAttempt: $0.lastAttempt,
                    failures: $0.consecutiveFailures, lastError: $0.lastError
                )
            })
    }

    /// The next push: late-data ranges first, then each tier's closed buckets after its cursor,
    /// up to `batchRows` buckets. nil when there is nothing to send.
    ///
    /// `after`: a push still on its way to the server, whose cursors count as committed, so a
    /// catch-up reads and encodes the next batch while the server takes this one. Late data
    /// waits for a push made without it (the dirty rows it consumed are not deleted yet).
    public func next(after previous: Batch? = nil) throws(StoreError) -> Batch? {
        guard var b = try collect(after: previous) else { return nil }
        b.payload = BucketCopy.encode(b.buckets, site: siteID)
        // From here on the buckets live on as their COPY text: two batches are in flight at
        // once in a catch-up, and each would otherwise be held twice.
        b.buckets = []
        return b
    }

    func collect(after previous: Batch?) throws(StoreError) -> Batch? {
        try store.reloadWatermark()
        let chans = channels
        guard !chans.isEmpty, let range = try store.dataRange(channels: chans) else { return nil }
        var batch = Batch()
        let perBucket = max(chans.count, 1)
        let limit = max(replication.batchRows, perBucket)
        var cursors = try store.replicationCursors()
        if let p = previous { cursors.merge(p.cursors) { _, pending in pending } }
        // Every counter event, read once for this push and only if some range needs them.
        var allEvents: [(StoredChannel, CounterEvent)]?
        func events(from a: Int64, to b: Int64) throws(StoreError) -> [(
            device: String, channel: String, event: CounterEvent
        )] {
            if allEvents == nil { allEvents = try store.events(channels: chans) }
            return (allEvents ?? []).filter { $0.1.ts >= a && $0.1.ts < b }.map {
                ($0.0.spec.device, $0.0.spec.id, $0.1)
            }
        }
        // Late data changed buckets already sent: send those again (the server upserts).
        let dirty = previous == nil ? try store.replicationDirty() : (ranges: [], lastID: nil)
        if !dirty.ranges.isEmpty {
            // One range per stretch of time: each channel's late data has its own row, and a
            // bucket may be sent once per push only (the server's upsert refuses a row twice).
            var merged: [(Int64, Int64)] = []
            for r in dirty.ranges.sorted(by: { $0.0 < $1.0 }) {
                if let l = merged.last, r.0 <= l.1 {
                    merged[merged.count - 1].1 = max(l.1, r.1)
                } else {
                    merged.append(r)
                }
            }
            for (a, b) in merged {
                for tier in replication.tiers {
                    let sentUntil = cursors[tier] ?? range.0
                    let from = store.calendar.bucketStart(tier, containing: a)
                    let to = min(b, sentUntil)
                    guard from < to else { continue }
                    try add(tier, chans, from: from, to: to, into: &batch)
                }
                batch.events += try events(from: a, to: b)
            }
            batch.consumedDirty = dirty.lastID
        }
        for tier in replication.tiers {
            let from = cursors[tier] ?? store.calendar.bucketStart(tier, containing: range.0)
            let until = store.closedUntil(tier)
            guard from < until else {
                // Nothing closed yet (this year's bucket): say so, so the status is not "never".
                if cursors[tier] == nil { batch.cursors[tier] = from }
                continue
            }
            // As many whole buckets as fit in what is left of the batch.
            let room = limit - batch.buckets.count
            guard room >= perBucket else {
                batch.more = true
                break
            }
            var to = until
            let buckets = store.calendar.buckets(tier, overlapping: from, until).filter { $0.start >= from }
            if buckets.count * perBucket > room {
                to = buckets[room / perBucket].start
                batch.more = true
            }
            guard from < to else { continue }
            try add(tier, chans, from: from, to: to, into: &batch)
            // The counter events go with the finest tier sent, which walks through all time.
            if tier == replication.tiers.min() {
                batch.events += try events(from: from, to: to)
            }
            cursors[tier] = to
            batch.cursors[tier] = to
        }
        return batch.buckets.isEmpty && batch.cursors.isEmpty && batch.consumedDirty == nil ? nil : batch
    }

    func add(_ tier: Tier, _ chans: [StoredChannel], from: Int64, to: Int64, into batch: inout Batch) throws(StoreError)
    {
        if tier == .minute { return try addMinutes(chans, from: from, to: to, into: &batch) }
        for row in try store.buckets(tier, channels: chans, from: from, to: to) where row.end <= store.watermark {
            for c in chans {
                guard let g = row.values[c.id], g.hasData else { continue }
                guard batch.sent.insert(BucketKey(channel: c.id, tier: tier, start: row.start)).inserted else {
                    continue
                }
                batch.buckets.append(
                    FleetBucket(
                        device: c.spec.device, channel: c.spec.id, tier: tier, start: row.start, end: row.end,
                        aggregate: g, isCounter: c.spec.kind == .counter))
            }
        }
    }

    /// Minutes as one-reading buckets (`MinuteBlock.aggregate`), as the API serves them.
    func addMinutes(_ chans: [StoredChannel], from: Int64, to: Int64, into batch: inout Batch) throws(StoreError) {
        let until = min(to, store.watermark)
        guard from < until else { return }
        var found: [FleetBucket] = []
        do {
            try store.minutes(channels: chans, from: from, to: until) { block in
                for c in chans {
                    guard let col = block.columnIndex(c.id) else { continue }
                    let counter = c.spec.kind == .counter
                    for i in 0..<block.count {
                        guard let g = block.aggregate(column: col, i, counter: counter) else { continue }
                        let ts = block.ts(i)
                        guard ts >= from, batch.sent.insert(BucketKey(channel: c.id, tier: .minute, start: ts)).inserted
                        else { continue }
                        found.append(
                            FleetBucket(
                                device: c.spec.device, channel: c.spec.id, tier: .minute, start: ts, end: ts + 60,
                                aggregate: g, isCounter: counter))
                    }
                }
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw .cannotOpen(path: store.path, reason: "\(error)")
        }
        // In time order, as the other tiers come (one partition look-up per month).
        found.sort { $0.start < $1.start }
        batch.buckets += found
    }

    /// Seconds the oldest replicated tier is behind the store's closed buckets (0 when caught up).
    public func lag() throws(StoreError) -> Int64 {
        try store.reloadWatermark()
        let c = try store.replicationCursors()
        let start = try store.dataRange(channels: channels)?.0
        var worst: Int64 = 0
        for t in replication.tiers {
            let until = store.closedUntil(t)
            guard let from = c[t] ?? start.map({ store.calendar.bucketStart(t, containing: $0) }) else { continue }
            worst = max(worst, until - from)
        }
        return worst
    }
}
