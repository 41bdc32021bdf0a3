import Foundation
import Logging
import StrataCore
import StrataStore

/// Keeps the archive tree (CSV snapshots of every tier, per dialect and device) in step with
/// the store.
///
/// Files hold closed buckets only. The current period's file grows by appending the rows of
/// buckets as they close, one write of whole lines; a file whose rows change (late data) is
/// rewritten to a temporary file and renamed over the old one. Closed periods are written once
/// and then left alone, so their mtime holds and mirrors skip them.
public struct ArchiveWriter {
    /// A folder of the tree below a dialect: a device, or `_site` with every device.
    public struct Target: Sendable {
        public var folder: String
        public var channels: [StoredChannel]
        public var qualified: Bool

        public init(folder: String, channels: [StoredChannel], qualified: Bool) {
            self.folder = folder
            self.channels = channels
            self.qualified = qualified
        }
    }

    public struct Summary: Sendable, Equatable {
        public var created = 0
        public var appended = 0
        public var replaced = 0
        public var unchanged = 0
        public var closed = 0
        public var stale: [String] = []
        public var pruned = 0

        public var touched: Int { created + appended + replaced }
    }

    public let store: Store
    public let root: String
    public let dialects: [CSVDialect]
    public let targets: [Target]
    public let prune: Bool
    public let siteName: String
    /// The limits the reactive file marks days against (the reports' own, see Archivist).
    public var reactiveLimits = ReactiveLimits()
    let layout: ArchiveLayout
    let logger: Logger

    public init(
        store: Store, root: String, dialects: [CSVDialect], devices: [String], prune: Bool, siteName: String,
        logger: Logger = Logger(label: "strata.archive")
    ) {
        self.store = store
        self.root = root
        self.dialects = dialects
        self.prune = prune
        self.siteName = siteName
        self.logger = logger
        layout = ArchiveLayout(calendar: store.calendar)
        var t = devices.map { Target(folder: $0, channels: store.channels(ofDevice: $0), qualified: false) }
        t.append(
            Target(
                folder: ArchiveLayout.siteFolder, channels: devices.flatMap { store.channels(ofDevice: $0) },
                qualified: true))
        targets = t.filter { !$0.channels.isEmpty }
    }

