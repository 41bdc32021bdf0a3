import Foundation
import Logging
import StrataConfig
import StrataCore
import StrataSampler
import StrataStore

/// The embedded default site `strata demo` runs: simulated meters of a small office building.
public enum DemoSite {
    /// The config the demo uses, as a user would write it: `Embedded/demo.toml` (embedded into
    /// the binary at build time) with its folders and time zone filled in.
    public static func config(dataDir: String, archiveDir: String, timezone: String) -> String {
        Embedded.demoToml.replacingOccurrences(of: "{{timezone}}", with: timezone)
            .replacingOccurrences(of: "{{data}}", with: dataDir)
            .replacingOccurrences(of: "{{archive}}", with: archiveDir)
    }

    /// Fills the store with simulated history from `from` to `to` (UTC minutes), continuing
    /// each counter from its stored reading; one transaction per simulated day.
    public static func backfill(
        config: StrataConfig, store: any SampleStore, from: Int64, to: Int64,
        progress: (Int64) -> Void = { _ in }
    ) async throws -> Int {
        let devices = config.devices.filter(\.isSimulated)
        let all = await store.channelIDs()
        var meters: [SimulatedMeter] = []
        var ids: [[Int64?]] = []
        for d in devices {
            var m = SimulatedMeter(device: d, zone: config.site.zone)
            let chIDs = d.channels.prefix(d.readCount).map { all[d.id]?[$0.id] }
            let last = try await store.lastReadings(chIDs.map { $0 ?? -1 })
            m.resume(from: last.map { $0?.value }, at: last.compactMap { $0?.ts }.max().map(Double.init))
            meters.append(m)
            ids.append(chIDs)
        }
        var written = 0
        var t = from - floorMod(from, 60)
        while t <= to {
            let end = min(to, t + 86_400 - 60)
            var samples: [Sample] = []
            samples.reserveCapacity(Int((end - t) / 60 + 1) * ids.reduce(0) { $0 + $1.count })
            var m = t
            while m <= end {
                for i in meters.indices {
                    let values = meters[i].read(at: Double(m))
                    for (k, v) in values.enumerated() {
                        if let v, let id = ids[i][k] { samples.append(Sample(channel: id, ts: m, value: v)) }
                    }
                }
                m += 60
            }
            try await store.write(samples, statuses: [])
            written += samples.count
            progress(end)
            t = end + 60
        }
        return written
    }
}
