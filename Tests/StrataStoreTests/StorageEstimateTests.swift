import StrataCore
import StrataStore
import StrataTestSupport
import Testing

/// `strata check`'s estimate of what the store costs per tier, and how many days of minutes a
/// budget holds.
struct StorageEstimateTests {
    let counter = ChannelSpec(
        device: "main", id: "energy", unit: "kWh", kind: .counter, resolution: Resolution(decimals: 3))
    let fast = ChannelSpec(
        device: "main", id: "power", unit: "W", kind: .gauge, resolution: Resolution(decimals: 1), interval: 10)

    @Test func rowsPerDayFollowEachChannelsInterval() {
        let e = StorageEstimate(channels: [counter, fast], retention: [:], budget: nil)
        let minute = e.lines[0]
        #expect(minute.tier == .minute)
        // 1,440 rows of the minute channel, 8,640 of the 10 s one.
        #expect(minute.rowsPerDay == 1_440 + 8_640)
        #expect(minute.bytesPerDay == Int64(10_080 * StorageEstimate.minuteRowBytes))
        #expect(e.lines.first { $0.tier == .hour }?.rowsPerDay == 48)
        #expect(minute.kept.hasPrefix("forever"))
    }

    @Test func aBudgetHoldsTheMinutesLeftAfterTenYearsOfTheOtherTiers() throws {
        let e = StorageEstimate(channels: [counter], retention: [.minute: try Span(parsing: "30 days")], budget: nil)
        #expect(e.lines[0].kept.hasPrefix("30 days"))
        let others = e.lines.dropFirst().reduce(Int64(0)) { $0 + $1.bytesPerDay } * 3650
        let budget = ByteSize(bytes: others + 100 * e.lines[0].bytesPerDay)
        #expect(try #require(e.minuteDaysWithinBudget(budget)) == 100)
        #expect(e.minuteDaysWithinBudget(ByteSize(bytes: 1)) == 0)
    }
}
