import StrataConfig
import StrataCore

extension FleetService {
    /// What the fleet tree service needs of the config: the central server and the tree's place.
    public struct Settings: Sendable {
        public var fleet: StrataConfig.Fleet
        /// `[archive] path`: on a central box the fleet tree is the archive the FTP server serves.
        public var archivePath: String
        public var dialects: [CSVDialect]

        public init(fleet: StrataConfig.Fleet, archivePath: String, dialects: [CSVDialect]) {
            self.fleet = fleet
            self.archivePath = archivePath
            self.dialects = dialects
        }

        /// The settings of a config's `[fleet]` section; nil without one.
        public init?(_ config: StrataConfig) {
            guard let f = config.fleet else { return nil }
            self.init(fleet: f, archivePath: config.archive.path, dialects: config.archive.dialects)
        }
    }
}
