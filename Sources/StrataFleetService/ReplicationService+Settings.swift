import StrataConfig

extension ReplicationService {
    /// What replication needs of the config: the central server, and the site as it sends it.
    public struct Settings: Sendable {
        public var replication: StrataConfig.Replication
        public var siteName: String
        public var timezone: String
        public var devices: [(id: String, name: String)]
        /// The configured channels (`device/channel`) the fleet gets; the store's own helper
        /// channels (`_min`/`_max`) are not among them.
        public var channels: Set<String>

        public init(
            replication: StrataConfig.Replication, siteName: String, timezone: String,
            devices: [(id: String, name: String)], channels: Set<String>
        ) {
            self.replication = replication
            self.siteName = siteName
            self.timezone = timezone
            self.devices = devices
            self.channels = channels
        }

        /// The settings of a config's `[replication]` section; nil without one.
        public init?(_ config: StrataConfig) {
            guard let r = config.replication else { return nil }
            self.init(
                replication: r, siteName: config.site.name, timezone: config.site.timezone,
                devices: config.devices.map { (id: $0.id, name: $0.name) },
                channels: Set(config.devices.flatMap { d in d.channels.map { "\(d.id)/\($0.id)" } }))
        }
    }
}
