import Foundation
import StrataTestSupport
import Testing

/// `strata run` against a real Modbus simulator, on a clock running 30 times real time
/// (a minute every 2 s): the same code path as a real site, in seconds.
@Suite(.serialized) struct SamplerTests {
    func config(_ dir: TempDir, devices: String, archive: Bool = false) -> String {
        """
        [site]
        name = "Sampler test"
        timezone = "UTC"

        [storage]
        path = "\(dir.file("store.sqlite"))"

        [archive]
        path = "\(dir.file("archive"))"

        \(devices)
        """
    }

    func tcp(_ id: String, port: Int, unit: Int, profile: String, timeout: String = "300 ms") -> String {
        """
        [[devices]]
        id = "\(id)"
        driver = "modbus-tcp"
        host = "127.0.0.1"
        port = \(port)
        unit_id = \(unit)
        profile = "\(profile)"
        timeout = "\(timeout)"
        retries = 1

        """
    }

    /// Runs `strata run`, then stops it with SIGTERM once `log` shows `reads` reads of each
    /// of `units` (or after 60 s on a slow machine).
    func run(_ cfg: String, log: String, units: [Int], reads: Int = 5, during: (() throws -> Void)? = nil) throws
        -> CLI.Result
    {
        let p = try CLI.start(["run", "--config", cfg, "--time-scale", "30", "--no-archive"])
        if let during { try during() }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let served = try ModbusSim.served(log)
            if units.allSatisfy({ (served[$0]?.count ?? 0) >= reads }) { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        p.process.terminate() // SIGTERM
        return p.finish()
    }

    func expectSame(_ stored: [(ts: Int64, value: Double)], _ served: [Double], _ what: String) {
        #expect(stored.count == served.count, "\(what): \(stored.count) stored, \(served.count) served")
        for (s, v) in zip(stored, served) where abs(s.value - v) > 1e-9 {
            Issue.record("\(what): stored \(s.value) at \(s.ts), served \(v)")
            return
        }
        // One value per minute, minute after minute.
        for (a, b) in zip(stored, stored.dropFirst()) where b.ts - a.ts != 60 {
            Issue.record("\(what): gap between \(a.ts) and \(b.ts)")
            return
        }
    }

    @Test func storedValuesAreWhatTheMetersServed() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let sim = try ModbusSim(
            [
                "--port", "\(port)", "--device", "1:eastron-sdm630", "--device", "2:carlo-gavazzi-em340",
                "--device", "3:sunspec-meter",
            ], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        try dir.write(
            "strata.toml",
            config(
                dir,
                devices: tcp("sdm", port: port, unit: 1, profile: "eastron-sdm630")
                    + tcp("em", port: port, unit: 2, profile: "carlo-gavazzi-em340")
                    + tcp("sunspec", port: port, unit: 3, profile: "sunspec-meter")))
        let r = try run(dir.file("strata.toml"), log: dir.file("served.jsonl"), units: [1, 2, 3])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("sampler stopped"))
        #expect(r.stderr.contains("SunSpec meter found"), "\(r.stderr)")
        let served = try ModbusSim.served(dir.file("served.jsonl"))
        let db = dir.file("store.sqlite")
        // Float32 high-word-first (SDM630), int32 low-word-first ÷10 (EM340), SunSpec int16 × 10^SF and acc32.
        for (unit, device, channels) in [
            (
                1, "sdm",
                ["energy_import", "energy_export", "voltage_l1", "current_l3", "power", "frequency", "power_factor"]
            ),
            (2, "em", ["energy_import", "voltage_l2", "current_l1", "power"]),
            (3, "sunspec", ["energy_import", "energy_export", "voltage_l1", "current_l2", "power", "frequency"]),
        ] {
            let reads = served[unit] ?? []
            #expect(reads.count >= 3, "unit \(unit) served \(reads.count) reads; \(r.stderr)")
            for ch in channels {
                expectSame(
                    try storedValues(db, device: device, channel: ch), reads.compactMap { $0[ch] }, "\(device).\(ch)")
            }
        }
        let st = try CLI.run(["status", "--config", dir.file("strata.toml")])
        #expect(st.stdout.contains("sdm (modbus-tcp): ok"), "\(st.stdout)")
        #expect(st.stdout.contains("energy_import"))
    }

