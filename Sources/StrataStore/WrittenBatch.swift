import StrataCore

/// One write of the sampler, as committed: the readings of the config's channels and the
/// device statuses of the round.
public struct WrittenBatch: Sendable {
    public struct Value: Sendable {
        public var channel: ChannelSpec
        public var ts: Int64
        public var value: Double

        public init(channel: ChannelSpec, ts: Int64, value: Double) {
            self.channel = channel
            self.ts = ts
            self.value = value
        }
    }

    public var values: [Value]
    public var statuses: [DeviceStatus]

    public init(values: [Value], statuses: [DeviceStatus]) {
        self.values = values
        self.statuses = statuses
    }
}
