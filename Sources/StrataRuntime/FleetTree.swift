import Foundation
import StrataArchive
import StrataCore
import StrataFleet
import StrataFleetLink

/// The fleet archive tree (`FleetTreeLayout`), kept from the central server's buckets for the
/// FTP server and the share.
///
/// A refresh rewrites only the files whose months some push changed since the last one (the
/// server's `site_change`), so its cost follows what arrived, not the size of the fleet; the
/// first one writes everything. Fleet files are written a site at a time into a temporary
/// file: memory holds one site's rows, however many sites there are.
public struct FleetTree: Sendable {
    public let root: String
    public let dialects: [CSVDialect]
    /// The server's time when the last refresh began; nil: everything is written.
    public private(set) var since: Date?
    /// Each site's folder as last written, to notice a renamed site.
    private var folders: [String: String] = [:]

    /// How far before the last refresh changes are read again: a push commits after it began,
    /// with the change time of its start (pushes are given up after `[replication] timeout`).
    static let overlap: TimeInterval = 3600

    public init(root: String, dialects: [CSVDialect]) {
        self.root = root
        self.dialects = dialects
    }

    /// Writes the files changed since the last refresh; returns how many files changed.
    public mutating func refresh(_ link: FleetLink) async throws -> Int {
        let sites = try await link.sites()
        var renamed: Set<String> = []
        var info: [String: (zone: ZoneRules, folder: String)] = [:]
        for s in sites {
            let folder = FleetTreeLayout.folder(s.name, s.id)
            info[s.id] = (ZoneRules(identifier: s.timezone) ?? ZoneRules(fixedOffset: 0), folder)
            if let old = folders[s.id], old != folder { renamed.insert(s.id) }
        }
        var (now, changes) = try await link.changes(since: since.map { $0.addingTimeInterval(-Self.overlap) }, tiers: FleetTreeLayout.tiers)
        if !renamed.isEmpty {
            // A renamed site's folder starts empty: all of its months, not only the new ones.
            changes += try await link.changes(since: nil, tiers: FleetTreeLayout.tiers).changes.filter { renamed.contains($0.site) }
        }
        var files = Set<FleetTreeLayout.File>()
        for (site, c) in changes {
            guard let zone = info[site]?.zone else { continue }
            files.formUnion(FleetTreeLayout.files(site: site, zone: zone, change: c))
        }
        let folder: (String) -> String = { info[$0]?.folder ?? $0 }
        var written = 0
        for f in files.sorted() {
            switch f {
            case .site(let site, _, _):
                guard let zone = info[site]?.zone else { continue }
                let rows = try await Self.rows(link, site: site, zone: zone, file: f)
                for d in dialects {
                    let path = "\(root)/\(d.rawValue)/\(f.path(folder: folder))"
                    let bytes = FleetTable.csv(rows, dialect: d)
                    // Unchanged bytes leave the file (and the time mirroring clients compare) alone.
                    if FileManager.default.contents(atPath: path).map({ Array($0) }) == bytes { continue }
                    try ArchiveFiles.replace(path, with: bytes)
                    written += 1
                }
            case .fleet:
                let outs = try dialects.map { d in try GrowingFile("\(root)/\(d.rawValue)/\(f.path(folder: folder))") }
                for (d, o) in zip(dialects, outs) { try o.append(FleetTable.header(dialect: d)) }
                for s in sites {
                    guard let zone = info[s.id]?.zone else { continue }
                    let rows = try await Self.rows(link, site: s.id, zone: zone, file: f)
                    guard !rows.isEmpty else { continue }
                    for (d, o) in zip(dialects, outs) { try o.append(FleetTable.body(rows, dialect: d)) }
                }
                for o in outs where try o.commit() { written += 1 }
            }
        }
        for (id, s) in info { folders[id] = s.folder }
        since = now
        return written
    }

    /// A site's buckets for a file: its tier, in the file's local dates in the site's zone.
    static func rows(_ link: FleetLink, site: String, zone: ZoneRules, file: FleetTreeLayout.File) async throws -> [FleetRow] {
        guard let (from, to) = file.dates else {
            return try await link.rows(tier: file.tier, from: 0, to: 4_102_444_800, siteID: site)
        }
        // Wide enough in UTC for every zone; the site's own dates are kept below.
        let lo = Int64(from.daysSinceEpoch) * 86_400 - 15 * 3600, hi = Int64(to.daysSinceEpoch) * 86_400 + 15 * 3600
        return try await link.rows(tier: file.tier, from: lo, to: hi, siteID: site).filter { r in
            let d = zone.local(r.start).date
            return d >= from && d < to
        }
    }
}
