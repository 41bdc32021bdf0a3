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
        BucketCopy.append(
            FleetBucket(
                device: "main", channel: "energy_import", tier: .hour, start: 1_772_319_600, end: 1_772_323_200,
                aggregate: g, isCounter: true), site: "plant\t1\\x", to: &out)
        let line = String(decoding: out, as: UTF8.self)
        let f = line.dropLast().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        #expect(line.hasSuffix("\n") && f.count == BucketCopy.columns.count)
        // Text escaped as COPY wants it: a tab in a name would otherwise shift every column.
        #expect(f[0] == "plant\\t1\\\\x")
        #expect(f[3] == "2" && f[4] == "2026-02-28 23:00:00+00" && f[5] == "2026-03-01 00:00:00+00")
        #expect(f[6] == "60" && f[7] == "1234" && f[10] == "\\N") // a counter has no sum
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
        BucketCopy.append(
            FleetBucket(
                device: "d", channel: "power", tier: .quarter, start: 0, end: 900, aggregate: g, isCounter: false),
            site: "s", to: &out)
        let f = String(decoding: out.dropLast(), as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false)
            .map(String.init)
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
        #expect(
            FleetSchema.createPartition(containing: start).contains(
                "PARTITION OF bucket FOR VALUES FROM ('\(from)') TO ('\(to)')"))
    }

    /// Numbers and times are written without Strings on the bulk path; they must read as the
    /// same values Swift's own formatting gives.
    @Test(arguments: [
        0.0, -0.0, 1.0, -12.0, 0.1, 1234.5678, -0.001, 1e14, 999_999_999_999_999.0, 1e15, 1e300, 5e-324,
        123_456_789.125,
    ])
    func numbersReadBackAsTheSameDouble(_ v: Double) {
        var out: [UInt8] = []
        BucketCopy.number(v, &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(Double(text) == v && Double(text)?.sign == v.sign, "\(v) written as \(text)")
        #expect(text == "\(v)", "the same text as Swift's description")
    }

    @Test(arguments: [Int64(0), 59, 951_782_400, 951_868_799, 1_772_319_600, 4_102_444_799, -1, -86_401])
    func timesAreUTC(_ t: Int64) {
        #expect(BucketCopy.timestamp(t) == LocalDateTime(secondsSinceEpoch: t).description + "+00")
    }

    @Test(arguments: [Int64(0), 7, -7, 1_234_567_890_123, Int64.max, Int64.min])
    func integers(_ n: Int64) {
        var out: [UInt8] = []
        BucketCopy.digits(n, &out)
        #expect(String(decoding: out, as: UTF8.self) == String(n))
    }

    @Test func aPayloadNamesEachMonthItsRowsNeed() {
        var g = Aggregate()
        g.count = 1
        g.sum = 1
        let starts: [Int64] = [1_772_319_600, 1_772_323_200, 1_772_323_200 + 31 * 86_400, 1_772_319_600 + 3600]
        let buckets = starts.map {
            FleetBucket(
                device: "d", channel: "c", tier: .hour, start: $0, end: $0 + 3600, aggregate: g, isCounter: false)
        }
        let p = BucketCopy.encode(buckets, site: "s")
        #expect(p.rows == 4 && p.copy.filter { $0 == 0x0A }.count == 4)
        #expect(
            p.months.map { FleetSchema.partition(containing: $0).name } == [
                "bucket_2026_02", "bucket_2026_03", "bucket_2026_04",
            ])
    }

    @Test func tiersRoundTrip() {
        for t in Tier.allCases { #expect(FleetSchema.tier(number: FleetSchema.tierNumber(t)) == t) }
    }

    @Test func exportRowsAreLabelledInTheirSitesOwnTime() {
        let rows = [
            FleetRow(
                site: "berlin", timezone: "Europe/Berlin", device: "main", channel: "energy_import", unit: "kWh",
                isCounter: true, decimals: 3,
                start: 1_772_319_600, count: 1440, consumption: 20_820, mean: nil, min: nil, max: nil,
                siteName: "Werk Berlin"),
            FleetRow(
                site: "vancouver", timezone: "America/Vancouver", device: "main", channel: "power", unit: "W",
                isCounter: false, decimals: 1,
                start: 1_772_352_000, count: 1440, consumption: nil, mean: 1000.25, min: 800, max: 1199),
        ]
        let iso = String(decoding: FleetTable.csv(rows, dialect: .iso), as: UTF8.self).split(
            whereSeparator: \.isNewline
        ).map(String.init)
        #expect(iso[0] == "site,site_name,device,channel,unit,start,utc_offset,readings,consumption,mean,min,max")
        #expect(
            iso[1].hasPrefix("berlin,Werk Berlin,main,energy_import,kWh,2026-03-01 00:00:00,")
                && iso[1].hasSuffix(",1440,20.820,,,"), "\(iso[1])")
        #expect(
            iso[2].hasPrefix("vancouver,vancouver,main,power,W,2026-03-01 00:00:00,")
                && iso[2].hasSuffix(",1440,,1000.3,800.0,1199.0"), "\(iso[2])")
        let eu = String(decoding: FleetTable.csv(rows, dialect: .excelEU), as: UTF8.self)
        #expect(eu.hasPrefix("\u{FEFF}site;site_name;") && eu.contains(";20,820;"))
    }
}

