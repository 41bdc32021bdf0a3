import Foundation
import StrataCore
import StrataTestSupport
import Testing

@testable import StrataStore

/// The minute tier's closed days in compact blocks: what goes in comes out bit for bit,
/// late data lands in its day's block, damage is named and contained, old stores migrate.
@Suite struct MinuteBlockTests {
    let t0: Int64 = 1_792_792_800 // 2026-10-24 00:00 Europe/Paris; the next night has 25 hours
    let paris = SiteCalendar(zone: ZoneRules(identifier: "Europe/Paris")!)

    /// Channels of every kind and scale the property test writes.
    var specs: [ChannelSpec] {
        [
            ChannelSpec(
                device: "m", id: "kwh", unit: "kWh", kind: .counter, resolution: Resolution(decimals: 3),
                rollover: 100_000),
            ChannelSpec(device: "m", id: "litres", unit: "L", kind: .counter, resolution: Resolution(decimals: 0)),
            ChannelSpec(device: "m", id: "tens", unit: "L", kind: .counter, resolution: Resolution(decimals: -1)),
            ChannelSpec(device: "m", id: "watts", unit: "W", kind: .gauge, resolution: Resolution(decimals: 0)),
            ChannelSpec(device: "m", id: "volts", unit: "V", kind: .gauge, resolution: Resolution(decimals: 1)),
            ChannelSpec(device: "m", id: "wild", unit: "x", kind: .gauge, resolution: Resolution(decimals: 2)),
        ]
    }

    /// Four days of readings: gaps, repeats, resets, a rollover, written in random batches,
    /// some values off their channel's resolution and doubles of every magnitude.
    func series(_ s: Store, seed: UInt64) throws -> [[Sample]] {
        var rng = SplitMix(seed: seed)
        var all: [Sample] = []
        for c in s.channels {
            var counter = Double(Int.random(in: 0..<90_000, using: &rng))
            for m in 0..<(4 * 1440) {
                if Int.random(in: 0..<100, using: &rng) < 8 { continue } // gap
                let ts = t0 + Int64(m) * 60 + Int64.random(in: 0..<60, using: &rng)
                let v: Double
                switch (c.spec.kind, c.spec.id) {
                case (.counter, _):
                    let r = Int.random(in: 0..<1000, using: &rng)
                    if r == 0 {
                        counter = 0
                    } // reset
                    else if r < 700 {
                        counter += Double(Int.random(in: 0..<40, using: &rng))
                    } // else a repeat
                    if c.spec.rollover != nil && counter > 99_990 { counter -= 100_000 }
                    let d = Double(c.spec.resolution.decimals)
                    v = (counter * (c.spec.resolution.decimals >= 0 ? 1 : 10)).rounded() / pow(10, max(0, d))
                case (.gauge, "wild"):
                    let e = Double(Int.random(in: -30...30, using: &rng))
                    v = Double.random(in: -1...1, using: &rng) * pow(10, e)
                default:
                    v =
                        Int.random(in: 0..<10, using: &rng) < 3
                        ? 0 : Double.random(in: 0...5000, using: &rng).rounded() / 10
                }
                all.append(Sample(channel: c.id, ts: ts, value: v))
            }
        }
        all.shuffle(using: &rng)
        var batches: [[Sample]] = []
        var i = 0
        while i < all.count {
            let n = Int.random(in: 1...5000, using: &rng)
            batches.append(Array(all[i..<min(all.count, i + n)]))
            i += n
        }
        return batches
    }

    func everyRow(_ s: Store) throws -> [String] {
        var out: [String] = []
        for c in s.channels {
            for r in try s.minute.rows(channel: c.id, from: t0 - 86_400, to: t0 + 6 * 86_400) {
                out.append(
                    "\(r.channel) \(r.ts) \(r.value.bitPattern) \(r.cum.map(String.init) ?? "-") \(r.hwm.map(String.init) ?? "-")"
                )
            }
        }
        return out
    }

