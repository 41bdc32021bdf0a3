import StrataConfig
import StrataCore

extension MQTTService {
    /// What the publisher needs of the config besides `[mqtt]`: the site's name and calendar,
    /// and the devices it publishes (polled and calculated ones; import-only ones have nothing
    /// live to say).
    public struct Site: Sendable {
        public struct Device: Sendable {
            public var id: String
            public var name: String
            public var channels: [ChannelSpec]
            /// The profile's id, as the discovery config's model.
            public var model: String?
            /// Calculated channels have no meter to fail: online while Strata is.
            public var alwaysAvailable: Bool
        }

        public var name: String
        public var zone: ZoneRules
        public var devices: [Device]

        public init(_ config: StrataConfig) {
            name = config.site.name
            zone = config.site.zone
            devices = config.devices.filter { $0.isPolled || $0.isCalculated }.map {
                Device(
                    id: $0.id, name: $0.name, channels: $0.channels, model: $0.profile?.id,
                    alwaysAvailable: $0.isCalculated)
            }
        }
    }
}
