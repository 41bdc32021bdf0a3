import StrataStore

/// How each poll changes a device's status, and when that is worth a log line.
extension DeviceStatus {
    /// Counts bad readings (values no channel can hold); true when this is worth a log line:
    /// the first one, or the first after a clean hour.
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
