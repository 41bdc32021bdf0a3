import Hummingbird
import NIOCore

/// The request context of the web server: who is asking, and from where.
package struct WebContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The peer's IP address; nil in in-memory router tests (treated as remote).
    package let remoteAddress: String?
    package var access: WebAccess?
    /// The session cookie's value, from which the CSRF token of this user's forms is derived.
    package var sessionCookie: String?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// 127.0.0.0/8 and ::1: the box itself, where `/metrics` and HTTP Basic over plain HTTP are allowed.
    package var isLoopback: Bool {
        guard let a = remoteAddress else { return false }
        return a.hasPrefix("127.") || a == "::1" || a.hasPrefix("::ffff:127.")
    }
}
