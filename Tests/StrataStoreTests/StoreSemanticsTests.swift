import Foundation
import StrataCore
import StrataTestSupport
import Testing

@testable import StrataStore

/// Synthetic meters with gaps, resets and late data: the store's promises one by one.
@Suite struct StoreSemanticsTests {
    let energy = ChannelSpec(device: "main", id: "energy", unit: "kWh", kind: .counter)
    let power = ChannelSpec(device: "main", id: "power", unit: "W", kind: .gauge)
    // 2026-10-24 00:00 Europe/Paris (UTC+2); the next night has 25 hours.
    let paris = SiteCalendar(zone: ZoneRules(identifier: "Europe/Paris")!)
    let t0: Int64 = 1_792_792_800

    /// Three days of minute readings with two outages, one across midnight.
    func samples(_ s: Store) throws -> [Sample] {
        let e = try s.channel(device: "main", channel: "energy").id
        let p = try s.channel(device: "main", channel: "power").id
        var out: [Sample] = []
        var kwh = 1234.5
        for m in 0..<(3 * 1500) {
            let ts = t0 + Int64(m) * 60
            kwh += 0.0123 + Double(m % 7) * 0.001
            if (600..<700).contains(m) || (1380..<1500).contains(m) { continue }
            out.append(Sample(channel: e, ts: ts + 7, value: kwh))
            out.append(Sample(channel: p, ts: ts, value: Double(m % 97) * 10))
        }
        return out
    }

    @Test func minuteIsFlooredAndLastWriteWins() throws {
        let dir = TempDir()
        let s = try openStore(dir, [power], calendar: paris)
        let p = try s.channel(device: "main", channel: "power").id
        try s.write([Sample(channel: p, ts: t0 + 59, value: 1), Sample(channel: p, ts: t0 + 1, value: 2)])
        try s.write([Sample(channel: p, ts: t0 + 30, value: 3)])
        #expect(try s.minuteCount() == 1)
        var seen: [Double] = []
        try s.minutes(channels: [s.channel(device: "main", channel: "power")], from: t0, to: t0 + 60) { block in
            seen = (0..<block.count).compactMap { block.value(p, $0) }
        }
        #expect(seen == [3])
    }

    @Test func reimportChangesNothing() throws {
        let dir = TempDir()
        let s = try openStore(dir, [energy, power], calendar: paris)
        try s.write(try samples(s))
        try s.rollUp(now: t0 + 4 * 86_400)
        let before = try dump(s)
        let count = try s.minuteCount()
        try s.write(try samples(s))
        try s.rollUp(now: t0 + 4 * 86_400)
        #expect(try dump(s) == before)
        #expect(try s.minuteCount() == count)
        // Running roll-up again with nothing new changes nothing either.
        let r = try s.rollUp(now: t0 + 4 * 86_400)
        #expect(r.bucketsWritten == 0)
        #expect(try dump(s) == before)
    }

    @Test(arguments: [1, 7, 31])
    func lateDataGivesWhatInOrderDataGives(seed: Int) throws {
        let dirA = TempDir()
        let dirB = TempDir()
        let a = try openStore(dirA, [energy, power], calendar: paris)
        let b = try openStore(dirB, [energy, power], calendar: paris)
        let all = try samples(a)
        try a.write(all)
        try a.rollUp(now: t0 + 4 * 86_400)
        // B gets most data first, rolls up, then receives the held-back samples in pieces.
        var rng = SplitMix(seed: UInt64(seed))
        let held = all.filter { _ in rng.next() % 5 == 0 }
        let heldSet = Set(held.map { "\($0.channel)-\($0.ts)" })
        try b.write(all.filter { !heldSet.contains("\($0.channel)-\($0.ts)") })
        try b.rollUp(now: t0 + 4 * 86_400)
        for chunk in stride(from: 0, to: held.count, by: 97) {
            try b.write(Array(held[chunk..<min(chunk + 97, held.count)]))
            try b.rollUp(now: t0 + 4 * 86_400)
        }
        #expect(try dump(a).count > 500)
        #expect(try dump(b) == dump(a))
    }

    @Test func outageAcrossMidnightIsSharedByTimeAndShownByCoverage() throws {
        let dir = TempDir()
        let s = try openStore(dir, [energy], calendar: paris)
        let e = try s.channel(device: "main", channel: "energy")
        // 100 kWh at 22:00, 112 kWh at 04:00 the next day: 2 h before midnight, 4 h after.
        try s.write([
            Sample(channel: e.id, ts: t0 + 22 * 3600, value: 100),
            Sample(channel: e.id, ts: t0 + 28 * 3600, value: 112),
        ])
        try s.rollUp(now: t0 + 3 * 86_400)
        let days = try s.buckets(.day, channels: [e], from: t0, to: t0 + 2 * 86_400)
        #expect(days.map { $0.values[e.id]?.consumption } == [4000, 8000])
        let hours = try s.buckets(.hour, channels: [e], from: t0 + 22 * 3600, to: t0 + 24 * 3600)
        #expect(hours.map { $0.values[e.id]?.consumption } == [2000, 2000])
        #expect(days[0].values[e.id]?.count == 1)
    }

