/// Finding a SunSpec meter model (201–204) in a device's holding registers.
///
/// SunSpec devices start their map with "SunS" at 40000, 0 or 50000, followed by a chain of
/// model blocks (ID, length, points). The walk is pure: the caller supplies the reads.
public enum SunSpec {
    public static let bases = [40000, 0, 50000]
    public static let meterModels: ClosedRange<Int> = 201...204
    static let marker: [UInt16] = [0x5375, 0x6E53] // "SunS"
    static let endOfModels: UInt16 = 0xFFFF

    public enum DiscoveryError: Error, Equatable, CustomStringConvertible {
        case noMarker
        case noMeterModel(found: [Int])

        public var description: String {
            switch self {
            case .noMarker: "no SunSpec marker \"SunS\" at register 40000, 0 or 50000"
            case .noMeterModel(let found):
                "SunSpec map has no meter model 201–204 (models found: \(found.map(String.init).joined(separator: ", ")))"
            }
        }
    }

    public struct Meter: Sendable, Equatable {
        public var model: Int
        /// Address of the model's first point (after its ID and length words).
        public var start: Int
    }

    /// Walks the model chain; `read(address, count)` returns holding registers or throws.
    public static func locateMeter<E: Error>(read: (Int, Int) throws(E) -> [UInt16]) throws -> Meter {
        var base: Int?
        for b in bases {
            // A base a device does not have answers with an exception: try the next one.
            if let words = try? read(b, 2), words == marker {
                base = b
                break
            }
        }
        guard let start = base else { throw DiscoveryError.noMarker }
        var addr = start + 2
        var found: [Int] = []
        for _ in 0..<64 {
            let header = try read(addr, 2)
            guard header.count == 2, header[0] != endOfModels else { break }
            let id = Int(header[0])
            let length = Int(header[1])
            if meterModels.contains(id) { return Meter(model: id, start: addr + 2) }
            found.append(id)
            addr += 2 + length
        }
        throw DiscoveryError.noMeterModel(found: found)
    }

    /// The profile's registers with model offsets turned into addresses.
    public static func resolve(_ registers: [ProfileRegister], at meter: Meter) -> [ProfileRegister] {
        registers.map { r in
            var r = r
            r.address += meter.start
            r.scaleFactorAddress = r.scaleFactorAddress.map { $0 + meter.start }
            return r
        }
    }
}
