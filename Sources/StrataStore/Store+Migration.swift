import StrataCore

/// What `Store.migrate` did.
public struct MigrationResult: Sendable, Equatable {
    /// The schema the store was in when the migration started (1: rows only).
    public var fromVersion: Int
    public var daysCompacted: Int
    public var pointsCompacted: Int
    /// Months of the quarter or hour tier folded into blocks.
    public var monthsCompacted: Int
    /// Closed days still in rows: the migration was stopped by `maxDays`; run it again.
    public var remaining: Bool
    public var damaged: [DamagedBlock]
}

extension Store {
    /// Converts a store to the block format in place (open it with `migrating: true`).
    ///
    /// The schema version is raised first, in its own transaction, so from then on an older
    /// strata refuses the file instead of missing the days already in blocks. Then every closed
    /// day is compacted in its own transaction: a migration killed at any instant leaves a
    /// valid store, and running it again carries on where it stopped. Days still open stay rows.
    public func migrate(maxDays: Int = .max) throws(StoreError) -> MigrationResult {
        let from = formatVersion
        if from < Store.schemaVersion {
            try db.transaction { () throws(StoreError) in try setMeta("schema_version", String(Store.schemaVersion)) }
            formatVersion = Store.schemaVersion
            logger.notice(
                "store marked as block format; compacting its closed days", metadata: ["from_schema": "\(from)"])
        }
        let c = try compactClosedDays(maxDays: maxDays)
        let m = c.remaining ? (months: 0, buckets: 0, damaged: []) : try compactClosedMonths()
        return MigrationResult(
            fromVersion: from, daysCompacted: c.days, pointsCompacted: c.points, monthsCompacted: m.months,
            remaining: c.remaining, damaged: c.damaged + m.damaged)
    }

    /// Decodes every block of the minute, quarter and hour tiers: what `strata check` reports.
    public func verifyBlocks() throws(StoreError) -> (blocks: Int, damaged: [DamagedBlock]) {
        let m = try minute.verifyBlocks()
        let a = try aggBlocks.verify()
        return (m.blocks + a.blocks, m.damaged + a.damaged)
    }
}
