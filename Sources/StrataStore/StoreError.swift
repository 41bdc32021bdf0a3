/// Everything the store can refuse, with a message a user can act on.
public enum StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    case cannotOpen(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case diskFull(path: String)
    case busy(path: String)
    case corrupt(path: String, reason: String)
    case sqlite(code: Int32, message: String, sql: String)
    case unknownChannel(device: String, channel: String)
    case unknownDevice(String)
    case channelChanged(device: String, channel: String, what: String)
    case notAStrataStore(path: String)
    case newerSchema(path: String, version: Int)
    case backupFailed(path: String, reason: String)
    case timezoneChanged(path: String, from: String, to: String, cost: String)
    case needsMigration(path: String, version: Int)
    case damagedBlock(path: String, channel: String, day: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r):
            "cannot open the store \(p): \(r) (check the folder exists and strata may write to it)"
        case .cannotWrite(let p, let r): "cannot write to the store \(p): \(r)"
        case .diskFull(let p):
            "the disk holding \(p) is full: nothing of this batch was stored; free space or lower storage.budget, then retry"
        case .busy(let p): "the store \(p) stayed locked by another process for 10 s; is another strata writing to it?"
        case .corrupt(let p, let r): "the store \(p) is damaged (\(r)); \(StoreHealth.recovery(p))"
        case .sqlite(let c, let m, let s): "SQLite error \(c): \(m) (in: \(s.prefix(80)))"
        case .unknownChannel(let d, let c): "device \"\(d)\" has no channel \"\(c)\" in the config"
        case .unknownDevice(let d): "no device \"\(d)\" in the config"
        case .channelChanged(let d, let c, let w):
            "channel \(d).\(c) changed its \(w) since data was stored; the stored values would be misread. Export the data, then use a new channel id"
        case .notAStrataStore(let p): "\(p) is not a Strata store"
        case .newerSchema(let p, let v): "\(p) was written by a newer Strata (schema \(v)); upgrade strata"
        case .backupFailed(let p, let r): "backup to \(p) failed: \(r)"
        case .needsMigration(let p, let v):
            "the store \(p) is in the row format of an older strata (schema \(v)); run `strata migrate --config <your strata.toml>` "
                + "once to convert it to compact blocks in place (each day commits on its own, so it can be stopped and run again)"
        case .damagedBlock(let p, let c, let d, let r):
            "the minute data of \(c) for \(d) in \(p) is damaged (\(r)); that channel-day cannot be read, every other one can, "
                + "and its quarter-hours and coarser tiers are kept. Restore the store from a backup (`strata backup` makes one) "
                + "if you need those minutes; `strata check` lists every damaged block"
        case .timezoneChanged(let p, let old, let new, let cost):
            "the store \(p) was aggregated in time zone \(old), but site.timezone is now \(new). Days, months and years follow "
                + "the site's midnights, so every aggregate would have to be recomputed; \(cost). If the old zone was right, "
                + "set site.timezone = \"\(old)\" again. To change it on purpose, run `strata rollup --rebuild --timezone-change` "
                + "(it copies the store to a backup first), then `strata archive --rebuild`"
        }
    }
}
