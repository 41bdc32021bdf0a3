import Foundation
import StrataConfig
import StrataCore
import StrataStore
import Testing

@testable import StrataSampler

@Suite struct SamplerLogicTests {
    @Test func scheduleTicksOnTheMinuteAndItsDivisors() {
        let s = PollSchedule(intervals: [60, 15, 10])
        #expect(s.step == 5)
        #expect(s.tick(after: 1_800_000_000.4) == 1_800_000_005)
        #expect(s.isDue(interval: 60, at: 1_800_000_000) && !s.isDue(interval: 60, at: 1_800_000_030))
        #expect(s.isDue(interval: 15, at: 1_800_000_045) && !s.isDue(interval: 15, at: 1_800_000_050))
        #expect(PollSchedule(intervals: [60, 60]).step == 60)
    }

    @Test func clockGuardRefusesImplausibleRepeatedAndLateTicks() {
        var g = ClockGuard(plausibleAfter: 1_767_225_600, lastWritten: 1_800_000_000)
        #expect(g.check(now: 1_000_000_000, tick: 1_000_000_020, tolerance: 5) == .implausible)
        // The clock stepped back over written minutes: they are not written again.
        #expect(
            g.check(now: 1_799_999_940.2, tick: 1_799_999_940, tolerance: 5) == .behindStore(lastWritten: 1_800_000_000)
        )
        #expect(g.check(now: 1_800_000_060.3, tick: 1_800_000_060, tolerance: 5) == .sample)
        // Woke 3 minutes late (a step forward): nothing is invented for the minutes between.
        #expect(g.check(now: 1_800_000_240, tick: 1_800_000_060, tolerance: 5) == .missed(by: 180))
        #expect(g.check(now: 1_800_000_030, tick: 1_800_000_060, tolerance: 5) == .early(by: 30))
        g.lastWritten = nil
        #expect(g.check(now: 1_800_000_060, tick: 1_800_000_060, tolerance: 5) == .sample)
    }

    @Test func healthLogsOnlyStateChanges() {
        var h = DeviceStatus(device: "meter")
        #expect(h.record(at: 60, error: nil) == nil)
        #expect(h.record(at: 120, error: "timeout") == .failing("timeout"))
        #expect(h.record(at: 180, error: "timeout") == nil)
        #expect(h.record(at: 240, error: "refused") == .failing("refused"))
        #expect(h.consecutiveFailures == 3)
        #expect(h.record(at: 300, error: nil) == .recovered(afterFailures: 3))
        #expect(h.lastSuccess == 300 && h.consecutiveFailures == 0)
    }

    func device(_ load: StrataConfig.Simulation.Load) throws -> StrataConfig.Device {
        let text = """
            [site]
            name = "S"
            timezone = "Europe/Zurich"
            [storage]
            path = "/tmp/x.sqlite"
            [[devices]]
            id = "m"
            driver = "simulated"
            profile = "eastron-sdm630"
            simulate = "\(load.rawValue)"
            """
        return try #require(try StrataConfig.parse(text, file: "/tmp/x.toml").devices.first)
    }

    @Test func simulatedMetersCountOnSmoothlyAndResume() throws {
        let d = try device(.electricity)
        let zone = try #require(ZoneRules(identifier: "Europe/Zurich"))
        var a = SimulatedMeter(device: d, zone: zone)
        let t0 = 1_795_000_000.0 - 1_795_000_000.0.truncatingRemainder(dividingBy: 60)
        let e = try #require(d.channels.firstIndex { $0.id == "energy_import" })
        let p = try #require(d.channels.firstIndex { $0.id == "power" })
        var readings: [[Double?]] = []
        for k in 0..<(24 * 60) { readings.append(a.read(at: t0 + Double(k * 60))) }
        let energy = readings.compactMap { $0[e] }
        #expect(zip(energy, energy.dropFirst()).allSatisfy { $1 >= $0 })
        // A day's energy is the day's mean power: the counter integrates the gauge.
        let meanKW = readings.compactMap { $0[p] }.reduce(0, +) / Double(readings.count) / 1000
        let dayKWh = energy[energy.count - 1] - energy[0]
        #expect(abs(dayKWh - meanKW * 24) / dayKWh < 0.01, "\(dayKWh) vs \(meanKW * 24)")
        // A meter continued from stored readings counts on from them, not from its start value:
        // the register showed whole steps, so the unshown fraction of one may be lost.
        var b = SimulatedMeter(device: d, zone: zone)
        b.resume(from: readings[100], at: t0 + 6000)
        let next = try #require(b.read(at: t0 + 6060)[e])
        let expected = try #require(readings[101][e])
        let step = d.channels[e].resolution.step
        #expect(next <= expected && next >= expected - step * 1.0001, "\(next) vs \(expected)")
        // Registers show whole steps, as a Modbus read (raw × scale) gives them.
        for r in readings.prefix(60) {
            for (k, v) in r.enumerated() {
                guard let v else { continue }
                let res = d.channels[k].resolution
                #expect(v.bitPattern == res.value(ofSteps: res.steps(v)).bitPattern, "\(d.channels[k].id): \(v)")
            }
        }
    }

    @Test(arguments: StrataConfig.Simulation.Load.allCases)
    func everyLoadIsNonNegative(load: StrataConfig.Simulation.Load) throws {
        let m = SimulatedMeter(device: try device(load), zone: try #require(ZoneRules(identifier: "Europe/Zurich")))
        for k in 0..<(7 * 24) { #expect(m.demand(at: 1_795_000_000 + Double(k * 3600)) >= 0) }
    }
}
