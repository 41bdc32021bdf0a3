import Foundation
import StrataTestSupport
import Testing

/// Faster polling and the clock guard, through the real binary.
@Suite(.serialized) struct SamplerScheduleTests {
    let helper = SamplerTests()

    @Test func fastPollingStoresMeansExtremesAndFirstCounterReadings() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let sim = try ModbusSim(["--port", "\(port)", "--device", "1:eastron-sdm630"], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        let dev = helper.tcp("fast", port: port, unit: 1, profile: "eastron-sdm630") + "poll = \"10s\"\n"
        try dir.write("strata.toml", helper.config(dir, devices: dev))
        let r = try helper.run(dir.file("strata.toml"), log: dir.file("served.jsonl"), units: [1], reads: 20)
        #expect(r.status == 0, "\(r.stderr)")
        let reads = try ModbusSim.served(dir.file("served.jsonl"))[1] ?? []
        let db = dir.file("store.sqlite")
        let mean = try storedValues(db, device: "fast", channel: "power")
        let lo = try storedValues(db, device: "fast", channel: "power_min")
        let hi = try storedValues(db, device: "fast", channel: "power_max")
        let energy = try storedValues(db, device: "fast", channel: "energy_import")
        #expect(mean.count >= 3 && lo.count == mean.count && hi.count == mean.count && energy.count == mean.count)
        let power = reads.compactMap { $0["power"] }
        let served = reads.compactMap { $0["energy_import"] }
        // Six polls a minute, fewer where the minute started mid-way, ended at shutdown, or a
        // tick was missed on a loaded machine (skipped, never invented): each stored minute must
        // be the mean, extremes and first counter reading of the next run of served polls.
        var start = 0
        for i in mean.indices {
            let k = (1...6).reversed().first { k in
                guard start + k <= power.count else { return false }
                let group = Array(power[start..<(start + k)])
                return abs(mean[i].value - group.reduce(0, +) / Double(k)) < 1e-6 && lo[i].value == group.min()
                    && hi[i].value == group.max() && energy[i].value == served[start]
            }
            guard let n = k else {
                Issue.record(
                    "minute \(i) (\(mean[i].value), \(lo[i].value)–\(hi[i].value), \(energy[i].value)) is no run of polls from \(start): \(power.dropFirst(start).prefix(6))"
                )
                return
            }
            start += n
        }
        #expect(start >= power.count - 6, "\(power.count - start) served polls not stored")
    }

    @Test func anImplausibleClockSamplesNothingAndSaysSo() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let sim = try ModbusSim(["--port", "\(port)", "--device", "1:eastron-sdm630"], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        try dir.write(
            "strata.toml", helper.config(dir, devices: helper.tcp("m", port: port, unit: 1, profile: "eastron-sdm630")))
        // A box without a real-time clock wakes up in 2001.
        let p = try CLI.start([
            "run", "--config", dir.file("strata.toml"), "--time-scale", "30", "--clock-start", "1000000000",
            "--no-archive",
        ])
        Thread.sleep(forTimeInterval: 5)
        p.process.terminate()
        let r = p.finish()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("system clock is not plausible"), "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: "not plausible").count == 2, "said once")
        #expect(try ModbusSim.served(dir.file("served.jsonl")).isEmpty)
        #expect(try storedValues(dir.file("store.sqlite"), device: "m", channel: "power").isEmpty)
    }

    @Test func aClockSteppedBackNeverRewritesAMinute() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let sim = try ModbusSim(["--port", "\(port)", "--device", "1:eastron-sdm630"], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        try dir.write(
            "strata.toml", helper.config(dir, devices: helper.tcp("m", port: port, unit: 1, profile: "eastron-sdm630")))
        let now = Date().timeIntervalSince1970
        // First run: the clock is two hours ahead (a wrong manual setting).
        let ahead = try CLI.start([
            "run", "--config", dir.file("strata.toml"), "--time-scale", "30", "--clock-start", "\(now + 7200)",
            "--no-archive",
        ])
        Thread.sleep(forTimeInterval: 5)
        ahead.process.terminate()
        #expect(ahead.finish().status == 0)
        let before = try storedValues(dir.file("store.sqlite"), device: "m", channel: "energy_import")
        #expect(before.count >= 2)
        // Then NTP sets it right: the minutes already written are not sampled again.
        let right = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "30", "--no-archive"])
        Thread.sleep(forTimeInterval: 5)
        right.process.terminate()
        let r = right.finish()
        #expect(r.status == 0)
        #expect(r.stderr.contains("system clock is at or before the newest stored minute"), "\(r.stderr)")
        let after = try storedValues(dir.file("store.sqlite"), device: "m", channel: "energy_import")
        #expect(after.map(\.ts) == before.map(\.ts))
        #expect(after.map(\.value) == before.map(\.value))
    }
}
