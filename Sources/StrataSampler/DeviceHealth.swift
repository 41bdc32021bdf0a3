/// What the sampler knows about one device's recent polls, and when that is worth a log line.
public struct DeviceHealth: Sendable, Equatable {
    public var lastSuccess: Int64?
    public var lastAttempt: Int64?
    public var consecutiveFailures = 0
    public var lastError: String?
    /// Readings dropped as implausible since the store was made (values no channel can hold).
    public var badReadings = 0
    /// When the last bad reading came: a log line is worth it again only after a clean hour.
    public var lastBadReading: Int64?

    public init() {}

    /// Counts bad readings; true when this is worth a log line (the first in an hour).
    public mutating func recordBadReadings(_ n: Int, at ts: Int64) -> Bool {
        badReadings += n
        defer { lastBadReading = ts }
        guard let last = lastBadReading else { return true }
        return ts - last > 3600
    }

    public enum Change: Equatable, Sendable {
        /// First failure after success (or after start), or a different error than before.
        case failing(String)
        case recovered(afterFailures: Int)
    }

    /// Records one poll; returns a change only when the state changes, so a dead meter logs
    /// once, not every minute.
    public mutating func record(at ts: Int64, error: String?) -> Change? {
        lastAttempt = ts
        if let error {
            let changed = consecutiveFailures == 0 || error != lastError
            consecutiveFailures += 1
            lastError = error
            return changed ? .failing(error) : nil
        }
        lastSuccess = ts
        defer { consecutiveFailures = 0 }
        return consecutiveFailures > 0 ? .recovered(afterFailures: consecutiveFailures) : nil
    }
}
