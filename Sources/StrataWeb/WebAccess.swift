import StrataCore

/// What one logged-in user may see, derived from its FTP home (the same user and the same
/// limits over FTP, the share and the web): a home of `""` sees all, `excel-eu` all devices,
/// `iso/main` (or `excel-eu/main/day`) only the device `main`.
package struct WebAccess: Sendable, Equatable {
    package var user: String
    /// The archive folder the user is confined to ("" for all of it).
    package var home: String
    /// nil: every device.
    package var devices: Set<String>?
    /// The dialect of the user's home, the default of its CSV downloads.
    package var dialect: CSVDialect?
    /// The site-wide pages (outbox, config, `_site` files) need a home of the whole archive
    /// or of a dialect: a user confined to one meter sees that meter only.
    package var seesSite: Bool { devices == nil }

    package init(user: String, home: String) {
        self.user = user
        self.home = home
        let parts = home.split(separator: "/").map(String.init)
        dialect = parts.first.flatMap { CSVDialect(rawValue: $0) }
        if parts.count >= 2 {
            devices = parts[1] == "_site" ? [] : [parts[1]]
        } else if parts.count == 1 && dialect == nil {
            // A home outside the dialect folders (none exist today) grants no meter.
            devices = []
        }
    }

    package static func everything(user: String) -> WebAccess { WebAccess(user: user, home: "") }

    package func allows(device: String) -> Bool { devices?.contains(device) ?? true }

    /// Whether an archive path (relative to the archive root) is inside the user's home.
    package func allows(path: String) -> Bool {
        if home.isEmpty { return true }
        let h = home.split(separator: "/")
        let p = path.split(separator: "/")
        return p.count >= h.count && Array(p.prefix(h.count)) == h
    }
}
