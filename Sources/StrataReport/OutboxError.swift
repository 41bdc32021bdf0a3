import StrataDatabase

/// What the outbox's SQLite file can refuse, in words that name the outbox (not the data
/// store: it is another file, in the `[outbox]` folder).
public enum OutboxError: Error, DatabaseFailure, CustomStringConvertible, Sendable, Equatable {
    case cannotOpen(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case diskFull(path: String)
    case busy(path: String)
    case corrupt(path: String, reason: String)
    case sqlite(code: Int32, message: String, sql: String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r):
            "cannot open the report outbox \(p): \(r) (check the [outbox] folder exists and strata may write to it)"
        case .cannotWrite(let p, let r): "cannot write to the report outbox \(p): \(r)"
        case .diskFull(let p):
            "the disk holding the report outbox \(p) is full: the report was not queued; free space, it is generated again"
        case .busy(let p):
            "the report outbox \(p) stayed locked by another process for 10 s; is another strata using it?"
        case .corrupt(let p, let r):
            "the report outbox \(p) is damaged (\(r)); move it aside and strata starts a new one (the latest due report of each schedule may then be sent once more)"
        case .sqlite(let c, let m, let s): "SQLite error \(c) in the report outbox: \(m) (in: \(s.prefix(80)))"
        }
    }
}
