import Foundation
import StrataCore

/// What `strata check` and the start of `strata run` find wrong with a store file.
public struct StoreHealth: Sendable, Equatable {
    /// Damage SQLite reports (a page that is not what its tree says, a broken index): the
    /// store must not serve numbers until it is salvaged or restored.
    public var damage: [String] = []
    /// Things to know that do not stop the store (a write-ahead log cut mid-frame).
    public var warnings: [String] = []

    public var isDamaged: Bool { !damage.isEmpty }

    /// What the user does about damage, naming the commands.
    public static func recovery(_ path: String) -> String {
        "stop strata, then either restore the last backup made with `strata backup` (README, 'Backup and restore'), "
            + "or salvage what is readable: `sqlite3 \(path) .recover | sqlite3 \(path).recovered` and use that file as storage.path; "
            + "then `strata rollup` and `strata archive --rebuild`"
    }
}

extension Store {
    /// A write-ahead log whose size is not a whole number of frames was cut (a full disk, a
    /// power cut mid-write, a copy of a live store): SQLite keeps the transactions up to the
    /// last complete commit, and what came after is gone. Read before the store is opened,
    /// since opening may reset the log.
    static func walWarning(_ path: String) -> String? {
        let wal = path + "-wal"
        guard let fh = FileHandle(forReadingAtPath: wal) else { return nil }
        defer { try? fh.close() }
        let header = fh.readData(ofLength: 32)
        guard header.count == 32, let size = (try? FileManager.default.attributesOfItem(atPath: wal)[.size]) as? Int,
            size > 32
        else { return nil }
        let magic = header.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard magic == 0x377f_0682 || magic == 0x377f_0683 else {
            return
                "the write-ahead log \(wal) does not start with SQLite's header: it is not the store's log, or it is damaged"
        }
        let pageSize = header.dropFirst(8).prefix(4).reduce(0) { $0 << 8 | Int($1) }
        let frame = 24 + (pageSize == 1 ? 65536 : pageSize)
        guard pageSize >= 1, (size - 32) % frame != 0 else { return nil }
        return "the write-ahead log \(wal) ends in the middle of a frame (\(size) bytes): its last write was cut "
            + "(power cut, full disk, or a copy taken while strata ran); transactions after the last complete commit in it are lost"
    }

    /// Checks the file: `thorough` runs SQLite's `integrity_check` (every page, every index;
    /// `strata check`), otherwise `quick_check` (the start of `strata run`).
    public func health(thorough: Bool) throws(StoreError) -> StoreHealth {
        var h = StoreHealth()
        if let w = walWarningAtOpen { h.warnings.append(w) }
        let st = try db.prepare(thorough ? "PRAGMA integrity_check(20)" : "PRAGMA quick_check(20)")
        while try st.step() {
            let line = st.text(0)
            if line != "ok" { h.damage.append(line) }
        }
        return h
    }
}