    /// Brings the tree up to the store's roll-up watermark; `rebuild` starts from scratch
    /// (files already right are left untouched).
    @discardableResult
    public func run(rebuild: Bool = false) throws -> Summary {
        var summary = Summary()
        if rebuild {
            try store.resetArchive()
            sweepTemporaries()
        }
        var state = try store.archiveState()
        if let s = state, s.root != root {
            try store.resetArchive()
            state = nil
        }
        // The alarm log is small and changes between roll-ups: checked on every run.
        try writeAlarmFiles()
        let w = store.watermark
        let dirty = try store.archiveDirty()
        // Most minutes nothing closed and nothing came late: nothing to read or write.
        if let s = state, s.watermark == w, s.layout == layoutKey, dirty.ranges.isEmpty,
            FileManager.default.fileExists(atPath: root + "/README.txt")
        {
            return summary
        }
        try ArchiveFiles.ensureFolder(root)
        try ArchiveFiles.replaceIfChanged(
            root + "/README.txt",
            with: Array(ArchiveReadme.text(site: siteName, dialects: dialects, calendar: store.calendar).utf8))
        var records = try store.archiveFiles()
        let before = records
        let all = store.channels
        guard let range = try store.dataRange(channels: all), w > range.0 else {
            try store.commitArchive(
                [], removed: [], watermark: w, root: root, consumedDirty: dirty.lastID, layout: layoutKey)
            return summary
        }
        let from = state.map { max($0.watermark, range.0) } ?? range.0
        // A device's files begin at its first data, not at the start of the period it joined in.
        var firstData: [String: Int64] = [:]
        for t in targets { firstData[t.folder] = try store.dataRange(channels: t.channels)?.0 }
        // The minute and quarter files gain rows every quarter; writing them once an hour (and
        // whenever late data changes them) spares an SD card three of four page rewrites. The
        // next run's range still covers their period, so nothing is skipped for good.
        // Only within one hour: the next run's range then starts in the same hour, so in the
        // same file period.
        let hour = store.calendar.bucketStart(.hour, containing: w)
        let deferFine =
            state != nil && dirty.ranges.isEmpty && hour != w
            && store.calendar.bucketStart(.hour, containing: from) == hour
        for tier in Tier.allCases {
            if deferFine, tier <= .quarter { continue }
            var periods: [Int64: (start: Int64, end: Int64, full: Bool)] = [:]
            if from < w {
                for p in layout.periods(tier, overlapping: from, w) { periods[p.start] = (p.start, p.end, false) }
            }
            for (a, b) in dirty.ranges where a < w {
                for p in layout.periods(tier, overlapping: max(a, range.0), min(b, w)) {
                    periods[p.start] = (p.start, p.end, true)
                }
            }
            // The year tier's single file covers all time: from the first year with data.
            let firstYear = store.calendar.bucketStart(.year, containing: range.0)
            let list = periods.values.sorted(by: { $0.start < $1.start }).map {
                (start: max($0.start, firstYear), end: $0.end, full: $0.full)
            }
            let t0 = Date()
            try processAll(tier, list, watermark: w, firstData: firstData, records: &records, summary: &summary)
            logger.debug(
                "archive tier written",
                metadata: [
                    "tier": "\(tier)", "periods": "\(list.count)",
                    "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(t0)))",
                ])
        }
        try updateChecksums(before: before, after: records)
        var years = Set<Int>()
        for (a, b) in [(from, w)] + dirty.ranges.map({ ($0.0, min($0.1, w)) }) where a < b {
            for y in store.calendar.zone.local(max(a, range.0)).date.year...store.calendar.zone.local(b - 1).date.year {
                years.insert(y)
            }
        }
        try writeReactiveFiles(years: years)
        try updateCurrentLinks(records: records, watermark: w, previous: state?.watermark)
        var removed: [String] = []
        for (path, _) in records where isStale(path) {
            summary.stale.append(path)
            if prune {
                unlink(root + "/" + path)
                removed.append(path)
                summary.pruned += 1
            }
        }
        if !summary.stale.isEmpty {
            logger.warning(
                "archive files of devices or dialects no longer configured",
                metadata: [
                    "files": "\(summary.stale.count)", "first": "\(summary.stale.sorted().first ?? "")",
                    "action":
                        "\(prune ? "deleted (archive.prune = true)" : "kept; set archive.prune = true to delete them")",
                ])
        }
        let changed = records.values.filter { before[$0.path] != $0 }
        try store.commitArchive(
            changed, removed: removed, watermark: w, root: root, consumedDirty: dirty.lastID, layout: layoutKey)
        guard summary.touched + summary.closed > 0 else { return summary }
        logger.info(
            "archive updated",
            metadata: [
                "created": "\(summary.created)", "appended": "\(summary.appended)", "replaced": "\(summary.replaced)",
                "unchanged": "\(summary.unchanged)", "closed": "\(summary.closed)",
            ])
        return summary
    }

    /// Removes the temporary files of a writer that was killed mid-pass. Call it once when a
    /// process takes the archive over; temporaries of a writer still running are kept.
    @discardableResult
    public func sweepTemporaries() -> Int {
        let n = ArchiveFiles.sweepTemporaries(root)
        if n > 0 {
            logger.notice("removed temporary files of an interrupted archive pass", metadata: ["files": "\(n)"])
        }
        return n
    }

    /// Which dialects and folders this writer keeps: a change means stale files to look for.
    var layoutKey: String {
        dialects.map(\.rawValue).joined(separator: ",") + ";" + targets.map(\.folder).joined(separator: ",")
            + (prune ? ";prune" : "")
    }

    private func isStale(_ path: String) -> Bool {
        let parts = path.split(separator: "/", maxSplits: 2)
        guard parts.count == 3 else { return false }
        return !dialects.contains { $0.rawValue == parts[0] } || !targets.contains { $0.folder == parts[1] }
    }

    private func path(_ d: CSVDialect, _ t: Target, _ tier: Tier, _ periodStart: Int64) -> String {
        layout.path(d, t.folder, tier, periodStart: periodStart)
    }

