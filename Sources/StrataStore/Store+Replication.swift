import Foundation
import StrataCore

/// The site's side of fleet replication: a stable site id, a cursor per tier (closed buckets
/// before it are on the central server) and the ranges late data changed since, all in the
/// store so a restart resumes where the last committed push ended.
extension Store {
    static let replicationSchema = """
        CREATE TABLE IF NOT EXISTS replication_dirty(from_ts INTEGER NOT NULL, to_ts INTEGER NOT NULL);
        """

    /// The site's id: kept in the store, made once (a random UUID) so that a renamed site or a
    /// moved config still replicates as the same site.
    public func siteID() throws(StoreError) -> String {
        if let id = try meta("site_id") { return id }
        let id = UUID().uuidString.lowercased()
        try setMeta("site_id", id)
        return id
    }

    /// Starts recording the ranges late data changes (the roll-up checks the flag each time, so
    /// the writer's connection sees it without a restart).
    public func enableReplication() throws(StoreError) {
        if try meta("replication.enabled") == nil { try setMeta("replication.enabled", "1") }
    }

    /// Per tier: closed buckets starting before this instant have been pushed.
    public func replicationCursors() throws(StoreError) -> [Tier: Int64] {
        var out: [Tier: Int64] = [:]
        for t in Tier.allCases {
            if let v = try meta("replication.\(t.name)"), let n = Int64(v) { out[t] = n }
        }
        return out
    }

    /// The ranges whose closed buckets changed after they were pushed, and the last row's id.
    public func replicationDirty() throws(StoreError) -> (ranges: [(Int64, Int64)], lastID: Int64?) {
        try dirtyRanges("replication_dirty")
    }

    /// Records a push the central server committed: the new cursors, the dirty ranges it
    /// covered, and when. Called only after the server's commit, so a crash in between repeats
    /// a push (harmless: the server upserts) and never skips one.
    public func commitReplication(cursors: [Tier: Int64], consumedDirty: Int64?, at now: Int64) throws(StoreError) {
        try db.transaction { () throws(StoreError) in
            for (t, c) in cursors { try setMeta("replication.\(t.name)", String(c)) }
            if let id = consumedDirty { try db.exec("DELETE FROM replication_dirty WHERE rowid <= \(id)") }
            try setMeta("replication.last_success", String(now))
            try db.exec("DELETE FROM meta WHERE key = 'replication.last_error'")
        }
    }

    /// Records a failed push (for `strata status`); the cursors stay.
    public func replicationFailed(_ message: String, at now: Int64) throws(StoreError) {
        try setMeta("replication.last_error", "\(now) \(message)")
    }

    /// What `strata status` and the metric show.
    public func replicationStatus() throws(StoreError) -> (
        cursors: [Tier: Int64], lastSuccess: Int64?, lastError: String?, pendingDirty: Int
    )? {
        guard try meta("replication.enabled") != nil else { return nil }
        let pending = Int(try db.scalarInt("SELECT count(*) FROM replication_dirty") ?? 0)
        return (
            try replicationCursors(), try meta("replication.last_success").flatMap { Int64($0) },
            try meta("replication.last_error"), pending
        )
    }

    /// The start of the first bucket of `tier` that is not closed yet: every bucket before it
    /// is rolled up and final (until late data changes it).
    public func closedUntil(_ tier: Tier) -> Int64 {
        calendar.bucketStart(tier, containing: watermark)
    }
}
