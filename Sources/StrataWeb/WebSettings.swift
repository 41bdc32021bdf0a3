import Foundation
import NIOCore
import NIOSSL
import StrataCore

/// A user who may log in: the FTP users, with their homes.
public struct WebUser: Sendable {
    public var name: String
    public var home: String
    public var check: @Sendable (String) -> Bool

    public init(name: String, home: String, check: @escaping @Sendable (String) -> Bool) {
        self.name = name
        self.home = home
        self.check = check
    }
}

/// Everything the web server needs that is not the store: where to listen, who may log in,
/// the limits that keep a hostile client from hurting anyone else.
public struct WebSettings: Sendable {
    public var host: String
    public var port: Int
    public var users: [WebUser]
    /// Hashes of API tokens (`strata passwd` format).
    public var tokenHashes: [String] = []
    /// Reading without logging in (the FTP server's `anonymous = true`).
    public var anonymous = false
    public var tls: TLSConfiguration?
    public var maxConnections = 512
    public var maxPerAddress = 32
    var timeouts = ConnectionGuard.Timeouts()
    /// Signs session cookies: kept in a file next to the store so a restart logs nobody out.
    public var sessionKey: [UInt8]
    public var sessionLifetime: Int64 = 7 * 86_400
    /// The most values one series response carries.
    public var maxCells = 2_000_000

    public init(host: String, port: Int, users: [WebUser], sessionKey: [UInt8]) {
        self.host = host
        self.port = port
        self.users = users
        self.sessionKey = sessionKey
    }

    public mutating func setTimeouts(head: Int64, request: Int64) {
        timeouts = .init(head: .seconds(head), request: .seconds(request))
    }

    /// The session key in `file`, made (32 random bytes, mode 0600) on first use.
    public static func sessionKey(file: String) throws -> [UInt8] {
        if let d = FileManager.default.contents(atPath: file), d.count >= 32 { return Array(d) }
        var key = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in key.indices { key[i] = UInt8.random(in: 0...255, using: &rng) }
        // The store's folder may not exist yet on a first start.
        try? FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let tmp = file + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(key), attributes: [.posixPermissions: 0o600])
        else {
            throw WebSetupError(reason: "cannot write the session key \(file)")
        }
        _ = rename(tmp, file)
        return key
    }

    /// A TLS context from PEM files, as FTPS loads them.
    public static func tls(certificate: String, key: String) throws -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let k = try NIOSSLPrivateKey(file: key, format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(k))
        } catch {
            throw WebSetupError(reason: "web TLS: cannot load \(certificate) / \(key): \(error)")
        }
    }
}

public struct WebSetupError: Error, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}