    @Test func deadMetersAreGapsAndNeverStopTheOthers() throws {
        let dir = TempDir()
        let portA = Net.freePort()
        let portB = Net.freePort()
        let simA = try ModbusSim(
            [
                "--port", "\(portA)", "--device", "1:eastron-sdm630", "--device", "4:eastron-sdm120:exception=0x48",
                "--device", "5:silent",
            ], log: dir.file("a.jsonl"))
        defer { simA.stop() }
        var simB: ModbusSim? = try ModbusSim(
            ["--port", "\(portB)", "--device", "2:carlo-gavazzi-em340"], log: dir.file("b.jsonl"))
        try dir.write(
            "strata.toml",
            config(
                dir,
                devices: tcp("healthy", port: portA, unit: 1, profile: "eastron-sdm630")
                    + tcp("refuses", port: portA, unit: 4, profile: "eastron-sdm120")
                    + tcp("hung", port: portA, unit: 5, profile: "eastron-sdm120")
                    + tcp("restarted", port: portB, unit: 2, profile: "carlo-gavazzi-em340")))
        let r = try run(dir.file("strata.toml"), log: dir.file("a.jsonl"), units: [1], reads: 10) {
            // The second simulator goes away for a while (a gateway rebooting), then returns.
            Thread.sleep(forTimeInterval: 5)
            simB?.stop()
            simB = nil
            Thread.sleep(forTimeInterval: 5)
            simB = try ModbusSim(["--port", "\(portB)", "--device", "2:carlo-gavazzi-em340"], log: dir.file("b.jsonl"))
        }
        simB?.stop()
        #expect(r.status == 0, "\(r.stderr)")
        let db = dir.file("store.sqlite")

        // The healthy meter shares its gateway with a refusing and a hung meter: not one minute lost.
        let healthy = try storedValues(db, device: "healthy", channel: "energy_import")
        let servedA = try ModbusSim.served(dir.file("a.jsonl"))
        expectSame(healthy, (servedA[1] ?? []).compactMap { $0["energy_import"] }, "healthy.energy_import")
        #expect(healthy.count >= 7)
        #expect(try storedValues(db, device: "refuses", channel: "energy_import").isEmpty)
        #expect(try storedValues(db, device: "hung", channel: "power").isEmpty)

        // The restarted one: values before and after, a gap in between, everything it served stored.
        let restarted = try storedValues(db, device: "restarted", channel: "energy_import")
        let servedB = (try ModbusSim.served(dir.file("b.jsonl"))[2] ?? []).compactMap { $0["energy_import"] }
        #expect(restarted.map(\.value) == servedB, "\(restarted) vs \(servedB)")
        let gaps = zip(restarted, restarted.dropFirst()).filter { $1.ts - $0.ts > 60 }
        #expect(gaps.count == 1, "\(restarted.map(\.ts))")

        // Each failure is logged once, when it starts, not every minute.
        let log = r.stderr
        #expect(log.components(separatedBy: "device=hung").count - 1 == 1, "\(log)")
        #expect(log.contains("no answer (timeout)"))
        #expect(log.contains("Modbus exception 2"))
        #expect(log.contains("device answers again") && log.contains("device=restarted"))

        let st = try CLI.run(["status", "--config", dir.file("strata.toml")])
        #expect(st.stdout.contains("healthy (modbus-tcp): ok"), "\(st.stdout)")
        #expect(st.stdout.contains("hung (modbus-tcp): FAILING"))
        #expect(st.stdout.contains("no answer (timeout)"))
        #expect(st.stdout.contains("illegal data address"))
        #expect(st.stdout.contains("restarted (modbus-tcp): ok"))
    }

    @Test func rtuThroughASerialPair() throws {
        let dir = TempDir()
        let pair = try SerialPair(in: dir)
        defer { withExtendedLifetime(pair) {} }
        let sim = try ModbusSim(
            [
                "--serial", dir.file("ttyMeter"), "--baud", "19200", "--parity", "N", "--device", "7:eastron-sdm120",
                "--device", "8:carlo-gavazzi-em340",
            ], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        let rtu = { (id: String, unit: Int, profile: String) in
            """
            [[devices]]
            id = "\(id)"
            driver = "modbus-rtu"
            serial = "\(dir.file("ttyStrata"))"
            baud = 19200
            parity = "none"    # a pty refuses parity settings (EINVAL); real RS485 lines take "even"
            stop_bits = 1
            unit_id = \(unit)
            profile = "\(profile)"
            timeout = "500 ms"

            """
        }
        try dir.write(
            "strata.toml",
            config(dir, devices: rtu("sub1", 7, "eastron-sdm120") + rtu("sub2", 8, "carlo-gavazzi-em340")))
        let r = try run(dir.file("strata.toml"), log: dir.file("served.jsonl"), units: [7, 8])
        #expect(r.status == 0, "\(r.stderr)")
        let served = try ModbusSim.served(dir.file("served.jsonl"))
        for (unit, device) in [(7, "sub1"), (8, "sub2")] {
            let reads = served[unit] ?? []
            #expect(reads.count >= 3, "unit \(unit): \(reads.count) reads; \(r.stderr)")
            for ch in ["energy_import", "voltage_l1", "power"] {
                expectSame(
                    try storedValues(dir.file("store.sqlite"), device: device, channel: ch),
                    reads.compactMap { $0[ch] }, "\(device).\(ch)")
            }
        }
    }
}
