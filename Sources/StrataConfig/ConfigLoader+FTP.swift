import Foundation
import StrataCore

extension StrataConfig {
    /// The `[ftp]` section: the read-only FTP view of the archive.
    public struct FTP: Sendable {
        public struct User: Sendable {
            public var name: String
            public var passwordHash: String
            /// Folder inside the archive ("" for all of it).
            public var home: String
        }

        public var listen = "0.0.0.0"
        public var port = 2121
        public var passivePorts: ClosedRange<Int>? = 40000...40199
        public var publicHost: String?
        public var tlsCert: String?
        public var tlsKey: String?
        public var requireTLS = false
        /// Data connections must resume the client's TLS session (vsftpd's require_ssl_reuse):
        /// FileZilla, curl and lftp do; Python's ftplib does not.
        public var requireTLSResumption = false
        public var anonymous = false
        public var maxClients = 200
        public var maxPerIP = 20
        public var loginAttempts = 3
        public var idleTimeout: Int64 = 300
        /// A client must log in within this; a data connection that takes nothing this long is closed.
        public var loginTimeout: Int64 = 60
        public var dataTimeout: Int64 = 60
        /// A second port with TLS from the first byte (implicit FTPS, usually 990); needs tls_cert/tls_key.
        public var implicitTLSPort: Int?
        public var users: [User] = []
    }
}

extension Reader {
    func ftp(_ root: TOMLTable) throws(ConfigError) -> StrataConfig.FTP? {
        guard let t = try table(root, "ftp", path: "ftp") else { return nil }
        try checkKeys(
            t,
            allowed: [
                "listen", "port", "passive_ports", "public_host", "tls_cert", "tls_key", "require_tls", "anonymous",
                "max_clients",
                "max_per_ip", "login_attempts", "idle_timeout", "users", "login_timeout", "data_timeout",
                "implicit_tls_port",
                "require_tls_resumption",
            ], path: "ftp")
        var f = StrataConfig.FTP()
        func int(_ key: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int? {
            try whole(t, key, path: "ftp.\(key)", range)
        }
        if let l = try string(t, "listen", path: "ftp.listen") { f.listen = l }
        if let p = try int("port", 1...65535) { f.port = p }
        if let s = try string(t, "passive_ports", path: "ftp.passive_ports") {
            let parts = s.split(separator: "-").map { Int($0.trimmingSpaces) }
            guard parts.count == 2, let a = parts[0], let b = parts[1], 1024 <= a, a <= b, b <= 65535 else {
                throw error(
                    "ftp.passive_ports", t["passive_ports"]?.line,
                    "expected a port range like \"40000-40199\" (above 1023), found \"\(s)\"")
            }
            f.passivePorts = a...b
        }
        f.publicHost = try string(t, "public_host", path: "ftp.public_host")
        if let h = f.publicHost,
            h.split(separator: ".").count != 4 || h.split(separator: ".").contains(where: { UInt8($0) == nil })
        {
            // PASV replies carry four numbers: a name cannot be announced there.
            throw error(
                "ftp.public_host", t["public_host"]?.line,
                "expected the IPv4 address clients reach the server at (PASV announces numbers), found \"\(h)\"")
        }
        f.tlsCert = try string(t, "tls_cert", path: "ftp.tls_cert").map {
            StrataConfig.absolutePath($0, relativeTo: folder)
        }
        f.tlsKey = try string(t, "tls_key", path: "ftp.tls_key").map {
            StrataConfig.absolutePath($0, relativeTo: folder)
        }
        if let r = try bool(t, "require_tls", path: "ftp.require_tls") { f.requireTLS = r }
        if (f.tlsCert == nil) != (f.tlsKey == nil) {
            let k = f.tlsCert == nil ? "tls_cert" : "tls_key"
            throw error("ftp.\(k)", t.line, "missing; FTPS needs both tls_cert and tls_key (PEM files)")
        }
        if f.requireTLS && f.tlsCert == nil {
            // Better no FTP than passwords in clear text where the admin asked for TLS.
            throw error("ftp.require_tls", t["require_tls"]?.line, "require_tls = true needs tls_cert and tls_key")
        }
        if let r = try bool(t, "require_tls_resumption", path: "ftp.require_tls_resumption") {
            if r && f.tlsCert == nil {
                throw error(
                    "ftp.require_tls_resumption", t["require_tls_resumption"]?.line,
                    "require_tls_resumption = true needs tls_cert and tls_key")
            }
            f.requireTLSResumption = r
        }
        if let a = try bool(t, "anonymous", path: "ftp.anonymous") { f.anonymous = a }
        if let m = try int("max_clients", 1...10_000) { f.maxClients = m }
        if let m = try int("max_per_ip", 1...10_000) { f.maxPerIP = m }
        if let m = try int("login_attempts", 1...20) { f.loginAttempts = m }
        if let s = try span(t, "idle_timeout", path: "ftp.idle_timeout", allowForever: false, most: 7 * 86_400),
            let secs = s.seconds
        {
            f.idleTimeout = secs
        }
        if let s = try span(t, "login_timeout", path: "ftp.login_timeout", allowForever: false, most: 7 * 86_400),
            let secs = s.seconds
        {
            f.loginTimeout = secs
        }
        if let s = try span(t, "data_timeout", path: "ftp.data_timeout", allowForever: false, most: 7 * 86_400),
            let secs = s.seconds
        {
            f.dataTimeout = secs
        }
        if let p = try int("implicit_tls_port", 1...65535) {
            guard f.tlsCert != nil else {
                throw error(
                    "ftp.implicit_tls_port", t["implicit_tls_port"]?.line, "implicit FTPS needs tls_cert and tls_key")
            }
            guard p != f.port else {
                throw error("ftp.implicit_tls_port", t["implicit_tls_port"]?.line, "must differ from port (\(f.port))")
            }
            f.implicitTLSPort = p
        }
        if let un = t["users"] {
            guard case .array(let items) = un.value else {
                throw error("ftp.users", un.line, "expected [[ftp.users]] tables")
            }
            for (i, item) in items.enumerated() {
                let p = "ftp.users[\(i)]"
                guard case .table(let u) = item.value else { throw error(p, item.line, "expected a table") }
                try checkKeys(u, allowed: ["name", "password_hash", "home"], path: p)
                let name = try string(u, "name", path: "\(p).name", required: true, tableLine: u.line) ?? ""
                guard !name.isEmpty, !name.contains(" ") else {
                    throw error("\(p).name", u["name"]?.line, "expected a user name without spaces")
                }
                if f.users.contains(where: { $0.name == name }) {
                    throw error("\(p).name", u["name"]?.line, "user \"\(name)\" is defined twice")
                }
                let hash =
                    try string(u, "password_hash", path: "\(p).password_hash", required: true, tableLine: u.line) ?? ""
                do {
                    _ = try PasswordHash.parse(hash)
                } catch {
                    throw self.error(
                        "\(p).password_hash", u["password_hash"]?.line, "\(error); make one with `strata passwd`")
                }
                let home = try string(u, "home", path: "\(p).home") ?? ""
                if home.hasPrefix("/") || home.split(separator: "/").contains("..") {
                    throw error(
                        "\(p).home", u["home"]?.line,
                        "expected a folder inside the archive, like \"excel-eu\" or \"iso/main\"")
                }
                f.users.append(.init(name: name, passwordHash: hash, home: home))
            }
        }
        return f
    }
}
