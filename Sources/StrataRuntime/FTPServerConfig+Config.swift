import StrataConfig
import StrataCore
import StrataFTP

/// A `[ftp]` section whose certificate or key does not load.
public struct FTPSettingsError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "ftp.tls_cert / ftp.tls_key: \(reason)" }
}

extension FTPServerConfig {
    /// The FTP server's settings from the config's `[ftp]` section, serving `root`.
    public init(_ f: StrataConfig.FTP, root: String) throws(FTPSettingsError) {
        var users = f.users.map { u in
            let hash = u.passwordHash
            return FTPUser(name: u.name, home: u.home, check: { PasswordHash.verify($0, against: hash) })
        }
        if f.anonymous {
            for name in ["anonymous", "ftp"] { users.append(FTPUser(name: name, home: "", check: { _ in true })) }
        }
        self.init(
            listen: f.listen, port: f.port, passivePorts: f.passivePorts, publicHost: f.publicHost, root: root,
            users: users, maxClients: f.maxClients, maxPerIP: f.maxPerIP, loginAttempts: f.loginAttempts,
            idleTimeout: .seconds(f.idleTimeout), requireTLS: f.requireTLS)
        loginTimeout = .seconds(f.loginTimeout)
        dataTimeout = .seconds(f.dataTimeout)
        requireTLSResumption = f.requireTLSResumption
        implicitTLSPort = f.implicitTLSPort
        if let cert = f.tlsCert, let key = f.tlsKey {
            do {
                tls = try FTPServerConfig.tlsContext(certificate: cert, key: key)
            } catch {
                throw FTPSettingsError(reason: "\(error)")
            }
        }
    }
}
