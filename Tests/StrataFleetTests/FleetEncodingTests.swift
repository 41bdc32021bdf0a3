import StrataCore
import Testing
@testable import StrataFleet

/// The pure parts of replication: what a bucket looks like on the COPY wire, which month
/// partition holds it, and the fleet export's CSV.
struct FleetEncodingTests {
    @Test func aCounterBucketOnTheCopyWire() {
        var g = Aggregate()
        g.count = 60
        g.consumption = 1234
        g.first = 10.5
        g.last = 11.734
        g.min = 10.5
        g.max = 11.734
        g.peak = 40
        g.peakStart = 1_772_323_200
        var out: [UInt8] = []
        BucketCopy.append(FleetBucket(device: "main", channel: "energy_import", tier: .hour, start: 1_772_319_600, end: 1_772_323_200,
                                      aggregate: g, isCounter: true), site: "plant\t1\\x", to: &out)
        let line = String(decoding: out, as: UTF8.self)
        let f = line.dropLast().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        #expect(line.hasSuffix("\n") && f.count == BucketCopy.columns.count)
        // Text escaped as COPY wants it: a tab in a name would otherwise shift every column.
        #expect(f[0] == "plant\\t1\\\\x")
        #expect(f[3] == "2" && f[4] == "2026-02-28 23:00:00+00" && f[5] == "2026-03-01 00:00:00+00")
        #expect(f[6] == "60" && f[7] == "1234" && f[10] == "\\N")  // a counter has no sum
        #expect(f[13] == "0" && f[14] == "40" && f[15] == "2026-03-01 00:00:00+00")
    }

    @Test func aGaugeBucketHasNoConsumptionAndMarksItsFlags() {
        var g = Aggregate()
        g.count = 3
        g.sum = 30
        g.min = 9
        g.max = 11
        g.interpolated = true
        var out: [UInt8] = []
        BucketCopy.append(FleetBucket(device: "d", channel: "power", tier: .quarter, start: 0, end: 900, aggregate: g, isCounter: false), site: "s", to: &out)
        let f = String(decoding: out.dropLast(), as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        #expect(f[7] == "\\N" && f[8] == "9.0" && f[9] == "11.0" && f[10] == "30.0" && f[11] == "\\N" && f[13] == "2")
    }

    @Test(arguments: [
        (Int64(1_772_319_600), "bucket_2026_02", "2026-02-01 00:00:00+00", "2026-03-01 00:00:00+00"),
        (Int64(1_798_761_599), "bucket_2026_12", "2026-12-01 00:00:00+00", "2027-01-01 00:00:00+00"),
        (Int64(1_798_761_600), "bucket_2027_01", "2027-01-01 00:00:00+00", "2027-02-01 00:00:00+00"),
    ])
    func monthPartitions(start: Int64, name: String, from: String, to: String) {
        let p = FleetSchema.partition(containing: start)
        #expect(p.name == name && p.from == from && p.to == to)
        #expect(FleetSchema.createPartition(containing: start).contains("PARTITION OF bucket FOR VALUES FROM ('\(from)') TO ('\(to)')"))
    }

    @Test func tiersRoundTrip() {
        for t in Tier.allCases { #expect(FleetSchema.tier(number: FleetSchema.tierNumber(t)) == t) }
    }

    @Test func exportRowsAreLabelledInTheirSitesOwnTime() {
        let rows = [
            FleetRow(site: "berlin", timezone: "Europe/Berlin", device: "main", channel: "energy_import", unit: "kWh", isCounter: true, decimals: 3,
                     start: 1_772_319_600, count: 1440, consumption: 20_820, mean: nil, min: nil, max: nil),
            FleetRow(site: "vancouver", timezone: "America/Vancouver", device: "main", channel: "power", unit: "W", isCounter: false, decimals: 1,
                     start: 1_772_352_000, count: 1440, consumption: nil, mean: 1000.25, min: 800, max: 1199),
        ]
        let iso = String(decoding: FleetTable.csv(rows, dialect: .iso), as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
        #expect(iso[0] == "site,device,channel,unit,start,utc_offset,readings,consumption,mean,min,max")
        #expect(iso[1].hasPrefix("berlin,main,energy_import,kWh,2026-03-01 00:00:00,") && iso[1].hasSuffix(",1440,20.820,,,"), "\(iso[1])")
        #expect(iso[2].hasPrefix("vancouver,main,power,W,2026-03-01 00:00:00,") && iso[2].hasSuffix(",1440,,1000.3,800.0,1199.0"), "\(iso[2])")
        let eu = String(decoding: FleetTable.csv(rows, dialect: .excelEU), as: UTF8.self)
        #expect(eu.hasPrefix("\u{FEFF}site;") && eu.contains(";20,820;"))
    }
}
