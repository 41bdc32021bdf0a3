import Foundation
import StrataDatabase

/// The durable queue of rendered reports, one row per recipient, in its own SQLite file (so
/// report bodies never count against the data store's budget).
///
/// A report is enqueued with all its recipients in one transaction together with the record
/// that its period was generated: after a crash it is either fully queued or regenerated.
/// Rows are unique per report, period and recipient, so generating twice queues once.
public final class Outbox {
    public enum State: String, Sendable, CaseIterable {
        /// Waiting for its (next) attempt.
        case pending
        /// Accepted by the mail server.
        case sent
        /// Given up: a permanent refusal, or temporary failures for longer than allowed.
        case failed
        /// Written to the outbox folder as an .eml file (no mail server configured).
        case saved
    }

    public struct Entry: Sendable, Equatable {
        public var id: Int64
        public var report: String
        public var period: String
        public var recipient: String
        public var messageID: String
        public var sender: String
        public var state: State
        public var attempts: Int
        public var created: Int64
        public var nextAttempt: Int64
        public var lastAttempt: Int64?
        public var lastError: String?
        public var done: Int64?

        public init(
            id: Int64, report: String, period: String, recipient: String, messageID: String, sender: String,
            state: State,
            attempts: Int, created: Int64, nextAttempt: Int64, lastAttempt: Int64?, lastError: String?, done: Int64?
        ) {
            self.id = id
            self.report = report
            self.period = period
            self.recipient = recipient
            self.messageID = messageID
            self.sender = sender
            self.state = state
            self.attempts = attempts
            self.created = created
            self.nextAttempt = nextAttempt
            self.lastAttempt = lastAttempt
            self.lastError = lastError
            self.done = done
        }
    }

    let db: Database<OutboxError>
    public let path: String

    /// The outbox file in the `[outbox]` folder.
    public static func file(in folder: String) -> String {
        (folder as NSString).appendingPathComponent("outbox.sqlite")
    }

    public init(path: String) throws(OutboxError) {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw .cannotOpen(path: path, reason: "cannot create folder \(folder): \(error.localizedDescription)")
            }
        }
        db = try Database(path: path)
        try db.exec("PRAGMA journal_mode = WAL")
        try db.exec("PRAGMA synchronous = FULL")
        try db.exec(
            """
            CREATE TABLE IF NOT EXISTS message(
                id INTEGER PRIMARY KEY, report TEXT NOT NULL, period TEXT NOT NULL, recipient TEXT NOT NULL,
                message_id TEXT NOT NULL, sender TEXT NOT NULL, body BLOB NOT NULL, state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, next_attempt INTEGER NOT NULL,
                last_attempt INTEGER, last_error TEXT, done INTEGER,
                UNIQUE(report, period, recipient));
            CREATE TABLE IF NOT EXISTS generated(
                report TEXT NOT NULL, period TEXT NOT NULL, created INTEGER NOT NULL, mailed INTEGER NOT NULL,
                PRIMARY KEY(report, period)) WITHOUT ROWID;
            """)
    }

    /// Whether a report's period was generated (queued, or deliberately skipped).
    public func generated(report: String, period: String) throws(OutboxError) -> Bool {
        try db.scalarInt(
            "SELECT count(*) FROM generated WHERE report = ?1 AND period = ?2", [.text(report), .text(period)]) ?? 0 > 0
    }

    /// Whether any period of a report was ever generated (a fresh install has none to miss).
    public func generatedAny(report: String) throws(OutboxError) -> Bool {
        try db.scalarInt("SELECT count(*) FROM generated WHERE report = ?1", [.text(report)]) ?? 0 > 0
    }

    /// Queues a rendered message for each recipient, and records the period as generated.
    public func enqueue(
        report: String, period: String, messageID: String, sender: String, recipients: [String], body: [UInt8],
        now: Int64
    ) throws(OutboxError) {
        try db.transaction { () throws(OutboxError) in
            let st = try db.prepare(
                """
                INSERT OR IGNORE INTO message(report, period, recipient, message_id, sender, body, state, created, next_attempt)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7)
                """)
            for r in recipients {
                st.reset()
                st.bind(1, report)
                st.bind(2, period)
                st.bind(3, r)
                st.bind(4, messageID)
                st.bind(5, sender)
                st.bind(6, blob: body)
                st.bind(7, now)
                try st.run()
            }
            try markGenerated(report: report, period: period, mailed: true, now: now)
        }
    }

    /// Records a period as handled without mailing it (an old missed period, listed in the log).
    public func skip(report: String, period: String, now: Int64) throws(OutboxError) {
        try markGenerated(report: report, period: period, mailed: false, now: now)
    }

    func markGenerated(report: String, period: String, mailed: Bool, now: Int64) throws(OutboxError) {
        let st = try db.prepare(
            "INSERT OR IGNORE INTO generated(report, period, created, mailed) VALUES (?1, ?2, ?3, ?4)")
        try st.bind([.text(report), .text(period), .int(now), .int(mailed ? 1 : 0)])
        try st.run()
    }

    /// Messages whose next attempt is due, with their bodies, oldest first.
    public func due(now: Int64, limit: Int = 50) throws(OutboxError) -> [(Entry, [UInt8])] {
        let st = try db.prepare(
            "SELECT \(Self.columns), body FROM message WHERE state = 'pending' AND next_attempt <= ?1 ORDER BY id LIMIT ?2"
        )
        try st.bind([.int(now), .int(Int64(limit))])
        var out: [(Entry, [UInt8])] = []
        while try st.step() { out.append((Self.entry(st), st.blob(13))) }
        return out
    }

    /// When the earliest pending message is due; nil when nothing is pending.
    public func nextAttempt() throws(OutboxError) -> Int64? {
        try db.scalarInt("SELECT min(next_attempt) FROM message WHERE state = 'pending'")
    }

    public func entries() throws(OutboxError) -> [Entry] {
        let st = try db.prepare("SELECT \(Self.columns) FROM message ORDER BY id")
        st.reset()
        var out: [Entry] = []
        while try st.step() { out.append(Self.entry(st)) }
        return out
    }

    /// Records the result of an attempt.
    public func record(id: Int64, state: State, now: Int64, nextAttempt: Int64? = nil, error: String? = nil)
        throws(OutboxError)
    {
        let st = try db.prepare(
            """
            UPDATE message SET state = ?2, attempts = attempts + 1, last_attempt = ?3, next_attempt = coalesce(?4, next_attempt),
                last_error = coalesce(?5, last_error), done = CASE WHEN ?2 = 'pending' THEN NULL ELSE ?3 END WHERE id = ?1
            """)
        try st.bind([
            .int(id), .text(state.rawValue), .int(now), nextAttempt.map { .int($0) } ?? .null,
            error.map { .text($0) } ?? .null,
        ])
        try st.run()
    }

    static let columns =
        "id, report, period, recipient, message_id, sender, state, attempts, created, next_attempt, last_attempt, last_error, done"

    static func entry(_ st: Statement<OutboxError>) -> Entry {
        Entry(
            id: st.int(0), report: st.text(1), period: st.text(2), recipient: st.text(3), messageID: st.text(4),
            sender: st.text(5),
            state: State(rawValue: st.text(6)) ?? .pending, attempts: Int(st.int(7)), created: st.int(8),
            nextAttempt: st.int(9),
            lastAttempt: st.optionalInt(10), lastError: st.isNull(11) ? nil : st.text(11), done: st.optionalInt(12))
    }
}