    @Test func afterTheLastReadingBucketsAreProvisionalUntilTheGapCloses() throws {
        let dir = TempDir()
        let s = try openStore(dir, [energy], calendar: paris)
        let e = try s.channel(device: "main", channel: "energy")
        try s.write([Sample(channel: e.id, ts: t0, value: 10), Sample(channel: e.id, ts: t0 + 3600, value: 11)])
        try s.rollUp(now: t0 + 2 * 86_400)
        var days = try s.buckets(.day, channels: [e], from: t0, to: t0 + 2 * 86_400)
        #expect(days[0].values[e.id]?.provisional == true)
        #expect(days[0].values[e.id]?.consumption == 1000)
        #expect(days[1].values[e.id] == nil)
        // The meter comes back the next day: the gap is shared out and nothing is provisional.
        try s.write([Sample(channel: e.id, ts: t0 + 25 * 3600, value: 35)])
        try s.rollUp(now: t0 + 2 * 86_400)
        days = try s.buckets(.day, channels: [e], from: t0, to: t0 + 2 * 86_400)
        #expect(days[0].values[e.id]?.provisional == false)
        #expect(days[0].values[e.id]?.consumption == 24_000) // 1 kWh/h across the gap
        #expect(days[1].values[e.id]?.consumption == 1000)
    }

