import Foundation
import StrataConfig
import StrataCore
import StrataWeb

extension WebSettings {
    /// The web server's settings from `[web]`, with `[ftp]`'s users (the same logins and
    /// homes) and the session key kept next to the store.
    package init(_ w: StrataConfig.Web, config: StrataConfig) throws(WebSetupError) {
        let users = (config.ftp?.users ?? []).map { u in
            let hash = u.passwordHash
            return WebUser(name: u.name, home: u.home, check: { PasswordHash.verify($0, against: hash) })
        }
        let keyFile = ((config.storage.path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
            "web-session.key")
        let key: [UInt8]
        do { key = try WebSettings.sessionKey(file: keyFile) } catch { throw WebSetupError(reason: "\(error)") }
        self.init(host: w.bindAddress, port: w.port, users: users, sessionKey: key)
        tokenHashes = w.apiTokens
        anonymous = config.ftp?.anonymous ?? false
        maxConnections = w.maxConnections
        maxPerAddress = w.maxPerAddress
        sessionLifetime = w.sessionLifetime
        if let c = w.tlsCert, let k = w.tlsKey {
            do { tls = try WebSettings.tls(certificate: c, key: k) } catch { throw WebSetupError(reason: "\(error)") }
        }
    }
}
