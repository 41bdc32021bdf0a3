import Foundation
import StrataConfig
import StrataModbus

/// What `strata scan` found at one unit id.
public struct ScanFinding: Sendable, Equatable {
    public var unit: Int
    /// The shipped profiles that read this unit, best first: SunSpec by its model, else by how
    /// many of the profile's registers answer with a value a meter could hold (non-zero,
    /// finite). Empty: the unit answers, but none fits.
    public var profiles: [String]
    /// How the best one was recognised, for the comment above the block.
    public var evidence: String
}

/// Finds the unit ids that answer on a bus or gateway and which shipped profile reads them.
///
/// A unit answers when a read gets a reply, data or a Modbus exception; a timeout means no
/// device. Blocking (libmodbus): run it off the cooperative pool, as `strata scan` does.
public struct BusScanner {
    public var transport: StrataConfig.Transport
    public var timeout: Double
    public var profiles: [DeviceProfile]

    public init(transport: StrataConfig.Transport, timeout: Double, profiles: [DeviceProfile]) {
        self.transport = transport
        self.timeout = timeout
        self.profiles = profiles
    }

    public func scan(units: ClosedRange<Int>, progress: (Int, ScanFinding?) -> Void) throws(ModbusError)
        -> [ScanFinding]
    {
        let link = try ModbusLink(transport: transport)
        var found: [ScanFinding] = []
        for unit in units {
            try link.connect(timeout: timeout)
            let f = probe(link, unit: unit)
            progress(unit, f)
            if let f { found.append(f) }
        }
        return found
    }

    /// Whether a read of a unit got a reply from the unit itself. A gateway's exceptions 10
    /// and 11 (path unavailable, target did not respond) mean no device behind that id.
    func answers(_ link: ModbusLink, unit: Int) -> Bool {
        for fn in [ModbusFunction.holding, .input] {
            do {
                _ = try link.read(unit: unit, block: ReadBlock(function: fn, start: 0, count: 1))
                return true
            } catch {
                if case .exception(let code) = error { return code != 10 && code != 11 }
                if error.breaksLink {
                    link.close()
                    try? link.connect(timeout: timeout)
                }
            }
        }
        return false
    }

    func probe(_ link: ModbusLink, unit: Int) -> ScanFinding? {
        guard answers(link, unit: unit) else { return nil }
        if let sunspec = profiles.first(where: { $0.discovery == .sunspec }) {
            let read = { (a: Int, n: Int) throws(ModbusError) -> [UInt16] in
                try link.read(unit: unit, block: ReadBlock(function: .holding, start: a, count: n))
            }
            if let m = try? SunSpec.locateMeter(read: read) {
                return ScanFinding(
                    unit: unit, profiles: [sunspec.id],
                    evidence: "SunSpec meter model \(m.model) at register \(m.start - 2)")
            }
        }
        var scored: [(String, Int, Int)] = []
        for p in profiles where p.discovery == .none {
            let plan = ReadPlan(registers: p.registers, maxBlock: p.maxBlock, maxGap: p.maxGap)
            var answers: [[UInt16]?] = []
            var refused = false
            for b in plan.blocks {
                do {
                    answers.append(try link.read(unit: unit, block: b))
                } catch {
                    refused = true
                    break
                }
            }
            guard !refused else { continue }
            let values = plan.decode(answers)
            let live = values.filter { v in v.map { $0.isFinite && $0 != 0 && abs($0) < 1e12 } ?? false }.count
            if live > 0 { scored.append((p.id, live, p.registers.count)) }
        }
        scored.sort { ($0.1, $0.2) > ($1.1, $1.2) }
        guard let best = scored.first else {
            return ScanFinding(unit: unit, profiles: [], evidence: "answers, but no shipped profile reads it")
        }
        return ScanFinding(
            unit: unit, profiles: scored.map(\.0),
            evidence: "\(best.1) of its \(best.2) registers answer with values")
    }

    /// `[[devices]]` blocks to paste into strata.toml.
    public static func toml(
        _ found: [ScanFinding], transport: StrataConfig.Transport, names: [String: String],
        optionalInputs: Set<String> = []
    ) -> String {
        var o = ""
        for f in found {
            o += "\n# unit \(f.unit): \(f.evidence)"
            if f.profiles.count > 1 {
                o += "; also read by \(f.profiles.dropFirst().joined(separator: ", ")): check the meter's label"
            }
            o += "\n"
            guard let p = f.profiles.first else {
                o += "# [[devices]] with [[devices.channels]] giving address and type; see README, Profiles\n"
                continue
            }
            o += "[[devices]]\n"
            o += "id = \"meter-\(f.unit)\"\n"
            o += "name = \"\(names[p] ?? p) (unit \(f.unit))\"\n"
            switch transport {
            case .tcp(let host, let port):
                o += "driver = \"modbus-tcp\"\nhost = \"\(host)\"\n"
                if port != 502 { o += "port = \(port)\n" }
            case .rtu(let serial, let baud, let parity, let dataBits, let stopBits):
                o += "driver = \"modbus-rtu\"\nserial = \"\(serial)\"\nbaud = \(baud)\n"
                if parity != .none { o += "parity = \"\(parity.rawValue)\"\n" }
                if dataBits != 8 { o += "data_bits = \(dataBits)\n" }
                if stopBits != 1 { o += "stop_bits = \(stopBits)\n" }
            }
            o += "unit_id = \(f.unit)\nprofile = \"\(p)\"\n"
            if optionalInputs.contains(p) {
                // Its inputs are read only when named: the block is not complete without them.
                o +=
                    "# name each wired input, e.g.:\n[[devices.channels]]\nid = \"water\"\nsource = \"input_1\"\nunit = \"m3\"\npulses_per_unit = 100\n"
            }
        }
        return o
    }
}