    func aggregates(_ s: Store) throws -> [String] {
        try Tier.aggregated.flatMap { t in
            try s.storedAggregates(t, from: t0 - 86_400, to: t0 + 400 * 86_400, channel: nil).map {
                "\(t) \($0.0) \($0.1) \($0.2)"
            }
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func closedDaysRoundTripBitExactThroughTheStore(seed: UInt64) throws {
        let dir = TempDir()
        let s = try openStore(dir, specs, calendar: paris)
        for b in try series(s, seed: seed) { try s.write(b) }
        // Before any roll-up every reading is a row: the reference.
        let rows = try everyRow(s)
        let count = try s.minuteCount()
        #expect(try s.minute.blockTotals().points == 0)
        let r = try s.rollUp(now: t0 + 4 * 86_400 + 3600)
        #expect(r.daysCompacted >= 3)
        // Closed UTC days left the row table entirely; the open one stayed.
        let loose = try #require(try s.db.scalarInt("SELECT min(ts) FROM minute"))
        #expect(loose >= MinuteTier.dayStart(s.watermark), "rows of closed days remain from \(loose)")
        #expect(try s.minute.blockTotals().points > 0)
        #expect(try everyRow(s) == rows)
        #expect(try s.minuteCount() == count)
        // Rolled up again from scratch, now reading the blocks: the same aggregates as from rows.
        let aggs = try aggregates(s)
        #expect(aggs.count > 1000)
        try s.db.exec("DELETE FROM agg")
        try s.setMeta("watermark", "0")
        s.watermark = 0
        s.anchors = [:]
        s.anchorsLoaded = false
        try s.rollUp(now: t0 + 4 * 86_400 + 3600)
        #expect(try aggregates(s) == aggs)
    }

    @Test func lateDataIntoACompactedDayIsReadAtOnceAndFoldedIntoItsBlockByTheRollUp() throws {
        let dir = TempDir()
        let spec = ChannelSpec(device: "m", id: "kwh", unit: "kWh", kind: .counter)
        let s = try openStore(dir, [spec], calendar: paris)
        let id = s.channels[0].id
        var samples: [Sample] = []
        for m in 0..<(3 * 1440) where !(100..<160).contains(m) {
            samples.append(Sample(channel: id, ts: t0 + Int64(m) * 60, value: 1000 + Double(m) * 0.01))
        }
        try s.write(samples)
        try s.rollUp(now: t0 + 3 * 86_400 + 600)
        let day = MinuteTier.dayStart(t0 + 100 * 60)
        #expect(try s.minute.block(channel: id, day: day) != nil)
        let blocked = try s.minuteCount()
        // The gap filled late, and one existing reading written again with the same value.
        let late = (100..<160).map { Sample(channel: id, ts: t0 + Int64($0) * 60, value: 1000 + Double($0) * 0.01) }
        try s.write(late + [Sample(channel: id, ts: t0 + 200 * 60, value: 1000 + 2.0)])
        #expect(try s.minuteCount() == blocked + 60)
        let read = try s.minute.rows(channel: id, from: t0 + 90 * 60, to: t0 + 170 * 60)
        #expect(read.map(\.ts) == (90..<170).map { t0 + Int64($0) * 60 })
        let r = try s.rollUp(now: t0 + 3 * 86_400 + 600)
        #expect(r.dirtyRanges == 1)
        #expect(try s.db.scalarInt("SELECT count(*) FROM minute WHERE ts < \(day + 86_400)") == 0)
        #expect(try s.minuteCount() == blocked + 60)
        // The same as a store that got every reading in order.
        let twin = try openStore(TempDir(), [spec], calendar: paris)
        try twin.write(
            (0..<(3 * 1440)).map { Sample(channel: id, ts: t0 + Int64($0) * 60, value: 1000 + Double($0) * 0.01) })
        try twin.rollUp(now: t0 + 3 * 86_400 + 600)
        #expect(try aggregates(s) == aggregates(twin))
        #expect(try everyRow(s) == everyRow(twin))
    }

    @Test func aDamagedBlockIsNamedAndTheRestStaysReadable() throws {
        let dir = TempDir()
        let specs = [
            ChannelSpec(device: "m", id: "kwh", unit: "kWh", kind: .counter),
            ChannelSpec(device: "m", id: "w", unit: "W", kind: .gauge),
        ]
        let s = try openStore(dir, specs, calendar: paris)
        let (e, w) = (s.channels[0].id, s.channels[1].id)
        var samples: [Sample] = []
        for m in 0..<(3 * 1440) {
            samples.append(Sample(channel: e, ts: t0 + Int64(m) * 60, value: 50 + Double(m) * 0.004))
            samples.append(Sample(channel: w, ts: t0 + Int64(m) * 60, value: Double(m % 300)))
        }
        try s.write(samples)
        try s.rollUp(now: t0 + 3 * 86_400 + 600)
        let dayBefore = try aggregates(s)
        let day = MinuteTier.dayStart(t0 + 86_400)
        // One bit flipped in the middle of the gauge's block of that day.
        let data = try #require(try s.minute.block(channel: w, day: day))
        var bad = data
        bad[data.count / 2] ^= 0x10
        for (k, v) in [w, day, day, day + 86_340, 1440].enumerated() { s.minute.blockPut.bind(Int32(k + 1), v) }
        s.minute.blockPut.bind(6, blob: bad)
        try s.minute.blockPut.run()
        let verified = try s.verifyBlocks()
        #expect(verified.damaged.count == 1)
        #expect(verified.damaged.first?.channel == "m.w")
        #expect(verified.damaged.first?.day == day)
        #expect(verified.blocks >= 4)
        // Reading that channel-day is an error naming both; never numbers.
        do {
            _ = try s.minute.rows(channel: w, from: day, to: day + 86_400)
            Issue.record("a damaged block was read")
        } catch {
            let text = "\(error)"
            #expect(
                text.contains("m.w") && text.contains(CivilDate(daysSinceEpoch: Int(day / 86_400)).description),
                "\(text)")
        }
        // The other channel, the other days and every aggregate read as before.
        #expect(try s.minute.rows(channel: e, from: day, to: day + 86_400).count == 1440)
        #expect(try s.minute.rows(channel: w, from: day + 86_400, to: day + 2 * 86_400).count > 0)
        #expect(try aggregates(s) == dayBefore)
        // Late data into the damaged day stays in rows; the roll-up leaves that day's
        // aggregates as they were and goes on with the other channel's late data.
        try s.write([
            Sample(channel: w, ts: day + 600, value: 7), Sample(channel: e, ts: t0 + 3 * 86_400 + 60, value: 9999),
        ])
        let r = try s.rollUp(now: t0 + 3 * 86_400 + 600)
        #expect(r.dirtyRanges == 1)
        #expect(try s.db.scalarInt("SELECT count(*) FROM dirty") == 0)
        #expect(try s.db.scalarInt("SELECT count(*) FROM minute WHERE channel = \(w) AND ts = \(day + 600)") == 1)
    }

    /// Copies the row-format store the landed code wrote (Tests/Fixtures/store-v1).
    func oldStore() throws -> (TempDir, String) {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("data"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Fixtures.root + "/store-v1/data/strata.sqlite", toPath: dir.file("data/strata.sqlite"))
        try FileManager.default.copyItem(
            atPath: Fixtures.root + "/store-v1/strata.toml", toPath: dir.file("strata.toml"))
        return (dir, dir.file("data/strata.sqlite"))
    }

    var houseSpecs: [ChannelSpec] {
        [
            ChannelSpec(device: "water", id: "volume", unit: "L", kind: .counter),
            ChannelSpec(device: "bedroom", id: "energy", unit: "Wh", kind: .counter),
            ChannelSpec(device: "bedroom", id: "power", unit: "W", kind: .gauge),
        ]
    }

    @Test func anOldStoreIsRefusedUntilMigratedAndAKilledMigrationCarriesOn() throws {
        let (dir, path) = try oldStore()
        defer { withExtendedLifetime(dir) {} }
        let rowsBefore = sqliteShell(
            path,
            "SELECT group_concat(channel || ':' || ts || ':' || value || ':' || ifnull(cum, '') || ':' || ifnull(hwm, ''), ' ') FROM (SELECT * FROM minute ORDER BY channel, ts)"
        )
        let aggBefore = sqliteShell(
            path,
            "SELECT group_concat(tier || ':' || start || ':' || channel || ':' || count || ':' || ifnull(consumption, sum), ' ') FROM (SELECT * FROM agg ORDER BY tier, start, channel)"
        )
        #expect(rowsBefore.count > 100_000)
        let vancouver = SiteCalendar(zone: ZoneRules(identifier: "America/Vancouver")!)
        #expect(throws: StoreError.needsMigration(path: path, version: 1)) {
            try Store(path: path, channels: houseSpecs, calendar: vancouver)
        }
        #expect("\(StoreError.needsMigration(path: path, version: 1))".contains("strata migrate"))
        // One day, then the process "dies": the store is valid in the new format already.
        do {
            let s = try Store(path: path, channels: houseSpecs, calendar: vancouver, migrating: true)
            let r = try s.migrate(maxDays: 1)
            #expect(r.fromVersion == 1 && r.daysCompacted == 1 && r.remaining)
        }
        let s = try Store(path: path, channels: houseSpecs, calendar: vancouver)
        #expect(try s.minute.blockTotals().points > 0 && s.db.scalarInt("SELECT count(*) FROM minute") ?? 0 > 0)
        let r = try s.migrate()
        #expect(r.fromVersion == 2 && !r.remaining && r.daysCompacted > 1 && r.damaged.isEmpty)
        #expect(try s.db.scalarInt("SELECT count(*) FROM minute") == 0)
        var after: [String] = []
        for c in s.channels.sorted(by: { $0.id < $1.id }) {
            for m in try s.minute.rows(channel: c.id, from: 0, to: Int64.max) {
                after.append(
                    "\(m.channel):\(m.ts):\(Self.sqliteReal(m.value)):\(m.cum.map(String.init) ?? ""):\(m.hwm.map(String.init) ?? "")"
                )
            }
        }
        #expect(after.joined(separator: " ") == rowsBefore)
        // Every aggregate reads as the row-format store held it (quarters and hours now from blocks).
        var aggAfter: [String] = []
        for t in Tier.aggregated {
            for (start, ch, g) in try s.storedAggregates(t, from: 0, to: Int64.max / 2, channel: nil) {
                let counter = s.byID[ch]?.spec.kind == .counter
                aggAfter.append(
                    "\(t.rawValue):\(start):\(ch):\(g.count):\(counter ? String(g.consumption) : Self.sqliteReal(g.sum))"
                )
            }
        }
        #expect(aggAfter.joined(separator: " ") == aggBefore)
        #expect(try s.db.scalarInt("SELECT count(*) FROM agg WHERE tier IN (1, 2)") == 0)
        #expect(try s.verifyBlocks().damaged.isEmpty)
    }

    /// A double as sqlite3's shell prints a REAL (up to 15 significant digits, ".0" for integers).
    static func sqliteReal(_ v: Double) -> String {
        var t = String(format: "%.15g", v)
        if !t.contains(".") && !t.contains("e") { t += ".0" }
        return t
    }
}
