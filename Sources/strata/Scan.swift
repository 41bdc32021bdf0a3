import ArgumentParser
import Foundation
import StrataConfig
import StrataModbus
import StrataSampler

/// `strata scan`: which unit ids answer on a bus or gateway, and which profile reads them.
struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the meters on a Modbus bus or gateway and print [[devices]] blocks for strata.toml.",
        discussion: """
            Asks every unit id in --units for one register; a reply (data or a Modbus exception) \
            means a device is there. Each one is then tried with the shipped profiles: SunSpec \
            meters by their model, others by how many of a profile's registers answer with values. \
            The blocks go to standard output, progress to standard error:
              strata scan --serial /dev/ttyUSB0 --baud 9600 --units 1-30 >> strata.toml
              strata scan --host 192.168.1.50
            A silent unit costs one timeout: 247 units at 200 ms take under a minute.
            """)

    @Option(help: "Serial device of an RS485 bus (Modbus RTU).") var serial: String?
    @Option(help: "Baud rate of the bus.") var baud: Int = 9600
    @Option(help: "Parity: none, even or odd.") var parity: String = "none"
    @Option(help: "Host of a Modbus TCP meter or gateway.") var host: String?
    @Option(help: "TCP port.") var port: Int = 502
    @Option(help: "Unit ids to try, like 1-247 or 5.") var units: String = "1-247"
    @Option(help: "How long to wait for each unit, like 200ms or 1s.") var timeout: String = "200ms"
    @Option(name: .customLong("profiles-dir"), help: "A folder of your own profiles, tried with the shipped ones.")
    var profilesDir: String?

    func run() throws {
        let transport: StrataConfig.Transport
        switch (serial, host) {
        case (let s?, nil):
            guard let p = StrataConfig.Parity(rawValue: parity) else {
                throw ValidationError("--parity: expected none, even or odd, found \"\(parity)\"")
            }
            guard (300...921_600).contains(baud) else {
                throw ValidationError("--baud: expected a baud rate like 9600, found \(baud)")
            }
            transport = .rtu(serial: s, baud: baud, parity: p, dataBits: 8, stopBits: 1)
        case (nil, let h?):
            guard (1...65535).contains(port) else { throw ValidationError("--port: expected 1-65535, found \(port)") }
            transport = .tcp(host: h, port: port)
        default:
            throw ValidationError("give either --serial (RS485 bus) or --host (Modbus TCP meter or gateway)")
        }
        guard let range = Self.units(units) else {
            throw ValidationError(
                "--units: expected a range like 1-247 or one id like 5, within 0-247; found \"\(units)\"")
        }
        guard let secs = Self.seconds(timeout) else {
            throw ValidationError("--timeout: expected 50ms to 10s, like 200ms or 1s; found \"\(timeout)\"")
        }
        var profiles: [DeviceProfile] = []
        var names: [String: String] = [:]
        var candidates = ProfileLoader.shippedNames
        if let dir = profilesDir {
            let own = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
                $0.hasSuffix(".toml")
            }.map { String($0.dropLast(5)) }
            candidates = own.sorted() + candidates.filter { !own.contains($0) }
        }
        for name in candidates {
            // An MQTT profile in the folder is no register map: skipped, not an error.
            guard let p = try? ProfileLoader.load(name: name, userFolder: profilesDir) else { continue }
            profiles.append(p)
            names[p.id] = p.name
        }
        guard !profiles.isEmpty else {
            throw ValidationError(
                "no profiles found: the shipped profiles are not installed next to the strata binary (see README, Install)"
            )
        }
        let scanner = BusScanner(transport: transport, timeout: secs, profiles: profiles)
        FileHandle.standardError.write(
            Data(
                "scanning unit ids \(range.lowerBound)-\(range.upperBound) on \(transport.busKey), \(timeout) each\n"
                    .utf8))
        let found: [ScanFinding]
        do {
            found = try scanner.scan(units: range) { unit, f in
                if let f {
                    FileHandle.standardError.write(
                        Data("unit \(unit): \(f.profiles.first ?? "unknown device") (\(f.evidence))\n".utf8))
                }
            }
        } catch {
            throw ValidationError("\(transport.busKey): \(error)")
        }
        FileHandle.standardError.write(Data("\(found.count) device\(found.count == 1 ? "" : "s") answered\n".utf8))
        let optional = Set(profiles.filter { $0.registers.allSatisfy(\.optional) }.map(\.id))
        print(BusScanner.toml(found, transport: transport, names: names, optionalInputs: optional), terminator: "")
    }

    static func units(_ s: String) -> ClosedRange<Int>? {
        let parts = s.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        switch parts.count {
        case 1: if let a = parts[0], (0...247).contains(a) { return a...a }
        case 2: if let a = parts[0], let b = parts[1], a <= b, a >= 0, b <= 247 { return a...b }
        default: break
        }
        return nil
    }

    static func seconds(_ s: String) -> Double? {
        let t = s.lowercased().trimmingCharacters(in: .whitespaces)
        var v: Double?
        if t.hasSuffix("ms") {
            v = Double(t.dropLast(2)).map { $0 / 1000 }
        } else if t.hasSuffix("s") {
            v = Double(t.dropLast())
        } else {
            v = Double(t)
        }
        guard let v, v >= 0.05, v <= 10 else { return nil }
        return v
    }
}