    func process(
        _ tier: Tier, period: (start: Int64, end: Int64), forceFull: Bool, watermark w: Int64,
        firstData: [String: Int64],
        staged: StagedFiles, records: inout [String: ArchiveFileRecord], summary: inout Summary
    ) throws {
        let to = min(period.end, w)
        guard period.start < to else { return }
        // Where each file of this period needs rows from: the start for a new, damaged or
        // changed file; where it stopped for one that only grows.
        var plans: [Plan] = []
        for d in dialects {
            for t in targets {
                let rel = path(d, t, tier, period.start)
                let rec = records[rel]
                var full = forceFull || rec == nil
                if let r = rec, ArchiveFiles.size(root + "/" + rel) != r.bytes { full = true }
                guard let first = firstData[t.folder] else { continue }
                let begin = max(
                    period.start,
                    tier == .minute ? first - floorMod(first, 60) : store.calendar.bucketStart(tier, containing: first))
                plans.append((d, t, rel, full ? begin : (rec?.until ?? begin), full))
            }
        }
        let lo = plans.map(\.from).min() ?? period.start
        guard lo < to || plans.contains(where: { $0.full }) else { return }
        // A stretch without data where no file exists yet (a meter long gone, the years
        // after an import) needs no work at all.
        if !plans.contains(where: { records[$0.rel] != nil }), try !store.hasData(tier, from: lo, to: to) { return }
        let closed = period.end <= w
        // The minute tier is read once for both dialects (its scan is the larger cost, and a
        // day of CSV is ~40 MB); bucket tiers one dialect at a time (a month of quarters is
        // ~75 MB of CSV per dialect, all its files encoded side by side).
        let groups = tier == .minute ? [plans] : dialects.map { d in plans.filter { $0.d == d } }
        for plans in groups where !plans.isEmpty {
            let outputs = try encode(tier, plans, from: lo, to: to, watermark: w)
            for (k, plan) in plans.enumerated() {
                let (out, until, any) = (outputs[k].out, outputs[k].until, outputs[k].any)
                let file = root + "/" + plan.rel
                let old = records[plan.rel]
                if plan.full {
                    // A period without any data for this target gets no file.
                    if old == nil && !any { continue }
                    let existing = ArchiveFiles.read(file)
                    if existing == out.bytes {
                        summary.unchanged += 1
                    } else {
                        try staged.replace(file, with: out.bytes)
                        if existing == nil {
                            summary.created += 1
                        } else {
                            summary.replaced += 1
                            if old?.closed == true {
                                logger.notice(
                                    "archive file rewritten: late data changed its rows",
                                    metadata: ["file": "\(plan.rel)"])
                            }
                        }
                    }
                } else {
                    guard !out.bytes.isEmpty else { continue }
                    try ArchiveFiles.append(file, out.bytes)
                    summary.appended += 1
                }
                // A staged file is not in its place yet: its size is that of its bytes.
                let size = plan.full ? Int64(out.bytes.count) : ArchiveFiles.size(file) ?? 0
                var sha: String? = nil
                if closed {
                    sha = plan.full ? SHA256.hex(out.bytes) : ArchiveFiles.read(file).map { SHA256.hex($0) }
                    if old?.closed != true { summary.closed += 1 }
                }
                records[plan.rel] = ArchiveFileRecord(
                    path: plan.rel, until: until, bytes: size, sha256: sha, closed: closed)
            }
        }
    }

    /// A file of a period to write: from where, and whether whole (new, damaged or changed).
    typealias Plan = (d: CSVDialect, t: Target, rel: String, from: Int64, full: Bool)

    /// The rows each plan's file gains from `[lo, to)`. Every file of the period is encoded side
    /// by side while the store is read a slice at a time (a day of minutes, about a hundred
    /// buckets): a month of quarters for 640 channels read at once was 259 MB per thread.
    private func encode(_ tier: Tier, _ plans: [Plan], from lo: Int64, to: Int64, watermark w: Int64) throws -> [Output]
    {
        var outputs = plans.map { plan in
            let table = CSVTable(
                tier: tier, dialect: plan.d, channels: plan.t.channels, calendar: store.calendar,
                qualified: plan.t.qualified)
            var out = CSVWriter(dialect: plan.d)
            if plan.full { table.writeHeader(&out) }
            return Output(table: table, out: out, until: plan.from)
        }
        if lo < to {
            if tier == .minute {
                try store.minutes(channels: store.channels, from: lo, to: to) { b in
                    // Each device's minute cells are encoded once per dialect, for its own file
                    // and for its place in the site's file.
                    var cells: [CSVDialect: [String: MinuteCells]] = [:]
                    for d in dialects {
                        let first = plans.filter { $0.d == d }.map { max(0, Int(($0.from - b.start) / 60)) }.min() ?? 0
                        for t in targets where !t.qualified {
                            let table = CSVTable(
                                tier: .minute, dialect: d, channels: t.channels, calendar: store.calendar)
                            cells[d, default: [:]][t.folder] = MinuteCells(table, b, from: min(first, b.count))
                        }
                    }
                    for (k, plan) in plans.enumerated() where b.ts(b.count - 1) >= plan.from {
                        let first = max(0, Int((plan.from - b.start) / 60))
                        let byFolder = cells[plan.d] ?? [:]
                        let groups =
                            plan.t.qualified
                            ? targets.compactMap { byFolder[$0.folder] } : byFolder[plan.t.folder].map { [$0] } ?? []
                        if outputs[k].table.writeRows(&outputs[k].out, b, cells: groups, from: first) {
                            outputs[k].any = true
                        }
                        outputs[k].until = b.ts(b.count - 1) + 60
                    }
                }
            } else {
                var a = lo
                while a < to {
                    let b = min(to, a + Self.sliceSeconds(tier))
                    let block = try store.bucketBlock(tier, channels: store.channels, from: a, to: b)
                    for (k, plan) in plans.enumerated() {
                        let cols = outputs[k].table.columns.map { block.columnIndex($0.channel.id) }
                        for i in 0..<block.count where block.starts[i] >= plan.from && block.ends[i] <= w {
                            if outputs[k].table.writeRow(&outputs[k].out, block, i, columns: cols) {
                                outputs[k].any = true
                            }
                            outputs[k].until = block.ends[i]
                        }
                    }
                    a = b
                }
            }
        }
        return outputs
    }

