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

/// What a time-zone change costs: aggregates of periods whose minutes retention pruned
/// cannot be recomputed.
public struct TimezoneChangeCost: Sendable, Equatable, CustomStringConvertible {
    /// Minutes before this (UTC seconds) were pruned, for gauges or counters; nil: none were.
    public var prunedBefore: Int64?
    /// Start of the oldest stored aggregate.
    public var oldestAggregate: Int64?

    /// The UTC span whose aggregates would be lost, if any.
    public var lost: Range<Int64>? {
        guard let p = prunedBefore, let a = oldestAggregate, a < p else { return nil }
        return a..<p
    }

    public var description: String {
        guard let l = lost else { return "every aggregate can be recomputed from the minutes still stored" }
        let from = LocalDateTime(secondsSinceEpoch: l.lowerBound).description
        let to = LocalDateTime(secondsSinceEpoch: l.upperBound).description
        return
            "aggregates from \(from) to \(to) UTC were made from minutes since pruned (retention.minute) and cannot be recomputed: they would be lost"
    }
}

extension Store {
    /// What changing the zone would lose; read-only.
    public func timezoneChangeCost() throws(StoreError) -> TimezoneChangeCost {
        TimezoneChangeCost(
            prunedBefore: minuteHorizon.values.max(),
            oldestAggregate: MinuteTier.least(try db.scalarInt("SELECT min(start) FROM agg"), try aggBlocks.oldest(nil))
        )
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
            logger.warning(
                "site time zone changed; every aggregate is recomputed from the stored minutes",
                metadata: [
                    "from": "\(old)", "to": "\(new)", "backup": "\(target)", "cost": "\(cost)",
                ])
            try db.transaction { () throws(StoreError) in
                try db.exec("DELETE FROM agg; DELETE FROM agg_block")
                // Archive files were written in the old zone: forget them, so all are written anew.
                try db.exec(
                    "DELETE FROM archive_file; DELETE FROM archive_dirty; DELETE FROM meta WHERE key IN ('archive.watermark', 'archive.root', 'archive.layout')"
                )
                try setMeta("watermark", "0")
                try setMeta("timezone", new)
            }
        }
    }
}
