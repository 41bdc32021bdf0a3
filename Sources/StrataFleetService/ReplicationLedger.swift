import StrataCore

/// What replication records in the site's store, through its one writer (`StoreActor`): that
/// it is on (late data then marks what to send again), the site's id, each committed push's
/// cursors, and the last failure. The reader beside it only reads.
public protocol ReplicationLedger: Sendable {
    func enableReplication() async throws
    /// The id the store keeps for this site, made once.
    func replicationSiteID() async throws -> String
    /// After the central server committed a push: the cursors move and the late-data ranges
    /// it carried are consumed.
    func commitReplication(cursors: [Tier: Int64], consumedDirty: Int64?, at: Int64) async throws
    func replicationFailed(_ message: String, at: Int64) async
}
