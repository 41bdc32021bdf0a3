import StrataConfig

/// Whether each bus's worst round (every device timing out on every attempt) still fits
/// inside its poll interval: devices on one bus are polled one after another.
public enum BusBudget {
    public static func warnings(_ devices: [StrataConfig.Device]) -> [String] {
        var byBus: [String: [StrataConfig.Device]] = [:]
        for d in devices { if let m = d.modbus { byBus[m.transport.busKey, default: []].append(d) } }
        var out: [String] = []
        for (bus, ds) in byBus.sorted(by: { $0.key < $1.key }) {
            let worst = ds.reduce(0.0) { acc, d in acc + (d.modbus.map { $0.timeout * Double($0.retries + 1) } ?? 0) }
            let interval = Double(ds.map(\.poll).min() ?? 60)
            if worst > interval * 0.8 {
                out.append(
                    "bus \(bus): \(ds.count) devices × timeout × attempts = \(Int(worst.rounded())) s in the worst case, more than the \(Int(interval)) s poll; lower timeout or retries, or split the bus"
                )
            }
        }
        return out
    }
}
