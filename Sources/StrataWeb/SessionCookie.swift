import StrataCore

/// A signed session: `user.expires.signature` in a cookie. The server keeps no session table,
/// so a restart keeps everyone logged in (the key is kept next to the store), and there is
/// nothing to fill up with a flood of logins.
package struct SessionCookie: Sendable, Equatable {
    package static let name = "strata_session"

    package var user: String
    /// Epoch seconds after which the session is refused.
    package var expires: Int64

    package init(user: String, expires: Int64) {
        self.user = user
        self.expires = expires
    }

    /// The cookie's value, signed with `key`.
    package func value(key: [UInt8]) -> String {
        let payload = Base64URL.encode(Array(user.utf8)) + "." + String(expires)
        return payload + "." + Base64URL.encode(HMAC.sha256(key: key, Array(payload.utf8)))
    }

    /// The session a cookie value holds, if its signature is right and it has not expired.
    package static func verify(_ value: some StringProtocol, key: [UInt8], now: Int64) -> SessionCookie? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let userBytes = Base64URL.decode(parts[0]), let expires = Int64(parts[1]),
            let sig = Base64URL.decode(parts[2])
        else { return nil }
        let payload = Array("\(parts[0]).\(parts[1])".utf8)
        guard HMAC.constantTimeEqual(sig, HMAC.sha256(key: key, payload)), expires > now else { return nil }
        return SessionCookie(user: String(decoding: userBytes, as: UTF8.self), expires: expires)
    }

    /// The CSRF token of this session's forms: derived from the cookie, so a page of another
    /// site (which can make the browser send the cookie but cannot read it) cannot know it.
    package static func csrfToken(cookieValue: some StringProtocol, key: [UInt8]) -> String {
        Base64URL.encode(HMAC.sha256(key: key, Array("csrf:\(cookieValue)".utf8)))
    }
}
