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
    /// The server's change horizon when the last refresh began (`FleetLink.changes`); nil: the
    /// next refresh writes everything.
    public private(set) var horizon: Int64?
    /// Each site's folder as last written, to notice a renamed site.
    private var folders: [String: String] = [:]

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
        var (next, changes) = try await link.changes(since: horizon, tiers: FleetTreeLayout.tiers)
        if !renamed.isEmpty {
            // A renamed site's folder starts empty: all of its months, not only the new ones.
            changes += try await link.changes(since: nil, tiers: FleetTreeLayout.tiers).changes.filter {
                renamed.contains($0.site)
            }
        }
        var files = Set<FleetTreeLayout.File>()
        for (site, c) in changes {
            guard let zone = info[site]?.zone else { continue }
            files.formUnion(FleetTreeLayout.files(site: site, zone: zone, change: c))
        }
        let folder: (String) -> String = { info[$0]?.folder ?? $0 }
        // The fleet's files, open for the whole pass: each site's rows are added in turn.
        let fleetFiles = files.filter { if case .fleet = $0 { true } else { false } }.sorted()
        var outs: [FleetTreeLayout.File: [GrowingFile]] = [:]
        for f in fleetFiles {
            outs[f] = try dialects.map { d in
                let g = try GrowingFile("\(root)/\(d.rawValue)/\(f.path(folder: folder))")
                try g.append(FleetTable.header(dialect: d))
                return g
            }
        }
        var written = 0
        for s in sites {
            guard let zone = info[s.id]?.zone else { continue }
            let own = files.filter { if case .site(s.id, _, _) = $0 { true } else { false } }
            for tier in FleetTreeLayout.tiers {
                let wanted = (own + fleetFiles).filter { $0.tier == tier }.sorted()
                guard !wanted.isEmpty else { continue }
                // One read of this site's rows for all the files that want them.
                let rows = try await Self.rows(link, site: s.id, zone: zone, tier: tier, covering: wanted.map(\.dates))
                for f in wanted {
                    let mine = rows.filter { r in f.dates.map { r.date >= $0.from && r.date < $0.to } ?? true }.map(
                        \.row)
                    if case .site = f {
                        for d in dialects {
                            let path = "\(root)/\(d.rawValue)/\(f.path(folder: folder))"
                            if try ArchiveFiles.replaceIfChanged(path, with: FleetTable.csv(mine, dialect: d)) {
                                written += 1
                            }
                        }
                    } else if !mine.isEmpty, let o = outs[f] {
                        for (d, g) in zip(dialects, o) { try g.append(FleetTable.body(mine, dialect: d)) }
                    }
                }
            }
        }
        for o in outs.values { for g in o where try g.commit() { written += 1 } }
        for (id, s) in info { folders[id] = s.folder }
        horizon = next
        return written
    }

    /// A site's buckets of a tier over the local dates of several files (nil: all dates), each
    /// with its local date.
    static func rows(
        _ link: FleetLink, site: String, zone: ZoneRules, tier: Tier,
        covering spans: [(from: CivilDate, to: CivilDate)?]
    ) async throws -> [(row: FleetRow, date: CivilDate)] {
        var lo: Int64 = 0
        var hi: Int64 = 4_102_444_800
        let bounded = spans.compactMap { $0 }
        if bounded.count == spans.count, let from = bounded.map(\.from).min(), let to = bounded.map(\.to).max() {
            // Wide enough in UTC for every zone; the files keep their own local dates.
            lo = Int64(from.daysSinceEpoch) * 86_400 - 15 * 3600
            hi = Int64(to.daysSinceEpoch) * 86_400 + 15 * 3600
        }
        return try await link.rows(tier: tier, from: lo, to: hi, siteID: site).map { ($0, zone.local($0.start).date) }
    }
}
