import StrataCore
import StrataStore

/// One write of the sampler, as committed: the readings of the config's channels and the
/// device statuses of the round.
public struct WrittenBatch: Sendable {
    public struct Value: Sendable {
        public var channel: ChannelSpec
        public var ts: Int64
        public var value: Double
    }

    public var values: [Value]
    public var statuses: [DeviceStatus]
}
