import Foundation
import StrataCore

extension StrataConfig {
    /// `[fleet]`: a central box. `strata run` keeps the fleet archive tree (every site's days,
    /// months and years from the central PostgreSQL) at `[archive] path`, where its FTP server
    /// and the share serve it, instead of an archive of meters of its own.
    public struct Fleet: Sendable {
        public var url: String
        public var passwordFile: String?
        public var caFile: String?
        /// Seconds between refreshes of the tree.
        public var interval: Int64 = 300

        public func password() throws -> String? {
            try StrataConfig.readPassword(passwordFile, key: "fleet.password_file")
        }
    }
}

extension Reader {
    func fleet(_ root: TOMLTable, devices: [StrataConfig.Device]) throws(ConfigError) -> StrataConfig.Fleet? {
        guard let t = try table(root, "fleet", path: "fleet") else { return nil }
        try checkKeys(t, allowed: ["url", "password_file", "ca_file", "interval"], path: "fleet")
        let login = try postgresLogin(t, section: "fleet")
        var f = StrataConfig.Fleet(url: login.url, passwordFile: login.passwordFile, caFile: login.caFile)
        if let s = try span(t, "interval", path: "fleet.interval", allowForever: false, most: 86_400)?.seconds {
            guard s >= 10 else { throw error("fleet.interval", t["interval"]?.line, "expected at least 10 s") }
            f.interval = s
        }
        // The tree is the archive: a site's own files would land among the site folders.
        if !devices.isEmpty {
            throw error(
                "fleet", t.line,
                "a central box ([fleet]) has no meters of its own: run the sites' devices in their own strata.toml")
        }
        return f
    }
}
