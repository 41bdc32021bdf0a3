import StrataCore
import StrataStore

extension ArchiveWriter {
    /// `_site/reactive/<year>.csv` in every dialect: each meter's active and reactive energy and
    /// their ratios per day and per month, for the years whose buckets were written or changed.
    /// Outside the ledger, like the alarm files: a year's file is rewritten as its days close.
    func writeReactiveFiles(years: Set<Int>) throws {
        let meters = targets.filter { !$0.qualified }.compactMap { ReactiveTable.meter(device: $0.folder, $0.channels) }
        guard !meters.isEmpty else { return }
        let zone = store.calendar.zone
        for year in years.sorted() {
            let from = zone.firstInstant(atOrAfter: LocalDateTime(date: CivilDate(year: year, month: 1, day: 1)))
            let to = min(store.calendar.bucketEnd(.year, start: from), store.watermark)
            guard from < to else { continue }
            var rows: [ReactiveTable.Row] = []
            for m in meters {
                rows += try ReactiveTable.rows(store, m, tier: .day, from: from, to: to)
                rows += try ReactiveTable.rows(store, m, tier: .month, from: from, to: to)
            }
            guard !rows.isEmpty else { continue }
            rows.sort { ($0.tier.rawValue, $0.start, $0.device) < ($1.tier.rawValue, $1.start, $1.device) }
            for d in dialects {
                let folder = "\(root)/\(d.rawValue)/\(ArchiveLayout.siteFolder)/reactive"
                try ArchiveFiles.ensureFolder(folder)
                let path = "\(folder)/\(year).csv"
                let bytes = ReactiveTable.csv(rows, limits: reactiveLimits, dialect: d, zone: zone)
                if ArchiveFiles.read(path) != bytes { try ArchiveFiles.replace(path, with: bytes) }
            }
        }
    }
}