    /// One file's rows as they are encoded.
    struct Output {
        var table: CSVTable
        var out: CSVWriter
        var until: Int64
        var any = false
    }

    /// How much of a bucket tier is read at once: about a hundred buckets (a slice starts where
    /// the previous one ended; a bucket belongs to the slice its start is in).
    static func sliceSeconds(_ tier: Tier) -> Int64 {
        switch tier {
        case .minute, .quarter: 86_400
        case .hour: 4 * 86_400
        case .day: 96 * 86_400
        case .month, .year: 400 * 366 * 86_400
        }
    }

    /// One `SHA256SUMS` per folder, covering its closed files (`sha256sum -c` format).
    private func updateChecksums(before: [String: ArchiveFileRecord], after: [String: ArchiveFileRecord]) throws {
        var folders = Set<String>()
        for (p, r) in after where r.closed && before[p]?.sha256 != r.sha256 {
            folders.insert((p as NSString).deletingLastPathComponent)
        }
        let byFolder = Dictionary(grouping: after.values.filter(\.closed)) {
            ($0.path as NSString).deletingLastPathComponent
        }
        for f in folders {
            let lines = (byFolder[f] ?? []).sorted { $0.path < $1.path }.compactMap { r -> String? in
                r.sha256.map { "\($0)  \((r.path as NSString).lastPathComponent)\n" }
            }
            try ArchiveFiles.replaceIfChanged(root + "/" + f + "/SHA256SUMS", with: Array(lines.joined().utf8))
        }
    }

    /// `current.csv` in each folder that holds the current period's file: a hard link,
    /// re-pointed atomically; the one left behind when the period moves on is removed.
    private func updateCurrentLinks(records: [String: ArchiveFileRecord], watermark w: Int64, previous: Int64?) throws {
        for d in dialects {
            for t in targets {
                for tier in Tier.allCases where tier != .year {
                    let now = layout.period(tier, containing: w - 1)
                    let rel = path(d, t, tier, now.start)
                    let folder = root + "/" + (rel as NSString).deletingLastPathComponent
                    if let p = previous, p > 0 {
                        let old = layout.period(tier, containing: p - 1)
                        let oldFolder = root + "/" + (path(d, t, tier, old.start) as NSString).deletingLastPathComponent
                        if oldFolder != folder { unlink(oldFolder + "/current.csv") }
                    }
                    if records[rel] != nil {
                        try ArchiveFiles.hardLink(folder + "/current.csv", to: root + "/" + rel)
                    }
                }
            }
        }
    }

    /// `_site/alarms/<year>.csv` in every dialect, rewritten when the log changed. Outside the
    /// ledger: they are not period files, and a year's file is rewritten as alarms clear.
    func writeAlarmFiles() throws {
        let log = try store.alarmLog()
        guard !log.isEmpty else { return }
        let zone = store.calendar.zone
        for (year, rows) in AlarmTable.byYear(AlarmTable.rows(log), zone: zone) {
            for d in dialects {
                let folder = "\(root)/\(d.rawValue)/\(ArchiveLayout.siteFolder)/alarms"
                try ArchiveFiles.ensureFolder(folder)
                try ArchiveFiles.replaceIfChanged(
                    "\(folder)/\(year).csv", with: AlarmTable.csv(rows, dialect: d, zone: zone))
            }
        }
    }
}
