import Foundation
import StrataArchive
import StrataConfig
import StrataCore
import StrataDatabase
import StrataReport
import StrataStore

/// Problems a web request can meet while reading; each becomes a problem+json answer.
package enum WebReadError: Error, Sendable, CustomStringConvertible {
    case unknownDevice(String)
    case unknownChannel(device: String, channel: String)
    case tooLarge(cells: Int, limit: Int, hint: String)
    case store(StoreError)
    case outbox(String)
    case other(String)

    package var description: String {
        switch self {
        case .unknownDevice(let d): "no device \"\(d)\" in this site's config"
        case .unknownChannel(let d, let c): "device \"\(d)\" has no channel \"\(c)\""
        case .tooLarge(let n, let limit, let hint):
            "the range asked for holds \(n) values, more than the \(limit) one response carries; \(hint)"
        case .store(let e): "the store could not be read: \(e)"
        case .outbox(let e): "the outbox could not be read: \(e)"
        case .other(let e): e
        }
    }
}

/// The web's own read connection to the store (and the outbox), on a thread of its own: a
/// page never waits for the sampler's writes, and a slow page never holds them up.
package actor SiteReader {
    private nonisolated let executor: ThreadExecutor
    package nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    package nonisolated let config: StrataConfig
    package nonisolated let time: WebTime
    let store: Store
    private var outbox: Outbox?
    /// The most values (buckets × channels) one series response carries: a month of minutes
    /// of a 20-channel meter is 892,800; a year of them is refused with a hint.
    package nonisolated let maxCells: Int

    package init(config: StrataConfig, maxCells: Int = 2_000_000) throws(StoreError) {
        executor = ThreadExecutor(name: "strata.web")
        self.config = config
        self.maxCells = maxCells
        time = WebTime(calendar: config.site.calendar)
        // Read-only: the runtime's writer opened (created, migrated, registered) the store.
        store = try Store(
            reading: config.storage.path, channels: config.allChannels, calendar: config.site.calendar,
            retention: config.retention, budget: config.storage.budget)
    }

    nonisolated func info(_ c: StoredChannel) -> ChannelInfo {
        ChannelInfo(
            id: c.spec.id, name: c.spec.name, unit: c.spec.unit, kind: c.spec.kind,
            decimals: c.spec.resolution.decimals, store: c.id)
    }

    func channels(_ device: String) throws(WebReadError) -> [StoredChannel] {
        guard let d = config.device(device) else { throw .unknownDevice(device) }
        let all = store.channels(ofDevice: device)
        // Derived `<gauge>_min`/`_max` channels of fast-polled devices are shown in their gauge's band.
        return d.readCount > 0 ? Array(all.prefix(d.readCount)) : all
    }

    package func deviceChannels(_ device: String) throws(WebReadError) -> [ChannelInfo] {
        try channels(device).map(info)
    }

    /// The overview's figures for some devices; reads today's and this month's buckets of one
    /// counter per device and the newest reading of one gauge, nothing more.
    package func overview(devices ids: [String], now: Int64) throws(WebReadError) -> [MeterSummary] {
        // Minutes arrive once a minute: fifty browsers refreshing the overview within the same
        // ten seconds read the store once (the cache is keyed by the ten seconds and the devices).
        let key = OverviewKey(devices: ids, slot: floorDiv(now, 10))
        if let hit = overviewCache[key] { return hit }
        let fresh = try readOverview(devices: ids, now: now)
        if overviewCache.count >= 16 { overviewCache.removeAll() }
        overviewCache[key] = fresh
        return fresh
    }

    struct OverviewKey: Hashable {
        var devices: [String]
        var slot: Int64
    }

    private var overviewCache: [OverviewKey: [MeterSummary]] = [:]

    func readOverview(devices ids: [String], now: Int64) throws(WebReadError) -> [MeterSummary] {
        do {
            try store.reloadWatermark()
            let statuses = try store.deviceStatuses()
            let cal = config.site.calendar
            let day = cal.bucketStart(.day, containing: now)
            let month = cal.bucketStart(.month, containing: now)
            var out: [MeterSummary] = []
            for id in ids {
                guard let d = config.device(id) else { continue }
                let chs = try channels(id)
                let counter = chs.first { $0.spec.kind == .counter }
                let power =
                    chs.first { $0.spec.kind == .gauge && ["W", "kW", "MW"].contains($0.spec.unit) }
                    ?? chs.first { $0.spec.kind == .gauge }
                var s = MeterSummary(
                    id: id, name: d.name, driver: d.driver.name, state: .idle, status: statuses[id],
                    counter: counter.map(info), power: power.map(info), channels: chs.map(info))
                if let c = counter {
                    let step = c.spec.resolution
                    let days = try store.buckets(.day, channels: [c], from: day, to: day + 1)
                    if let g = days.first?.values[c.id], g.hasData { s.today = step.value(ofSteps: g.consumption) }
                    let months = try store.buckets(.month, channels: [c], from: month, to: month + 1)
                    if let g = months.first?.values[c.id], g.hasData { s.month = step.value(ofSteps: g.consumption) }
                }
                if let p = power, let r = try store.lastReading(channel: p.id) {
                    s.powerNow = r.value
                    s.lastReading = r.ts
                }
                for c in chs.prefix(4) where s.lastReading == nil {
                    s.lastReading = try store.lastReading(channel: c.id)?.ts
                }
                s.state = Self.state(d, status: statuses[id], now: now)
                out.append(s)
            }
            return out
        } catch let e as StoreError {
            throw .store(e)
        } catch let e as WebReadError {
            throw e
        } catch {
            throw .other("\(error)")
        }
    }

    /// Failing while polls fail; stale when the last good poll is older than three poll
    /// intervals (and two minutes), as when the sampler is not running.
    static func state(_ d: StrataConfig.Device, status: DeviceStatus?, now: Int64) -> MeterState {
        guard d.isPolled, let s = status else { return .idle }
        if s.consecutiveFailures > 0 { return .failing }
        guard let ok = s.lastSuccess else { return .idle }
        return now - ok > max(120, Int64(3 * d.poll)) ? .stale : .ok
    }

    /// One tier of a device between two instants; refuses more than `maxCells` values.
    package func series(device: String, channels only: [String]?, tier: Tier, from: Int64, to: Int64)
        throws(WebReadError) -> Series
    {
        var chs = try channels(device)
        if let only, !only.isEmpty {
            var picked: [StoredChannel] = []
            for name in only {
                guard let c = chs.first(where: { $0.spec.id == name }) else {
                    throw .unknownChannel(device: device, channel: name)
                }
                picked.append(c)
            }
            chs = picked
        }
        let cal = config.site.calendar
        let a = tier == .minute ? floorDiv(from + 59, 60) * 60 : cal.bucketStart(tier, containing: from)
        let b = max(a, to)
        let rows = Self.rowsAtMost(tier, a, b)
        let cells = rows * max(1, chs.count)
        let readTo = try horizon(tier, a, b)
        if cells > maxCells {
            let fit = max(1, maxCells / max(1, chs.count))
            let hint =
                tier == .minute
                ? "ask for at most \(fit / 1440) days of minutes at a time (or fewer channels with channels=…), or use tier=quarter or hour"
                : "ask for at most \(fit) \(tier.name) buckets at a time, or a coarser tier"
            throw .tooLarge(cells: cells, limit: maxCells, hint: hint)
        }
        var s = Series(device: device, tier: tier, from: a, to: b, channels: chs.map(info))
        do {
            try store.reloadWatermark()
            if tier == .minute {
                s.starts.reserveCapacity(rows)
                s.cells.reserveCapacity(cells)
                try store.minutes(channels: chs, from: a, to: readTo) { block in
                    let cols = chs.map { block.columnIndex($0.id) }
                    for i in 0..<block.count {
                        var row: [Aggregate?] = []
                        row.reserveCapacity(chs.count)
                        var any = false
                        for (k, c) in chs.enumerated() {
                            let g = cols[k].flatMap { block.aggregate(column: $0, i, counter: c.spec.kind == .counter) }
                            if g != nil { any = true }
                            row.append(g)
                        }
                        // Minutes without any reading are left out: a gap is the absence of a row.
                        guard any else { continue }
                        s.starts.append(block.ts(i))
                        s.ends.append(block.ts(i) + 60)
                        s.cells.append(contentsOf: row)
                    }
                }
            } else {
                for r in try store.buckets(tier, channels: chs, from: a, to: readTo) {
                    s.starts.append(r.start)
                    s.ends.append(r.end)
                    for c in chs { s.cells.append(r.values[c.id].flatMap { $0.hasData ? $0 : nil }) }
                }
            }
        } catch let e as StoreError {
            throw .store(e)
        } catch {
            throw .other("\(error)")
        }
        return s
    }

    /// The CSV of a tier exactly as `strata export` and the archive write it.
    package func csv(device: String, tier: Tier, from: Int64, to: Int64, dialect: CSVDialect) throws(WebReadError)
        -> [UInt8]
    {
        let chs = try channels(device)
        let cal = config.site.calendar
        let a = tier == .minute ? floorDiv(from + 59, 60) * 60 : cal.bucketStart(tier, containing: from)
        let b = max(a, to)
        let rows = Self.rowsAtMost(tier, a, b)
        if rows * max(1, chs.count) > maxCells {
            throw .tooLarge(
                cells: rows * chs.count, limit: maxCells,
                hint: "ask for a shorter range or a coarser tier; whole files are in the archive")
        }
        var out: [UInt8] = []
        let readTo = try horizon(tier, a, b)
        do {
            try store.reloadWatermark()
            try CSVExporter(store: store, dialect: dialect).export(tier, channels: chs, from: a, to: readTo) {
                out += $0
            }
        } catch let e as StoreError {
            throw .store(e)
        } catch {
            throw .other("\(error)")
        }
        return out
    }

    /// Where reading `[a, b)` can stop: the end of the bucket holding the newest minute. A
    /// range reaching into the next century holds nothing more, and computing its open buckets
    /// from minutes would enumerate every quarter-hour up to it.
    func horizon(_ tier: Tier, _ a: Int64, _ b: Int64) throws(WebReadError) -> Int64 {
        let newest: Int64?
        do { newest = try store.newestMinute() } catch { throw .store(error) }
        guard let n = newest else { return a }
        let cal = config.site.calendar
        let end = tier == .minute ? n + 60 : cal.bucketEnd(tier, start: cal.bucketStart(tier, containing: n))
        return max(a, min(b, end))
    }

    /// At most how many buckets of `tier` start in `[a, b)`, from the shortest a bucket can be
    /// (a 23-hour day, a 28-day month): counted without listing them, so a range of ten
    /// thousand years is refused at once rather than enumerated.
    static func rowsAtMost(_ tier: Tier, _ a: Int64, _ b: Int64) -> Int {
        let shortest: Int64
        switch tier {
        case .minute: shortest = 60
        case .quarter: shortest = 900
        case .hour: shortest = 3600
        case .day: shortest = 82_800
        case .month: shortest = 28 * 86_400 - 3600
        case .year: shortest = 365 * 86_400 - 3600
        }
        let span = max(0, b - a)
        return span == 0 ? 0 : Int(min(span / shortest + 2, Int64(Int32.max)))
    }

    /// The alarms active now (rule ids and when they were raised), for the overview.
    package func activeAlarms() -> [(rule: String, since: Int64?)] {
        let states = (try? store.alarmStates()) ?? [:]
        return config.alarms.compactMap { r in states[r.id].flatMap { $0.phase == "active" ? (r.id, $0.since) : nil } }
    }

    package func statuses() throws(WebReadError) -> [String: DeviceStatus] {
        do { return try store.deviceStatuses() } catch { throw .store(error) }
    }

    package func events(device: String) throws(WebReadError) -> [(ChannelInfo, CounterEvent)] {
        let chs = try channels(device)
        do { return try store.events(channels: chs).map { (info($0.0), $0.1) } } catch { throw .store(error) }
    }

    package func outboxEntries() throws(WebReadError) -> [Outbox.Entry] {
        do {
            if outbox == nil {
                let file = Outbox.file(in: config.outbox.path)
                guard FileManager.default.fileExists(atPath: file) else { return [] }
                outbox = try Outbox(path: file)
            }
            return try outbox?.entries() ?? []
        } catch {
            throw .outbox("\(error)")
        }
    }

    /// `started`: when this process started serving; until its first poll is due plus one
    /// poll interval, a sampler that has not polled yet is `starting`, not failing.
    package func health(now: Int64, started: Int64 = .min) -> Health {
        var h = Health(storeWritable: true, storeProblem: nil, newestMinuteAge: nil, rollUpAge: nil, samplerAlive: true)
        let path = config.storage.path
        if access(path, W_OK) != 0 {
            h.storeWritable = false
            h.storeProblem = "\(path) is not writable"
        } else {
            var fs = statvfs()
            if statvfs((path as NSString).deletingLastPathComponent, &fs) == 0 {
                let free = Int64(fs.f_bavail) * Int64(fs.f_frsize)
                if free < 16 << 20 {
                    h.storeWritable = false
                    h.storeProblem = "the disk of \(path) has \(free >> 20) MB free"
                }
            }
        }
        do {
            try store.reloadWatermark()
            if let n = try store.newestMinute() { h.newestMinuteAge = now - n }
            if store.watermark > 0 { h.rollUpAge = now - store.watermark }
            let statuses = try store.deviceStatuses()
            let polled = config.devices.filter(\.isPolled)
            if !polled.isEmpty {
                // Alive: some device was polled (well or not) within the last three minutes.
                let newest = polled.compactMap { statuses[$0.id]?.lastAttempt }.max()
                h.samplerAlive = newest.map { now - $0 <= 180 } ?? false
                if !h.samplerAlive, started > .min {
                    let poll = Int64(max(1, polled.map(\.poll).max() ?? 60))
                    let firstDue = started - floorMod(started, poll) + poll
                    h.starting = now < firstDue + poll
                }
            }
        } catch {
            h.storeWritable = false
            h.storeProblem = "\(error)"
        }
        return h
    }

    package func figures(now: Int64) -> StoreFigures {
        var f = StoreFigures(usedBytes: 0, minutePoints: 0, rollUpLag: nil, outboxPending: 0, outboxFailed: 0)
        try? store.reloadWatermark()
        f.usedBytes = (try? store.usedBytes()) ?? 0
        f.minutePoints = (try? store.minuteCount()) ?? 0
        if store.watermark > 0 { f.rollUpLag = now - store.watermark }
        f.alarmsActive = ((try? store.alarmStates()) ?? [:]).values.count { $0.phase == "active" }
        if let entries = try? outboxEntries() {
            f.outboxPending = entries.count { $0.state == .pending }
            f.outboxFailed = entries.count { $0.state == .failed }
        }
        return f
    }
}
