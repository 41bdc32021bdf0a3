import Testing

@testable import StrataSampler

@Suite struct MinuteAccumulatorTests {
    @Test func countersTakeTheFirstReadingGaugesTheMean() {
        var acc = MinuteAccumulator(isCounter: [true, false])
        #expect(acc.add(ts: 600, values: [nil, 10]) == nil) // counter read failed at :00
        #expect(acc.add(ts: 610, values: [5.5, 20]) == nil)
        #expect(acc.add(ts: 650, values: [5.9, 60]) == nil)
        let done = acc.add(ts: 660, values: [6.0, 1])
        #expect(done?.minute == 600)
        #expect(done?.values[0] == .init(value: 5.5, min: 5.5, max: 5.5))
        #expect(done?.values[1] == .init(value: 30, min: 10, max: 60))
        #expect(acc.close()?.values[0]?.value == 6.0)
    }
}
