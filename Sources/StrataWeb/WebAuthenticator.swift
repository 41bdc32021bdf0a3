import Foundation
import StrataCore

/// Who a request is: from a session cookie, HTTP Basic (the FTP users) or a bearer token.
///
/// Passwords and tokens are stored as scrypt hashes that take tens of milliseconds to check:
/// a script polling every few seconds would spend a core on that, so a credential that
/// checked out is remembered (by its SHA-256, never in clear) for a few minutes.
package final class WebAuthenticator: @unchecked Sendable {
    let users: [String: WebUser]
    let tokenHashes: [String]
    let sessionKey: [UInt8]
    let anonymous: Bool
    private let lock = NSLock()
    private var verified: [[UInt8]: (access: WebAccess, until: Int64)] = [:]
    static let cacheSeconds: Int64 = 300
    static let cacheSize = 256

    package init(settings: WebSettings) {
        var u: [String: WebUser] = [:]
        for user in settings.users { u[user.name] = user }
        users = u
        tokenHashes = settings.tokenHashes
        sessionKey = settings.sessionKey
        anonymous = settings.anonymous
    }

    /// A user name and password, as the login form and HTTP Basic give them.
    package func login(user: String, password: String, now: Int64) -> WebAccess? {
        cached(["basic", user, password], now: now) {
            guard let u = users[user], u.check(password) else { return nil }
            return WebAccess(user: u.name, home: u.home)
        }
    }

    /// `Authorization` header: `Basic …` or `Bearer …`.
    package func authorization(_ header: String, now: Int64) -> (WebAccess?, scheme: String) {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return (nil, "") }
        let scheme = parts[0].lowercased()
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        switch scheme {
        case "basic":
            guard let raw = Data(base64Encoded: value), let text = String(data: raw, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return (nil, scheme) }
            return (
                login(user: String(text[..<colon]), password: String(text[text.index(after: colon)...]), now: now),
                scheme
            )
        case "bearer":
            return (token(value, now: now), scheme)
        default:
            return (nil, scheme)
        }
    }

    package func token(_ token: String, now: Int64) -> WebAccess? {
        guard !tokenHashes.isEmpty, token.count >= 8 else { return nil }
        return cached(["token", token], now: now) {
            tokenHashes.contains { PasswordHash.verify(token, against: $0) }
                ? WebAccess.everything(user: "api-token") : nil
        }
    }

    /// The access of a signed session cookie; nil when forged, expired or of a removed user.
    package func session(_ cookie: String, now: Int64) -> WebAccess? {
        guard let s = SessionCookie.verify(cookie, key: sessionKey, now: now) else { return nil }
        if let u = users[s.user] { return WebAccess(user: u.name, home: u.home) }
        return anonymous && s.user == "anonymous" ? .everything(user: "anonymous") : nil
    }

    private func cached(_ parts: [String], now: Int64, _ check: () -> WebAccess?) -> WebAccess? {
        var h = SHA256()
        for p in parts {
            h.update(Array(p.utf8))
            h.update([0])
        }
        let key = h.finalize()
        if let hit = lock.withLock({ verified[key] }), hit.until > now { return hit.access }
        guard let access = check() else { return nil }
        lock.withLock {
            if verified.count >= Self.cacheSize { verified = verified.filter { $0.value.until > now } }
            if verified.count >= Self.cacheSize { verified.removeAll() }
            verified[key] = (access, now + Self.cacheSeconds)
        }
        return access
    }
}
