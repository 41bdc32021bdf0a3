import Foundation
import StrataCore
import StrataTestSupport
import Testing

@testable import StrataStore

/// The read-only store a reader beside the writer opens: it reads what the writer wrote, and
/// creates, registers and writes nothing.
struct StoreReaderTests {
    static let utc = SiteCalendar(zone: ZoneRules(identifier: "UTC")!)
    let energy = ChannelSpec(device: "main", id: "energy", unit: "kWh", kind: .counter)
    let power = ChannelSpec(device: "main", id: "power", unit: "W", kind: .gauge)

    func schema(_ path: String) -> String {
        sqliteShell(path, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master ORDER BY name)")
    }

    @Test func readsWhatTheWriterWroteAndChangesNothing() throws {
        let dir = TempDir()
        let path = dir.file("s.sqlite")
        let writer = try Store(path: path, channels: [energy, power], calendar: Self.utc)
        let e = try writer.channel(device: "main", channel: "energy")
        let p = try writer.channel(device: "main", channel: "power")
        let t0: Int64 = 1_796_169_600 // 2026-12-02 00:00 UTC
        var samples: [Sample] = []
        for m in 0..<180 {
            samples.append(Sample(channel: e.id, ts: t0 + Int64(m) * 60, value: 100 + Double(m) * 0.25))
            samples.append(Sample(channel: p.id, ts: t0 + Int64(m) * 60, value: Double(m)))
        }
        try writer.write(samples, statuses: [])
        try writer.rollUp(now: t0 + 4 * 3600)
        let before = schema(path)
        let extra = ChannelSpec(device: "main", id: "not_registered", unit: "W", kind: .gauge)
        let reader = try Store(reading: path, channels: [energy, power, extra], calendar: Self.utc)
        #expect(reader.channels.map(\.spec.id) == ["energy", "power"], "an unregistered channel is left out")
        #expect(schema(path) == before, "no table was created")
        #expect(sqliteShell(path, "SELECT count(*) FROM channel") == "2", "no channel was registered")
        let chs = reader.channels
        let mine = try reader.buckets(.hour, channels: chs, from: t0, to: t0 + 3 * 3600)
        let theirs = try writer.buckets(.hour, channels: writer.channels, from: t0, to: t0 + 3 * 3600)
        #expect(mine.count == 3 && mine.map(\.start) == theirs.map(\.start))
        for (a, b) in zip(mine, theirs) {
            for id in [e.id, p.id] {
                #expect("\(String(describing: a.values[id]))" == "\(String(describing: b.values[id]))")
            }
        }
        #expect(reader.watermark == writer.watermark)
        #expect(try reader.newestMinute() == t0 + 179 * 60)
        // New minutes from the writer are seen by the reader's next read.
        try writer.write([Sample(channel: p.id, ts: t0 + 180 * 60, value: 7)], statuses: [])
        #expect(try reader.newestMinute() == t0 + 180 * 60)
        #expect(throws: StoreError.self) { try reader.write([Sample(channel: p.id, ts: t0, value: 1)], statuses: []) }
    }

    @Test func noStoreYetIsAClearError() throws {
        let dir = TempDir()
        #expect {
            try Store(reading: dir.file("none.sqlite"), channels: [energy], calendar: Self.utc)
        } throws: { e in
            "\(e)".contains("no store yet")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("none.sqlite")))
    }
}
