import Foundation
import StrataConfig
import StrataCore
import StrataRuntime
import StrataStore
import StrataTestSupport
import Testing

/// The store's one writer, as the services meet it: the minutes it commits go to its
/// subscribers (MQTT), and a back-fill's alarm notices are counted instead of logged.
struct StoreActorTests {
    static func config(_ dir: TempDir, alarms: String = "") throws -> StrataConfig {
        let text =
            SiteTOML.header(timezone: "Europe/Berlin", store: dir.file("data/strata.sqlite"))
            + SiteTOML.device("main", channels: [("energy_import", "kWh", "counter"), ("power", "W", "gauge")])
            + alarms
        return try StrataConfig.parse(text, file: dir.file("strata.toml"))
    }

    @Test func subscribersGetEachCommittedWrite() async throws {
        let dir = TempDir()
        let runtime = try Runtime(config: try Self.config(dir), archive: false)
        let ids = try #require(await runtime.store.channelIDs()["main"])
        let energy = try #require(ids["energy_import"])
        let power = try #require(ids["power"])
        let feed = await runtime.store.subscribe(bufferingNewest: 4)
        let t: Int64 = 1_796_166_000
        let status = DeviceStatus(device: "main", lastSuccess: t, lastAttempt: t)
        try await runtime.store.write(
            [Sample(channel: energy, ts: t, value: 10.5), Sample(channel: power, ts: t, value: 900)],
            statuses: [status])
        var it = feed.makeAsyncIterator()
        let batch = try #require(await it.next())
        #expect(batch.values.map(\.channel.id).sorted() == ["energy_import", "power"])
        #expect(batch.values.first { $0.channel.id == "power" }?.value == 900)
        #expect(batch.statuses == [status])
        #expect(try await runtime.store.newestMinute() == t)
    }

    @Test func quietAlarmsAreCountedNotLost() async throws {
        let dir = TempDir()
        let rule = """

            [[alarms]]
            id = "peak"
            kind = "threshold"
            device = "main"
            channel = "power"
            above = 1000

            """
        let runtime = try Runtime(config: try Self.config(dir, alarms: rule), archive: false)
        let power = try #require(await runtime.store.channelIDs()["main"]?["power"])
        await runtime.store.quietAlarms()
        let t: Int64 = 1_796_166_000
        for m in 0..<3 {
            try await runtime.store.write([Sample(channel: power, ts: t + Int64(m) * 60, value: 1500)], statuses: [])
        }
        let quiet = await runtime.store.logAlarms()
        #expect(quiet >= 1)
        let store = try runtime.config.makeStore()
        #expect(try store.alarmLog().count == quiet, "recorded in the store all the same")
    }
}
