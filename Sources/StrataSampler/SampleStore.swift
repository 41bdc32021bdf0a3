import StrataCore
import StrataStore

/// What the sampler needs of the store while it runs. The runtime's store actor provides it;
/// the sampler never opens a store itself, so it does not decide who owns the file.
public protocol SampleStore: Sendable {
    /// Channel ids by device and channel.
    func channelIDs() async -> [String: [String: Int64]]
    func newestMinute() async throws(StoreError) -> Int64?
    /// The last stored reading of each channel id, in order (nil where there is none).
    func lastReadings(_ ids: [Int64]) async throws(StoreError) -> [Reading?]
    @discardableResult
    func write(_ samples: [Sample], statuses: [DeviceStatus]) async throws(StoreError) -> WriteResult
    func statuses() async throws(StoreError) -> [String: DeviceStatus]
    /// The clock is implausible or behind the store (true), or sampling again (false); told on
    /// each change so system alarm rules hear of a box that stopped sampling.
    func clockTrouble(_ implausible: Bool, now: Int64) async
}

extension SampleStore {
    public func clockTrouble(_ implausible: Bool, now: Int64) async {}
}
