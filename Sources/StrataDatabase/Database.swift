import CSQLite
import Foundation

/// What a SQLite failure becomes in the owner's own error type: the store and the outbox
/// each speak to their users in their own words, so the connection is generic over them.
/// Enum cases with these names satisfy the requirements.
public protocol DatabaseFailure: Error {
    static func cannotOpen(path: String, reason: String) -> Self
    static func cannotWrite(path: String, reason: String) -> Self
    static func diskFull(path: String) -> Self
    static func busy(path: String) -> Self
    static func corrupt(path: String, reason: String) -> Self
    static func sqlite(code: Int32, message: String, sql: String) -> Self
}

/// A thin, typed door to one SQLite connection. Not thread-safe: one owner at a time.
///
/// The hot calls (bind, step, column reads) are inlinable: the store's ingest and scans call
/// them per value, and a call across the module boundary per value would cost more than the work.
public final class Database<Failure: DatabaseFailure> {
    public let handle: OpaquePointer
    public let path: String

    public init(path: String, readOnly: Bool = false) throws(Failure) {
        var h: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = sqlite3_open_v2(path, &h, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let handle = h else {
            let msg = h.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(h)
            throw Failure.cannotOpen(path: path, reason: msg)
        }
        self.handle = handle
        self.path = path
        sqlite3_busy_timeout(handle, 10_000)
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    @usableFromInline
    func error(_ rc: Int32, _ sql: String) -> Failure {
        let msg = String(cString: sqlite3_errmsg(handle))
        switch rc & 0xFF {
        case SQLITE_FULL: return Failure.diskFull(path: path)
        case SQLITE_BUSY, SQLITE_LOCKED: return Failure.busy(path: path)
        case SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM: return Failure.cannotWrite(path: path, reason: msg)
        case SQLITE_CORRUPT, SQLITE_NOTADB: return Failure.corrupt(path: path, reason: msg)
        default: return Failure.sqlite(code: rc, message: msg, sql: sql)
        }
    }

    public func exec(_ sql: String) throws(Failure) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, sql) }
    }

    public func prepare(_ sql: String) throws(Failure) -> Statement<Failure> {
        var s: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &s, nil)
        guard rc == SQLITE_OK, let stmt = s else { throw error(rc, sql) }
        return Statement<Failure>(db: self, stmt: stmt, sql: sql)
    }

    /// Runs `body` in one IMMEDIATE transaction: all of it is committed, or none.
    public func transaction<R>(_ body: () throws(Failure) -> R) throws(Failure) -> R {
        try exec("BEGIN IMMEDIATE")
        do {
            let r = try body()
            try exec("COMMIT")
            return r
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }

    public func scalarInt(_ sql: String, _ args: [SQLValue] = []) throws(Failure) -> Int64? {
        let st = try prepare(sql)
        try st.bind(args)
        guard try st.step() else { return nil }
        return st.optionalInt(0)
    }
}

public enum SQLValue {
    case int(Int64)
    case double(Double)
    case text(String)
    case null
}

/// A prepared statement, reset and re-bound for each use.
public final class Statement<Failure: DatabaseFailure> {
    @usableFromInline let db: Database<Failure>
    @usableFromInline let stmt: OpaquePointer
    @usableFromInline let sql: String

    init(db: Database<Failure>, stmt: OpaquePointer, sql: String) {
        self.db = db
        self.stmt = stmt
        self.sql = sql
    }

    deinit { sqlite3_finalize(stmt) }

    public func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    @inlinable @inline(__always) public func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(stmt, i, v) }
    @inlinable @inline(__always) public func bind(_ i: Int32, _ v: Double) { sqlite3_bind_double(stmt, i, v) }
    @inlinable @inline(__always) public func bindNull(_ i: Int32) { sqlite3_bind_null(stmt, i) }
    @inlinable @inline(__always) public func bind(_ i: Int32, _ v: Int64?) {
        if let v { sqlite3_bind_int64(stmt, i, v) } else { sqlite3_bind_null(stmt, i) }
    }
    @inlinable @inline(__always) public func bind(_ i: Int32, _ v: Double?) {
        if let v { sqlite3_bind_double(stmt, i, v) } else { sqlite3_bind_null(stmt, i) }
    }
    @inlinable public func bind(_ i: Int32, blob v: [UInt8]) {
        v.withUnsafeBytes { p in
            _ = sqlite3_bind_blob(
                stmt, i, p.baseAddress, Int32(p.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }
    }
    @inlinable public func blob(_ c: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, c))
        guard n > 0, let p = sqlite3_column_blob(stmt, c) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
    @inlinable public func bind(_ i: Int32, _ v: String) {
        sqlite3_bind_text(stmt, i, v, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    }

    public func bind(_ args: [SQLValue]) throws(Failure) {
        reset()
        for (n, a) in args.enumerated() {
            let i = Int32(n + 1)
            switch a {
            case .int(let v): bind(i, v)
            case .double(let v): bind(i, v)
            case .text(let v): bind(i, v)
            case .null: bindNull(i)
            }
        }
    }

    /// Steps once: true if a row is ready.
    @inlinable @inline(__always) public func step() throws(Failure) -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let e = db.error(rc, sql)
        sqlite3_reset(stmt)
        throw e
    }

    /// Runs to completion (for writes), then resets for the next use.
    @inlinable @inline(__always) public func run() throws(Failure) {
        let rc = sqlite3_step(stmt)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else {
            let e = db.error(rc, sql)
            sqlite3_reset(stmt)
            throw e
        }
        sqlite3_reset(stmt)
    }

    @inlinable @inline(__always) public func int(_ c: Int32) -> Int64 { sqlite3_column_int64(stmt, c) }
    @inlinable @inline(__always) public func double(_ c: Int32) -> Double { sqlite3_column_double(stmt, c) }
    @inlinable @inline(__always) public func isNull(_ c: Int32) -> Bool { sqlite3_column_type(stmt, c) == SQLITE_NULL }
    @inlinable @inline(__always) public func optionalInt(_ c: Int32) -> Int64? { isNull(c) ? nil : int(c) }
    @inlinable @inline(__always) public func optionalDouble(_ c: Int32) -> Double? { isNull(c) ? nil : double(c) }
    @inlinable public func text(_ c: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, c) else { return "" }
        return String(cString: p)
    }
}
