import Foundation
import StrataCore

/// What opening a store does when the config's site time zone differs from the one its
/// aggregates were made in.
public enum TimezoneChange: Sendable, Equatable {
    /// Refuse to open (`StoreError.timezoneChanged`): every day, month and year bucket
    /// follows the old zone's midnights, and recomputing them loses the periods whose minutes
    /// were pruned. A config edit must never do that silently.
    case refuse
    /// Copy the store to `backup` first, then drop every aggregate and recompute from the
    /// minutes still stored (`strata rollup --rebuild --timezone-change`).
    case recompute(backup: String)
}

/// What a time-zone change costs: aggregates older than the oldest stored minute cannot be
/// recomputed (their minutes were pruned by retention).
public struct TimezoneChangeCost: Sendable, Equatable, CustomStringConvertible {
    /// Start of the oldest aggregate, and the oldest minute still stored (UTC seconds).
    public var oldestAggregate: Int64?
    public var oldestMinute: Int64?

    /// The UTC span whose aggregates would be lost, if any.
    public var lost: Range<Int64>? {
        guard let a = oldestAggregate else { return nil }
        guard let m = oldestMinute else { return a..<Int64.max }
        return a < m ? a..<m : nil
    }

    public var description: String {
        guard let l = lost else { return "every aggregate can be recomputed from the minutes still stored" }
        let from = LocalDateTime(secondsSinceEpoch: l.lowerBound).description
        guard l.upperBound != Int64.max else {
            return "no minutes are stored: every aggregate (from \(from) UTC on) would be lost"
        }
        let to = LocalDateTime(secondsSinceEpoch: l.upperBound).description
        return "aggregates from \(from) to \(to) UTC were made from minutes since pruned (retention.minute) and cannot be recomputed: they would be lost"
    }
}

extension Store {
    /// What changing the zone would lose; read-only.
    public func timezoneChangeCost() throws(StoreError) -> TimezoneChangeCost {
        TimezoneChangeCost(oldestAggregate: try db.scalarInt("SELECT min(start) FROM agg"),
                           oldestMinute: try db.scalarInt("SELECT min(ts) FROM minute"))
    }

    func changeTimezone(from old: String, how: TimezoneChange) throws(StoreError) {
        let new = calendar.zone.identifier
        let cost = try timezoneChangeCost()
        switch how {
        case .refuse:
            throw .timezoneChanged(path: path, from: old, to: new, cost: cost.description)
        case .recompute(let target):
            // VACUUM INTO cannot run inside a transaction: the copy comes first, alone.
            try backup(to: target)
            logger.warning("site time zone changed; every aggregate is recomputed from the stored minutes", metadata: [
                "from": "\(old)", "to": "\(new)", "backup": "\(target)", "cost": "\(cost)",
            ])
            try db.transaction { () throws(StoreError) in
                try db.exec("DELETE FROM agg")
                // Archive files were written in the old zone: forget them, so all are written anew.
                try db.exec("DELETE FROM archive_file; DELETE FROM archive_dirty; DELETE FROM meta WHERE key IN ('archive.watermark', 'archive.root', 'archive.layout')")
                try setMeta("watermark", "0")
                try setMeta("timezone", new)
            }
        }
    }
}
