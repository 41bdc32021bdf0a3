import Foundation
import NIOCore
import NIOSSL

/// Settings of the FTP server (the `[ftp]` config section, or the demo's).
public struct FTPServerConfig: Sendable {
    public var listen: String
    public var port: Int
    /// Passive data ports; nil: any free port.
    public var passivePorts: ClosedRange<Int>?
    /// Address announced in 227 replies (NAT); nil: the control connection's local address.
    public var publicHost: String?
    public var root: String
    public var users: [FTPUser]
    public var maxClients: Int
    public var maxPerIP: Int
    public var loginAttempts: Int
    public var idleTimeout: TimeAmount
    /// Explicit FTPS (AUTH TLS); nil: plain FTP only.
    public var tls: NIOSSLContext?
    public var requireTLS: Bool
    /// A second port where TLS starts with the first byte (implicit FTPS); needs `tls`.
    public var implicitTLSPort: Int?
    /// A client that has not logged in by then gets 421 and is closed.
    public var loginTimeout: TimeAmount = .seconds(60)
    /// A data connection that takes nothing for this long is closed (426).
    public var dataTimeout: TimeAmount = .seconds(60)
    /// A TLS data connection must resume a session of this server (`require_tls_resumption`),
    /// or the transfer gets 522.
    public var requireTLSResumption = false
    /// Counts what every connection of this server sends.
    public let stats = FTPStats()

    public init(
        listen: String, port: Int, passivePorts: ClosedRange<Int>? = nil, publicHost: String? = nil, root: String,
        users: [FTPUser], maxClients: Int = 200, maxPerIP: Int = 20, loginAttempts: Int = 3,
        idleTimeout: TimeAmount = .minutes(5),
        tls: NIOSSLContext? = nil, requireTLS: Bool = false
    ) {
        self.tls = tls
        self.requireTLS = requireTLS
        self.listen = listen
        self.port = port
        self.passivePorts = passivePorts
        self.publicHost = publicHost
        self.root = root
        self.users = users
        self.maxClients = maxClients
        self.maxPerIP = maxPerIP
        self.loginAttempts = loginAttempts
        self.idleTimeout = idleTimeout
    }
}

extension FTPServerConfig {
    /// A server TLS context from PEM files, with errors that name the file.
    public static func tlsContext(certificate: String, key: String) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificate) } catch {
            throw FTPConfigError.badFile(certificate, "not a PEM certificate (\(error))")
        }
        let privateKey: NIOSSLPrivateKey
        do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
            throw FTPConfigError.badFile(key, "not a PEM private key (\(error))")
        }
        var c = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        c.minimumTLSVersion = .tlsv12
        do { return try NIOSSLContext(configuration: c) } catch {
            throw FTPConfigError.badFile(certificate, "the certificate and key do not make a TLS context (\(error))")
        }
    }
}

public enum FTPConfigError: Error, CustomStringConvertible {
    case badFile(String, String)

    public var description: String {
        switch self {
        case .badFile(let f, let m): "\(f): \(m)"
        }
    }
}

public struct FTPUser: Sendable {
    public var name: String
    /// Folder inside the served tree ("" for all of it).
    public var home: String
    let check: @Sendable (String) -> Bool

    public init(name: String, home: String, check: @escaping @Sendable (String) -> Bool) {
        self.name = name
        self.home = home
        self.check = check
    }
}
