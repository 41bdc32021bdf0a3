import Foundation
import StrataCore

extension StrataConfig {
    /// The `[web]` section: the dashboard, the HTTP API and `/metrics`. Users are the FTP
    /// users (`[[ftp.users]]`), with the same homes.
    public struct Web: Sendable {
        public var port = 8080
        /// true binds every interface; false (the default) only 127.0.0.1.
        public var isPublic = false
        /// An explicit address to bind, overriding `public`.
        public var listen: String?
        /// Hashes (`strata passwd` format) of the tokens scripts and Home Assistant send as
        /// `Authorization: Bearer <token>`; a token reads everything a home of "" reads.
        public var apiTokens: [String] = []
        /// HTTPS with these PEM files; `tls = true` takes `[ftp]`'s tls_cert and tls_key.
        public var tlsCert: String?
        public var tlsKey: String?
        public var maxConnections = 512
        public var maxPerAddress = 32
        /// How long a browser session lasts after login.
        public var sessionLifetime: Int64 = 7 * 86_400

        public var bindAddress: String { listen ?? (isPublic ? "0.0.0.0" : "127.0.0.1") }
    }
}

extension Reader {
    func web(_ root: TOMLTable, ftp: StrataConfig.FTP?) throws(ConfigError) -> StrataConfig.Web? {
        guard let t = try table(root, "web", path: "web") else { return nil }
        try checkKeys(
            t,
            allowed: [
                "port", "public", "listen", "api_tokens", "tls", "tls_cert", "tls_key", "max_connections",
                "max_per_address",
                "session_lifetime",
            ], path: "web")
        var w = StrataConfig.Web()
        if let p = try whole(t, "port", path: "web.port", 1...65535) { w.port = p }
        if let p = try bool(t, "public", path: "web.public") { w.isPublic = p }
        w.listen = try string(t, "listen", path: "web.listen")
        if let tokens = try strings(t, "api_tokens", path: "web.api_tokens") {
            for (i, h) in tokens.enumerated() {
                do {
                    _ = try PasswordHash.parse(h)
                } catch {
                    throw self.error(
                        "web.api_tokens[\(i)]", t["api_tokens"]?.line,
                        "\(error); store the token's hash, made with `strata passwd`, not the token itself")
                }
            }
            w.apiTokens = tokens
        }
        w.tlsCert = try string(t, "tls_cert", path: "web.tls_cert").map {
            StrataConfig.absolutePath($0, relativeTo: folder)
        }
        w.tlsKey = try string(t, "tls_key", path: "web.tls_key").map {
            StrataConfig.absolutePath($0, relativeTo: folder)
        }
        if let tls = try bool(t, "tls", path: "web.tls"), tls, w.tlsCert == nil {
            guard let c = ftp?.tlsCert, let k = ftp?.tlsKey else {
                throw error(
                    "web.tls", t["tls"]?.line,
                    "tls = true takes [ftp]'s tls_cert and tls_key, and [ftp] has none; set web.tls_cert and web.tls_key"
                )
            }
            w.tlsCert = c
            w.tlsKey = k
        }
        if (w.tlsCert == nil) != (w.tlsKey == nil) {
            let k = w.tlsCert == nil ? "tls_cert" : "tls_key"
            throw error("web.\(k)", t.line, "missing; HTTPS needs both tls_cert and tls_key (PEM files)")
        }
        if let m = try whole(t, "max_connections", path: "web.max_connections", 1...100_000) { w.maxConnections = m }
        if let m = try whole(t, "max_per_address", path: "web.max_per_address", 1...100_000) { w.maxPerAddress = m }
        if let s = try span(
            t, "session_lifetime", path: "web.session_lifetime", allowForever: false, most: 366 * 86_400),
            let secs = s.seconds
        {
            w.sessionLifetime = max(60, secs)
        }
        return w
    }
}
