import Foundation
import Logging
import StrataConfig
import StrataCore
import StrataStore

/// The embedded default site `strata demo` runs: simulated meters of a small office building.
public enum DemoSite {
    /// The config the demo uses, as a user would write it.
    public static func config(dataDir: String, archiveDir: String, timezone: String) -> String {
        """
        # Strata demo site: simulated meters of a small office building.
        # Written by `strata demo`; start your own site from it (README, "Configuration").

        [site]
        name = "Strata demo office"
        timezone = "\(timezone)"

        [storage]
        path = "\(dataDir)/strata.sqlite"
        budget = "2 GB"

        [archive]
        path = "\(archiveDir)"
        dialects = ["excel-eu", "iso"]

        # Reports. Without an [smtp] section they are written to the outbox folder as .eml
        # files (open them with any mail program); add [smtp] to mail them (README, "Reports").
        [outbox]
        path = "\(dataDir)/outbox"

        [[reports]]
        name = "daily"
        schedule = "daily"
        at = "06:00"
        to = ["facility.manager@example.org"]
        dialect = "excel-eu"

        [[reports]]
        name = "weekly"
        schedule = "weekly"
        at = "06:30"
        to = ["facility.manager@example.org"]
        dialect = "excel-eu"
        devices = ["main", "hvac", "kitchen"]

        [[reports]]
        name = "monthly"
        schedule = "monthly"
        at = "07:00"
        to = ["facility.manager@example.org", "controlling@example.org"]
        dialect = "excel-eu"
        # Days whose reactive energy runs above these shares of the active energy are listed.
        reactive_limit_inductive = 0.20
        reactive_limit_capacitive = 0.15

        # Tariff bands (README, "Reports"): the first that covers an hour prices it.
        [[tariffs]]
        name = "holiday"
        price = 0.17
        currency = "EUR"
        day_types = ["holiday"]

        [[tariffs]]
        name = "winter-peak"
        price = 0.31
        currency = "EUR"
        hours = "07:00-20:00"
        day_types = ["workday"]
        seasons = ["10-01..03-31"]

        [[tariffs]]
        name = "peak"
        price = 0.28
        currency = "EUR"
        hours = "07:00-20:00"
        days = ["mon", "tue", "wed", "thu", "fri"]

        [[tariffs]]
        name = "off-peak"
        price = 0.19
        currency = "EUR"

        [[holidays]]
        name = "New Year"
        date = "01-01"

        [[holidays]]
        name = "Easter Monday"
        easter = 1

        [[holidays]]
        name = "Christmas"
        date = "12-25"

        # The building's consumption that no sub-meter sees.
        [[calculated]]
        id = "unmetered"
        name = "Main without HVAC and kitchen"
        formula = "main.energy_import - hvac.energy_import - kitchen.energy_import"

        # Alarms (README, "Alarms"): each raise and clear is an e-mail through the outbox, a line
        # in `strata alarms` and in _site/alarms/ of the archive.
        [[alarms]]
        id = "kitchen-offline"
        kind = "offline"
        device = "kitchen"
        for = "3 min"
        notify = ["facility.manager@example.org"]

        # Water running all night is a leak; the simulated meter leaks some nights, found in
        # the back-filled history (notices of minutes hours old are logged, not mailed).
        [[alarms]]
        id = "night-water"
        kind = "consumption"
        device = "water"
        channel = "volume"
        window = "00:00-05:00"
        above = 1
        notify = ["facility.manager@example.org"]

        # Strata's own trouble: storage budget over 90 %, archive or mail failing, a wrong clock.
        [[alarms]]
        id = "strata-health"
        kind = "system"
        severity = "critical"
        notify = ["admin@example.org"]

        [[devices]]
        id = "main"
        name = "Main electricity meter"
        driver = "simulated"
        profile = "eastron-sdm630"
        simulate = "electricity"
        size = 3.0

        [[devices]]
        id = "hvac"
        name = "HVAC sub-meter"
        driver = "simulated"
        profile = "eastron-sdm630"
        simulate = "electricity"
        size = 1.2

        [[devices]]
        id = "kitchen"
        name = "Kitchen sub-meter"
        driver = "simulated"
        profile = "eastron-sdm120"
        simulate = "electricity"
        size = 0.3
        # Simulated only: stops answering for 5 minutes, 2 minutes after the start and then
        # every hour, so the kitchen-offline alarm below has something to say.
        outage_every = "1 h"
        outage_for = "5 min"

        [[devices]]
        id = "water"
        name = "Cold water"
        driver = "simulated"
        simulate = "water"
        size = 1.0

          [[devices.channels]]
          id = "volume"
          unit = "m³"
          kind = "counter"
          resolution = 0.001

          [[devices.channels]]
          id = "flow"
          unit = "m³/h"
          kind = "gauge"
          resolution = 0.001

        [[devices]]
        id = "gas"
        name = "Gas (heating)"
        driver = "simulated"
        simulate = "gas"
        size = 1.0

          [[devices.channels]]
          id = "volume"
          unit = "m³"
          kind = "counter"
          resolution = 0.001

          [[devices.channels]]
          id = "flow"
          unit = "m³/h"
          kind = "gauge"
          resolution = 0.001

        """
    }

    /// Fills the store with simulated history from `from` to `to` (UTC minutes), continuing
    /// each counter from its stored reading; one transaction per simulated day.
    public static func backfill(
        config: StrataConfig, store: any SampleStore, from: Int64, to: Int64,
        progress: (Int64) -> Void = { _ in }
    ) async throws -> Int {
        let devices = config.devices.filter { $0.driver == "simulated" }
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