/// Which files of the fleet tree a change on the server touches, and where they are.
struct FleetTreeLayoutTests {
    static let berlin = ZoneRules(identifier: "Europe/Berlin") ?? ZoneRules(fixedOffset: 3600)
    static let vancouver = ZoneRules(identifier: "America/Vancouver") ?? ZoneRules(fixedOffset: -28_800)
    static func month(_ y: Int, _ m: Int) -> Int64 {
        Int64(CivilDate(year: y, month: m, day: 1).daysSinceEpoch) * 86_400
    }

    @Test func aUTCMonthOfDaysCanReachIntoTheNextLocalMonth() {
        // Berlin's 1 March starts on 28 February, 23:00 UTC: in February's partition.
        let f = Set(
            FleetTreeLayout.files(
                site: "b", zone: Self.berlin, change: FleetChange(tier: 3, month: Self.month(2026, 2))))
        #expect(
            f == [
                .site("b", tier: .day, year: 2026), .fleet(tier: .day, period: 202_602),
                .fleet(tier: .day, period: 202_603),
            ])
    }

    @Test func aUTCJanuaryIsPartlyTheLocalYearBeforeWestOfGreenwich() {
        let f = Set(
            FleetTreeLayout.files(
                site: "v", zone: Self.vancouver, change: FleetChange(tier: 3, month: Self.month(2026, 1))))
        #expect(
            f == [
                .site("v", tier: .day, year: 2025), .site("v", tier: .day, year: 2026),
                .fleet(tier: .day, period: 202_512),
                .fleet(tier: .day, period: 202_601),
            ])
        let m = Set(
            FleetTreeLayout.files(
                site: "b", zone: Self.berlin, change: FleetChange(tier: 4, month: Self.month(2026, 12))))
        #expect(
            m == [
                .site("b", tier: .month, year: 2026), .fleet(tier: .month, period: 2026),
                .site("b", tier: .month, year: 2027),
                .fleet(tier: .month, period: 2027),
            ])
    }

    @Test(arguments: [0, 1, 2])
    func finerTiersAreNotInTheTree(tier: Int) {
        #expect(
            FleetTreeLayout.files(
                site: "b", zone: Self.berlin, change: FleetChange(tier: tier, month: Self.month(2026, 3))
            ).isEmpty)
    }

    @Test func theServerRecordsTheMonthsOfTheTiersTheTreeHolds() {
        #expect(FleetSchema.recordedTiers == [3, 4, 5])
        #expect(
            FleetSchema.recordChanges([FleetChange(tier: 3, month: Self.month(2026, 3))]).contains(
                "($1, 3, '2026-03-01', now())"))
    }

    @Test func paths() {
        let folder: (String) -> String = { $0 == "b" ? "Werk-Berlin" : $0 }
        #expect(
            FleetTreeLayout.File.site("b", tier: .day, year: 2026).path(folder: folder) == "Werk-Berlin/day/2026.csv")
        #expect(FleetTreeLayout.File.site("b", tier: .year, year: 0).path(folder: folder) == "Werk-Berlin/year/all.csv")
        #expect(
            FleetTreeLayout.File.fleet(tier: .day, period: 202_603).path(folder: folder) == "_fleet/day/2026-03.csv")
        #expect(FleetTreeLayout.File.fleet(tier: .month, period: 2026).path(folder: folder) == "_fleet/month/2026.csv")
        #expect(
            FleetTreeLayout.File.fleet(tier: .day, period: 202_603).dates?.from
                == CivilDate(year: 2026, month: 3, day: 1))
        #expect(
            FleetTreeLayout.folder("Werk Berlin / Süd", "id1") == "Werk-Berlin---Süd"
                && FleetTreeLayout.folder("***", "id1") == "id1")
    }
}
