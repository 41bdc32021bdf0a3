import StrataCore

/// A device's acquisition state: kept by the sampler as it polls, saved with each round,
/// shown by `strata status`.
public struct DeviceStatus: Sendable, Equatable {
    public var device: String
    public var lastSuccess: Int64?
    public var lastAttempt: Int64?
    public var consecutiveFailures: Int
    public var lastError: String?
    /// Readings dropped as implausible (`Resolution.accepts`), in all.
    public var badReadings: Int
    /// When the last bad reading came (not saved: after a restart the first one logs again).
    public var lastBadReading: Int64?

    public init(
        device: String, lastSuccess: Int64? = nil, lastAttempt: Int64? = nil, consecutiveFailures: Int = 0,
        lastError: String? = nil,
        badReadings: Int = 0
    ) {
        self.badReadings = badReadings
        self.device = device
        self.lastSuccess = lastSuccess
        self.lastAttempt = lastAttempt
        self.consecutiveFailures = consecutiveFailures
        self.lastError = lastError
    }
}

extension Store {
    func saveStatuses(_ statuses: [DeviceStatus]) throws(StoreError) {
        let st = try cachedStatement(
            """
            INSERT OR REPLACE INTO device_status(device, last_success, last_attempt, failures, last_error, bad_readings)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """)
        for s in statuses {
            try st.bind([
                .text(s.device), s.lastSuccess.map { .int($0) } ?? .null, s.lastAttempt.map { .int($0) } ?? .null,
                .int(Int64(s.consecutiveFailures)), s.lastError.map { .text($0) } ?? .null, .int(Int64(s.badReadings)),
            ])
            try st.run()
        }
    }

    /// Every device's saved state, by device id.
    public func deviceStatuses() throws(StoreError) -> [String: DeviceStatus] {
        let st = try db.prepare(
            "SELECT device, last_success, last_attempt, failures, last_error, bad_readings FROM device_status")
        var out: [String: DeviceStatus] = [:]
        while try st.step() {
            let d = st.text(0)
            out[d] = DeviceStatus(
                device: d, lastSuccess: st.optionalInt(1), lastAttempt: st.optionalInt(2),
                consecutiveFailures: Int(st.int(3)), lastError: st.isNull(4) ? nil : st.text(4),
                badReadings: Int(st.int(5)))
        }
        return out
    }

    /// The newest stored reading of a channel (the newest accepted one for counters).
    public func lastReading(channel id: Int64) throws(StoreError) -> Reading? {
        try minute.last(channel: id).map { Reading(ts: $0.ts, value: $0.value) }
    }

    /// The newest minute stored for any channel.
    public func newestMinute() throws(StoreError) -> Int64? {
        try minute.newest()
    }
}
