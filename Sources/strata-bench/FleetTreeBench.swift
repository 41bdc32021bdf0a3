import Foundation
import Logging
import StrataCore
import StrataFleet
import StrataFleetLink
import StrataFleetService
import StrataRuntime

/// `strata-bench fleet-tree`: the central box's fleet archive tree, on a real PostgreSQL started
/// here. `sites` sites of `channels` channels (meters of 20, half counters) each push a year of days and
/// their months; then the tree is written whole (a central box's first refresh), then every
/// site pushes one more day and the tree is refreshed (a day's work). The reference, in the
/// same run: `psql \copy (SELECT …) TO` of the same rows as CSV, PostgreSQL's own export.
enum FleetTreeBench {
    static func run(dir: String, sites: Int, channels: Int, days: Int, port: Int) async throws {
        let cluster = try FleetBench.Cluster(port: port, databases: ["fleet"])
        defer { cluster.stop() }
        let logger = Logger(label: "bench")
        let link = try await FleetLink.connect(
            try FleetTarget(url: cluster.url("fleet"), password: "bench"), logger: logger)
        defer { Task { await link.close() } }
        _ = try await link.initSchema()
        let first = (Int64(Date().timeIntervalSince1970) / 86_400 - Int64(days) - 1) * 86_400
        var infos: [FleetLink.SiteInfo] = []
        for s in 0..<sites {
            let devices = (0..<max(1, channels / 20)).map { (id: "d\($0)", name: "Meter \($0)") }
            var chans: [(device: String, id: String, name: String, unit: String, kind: String, decimals: Int)] = []
            for d in devices {
                for c in 1...20 {
                    chans.append(
                        (
                            d.id, "c\(c)", "c\(c)", c % 2 == 1 ? "kWh" : "W", c % 2 == 1 ? "counter" : "gauge",
                            c % 2 == 1 ? 3 : 1
                        ))
                }
            }
            infos.append(
                FleetLink.SiteInfo(
                    id: "site-\(s)", name: "Site \(s)", timezone: "Europe/Paris", devices: devices, channels: chans))
        }
        func buckets(_ site: FleetLink.SiteInfo, days range: Range<Int>) -> [FleetBucket] {
            var out: [FleetBucket] = []
            for day in range {
                let start = first + Int64(day) * 86_400 - 3600
                for (k, c) in site.channels.enumerated() {
                    var g = Aggregate()
                    g.count = 1440
                    if c.kind == "counter" {
                        g.consumption = Int64(10_000 + (day * 7 + k) % 5000)
                    } else {
                        g.sum = Double(1440 * (800 + (day + k) % 400))
                        g.min = 700
                        g.max = 1300
                    }
                    out.append(
                        FleetBucket(
                            device: c.device, channel: c.id, tier: .day, start: start, end: start + 86_400,
                            aggregate: g,
                            isCounter: c.kind == "counter"))
                }
            }
            return out
        }
        let perSite = infos.first?.channels.count ?? 0
        print(
            "# fleet-tree: \(sites) sites × \(perSite) channels, \(days) days each, PostgreSQL \(cluster.version) on loopback"
        )
        let p0 = Bench.clock()
        for s in infos { try await link.push(s, buckets: buckets(s, days: 0..<days), events: []) }
        let rows = sites * perSite * days
        print(String(format: "loaded %d day rows in %.1f s", rows, Bench.clock() - p0))

        var tree = FleetTree(root: dir + "/tree", dialects: [.iso])
        let t0 = Bench.clock()
        let files = try await tree.refresh(link)
        let full = Bench.clock() - t0
        let r0 = Bench.clock()
        _ = try cluster.psql(
            "fleet",
            """
            \\copy (SELECT b.site, s.name, b.device, b.channel, c.unit, b.start, b.count, b.consumption, b.sum / b.count, b.min, b.max \
            FROM bucket b JOIN site s USING (site) JOIN channel c USING (site, device, channel) WHERE b.tier = 3 \
            ORDER BY b.site, b.device, b.channel, b.start) TO '\(cluster.dir)/ref.csv' CSV
            """)
        let reference = Bench.clock() - r0
        print(
            String(
                format:
                    "first refresh (the whole tree): %d files, %.2f s; psql \\copy of the same rows to CSV: %.2f s; ratio %.2f×",
                files, full, reference, reference / full))

        // A day later: every site pushes one more day; the refresh writes what that touched.
        for s in infos { try await link.push(s, buckets: buckets(s, days: days..<(days + 1)), events: []) }
        let i0 = Bench.clock()
        let changed = try await tree.refresh(link)
        let incremental = Bench.clock() - i0
        print(
            String(
                format: "refresh after a day's pushes: %d files, %.2f s (%.1f %% of the first)", changed, incremental,
                100 * incremental / full))
        let n0 = Bench.clock()
        let none = try await tree.refresh(link)
        print(String(format: "refresh with nothing new: %d files, %.3f s", none, Bench.clock() - n0))
    }
}
