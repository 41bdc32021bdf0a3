import StrataCore

/// What the store remembers of one archive file it wrote.
public struct ArchiveFileRecord: Sendable, Equatable {
    /// Relative to the archive root.
    public var path: String
    /// The file holds every closed bucket of its period before this instant.
    public var until: Int64
    public var bytes: Int64
    /// Checksum of a closed file (listed in its folder's SHA256SUMS).
    public var sha256: String?
    public var closed: Bool

    public init(path: String, until: Int64, bytes: Int64, sha256: String?, closed: Bool) {
        self.path = path
        self.until = until
        self.bytes = bytes
        self.sha256 = sha256
        self.closed = closed
    }
}

/// The archive writer's bookkeeping lives in the store, so a file the writer did not write is
/// never mistaken for one of its own, and a crash between writing files and recording them
/// only costs a rewrite.
extension Store {
    public func archiveFiles() throws(StoreError) -> [String: ArchiveFileRecord] {
        let st = try db.prepare("SELECT path, until, bytes, sha256, closed FROM archive_file")
        st.reset()
        var out: [String: ArchiveFileRecord] = [:]
        while try st.step() {
            let r = ArchiveFileRecord(
                path: st.text(0), until: st.int(1), bytes: st.int(2),
                sha256: st.isNull(3) ? nil : st.text(3), closed: st.int(4) != 0)
            out[r.path] = r
        }
        return out
    }

    /// Records files and moves the archive watermark in one transaction; `consumedDirty` is the
    /// highest late-data range id the run has dealt with.
    public func commitArchive(
        _ records: [ArchiveFileRecord], removed: [String], watermark: Int64, root: String, consumedDirty: Int64?,
        layout: String = ""
    ) throws(StoreError) {
        try db.transaction { () throws(StoreError) in
            let up = try db.prepare(
                "INSERT OR REPLACE INTO archive_file(path, until, bytes, sha256, closed) VALUES (?1, ?2, ?3, ?4, ?5)")
            for r in records {
                try up.bind([
                    .text(r.path), .int(r.until), .int(r.bytes), r.sha256.map { .text($0) } ?? .null,
                    .int(r.closed ? 1 : 0),
                ])
                try up.run()
            }
            let del = try db.prepare("DELETE FROM archive_file WHERE path = ?1")
            for p in removed {
                try del.bind([.text(p)])
                try del.run()
            }
            try setMeta("archive.watermark", String(watermark))
            try setMeta("archive.root", root)
            try setMeta("archive.layout", layout)
            if let id = consumedDirty { try db.exec("DELETE FROM archive_dirty WHERE rowid <= \(id)") }
        }
    }

    /// Where the archive stands: its watermark, root and the dialects and folders it was
    /// written for (nil: never written).
    public func archiveState() throws(StoreError) -> (watermark: Int64, root: String, layout: String)? {
        guard let w = try meta("archive.watermark").flatMap({ Int64($0) }), let r = try meta("archive.root") else {
            return nil
        }
        return (w, r, try meta("archive.layout") ?? "")
    }

    /// Forgets the archive's bookkeeping (for a rebuild or a new archive root).
    public func resetArchive() throws(StoreError) {
        try db.transaction { () throws(StoreError) in
            try db.exec(
                "DELETE FROM archive_file; DELETE FROM archive_dirty; DELETE FROM meta WHERE key IN ('archive.watermark', 'archive.root', 'archive.layout')"
            )
        }
    }

    /// Whether a tier holds anything in `[from, to)` (stored minutes, or stored aggregates).
    public func hasData(_ tier: Tier, from: Int64, to: Int64) throws(StoreError) -> Bool {
        if tier == .minute { return try minute.nextTs(atOrAfter: from).map { $0 < to } ?? false }
        if try db.scalarInt(
            "SELECT 1 FROM agg WHERE tier = ?1 AND start >= ?2 AND start < ?3 LIMIT 1",
            [.int(Int64(tier.rawValue)), .int(from), .int(to)]) != nil
        {
            return true
        }
        guard AggregateBlocks.tiers.contains(tier) else { return false }
        return try !aggBlocks.entries(tier, from: from, to: to, channels: nil).isEmpty
    }

    /// Ranges whose closed buckets changed since the archive last looked, with the last id.
    public func archiveDirty() throws(StoreError) -> (ranges: [(Int64, Int64)], lastID: Int64?) {
        try dirtyRanges("archive_dirty")
    }

    /// The rows of a ledger of changed ranges (`archive_dirty`, `replication_dirty`) in order,
    /// and the last one's id, so its reader deletes exactly what it consumed.
    func dirtyRanges(_ table: String) throws(StoreError) -> (ranges: [(Int64, Int64)], lastID: Int64?) {
        let st = try db.prepare("SELECT rowid, from_ts, to_ts FROM \(table) ORDER BY rowid")
        st.reset()
        var out: [(Int64, Int64)] = []
        var last: Int64?
        while try st.step() {
            last = st.int(0)
            out.append((st.int(1), st.int(2)))
        }
        return (out, last)
    }
}

extension Store {
    /// Re-reads what another connection to the same file may have moved: the roll-up
    /// watermark and each channel's first reading (the archive runs on its own connection so
    /// that it never holds up the sampler, and a connection opened on an empty store would
    /// otherwise never see where the data begins).
    public func reloadWatermark() throws(StoreError) {
        watermark = Int64(try meta("watermark") ?? "0") ?? 0
        let st = try db.prepare("SELECT id, first_ts FROM channel WHERE first_ts IS NOT NULL")
        while try st.step() {
            let id = st.int(0)
            if byID[id] != nil { firstTs[id] = st.int(1) }
        }
    }
}
