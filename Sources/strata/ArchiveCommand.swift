import ArgumentParser
import Foundation
import Logging
import StrataArchive
import StrataConfig
import StrataCore
import StrataRuntime
import StrataStore

struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Bring the CSV archive tree up to date (archive.path in the config).")

    @OptionGroup var options: ConfigOption
    @Flag(help: "Check every file against the store and rewrite what differs (files already right keep their mtime).")
    var rebuild = false

    func run() throws {
        bootstrapLogging()
        let cfg = try options.load()
        let store = try cfg.openStore()
        try storeCall { try store.rollUp(now: nowSeconds()) }
        var writer = ArchiveWriter(
            store: store, root: cfg.archive.path, dialects: cfg.archive.dialects,
            devices: cfg.devices.map(\.id), prune: cfg.archive.prune, siteName: cfg.site.name)
        writer.reactiveLimits = cfg.reactiveLimits
        let s = try storeCall { try writer.run(rebuild: rebuild) }
        print(
            "archive \(cfg.archive.path): \(s.created) files created, \(s.appended) appended, \(s.replaced) replaced, "
                + "\(s.unchanged) unchanged, \(s.closed) closed\(s.stale.isEmpty ? "" : ", \(s.stale.count) stale\(cfg.archive.prune ? " (deleted)" : " (kept)")")"
        )
    }
}

struct Share: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a ready network-share definition of the archive for an admin to install.",
        subcommands: [Samba.self, NFS.self])

    struct Samba: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An smb.conf share section (read-only).")
        @OptionGroup var options: ConfigOption
        @Option(help: "Share name.") var name: String = "archive"
        @Option(help: "Users or @groups allowed (default: guest access).") var users: [String] = []

        func run() throws {
            let cfg = try options.load()
            print(SharePrinter.samba(name: name, path: cfg.archive.path, site: cfg.site.name, users: users))
        }
    }

    struct NFS: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "nfs", abstract: "An /etc/exports line (read-only).")
        @OptionGroup var options: ConfigOption
        @Option(help: "Clients allowed, e.g. 192.168.1.0/24.") var clients: String = "*"

        func run() throws {
            let cfg = try options.load()
            print(SharePrinter.nfs(path: cfg.archive.path, clients: clients))
        }
    }
}

enum SharePrinter {
    static func samba(name: String, path: String, site: String, users: [String]) -> String {
        var lines = [
            "[\(name)]",
            "   comment = Strata meter archive of \(site)",
            "   path = \(path)",
            "   read only = yes",
            "   browseable = yes",
            // Half-written temporaries are never shown; readers see whole files only.
            "   veto files = /\(ArchiveLayout.temporaryPrefix)*/",
            "   delete veto files = no",
            "   follow symlinks = no",
            "   wide links = no",
        ]
        if users.isEmpty {
            lines += ["   guest ok = yes", "   guest only = yes"]
        } else {
            lines += ["   guest ok = no", "   valid users = \(users.joined(separator: " "))"]
        }
        return lines.joined(separator: "\n")
    }

    static func nfs(path: String, clients: String) -> String {
        "\(path) \(clients)(ro,all_squash,no_subtree_check,sync)"
    }
}
