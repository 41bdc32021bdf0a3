import Foundation
import StrataCore

/// What one retention pass removed.
public struct PruneResult: Sendable, Equatable {
    public var minuteRows = 0
    public var quarterRows = 0
    public var hourRows = 0
    public var usedBytesBefore: Int64 = 0
    public var usedBytesAfter: Int64 = 0
}

extension Store {
    /// Applies per-tier retention, then the storage budget: over budget, the oldest minute rows
    /// of gauges go first, then of counters, then quarters, then hours; days, months and years
    /// never. Only data already rolled up is pruned, and pruned spans are never recomputed, so
    /// no aggregate changes.
    @discardableResult
    public func enforceRetention(now: Int64) throws(StoreError) -> PruneResult {
        var r = PruneResult()
        r.usedBytesBefore = try usedBytes()
        // Nothing that roll-up still needs: not past the watermark, not inside a dirty range.
        let dirtyFrom = try db.scalarInt("SELECT min(from_ts) FROM dirty") ?? Int64.max
        let safe = calendar.bucketStart(.quarter, containing: min(watermark, dirtyFrom))
        func cutoff(_ t: Tier) -> Int64? {
            guard let s = retention[t]?.seconds else { return nil }
            return min(safe, calendar.bucketStart(.day, containing: now - s))
        }
        if let c = cutoff(.minute) {
            r.minuteRows += try pruneMinutes(.gauge, before: c)
            r.minuteRows += try pruneMinutes(.counter, before: c)
        }
        if let c = cutoff(.quarter) { r.quarterRows += try pruneTier(.quarter, before: c) }
        if let c = cutoff(.hour) { r.hourRows += try pruneTier(.hour, before: c) }

        if let budget = budget?.bytes, try usedBytes() > budget {
            // Oldest first, a week at a time, in the order the budget promises.
            let steps: [(kind: ChannelKind?, tier: Tier)] = [
                (.gauge, .minute), (.counter, .minute), (nil, .quarter), (nil, .hour),
            ]
            for step in steps {
                while try usedBytes() > budget {
                    guard let oldest = try oldest(step.tier, kind: step.kind), oldest < safe else { break }
                    let c = min(safe, calendar.bucketStart(.day, containing: oldest + 7 * 86_400))
                    guard c > oldest else { break }
                    if step.tier == .minute, let k = step.kind {
                        r.minuteRows += try pruneMinutes(k, before: c)
                    } else if step.tier == .quarter {
                        r.quarterRows += try pruneTier(.quarter, before: c)
                    } else {
                        r.hourRows += try pruneTier(.hour, before: c)
                    }
                }
            }
            try db.exec("PRAGMA incremental_vacuum")
            let used = try usedBytes()
            if used > budget {
                logger.warning(
                    "store is over its budget with only days, months and years left to prune; raise storage.budget",
                    metadata: ["used": "\(used)", "budget": "\(budget)"])
            }
        }
        r.usedBytesAfter = try usedBytes()
        if r.minuteRows + r.quarterRows + r.hourRows > 0 {
            logger.info(
                "retention pruned rows",
                metadata: [
                    "minute": "\(r.minuteRows)", "quarter": "\(r.quarterRows)", "hour": "\(r.hourRows)",
                    "used_bytes": "\(r.usedBytesAfter)",
                ])
        }
        return r
    }

    private func oldest(_ tier: Tier, kind: ChannelKind?) throws(StoreError) -> Int64? {
        if tier == .minute, let k = kind {
            return try minute.oldest(channels: channels.filter { $0.spec.kind == k }.map(\.id))
        }
        return MinuteTier.least(
            try db.scalarInt("SELECT min(start) FROM agg WHERE tier = \(tier.rawValue)"), try aggBlocks.oldest(tier))
    }

    private func pruneMinutes(_ kind: ChannelKind, before c: Int64) throws(StoreError) -> Int {
        guard c > minuteHorizon[kind] ?? Int64.min else { return 0 }
        let ids = channels.filter { $0.spec.kind == kind }.map(\.id)
        return try db.transaction { () throws(StoreError) -> Int in
            let n = try minute.delete(before: c, channels: ids)
            minuteHorizon[kind] = c
            try setMeta("pruned_before.minute.\(kind.rawValue)", String(c))
            return n
        }
    }

    private func pruneTier(_ tier: Tier, before c: Int64) throws(StoreError) -> Int {
        guard c > prunedBefore[tier] ?? Int64.min else { return 0 }
        return try db.transaction { () throws(StoreError) -> Int in
            try db.exec("DELETE FROM agg WHERE tier = \(tier.rawValue) AND start < \(c)")
            var n = db.changes
            if AggregateBlocks.tiers.contains(tier) {
                n += try aggBlocks.delete(tier, from: -(1 << 40), to: c, channel: nil)
            }
            prunedBefore[tier] = c
            try setMeta("pruned_before.\(tier.name)", String(c))
            return n
        }
    }

    /// A consistent copy of the live store (SQLite's `VACUUM INTO`), safe while others write.
    public func backup(to target: String) throws(StoreError) {
        if FileManager.default.fileExists(atPath: target) {
            throw .backupFailed(path: target, reason: "the file exists; choose a new name or remove it first")
        }
        let st = try db.prepare("VACUUM INTO ?1")
        try st.bind([.text(target)])
        do { try st.run() } catch { throw .backupFailed(path: target, reason: error.description) }
    }
}
