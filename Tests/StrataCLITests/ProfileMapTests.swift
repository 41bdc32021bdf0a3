import Foundation
import StrataTestSupport
import Testing

/// Each shipped profile against a simulator that serves the meter by the maker's published
/// map (tools/modbus-sim, written independently of the profile files): a wrong address,
/// function, type, word order or scale in a profile stores values other than those served.
@Suite(.serialized) struct ProfileMapTests {
    static let channels: [String: [String]] = [
        "eastron-sdm630": [
            "voltage_l1", "voltage_l2", "voltage_l3", "current_l1", "current_l2", "current_l3", "power",
            "power_factor", "frequency", "energy_import", "energy_export",
        ] + reactive,
        "eastron-sdm120": [
            "voltage_l1", "current_l1", "power", "power_factor", "frequency", "energy_import", "energy_export",
        ] + reactive,
        "carlo-gavazzi-em340": [
            "voltage_l1", "voltage_l2", "voltage_l3", "current_l1", "current_l2", "current_l3", "power",
            "energy_import", "energy_export",
        ] + reactive,
        "janitza-umg96rme": [
            "voltage_l1", "voltage_l2", "voltage_l3", "current_l1", "current_l2", "current_l3", "power",
            "energy_import", "energy_export",
        ] + reactive,
        "varibits-han2x": [
            "power", "current_l1", "current_l2", "current_l3", "voltage_l1", "voltage_l2", "voltage_l3",
            "energy_import", "energy_export", "reactive_import", "reactive_export",
        ],
        "sunspec-meter": [
            "current_l1", "current_l2", "current_l3", "voltage_l1", "voltage_l2", "voltage_l3", "frequency", "power",
            "power_factor", "energy_import", "energy_export",
        ] + reactive,
    ]
    static let reactive = ["reactive_power", "reactive_import", "reactive_export"]

    @Test(arguments: [
        "eastron-sdm630", "eastron-sdm120", "carlo-gavazzi-em340", "janitza-umg96rme", "varibits-han2x",
        "sunspec-meter",
    ])
    func shippedProfileReadsWhatThePublishedMapServes(profile: String) throws {
        let s = SamplerTests()
        let dir = TempDir()
        let port = Net.freePort()
        let sim = try ModbusSim(["--port", "\(port)", "--device", "9:\(profile)"], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        try dir.write("strata.toml", s.config(dir, devices: s.tcp("m", port: port, unit: 9, profile: profile)))
        // The log has a line per read request; the Janitza's two register ranges take two per poll.
        let r = try s.run(
            dir.file("strata.toml"), log: dir.file("served.jsonl"), units: [9],
            reads: profile == "janitza-umg96rme" ? 8 : 4)
        #expect(r.status == 0, "\(r.stderr)")
        let reads = try ModbusSim.served(dir.file("served.jsonl"))[9] ?? []
        #expect(reads.count >= 3, "served \(reads.count) reads: \(r.stderr)")
        let expected = try #require(Self.channels[profile])
        for ch in expected {
            // One log line per read request: a channel appears once per poll, in the block that holds it.
            let served = reads.compactMap { $0[ch] }
            #expect(served.count >= 3, "\(profile): the simulator served \(ch) \(served.count) times")
            s.expectSame(
                try storedValues(dir.file("store.sqlite"), device: "m", channel: ch), served, "\(profile).\(ch)")
        }
    }

    /// A register that reads as a float32 of 3.4e38 (finite, far beyond any meter) is a gap
    /// for that channel, counted in the device's status; the other channels go on.
    @Test func anAbsurdRegisterIsAGapNotACrash() throws {
        let s = SamplerTests()
        let dir = TempDir()
        let port = Net.freePort()
        let sim = try ModbusSim(
            ["--port", "\(port)", "--device", "6:eastron-sdm630:absurd=energy_import"], log: dir.file("served.jsonl"))
        defer { sim.stop() }
        try dir.write("strata.toml", s.config(dir, devices: s.tcp("m", port: port, unit: 6, profile: "eastron-sdm630")))
        let r = try s.run(dir.file("strata.toml"), log: dir.file("served.jsonl"), units: [6], reads: 4)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("implausible readings dropped"), "\(r.stderr)")
        let absurd = try ModbusSim.absurd(dir.file("served.jsonl"))[6] ?? 0
        #expect(absurd >= 3)
        #expect(try storedValues(dir.file("store.sqlite"), device: "m", channel: "energy_import").isEmpty)
        let reads = try ModbusSim.served(dir.file("served.jsonl"))[6] ?? []
        s.expectSame(
            try storedValues(dir.file("store.sqlite"), device: "m", channel: "power"), reads.compactMap { $0["power"] },
            "power")
        let st = try CLI.run(["status", "--config", dir.file("strata.toml")])
        #expect(st.stdout.contains("m (modbus-tcp): ok"), "\(st.stdout)")
        #expect(st.stdout.contains("bad readings  \(absurd) dropped as implausible"), "\(st.stdout)")
    }
}
