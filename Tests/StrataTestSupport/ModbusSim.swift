import Foundation

/// tools/modbus-sim/modbus_sim.py (pymodbus) as a real Modbus peer for tests.
public final class ModbusSim {
    public static let script = PythonPeer.repository + "/tools/modbus-sim/modbus_sim.py"
    public static var python: String { PythonPeer.interpreter }

    public let peer: PythonPeer
    public let log: String

    /// Starts the simulator and waits until it serves.
    public init(_ args: [String], log: String) throws {
        self.log = log
        peer = try PythonPeer([Self.script, "--log", log] + args, ready: "modbus_sim ready")
    }

    public enum SimError: Error {
        case notReady(String)
        case badLog(String, line: Int, String)
        case sqlite(String)
    }

    /// Kills the simulator, as a power cut would.
    public func stop() { peer.stop() }

    /// What the simulator served, per unit: one dictionary of channel values per read. A log
    /// that cannot be read or holds a line that is not a served read fails the test (it
    /// throws): an empty answer must mean "nothing was served", never "the log was broken".
    public static func served(_ log: String) throws -> [Int: [[String: Double]]] {
        guard FileManager.default.fileExists(atPath: log) else { return [:] }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        var out: [Int: [[String: Double]]] = [:]
        for (i, line) in text.split(separator: "\n").enumerated() {
            guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let unit = obj["unit"] as? Int, let values = obj["values"] as? [String: Double]
            else {
                throw SimError.badLog(log, line: i + 1, String(line.prefix(200)))
            }
            out[unit, default: []].append(values)
        }
        return out
    }

    /// Channels the simulator served as a broken register (`absurd=`), per unit and read.
    public static func absurd(_ log: String) throws -> [Int: Int] {
        let text = try String(contentsOfFile: log, encoding: .utf8)
        var out: [Int: Int] = [:]
        for line in text.split(separator: "\n") {
            guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let unit = obj["unit"] as? Int
            else { continue }
            out[unit, default: 0] += (obj["absurd"] as? [String])?.count ?? 0
        }
        return out
    }
}
