import Foundation
import NIOCore
import NIOSSL
import StrataCore

/// A user who may log in: the FTP users, with their homes.
package struct WebUser: Sendable {
    package var name: String
    package var home: String
    package var check: @Sendable (String) -> Bool

    package init(name: String, home: String, check: @escaping @Sendable (String) -> Bool) {
        self.name = name
        self.home = home
        self.check = check
    }
}

/// Everything the web server needs that is not the store: where to listen, who may log in,
/// the limits that keep a hostile client from hurting anyone else.
package struct WebSettings: Sendable {
    package var host: String
    package var port: Int
    package var users: [WebUser]
    /// Hashes of API tokens (`strata passwd` format).
    package var tokenHashes: [String] = []
    /// Reading without logging in (the FTP server's `anonymous = true`).
    package var anonymous = false
    package var tls: TLSConfiguration?
    package var maxConnections = 512
    package var maxPerAddress = 32
    var timeouts = ConnectionGuard.Timeouts()
    /// Signs session cookies: kept in a file next to the store so a restart logs nobody out.
    package var sessionKey: [UInt8]
    package var sessionLifetime: Int64 = 7 * 86_400
    /// The most values one series response carries.
    package var maxCells = 2_000_000

    package init(host: String, port: Int, users: [WebUser], sessionKey: [UInt8]) {
        self.host = host
        self.port = port
        self.users = users
        self.sessionKey = sessionKey
    }

    package mutating func setTimeouts(head: Int64, request: Int64) {
        timeouts = .init(head: .seconds(head), request: .seconds(request))
    }

    /// The session key in `file`, made (32 random bytes, mode 0600) on first use.
    package static func sessionKey(file: String) throws -> [UInt8] {
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
    package static func tls(certificate: String, key: String) throws -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let k = try NIOSSLPrivateKey(file: key, format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(k))
        } catch {
            throw WebSetupError(reason: "web TLS: cannot load \(certificate) / \(key): \(error)")
        }
    }
}

package struct WebSetupError: Error, CustomStringConvertible {
    package let reason: String
    package init(reason: String) { self.reason = reason }
    package var description: String { reason }
}
