import StrataCore
import StrataStore

/// Reactive energy ratios per day and month, from the store's exact aggregates: the archive's
/// `_site/reactive/<year>.csv` and the reports' reactive section read them the same way.
public enum ReactiveTable {
    /// A meter's active import and its reactive registers.
    public struct Meter: Sendable {
        public var device: String
        public var active: StoredChannel
        public var inductive: StoredChannel?
        public var capacitive: StoredChannel?
    }

    public struct Row: Sendable {
        public var tier: Tier
        public var start: Int64
        public var device: String
        public var ratio: ReactiveRatio
    }

    /// The meter among a device's channels: `energy_import` with `reactive_import` and/or
    /// `reactive_export`, in units of energy; nil for any other device.
    public static func meter(device: String, _ channels: [StoredChannel]) -> Meter? {
        func find(_ id: String, reactive: Bool) -> StoredChannel? {
            channels.first {
                $0.spec.id == id && $0.spec.kind == .counter
                    && ReactiveRatio.scale($0.spec.unit, reactive: reactive) != nil
            }
        }
        guard let a = find("energy_import", reactive: false) else { return nil }
        let i = find("reactive_import", reactive: true)
        let c = find("reactive_export", reactive: true)
        guard i != nil || c != nil else { return nil }
        return Meter(device: device, active: a, inductive: i, capacitive: c)
    }

    /// The meter's ratio in each bucket of `tier` in `[from, to)` that has active energy.
    public static func rows(_ store: Store, _ m: Meter, tier: Tier, from: Int64, to: Int64) throws(StoreError) -> [Row]
    {
        let chs = [m.active, m.inductive, m.capacitive].compactMap { $0 }
        var out: [Row] = []
        for b in try store.buckets(tier, channels: chs, from: from, to: to) {
            func energy(_ c: StoredChannel?, reactive: Bool) -> Double? {
                guard let c, let g = b.values[c.id], g.hasData,
                    let k = ReactiveRatio.scale(c.spec.unit, reactive: reactive)
                else { return nil }
                return c.spec.resolution.value(ofSteps: g.consumption) * k
            }
            guard let active = energy(m.active, reactive: false) else { continue }
            out.append(
                Row(
                    tier: tier, start: b.start, device: m.device,
                    ratio: ReactiveRatio(
                        active: active, inductive: energy(m.inductive, reactive: true),
                        capacitive: energy(m.capacitive, reactive: true))))
        }
        return out
    }

    /// Their sum over a period.
    public static func total(_ rows: [Row]) -> ReactiveRatio? {
        guard !rows.isEmpty else { return nil }
        func sum(_ f: (ReactiveRatio) -> Double?) -> Double? {
            let v = rows.compactMap { f($0.ratio) }
            return v.isEmpty ? nil : v.reduce(0, +)
        }
        return ReactiveRatio(
            active: rows.reduce(0) { $0 + $1.ratio.active }, inductive: sum(\.inductive), capacitive: sum(\.capacitive))
    }

    static let energyResolution = Resolution(decimals: 3)
    static let ratioResolution = Resolution(decimals: 4)

    public static func csv(_ rows: [Row], limits: ReactiveLimits, dialect: CSVDialect, zone: ZoneRules) -> [UInt8] {
        var w = CSVWriter(dialect: dialect)
        w.writeBOM()
        for h in [
            "period", "start", "device", "active_kwh", "inductive_kvarh", "capacitive_kvarh", "inductive_ratio",
            "capacitive_ratio",
            "inductive_limit", "capacitive_limit", "inductive_exceeded", "capacitive_exceeded",
        ] { w.field(h) }
        w.endRow()
        for r in rows {
            w.field(r.tier.name)
            w.dateTime(zone.local(r.start))
            w.field(r.device)
            w.number(r.ratio.active, energyResolution)
            w.number(r.ratio.inductive, energyResolution)
            w.number(r.ratio.capacitive, energyResolution)
            w.number(r.ratio.inductiveRatio, ratioResolution)
            w.number(r.ratio.capacitiveRatio, ratioResolution)
            w.number(limits.inductive, ratioResolution)
            w.number(limits.capacitive, ratioResolution)
            let x = r.ratio.exceeds(limits)
            if limits.inductive != nil && r.ratio.inductiveRatio != nil {
                w.field(x.inductive ? "yes" : "no")
            } else {
                w.empty()
            }
            if limits.capacitive != nil && r.ratio.capacitiveRatio != nil {
                w.field(x.capacitive ? "yes" : "no")
            } else {
                w.empty()
            }
            w.endRow()
        }
        return w.bytes
    }
}
