import Foundation
import StrataCore

extension StrataConfig {
    /// `[replication]`: pushing this site's closed buckets to a central PostgreSQL.
    public struct Replication: Sendable {
        public var url: String
        public var passwordFile: String?
        public var caFile: String?
        public var tiers: [Tier]
        /// nil: the stable id kept in the store.
        public var siteID: String?
        /// Seconds between pushes while caught up.
        public var interval: Int64 = 60
        /// Buckets per server transaction (a catch-up is many of them).
        public var batchRows = 50_000
        /// Seconds a push may take before its connection is given up (a server that died
        /// mid-transfer may never answer).
        public var timeout: Int64 = 60

        /// The password, read when the service starts (the file may be rotated meanwhile).
        public func password() throws -> String? {
            try StrataConfig.readPassword(passwordFile, key: "replication.password_file")
        }
    }

    /// A password file's first line; nil without a file.
    static func readPassword(_ file: String?, key: String) throws -> String? {
        guard let f = file else { return nil }
        guard let p = passwordFile(f) else {
            throw ConfigError(file: f, line: nil, key: key, message: "cannot read the password file")
        }
        return p
    }

    /// The password a file holds (its trailing line ends dropped); nil when it cannot be read.
    public static func passwordFile(_ path: String) -> String? {
        guard let d = FileManager.default.contents(atPath: path), let s = String(data: d, encoding: .utf8) else {
            return nil
        }
        return s.trimmingCharacters(in: .newlines)
    }
}

extension Reader {
    static let replicationDefaultTiers: [Tier] = [.quarter, .hour, .day, .month, .year]

    func replication(_ root: TOMLTable) throws(ConfigError) -> StrataConfig.Replication? {
        guard let t = try table(root, "replication", path: "replication") else { return nil }
        try checkKeys(
            t, allowed: ["url", "password_file", "ca_file", "tiers", "site_id", "interval", "batch_rows", "timeout"],
            path: "replication")
        let login = try postgresLogin(t, section: "replication")
        var r = StrataConfig.Replication(url: login.url, tiers: Self.replicationDefaultTiers)
        r.passwordFile = login.passwordFile
        r.caFile = login.caFile
        if let list = try strings(
            t, "tiers", path: "replication.tiers", example: "[\"quarter\", \"hour\", \"day\", \"month\", \"year\"]")
        {
            var tiers: [Tier] = []
            for (name, line) in list {
                guard let tier = Tier(name: name) else {
                    throw error(
                        "replication.tiers", line,
                        "expected any of \"minute\", \"quarter\", \"hour\", \"day\", \"month\", \"year\", found \"\(name)\""
                    )
                }
                if !tiers.contains(tier) { tiers.append(tier) }
            }
            r.tiers = tiers.sorted()
        }
        if let id = try string(t, "site_id", path: "replication.site_id") {
            try checkIdentifier(id, key: "replication.site_id", line: t["site_id"]?.line)
            r.siteID = id
        }
        if let s = try span(t, "interval", path: "replication.interval", allowForever: false, most: 86_400)?.seconds {
            guard s >= 5 else { throw error("replication.interval", t["interval"]?.line, "expected at least 5 s") }
            r.interval = s
        }
        if let s = try span(t, "timeout", path: "replication.timeout", allowForever: false, most: 3600)?.seconds {
            guard s >= 1 else { throw error("replication.timeout", t["timeout"]?.line, "expected at least 1 s") }
            r.timeout = s
        }
        if let n = try whole(
            t, "batch_rows", path: "replication.batch_rows", 1000...10_000_000, "a number of buckets per push")
        {
            r.batchRows = n
        }
        return r
    }

    /// `url`, `password_file` and `ca_file` of a section that reaches the central PostgreSQL.
    func postgresLogin(_ t: TOMLTable, section: String) throws(ConfigError) -> (
        url: String, passwordFile: String?, caFile: String?
    ) {
        let url = try string(t, "url", path: "\(section).url", required: true, tableLine: t.line) ?? ""
        guard let u = URLComponents(string: url), ["postgres", "postgresql"].contains(u.scheme ?? ""), let h = u.host,
            !h.isEmpty
        else {
            throw error(
                "\(section).url", t["url"]?.line,
                "expected a PostgreSQL URL like \"postgres://strata@central.example.org:5432/strata\", found \"\(url)\""
            )
        }
        if u.password != nil {
            throw error(
                "\(section).url", t["url"]?.line,
                "put the password in password_file, not in the URL (the URL is logged)")
        }
        var out: (url: String, passwordFile: String?, caFile: String?) = (url, nil, nil)
        if let pf = try string(t, "password_file", path: "\(section).password_file") {
            let abs = StrataConfig.absolutePath(pf, relativeTo: folder)
            guard FileManager.default.isReadableFile(atPath: abs) else {
                throw error(
                    "\(section).password_file", t["password_file"]?.line,
                    "cannot read \(abs) (does it exist, and may strata read it?)")
            }
            out.passwordFile = abs
        }
        if let ca = try string(t, "ca_file", path: "\(section).ca_file") {
            let abs = StrataConfig.absolutePath(ca, relativeTo: folder)
            guard FileManager.default.isReadableFile(atPath: abs) else {
                throw error("\(section).ca_file", t["ca_file"]?.line, "cannot read \(abs)")
            }
            out.caFile = abs
        }
        return out
    }
}