    @Test func openBucketsAreComputedOnReadAsRollUpWouldStoreThem() throws {
        let dirA = TempDir()
        let dirB = TempDir()
        let a = try openStore(dirA, [energy, power], calendar: paris)
        let b = try openStore(dirB, [energy, power], calendar: paris)
        try a.write(try samples(a))
        try b.write(try samples(b))
        // A rolls everything up; B only the first day and a half, the rest is computed on read.
        try a.rollUp(now: t0 + 4 * 86_400)
        try b.rollUp(now: t0 + 36 * 3600)
        let chsA = a.channels
        let chsB = b.channels
        for tier in Tier.aggregated {
            let ra = try a.buckets(tier, channels: chsA, from: t0, to: t0 + 3 * 86_400)
            let rb = try b.buckets(tier, channels: chsB, from: t0, to: t0 + 3 * 86_400)
            #expect(
                ra.map { $0.values.mapValues(\.consumption) } == rb.map { $0.values.mapValues(\.consumption) },
                "\(tier)")
            #expect(ra.map { $0.values.mapValues(\.count) } == rb.map { $0.values.mapValues(\.count) }, "\(tier)")
        }
    }

    @Test func parentsClosingLongAfterTheLastReadingAreStored() throws {
        let dir = TempDir()
        let s = try openStore(dir, [energy, power], calendar: paris)
        try s.write(try samples(s))
        // A year later: the month and the year of the data are closed and must be stored.
        try s.rollUp(now: t0 + 400 * 86_400)
        let e = try s.channel(device: "main", channel: "energy")
        let stored = try s.storedAggregates(.year, from: Int64.min, to: Int64.max, channel: e.id)
        let days = try s.buckets(.day, channels: [e], from: t0, to: t0 + 4 * 86_400)
        #expect(stored.count == 1)
        #expect(stored.first?.2.consumption == days.reduce(Int64(0)) { $0 + ($1.values[e.id]?.consumption ?? 0) })
        #expect(try s.aggregateCount(.month) == 2)
    }

    @Test func resetsAreRecordedAndNeverNegative() throws {
        let dir = TempDir()
        let s = try openStore(dir, [energy], calendar: paris)
        let e = try s.channel(device: "main", channel: "energy")
        try s.write(
            [100, 101, 102, 0.5, 1.5].enumerated().map {
                Sample(channel: e.id, ts: t0 + Int64($0.offset) * 60, value: $0.element)
            })
        try s.rollUp(now: t0 + 86_400)
        let ev = try s.events(channels: [e])
        #expect(ev.map(\.1.action) == [.reset])
        #expect(ev.first?.1.oldValue == 102 && ev.first?.1.newValue == 0.5)
        let q = try s.buckets(.quarter, channels: [e], from: t0, to: t0 + 900)
        #expect(q.first?.values[e.id]?.consumption == 3500)
    }

    @Test func pruningNeverChangesAnAggregate() throws {
        let dir = TempDir()
        let s = try openStore(
            dir, [energy, power], calendar: paris,
            retention: [.minute: Span(seconds: 86_400), .quarter: Span(seconds: 2 * 86_400), .hour: .forever])
        try s.write(try samples(s))
        try s.rollUp(now: t0 + 4 * 86_400)
        let chs = s.channels
        let days = try s.buckets(.day, channels: chs, from: t0, to: t0 + 3 * 86_400).map {
            $0.values.mapValues(\.consumption)
        }
        let hours = try s.buckets(.hour, channels: chs, from: t0, to: t0 + 3 * 86_400).map {
            $0.values.mapValues(\.count)
        }
        let r = try s.enforceRetention(now: t0 + 4 * 86_400)
        #expect(r.minuteRows > 0 && r.quarterRows > 0)
        // Late data into the pruned span is refused rather than half-applied.
        let w = try s.write([Sample(channel: chs[0].id, ts: t0 + 60, value: 1)])
        #expect(w.tooOld == 1)
        try s.rollUp(now: t0 + 4 * 86_400)
        #expect(
            try s.buckets(.day, channels: chs, from: t0, to: t0 + 3 * 86_400).map { $0.values.mapValues(\.consumption) }
                == days)
        #expect(
            try s.buckets(.hour, channels: chs, from: t0, to: t0 + 3 * 86_400).map { $0.values.mapValues(\.count) }
                == hours)
    }

    @Test func budgetPrunesGaugeMinutesBeforeCounterMinutes() throws {
        let dir = TempDir()
        let s = try openStore(dir, [energy, power], calendar: paris, retention: [:], budget: ByteSize(bytes: 1))
        try s.write(try samples(s))
        try s.rollUp(now: t0 + 30 * 86_400)
        let e = try s.channel(device: "main", channel: "energy")
        let daysBefore = try s.buckets(.day, channels: s.channels, from: t0, to: t0 + 3 * 86_400).map {
            $0.values.mapValues(\.consumption)
        }
        try s.enforceRetention(now: t0 + 30 * 86_400)
        // Budget of one byte: everything prunable goes, days stay exact.
        #expect(try s.minuteCount() == 0)
        #expect(try s.aggregateCount(.quarter) == 0)
        #expect(try s.aggregateCount(.hour) == 0)
        #expect(try s.aggregateCount(.day) > 0)
        #expect(
            try s.buckets(.day, channels: s.channels, from: t0, to: t0 + 3 * 86_400).map {
                $0.values.mapValues(\.consumption)
            } == daysBefore)
        _ = e
    }

    @Test func backupIsAConsistentStore() throws {
        let dir = TempDir()
        let s = try openStore(dir, [energy, power], calendar: paris)
        try s.write(try samples(s))
        try s.rollUp(now: t0 + 4 * 86_400)
        try s.backup(to: dir.file("copy.sqlite"))
        #expect(throws: StoreError.self) { try s.backup(to: dir.file("copy.sqlite")) }
        let copy = try openStore(dir, [energy, power], calendar: paris, name: "copy.sqlite")
        #expect(try copy.minuteCount() == s.minuteCount())
        #expect(try dump(copy) == dump(s))
    }

    @Test func aFullDiskLosesNoCommittedSampleAndTheBatchIsRetryable() throws {
        let dir = TempDir()
        let s = try openStore(dir, [energy, power], calendar: paris)
        let all = try samples(s)
        let half = all.count / 2
        try s.write(Array(all[..<half]))
        let committed = try s.minuteCount()
        // SQLite's page limit stands in for a full disk: the same SQLITE_FULL path.
        let pages = try s.db.scalarInt("PRAGMA page_count") ?? 0
        try s.db.exec("PRAGMA max_page_count = \(pages + 2)")
        #expect(throws: StoreError.diskFull(path: s.path)) { try s.write(Array(all[half...])) }
        #expect(try s.minuteCount() == committed)
        #expect(StoreError.diskFull(path: s.path).description.contains("nothing of this batch was stored"))
        // Space again: the same batch goes in, and the result equals an uninterrupted store.
        try s.db.exec("PRAGMA max_page_count = 1073741823")
        try s.write(Array(all[half...]))
        try s.rollUp(now: t0 + 4 * 86_400)
        let ref = try openStore(dir, [energy, power], calendar: paris, name: "ref.sqlite")
        try ref.write(all)
        try ref.rollUp(now: t0 + 4 * 86_400)
        #expect(try dump(s) == dump(ref))
    }

    @Test func changedChannelKindIsRefused() throws {
        let dir = TempDir()
        _ = try openStore(dir, [energy], calendar: paris)
        let asGauge = ChannelSpec(device: "main", id: "energy", unit: "kWh", kind: .gauge)
        #expect(throws: StoreError.self) { try openStore(dir, [asGauge], calendar: paris) }
    }
}
